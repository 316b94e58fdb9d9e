//! Page structs of the mail domain, and the messages themselves.
pub mod message;

use askama::Template;
use askama_web::WebTemplate;

use crate::outbox::entity::outbox;
use crate::web::Ctx;

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
