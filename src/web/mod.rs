//! Shared HTTP plumbing: the request context (session, locale, CSRF, flash), errors and their
//! pages, form helpers, cookies, static assets, and the pages that belong to no domain.
pub mod assets;
pub mod context;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod flash;
pub mod forms;
pub mod markdown;
pub mod pages;

pub use context::{Authenticated, Ctx, CurrentUser, Scoped, User};
pub use error::WebError;
pub use flash::Flash;
