//! HTTP handlers of the branches domain.
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde::Deserialize;

use super::{
    rules::{AppointmentForm, BranchForm},
    service::{self, BranchError, Scope},
    views::*,
};
use crate::forms::{parse_date, parse_optional_id};
use crate::{
    forms::FieldErrors,
    i18n::Msg,
    members,
    state::AppState,
    web::{Ctx, Flash, Scoped, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/branches", get(list).post(create))
        .route("/branches/new", get(new_form))
        .route("/branches/{id}", get(show).post(update))
        .route("/branches/{id}/move", post(move_to))
        .route("/branches/{id}/close", get(close_form).post(close))
        .route("/branches/{id}/reopen", post(reopen))
        .route("/branches/{id}/delete", get(delete_form).post(delete))
        .route("/branches/{id}/officers", post(appoint))
        .route("/branches/{id}/officers/{term}/end", post(end_term))
        .route("/branches/{id}/roster", get(roster))
}

fn back_to(id: i64) -> Redirect {
    Redirect::to(&format!("/branches/{id}"))
}

async fn list(State(state): State<AppState>, ctx: Ctx, Scoped { scope, .. }: Scoped) -> Result<Response, WebError> {
    scope.require_manager()?;
    let rows = service::tree(&state.db, &scope).await?;
    Ok(BranchesListPage { ctx, rows, can_create: scope.is_all() }.into_response())
}

async fn new_page(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    form: BranchForm,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let parents = service::tree(&state.db, scope).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, BranchNewPage { ctx, form, errors, parents }).into_response())
}

async fn new_form(State(state): State<AppState>, ctx: Ctx, Scoped { scope, .. }: Scoped) -> Result<Response, WebError> {
    if !scope.is_all() {
        return Err(WebError::Forbidden);
    }
    let form =
        BranchForm { kind: "branch".into(), timezone: state.settings.timezone.name().to_owned(), ..Default::default() };
    new_page(&state, ctx, &scope, form, FieldErrors::default()).await
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Form(form): Form<BranchForm>,
) -> Result<Response, WebError> {
    if !scope.is_all() {
        return Err(WebError::Forbidden);
    }
    let (kind, parent, data) = match form.parse_new() {
        Ok(parsed) => parsed,
        Err(errors) => return new_page(&state, ctx, &scope, form, errors).await,
    };
    let field_error = match service::create(&state.db, &scope, kind, parent, data, state.now())
        .await
        .inspect(|_| state.units.invalidate())
    {
        Ok(b) => {
            let flash = Flash::success(Msg::new("branch.created").arg("name", &b.name));
            return Ok((flash, back_to(b.id)).into_response());
        }
        Err(BranchError::CodeTaken) => FieldErrors::single("code", "branch.code_taken"),
        Err(BranchError::BadPlacement) => FieldErrors::single("parent_id", "branch.bad_placement"),
        Err(BranchError::Closed) => FieldErrors::single("parent_id", "branch.closed_error"),
        Err(e) => return Err(e.into()),
    };
    new_page(&state, ctx, &scope, form, field_error).await
}

fn form_of(b: &super::entity::branch::Model) -> BranchForm {
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    BranchForm {
        kind: b.kind.as_str().to_owned(),
        parent_id: b.parent_id.map(|p| p.to_string()).unwrap_or_default(),
        name: b.name.clone(),
        code: b.code.clone(),
        timezone: b.timezone.clone(),
        contact_person: text(&b.contact_person),
        contact_phone: text(&b.contact_phone),
        contact_email: text(&b.contact_email),
        address: text(&b.address),
        report_author: text(&b.report_author),
        locale: text(&b.locale),
    }
}

/// Form state of the unit page when one of its forms is re-rendered with errors.
#[derive(Default)]
struct ShowErrors {
    form: Option<BranchForm>,
    edit: FieldErrors,
    moving: FieldErrors,
    appoint: FieldErrors,
}

async fn show_page(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    id: i64,
    errors: ShowErrors,
) -> Result<Response, WebError> {
    let branch = service::get(&state.db, scope, id).await?;
    let tree = service::tree(&state.db, scope).await?;
    let parent = tree.iter().find(|r| Some(r.branch.id) == branch.parent_id).map(|r| r.branch.clone());
    let children = tree.iter().filter(|r| r.branch.parent_id == Some(id)).map(|r| r.branch.clone()).collect();
    let officers =
        service::officers(&state.db, scope, id, |ids| async move { members::service::names(&state.db, &ids).await })
            .await?;
    let candidates = members::service::of_unit(&state.db, scope, &branch).await?;
    let failed = !(errors.edit.is_empty() && errors.moving.is_empty() && errors.appoint.is_empty());
    let accounts = crate::accounts::service::welcome::counts(&state.db, id, state.now()).await?;
    let page = BranchShowPage {
        accounts,
        form: errors.form.unwrap_or_else(|| form_of(&branch)),
        is_admin: scope.is_all(),
        move_targets: if scope.is_all() { tree } else { Vec::new() },
        branch,
        parent,
        children,
        errors: errors.edit,
        move_errors: errors.moving,
        officers,
        candidates,
        appoint_errors: errors.appoint,
        today: state.today().to_string(),
        ctx,
    };
    Ok((if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, page).into_response())
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    show_page(&state, ctx, &scope, id, ShowErrors::default()).await
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<BranchForm>,
) -> Result<Response, WebError> {
    service::get(&state.db, &scope, id).await?;
    if !scope.is_all() {
        return Err(WebError::Forbidden);
    }
    let edit = match form.parse_edit() {
        Ok(data) => {
            match service::update(&state.db, &scope, id, data, state.now()).await.inspect(|_| state.units.invalidate())
            {
                Ok(_) => return Ok((Flash::success(Msg::new("branch.saved")), back_to(id)).into_response()),
                Err(BranchError::CodeTaken) => FieldErrors::single("code", "branch.code_taken"),
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    show_page(&state, ctx, &scope, id, ShowErrors { form: Some(form), edit, ..Default::default() }).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MoveForm {
    parent_id: String,
}

async fn move_to(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<MoveForm>,
) -> Result<Response, WebError> {
    service::get(&state.db, &scope, id).await?;
    if !scope.is_all() {
        return Err(WebError::Forbidden);
    }
    let moving = match parse_optional_id(&form.parent_id) {
        Ok(parent) => match service::move_to(&state.db, &scope, id, parent, state.now())
            .await
            .inspect(|_| state.units.invalidate())
        {
            Ok(_) => return Ok((Flash::success(Msg::new("branch.moved")), back_to(id)).into_response()),
            Err(BranchError::UnderOwnDescendant) => FieldErrors::single("parent_id", "branch.under_own_descendant"),
            Err(BranchError::BadPlacement) => FieldErrors::single("parent_id", "branch.bad_placement"),
            Err(BranchError::Closed) => FieldErrors::single("parent_id", "branch.closed_error"),
            Err(e) => return Err(e.into()),
        },
        Err(key) => FieldErrors::single("parent_id", key),
    };
    show_page(&state, ctx, &scope, id, ShowErrors { moving, ..Default::default() }).await
}

async fn confirm(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    id: i64,
    action: &'static str,
) -> Result<Response, WebError> {
    let branch = service::get(&state.db, scope, id).await?;
    if !scope.is_all() {
        return Err(WebError::Forbidden);
    }
    Ok(BranchConfirmPage { ctx, branch, action }.into_response())
}

async fn close_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    confirm(&state, ctx, &scope, id, "close").await
}

async fn delete_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    confirm(&state, ctx, &scope, id, "delete").await
}

/// Refusals that leave the unit as it was come back as a message on its page.
fn refused(id: i64, e: BranchError) -> Result<Response, WebError> {
    let key = match e {
        BranchError::HasMembers => "branch.has_members",
        BranchError::HasOpenChildren => "branch.has_open_children",
        BranchError::HasHistory => "branch.has_history",
        BranchError::Closed => "branch.closed_error",
        BranchError::BadPlacement => "branch.bad_placement",
        other => return Err(other.into()),
    };
    Ok((Flash::error(Msg::new(key)), back_to(id)).into_response())
}

async fn close(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    service::get(&state.db, &scope, id).await?;
    match service::close(&state.db, &scope, id, members::service::held_in, state.now())
        .await
        .inspect(|_| state.units.invalidate())
    {
        Ok(b) => Ok((Flash::success(Msg::new("branch.closed_done").arg("name", &b.name)), back_to(id)).into_response()),
        Err(e) => refused(id, e),
    }
}

async fn reopen(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    service::get(&state.db, &scope, id).await?;
    match service::reopen(&state.db, &scope, id, state.now()).await.inspect(|_| state.units.invalidate()) {
        Ok(b) => Ok((Flash::success(Msg::new("branch.reopened").arg("name", &b.name)), back_to(id)).into_response()),
        Err(e) => refused(id, e),
    }
}

async fn delete(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let branch = service::get(&state.db, &scope, id).await?;
    match service::delete(&state.db, &scope, id, members::service::held_in).await.inspect(|_| state.units.invalidate())
    {
        Ok(()) => Ok((Flash::success(Msg::new("branch.deleted").arg("name", &branch.name)), Redirect::to("/branches"))
            .into_response()),
        Err(e) => refused(id, e),
    }
}

async fn appoint(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<AppointmentForm>,
) -> Result<Response, WebError> {
    service::get(&state.db, &scope, id).await?;
    let appoint = match form.parse() {
        Ok(a) => match service::appoint(
            &state.db,
            &scope,
            id,
            a.clone(),
            members::service::placement(&state.db, a.member_id).await?,
            state.now(),
        )
        .await
        {
            Ok(_) => return Ok((Flash::success(Msg::new("officer.appointed")), back_to(id)).into_response()),
            Err(BranchError::MemberNotHere) => FieldErrors::single("member_id", "officer.member_not_here"),
            Err(BranchError::RoleDoesNotFit) => FieldErrors::single("role", "officer.role_does_not_fit"),
            Err(BranchError::Closed) => FieldErrors::single("member_id", "branch.closed_error"),
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    show_page(&state, ctx, &scope, id, ShowErrors { appoint, ..Default::default() }).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EndTermForm {
    until_on: String,
}

async fn end_term(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, term)): Path<(i64, i64)>,
    Form(form): Form<EndTermForm>,
) -> Result<Response, WebError> {
    service::get(&state.db, &scope, id).await?;
    let flash = match parse_date(&form.until_on) {
        Ok(Some(on)) => match service::end_term(&state.db, &scope, id, term, on).await {
            Ok(_) => Flash::success(Msg::new("officer.term_ended")),
            Err(BranchError::EndBeforeStart) => Flash::error(Msg::new("officer.until_before_from")),
            Err(e) => return Err(e.into()),
        },
        Ok(None) => Flash::error(Msg::new("officer.end_date_required")),
        Err(key) => Flash::error(Msg::new(key)),
    };
    Ok((flash, back_to(id)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RosterQuery {
    on: String,
}

async fn roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(q): Query<RosterQuery>,
) -> Result<Response, WebError> {
    let branch = service::get(&state.db, &scope, id).await?;
    let (day, error) = match parse_date(&q.on) {
        Ok(Some(d)) => (d, None),
        Ok(None) => (state.today(), None),
        Err(key) => (state.today(), Some(Msg::new(key))),
    };
    let members =
        if error.is_some() { Vec::new() } else { members::service::roster_on(&state.db, &scope, id, day).await? };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((
        status,
        BranchRosterPage { ctx, branch, on: if error.is_some() { q.on } else { day.to_string() }, members, error },
    )
        .into_response())
}

/// How this domain's refusals reach the person: the web error (and translated message) of each.
impl From<BranchError> for WebError {
    fn from(e: BranchError) -> Self {
        use crate::branches::BranchError as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden => WebError::Forbidden,
            E::CodeTaken => WebError::Conflict(Msg::new("branch.code_taken")),
            E::BadPlacement => WebError::Conflict(Msg::new("branch.bad_placement")),
            E::UnderOwnDescendant => WebError::Conflict(Msg::new("branch.under_own_descendant")),
            E::Closed => WebError::Conflict(Msg::new("branch.closed_error")),
            E::HasMembers => WebError::Conflict(Msg::new("branch.has_members")),
            E::HasOpenChildren => WebError::Conflict(Msg::new("branch.has_open_children")),
            E::HasHistory => WebError::Conflict(Msg::new("branch.has_history")),
            E::MemberNotHere => WebError::Conflict(Msg::new("officer.member_not_here")),
            E::RoleDoesNotFit => WebError::Conflict(Msg::new("officer.role_does_not_fit")),
            E::EndBeforeStart => WebError::Conflict(Msg::new("officer.until_before_from")),
            E::Db(e) => e.into(),
        }
    }
}
