//! Who saw and exported members' personal data: an audit log of viewings of a member's record,
//! exports of members and records, imports, account changes and administrators' sign-ins
//! (`/admin/audit`, with its CSV), written in batches, kept `privacy.audit_keep_years`.
pub mod entity;
mod handlers;
pub mod service;
mod views;

pub use entity::Kind;
pub use handlers::router;
pub use service::{Audit, Entry};
