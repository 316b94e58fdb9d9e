//! Static files, compiled into the binary so that it runs from anywhere.
use axum::{
    extract::Path,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

const FILES: &[(&str, &str, &str)] = &[
    ("app.css", "text/css; charset=utf-8", include_str!("../../static/app.css")),
    ("favicon.svg", "image/svg+xml", include_str!("../../static/favicon.svg")),
    ("attendance.js", "text/javascript; charset=utf-8", include_str!("../../static/attendance.js")),
    ("forms.js", "text/javascript; charset=utf-8", include_str!("../../static/forms.js")),
];

pub async fn serve(Path(name): Path<String>) -> Response {
    match FILES.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, body)) => {
            ([(header::CONTENT_TYPE, *content_type), (header::CACHE_CONTROL, "public, max-age=3600")], *body)
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, "not found\n").into_response(),
    }
}
