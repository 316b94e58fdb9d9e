//! The administrators' view of the outbox across the association.
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Router,
    extract::{Query, State},
    response::{IntoResponse, Response},
    routing::get,
};
use sea_orm::{QueryFilter, QueryOrder, QuerySelect, entity::prelude::*};

use super::entity::outbox;
use crate::{
    accounts::Role,
    app::AppState,
    web::{Ctx, User, WebError},
};

const PER_PAGE: u64 = 50;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/mail", get(list))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct MailParams {
    pub state: String,
    pub before: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "mail/outbox.html")]
pub struct OutboxPage {
    pub ctx: Ctx,
    pub params: MailParams,
    pub rows: Vec<outbox::Model>,
    pub next: Option<i64>,
}

impl OutboxPage {
    pub const STATES: [&'static str; 3] = ["queued", "sent", "failed"];
}

/// Newest first, 50 a page, optionally one state.
async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Query(params): Query<MailParams>,
) -> Result<Response, WebError> {
    if user.role != Role::Admin {
        return Err(WebError::Forbidden);
    }
    let mut select = outbox::Entity::find();
    if OutboxPage::STATES.contains(&params.state.as_str()) {
        select = select.filter(outbox::Column::State.eq(params.state.clone()));
    }
    if let Ok(before) = params.before.parse::<i64>() {
        select = select.filter(outbox::Column::Id.lt(before));
    }
    let mut rows = select.order_by_desc(outbox::Column::Id).limit(PER_PAGE + 1).all(&state.db).await?;
    let next = (rows.len() as u64 > PER_PAGE).then(|| rows[PER_PAGE as usize - 1].id);
    rows.truncate(PER_PAGE as usize);
    Ok(OutboxPage { ctx, params, rows, next }.into_response())
}
