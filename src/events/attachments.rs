//! Attachments of events (study materials, the notice): an allow-list of document and image
//! types checked by name and by content, a size limit, files stored under the data directory by
//! random names, downloadable by whoever may read the event.
use std::path::PathBuf;

use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path, State, multipart::MultipartRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, Set, entity::prelude::*};

use super::{
    entity::attachment,
    handlers::{Forms, show_page},
    service::{self, EventError},
};
use crate::{
    app::AppState,
    crypto,
    i18n::Msg,
    web::{Ctx, Flash, Scoped, WebError},
};

/// The largest attachment accepted.
pub const MAX_BYTES: usize = 10 * 1024 * 1024;

/// The accepted types: extension, content type, and how the content must begin.
const ALLOWED: &[(&str, &str, Magic)] = &[
    ("pdf", "application/pdf", Magic::Prefix(b"%PDF-")),
    ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Magic::Prefix(b"PK\x03\x04")),
    ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Magic::Prefix(b"PK\x03\x04")),
    ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation", Magic::Prefix(b"PK\x03\x04")),
    ("doc", "application/msword", Magic::Prefix(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")),
    ("xls", "application/vnd.ms-excel", Magic::Prefix(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")),
    ("ppt", "application/vnd.ms-powerpoint", Magic::Prefix(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")),
    ("png", "image/png", Magic::Prefix(b"\x89PNG\r\n\x1a\n")),
    ("jpg", "image/jpeg", Magic::Prefix(b"\xFF\xD8\xFF")),
    ("jpeg", "image/jpeg", Magic::Prefix(b"\xFF\xD8\xFF")),
    ("txt", "text/plain; charset=utf-8", Magic::Utf8),
];

#[derive(Debug, Clone, Copy)]
enum Magic {
    Prefix(&'static [u8]),
    Utf8,
}

/// Why an upload is refused (each a translated message on the event page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadError {
    Missing,
    TooLarge,
    TypeNotAllowed,
    ContentMismatch,
}

impl UploadError {
    pub fn msg(self) -> Msg {
        match self {
            UploadError::Missing => Msg::new("attachment.choose_file"),
            UploadError::TooLarge => Msg::new("attachment.too_large").arg("mb", MAX_BYTES / 1024 / 1024),
            UploadError::TypeNotAllowed => Msg::new("attachment.type_not_allowed"),
            UploadError::ContentMismatch => Msg::new("attachment.content_mismatch"),
        }
    }
}

/// The name as shown and offered for download: the last path component, without control
/// characters, at most 200 characters.
fn clean_name(raw: &str) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let name: String = base.chars().filter(|c| !c.is_control() && *c != '"').take(200).collect();
    name.trim().to_owned()
}

/// Checks an upload; returns its clean name and content type.
pub fn check(raw_name: &str, bytes: &[u8]) -> Result<(String, &'static str), UploadError> {
    let name = clean_name(raw_name);
    if name.is_empty() || bytes.is_empty() {
        return Err(UploadError::Missing);
    }
    if bytes.len() > MAX_BYTES {
        return Err(UploadError::TooLarge);
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let (_, content_type, magic) = ALLOWED.iter().find(|(e, _, _)| *e == ext).ok_or(UploadError::TypeNotAllowed)?;
    let fits = match magic {
        Magic::Prefix(p) => bytes.starts_with(p),
        Magic::Utf8 => std::str::from_utf8(bytes).is_ok(),
    };
    if fits { Ok((name, content_type)) } else { Err(UploadError::ContentMismatch) }
}

fn dir(state: &AppState) -> PathBuf {
    state.settings.config.app.data_dir.join("attachments")
}

pub async fn of_event(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<attachment::Model>, DbErr> {
    attachment::Entity::find()
        .filter(attachment::Column::EventId.eq(event_id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await
}

/// Stores the file, then its row; a failed insert removes the file again.
async fn store(
    state: &AppState,
    event_id: i64,
    name: String,
    content_type: &str,
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<(), WebError> {
    let dir = dir(state);
    tokio::fs::create_dir_all(&dir).await.map_err(anyhow::Error::from)?;
    let stored_name = crypto::random_token();
    let path = dir.join(&stored_name);
    tokio::fs::write(&path, bytes).await.map_err(anyhow::Error::from)?;
    let row = attachment::ActiveModel {
        event_id: Set(event_id),
        file_name: Set(name),
        content_type: Set(content_type.to_owned()),
        size: Set(bytes.len() as i64),
        stored_name: Set(stored_name),
        created_at: Set(now),
        ..Default::default()
    };
    if let Err(e) = row.insert(&state.db).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e.into());
    }
    Ok(())
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{id}/attachments", post(upload).layer(DefaultBodyLimit::max(MAX_BYTES + 64 * 1024)))
        .route("/events/{id}/attachments/{a}", get(download))
        .route("/events/{id}/attachments/{a}/remove", post(remove))
}

/// Reads the one file of the form, stopping at the size limit.
async fn read_file(multipart: &mut Multipart) -> Result<(String, Vec<u8>), UploadError> {
    let too_large = |status: StatusCode| {
        if status == StatusCode::PAYLOAD_TOO_LARGE { UploadError::TooLarge } else { UploadError::Missing }
    };
    while let Some(field) = multipart.next_field().await.map_err(|e| too_large(e.status()))? {
        if field.name() == Some("file") {
            let name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|e| too_large(e.status()))?;
            return Ok((name, bytes.to_vec()));
        }
    }
    Err(UploadError::Missing)
}

async fn upload(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, WebError> {
    let now = state.now();
    // Permission first: a forbidden caller learns nothing from how the upload was malformed.
    let loaded = service::load(&state.db, &scope, id).await?;
    loaded.require_changeable(now)?;
    let mut multipart = multipart.map_err(|_| WebError::BadRequest)?;
    let checked = match read_file(&mut multipart).await {
        Ok((name, bytes)) => check(&name, &bytes).map(|(n, t)| (n, t, bytes)),
        Err(e) => Err(e),
    };
    match checked {
        Ok((name, content_type, bytes)) => {
            store(&state, id, name, content_type, &bytes, now).await?;
            Ok((Flash::success(Msg::new("attachment.added")), Redirect::to(&format!("/events/{id}"))).into_response())
        }
        Err(e) => {
            let forms = Forms { attachment_error: Some(e.msg()), ..Default::default() };
            show_page(&state, ctx, &scope, loaded, forms).await
        }
    }
}

/// RFC 6266 header for a UTF-8 file name, with an ASCII fallback.
fn disposition(name: &str) -> String {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_".contains(c) { c } else { '_' }).collect();
    let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect::<String>().replace('+', "%20");
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn download(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, a)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    service::load(&state.db, &scope, id).await?;
    let row = attachment::Entity::find_by_id(a)
        .filter(attachment::Column::EventId.eq(id))
        .one(&state.db)
        .await?
        .ok_or(WebError::NotFound)?;
    let bytes = tokio::fs::read(dir(&state).join(&row.stored_name)).await.map_err(|_| WebError::NotFound)?;
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition(&row.file_name)),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
            (header::CACHE_CONTROL, "private".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

async fn remove(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, a)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    loaded.require_changeable(state.now())?;
    let row = attachment::Entity::find_by_id(a)
        .filter(attachment::Column::EventId.eq(id))
        .one(&state.db)
        .await?
        .ok_or(EventError::NotFound)?;
    attachment::Entity::delete_by_id(row.id).exec(&state.db).await?;
    // The row is gone first: a file left behind by a failed removal is only disk, never a broken link.
    let _ = tokio::fs::remove_file(dir(&state).join(&row.stored_name)).await;
    Ok((Flash::success(Msg::new("attachment.removed")), Redirect::to(&format!("/events/{id}"))).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_checked_by_name_and_content() {
        assert_eq!(check("学习材料.pdf", b"%PDF-1.7 ..."), Ok(("学习材料.pdf".to_owned(), "application/pdf")));
        assert_eq!(check("C:\\Users\\a\\通知.TXT", "通知".as_bytes()).map(|(n, _)| n), Ok("通知.TXT".to_owned()));
        assert_eq!(check("x.pdf", b"<script>"), Err(UploadError::ContentMismatch));
        assert_eq!(check("x.html", b"<html>"), Err(UploadError::TypeNotAllowed));
        assert_eq!(check("x.exe", b"MZ"), Err(UploadError::TypeNotAllowed));
        assert_eq!(check("noext", b"%PDF-"), Err(UploadError::TypeNotAllowed));
        assert_eq!(check("a.txt", b"\xff\xfe"), Err(UploadError::ContentMismatch));
        assert_eq!(check("", b"%PDF-"), Err(UploadError::Missing));
        assert_eq!(check("a.pdf", b""), Err(UploadError::Missing));
        let big = vec![b'a'; MAX_BYTES + 1];
        assert_eq!(check("a.txt", &big), Err(UploadError::TooLarge));
    }

    #[test]
    fn download_names_are_encoded() {
        let d = disposition("支部 通知.pdf");
        assert!(d.starts_with("attachment; filename=\"_____.pdf\"; filename*=UTF-8''"), "{d}");
        assert!(d.contains("%E6%94%AF%E9%83%A8%20%E9%80%9A%E7%9F%A5.pdf"), "{d}");
    }
}
