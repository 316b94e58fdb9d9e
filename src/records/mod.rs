//! Participation records (参加组织生活情况): per member, per branch and for the association over
//! any period, compliance with the meetings the rules require, absence streaks, exports. Reads
//! attendance; never changes it.
pub mod charts;
pub mod digest;
pub mod entity;
mod handlers;
pub mod period;
pub mod rules;
pub mod service;
mod views;

pub use handlers::router;
