//! Events: party-day activities with agenda, guests, co-organisers, audience and monthly series;
//! their lists, calendar and iCalendar output.
pub mod calendar;
pub mod entity;
pub mod feeds;
pub mod handlers;
pub mod ical;
pub mod list;
pub mod rules;
pub mod series;
pub mod service;
mod views;


/// Every route of the events domain.
pub fn router() -> axum::Router<crate::app::AppState> {
    handlers::router().merge(calendar::router())
}
pub use service::EventError;
