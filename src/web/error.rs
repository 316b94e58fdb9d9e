//! The one error type of handlers. It becomes a bare status with the message to show; the
//! context layer renders the translated error page around it, so no internal detail leaks.
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::i18n::Msg;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("cross-site request refused")]
    Csrf,
    #[error("bad request")]
    BadRequest,
    #[error("request body too large")]
    TooLarge,
    #[error("conflict: {0:?}")]
    Conflict(Msg),
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Attached to an error response: the text the error page shows instead of the status's default.
#[derive(Debug, Clone)]
pub struct ErrorText(pub Msg);

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::BadRequest => StatusCode::BAD_REQUEST,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        let text = match self {
            WebError::Csrf => Some(Msg::new("error.csrf")),
            WebError::Conflict(msg) => Some(msg),
            WebError::Internal(e) => {
                // The cause chain goes to the log only; the page says nothing of it.
                tracing::error!(error = format!("{e:#}"), "request failed");
                None
            }
            WebError::Unavailable => {
                tracing::error!("request failed: database unavailable");
                None
            }
            WebError::NotFound | WebError::Forbidden | WebError::BadRequest | WebError::TooLarge => None,
        };
        if let Some(text) = text {
            response.extensions_mut().insert(ErrorText(text));
        }
        response
    }
}

impl From<sea_orm::DbErr> for WebError {
    fn from(e: sea_orm::DbErr) -> Self {
        WebError::Internal(e.into())
    }
}
