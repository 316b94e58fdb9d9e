//! The administrators' view of the outbox across the association.
use axum::{
    Router,
    extract::{Query, State},
    response::{IntoResponse, Response},
    routing::get,
};
use sea_orm::ActiveEnum;

use super::views::{MailParams, OutboxPage};
use crate::{
    state::AppState,
    web::{Ctx, User, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/mail", get(list))
}

/// Newest first, 50 a page, optionally one state.
async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Query(params): Query<MailParams>,
) -> Result<Response, WebError> {
    let only = <crate::outbox::State as ActiveEnum>::try_from_value(&params.state).ok();
    let before = params.before.parse::<i64>().ok();
    let (rows, next) =
        super::service::page(&state.db, &user.actor(), only, before).await?.ok_or(WebError::Forbidden)?;
    Ok(OutboxPage { ctx, params, rows, next }.into_response())
}
