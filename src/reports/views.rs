//! Page structs of the reports domain.
use askama::Template;
use askama_web::WebTemplate;

use super::{entity::report, rules::ReportState};
use crate::web::Ctx;

/// A report as its writers see it.
#[derive(Template, WebTemplate)]
#[template(path = "reports/show.html")]
pub struct ReportPage {
    pub ctx: Ctx,
    pub event_id: i64,
    pub event_title: String,
    pub report: report::Model,
    /// The body as HTML (raw HTML in it shown as text).
    pub body: String,
}

/// The event page's section on its report.
#[derive(Template)]
#[template(path = "reports/event_section.html")]
pub struct EventSection<'a> {
    pub ctx: &'a Ctx,
    pub event_id: i64,
    pub state: ReportState,
}
