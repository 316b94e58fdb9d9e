//! Activity reports (活动报道): the post a branch publishes on its association's Activities page
//! after a party day or a conference. The event clock drafts one when an event ends (`service::
//! draft_due`, its words from `rules::draft`); its secretaries edit it and add photos; it is
//! reviewed and published (or withdrawn); the public page, the report and the Atom feed need no
//! login (`handlers::public`, reading `service::public`).
pub mod entity;
mod handlers;
pub mod photos;
pub mod rules;
pub mod service;
mod views;

pub use handlers::{event_section, router};
