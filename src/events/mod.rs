//! Events: party-day activities with agenda, guests, co-organisers, audience and monthly series;
//! their lists, calendar and iCalendar output.
pub mod entity;
pub mod feeds;
pub mod handlers;
pub mod ical;
pub mod list;
pub mod rules;
pub mod series;
pub mod service;
mod views;

pub use handlers::router;
pub use service::EventError;
