//! HTTP handlers of the records domain: the association's overview (a secretary's own branches),
//! a branch, a member, the compliance grid and the absence streaks; each table also as CSV and
//! XLSX (`?format=csv|xlsx`).
use axum::{
    Router,
    extract::{Path, Query, State},
    http::{StatusCode, Uri, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::Datelike;

use super::{
    rules::{Figures, Period, PeriodForm, PeriodKind, RecordRules},
    service::{self, RecordsError},
    views::*,
};
use crate::{
    accounts::Role,
    audit::{Entry, Kind},
    events::rules::EventKind,
    forms::{Choice, FieldErrors},
    sheet::{self, Cell, Format},
    state::AppState,
    web::{Ctx, CurrentUser, Scoped, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/records", get(overview))
        .route("/records/branches/{id}", get(branch))
        .route("/records/members", get(every_member))
        .route("/records/members/{id}", get(member))
        .route("/records/branches/{id}/ledger", get(ledger))
        .route("/records/compliance", get(compliance))
        .route("/records/compliance/exempt", get(exempt_form).post(exempt_save))
        .route("/records/compliance/exemptions/{id}/delete", post(exempt_delete))
        .route("/records/rules", get(rules_page).post(rules_save))
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

/// The period asked for, or the picker with its errors.
fn period_of(state: &AppState, ctx: &Ctx, params: &Params, action: String) -> (Result<Period, ()>, Picker) {
    let today = state.today();
    match params.period.parse(today) {
        Ok(p) => (Ok(p), Picker::new(ctx, &params.period, Ok(&p), action, today)),
        Err(errors) => (Err(()), Picker::new(ctx, &params.period, Err(errors), action, today)),
    }
}

/// The headers of a sheet to download, named by its parts (what, whose, which period).
fn attachment(format: Format, name: &[&str]) -> [(header::HeaderName, String); 2] {
    let disposition = crate::web::disposition(&file_name(name, format.extension()));
    [(header::CONTENT_TYPE, format.content_type().to_owned()), (header::CONTENT_DISPOSITION, disposition)]
}

/// The audit log's entry of a file asked for from `uri`'s page.
fn asked(state: &AppState, user: &CurrentUser, uri: &Uri) -> Entry {
    user.audit(Kind::RecordsExported, state.now()).detail(&crate::web::without_format(uri))
}

/// A sheet to download, recorded in the audit log.
async fn export(
    state: &AppState,
    entry: Entry,
    format: Format,
    name: &[&str],
    headers: &[String],
    rows: &[Vec<Cell>],
) -> Result<Response, WebError> {
    state.audit.record(entry.file(format.extension(), rows.len())).await;
    let bytes = sheet::write_cells(format, headers, rows).map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
    Ok((attachment(format, name), bytes).into_response())
}

/// The figure columns of every table, translated.
fn figure_headers(ctx: &Ctx) -> Vec<String> {
    [
        "records.expected",
        "records.present",
        "records.late",
        "records.on_leave",
        "records.absent",
        "records.makeup_due",
        "records.makeup_done",
        "records.attendance_rate",
        "records.leave_rate",
        "records.makeup_rate",
    ]
    .iter()
    .map(|k| ctx.tr(k).to_owned())
    .collect()
}

fn figure_cells(f: &Figures) -> Vec<Cell> {
    vec![
        Cell::Count(f.expected),
        Cell::Count(f.present),
        Cell::Count(f.late),
        Cell::Count(f.on_leave),
        Cell::Count(f.absent),
        Cell::Count(f.makeup_owed),
        Cell::Count(f.makeup_done),
        Cell::Rate(f.attendance_rate()),
        Cell::Rate(f.leave_rate()),
        Cell::Rate(f.makeup_rate()),
    ]
}

fn unprocessable(page: impl IntoResponse) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, page).into_response()
}

async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    uri: Uri,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    if user.role == Role::Member {
        // Members see their own record.
        return match user.member_id {
            Some(m) => Ok(Redirect::to(&format!("/records/members/{m}")).into_response()),
            None => Err(WebError::NotFound),
        };
    }
    let format = params.format()?;
    let (period, picker) = period_of(&state, &ctx, &params, "/records".to_owned());
    let tz = state.settings.timezone;
    let (rows, by_month) = match period {
        Ok(p) => service::overview(&state.db, &scope, &p, tz).await?,
        Err(()) => (Vec::new(), Vec::new()),
    };
    if let Some(format) = format {
        let mut headers = vec![ctx.tr("records.branch").to_owned(), ctx.tr("records.held").to_owned()];
        headers.extend(figure_headers(&ctx));
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| {
                [
                    vec![Cell::Text(r.name.clone()), Cell::Count(u32::try_from(r.held).unwrap_or(u32::MAX))],
                    figure_cells(&r.figures),
                ]
                .concat()
            })
            .collect();
        let shown = picker.shown.as_deref().unwrap_or_default();
        let entry = asked(&state, &user, &uri);
        return export(
            &state,
            entry,
            format,
            &[ctx.tr("records.file_stem"), ctx.tr("records.branches"), shown],
            &headers,
            &cells,
        )
        .await;
    }
    let mut total = Figures::default();
    rows.iter().for_each(|r| total.merge(&r.figures));
    let bad = !picker.errors.is_empty();
    let months = period.map(|p| p.months()).unwrap_or_default();
    let trend = trend(&ctx, &months, &by_month);
    let page = OverviewPage { ctx, picker, rows, total, trend, months };
    Ok(if bad { unprocessable(page) } else { page.into_response() })
}

/// Every member's figures as a sheet (there is no page: 20,000 rows are for a spreadsheet).
async fn every_member(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    uri: Uri,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    // Permission first: a forbidden caller learns nothing from how the period was malformed.
    service::require_manager(&scope)?;
    let format = params.format()?.unwrap_or(Format::Csv);
    let period = params.period.parse(state.today()).map_err(|_| WebError::BadRequest)?;
    let rows = service::every_member(&state.db, &scope, &period, state.settings.timezone).await?;
    let mut headers = vec![ctx.tr("records.branch").to_owned(), ctx.tr("records.member").to_owned()];
    headers.extend(figure_headers(&ctx));
    let entry = asked(&state, &user, &uri);
    let count = rows.len();
    let cells = rows.into_iter().map(|(b, m, f)| [vec![Cell::Text(b), Cell::Text(m)], figure_cells(&f)].concat());
    let shown = period_name(&ctx, &period);
    let name = [ctx.tr("records.file_stem"), ctx.tr("records.file_members"), &shown];
    if format == Format::Csv {
        state.audit.record(entry.file(format.extension(), count)).await;
        // Streamed: the rows are formatted while they are sent.
        return Ok((attachment(format, &name), sheet::csv_stream(headers, cells)).into_response());
    }
    export(&state, entry, format, &name, &headers, &cells.collect::<Vec<_>>()).await
}

async fn branch(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    uri: Uri,
    Path(id): Path<i64>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let format = params.format()?;
    let (period, picker) = period_of(&state, &ctx, &params, format!("/records/branches/{id}"));
    // An unknown or hidden branch is 404 whatever the period.
    let checked = crate::branches::service::get(&state.db, &scope, id).await.map_err(|_| WebError::NotFound)?;
    let record = match period {
        Ok(p) => service::branch_record(&state.db, &scope, id, &p, state.settings.timezone).await?,
        Err(()) => service::BranchRecord {
            branch: checked,
            figures: Figures::default(),
            months: Vec::new(),
            held: Vec::new(),
            members: Vec::new(),
        },
    };
    let months = period.map(|p| p.months()).unwrap_or_default();
    let trend = trend(&ctx, &months, &record.months);
    // The ledger of the half the period ends in.
    let ledger = Period::half_of(period.map_or_else(|()| state.today(), |p| p.to)).key();
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
        let cells: Vec<Vec<Cell>> =
            members.iter().map(|m| [vec![Cell::Text(m.name.clone())], figure_cells(&m.figures)].concat()).collect();
        let shown = picker.shown.as_deref().unwrap_or_default();
        let entry = asked(&state, &user, &uri).branch(Some(id));
        return export(
            &state,
            entry,
            format,
            &[ctx.tr("records.file_stem"), &record.branch.name, shown],
            &headers,
            &cells,
        )
        .await;
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
        trend,
        ledger,
    };
    Ok(if bad { unprocessable(page) } else { page.into_response() })
}

async fn member(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    uri: Uri,
    Path(id): Path<i64>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let format = params.format()?;
    let (period, picker) = period_of(&state, &ctx, &params, format!("/records/members/{id}"));
    let tz = state.settings.timezone;
    // The whole record when the period is bad: the member is checked either way.
    let p = period.unwrap_or_else(|()| Period::year_of(state.today()));
    let record = service::member_record(&state.db, &scope, id, &p, tz).await?;
    if format.is_none() {
        let m = &record.member;
        user.viewed(&state, Kind::RecordViewed, (m.id, &m.name, m.branch_id), &format!("/records/members/{id}")).await;
    }
    if let Some(format) = format {
        let headers: Vec<String> =
            ["records.date", "records.event", "records.type", "records.outcome", "records.makeup"]
                .iter()
                .map(|k| ctx.tr(k).to_owned())
                .collect();
        let cells: Vec<Vec<Cell>> = record
            .events
            .iter()
            .map(|e| {
                vec![
                    Cell::Date(e.day),
                    Cell::Text(e.title.clone()),
                    Cell::Text(ctx.tr(e.kind.label_key()).to_owned()),
                    Cell::Text(ctx.tr(e.outcome.label_key()).to_owned()),
                    Cell::Text(makeup_text(&ctx, e)),
                ]
            })
            .collect();
        let shown = picker.shown.as_deref().unwrap_or_default();
        let m = &record.member;
        let entry = asked(&state, &user, &uri).member(m.id, &m.name, m.branch_id);
        return export(&state, entry, format, &[ctx.tr("records.file_stem"), &m.name, shown], &headers, &cells).await;
    }
    let bad = !picker.errors.is_empty();
    let caption = ctx.tr_with("records.heatmap_caption", "year", record.year);
    let heatmap = super::charts::heatmap(
        record.year,
        super::charts::heatmap_end(record.year, state.today()),
        &record.days,
        |m| ctx.tr(&format!("records.month.{m}")).to_owned(),
        &caption,
    );
    let marks = super::charts::OutcomeMark::ALL
        .iter()
        .map(|m| (*m, record.days.values().filter(|(d, _)| d == m).count()))
        .collect();
    let page = MemberPage {
        ctx,
        picker,
        member: record.member,
        figures: record.figures,
        events: record.events,
        elsewhere: record.elsewhere,
        year: record.year,
        heatmap,
        marks,
    };
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
    Scoped { scope, user }: Scoped,
    uri: Uri,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    service::require_manager(&scope)?;
    let rules = service::rules(&state.db).await?;
    let kinds = rules.required();
    let kind = match params.kind.trim() {
        "" => kinds.first().copied().unwrap_or(EventKind::ThemePartyDay),
        k => kinds.iter().copied().find(|c| c.key() == k).ok_or(WebError::BadRequest)?,
    };
    let today = state.today();
    let year = match params.period.year.trim() {
        "" => today.year(),
        y => y.parse::<i32>().ok().filter(|y| (1900..=2200).contains(y)).ok_or(WebError::BadRequest)?,
    };
    let tz = state.settings.timezone;
    let format = params.format()?;
    let Some((columns, rows)) = service::compliance(&state.db, &scope, &rules, kind, year, None, today, tz).await?
    else {
        return Ok(CompliancePage::new(ctx, kind, kinds, year, Vec::new(), Vec::new()).into_response());
    };
    if let Some(format) = format {
        use super::rules::Compliance;
        let mut headers = vec![ctx.tr("records.branch").to_owned()];
        headers.extend(columns.iter().map(|c| column_label(&ctx, c)));
        let mark = |c: &Compliance| match c {
            Compliance::Held(_, n) => format!("{} ({n})", ctx.tr("records.held_mark")),
            Compliance::Planned(_) => ctx.tr("records.planned_mark").to_owned(),
            Compliance::Exempted(_) => ctx.tr("records.exempted_mark").to_owned(),
            Compliance::Missed => ctx.tr("records.missed_mark").to_owned(),
            Compliance::Due => ctx.tr("records.due_mark").to_owned(),
            Compliance::NotApplicable => ctx.tr("records.before_mark").to_owned(),
        };
        let cell = |r: &service::ComplianceRow, c: &Compliance| match c {
            Compliance::Exempted(id) => format!("{} ({})", mark(c), r.reason(id)),
            _ => mark(c),
        };
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| {
                [vec![Cell::Text(r.name.clone())], r.cells.iter().map(|c| Cell::Text(cell(r, c))).collect()].concat()
            })
            .collect();
        let year = ctx.tr_with("records.name_year", "year", year);
        let entry = asked(&state, &user, &uri);
        return export(
            &state,
            entry,
            format,
            &[ctx.tr("records.compliance"), ctx.tr(kind.label_key()), &year],
            &headers,
            &cells,
        )
        .await;
    }
    Ok(CompliancePage::new(ctx, kind, kinds, year, columns, rows).into_response())
}

async fn streaks(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    uri: Uri,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    let format = params.format()?;
    let rules = service::rules(&state.db).await?;
    let rows = service::streaks(&state.db, &scope, &rules, state.today(), state.settings.timezone).await?;
    if let Some(format) = format {
        let headers: Vec<String> = ["records.member", "records.branch", "records.streak_months"]
            .iter()
            .map(|k| ctx.tr(k).to_owned())
            .collect();
        let cells: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| vec![Cell::Text(r.name.clone()), Cell::Text(r.branch.clone()), Cell::Count(r.months)])
            .collect();
        let today = long_date(&ctx, state.today());
        let entry = asked(&state, &user, &uri);
        return export(&state, entry, format, &[ctx.tr("records.streaks"), &today], &headers, &cells).await;
    }
    Ok(StreaksPage { ctx, rows, thresholds: rules.thresholds }.into_response())
}

impl From<RecordsError> for WebError {
    fn from(e: RecordsError) -> Self {
        match e {
            RecordsError::NotFound => WebError::NotFound,
            RecordsError::Invalid(_) => WebError::BadRequest,
            RecordsError::Forbidden => WebError::Forbidden,
            RecordsError::Stale(_) => WebError::Conflict(crate::i18n::Msg::new("records.rules_stale")),
            RecordsError::Db(e) => e.into(),
        }
    }
}

/// The half-yearly ledger of a branch (`?p=2026-h1`, or `?year=2026&n=1` as before; this half by
/// default), as a page to print or as a sheet.
async fn ledger(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    uri: Uri,
    Path(id): Path<i64>,
    Query(params): Query<Params>,
) -> Result<Response, WebError> {
    service::require_manager(&scope)?;
    let format = params.format()?;
    let today = state.today();
    let period = match params.period.p.trim() {
        "" => PeriodForm { period: "half".into(), ..params.period.clone() }.parse(today),
        p => Period::of_key(p).filter(|p| p.kind == PeriodKind::Half).ok_or_else(FieldErrors::default),
    }
    .map_err(|_| WebError::BadRequest)?;
    let ledger = service::ledger(&state.db, &scope, id, &period, state.settings.timezone).await?;
    if let Some(format) = format {
        let mut headers = vec![ctx.tr("records.member").to_owned()];
        headers.extend(ledger.events.iter().map(|(_, day, title)| format!("{day} {title}")));
        headers.extend(
            ["records.present", "records.late", "records.on_leave", "records.absent", "records.makeup_done"]
                .iter()
                .map(|k| ctx.tr(k).to_owned()),
        );
        let symbol =
            |m: &Option<super::charts::OutcomeMark>| m.map_or(String::new(), |m| ctx.tr(mark_symbol_key(m)).to_owned());
        let cells: Vec<Vec<Cell>> = ledger
            .rows
            .iter()
            .map(|(_, name, marks, f)| {
                let mut row = vec![Cell::Text(name.clone())];
                row.extend(marks.iter().map(|m| Cell::Text(symbol(m))));
                row.extend([f.present, f.late, f.on_leave, f.absent, f.makeup_done].map(Cell::Count));
                row
            })
            .collect();
        let shown = period_name(&ctx, &period);
        let entry = asked(&state, &user, &uri).branch(Some(id));
        return export(
            &state,
            entry,
            format,
            &[ctx.tr("records.ledger"), &ledger.branch.name, &shown],
            &headers,
            &cells,
        )
        .await;
    }
    let mut halves: Vec<Period> = super::rules::offered(today)
        .into_iter()
        .find(|(k, _)| *k == PeriodKind::Half)
        .map(|(_, list)| list)
        .unwrap_or_default();
    if !halves.contains(&period) {
        halves.push(period);
        halves.sort_by_key(|p| std::cmp::Reverse(p.from));
    }
    let halves = halves.iter().map(|p| (p.key(), period_name(&ctx, p))).collect();
    Ok(LedgerPage { ctx, ledger, period, halves }.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ExemptQuery {
    unit: String,
    kind: String,
    from: String,
}

/// The unit, type and stretch an exemption form speaks of (404 for what does not exist or is not
/// the caller's).
async fn exempt_target(
    state: &AppState,
    scope: &crate::branches::Scope,
    rules: &RecordRules,
    q: &ExemptQuery,
) -> Result<(crate::branches::entity::branch::Model, EventKind, (chrono::NaiveDate, chrono::NaiveDate)), WebError> {
    service::require_manager(scope)?;
    let unit_id = q.unit.trim().parse::<i64>().map_err(|_| WebError::NotFound)?;
    let unit = crate::branches::service::get(&state.db, scope, unit_id).await.map_err(|_| WebError::NotFound)?;
    let kind = rules.required().into_iter().find(|k| k.key() == q.kind.trim()).ok_or(WebError::BadRequest)?;
    // Years a document can print (1900–2200): no 0001-01-01 stored that no page shows.
    let from = crate::forms::parse_date(&q.from).ok().flatten().ok_or(WebError::BadRequest)?;
    let every = rules.every(kind).unwrap_or(1);
    let stretch = super::rules::stretches(from.year(), every)
        .into_iter()
        .find(|(a, _)| *a == from)
        .ok_or(WebError::BadRequest)?;
    Ok((unit, kind, stretch))
}

async fn exempt_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(q): Query<ExemptQuery>,
) -> Result<Response, WebError> {
    let rules = service::rules(&state.db).await?;
    let (unit, kind, stretch) = exempt_target(&state, &scope, &rules, &q).await?;
    let existing = service::exemption_of(&state.db, &scope, unit.id, kind, stretch.0).await?;
    let reason = existing.as_ref().map(|x| x.reason.clone()).unwrap_or_default();
    let withdrawn = withdrawn(&state, &ctx, &scope, unit.id, kind, stretch.0).await?;
    let errors = FieldErrors::default();
    Ok(ExemptPage { ctx, unit, kind, stretch, reason, errors, existing, withdrawn }.into_response())
}

/// The stretch's withdrawn exemptions as the page lists them: when, by whom, and their reason.
async fn withdrawn(
    state: &AppState,
    ctx: &Ctx,
    scope: &crate::branches::Scope,
    unit: i64,
    kind: EventKind,
    from: chrono::NaiveDate,
) -> Result<Vec<(String, String, String)>, WebError> {
    let rows = service::withdrawals(&state.db, scope, unit, kind, from).await?;
    Ok(rows.into_iter().map(|(w, who)| (ctx.datetime(&w.withdrawn_at), who, w.reason)).collect())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ExemptForm {
    unit: String,
    kind: String,
    from: String,
    reason: String,
}

/// Where the grid shows a unit's type and year.
fn to_grid(kind: EventKind, year: i32) -> Redirect {
    Redirect::to(&format!("/records/compliance?kind={}&year={year}", kind.key()))
}

async fn exempt_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    axum::Form(form): axum::Form<ExemptForm>,
) -> Result<Response, WebError> {
    let rules = service::rules(&state.db).await?;
    let q = ExemptQuery { unit: form.unit.clone(), kind: form.kind.clone(), from: form.from.clone() };
    let (unit, kind, stretch) = exempt_target(&state, &scope, &rules, &q).await?;
    match service::exempt(&state.db, &scope, &rules, unit.id, kind, stretch.0, &form.reason, state.now()).await {
        Ok(_) => {
            Ok((crate::web::Flash::success(crate::i18n::Msg::new("records.exempted")), to_grid(kind, stretch.0.year()))
                .into_response())
        }
        Err(RecordsError::Invalid(errors)) => {
            let existing = service::exemption_of(&state.db, &scope, unit.id, kind, stretch.0).await?;
            let withdrawn = withdrawn(&state, &ctx, &scope, unit.id, kind, stretch.0).await?;
            let page = ExemptPage { ctx, unit, kind, stretch, reason: form.reason, errors, existing, withdrawn };
            Ok(unprocessable(page))
        }
        Err(e) => Err(e.into()),
    }
}

async fn exempt_delete(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let x = service::unexempt(&state.db, &scope, id, state.now()).await?;
    Ok((crate::web::Flash::success(crate::i18n::Msg::new("records.unexempted")), to_grid(x.kind, x.starts_on.year()))
        .into_response())
}

async fn rules_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
) -> Result<Response, WebError> {
    service::require_admin(&scope)?;
    let rules = service::rules(&state.db).await?;
    Ok(RulesPage {
        ctx,
        rows: rules.rows().to_vec(),
        thresholds: rules.thresholds,
        errors: FieldErrors::default(),
        version: rules.version(),
        saved_meanwhile: None,
    }
    .into_response())
}

async fn rules_save(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    axum::Form(form): axum::Form<crate::events::rules::Pairs>,
) -> Result<Response, WebError> {
    service::require_admin(&scope)?;
    let based_on = form.get("version").to_owned();
    // What was typed, with defaults where a field did not read.
    let typed = |errors: FieldErrors, version: String, saved_meanwhile: Option<RecordRules>| {
        let shown = RecordRules::default();
        let rows = shown
            .rows()
            .iter()
            .map(|(k, n)| (*k, form.get(&format!("every.{}", k.key())).trim().parse().unwrap_or(*n)))
            .collect();
        let t = |i: usize| form.get(&format!("t{}", i + 1)).trim().parse().unwrap_or(shown.thresholds[i]);
        RulesPage { ctx, rows, thresholds: [t(0), t(1), t(2)], errors, version, saved_meanwhile }
    };
    match RecordRules::parse_form(&form) {
        Ok(rules) => match service::save_rules(&state.db, &scope, &rules, &based_on, state.now()).await {
            Ok(()) => Ok((
                crate::web::Flash::success(crate::i18n::Msg::new("records.rules_saved")),
                Redirect::to("/records/rules"),
            )
                .into_response()),
            // Saved by another meanwhile: both shown, the next save is based on theirs.
            Err(RecordsError::Stale(now)) => {
                let version = now.version();
                Ok((StatusCode::CONFLICT, typed(FieldErrors::default(), version, Some(*now))).into_response())
            }
            Err(e) => Err(e.into()),
        },
        Err(errors) => Ok(unprocessable(typed(errors, based_on.clone(), None))),
    }
}
