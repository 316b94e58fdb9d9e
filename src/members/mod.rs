//! Members: the roster of every branch, with dated history of status, branch and state, the
//! membership periods behind past rosters, fast search, import and export.
pub mod entity;
mod handlers;
pub mod rules;
pub mod service;
mod views;

pub use handlers::router;
pub use service::MemberError;
