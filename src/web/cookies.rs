//! Reading the Cookie header and writing Set-Cookie values, with secure defaults.
use axum::http::{HeaderMap, HeaderValue, header::COOKIE};

pub const SESSION: &str = "pd_session";
pub const CSRF: &str = "pd_csrf";
pub const FLASH: &str = "pd_flash";
pub const LANG: &str = "pd_lang";

/// The value of cookie `name`, if the request carries it.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// A Set-Cookie value: HttpOnly, SameSite=Lax, Path=/, Secure over https. `max_age` in seconds;
/// `None` makes a cookie that ends with the browser session, `Some(0)` deletes it.
pub fn set(name: &str, value: &str, max_age: Option<i64>, secure: bool) -> HeaderValue {
    let mut s = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        s.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        s.push_str("; Secure");
    }
    // Values are our own base64url tokens or locale tags: always valid header text.
    HeaderValue::from_str(&s).unwrap_or_else(|_| HeaderValue::from_static("pd_invalid=; Max-Age=0"))
}

pub fn remove(name: &str, secure: bool) -> HeaderValue {
    set(name, "", Some(0), secure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes() {
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_static("a=1; pd_session=tok; pd_lang="));
        assert_eq!(get(&h, SESSION), Some("tok"));
        assert_eq!(get(&h, "a"), Some("1"));
        assert_eq!(get(&h, LANG), None);
        assert_eq!(get(&h, "missing"), None);
        let c = set(SESSION, "x", None, true);
        assert_eq!(c.to_str().ok(), Some("pd_session=x; Path=/; HttpOnly; SameSite=Lax; Secure"));
        assert!(remove(FLASH, false).to_str().is_ok_and(|s| s.contains("Max-Age=0")));
    }
}
