//! Attachments of an event: upload (organisers, while the event can change), download (whoever
//! may read the event) and removal.
use axum::{
    Router,
    extract::{DefaultBodyLimit, Multipart, Path, State, multipart::MultipartRejection},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

use crate::{
    events::{
        rules::attachments::{MAX_BYTES, UploadError, check},
        service::{self, attachments},
    },
    i18n::Msg,
    state::AppState,
    web::{Flash, Scoped, WebError},
};

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
        Ok((name, bytes)) => check(&name, &bytes).map(|named| (named, bytes)),
        Err(e) => Err(e),
    };
    match checked {
        Ok((named, bytes)) => {
            attachments::store(&state.db, data_dir(&state), &loaded, named, &bytes, now).await?;
            Ok((Flash::success(Msg::new("attachment.added")), Redirect::to(&format!("/events/{id}"))).into_response())
        }
        // The upload's address carries the form's token (a multipart body is read after the
        // check): a refusal goes back to the event page, so the token never shows in the address.
        Err(e) => Ok((Flash::error(e.msg()), Redirect::to(&format!("/events/{id}"))).into_response()),
    }
}

fn data_dir(state: &AppState) -> &std::path::Path {
    &state.settings.config.app.data_dir
}

async fn download(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, a)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    let (row, bytes) = attachments::read(&state.db, data_dir(&state), &loaded, a).await?;
    Ok((
        [
            (header::CONTENT_TYPE, row.content_type),
            (header::CONTENT_DISPOSITION, crate::web::disposition(&row.file_name)),
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
    attachments::remove(&state.db, data_dir(&state), &loaded, a, state.now()).await?;
    Ok((Flash::success(Msg::new("attachment.removed")), Redirect::to(&format!("/events/{id}"))).into_response())
}
