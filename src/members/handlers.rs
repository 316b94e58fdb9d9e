//! HTTP handlers of the members domain.
use axum::{
    Form, Router,
    extract::{DefaultBodyLimit, Multipart, Path, Query, State, multipart::MultipartRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

use super::{
    rules::{
        Change, ChangeForm, MemberForm, MembershipState, OwnContactForm, PoliticalStatus,
        table::{self, Column, Format},
    },
    service::{
        self, MemberError,
        import::{self, ImportError},
        search::{self, Cursor, MemberQuery, Sort},
    },
    views::*,
};
use crate::{
    audit::Kind,
    branches::{self, BranchKind, Scope, service::UnitOption},
    forms::{Choice, FieldErrors, parse_choice, parse_optional_id},
    i18n::{Locale, Msg},
    state::AppState,
    web::{Authenticated, Ctx, CurrentUser, Flash, Scoped, User, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/members", get(list).post(create))
        .route("/members/new", get(new_form))
        .route("/members/export", get(export))
        .route("/members/invite-accounts", post(invite_accounts))
        .route("/members/template", get(template))
        .route(
            "/members/import",
            get(import_form).post(import_file).layer(DefaultBodyLimit::max(table::MAX_BYTES + 64 * 1024)),
        )
        .route("/members/{id}", get(show).post(update))
        .route("/members/{id}/edit", get(edit_form))
        .route("/members/{id}/status", post(change_status))
        .route("/members/{id}/transfer", post(transfer))
        .route("/members/{id}/state", post(change_state))
        .route("/me", get(own).post(update_own))
        .route("/me/email/{token}", get(email_form).post(confirm_email))
}

/// Units for the branch and group select boxes, from one light read: the open units that hold
/// members, and the open party groups (of one branch, if given) with their branch's name.
async fn unit_options(
    state: &AppState,
    scope: &Scope,
    of_branch: Option<i64>,
) -> Result<(Vec<UnitOption>, Vec<GroupOption>), WebError> {
    let cached = state.units.get(&state.db).await?;
    let all: Vec<&UnitOption> = cached.iter().filter(|u| scope.covers(u.id)).collect();
    let names: std::collections::HashMap<i64, &str> = all.iter().map(|u| (u.id, u.name.as_str())).collect();
    let groups = all
        .iter()
        .filter(|u| u.kind == BranchKind::Group && (of_branch.is_none() || u.parent_id == of_branch))
        .map(|g| GroupOption {
            branch_name: g.parent_id.and_then(|p| names.get(&p)).copied().unwrap_or_default().to_owned(),
            group: (*g).clone(),
        })
        .collect();
    let units = all.into_iter().filter(|u| u.kind.holds_members()).cloned().collect();
    Ok((units, groups))
}

fn query_of(p: &ListParams) -> MemberQuery {
    MemberQuery {
        q: p.q.chars().take(100).collect(),
        branch: parse_optional_id(&p.branch).ok().flatten(),
        group: parse_optional_id(&p.group).ok().flatten(),
        status: PoliticalStatus::parse(&p.status),
        state: MembershipState::parse(&p.state),
        sort: Sort::parse(&p.sort),
        cursor: Cursor::decode(&p.page),
    }
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let query = query_of(&params);
    let page = search::page(&state.db, &scope, &query).await?;
    let (units, groups) = unit_options(&state, &scope, None).await?;
    let number = params.n.parse::<u64>().ok().filter(|n| *n >= 1 && query.cursor.is_some()).unwrap_or(1);
    Ok(MembersListPage { ctx, params, units, groups, page, number, choices: Choices }.into_response())
}

/// Invites the filtered list's members (all pages) who have an email and no account to open one.
async fn invite_accounts(
    State(state): State<AppState>,
    Scoped { scope, user }: Scoped,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let query = MemberQuery { cursor: None, ..query_of(&params) };
    // Counted before anything is loaded: a filter over the whole association is refused at once.
    let max = crate::accounts::service::welcome::MAX_AT_ONCE;
    if search::page(&state.db, &scope, &query).await?.total > max as u64 {
        return Err(crate::accounts::AccountError::TooMany(max).into());
    }
    let ids: Vec<i64> = search::all(&state.db, &scope, &query).await?.into_iter().map(|(m, _)| m.id).collect();
    let done = crate::accounts::service::welcome::invite(&state.db, &scope, &ids, state.now()).await?;
    crate::accounts::welcome_logged(&state, &user, &done).await;
    let back = params.link("/members", &[]);
    Ok((crate::accounts::welcome_flash(&done), Redirect::to(&back)).into_response())
}

/// The filtered list as a file (all pages), in the layout the import reads.
async fn export(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let format = if params.format == "xlsx" { Format::Xlsx } else { Format::Csv };
    let query = MemberQuery { cursor: None, ..query_of(&params) };
    let rows = search::all(&state.db, &scope, &query).await?;
    let (_, groups) = unit_options(&state, &scope, None).await?;
    let lines: Vec<Vec<String>> = rows
        .iter()
        .map(|(m, b)| {
            let group = m.group_id.and_then(|g| groups.iter().find(|o| o.group.id == g)).map(|o| o.group.code.as_str());
            import::export_row(m, b.as_ref(), group, ctx.locale)
        })
        .collect();
    let entry = user
        .audit(Kind::MembersExported, state.now())
        .branch(query.branch.filter(|b| scope.covers(*b)))
        .detail(&params.link("/members", &[]))
        .file(format.extension(), lines.len());
    state.audit.record(entry).await;
    file_response(format, ctx.locale, &format!("members-{}", state.today().format("%Y%m%d")), &lines)
}

fn file_response(format: Format, locale: Locale, stem: &str, rows: &[Vec<String>]) -> Result<Response, WebError> {
    let bytes = table::write(format, locale, &Column::ALL, rows).map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
    let disposition = crate::web::disposition(&format!("{stem}.{}", format.extension()));
    Ok(([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

/// An empty file with the headers in the reader's language and one example row.
async fn template(ctx: Ctx, User(_user): User, Query(params): Query<ListParams>) -> Result<Response, WebError> {
    let format = if params.format == "xlsx" { Format::Xlsx } else { Format::Csv };
    let l = |key: &str| crate::i18n::t(ctx.locale, key).to_owned();
    let example: Vec<String> = Column::ALL
        .iter()
        .map(|c| match c {
            Column::Name => l("import.example_name"),
            Column::Gender => l("gender.female"),
            Column::BirthDate => "1985-06-12".to_owned(),
            Column::Phone => "13800138000".to_owned(),
            Column::Email => "name@example.org".to_owned(),
            Column::Unit => l("import.example_unit"),
            Column::Post => l("import.example_post"),
            Column::PoliticalStatus => l("political_status.full"),
            Column::JoinedPartyOn => "2010-07-01".to_owned(),
            Column::FullMemberOn => "2011-07-01".to_owned(),
            Column::State => l("membership_state.active"),
            _ => String::new(),
        })
        .collect();
    file_response(format, ctx.locale, "members-template", &[example])
}

fn unprocessable(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn new_page(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    form: MemberForm,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let (units, groups) = unit_options(state, scope, None).await?;
    let page = MemberNewPage { ctx, form, units, groups, errors, choices: Choices };
    Ok(if page.errors.is_empty() { page.into_response() } else { unprocessable(page) })
}

async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let form = MemberForm { branch_id: params.branch, political_status: "full".into(), ..Default::default() };
    new_page(&state, ctx, &scope, form, FieldErrors::default()).await
}

/// Turns a refused change into the field it concerns, or passes it on.
fn field_of(e: MemberError) -> Result<FieldErrors, WebError> {
    Ok(match e {
        MemberError::EmailTaken => FieldErrors::single("email", "member.email_taken"),
        MemberError::PhoneTaken => FieldErrors::single("phone", "member.phone_taken"),
        MemberError::GroupNotOfBranch => FieldErrors::single("group_id", "member.group_not_of_branch"),
        MemberError::BranchUnavailable => FieldErrors::single("branch_id", "member.branch_unavailable"),
        MemberError::Forbidden => FieldErrors::single("branch_id", "member.branch_not_yours"),
        other => return Err(other.into()),
    })
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Form(form): Form<MemberForm>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let errors = match form.parse_new(state.today()) {
        Ok(new) => match service::create(&state.db, &scope, new, state.today(), state.now()).await {
            Ok(m) => {
                let flash = Flash::success(Msg::new("member.created").arg("name", &m.name));
                return Ok((flash, Redirect::to(&format!("/members/{}", m.id))).into_response());
            }
            Err(e) => field_of(e)?,
        },
        Err(errors) => errors,
    };
    new_page(&state, ctx, &scope, form, errors).await
}

async fn show_page(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    id: i64,
    errors: ChangeErrors,
) -> Result<Response, WebError> {
    let profile = service::profile(&state.db, scope, id).await?;
    if let Some(user) = &ctx.user {
        let m = &profile.member;
        user.viewed(state, Kind::MemberViewed, (m.id, &m.name, m.branch_id), &format!("/members/{id}")).await;
    }
    // Any open branch can receive a transfer, also outside the secretary's own.
    let transfer_targets = branches::service::transfer_targets(&state.db)
        .await?
        .into_iter()
        .filter(|b| b.id != profile.member.branch_id)
        .collect();
    let failed = !(errors.status.is_empty() && errors.transfer.is_empty() && errors.state.is_empty());
    let has_account = crate::accounts::service::member_has_account(&state.db, profile.member.id).await?;
    let today = state.today().to_string();
    let page = MemberShowPage { ctx, profile, transfer_targets, errors, today, choices: Choices, has_account };
    Ok(if failed { unprocessable(page) } else { page.into_response() })
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show_page(&state, ctx, &scope, id, ChangeErrors::default()).await
}

async fn edit_page(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    id: i64,
    form: Option<MemberForm>,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let member = service::get(&state.db, scope, id).await?;
    if let Some(user) = &ctx.user {
        let path = format!("/members/{id}/edit");
        user.viewed(state, Kind::MemberViewed, (member.id, &member.name, member.branch_id), &path).await;
    }
    let (_, groups) = unit_options(state, scope, Some(member.branch_id)).await?;
    let page = MemberEditPage {
        ctx,
        form: form.unwrap_or_else(|| MemberForm::from(&member)),
        member,
        errors,
        groups,
        choices: Choices,
    };
    Ok(if page.errors.is_empty() { page.into_response() } else { unprocessable(page) })
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    edit_page(&state, ctx, &scope, id, None, FieldErrors::default()).await
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<MemberForm>,
) -> Result<Response, WebError> {
    service::get(&state.db, &scope, id).await?;
    let errors = match form.parse_edit(state.today()) {
        Ok(profile) => match service::update(&state.db, &scope, id, profile, state.today(), state.now()).await {
            Ok(_) => {
                return Ok(
                    (Flash::success(Msg::new("member.saved")), Redirect::to(&format!("/members/{id}"))).into_response()
                );
            }
            Err(e) => field_of(e)?,
        },
        Err(errors) => errors,
    };
    edit_page(&state, ctx, &scope, id, Some(form), errors).await
}

/// The outcome of a dated change: back to the profile, or the profile with the form's errors.
async fn after_change(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    id: i64,
    result: Result<(), FieldErrors>,
    which: fn(&mut ChangeErrors) -> &mut FieldErrors,
) -> Result<Response, WebError> {
    match result {
        Ok(()) => Ok((Flash::success(Msg::new("member.change_recorded")), Redirect::to(&format!("/members/{id}")))
            .into_response()),
        Err(e) => {
            let mut errors = ChangeErrors::default();
            *which(&mut errors) = e;
            show_page(state, ctx, scope, id, errors).await
        }
    }
}

fn change_refusal(e: MemberError) -> Result<FieldErrors, WebError> {
    Ok(match e {
        MemberError::NoChange => FieldErrors::single("to", "member.no_change"),
        MemberError::SameBranch => FieldErrors::single("to", "member.same_branch"),
        MemberError::BranchUnavailable => FieldErrors::single("to", "member.branch_unavailable"),
        MemberError::BeforeCurrentPeriod => FieldErrors::single("effective_on", "member.before_current_period"),
        MemberError::ReasonRequired => FieldErrors::single("note", "member.reason_required"),
        other => return Err(other.into()),
    })
}

/// Parses a dated-change form, applies it, and says which field a refusal concerns.
async fn record_change<T>(
    state: &AppState,
    scope: &Scope,
    id: i64,
    form: &ChangeForm,
    parse: impl FnOnce(&str) -> Result<T, &'static str>,
    apply: impl AsyncFnOnce(Change<T>) -> Result<super::entity::member::Model, MemberError>,
) -> Result<Result<(), FieldErrors>, WebError> {
    service::get(&state.db, scope, id).await?;
    Ok(match form.parse(state.today(), parse) {
        Ok(change) => match apply(change).await {
            Ok(_) => Ok(()),
            Err(e) => Err(change_refusal(e)?),
        },
        Err(errors) => Err(errors),
    })
}

async fn change_status(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, WebError> {
    let apply = async |change| service::change_status(&state.db, &scope, id, change, state.now()).await;
    let result = record_change(&state, &scope, id, &form, parse_choice::<PoliticalStatus>, apply).await?;
    after_change(&state, ctx, &scope, id, result, |e| &mut e.status).await
}

async fn transfer(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, WebError> {
    let to_branch = |s: &str| parse_optional_id(s).and_then(|b| b.ok_or("field.required"));
    let apply = async |change| service::transfer(&state.db, &scope, id, change, state.now()).await;
    let result = record_change(&state, &scope, id, &form, to_branch, apply).await?;
    if result.is_ok() {
        // The member may now be outside the secretary's scope: go back to the list.
        let flash = Flash::success(Msg::new("member.transferred"));
        let target = if scope.is_all() { format!("/members/{id}") } else { "/members".to_owned() };
        return Ok((flash, Redirect::to(&target)).into_response());
    }
    after_change(&state, ctx, &scope, id, result, |e| &mut e.transfer).await
}

async fn change_state(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<ChangeForm>,
) -> Result<Response, WebError> {
    let apply = async |change| service::change_state(&state.db, &scope, id, change, state.now()).await;
    let result = record_change(&state, &scope, id, &form, parse_choice::<MembershipState>, apply).await?;
    after_change(&state, ctx, &scope, id, result, |e| &mut e.state).await
}

async fn import_page(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    mut page: ImportPageParts,
) -> Result<Response, WebError> {
    let (units, _) = unit_options(state, scope, None).await?;
    if page.branch_id.is_empty() && units.len() == 1 {
        page.branch_id = units[0].id.to_string();
    }
    let failed = page.file_error.is_some() || !page.row_errors.is_empty();
    let view = ImportPage {
        ctx,
        units,
        branch_id: page.branch_id,
        file_error: page.file_error,
        row_errors: page.row_errors,
        report: page.report,
    };
    Ok(if failed { unprocessable(view) } else { view.into_response() })
}

#[derive(Default)]
struct ImportPageParts {
    branch_id: String,
    file_error: Option<Msg>,
    row_errors: Vec<import::RowError>,
    report: Option<import::ImportReport>,
}

async fn import_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    import_page(&state, ctx, &scope, ImportPageParts::default()).await
}

/// Reads the upload form: the branch and the file (name and bytes).
async fn read_upload(multipart: &mut Multipart) -> Result<(String, Option<(String, Vec<u8>)>), Msg> {
    let mut branch_id = String::new();
    let mut file = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(table::SheetError::TooLarge.msg()),
            Err(_) => return Err(Msg::new("import.file_unreadable")),
        };
        match field.name() {
            Some("branch_id") => branch_id = field.text().await.map_err(|_| Msg::new("import.file_unreadable"))?,
            Some("file") => {
                let name = field.file_name().unwrap_or_default().to_owned();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        table::SheetError::TooLarge.msg()
                    } else {
                        Msg::new("import.file_unreadable")
                    }
                })?;
                file = Some((name, bytes.to_vec()));
            }
            _ => {}
        }
    }
    Ok((branch_id, file))
}

async fn import_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    // Permission first: a forbidden caller learns nothing from how the upload was malformed.
    scope.require_manager()?;
    let mut multipart = multipart.map_err(|_| WebError::BadRequest)?;
    let mut parts = ImportPageParts::default();
    let (branch_id, file) = match read_upload(&mut multipart).await {
        Ok(upload) => upload,
        Err(msg) => {
            parts.file_error = Some(msg);
            return import_page(&state, ctx, &scope, parts).await;
        }
    };
    parts.branch_id = branch_id.clone();
    let Some(branch) = parse_optional_id(&branch_id).ok().flatten() else {
        parts.file_error = Some(Msg::new("import.choose_branch"));
        return import_page(&state, ctx, &scope, parts).await;
    };
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        parts.file_error = Some(Msg::new("import.choose_file"));
        return import_page(&state, ctx, &scope, parts).await;
    };
    let Some(format) = Format::of_file_name(&name) else {
        parts.file_error = Some(Msg::new("import.file_type"));
        return import_page(&state, ctx, &scope, parts).await;
    };
    let sheet = match table::read(&bytes, format) {
        Ok(sheet) => sheet,
        Err(e) => {
            parts.file_error = Some(e.msg());
            return import_page(&state, ctx, &scope, parts).await;
        }
    };
    match import::import(&state.db, &scope, branch, &sheet, state.today(), state.now()).await {
        Ok(report) => {
            let rows = report.created + report.updated + report.unchanged;
            let entry = user.audit(Kind::MembersImported, state.now()).branch(Some(branch)).detail(&name);
            state.audit.record(entry.file(format.extension(), rows)).await;
            parts.report = Some(report);
        }
        Err(ImportError::Rows(errors)) => parts.row_errors = errors,
        Err(ImportError::Branch) => parts.file_error = Some(Msg::new("import.branch_unavailable")),
        Err(ImportError::Member(e)) => return Err(e.into()),
        Err(ImportError::Db(e)) => return Err(e.into()),
    }
    import_page(&state, ctx, &scope, parts).await
}

/// A member's own record: read it, and change their phone, email and language.
async fn own_page(
    state: &AppState,
    ctx: Ctx,
    user: &CurrentUser,
    form: Option<OwnContactForm>,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let (member, branch_name) = match service::own_with_branch(&state.db, &user.actor()).await? {
        Some((m, b)) => (Some(m), b.map(|b| b.name).unwrap_or_default()),
        None => (None, String::new()),
    };
    let form = form.unwrap_or_else(|| OwnContactForm {
        phone: member.as_ref().and_then(|m| m.phone.clone()).unwrap_or_default(),
        email: member.as_ref().and_then(|m| m.email.clone()).unwrap_or_default(),
        locale: member.as_ref().and_then(|m| m.locale.clone()).unwrap_or_default(),
    });
    let waiting_email = match &member {
        Some(m) => service::email::waiting(&state.db, m.id, state.now()).await?,
        None => None,
    };
    let page = OwnMemberPage { ctx, member, branch_name, form, errors, waiting_email };
    Ok(if page.errors.is_empty() { page.into_response() } else { unprocessable(page) })
}

async fn own(State(state): State<AppState>, ctx: Ctx, User(user): User) -> Result<Response, WebError> {
    own_page(&state, ctx, &user, None, FieldErrors::default()).await
}

async fn update_own(
    State(state): State<AppState>,
    ctx: Ctx,
    Authenticated(user): Authenticated,
    Form(form): Form<OwnContactForm>,
) -> Result<Response, WebError> {
    let errors = match form.parse() {
        Ok(contact) => match service::update_own_contact(&state.db, &user.actor(), contact, state.now()).await {
            Ok((_, None)) => {
                return Ok((Flash::success(Msg::new("member.own_saved")), Redirect::to("/me")).into_response());
            }
            Ok((_, Some(new))) => {
                let said = Flash::info(Msg::new("member.email_confirm_sent").arg("email", new));
                return Ok((said, Redirect::to("/me")).into_response());
            }
            Err(MemberError::NotFound) => return Err(WebError::NotFound),
            Err(e) => field_of(e)?,
        },
        Err(errors) => errors,
    };
    own_page(&state, ctx, &user, Some(form), errors).await
}

/// The link sent to a new address: a button confirms it (a mail scanner's visit changes nothing).
async fn email_form(State(state): State<AppState>, ctx: Ctx, Path(token): Path<String>) -> Result<Response, WebError> {
    use service::email::ConfirmError;
    match service::email::pending(&state.db, &token, state.now()).await {
        Ok(email) => Ok(EmailConfirmPage { ctx, token, email, outcome: "pending" }.into_response()),
        Err(ConfirmError::Gone | ConfirmError::Taken) => Ok(email_ended(ctx, "gone")),
        Err(ConfirmError::Db(e)) => Err(e.into()),
    }
}

fn email_ended(ctx: Ctx, outcome: &'static str) -> Response {
    let status = if outcome == "taken" { StatusCode::CONFLICT } else { StatusCode::GONE };
    (status, EmailConfirmPage { ctx, token: String::new(), email: String::new(), outcome }).into_response()
}

async fn confirm_email(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    use service::email::ConfirmError;
    match crate::accounts::service::confirm_member_email(&state.db, &token, state.now()).await {
        Ok(m) => {
            let email = m.email.unwrap_or_default();
            Ok(EmailConfirmPage { ctx, token: String::new(), email, outcome: "done" }.into_response())
        }
        Err(ConfirmError::Gone) => Ok(email_ended(ctx, "gone")),
        Err(ConfirmError::Taken) => Ok(email_ended(ctx, "taken")),
        Err(ConfirmError::Db(e)) => Err(e.into()),
    }
}

/// How this domain's refusals reach the person: the web error (and translated message) of each.
impl From<MemberError> for WebError {
    fn from(e: MemberError) -> Self {
        use crate::members::MemberError as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden => WebError::Forbidden,
            E::EmailTaken => WebError::Conflict(Msg::new("member.email_taken")),
            E::PhoneTaken => WebError::Conflict(Msg::new("member.phone_taken")),
            E::GroupNotOfBranch => WebError::Conflict(Msg::new("member.group_not_of_branch")),
            E::BranchUnavailable => WebError::Conflict(Msg::new("member.branch_unavailable")),
            E::SameBranch => WebError::Conflict(Msg::new("member.same_branch")),
            E::BeforeCurrentPeriod => WebError::Conflict(Msg::new("member.before_current_period")),
            E::ReasonRequired => WebError::Conflict(Msg::new("member.reason_required")),
            E::NoChange => WebError::Conflict(Msg::new("member.no_change")),
            E::Db(e) => e.into(),
        }
    }
}
