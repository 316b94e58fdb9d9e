//! Cross-site request forgery defence, on every state-changing request, in two layers:
//! 1. the browser's own word: `Sec-Fetch-Site` must be same-origin (or none: typed by the user),
//!    and an `Origin` header must be ours;
//! 2. a token: the `pd_csrf` cookie holds a random value, and forms carry its HMAC (field
//!    `_csrf`, or header `X-CSRF-Token`). Another site can neither read the cookie nor compute
//!    the HMAC, so it cannot produce a matching pair, even on browsers that send no headers.
use axum::{
    body::{Body, to_bytes},
    extract::Request,
    http::{
        HeaderMap,
        header::{CONTENT_TYPE, HOST, ORIGIN},
    },
};

use super::WebError;
use crate::crypto::Signer;

/// Largest url-encoded form body read for the token check (the same as axum's default).
const FORM_LIMIT: usize = 2 * 1024 * 1024;

/// The token that forms of this browser must carry.
pub fn form_token(signer: &Signer, cookie: &str) -> String {
    signer.sign("csrf", cookie.as_bytes())
}

/// The cookie must look like one of our random tokens (anything else is replaced).
pub fn plausible_cookie(value: &str) -> bool {
    value.len() == 43 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn origin_allowed(headers: &HeaderMap, base_url: &url::Url) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin == base_url.origin().ascii_serialization() {
        return true;
    }
    // Also the address the browser used, when it differs from the configured one
    // (localhost vs 127.0.0.1): a cross-site page cannot choose the Host of our request.
    let host = headers.get(HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    !host.is_empty() && (origin == format!("http://{host}") || origin == format!("https://{host}"))
}

/// Whether every name and value of a url-encoded body is UTF-8 once percent-decoded.
fn form_is_utf8(body: &[u8]) -> bool {
    body.split(|&b| b == b'&' || b == b'=').all(|part| {
        let mut decoded = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (part[i], part.get(i + 1).copied().and_then(hex), part.get(i + 2).copied().and_then(hex)) {
                (b'%', Some(hi), Some(lo)) => {
                    decoded.push((hi * 16 + lo) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    decoded.push(b);
                    i += 1;
                }
            }
        }
        std::str::from_utf8(&decoded).is_ok()
    })
}

/// Checks a state-changing request; returns it (body restored) when it may proceed.
pub async fn verify(
    req: Request,
    signer: &Signer,
    base_url: &url::Url,
    cookie: Option<&str>,
) -> Result<Request, WebError> {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return Err(WebError::Csrf);
    }
    if !origin_allowed(headers, base_url) {
        return Err(WebError::Csrf);
    }
    let Some(cookie) = cookie else {
        return Err(WebError::Csrf);
    };

    let header_token = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.trim_start().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"));
    let (req, form_token) = if is_form {
        // Read here once, for the token and to refuse text that is not UTF-8 (which form
        // decoding would otherwise turn silently into replacement characters).
        let (parts, body) = req.into_parts();
        let bytes = to_bytes(body, FORM_LIMIT).await.map_err(|_| WebError::TooLarge)?;
        if !form_is_utf8(&bytes) {
            return Err(WebError::BadRequest);
        }
        let token = form_urlencoded::parse(&bytes).find(|(k, _)| k == "_csrf").map(|(_, v)| v.into_owned());
        (Request::from_parts(parts, Body::from(bytes)), token)
    } else {
        // Multipart uploads carry the token in the query string.
        let token = req.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "_csrf").map(|(_, v)| v.into_owned())
        });
        (req, token)
    };
    let token = header_token.or(form_token);
    match token {
        Some(t) if signer.verify("csrf", cookie.as_bytes(), &t) => Ok(req),
        _ => Err(WebError::Csrf),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_forms() {
        assert!(form_is_utf8(b"name=%E7%8E%8B%E4%BC%9F&x=1+2"));
        assert!(form_is_utf8("name=王伟".as_bytes()));
        assert!(form_is_utf8(b"bad=%zz&%"));
        assert!(!form_is_utf8(b"name=%FF%FE"));
        assert!(!form_is_utf8(&[b'a', b'=', 0xff]));
    }
}
