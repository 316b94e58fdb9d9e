//! Events: party-day activities with agenda, guests, co-organisers, audience and monthly series;
//! their lists, calendar and iCalendar output.
pub mod entity;
pub mod format;
pub mod handlers;
pub mod rules;
pub mod service;
pub mod views;

pub use handlers::router;
pub use service::EventError;
