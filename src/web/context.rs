//! The request context: who is asking (session), in which language, the CSRF token for forms and
//! a pending flash message. One middleware builds it for every page request, checks CSRF on
//! state changes, and on the way out renders error pages and writes cookies and security headers.
use std::{net::SocketAddr, ops::Deref, sync::Arc};

use axum::{
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{
        HeaderMap, HeaderValue, Method,
        header::{ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_TYPE, SET_COOKIE},
        request::Parts,
    },
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use chrono::{DateTime, Utc};

use super::{WebError, cookies, csrf, error::ErrorText, flash::Flash, forms::ErrorLine, pages};
use crate::{
    accounts::{Actor, Role, service::sessions},
    crypto,
    forms::FieldErrors,
    i18n::{self, Locale, Msg},
    state::AppState,
};

/// The signed-in account, as its session found it.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub account_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub must_change_password: bool,
    pub member_id: Option<i64>,
    /// Id (token hash) of the session making this request.
    pub session_id: String,
}

impl CurrentUser {
    pub fn actor(&self) -> Actor {
        Actor { account_id: self.account_id, role: self.role, member_id: self.member_id }
    }

    /// An audit log entry of something this user did at `at`.
    pub fn audit(&self, kind: crate::audit::Kind, at: DateTime<Utc>) -> crate::audit::Entry {
        crate::audit::Entry::by(kind, (self.account_id, &self.display_name, &self.email), at)
    }

    /// Records in the audit log that this user opened `path`, a page of a member's personal data
    /// (`(id, name, branch)`); their own record is not recorded.
    pub async fn viewed(&self, state: &AppState, kind: crate::audit::Kind, member: (i64, &str, i64), path: &str) {
        let (id, name, branch) = member;
        if self.member_id != Some(id) {
            state.audit.record(self.audit(kind, state.now()).member(id, name, branch).detail(path)).await;
        }
    }
}

pub struct RequestContext {
    pub locale: Locale,
    pub user: Option<CurrentUser>,
    /// Token that every form of this page carries in its `_csrf` field.
    pub csrf_token: String,
    pub flash: Option<Flash>,
    /// Path and query of this request (for "return to" links and the language switch).
    pub path: String,
    pub timezone: chrono_tz::Tz,
}

/// Shared handle on the request context; every page struct holds one for the layout.
#[derive(Clone)]
pub struct Ctx(Arc<RequestContext>);

impl Deref for Ctx {
    type Target = RequestContext;
    fn deref(&self) -> &RequestContext {
        &self.0
    }
}

impl RequestContext {
    /// Translation of a catalogue key in the request's language.
    pub fn tr<'a>(&self, key: &'a str) -> &'a str {
        i18n::t(self.locale, key)
    }

    /// Translation with one `{name}` argument filled in.
    pub fn tr_with(&self, key: &str, name: &str, value: impl std::fmt::Display) -> String {
        i18n::render(self.locale, &Msg::new(key).arg(name, value))
    }

    pub fn msg(&self, msg: &Msg) -> String {
        i18n::render(self.locale, msg)
    }

    /// The lines of a refused form's error summary; see [`super::forms::error_lines`].
    pub fn error_lines<'a>(
        &self,
        errors: &FieldErrors,
        prefix: &str,
        labels: impl AsRef<[(&'a str, &'a str)]>,
    ) -> Vec<ErrorLine> {
        super::forms::error_lines(self.locale, errors, prefix, labels.as_ref(), &[])
    }

    /// [`Self::error_lines`] where some fields are named by text rather than a catalogue key.
    pub fn error_lines_named(&self, errors: &FieldErrors, names: impl AsRef<[(String, String)]>) -> Vec<ErrorLine> {
        super::forms::error_lines(self.locale, errors, "", &[], names.as_ref())
    }

    /// The summary's heading: how many things to correct.
    pub fn error_heading(&self, n: usize) -> String {
        if n == 1 {
            self.tr("error_summary.heading_one").to_owned()
        } else {
            self.tr_with("error_summary.heading", "n", n)
        }
    }

    pub fn lang(&self) -> &'static str {
        self.locale.tag()
    }

    /// Administrators and secretaries: those who see the branch and member pages.
    pub fn is_manager(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role != Role::Member)
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Admin)
    }

    /// A time in the request's time zone, to the minute.
    pub fn datetime(&self, at: &DateTime<Utc>) -> String {
        at.with_timezone(&self.timezone).format("%Y-%m-%d %H:%M").to_string()
    }

    pub fn datetime_or_dash(&self, at: &Option<DateTime<Utc>>) -> String {
        at.as_ref().map_or_else(|| "—".to_owned(), |t| self.datetime(t))
    }

    /// The languages a visitor can switch to from this page.
    pub fn other_locales(&self) -> Vec<Locale> {
        Locale::ALL.into_iter().filter(|l| *l != self.locale).collect()
    }

    /// Whether the navigation link to `prefix` is the current page.
    pub fn current(&self, prefix: &str) -> bool {
        let path = self.path.split('?').next().unwrap_or("");
        if prefix == "/" {
            return path == "/";
        }
        // "/me" is not the current page on "/members": a prefix counts only up to a '/'.
        path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(|| WebError::Internal(anyhow::anyhow!("request context layer is missing")))
    }
}

fn login_redirect(parts: &Parts) -> Response {
    let target = if parts.method == Method::GET {
        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        format!("/login?{}", form_urlencoded::Serializer::new(String::new()).append_pair("next", path).finish())
    } else {
        "/login".to_owned()
    };
    Redirect::to(&target).into_response()
}

/// A signed-in user, whatever the state of their password. Anonymous visitors are sent to login.
pub struct Authenticated(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_request_parts(parts, state).await.map_err(IntoResponse::into_response)?;
        match &ctx.user {
            Some(user) => Ok(Authenticated(user.clone())),
            None => Err(login_redirect(parts)),
        }
    }
}

/// A signed-in user ready to work: one who must first replace a password set by an
/// administrator is sent to do that.
pub struct User(pub CurrentUser);

impl<S: Send + Sync> FromRequestParts<S> for User {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Authenticated(user) = Authenticated::from_request_parts(parts, state).await?;
        if user.must_change_password {
            return Err(Redirect::to("/account/password").into_response());
        }
        Ok(User(user))
    }
}

/// A signed-in user with the scope the branches service gives them (which units they manage,
/// today): the one way handlers learn it, so that no handler can forget or vary the check.
pub struct Scoped {
    pub user: CurrentUser,
    pub scope: crate::branches::Scope,
}

impl FromRequestParts<AppState> for Scoped {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let User(user) = User::from_request_parts(parts, state).await?;
        let scope = crate::branches::scope_of(&state.db, &user.actor(), state.today())
            .await
            .map_err(|e| WebError::from(e).into_response())?;
        Ok(Scoped { user, scope })
    }
}

/// The client's address, for login throttling: the peer, or the last X-Forwarded-For entry
/// when configured to trust a reverse proxy.
pub struct ClientAddr(pub String);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        // Only a proxy of ours says who the client is: anyone else could write the header.
        let from_proxy = peer.is_some_and(|p| state.settings.trusted_proxies.contains(&p));
        if state.settings.config.server.trust_forwarded_for && from_proxy {
            let forwarded = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back();
            if let Some(addr) = forwarded.and_then(|v| v.rsplit(',').next()).map(str::trim).filter(|s| !s.is_empty()) {
                return Ok(ClientAddr(addr.to_owned()));
            }
        }
        Ok(ClientAddr(peer.map_or_else(|| "unknown".to_owned(), |p| p.to_string())))
    }
}

const CSRF_COOKIE_MAX_AGE: i64 = 60 * 60 * 24 * 30;

/// What the middleware learned from the request's cookies, needed again for the response.
struct Incoming {
    /// The session cookie named no live session: it is removed.
    stale_session: bool,
    /// The database did not answer the session lookup.
    db_down: bool,
    /// The browser's CSRF cookie, if it sent a well-formed one.
    csrf_cookie: Option<String>,
    /// A new CSRF cookie to set when it had none.
    new_csrf_cookie: Option<String>,
    had_flash: bool,
}

pub async fn middleware(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let (ctx, incoming) = read_request(&state, req.headers(), path).await;
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = if incoming.db_down {
        WebError::Unavailable.into_response()
    } else if safe {
        run(req, &ctx, next).await
    } else {
        match csrf::verify(req, &state.signer, &state.settings.base_url, incoming.csrf_cookie.as_deref()).await {
            Ok(req) => run(req, &ctx, next).await,
            Err(e) => {
                // The first two segments only: some paths carry a link's token.
                let shown: String =
                    ctx.path.split('?').next().unwrap_or("").split('/').take(3).collect::<Vec<_>>().join("/");
                tracing::info!(path = shown, "refused a state change without a valid CSRF token or origin");
                e.into_response()
            }
        }
    };
    finish_response(&state, &ctx, &incoming, response)
}

/// Builds the request context: session, language, CSRF token, pending flash message.
async fn read_request(state: &AppState, headers: &HeaderMap, path: String) -> (Ctx, Incoming) {
    let mut incoming = Incoming {
        stale_session: false,
        db_down: false,
        csrf_cookie: cookies::get(headers, cookies::CSRF).filter(|v| csrf::plausible_cookie(v)).map(str::to_owned),
        new_csrf_cookie: None,
        had_flash: cookies::get(headers, cookies::FLASH).is_some(),
    };
    let mut user_locale = None;
    let mut user = None;
    if let Some(token) = cookies::get(headers, cookies::SESSION) {
        match sessions::resolve(&state.db, token, state.session_policy(), state.now()).await {
            Ok(Some((session, account))) => {
                user_locale = account.locale.as_deref().and_then(Locale::from_tag);
                user = Some(CurrentUser {
                    account_id: account.id,
                    email: account.email,
                    display_name: account.display_name,
                    role: account.role,
                    must_change_password: account.must_change_password,
                    member_id: account.member_id,
                    session_id: session.id,
                });
            }
            Ok(None) => incoming.stale_session = true,
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                incoming.db_down = true;
            }
        }
    }
    // Language: the language switch (this browser's choice of pages), then the account's saved
    // language (that of its emails), then the browser's wish.
    let locale = cookies::get(headers, cookies::LANG)
        .and_then(Locale::from_tag)
        .or(user_locale)
        .or_else(|| headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).and_then(Locale::negotiate))
        .unwrap_or(state.settings.default_locale);
    let csrf_cookie = match &incoming.csrf_cookie {
        Some(c) => c.clone(),
        None => incoming.new_csrf_cookie.insert(crypto::random_token()).clone(),
    };
    let ctx = Ctx(Arc::new(RequestContext {
        locale,
        user,
        csrf_token: csrf::form_token(&state.signer, &csrf_cookie),
        flash: cookies::get(headers, cookies::FLASH).and_then(|v| Flash::decode(v, &state.signer)),
        path,
        timezone: state.settings.timezone,
    }));
    (ctx, incoming)
}

/// Puts the error page around bare error responses and writes cookies and cache headers.
fn finish_response(state: &AppState, ctx: &Ctx, incoming: &Incoming, mut response: Response) -> Response {
    let secure = state.settings.secure_cookies;
    if needs_error_page(&response) {
        let text = response.extensions().get::<ErrorText>().map(|t| t.0.clone());
        let mut page = pages::error_page(ctx.clone(), response.status(), text);
        // Keep headers the handler meant for the client (Retry-After, Allow, Set-Cookie).
        for (name, value) in response.headers() {
            if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
                page.headers_mut().append(name, value.clone());
            }
        }
        response = page;
    }
    let outgoing_flash = response.extensions_mut().remove::<Flash>();
    let session_prefix = format!("{}=", cookies::SESSION);
    let sets_session =
        response.headers().get_all(SET_COOKIE).iter().any(|v| v.as_bytes().starts_with(session_prefix.as_bytes()));
    let is_redirect = response.status().is_redirection();
    let h = response.headers_mut();
    // A response any cache may keep is the same for everyone: it carries no form token, so it
    // needs no token cookie (and a crawler or a link preview without cookies gets its 304).
    let public = h.get(CACHE_CONTROL).is_some_and(|v| v.as_bytes().starts_with(b"public"));
    if let Some(token) = incoming.new_csrf_cookie.as_ref().filter(|_| !public) {
        h.append(SET_COOKIE, cookies::set(cookies::CSRF, token, Some(CSRF_COOKIE_MAX_AGE), secure));
    }
    if incoming.stale_session && !sets_session {
        h.append(SET_COOKIE, cookies::remove(cookies::SESSION, secure));
    }
    if let Some(flash) = outgoing_flash {
        h.append(SET_COOKIE, cookies::set(cookies::FLASH, &flash.encode(&state.signer), None, secure));
    } else if incoming.had_flash && !is_redirect {
        // Shown on this page: gone on the next.
        h.append(SET_COOKIE, cookies::remove(cookies::FLASH, secure));
    }
    // One that must set a cookie after all (a stale session or a shown flash removed) is this
    // browser's alone.
    if public && h.contains_key(SET_COOKIE) {
        h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    }
    // Pages differ per user: never cached by shared caches, nor shown from history after logout.
    h.entry(CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

async fn run(mut req: Request, ctx: &Ctx, next: Next) -> Response {
    req.extensions_mut().insert(ctx.clone());
    next.run(req).await
}

/// Error responses that carry no page of their own (axum's rejections, our `WebError`s, a
/// caught panic) get the translated error page; forms re-rendered with 422 keep their HTML, and
/// answers to scripts their JSON (which carries the translated message).
fn needs_error_page(response: &Response) -> bool {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    if response.extensions().get::<ErrorText>().is_some() {
        return true;
    }
    let content_type = response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    !content_type.starts_with("text/html") && !content_type.starts_with("application/json")
}

/// Headers every response gets: no framing, no sniffing, no inline script, no referrer leaks.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
        ),
    );
    response
}
