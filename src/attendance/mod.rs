//! Attendance: answers and leave, capacity and waitlist, check-in by roster, QR code and link,
//! finalising ended events, corrections, make-up study, the sign-in sheet and members' history.
pub mod links;
pub mod pages;
pub mod records;
pub mod rules;
pub mod service;

pub use service::AttendanceError;

pub fn router() -> axum::Router<crate::app::AppState> {
    pages::router().merge(links::router())
}
