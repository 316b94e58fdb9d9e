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
use chrono::{DateTime, Utc};

use super::jpeg;
use crate::reports::{
    rules::excerpt,
    service::public::{self, Filter, Key},
    views::{ActivitiesPage, ActivityPage, Feed, FeedEntry, post_html},
};
use crate::{
    state::AppState,
    web::{Ctx, WebError},
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

/// How a response is revalidated and who may keep it.
struct Validator {
    etag: Option<String>,
    last_modified: Option<DateTime<Utc>>,
    cache: &'static str,
}

/// A visitor's page is the same for every visitor reading that language: shared caches and
/// link previews keep it for a minute, and it carries no cookie (the middleware sets none on a
/// `public` response). A signed-in reader's page names them: their browser revalidates it.
const VISITOR_PAGE: &str = "public, max-age=60";
const READER_PAGE: &str = "private, no-cache";

/// A page's validator: the data's version and everything of the viewer the page shows (language;
/// signed in, the account and the form token of its logout and language forms). A page carrying
/// a flash message is never answered 304 (the message would be lost) nor kept.
fn page_validator(ctx: &Ctx, version: &str, changed: Option<DateTime<Utc>>) -> Validator {
    if ctx.flash.is_some() {
        return Validator { etag: None, last_modified: None, cache: READER_PAGE };
    }
    match &ctx.user {
        None => Validator {
            etag: Some(etag(&[version, &ctx.path, ctx.lang()])),
            last_modified: changed,
            cache: VISITOR_PAGE,
        },
        Some(u) => Validator {
            etag: Some(etag(&[version, &ctx.path, ctx.lang(), &u.account_id.to_string(), &ctx.csrf_token])),
            last_modified: None,
            cache: READER_PAGE,
        },
    }
}

/// Whether the client's copy is current: by its ETag when it sends one, else by its date.
fn fresh(headers: &HeaderMap, v: &Validator) -> bool {
    let header = |name| headers.get(name).and_then(|h: &HeaderValue| h.to_str().ok());
    if let Some(tags) = header(header::IF_NONE_MATCH) {
        return v.etag.as_deref().is_some_and(|e| tags.split(',').any(|t| t.trim() == e || t.trim() == "*"));
    }
    match (header(header::IF_MODIFIED_SINCE).and_then(|d| DateTime::parse_from_rfc2822(d).ok()), v.last_modified) {
        (Some(since), Some(changed)) => changed.timestamp() <= since.timestamp(),
        _ => false,
    }
}

fn not_modified(v: &Validator) -> Response {
    let mut r = StatusCode::NOT_MODIFIED.into_response();
    with_validator(&mut r, v);
    r
}

fn with_validator(r: &mut Response, v: &Validator) {
    let h = r.headers_mut();
    if let Some(e) = v.etag.as_deref().and_then(|e| HeaderValue::from_str(e).ok()) {
        h.insert(header::ETAG, e);
    }
    if let Some(t) = v.last_modified.and_then(|t| HeaderValue::from_str(&http_date(t)).ok()) {
        h.insert(header::LAST_MODIFIED, t);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(v.cache));
    // The language comes from the browser's wish or the language cookie.
    h.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

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
    let validator = page_validator(&ctx, &version.tag(), version.changed_at());
    if fresh(&headers, &validator) {
        return Ok(not_modified(&validator));
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
    with_validator(&mut r, &validator);
    Ok(r)
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let db = &state.db;
    let (report, branch, changed) = public::published(db, id).await?.ok_or(WebError::NotFound)?;
    let version = format!("{}.{}.{branch}", report.id, report.updated_at.timestamp_micros());
    let validator = page_validator(&ctx, &version, Some(changed));
    if fresh(&headers, &validator) {
        return Ok(not_modified(&validator));
    }
    let page = ActivityPage {
        body: post_html(&report.summary, &report.body),
        description: excerpt(&report.summary, 160),
        photos: super::service::photos(db, report.id).await?,
        base_url: state.settings.base_url.as_str().trim_end_matches('/').to_owned(),
        report,
        ctx,
    };
    let mut r = page.into_response();
    with_validator(&mut r, &validator);
    Ok(r)
}

async fn photo(state: State<AppState>, path: Path<(i64, i64)>, headers: HeaderMap) -> Result<Response, WebError> {
    photo_of(state, path, &headers, false).await
}

async fn thumb(state: State<AppState>, path: Path<(i64, i64)>, headers: HeaderMap) -> Result<Response, WebError> {
    photo_of(state, path, &headers, true).await
}

async fn photo_of(
    State(state): State<AppState>,
    Path((id, p)): Path<(i64, i64)>,
    headers: &HeaderMap,
    thumb: bool,
) -> Result<Response, WebError> {
    // A stored photo never changes (a new one gets a new id), but its report can be withdrawn:
    // every copy is confirmed with us before use (no-cache), which costs a look at the report,
    // not the photo's bytes.
    let validator = Validator {
        etag: Some(format!("\"p{p}{}\"", if thumb { "t" } else { "" })),
        last_modified: None,
        cache: "public, no-cache",
    };
    if fresh(headers, &validator) && public::photo_is_public(&state.db, id, p).await? {
        return Ok(not_modified(&validator));
    }
    let bytes = public::photo(&state.db, id, p, thumb).await?.ok_or(WebError::NotFound)?;
    let mut r = jpeg(bytes, validator.cache);
    if let Some(e) = validator.etag.as_deref().and_then(|e| HeaderValue::from_str(e).ok()) {
        r.headers_mut().insert(header::ETAG, e);
    }
    Ok(r)
}

/// The Atom feed of the newest published reports.
async fn feed(State(state): State<AppState>, ctx: Ctx, headers: HeaderMap) -> Result<Response, WebError> {
    const FEED_CACHE: &str = "public, max-age=300";
    let db = &state.db;
    let version = public::version(db).await?;
    // The same for every reader of a language, signed in or not.
    let validator = Validator {
        etag: Some(etag(&[&version.tag(), ctx.lang()])),
        last_modified: version.changed_at(),
        cache: FEED_CACHE,
    };
    if fresh(&headers, &validator) {
        return Ok(not_modified(&validator));
    }
    let reports = public::newest(db, FEED_ENTRIES).await?;
    let base = state.settings.base_url.as_str().trim_end_matches('/').to_owned();
    let rfc3339 = |t: &DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
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
            content: post_html(&r.summary, &r.body),
        })
        .collect();
    let body = askama::Template::render(&Feed { ctx: &ctx, base, updated, entries })
        .map_err(|e| WebError::Internal(e.into()))?;
    let mut r = ([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], body).into_response();
    with_validator(&mut r, &validator);
    Ok(r)
}
