//! HTTP handlers of the accounts domain: extract, parse, call the service, render or redirect.
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::{
        HeaderValue, StatusCode,
        header::{RETRY_AFTER, SET_COOKIE},
    },
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use sea_orm::ActiveEnum;
use serde::Deserialize;

use super::{
    rules::{AccountUpdateForm, NewAccountForm, NewPasswordForm, ProfileForm},
    service::{self, AccountError, AccountQuery, AccountState, LoginError, sessions},
    views::*,
};
use crate::{
    actor::Role,
    audit::{Entry, Kind},
    forms::FieldErrors,
    i18n::Msg,
    state::AppState,
    web::{
        Authenticated, Ctx, CurrentUser, Flash, User, WebError,
        context::ClientAddr,
        cookies,
        forms::{local_path, page_number},
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/account", get(own_profile).post(update_own_profile))
        .route("/account/password", get(own_password_form).post(change_own_password))
        .route("/password/forgot", get(forgot_form).post(forgot))
        .route("/password/reset/{token}", get(reset_form).post(reset))
        .route("/admin/accounts", get(list).post(create))
        .route("/admin/accounts/new", get(new_form))
        .route("/admin/accounts/{id}", get(show).post(update))
        .route("/admin/accounts/{id}/password", post(reset_password))
        .route("/admin/accounts/{id}/disable", get(disable_form).post(disable))
        .route("/admin/accounts/{id}/enable", post(enable))
        .route("/admin/accounts/{id}/member", post(link_member))
        .merge(super::welcome_handlers::router())
}

fn unprocessable(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

// ---- login and logout ----------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    next: String,
}

async fn login_form(ctx: Ctx, Query(q): Query<LoginQuery>) -> Response {
    if ctx.user.is_some() {
        return Redirect::to(&local_path(Some(&q.next))).into_response();
    }
    LoginPage { ctx, email: String::new(), next: q.next, errors: FieldErrors::default() }.into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginForm {
    email: String,
    password: String,
    next: String,
}

async fn login(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(addr): ClientAddr,
    Form(form): Form<LoginForm>,
) -> Result<Response, WebError> {
    let page =
        |ctx: Ctx, errors: FieldErrors| LoginPage { ctx, email: form.email.clone(), next: form.next.clone(), errors };
    let mut errors = FieldErrors::default();
    if form.email.trim().is_empty() {
        errors.add("email", "field.required");
    }
    if form.password.is_empty() {
        errors.add("password", "field.required");
    }
    if !errors.is_empty() {
        return Ok(unprocessable(page(ctx, errors)));
    }
    let now = state.now();
    match service::authenticate(&state.db, &form.email, &form.password, &addr, state.login_policy(), now).await {
        Ok(account) => {
            // A new session id at every login: a session fixed by someone else is never promoted.
            if let Some(old) = &ctx.user {
                sessions::end(&state.db, &old.session_id).await?;
            }
            let token = sessions::start(&state.db, account.id, state.session_policy(), now).await?;
            if account.role == Role::Admin {
                let by = (account.id, account.display_name.as_str(), account.email.as_str());
                state.audit.record(Entry::by(Kind::AdminSignedIn, by, now).detail(&addr.to_string())).await;
            }
            let target = if account.must_change_password {
                "/account/password".to_owned()
            } else {
                local_path(Some(&form.next))
            };
            let cookie = cookies::set(cookies::SESSION, &token, None, state.settings.secure_cookies);
            Ok(([(SET_COOKIE, cookie)], Redirect::to(&target)).into_response())
        }
        Err(LoginError::Invalid) => {
            Ok((StatusCode::UNAUTHORIZED, page(ctx, FieldErrors::single("form", "login.invalid"))).into_response())
        }
        Err(LoginError::Disabled) => {
            Ok((StatusCode::FORBIDDEN, page(ctx, FieldErrors::single("form", "login.disabled"))).into_response())
        }
        Err(LoginError::Throttled { retry_at }) => {
            let seconds = (retry_at - now).num_seconds().max(1);
            let minutes = (seconds + 59) / 60;
            let mut errors = FieldErrors::default();
            errors.add_msg("form", Msg::new("login.throttled").arg("minutes", minutes));
            let retry = HeaderValue::from(seconds);
            Ok((StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, retry)], page(ctx, errors)).into_response())
        }
        Err(LoginError::Db(e)) => Err(e.into()),
    }
}

async fn logout(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    if let Some(user) = &ctx.user {
        sessions::end(&state.db, &user.session_id).await?;
    }
    let cookie = cookies::remove(cookies::SESSION, state.settings.secure_cookies);
    Ok(([(SET_COOKIE, cookie)], Flash::info(Msg::new("login.logged_out")), Redirect::to("/login")).into_response())
}

// ---- forgotten passwords -------------------------------------------------------------------

async fn forgot_form(ctx: Ctx) -> Response {
    ForgotPage { ctx, email: String::new(), sent: false, errors: FieldErrors::default() }.into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ForgotForm {
    email: String,
}

/// The same answer, in about the same time, whether an account has the address or not.
async fn forgot(
    State(state): State<AppState>,
    ctx: Ctx,
    ClientAddr(addr): ClientAddr,
    Form(form): Form<ForgotForm>,
) -> Result<Response, WebError> {
    let answer_at = tokio::time::Instant::now() + std::time::Duration::from_millis(250);
    let email = form.email.trim().chars().take(254).collect::<String>();
    let refused = if email.is_empty() { Err("field.required") } else { super::rules::Email::parse(&email).map(|_| ()) };
    if let Err(key) = refused {
        return Ok(unprocessable(ForgotPage { ctx, email, sent: false, errors: FieldErrors::single("email", key) }));
    }
    let now = state.now();
    let asked = service::reset::request(&state.db, &email, &addr, state.login_policy(), now).await?;
    tokio::time::sleep_until(answer_at).await;
    match asked {
        Ok(()) => Ok(ForgotPage { ctx, email, sent: true, errors: FieldErrors::default() }.into_response()),
        Err(retry_at) => {
            let seconds = (retry_at - now).num_seconds().max(1);
            let mut errors = FieldErrors::default();
            errors.add_msg("form", Msg::new("login.throttled").arg("minutes", (seconds + 59) / 60));
            let page = ForgotPage { ctx, email, sent: false, errors };
            Ok((StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, HeaderValue::from(seconds))], page).into_response())
        }
    }
}

async fn reset_form(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> Result<Response, WebError> {
    match service::reset::account_of(&state.db, &token, state.now()).await {
        Ok(a) => Ok(ResetPage { ctx, token, email: a.email, errors: FieldErrors::default() }.into_response()),
        Err(service::reset::ResetError::Gone) => Ok((StatusCode::GONE, ResetGonePage { ctx }).into_response()),
        Err(service::reset::ResetError::Db(e)) => Err(e.into()),
    }
}

async fn reset(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> Result<Response, WebError> {
    use service::reset::ResetError;
    let now = state.now();
    let account = match service::reset::account_of(&state.db, &token, now).await {
        Ok(a) => a,
        Err(ResetError::Gone) => return Ok((StatusCode::GONE, ResetGonePage { ctx }).into_response()),
        Err(ResetError::Db(e)) => return Err(e.into()),
    };
    let password = match form.parse_new(&account.email) {
        Ok(p) => p,
        Err(errors) => return Ok(unprocessable(ResetPage { ctx, token, email: account.email, errors })),
    };
    match service::reset::reset(&state.db, &token, &password, now).await {
        Ok(_) => {
            // Set by its owner through the emailed link.
            let by = (account.id, account.display_name.as_str(), account.email.as_str());
            let detail = format!("/admin/accounts/{}\n{}", account.id, account.email);
            state.audit.record(Entry::by(Kind::PasswordReset, by, now).detail(&detail)).await;
            let cookie = cookies::remove(cookies::SESSION, state.settings.secure_cookies);
            Ok(([(SET_COOKIE, cookie)], Flash::info(Msg::new("reset.done")), Redirect::to("/login")).into_response())
        }
        Err(ResetError::Gone) => Ok((StatusCode::GONE, ResetGonePage { ctx }).into_response()),
        Err(ResetError::Db(e)) => Err(e.into()),
    }
}

// ---- own account ---------------------------------------------------------------------------

async fn own_profile(State(state): State<AppState>, ctx: Ctx, User(user): User) -> Result<Response, WebError> {
    let account = service::own(&state.db, &user.actor()).await?;
    let display_name = account.display_name.clone();
    let locale = account.locale.clone().unwrap_or_default();
    Ok(OwnProfilePage { ctx, account, display_name, locale, errors: FieldErrors::default() }.into_response())
}

async fn update_own_profile(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Form(form): Form<ProfileForm>,
) -> Result<Response, WebError> {
    let actor = user.actor();
    match form.parse() {
        Ok(update) => {
            service::update_profile(&state.db, &actor, update, state.now()).await?;
            Ok((Flash::success(Msg::new("account.profile_saved")), Redirect::to("/account")).into_response())
        }
        Err(errors) => {
            let account = service::own(&state.db, &actor).await?;
            Ok(unprocessable(OwnProfilePage {
                ctx,
                account,
                display_name: form.display_name,
                locale: form.locale,
                errors,
            }))
        }
    }
}

async fn own_password_form(ctx: Ctx, Authenticated(user): Authenticated) -> Response {
    OwnPasswordPage { ctx, required: user.must_change_password, errors: FieldErrors::default() }.into_response()
}

async fn change_own_password(
    State(state): State<AppState>,
    ctx: Ctx,
    Authenticated(user): Authenticated,
    Form(form): Form<NewPasswordForm>,
) -> Result<Response, WebError> {
    let rerender =
        |ctx: Ctx, errors| unprocessable(OwnPasswordPage { ctx, required: user.must_change_password, errors });
    let mut errors = FieldErrors::default();
    if form.current_password.is_empty() {
        errors.add("current_password", "field.required");
    }
    let password = form.parse_new(&user.email).map_err(|e| errors.merge(e)).ok();
    let Some(password) = password.filter(|_| errors.is_empty()) else {
        return Ok(rerender(ctx, errors));
    };
    match service::change_own_password(
        &state.db,
        &user.actor(),
        &form.current_password,
        &password,
        &user.session_id,
        state.now(),
    )
    .await
    {
        Ok(()) => Ok((Flash::success(Msg::new("password.changed")), Redirect::to("/")).into_response()),
        Err(AccountError::WrongPassword) => {
            Ok(rerender(ctx, FieldErrors::single("current_password", "password.wrong_current")))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- administration ------------------------------------------------------------------------

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListParams {
    q: String,
    role: String,
    state: String,
    page: String,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Query(p): Query<ListParams>,
) -> Result<Response, WebError> {
    let admin = service::administer(&user.actor())?;
    // Unknown filter values mean "no filter" rather than an error: they come from edited URLs.
    let query = AccountQuery {
        q: p.q.chars().take(100).collect(),
        role: Role::parse(&p.role),
        state: match p.state.as_str() {
            "active" => Some(AccountState::Active),
            "disabled" => Some(AccountState::Disabled),
            _ => None,
        },
        page: page_number(Some(&p.page)),
    };
    let page = service::list(&state.db, &admin, &query).await?;
    Ok(AccountsListPage { ctx, q: query.q, role: query.role, state: query.state, page }.into_response())
}

async fn new_form(ctx: Ctx, User(user): User) -> Result<Response, WebError> {
    service::administer(&user.actor())?;
    let form = NewAccountForm { role: Role::Member.as_str().to_owned(), ..Default::default() };
    Ok(AccountNewPage { ctx, form, errors: FieldErrors::default() }.into_response())
}

/// Passwords are never sent back into a re-rendered form.
fn without_passwords(form: NewAccountForm) -> NewAccountForm {
    NewAccountForm { password: String::new(), password_confirm: String::new(), ..form }
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Form(form): Form<NewAccountForm>,
) -> Result<Response, WebError> {
    let admin = service::administer(&user.actor())?;
    let new = match form.parse() {
        Ok(new) => new,
        Err(errors) => {
            return Ok(unprocessable(AccountNewPage { ctx, form: without_passwords(form), errors }));
        }
    };
    match service::create(&state.db, &admin, new, state.now()).await {
        Ok(account) => {
            let entry = user.audit(Kind::AccountCreated, state.now());
            state.audit.record(entry.detail(&format!("/admin/accounts/{}\n{}", account.id, account.email))).await;
            let flash = Flash::success(Msg::new("account.created").arg("email", &account.email));
            Ok((flash, Redirect::to(&format!("/admin/accounts/{}", account.id))).into_response())
        }
        Err(AccountError::EmailTaken) => Ok(unprocessable(AccountNewPage {
            ctx,
            form: without_passwords(form),
            errors: FieldErrors::single("email", "account.email_taken"),
        })),
        Err(e) => Err(e.into()),
    }
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let admin = service::administer(&user.actor())?;
    show_page(&state, ctx, &admin, id, ShowState::default()).await
}

/// What the account page re-shows after one of its forms failed.
#[derive(Default)]
struct ShowState {
    form: Option<AccountUpdateForm>,
    errors: FieldErrors,
    reset_errors: FieldErrors,
    link_errors: FieldErrors,
    member_input: String,
}

async fn show_page(
    state: &AppState,
    ctx: Ctx,
    admin: &service::AccountsAdmin,
    id: i64,
    s: ShowState,
) -> Result<Response, WebError> {
    let account = service::get(&state.db, admin, id).await?;
    let linked = match account.member_id {
        Some(member) => crate::members::service::find_by_id(&state.db, member).await?.map(|m| (m.id, m.name)),
        None => None,
    };
    let failed = !(s.errors.is_empty() && s.reset_errors.is_empty() && s.link_errors.is_empty());
    let page = AccountShowPage {
        ctx,
        form: s.form.unwrap_or_else(|| AccountUpdateForm::from(&account)),
        account,
        errors: s.errors,
        reset_errors: s.reset_errors,
        link_errors: s.link_errors,
        linked,
        member_input: s.member_input,
    };
    Ok(if failed { unprocessable(page) } else { page.into_response() })
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<i64>,
    Form(form): Form<AccountUpdateForm>,
) -> Result<Response, WebError> {
    let admin = service::administer(&user.actor())?;
    let errors = match form.parse() {
        Ok(update) => match service::update(&state.db, &admin, id, update, state.now()).await {
            Ok((account, before)) => {
                if account.role != before.role {
                    let (from, to) = (before.role.to_value(), account.role.to_value());
                    let detail = format!("/admin/accounts/{id}\n{}\n{from}\n{to}", account.email);
                    state.audit.record(user.audit(Kind::AccountRoleChanged, state.now()).detail(&detail)).await;
                }
                if account.email != before.email {
                    let detail = format!("/admin/accounts/{id}\n{} → {}", before.email, account.email);
                    state.audit.record(user.audit(Kind::AccountEmailChanged, state.now()).detail(&detail)).await;
                }
                return Ok((Flash::success(Msg::new("account.saved")), Redirect::to(&format!("/admin/accounts/{id}")))
                    .into_response());
            }
            Err(AccountError::EmailTaken) => FieldErrors::single("email", "account.email_taken"),
            Err(AccountError::LastAdmin) => FieldErrors::single("role", "account.last_admin"),
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    show_page(&state, ctx, &admin, id, ShowState { form: Some(form), errors, ..Default::default() }).await
}

async fn reset_password(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<i64>,
    Form(form): Form<NewPasswordForm>,
) -> Result<Response, WebError> {
    let admin = service::administer(&user.actor())?;
    let account = service::get(&state.db, &admin, id).await?;
    match form.parse_new(&account.email) {
        Ok(password) => {
            service::reset_password(&state.db, &admin, id, &password, state.now()).await?;
            let detail = format!("/admin/accounts/{id}\n{}", account.email);
            state.audit.record(user.audit(Kind::PasswordReset, state.now()).detail(&detail)).await;
            let flash = Flash::success(Msg::new("account.password_reset").arg("email", &account.email));
            Ok((flash, Redirect::to(&format!("/admin/accounts/{id}"))).into_response())
        }
        Err(reset_errors) => show_page(&state, ctx, &admin, id, ShowState { reset_errors, ..Default::default() }).await,
    }
}

async fn disable_form(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let admin = service::administer(&user.actor())?;
    let account = service::get(&state.db, &admin, id).await?;
    Ok(AccountDisablePage { ctx, account }.into_response())
}

async fn disable(State(state): State<AppState>, User(user): User, Path(id): Path<i64>) -> Result<Response, WebError> {
    set_disabled(&state, &user, id, true).await
}

async fn enable(State(state): State<AppState>, User(user): User, Path(id): Path<i64>) -> Result<Response, WebError> {
    set_disabled(&state, &user, id, false).await
}

async fn set_disabled(state: &AppState, user: &CurrentUser, id: i64, disabled: bool) -> Result<Response, WebError> {
    let admin = service::administer(&user.actor())?;
    let back = Redirect::to(&format!("/admin/accounts/{id}"));
    let flash = match service::set_disabled(&state.db, &admin, id, disabled, state.now()).await {
        Ok(account) => {
            let kind = if disabled { Kind::AccountDisabled } else { Kind::AccountEnabled };
            let detail = format!("/admin/accounts/{id}\n{}", account.email);
            state.audit.record(user.audit(kind, state.now()).detail(&detail)).await;
            let key = if disabled { "account.disabled_done" } else { "account.enabled_done" };
            Flash::success(Msg::new(key).arg("email", &account.email))
        }
        Err(AccountError::LastAdmin) => Flash::error(Msg::new("account.last_admin")),
        Err(AccountError::OwnAccount) => Flash::error(Msg::new("account.own_account")),
        Err(e) => return Err(e.into()),
    };
    Ok((flash, back).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LinkForm {
    member: String,
}

async fn link_member(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path(id): Path<i64>,
    Form(form): Form<LinkForm>,
) -> Result<Response, WebError> {
    let admin = service::administer(&user.actor())?;
    let linked = match form.member.trim() {
        "" => service::link_member(&state.db, &admin, id, None, state.now()).await,
        contact => match crate::members::service::find_by_contact(&state.db, contact).await? {
            Some(m) => service::link_member(&state.db, &admin, id, Some(m.id), state.now()).await,
            None => Err(AccountError::MemberNotFound),
        },
    };
    let link_errors = match linked {
        Ok(_) => {
            return Ok((
                Flash::success(Msg::new("account.member_link_saved")),
                Redirect::to(&format!("/admin/accounts/{id}")),
            )
                .into_response());
        }
        Err(AccountError::MemberNotFound) => FieldErrors::single("member", "account.member_not_found"),
        Err(AccountError::MemberLinked) => FieldErrors::single("member", "account.member_linked"),
        Err(e) => return Err(e.into()),
    };
    show_page(&state, ctx, &admin, id, ShowState { link_errors, member_input: form.member, ..Default::default() }).await
}

/// How this domain's refusals reach the person: the web error (and translated message) of each.
impl From<AccountError> for WebError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => WebError::NotFound,
            AccountError::Forbidden => WebError::Forbidden,
            AccountError::EmailTaken => WebError::Conflict(Msg::new("account.email_taken")),
            AccountError::WrongPassword => WebError::Conflict(Msg::new("password.wrong_current")),
            AccountError::LastAdmin => WebError::Conflict(Msg::new("account.last_admin")),
            AccountError::OwnAccount => WebError::Conflict(Msg::new("account.own_account")),
            AccountError::MemberNotFound => WebError::Conflict(Msg::new("account.member_not_found")),
            AccountError::MemberLinked => WebError::Conflict(Msg::new("account.member_linked")),
            AccountError::TooMany(max) => WebError::Conflict(Msg::new("welcome.too_many").arg("max", max)),
            AccountError::Hashing(reason) => WebError::Internal(anyhow::anyhow!("password hashing: {reason}")),
            AccountError::Db(e) => e.into(),
        }
    }
}
