//! The audit log's page and file. Administrators see every entry; secretaries the entries about
//! their branches' members and their own; members nothing.
use axum::{
    Router,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use sea_orm::ActiveEnum;

use super::{
    entity::Kind,
    service::{self, AuditQuery},
    views::{AuditPage, AuditParams, Row},
};
use crate::{
    forms::{FieldErrors, parse_date},
    i18n::Msg,
    sheet::{self, Cell, Format},
    state::AppState,
    web::{Ctx, Scoped, WebError},
};

/// Entries a page.
const PAGE: u64 = 50;
/// Entries a file holds at most: beyond, the filter is to be narrowed.
pub const FILE_MAX: u64 = 100_000;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/audit", get(list))
}

fn parse(p: &AuditParams) -> Result<AuditQuery, FieldErrors> {
    let mut errors = FieldErrors::default();
    let from = errors.check("from", parse_date(&p.from)).flatten();
    let to = errors.check("to", parse_date(&p.to)).flatten();
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        errors.add("to", "audit.to_before_from");
    }
    let kind = match p.kind.as_str() {
        "" => None,
        k => match Kind::try_from_value(&k.to_owned()) {
            Ok(k) => Some(k),
            Err(_) => {
                errors.add("kind", "field.choose_one");
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = |s: &str| s.trim().chars().take(100).collect::<String>();
    Ok(AuditQuery { who: text(&p.who), member: text(&p.member), kind, from, to })
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    Query(params): Query<AuditParams>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let file = match params.format.as_str() {
        "" => false,
        "csv" => true,
        _ => return Err(WebError::BadRequest),
    };
    let refused = |ctx: Ctx, params: AuditParams, errors: FieldErrors| {
        let page = AuditPage { ctx, params, errors, rows: Vec::new(), next: None };
        Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
    };
    let query = match parse(&params) {
        Ok(q) => q,
        Err(errors) => return refused(ctx, params, errors),
    };
    // What this instance was told so far is on the page.
    state.audit.flush().await;
    let tz = state.settings.timezone;
    if file {
        let entries = match service::all(&state.db, &scope, &query, tz, FILE_MAX).await? {
            Ok(entries) => entries,
            Err(count) => {
                let mut errors = FieldErrors::default();
                errors.add_msg("form", Msg::new("audit.too_many").arg("rows", count).arg("max", FILE_MAX));
                return refused(ctx, params, errors);
            }
        };
        let detail = format!("/admin/audit?{}", params.query());
        let entry = user.audit(Kind::AuditExported, state.now()).detail(&detail).file("csv", entries.len());
        state.audit.record(entry).await;
        let columns: Vec<String> =
            ["audit.at", "audit.actor", "audit.kind", "audit.member", "audit.detail", "audit.rows", "audit.format"]
                .iter()
                .map(|k| ctx.tr(k).to_owned())
                .collect();
        // Written while it is sent: the cells of 100,000 entries are never all in memory.
        let name = format!("{}-{}.csv", ctx.tr("audit.file_stem"), state.today().format("%Y%m%d"));
        let rows = entries.into_iter().map(move |e| {
            let row = Row::of(&ctx, e);
            let text =
                [row.link.unwrap_or_default(), row.text].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>();
            let (format, rows) = row.file.map_or((String::new(), String::new()), |(f, n)| (f, n.to_string()));
            vec![
                Cell::Text(row.at),
                Cell::Text(row.actor),
                Cell::Text(ctx.tr(row.kind.label_key()).to_owned()),
                Cell::Text(row.member.map(|(_, n)| n).unwrap_or_default()),
                Cell::Text(text.join(" ")),
                Cell::Text(rows),
                Cell::Text(format),
            ]
        });
        let headers = [
            (header::CONTENT_TYPE, Format::Csv.content_type().to_owned()),
            (header::CONTENT_DISPOSITION, crate::web::disposition(&name)),
        ];
        return Ok((headers, sheet::csv_stream(columns, rows)).into_response());
    }
    let before = params.before.parse::<i64>().ok();
    let (entries, next) = service::page(&state.db, &scope, &query, tz, before, PAGE).await?;
    let rows = entries.into_iter().map(|e| Row::of(&ctx, e)).collect();
    Ok(AuditPage { ctx, params, errors: FieldErrors::default(), rows, next }.into_response())
}
