//! Pages of no particular domain: home, the language switch, error pages, health check.
use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form, Router,
    extract::{Query, State},
    http::{StatusCode, header::SET_COOKIE},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};

use super::{Ctx, WebError, cookies, forms::local_path};
#[allow(unused_imports)]
use crate::forms::Choice;
use crate::{
    i18n::{Locale, Msg},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/", get(home)).route("/locale", get(visitor_locale).post(switch_locale))
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub ctx: Ctx,
    /// What waits for the signed-in person (None for visitors).
    pub home: Option<crate::home::Home>,
}

impl HomePage {
    /// A time in an event's branch's zone.
    pub fn local(&self, t: impl std::borrow::Borrow<chrono::DateTime<chrono::Utc>>, tz: &str) -> String {
        crate::events::format::local(t.borrow(), crate::branches::rules::zone(tz))
    }

    /// A time in the reader's zone.
    pub fn at(&self, t: impl std::borrow::Borrow<chrono::DateTime<chrono::Utc>>) -> String {
        self.ctx.datetime(t.borrow())
    }
}

/// Visitors see what Partyday is and a way to sign in; signed-in people see what to do next:
/// members their answers, events and make-up study, secretaries the decisions waiting in their
/// branches, administrators the association at a glance.
async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, WebError> {
    let now = state.now();
    let Some(user) = ctx.user.as_ref() else { return Ok(HomePage { ctx, home: None }.into_response()) };
    if user.must_change_password {
        return Ok(Redirect::to("/account/password").into_response());
    }
    let scope = crate::branches::scope_of(&state.db, &user.actor(), state.today()).await?;
    let rules = crate::records::service::rules(&state.db).await?;
    let home = crate::home::of(&state.db, &scope, user.member_id, &rules, now, state.settings.timezone).await?;
    Ok(HomePage { ctx, home: Some(home) }.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LocaleForm {
    locale: String,
    next: String,
}

/// The language switch of a signed-in person: the pages' language, remembered in a cookie. It
/// leaves the account's saved language alone: that one is the language of the person's emails,
/// chosen on the account page (a look at the English pages must not turn every notice English).
async fn switch_locale(State(state): State<AppState>, Form(form): Form<LocaleForm>) -> Result<Response, WebError> {
    let locale = Locale::from_tag(&form.locale).ok_or(WebError::BadRequest)?;
    Ok(with_locale_cookie(&state, locale, &form.next))
}

/// A visitor's language switch (the public pages' GET form): it only sets the visitor's own
/// cookie, changes nothing on the server, and so needs no form token.
async fn visitor_locale(State(state): State<AppState>, Query(form): Query<LocaleForm>) -> Result<Response, WebError> {
    let locale = Locale::from_tag(&form.locale).ok_or(WebError::BadRequest)?;
    Ok(with_locale_cookie(&state, locale, &form.next))
}

fn with_locale_cookie(state: &AppState, locale: Locale, next: &str) -> Response {
    let cookie = cookies::set(cookies::LANG, locale.tag(), Some(60 * 60 * 24 * 365), state.settings.secure_cookies);
    ([(SET_COOKIE, cookie)], Redirect::to(&local_path(Some(next)))).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: Ctx,
    pub code: u16,
    pub title_key: String,
    pub text: String,
}

/// Statuses with a page of their own; any other error is shown as the nearest of these.
pub const ERROR_STATUSES: [u16; 12] = [400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503];

pub fn error_page(ctx: Ctx, status: StatusCode, text: Option<Msg>) -> Response {
    let code = status.as_u16();
    let shown = if ERROR_STATUSES.contains(&code) {
        code
    } else if status.is_server_error() {
        500
    } else {
        400
    };
    let text = ctx.msg(&text.unwrap_or_else(|| Msg::new(&format!("error.{shown}.text"))));
    let page = ErrorPage { ctx, code, title_key: format!("error.{shown}.title"), text };
    (status, page).into_response()
}

pub async fn not_found() -> WebError {
    WebError::NotFound
}

/// 200 when the database answers, 503 when it does not; for load balancers and monitors. Also
/// 503 once a newer Partyday has migrated the database under this instance: this code may
/// misread the newer data, and the instance is to be stopped (README, upgrades).
pub async fn healthz(State(state): State<AppState>) -> Response {
    match crate::db::schema_is_newer(&state.db).await {
        Ok(false) => (StatusCode::OK, "ok\n").into_response(),
        Ok(true) => {
            tracing::warn!("health check: a newer version of Partyday migrated the database: stop this instance");
            (StatusCode::SERVICE_UNAVAILABLE, "database schema is newer than this version\n").into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "health check: database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}
