//! Answering an invitation (and checking in) from the email's link, without logging in. Opening the link changes
//! nothing (mail scanners follow links): the page shows the event and asks for a confirming POST.
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono_tz::Tz;

use crate::attendance::{
    rules::{Choose, Method},
    service::{self as attendance, By},
    views::*,
};
use crate::{
    events::{
        entity::{event, invitation},
        rules::EventState,
        service::still_reached,
    },
    forms::FieldErrors,
    i18n::Msg,
    invitations::{Answer, Role},
    state::AppState,
    web::{Ctx, Flash, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/answer/{token}", get(show).post(answer)).route("/answer/{token}/checkin", post(check_in))
}

/// The invitation and event a link opens, or why it cannot be used.
async fn open(state: &AppState, token: &str) -> Result<(invitation::Model, event::Model), WebError> {
    let (inv, e) = attendance::by_token(&state.db, token).await?.ok_or(WebError::NotFound)?;
    // Invited as a member: only while still in the audience (not after a transfer or leaving).
    if let Some(member_id) = inv.member_id.filter(|_| inv.role == Role::Member)
        && !still_reached(&state.db, &e, member_id).await?
    {
        return Err(WebError::NotFound);
    }
    match e.state {
        EventState::Draft => Err(WebError::NotFound),
        EventState::Cancelled => Err(WebError::Conflict(Msg::new("answer.cancelled"))),
        _ if e.ends_at <= state.now() => Err(WebError::Conflict(Msg::new("answer.ended"))),
        _ => Ok((inv, e)),
    }
}

async fn page(
    state: &AppState,
    ctx: Ctx,
    (token, choice): (String, String),
    (inv, e): (invitation::Model, event::Model),
    reason: String,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let tz: Tz = crate::branches::service::zone_of(&state.db, e.branch_id).await?;
    let open = state.now() < attendance::closes_at(&e);
    let window = state.settings.config.attendance.window();
    let checkin = window.is_open(&e, state.now()) && inv.checked_in_at.is_none();
    let failed = !errors.is_empty();
    let guest = inv.member_id.is_none();
    let choice = match choice.as_str() {
        "accept" | "decline" => choice,
        "leave" if !guest => choice,
        _ => String::new(),
    };
    let (organiser, host, agenda) = attendance::page_facts(&state.db, &e).await?;
    let page = AnswerPage {
        ctx,
        token,
        choice,
        invitation: inv,
        event: e,
        tz,
        open,
        checkin,
        reason,
        errors,
        organiser,
        host,
        agenda,
    };
    Ok(if failed { (StatusCode::UNPROCESSABLE_ENTITY, page).into_response() } else { page.into_response() })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowParams {
    /// The answer the email's link stands for: accept, decline or leave.
    a: String,
}

/// The email's links (one per answer) open this page with that answer ready to confirm.
async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Query(params): Query<ShowParams>,
) -> Result<Response, WebError> {
    let opened = open(&state, &token).await?;
    page(&state, ctx, (token, params.a), opened, String::new(), FieldErrors::default()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AnswerForm {
    answer: String,
    reason: String,
}

async fn answer(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(token): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, WebError> {
    let (inv, e) = open(&state, &token).await?;
    let choice = match Choose::from_form(&form.answer, &form.reason) {
        Ok(Some(c)) => c,
        Ok(None) => return Err(WebError::BadRequest),
        Err(key) => {
            let errors = FieldErrors::single("reason", key);
            return page(&state, ctx, (token, "leave".to_owned()), (inv, e), form.reason, errors).await;
        }
    };
    let given = attendance::answer(&state.writer, (e.id, inv.id), choice, By::Invitee, state.now()).await?;
    let msg = if given == Answer::Waitlisted { "answer.waitlisted" } else { "answer.saved" };
    Ok((Flash::success(Msg::new(msg)), Redirect::to(&format!("/answer/{token}"))).into_response())
}

/// A guest (or member) checks in with their invitation link while check-in is open.
async fn check_in(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, WebError> {
    let (inv, e) = open(&state, &token).await?;
    let window = state.settings.config.attendance.window();
    attendance::check_in(&state.writer, (e.id, inv.id), Method::Link, window, state.now()).await?;
    Ok((Flash::success(Msg::new("checkin.done")), Redirect::to(&format!("/answer/{token}"))).into_response())
}
