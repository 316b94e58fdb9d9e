//! Minutes (会议记录): the record of a meeting built from the event and its attendance, written
//! by the recorder, signed by host and recorder, locked, amended with reasons, printed.
pub mod entity;
mod handlers;
pub mod rules;
pub mod service;
mod views;

pub use handlers::{event_section, router};
pub use service::MinutesError;
pub use service::mail_document;
