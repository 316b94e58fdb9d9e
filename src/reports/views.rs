//! Page structs of the reports domain.
use askama::Template;
use askama_web::WebTemplate;

use super::{
    entity::report,
    rules::{EditForm, LogKind, Part, ReportState},
    service::PhotoRow,
    service::public::{Card, Choices, Filter},
};
use crate::{forms::FieldErrors, markdown, web::Ctx};

/// A post as its reader sees it, as HTML: the lead (plain text, stored once) as its first
/// paragraphs, then the body's Markdown.
pub fn post_html(lead: &str, body: &str) -> String {
    let mut out = String::new();
    for p in lead.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push_str("<p class=\"lead\">");
        for c in p.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                '\n' => out.push_str("<br>"),
                c => out.push(c),
            }
        }
        out.push_str("</p>\n");
    }
    out.push_str(&markdown::render(body));
    out
}

/// One line of a report's log.
#[derive(Clone)]
pub struct LogRow {
    pub at: String,
    pub who: String,
    pub kind: LogKind,
    pub note: Option<String>,
}

/// A report as its writers see it, with its photos, the review's steps and its log.
#[derive(Template, WebTemplate)]
#[template(path = "reports/show.html")]
pub struct ReportPage {
    pub ctx: Ctx,
    pub event_id: i64,
    pub event_title: String,
    pub report: report::Model,
    /// The body as HTML (raw HTML in it shown as text).
    pub body: String,
    pub photos: Vec<PhotoRow>,
    pub log: Vec<LogRow>,
    /// The review's last step when it sent the report back: shown at the top with its comment.
    pub returned: Option<LogRow>,
    pub may_edit: bool,
    pub may_submit: bool,
    pub may_return: bool,
    pub may_publish: bool,
    pub may_withdraw: bool,
    /// Whether an administrator reviews (else the secretary publishes directly).
    pub reviewed: bool,
    /// What a regeneration from the signed minutes would change.
    pub regeneration: Vec<Part>,
    /// A published report's changes waiting for its publisher (the public post shows the
    /// published version until then).
    pub waiting: Vec<Part>,
    pub errors: FieldErrors,
}

impl ReportPage {
    fn is_cover(&self, photo: &i64) -> bool {
        self.report.cover_photo_id == Some(*photo)
    }

    fn part_label(&self, field: &str) -> &'static str {
        match field {
            "title" => "report.field_title",
            "summary" => "report.field_summary",
            _ => "report.field_body",
        }
    }
}

/// The edit form, with its preview or a refused save.
#[derive(Template, WebTemplate)]
#[template(path = "reports/edit.html")]
pub struct EditPage {
    pub ctx: Ctx,
    pub event_id: i64,
    pub event_title: String,
    pub form: EditForm,
    pub errors: FieldErrors,
    /// The body rendered, when previewing.
    pub preview: Option<String>,
    /// The title and body saved meanwhile by someone else (a refused stale save).
    pub saved_now: Option<String>,
}

/// The event page's section on its report.
#[derive(Template)]
#[template(path = "reports/event_section.html")]
pub struct EventSection<'a> {
    pub ctx: &'a Ctx,
    pub event_id: i64,
    pub state: ReportState,
}

/// The public list.
#[derive(Template, WebTemplate)]
#[template(path = "reports/activities.html")]
pub struct ActivitiesPage {
    pub ctx: Ctx,
    pub cards: Vec<Card>,
    /// Query strings of the next page and of the first (when not on it).
    pub next: Option<String>,
    pub first: Option<String>,
    pub choices: std::sync::Arc<Choices>,
    pub filter: Filter,
    pub base_url: String,
}

impl ActivitiesPage {
    fn branch_is(&self, id: &i64) -> bool {
        self.filter.branch == Some(*id)
    }

    fn year_is(&self, year: &i32) -> bool {
        self.filter.year == Some(*year)
    }

    fn excerpt(&self, text: &str) -> String {
        super::rules::excerpt(text, 120)
    }
}

/// One published report.
#[derive(Template, WebTemplate)]
#[template(path = "reports/activity.html")]
pub struct ActivityPage {
    pub ctx: Ctx,
    pub report: report::Model,
    pub body: String,
    /// The summary on one line, for search engines and chat previews.
    pub description: String,
    pub photos: Vec<PhotoRow>,
    pub base_url: String,
}

pub struct FeedEntry {
    pub id: i64,
    pub title: String,
    pub author: Option<String>,
    pub published: String,
    pub updated: String,
    pub summary: String,
    /// HTML, escaped once more by the template as Atom's type="html" wants.
    pub content: String,
}

#[derive(Template)]
#[template(path = "reports/feed.xml")]
pub struct Feed<'a> {
    pub ctx: &'a Ctx,
    pub base: String,
    pub updated: String,
    pub entries: Vec<FeedEntry>,
}
