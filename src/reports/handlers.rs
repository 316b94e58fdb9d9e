//! HTTP handlers of the reports domain: the report of an event, as drafted.
use axum::{
    Router,
    extract::{Path, State},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    service::{self, ReportError},
    views::{EventSection, ReportPage},
};
use crate::{
    app::AppState,
    branches::Scope,
    events::service as events,
    web::{Ctx, Scoped, WebError, markdown},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/events/{id}/report", get(show))
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (loaded, report) = service::open(&state.db, &scope, id).await?;
    let body = markdown::render(&report.body);
    Ok(ReportPage { ctx, event_id: id, event_title: loaded.event.title, report, body }.into_response())
}

/// [`crate::app::EventSections`] for reports: the report's state and a link, for its writers.
pub fn event_section<'a>(
    state: &'a AppState,
    ctx: &'a Ctx,
    _scope: &'a Scope,
    loaded: &'a events::Loaded,
) -> crate::db::BoxFuture<'a, Result<String, WebError>> {
    Box::pin(async move {
        let Some(report_state) = service::status(&state.db, loaded).await? else { return Ok(String::new()) };
        let section = EventSection { ctx, event_id: loaded.event.id, state: report_state };
        askama::Template::render(&section).map_err(|e| WebError::Internal(e.into()))
    })
}

/// How this domain's refusals reach the person.
impl From<ReportError> for WebError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::NotFound => WebError::NotFound,
            ReportError::Db(e) => e.into(),
        }
    }
}
