//! HTTP handlers of accounts by invitation: inviting a unit's members or one member, and the
//! invited member's `/welcome/{token}` page that makes their account.
use axum::{
    Form, Router,
    extract::{Path, State},
    http::{StatusCode, header::SET_COOKIE},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

use super::{
    rules::NewPasswordForm,
    service::{
        AccountError, sessions,
        welcome::{self, Invited, WelcomeError},
    },
    views::{WelcomeGonePage, WelcomePage},
};
use crate::{
    audit::{Entry, Kind},
    i18n::Msg,
    state::AppState,
    web::{Ctx, CurrentUser, Flash, Scoped, WebError, cookies},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/branches/{id}/invite-accounts", post(invite_unit))
        .route("/members/{id}/invite-account", post(invite_member))
        .route("/welcome/{token}", get(form).post(accept))
        .route("/welcome/{token}/renew", post(renew))
}

/// Records in the audit log each member `user` just invited.
pub async fn logged(state: &AppState, user: &CurrentUser, done: &Invited) {
    let now = state.now();
    let entries: Vec<Entry> = done
        .sent
        .iter()
        .map(|(id, name, branch)| user.audit(Kind::InvitationSent, now).member(*id, name, *branch))
        .collect();
    state.audit.record_all(entries).await;
}

/// What an invitation did, as a flash: how many were sent, and why the others were not.
pub fn said(done: &Invited) -> Flash {
    let msg = Msg::new("welcome.invited")
        .arg("queued", done.queued)
        .arg("without_email", done.without_email)
        .arg("with_account", done.with_account)
        .arg("just_invited", done.just_invited)
        .arg("inactive", done.inactive);
    if done.queued > 0 { Flash::success(msg) } else { Flash::info(msg) }
}

async fn invite_unit(
    State(state): State<AppState>,
    Scoped { scope, user }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let done = welcome::invite_unit(&state.db, &scope, id, state.now()).await?;
    logged(&state, &user, &done).await;
    Ok((said(&done), Redirect::to(&format!("/branches/{id}#accounts"))).into_response())
}

async fn invite_member(
    State(state): State<AppState>,
    Scoped { scope, user }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let done = match welcome::invite(&state.db, &scope, &[id], state.now()).await {
        Err(AccountError::Forbidden) => return Err(WebError::NotFound),
        other => other?,
    };
    logged(&state, &user, &done).await;
    Ok((said(&done), Redirect::to(&format!("/members/{id}"))).into_response())
}

fn gone(ctx: Ctx, token: String, renewable: bool) -> Response {
    (StatusCode::GONE, WelcomeGonePage { ctx, token, renewable, renewed: false }).into_response()
}

async fn form(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> Result<Response, WebError> {
    match welcome::member_of(&state.db, &token, state.now()).await {
        Ok(m) => {
            Ok(WelcomePage { ctx, token, name: m.name, email: m.email.unwrap_or_default(), errors: Default::default() }
                .into_response())
        }
        Err(WelcomeError::Gone(member)) => Ok(gone(ctx, token, member.is_some())),
        Err(e) => Err(e.into()),
    }
}

async fn accept(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<NewPasswordForm>,
) -> Result<Response, WebError> {
    let now = state.now();
    let m = match welcome::member_of(&state.db, &token, now).await {
        Ok(m) => m,
        Err(WelcomeError::Gone(member)) => return Ok(gone(ctx, token, member.is_some())),
        Err(e) => return Err(e.into()),
    };
    let email = m.email.clone().unwrap_or_default();
    let password = match form.parse_new(&email) {
        Ok(p) => p,
        Err(errors) => {
            let page = WelcomePage { ctx, token, name: m.name, email, errors };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match welcome::accept(&state.db, &token, &password, now).await {
        Ok(account) => {
            // Made by its owner through the link.
            let by = (account.id, account.display_name.as_str(), account.email.as_str());
            let entry = Entry::by(Kind::AccountCreated, by, now).member(m.id, &m.name, m.branch_id);
            state.audit.record(entry.detail(&format!("/admin/accounts/{}\n{}", account.id, account.email))).await;
            let session = sessions::start(&state.db, account.id, state.session_policy(), now).await?;
            let cookie = cookies::set(cookies::SESSION, &session, None, state.settings.secure_cookies);
            Ok(([(SET_COOKIE, cookie)], Flash::success(Msg::new("welcome.done")), Redirect::to("/")).into_response())
        }
        Err(WelcomeError::Gone(member)) => Ok(gone(ctx, token, member.is_some())),
        Err(e) => Err(e.into()),
    }
}

/// A new link to the address on record; the same answer whatever the link was.
async fn renew(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> Result<Response, WebError> {
    if let Some(member) = welcome::member_of_any(&state.db, &token).await? {
        welcome::renew(&state.db, member, state.now()).await?;
    }
    Ok(WelcomeGonePage { ctx, token, renewable: false, renewed: true }.into_response())
}

impl From<WelcomeError> for WebError {
    fn from(e: WelcomeError) -> Self {
        match e {
            WelcomeError::Gone(_) => WebError::NotFound,
            WelcomeError::EmailTaken => WebError::Conflict(Msg::new("welcome.email_taken")),
            WelcomeError::Account(e) => e.into(),
            WelcomeError::Db(e) => e.into(),
        }
    }
}
