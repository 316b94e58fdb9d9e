//! The public Activities page (no login): published reports newest first, one report, its
//! photos, and the Atom feed. Each page is revalidated by an ETag built from the newest change
//! among public reports, so a conditional GET is answered 304 before anything is rendered.
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use super::{
    handlers::jpeg,
    public::{self, Filter, Key},
    rules::excerpt,
    views::{ActivitiesPage, ActivityPage, Feed, FeedEntry},
};
use crate::{
    app::AppState,
    web::{Ctx, WebError, markdown},
};

/// Reports per page of the list, and entries in the feed.
const PER_PAGE: u64 = 20;
const FEED_ENTRIES: u64 = 50;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/activities", get(list))
        .route("/activities/feed.atom", get(feed))
        .route("/activities/{id}", get(show))
        .route("/activities/{id}/photos/{p}", get(photo))
        .route("/activities/{id}/photos/{p}/thumb", get(thumb))
}

/// A strong validator over what a response depends on.
fn etag(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    let d = h.finalize();
    format!("\"{}\"", d[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// A page's validator: the data's version and everything of the viewer the page shows (language,
/// signed-in account, the form token of the language switch). A page carrying a flash message is
/// never answered 304 (the message would be lost).
fn page_etag(ctx: &Ctx, version: &str) -> Option<String> {
    if ctx.flash.is_some() {
        return None;
    }
    let account = ctx.user.as_ref().map(|u| u.account_id.to_string()).unwrap_or_default();
    Some(etag(&[version, &ctx.path, ctx.lang(), &account, &ctx.csrf_token]))
}

fn fresh(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn not_modified(etag: &str, cache: &'static str) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    with_validator(&mut r, Some(etag), cache);
    r
}

fn with_validator(r: &mut Response, etag: Option<&str>, cache: &'static str) {
    let h = r.headers_mut();
    if let Some(v) = etag.and_then(|e| HeaderValue::from_str(e).ok()) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
}

/// Pages differ per viewer (language, account): browsers revalidate them, shared caches keep none.
const PAGE_CACHE: &str = "private, no-cache";

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListParams {
    branch: String,
    year: String,
    after: String,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    let db = &state.db;
    let version = public::version(db).await?;
    let tag = page_etag(&ctx, &version);
    if let Some(t) = &tag
        && fresh(&headers, t)
    {
        return Ok(not_modified(t, PAGE_CACHE));
    }
    // Unknown or malformed filters and keys read as absent: a shared link never breaks.
    let filter = Filter { branch: params.branch.trim().parse().ok(), year: params.year.trim().parse().ok() };
    let after = Key::parse(&params.after);
    let (cards, next) = public::page(db, filter, after, PER_PAGE).await?;
    let query = |k: Option<Key>| {
        let mut q = form_urlencoded::Serializer::new(String::new());
        if let Some(b) = filter.branch {
            q.append_pair("branch", &b.to_string());
        }
        if let Some(y) = filter.year {
            q.append_pair("year", &y.to_string());
        }
        if let Some(k) = k {
            q.append_pair("after", &k.encode());
        }
        q.finish()
    };
    let page = ActivitiesPage {
        cards,
        next: next.map(|k| query(Some(k))),
        first: after.is_some().then(|| query(None)),
        choices: state.activity_choices.get(db, &version).await?,
        filter,
        base_url: state.settings.base_url.as_str().trim_end_matches('/').to_owned(),
        ctx,
    };
    let mut r = page.into_response();
    with_validator(&mut r, tag.as_deref(), PAGE_CACHE);
    Ok(r)
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let db = &state.db;
    let (report, branch) = public::published(db, id).await?.ok_or(WebError::NotFound)?;
    let version = format!("{}.{}", report.id, report.updated_at.timestamp_micros());
    let tag = page_etag(&ctx, &version);
    if let Some(t) = &tag
        && fresh(&headers, t)
    {
        return Ok(not_modified(t, PAGE_CACHE));
    }
    let page = ActivityPage {
        body: markdown::render(&report.body),
        description: excerpt(&report.summary, 160),
        photos: super::service::photos(db, report.id).await?,
        branch,
        base_url: state.settings.base_url.as_str().trim_end_matches('/').to_owned(),
        report,
        ctx,
    };
    let mut r = page.into_response();
    with_validator(&mut r, tag.as_deref(), PAGE_CACHE);
    Ok(r)
}

async fn photo(state: State<AppState>, path: Path<(i64, i64)>) -> Result<Response, WebError> {
    photo_of(state, path, false).await
}

async fn thumb(state: State<AppState>, path: Path<(i64, i64)>) -> Result<Response, WebError> {
    photo_of(state, path, true).await
}

async fn photo_of(
    State(state): State<AppState>,
    Path((id, p)): Path<(i64, i64)>,
    thumb: bool,
) -> Result<Response, WebError> {
    let bytes = public::photo(&state.db, id, p, thumb).await?.ok_or(WebError::NotFound)?;
    // A stored photo never changes (a new one gets a new id); a withdrawn report's stop being
    // served at once, though browsers may keep theirs for the hour.
    Ok(jpeg(bytes, "public, max-age=3600"))
}

/// The Atom feed of the newest published reports.
async fn feed(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Result<Response, WebError> {
    const FEED_CACHE: &str = "public, max-age=300";
    let db = &state.db;
    let version = public::version(db).await?;
    let tag = etag(&[&version, ctx.lang()]);
    if fresh(&headers, &tag) {
        return Ok(not_modified(&tag, FEED_CACHE));
    }
    let reports = public::newest(db, FEED_ENTRIES).await?;
    let base = state.settings.base_url.as_str().trim_end_matches('/').to_owned();
    let rfc3339 = |t: &chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let updated = reports.iter().map(|r| r.updated_at).max().map_or_else(|| rfc3339(&state.now()), |t| rfc3339(&t));
    let entries = reports
        .iter()
        .map(|r| FeedEntry {
            id: r.id,
            title: r.title.clone(),
            author: r.author_department.clone(),
            published: rfc3339(&r.published_at.unwrap_or(r.updated_at)),
            updated: rfc3339(&r.updated_at),
            summary: excerpt(&r.summary, 300),
            content: markdown::render(&r.body),
        })
        .collect();
    let body = askama::Template::render(&Feed { ctx: &ctx, base, updated, entries })
        .map_err(|e| WebError::Internal(e.into()))?;
    let mut r = ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response();
    with_validator(&mut r, Some(&tag), FEED_CACHE);
    Ok(r)
}
