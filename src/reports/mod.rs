//! Activity reports (活动报道): the post a branch publishes on its association's Activities page
//! after a party day or a conference. So far: the draft's words (`rules::draft`), the table, the
//! event clock's pass that drafts a report for each ended event that publishes, and the draft's
//! page for its writers.
pub mod entity;
mod handlers;
pub mod rules;
pub mod service;
mod views;

pub use handlers::{event_section, router};
