//! Accounts: who can sign in and with which role; login, sessions and throttling; the
//! administrator's account management; everyone's own password and preferences.
pub mod entity;
mod handlers;
pub mod rules;
pub mod service;
mod views;
mod welcome_handlers;

pub use crate::actor::{Actor, Role};
pub use handlers::router;
pub use service::AccountError;
pub use welcome_handlers::{logged as welcome_logged, said as welcome_flash};
