//! HTTP handlers of the reports domain for its writers: the report of an event, its edit form
//! (with a preview), its photos, the review's steps and the regeneration from signed minutes.
use axum::{
    Form, Router,
    extract::{DefaultBodyLimit, Multipart, Path, State, multipart::MultipartRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

mod public;

use super::{
    photos::{self, PhotoError},
    rules::{EditForm, LogKind, MAX_CAPTION, MAX_NOTE, Step},
    service::{self, Opened, PhotoChange, ReportError},
    views::{EditPage, EventSection, LogRow, ReportPage, post_html},
};
use crate::{
    branches::Scope,
    events::service as events,
    forms::{FieldErrors, optional_multiline, optional_text},
    i18n::Msg,
    state::AppState,
    web::{Ctx, Flash, Scoped, WebError},
};

/// The writers' pages and the public ones.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .route("/events/{id}/report", get(show).post(save))
        .route("/events/{id}/report/edit", get(edit))
        .route("/events/{id}/report/step", post(step))
        .route("/events/{id}/report/regenerate", post(regenerate))
        .route("/events/{id}/report/photos", post(upload).layer(DefaultBodyLimit::max(photos::MAX_BYTES + 64 * 1024)))
        .route("/events/{id}/report/photos/{p}", get(photo).post(change_photo))
        .route("/events/{id}/report/photos/{p}/thumb", get(thumb))
}

fn to_report(id: i64) -> Redirect {
    Redirect::to(&format!("/events/{id}/report"))
}

async fn open(state: &AppState, scope: &Scope, id: i64) -> Result<Opened, WebError> {
    Ok(service::open(&state.db, scope, id, state.settings.publish_by).await?)
}

/// What the page shows besides the report: a refused step's message.
#[derive(Default)]
struct Shown {
    errors: FieldErrors,
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let opened = open(&state, &scope, id).await?;
    show_page(&state, ctx, opened, Shown::default()).await
}

async fn show_page(state: &AppState, ctx: Ctx, opened: Opened, shown: Shown) -> Result<Response, WebError> {
    let db = &state.db;
    let r = &opened.report;
    let tz = events::named(db, &opened.loaded).await?.branch.tz();
    let log: Vec<LogRow> = service::log_of(db, r.id)
        .await?
        .into_iter()
        .map(|(l, who)| LogRow {
            at: crate::events::views::local(&l.at, tz),
            who: who.unwrap_or_else(|| "—".to_owned()),
            kind: l.kind,
            note: l.note,
        })
        .collect();
    // In the language drafts are written in, whatever the reader's.
    let drafted_in = state.settings.default_locale;
    let regeneration = if opened.may_edit() { service::regeneration(db, r, drafted_in).await?.0 } else { Vec::new() };
    let status = if shown.errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    // Sent back and not submitted again since: the writers see why first.
    let review = [LogKind::Submitted, LogKind::Returned, LogKind::Published, LogKind::Withdrawn];
    let returned = log
        .iter()
        .rev()
        .find(|l| review.contains(&l.kind))
        .filter(|l| l.kind == LogKind::Returned && opened.may_edit())
        .cloned();
    let page = ReportPage {
        returned,
        event_id: opened.loaded.event.id,
        event_title: opened.loaded.event.title.clone(),
        body: post_html(&r.summary, &r.body),
        photos: service::photos(db, r.id).await?,
        log,
        may_edit: opened.may_edit(),
        may_submit: opened.may(Step::Submit),
        may_return: opened.may(Step::Return),
        may_publish: opened.may(Step::Publish),
        may_withdraw: opened.may(Step::Withdraw),
        reviewed: state.settings.publish_by == super::rules::PublishBy::Admin,
        regeneration,
        waiting: if service::changes_wait(r) {
            let published = |p: &Option<String>| p.clone().unwrap_or_default();
            let (t, su, b) =
                (published(&r.published_title), published(&r.published_summary), published(&r.published_body));
            super::rules::waiting_parts([&t, &su, &b], [&r.title, &r.summary, &r.body])
        } else {
            Vec::new()
        },
        errors: shown.errors,
        report: opened.report,
        ctx,
    };
    Ok((status, page).into_response())
}

async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let opened = open(&state, &scope, id).await?;
    if !opened.may_edit() {
        return Err(WebError::Conflict(Msg::new("report.is_submitted")));
    }
    let r = &opened.report;
    let form = EditForm::of(&r.title, r.author_department.as_deref(), r.shown_on, &r.summary, &r.body, r.revision);
    Ok(edit_page(ctx, &opened, form, FieldErrors::default(), None, None, StatusCode::OK))
}

fn edit_page(
    ctx: Ctx,
    opened: &Opened,
    form: EditForm,
    errors: FieldErrors,
    preview: Option<String>,
    saved_now: Option<String>,
    status: StatusCode,
) -> Response {
    let page = EditPage {
        ctx,
        event_id: opened.loaded.event.id,
        event_title: opened.loaded.event.title.clone(),
        form,
        errors,
        preview,
        saved_now,
    };
    (status, page).into_response()
}

/// Saves the edit form, or shows its preview (nothing is saved then).
async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(mut form): Form<EditForm>,
) -> Result<Response, WebError> {
    let opened = open(&state, &scope, id).await?;
    if !opened.may_edit() {
        return Err(WebError::Conflict(Msg::new("report.is_submitted")));
    }
    let based_on = form.revision.trim().parse::<i32>().map_err(|_| WebError::BadRequest)?;
    let parsed = form.parse();
    if form.op == "preview" {
        let errors = parsed.err().unwrap_or_default();
        let preview = Some(post_html(&form.summary, &form.body));
        return Ok(edit_page(ctx, &opened, form, errors, preview, None, StatusCode::OK));
    }
    let edit = match parsed {
        Ok(edit) => edit,
        Err(errors) => return Ok(edit_page(ctx, &opened, form, errors, None, None, StatusCode::UNPROCESSABLE_ENTITY)),
    };
    match service::save(&state.db, &scope, id, state.settings.publish_by, (&edit, based_on), state.now()).await {
        Ok(_) => Ok((Flash::success(Msg::new("report.saved")), to_report(id)).into_response()),
        Err(ReportError::Stale(now)) => {
            // What was typed stays; the form now carries the revision saved meanwhile.
            form.revision = now.revision.to_string();
            let errors = FieldErrors::single("form", "report.stale");
            let saved = format!("{}\n\n{}", now.title, now.body);
            Ok(edit_page(ctx, &opened, form, errors, None, Some(saved), StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct StepForm {
    step: String,
    note: String,
    revision: String,
}

async fn step(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> Result<Response, WebError> {
    let opened = open(&state, &scope, id).await?;
    let step = match form.step.as_str() {
        "submit" => Step::Submit,
        "return" => Step::Return,
        "publish" => Step::Publish,
        "withdraw" => Step::Withdraw,
        _ => return Err(WebError::BadRequest),
    };
    let based_on = form.revision.trim().parse::<i32>().map_err(|_| WebError::BadRequest)?;
    let note = match optional_multiline(&form.note, MAX_NOTE) {
        Ok(None) if step.needs_note() => Err("report.note_required"),
        Ok(note) => Ok(note),
        Err(key) => Err(key),
    };
    let note = match note {
        Ok(note) => note,
        Err(key) => {
            let shown = Shown { errors: FieldErrors::single(&format!("note.{}", form.step), key) };
            return show_page(&state, ctx, opened, shown).await;
        }
    };
    let publish_by = state.settings.publish_by;
    let to = service::step(&state.db, &scope, id, publish_by, (step, note), based_on, state.now()).await?;
    let msg = match to {
        super::rules::ReportState::Draft => "report.returned",
        super::rules::ReportState::Submitted => "report.submitted",
        super::rules::ReportState::Published => "report.published",
        super::rules::ReportState::Withdrawn => "report.withdrawn",
    };
    Ok((Flash::success(Msg::new(msg)), to_report(id)).into_response())
}

/// The regeneration form: the revision shown, and the edited parts to replace.
async fn regenerate(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<crate::events::rules::Pairs>,
) -> Result<Response, WebError> {
    open(&state, &scope, id).await?;
    let based_on = form.get("revision").trim().parse::<i32>().map_err(|_| WebError::BadRequest)?;
    let replace: Vec<String> = form.all("replace").map(str::to_owned).collect();
    let publish_by = state.settings.publish_by;
    let now = state.now();
    let locale = state.settings.default_locale;
    let changed = service::regenerate(&state.db, &scope, id, publish_by, locale, &replace, based_on, now).await?;
    Ok((Flash::success(Msg::new("report.regenerated").arg("count", changed)), to_report(id)).into_response())
}

/// Reads the photo and its caption from the form, stopping at the size limit.
async fn read_upload(multipart: &mut Multipart) -> Result<(Vec<u8>, String), PhotoError> {
    let too_large = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE { PhotoError::TooLarge } else { PhotoError::Missing }
    };
    let (mut bytes, mut caption) = (None, String::new());
    while let Some(field) = multipart.next_field().await.map_err(|e| too_large(e.status()))? {
        match field.name() {
            Some("file") => bytes = Some(field.bytes().await.map_err(|e| too_large(e.status()))?.to_vec()),
            Some("caption") => caption = field.text().await.map_err(|e| too_large(e.status()))?,
            _ => {}
        }
    }
    Ok((bytes.ok_or(PhotoError::Missing)?, caption))
}

async fn upload(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    // Permission first: a forbidden caller learns nothing from how the upload was malformed.
    let opened = open(&state, &scope, id).await?;
    if !opened.may_edit() {
        return Err(WebError::Conflict(Msg::new("report.is_submitted")));
    }
    let mut multipart = multipart.map_err(|_| WebError::BadRequest)?;
    let (bytes, caption) = match read_upload(&mut multipart).await {
        Ok(read) => read,
        Err(e) => return Ok(refused(id, e.key())),
    };
    let caption = match optional_text(&caption, MAX_CAPTION) {
        Ok(c) => c,
        Err(key) => return Ok(refused(id, key)),
    };
    // Full already: refused before any pixel is decoded (the save checks again, under its lock).
    if service::photo_count(&state.db, &opened).await? >= photos::MAX_PER_REPORT {
        return Ok(refused(id, PhotoError::TooMany.key()));
    }
    let processed = match photos::prepare(bytes).await {
        Ok(p) => p,
        Err(e) => return Ok(refused(id, e.key())),
    };
    let change = PhotoChange::Add(processed, caption);
    match service::change_photos(&state.db, &scope, id, state.settings.publish_by, change, state.now()).await {
        Ok(()) => Ok((Flash::success(Msg::new("report.photo_added")), to_report(id)).into_response()),
        Err(ReportError::Photo(e)) => Ok(refused(id, e.key())),
        Err(e) => Err(e.into()),
    }
}

/// A refused photo or caption: back to the report with the reason. The upload's address carries
/// the form's token (a multipart body is read after the check), so the page is never shown
/// there: a redirect keeps the token out of the address bar, the history and a shared link.
fn refused(id: i64, key: &str) -> Response {
    (Flash::error(Msg::new(key)), to_report(id)).into_response()
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PhotoForm {
    op: String,
    caption: String,
    confirmed: String,
}

async fn change_photo(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, p)): Path<(i64, i64)>,
    Form(form): Form<PhotoForm>,
) -> Result<Response, WebError> {
    // Opened first: a caller who may not see the report gets its error, not a redirect.
    open(&state, &scope, id).await?;
    let (change, msg) = match form.op.as_str() {
        "caption" => match optional_text(&form.caption, MAX_CAPTION) {
            Ok(c) => (PhotoChange::Caption(p, c), "report.photo_saved"),
            Err(key) => return Ok(refused(id, key)),
        },
        "cover" => (PhotoChange::Cover(p), "report.photo_saved"),
        // Removing asks first: the button only ticks the confirmation the form must carry.
        "remove" if form.confirmed == "1" => (PhotoChange::Remove(p), "report.photo_removed"),
        "remove" => return Err(WebError::BadRequest),
        _ => return Err(WebError::BadRequest),
    };
    service::change_photos(&state.db, &scope, id, state.settings.publish_by, change, state.now()).await?;
    Ok((Flash::success(Msg::new(msg)), to_report(id)).into_response())
}

async fn photo(state: State<AppState>, scoped: Scoped, path: Path<(i64, i64)>) -> Result<Response, WebError> {
    photo_of(state, scoped, path, false).await
}

async fn thumb(state: State<AppState>, scoped: Scoped, path: Path<(i64, i64)>) -> Result<Response, WebError> {
    photo_of(state, scoped, path, true).await
}

async fn photo_of(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, p)): Path<(i64, i64)>,
    thumb: bool,
) -> Result<Response, WebError> {
    let opened = open(&state, &scope, id).await?;
    let bytes = service::photo_bytes(&state.db, opened.report.id, p, thumb).await?.ok_or(WebError::NotFound)?;
    Ok(jpeg(bytes, "private, max-age=3600"))
}

/// A stored photo as a response.
pub(super) fn jpeg(bytes: Vec<u8>, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response()
}

/// [`crate::events::handlers::EventSection`] for reports: the report's state and a link, for its writers.
pub fn event_section<'a>(
    state: &'a AppState,
    ctx: &'a Ctx,
    _scope: &'a Scope,
    loaded: &'a events::Loaded,
) -> crate::db::BoxFuture<'a, Result<String, WebError>> {
    Box::pin(async move {
        let Some(report_state) = service::status(&state.db, loaded).await? else { return Ok(String::new()) };
        let section = EventSection { ctx, event_id: loaded.event.id, state: report_state };
        askama::Template::render(&section).map_err(|e| WebError::Internal(e.into()))
    })
}

/// How this domain's refusals reach the person.
impl From<ReportError> for WebError {
    fn from(e: ReportError) -> Self {
        match e {
            ReportError::NotFound => WebError::NotFound,
            ReportError::Forbidden => WebError::Forbidden,
            ReportError::WrongState => WebError::Conflict(Msg::new("report.wrong_state")),
            ReportError::Stale(_) => WebError::Conflict(Msg::new("report.stale")),
            ReportError::Photo(e) => WebError::Conflict(Msg::new(e.key())),
            ReportError::Db(e) => e.into(),
        }
    }
}
