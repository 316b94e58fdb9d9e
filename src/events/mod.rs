//! Events: party-day activities with agenda, guests, co-organisers, audience and monthly series;
//! their lists, calendar and iCalendar output.
pub mod attachments;
pub mod calendar;
pub mod entity;
pub mod feeds;
pub mod handlers;
pub mod ical;
pub mod list;
pub mod recurring;
pub mod rules;
pub mod series;
mod series_pages;
pub mod service;
pub mod views;

/// Every route of the events domain.
pub fn router() -> axum::Router<crate::app::AppState> {
    handlers::router().merge(calendar::router()).merge(series_pages::router()).merge(attachments::router())
}
pub use service::EventError;
