//! Attendance: answers and leave, capacity and waitlist, check-in by roster, QR code and link,
//! finalising ended events, corrections, make-up study, the sign-in sheet and members' history.
pub mod handlers;
pub mod rules;
pub mod service;
pub mod views;

pub use service::AttendanceError;

pub use handlers::{event_section, router};
