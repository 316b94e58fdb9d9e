//! Branches: the organisation tree (party committee → general branch → branch → party group),
//! officers with their terms, and the scope rule that decides which units a secretary manages.
pub mod entity;
pub mod handlers;
pub mod rules;
pub mod service;
mod views;

pub use handlers::router;
pub use rules::{BranchKind, OfficerRole};
pub use service::{BranchError, Scope, scope_of};
