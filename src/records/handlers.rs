//! HTTP handlers of the records domain: the association's overview (a secretary's own branches),
//! a branch, a member, the compliance grid and the absence streaks; each table also as CSV and
//! XLSX (`?format=csv|xlsx`).
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono::Datelike;

use super::{
    rules::{Figures, Period, PeriodForm, percent, required_every},
    service::{self, RecordsError},
    views::*,
};
use crate::{
    accounts::Role,
    app::AppState,
    events::rules::EventKind,
    forms::{Choice, FieldErrors},
    sheet::{self, Format},
    web::{Ctx, Scoped, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/records", get(overview))
        .route("/records/branches/{id}", get(branch))
        .route("/records/members", get(every_member))
        .route("/records/members/{id}", get(member))
        .route("/records/compliance", get(compliance))
        .route("/records/streaks", get(streaks))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Params {
    #[serde(flatten)]
    period: PeriodForm,
    format: String,
    sort: String,
    kind: String,
}

impl Params {
    fn format(&self) -> Result<Option<Format>, WebError> {
        match self.format.as_str() {
            "" => Ok(None),
            "csv" => Ok(Some(Format::Csv)),
            "xlsx" => Ok(Some(Format::Xlsx)),
            _ => Err(WebError::BadRequest),
        }
    }
}

/// The period asked for, or the picker with its errors (and this year's period, not used).
fn period_of(state: &AppState, params: &Params, action: String) -> (Result<Period, ()>, Picker) {
    match params.period.parse(state.today()) {
        Ok(p) => (Ok(p), Picker { form: PeriodForm::of(&p), errors: FieldErrors::default(), action }),
        Err(errors) => (Err(()), Picker { form: params.period.clone(), errors, action }),
    }
}

fn export(format: Format, stem: &str, headers: &[String], rows: &[Vec<String>]) -> Result<Response, WebError> {
    let bytes = sheet::write(format, headers, rows).map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
    let disposition = format!("attachment; filename=\"{stem}.{}\"", format.extension());
    Ok(([(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response())
}

/// The figure columns of every table, translated.
fn figure_headers(ctx: &Ctx) -> Vec<String> {
    [
        "records.expected",
        "records.present",
        "records.late",
        "records.on_leave",
        "records.absent",
        "records.makeup_done",
        "records.attendance_rate",
        "records.leave_rate",
        "records.makeup_rate",
    ]
    .iter()
    .map(|k| ctx.tr(k).to_owned())
    .collect()
}

fn figure_cells(f: &Figures) -> Vec<String> {
    vec![
        f.expected.to_string(),
        f.present.to_string(),
        f.late.to_string(),
        f.on_leave.to_string(),
        f.absent.to_string(),
        format!("{}/{}", f.makeup_done, f.makeup_owed),
        percent(f.attendance_rate()),
        percent(f.leave_rate()),
        percent(f.makeup_rate()),
    ]
}

fn unprocessable(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    if user.role == Role::Member {
        // Members see their own record.
        return match user.member_id {
            Some(m) => Ok(Redirect::to(&format!("/records/members/{m}")).into_response()),
            None => Err(WebError::Forbidden),
        };
    }
    let format = params.format()?;
    let (period, picker) = period_of(&state, &params, "/records".to_owned());
    let tz = state.settings.timezone;
    let rows = match period {
        Ok(p) => service::overview(&state.db, &scope, &p, tz).await?,
        Err(()) => Vec::new(),
    };
    if let Some(format) = format {
        let mut headers = vec![ctx.tr("records.branch").to_owned(), ctx.tr("records.held").to_owned()];
        headers.extend(figure_headers(&ctx));
        let cells: Vec<Vec<String>> = rows
            .iter()
            .map(|r| [vec![r.name.clone(), r.held.to_string()], figure_cells(&r.figures)].concat())
            .collect();
        return export(format, "records-branches", &headers, &cells);
    }
    let mut total = Figures::default();
    rows.iter().for_each(|r| total.merge(&r.figures));
    let bad = !picker.errors.is_empty();
    let page = OverviewPage { ctx, picker, rows, total };
    Ok(if bad { unprocessable(page) } else { page.into_response() })
}

/// Every member's figures as a sheet (there is no page: 20,000 rows are for a spreadsheet).
async fn every_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    // Permission first: a forbidden caller learns nothing from how the period was malformed.
    service::require_manager(&scope)?;
    let format = params.format()?.unwrap_or(Format::Csv);
    let period = params.period.parse(state.today()).map_err(|_| WebError::BadRequest)?;
    let rows = service::every_member(&state.db, &scope, &period, state.settings.timezone).await?;
    let mut headers = vec![ctx.tr("records.branch").to_owned(), ctx.tr("records.member").to_owned()];
    headers.extend(figure_headers(&ctx));
    let cells: Vec<Vec<String>> =
        rows.iter().map(|(b, m, f)| [vec![b.clone(), m.clone()], figure_cells(f)].concat()).collect();
    export(format, "records-members", &headers, &cells)
}

async fn branch(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let format = params.format()?;
    let (period, picker) = period_of(&state, &params, format!("/records/branches/{id}"));
    // An unknown or hidden branch is 404 whatever the period.
    let checked = crate::branches::service::get(&state.db, &scope, id).await.map_err(|_| WebError::NotFound)?;
    let record = match period {
        Ok(p) => service::branch_record(&state.db, &scope, id, &p, state.settings.timezone).await?,
        Err(()) => service::BranchRecord {
            branch: checked,
            figures: Figures::default(),
            held: Vec::new(),
            members: Vec::new(),
        },
    };
    let mut members = record.members;
    let sort = match params.sort.as_str() {
        "rate" => {
            members.sort_by(|a, b| {
                let r = |m: &service::MemberRow| m.figures.attendance_rate().unwrap_or(2.0);
                r(a).total_cmp(&r(b)).then(a.name.cmp(&b.name))
            });
            "rate"
        }
        "absent" => {
            members.sort_by(|a, b| b.figures.absent.cmp(&a.figures.absent).then(a.name.cmp(&b.name)));
            "absent"
        }
        _ => "name",
    };
    if let Some(format) = format {
        let mut headers = vec![ctx.tr("records.member").to_owned()];
        headers.extend(figure_headers(&ctx));
        let cells: Vec<Vec<String>> =
            members.iter().map(|m| [vec![m.name.clone()], figure_cells(&m.figures)].concat()).collect();
        return export(format, &format!("records-{}", record.branch.code), &headers, &cells);
    }
    let bad = !picker.errors.is_empty();
    let page = BranchPage {
        ctx,
        picker,
        branch: record.branch,
        figures: record.figures,
        held: record.held,
        members,
        sort: sort.to_owned(),
    };
    Ok(if bad { unprocessable(page) } else { page.into_response() })
}

async fn member(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let format = params.format()?;
    let (period, picker) = period_of(&state, &params, format!("/records/members/{id}"));
    let tz = state.settings.timezone;
    // The whole record when the period is bad: the member is checked either way.
    let p = period.unwrap_or_else(|()| Period::year_of(state.today()));
    let record = service::member_record(&state.db, &scope, id, &p, tz).await?;
    if let Some(format) = format {
        let headers: Vec<String> =
            ["records.date", "records.event", "records.type", "records.outcome", "records.makeup"]
                .iter()
                .map(|k| ctx.tr(k).to_owned())
                .collect();
        let cells: Vec<Vec<String>> = record
            .events
            .iter()
            .map(|e| {
                vec![
                    e.day.to_string(),
                    e.title.clone(),
                    ctx.tr(e.kind.label_key()).to_owned(),
                    ctx.tr(e.outcome.label_key()).to_owned(),
                    makeup_text(&ctx, e),
                ]
            })
            .collect();
        return export(format, &format!("records-member-{id}"), &headers, &cells);
    }
    let bad = !picker.errors.is_empty();
    let page = MemberPage { ctx, picker, member: record.member, figures: record.figures, events: record.events };
    Ok(if bad { unprocessable(page) } else { page.into_response() })
}

/// The make-up column: done, owed, or nothing owed.
pub fn makeup_text(ctx: &Ctx, e: &service::EventLine) -> String {
    match (e.makeup_required, e.makeup_done) {
        (false, _) => String::new(),
        (true, true) => ctx.tr("records.makeup_yes").to_owned(),
        (true, false) => ctx.tr("records.makeup_owed").to_owned(),
    }
}

async fn compliance(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    service::require_manager(&scope)?;
    let kinds: Vec<EventKind> = EventKind::ALL.iter().copied().filter(|k| required_every(*k).is_some()).collect();
    let kind = match params.kind.trim() {
        "" => EventKind::ThemePartyDay,
        k => kinds.iter().copied().find(|c| c.key() == k).ok_or(WebError::BadRequest)?,
    };
    let today = state.today();
    let year = match params.period.year.trim() {
        "" => today.year(),
        y => y.parse::<i32>().ok().filter(|y| (1900..=2200).contains(y)).ok_or(WebError::BadRequest)?,
    };
    let tz = state.settings.timezone;
    let format = params.format()?;
    let Some((columns, rows)) = service::compliance(&state.db, &scope, kind, year, today, tz).await? else {
        return Err(WebError::BadRequest);
    };
    if let Some(format) = format {
        use super::rules::Compliance;
        let mut headers = vec![ctx.tr("records.branch").to_owned()];
        headers.extend(columns.iter().map(|c| column_label(&ctx, c)));
        let mark = |c: &Compliance| match c {
            Compliance::Held(_, n) => format!("{} ({n})", ctx.tr("records.held_mark")),
            Compliance::Planned(_) => ctx.tr("records.planned_mark").to_owned(),
            Compliance::Missed => ctx.tr("records.missed_mark").to_owned(),
            Compliance::Due => ctx.tr("records.due_mark").to_owned(),
            Compliance::NotApplicable => ctx.tr("records.before_mark").to_owned(),
        };
        let cells: Vec<Vec<String>> =
            rows.iter().map(|r| [vec![r.name.clone()], r.cells.iter().map(mark).collect()].concat()).collect();
        return export(format, &format!("records-{}-{year}", kind.key()), &headers, &cells);
    }
    Ok(CompliancePage { ctx, kind, kinds, year, columns, rows }.into_response())
}

async fn streaks(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let format = params.format()?;
    let rows = service::streaks(&state.db, &scope, state.today(), state.settings.timezone).await?;
    if let Some(format) = format {
        let headers: Vec<String> = ["records.member", "records.branch", "records.streak_months"]
            .iter()
            .map(|k| ctx.tr(k).to_owned())
            .collect();
        let cells: Vec<Vec<String>> =
            rows.iter().map(|r| vec![r.name.clone(), r.branch.clone(), r.months.to_string()]).collect();
        return export(format, "records-streaks", &headers, &cells);
    }
    Ok(StreaksPage { ctx, rows }.into_response())
}

impl From<RecordsError> for WebError {
    fn from(e: RecordsError) -> Self {
        match e {
            RecordsError::NotFound => WebError::NotFound,
            RecordsError::Forbidden => WebError::Forbidden,
            RecordsError::Db(e) => e.into(),
        }
    }
}
