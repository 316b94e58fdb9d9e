//! Shared HTTP plumbing: the request context (session, locale, CSRF, flash), errors and their
//! pages, form helpers, cookies, static assets, and the pages that belong to no domain.
pub mod assets;
pub mod context;
pub mod cookies;
pub mod csrf;
pub mod error;
pub mod flash;
pub mod forms;
pub mod pages;

pub use context::{Authenticated, Ctx, CurrentUser, Scoped, User};
pub use error::WebError;
pub use flash::Flash;

/// The local page a file was asked from: `uri`'s path and query without its `format`.
pub fn without_format(uri: &axum::http::Uri) -> String {
    let pairs = form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes()).filter(|(k, _)| k != "format");
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
    if query.is_empty() { uri.path().to_owned() } else { format!("{}?{query}", uri.path()) }
}

/// RFC 6266 header for downloading a file with a UTF-8 name, with an ASCII fallback.
pub fn disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn download_names_are_encoded() {
        let d = super::disposition("支部 通知.pdf");
        assert!(d.starts_with("attachment; filename=\"_____.pdf\"; filename*=UTF-8''"), "{d}");
        assert!(d.contains("%E6%94%AF%E9%83%A8%20%E9%80%9A%E7%9F%A5.pdf"), "{d}");
    }
}
