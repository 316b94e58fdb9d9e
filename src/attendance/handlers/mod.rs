//! Attendance pages: a member's answer on the event page, the organisers' attendance page
//! (leave decisions, answers after the deadline, corrections, make-up), the phone roster, the
//! QR self check-in, the printable sign-in sheet (HTML and CSV) and a member's own history.
use askama::Template;
use axum::{
    Form, Json, Router,
    extract::{Path, Query, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::NaiveDate;
use chrono_tz::Tz;

use super::{
    rules::{Choose, Mark, Method},
    service::{
        self, By, WalkIn, Window,
        history::{self, Person, Summary},
    },
    views::*,
};
use crate::{
    branches::Scope,
    events::{
        entity::{event, invitation},
        rules::{
            EventState, GuestRole,
            non_voting::{NonVotingCount, NonVotingForm},
        },
        service::{self as events, Access, Loaded},
    },
    forms::Choice,
    i18n::Msg,
    invitations::Answer,
    sheet,
    state::AppState,
    web::{Ctx, CurrentUser, Flash, Scoped, User, WebError},
};

pub mod links;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(links::router())
        .route("/events/{id}/answer", post(answer_own))
        .route("/events/{id}/attendance", get(manage))
        .route("/events/{id}/attendance/{inv}/answer", post(answer_for))
        .route("/events/{id}/attendance/{inv}/leave", post(leave))
        .route("/events/{id}/attendance/{inv}/mark", post(mark))
        .route("/events/{id}/attendance/{inv}/makeup", post(makeup))
        .route("/events/{id}/walk-ins", post(walk_in))
        .route("/events/{id}/attendance/non-voting", post(non_voting))
        .route("/events/{id}/roster", get(roster))
        .route("/events/{id}/sheet", get(sheet))
        .route("/events/{id}/sheet.csv", get(sheet_csv))
        .route("/events/{id}/checkin/{token}", get(qr_page).post(qr_check_in))
        .route("/attendance/mine", get(history))
}

fn window(state: &AppState) -> Window {
    state.settings.config.attendance.window()
}

async fn zone(state: &AppState, e: &event::Model) -> Result<Tz, WebError> {
    Ok(crate::branches::service::zone_of(&state.db, e.branch_id).await?)
}

/// The event, for someone who takes its attendance (organisers, host, recorder).
async fn taker(state: &AppState, scope: &Scope, id: i64) -> Result<Loaded, WebError> {
    let loaded = events::load(&state.db, scope, id).await?;
    if loaded.event.state == EventState::Draft || !service::may_take_attendance(&loaded, scope) {
        return Err(WebError::Forbidden);
    }
    Ok(loaded)
}

/// The check-in code's token: signed per event (and start), useless for any other event.
fn checkin_token(state: &AppState, e: &event::Model) -> String {
    service::checkin_token(&state.signer, e)
}

fn checkin_url(state: &AppState, e: &event::Model) -> String {
    let base = state.settings.base_url.as_str().trim_end_matches('/');
    format!("{base}/events/{}/checkin/{}", e.id, checkin_token(state, e))
}

fn qr_svg(url: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    Some(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(240, 240).build())
}

/// The event page's attendance box for this viewer.
pub async fn event_box(state: &AppState, scope: &Scope, loaded: &Loaded) -> Result<EventBox, WebError> {
    let e = &loaded.event;
    let now = state.now();
    let mine = match scope.actor().member_id {
        Some(m) if e.state != EventState::Draft => service::invitation_of(&state.db, e.id, m).await?,
        _ => None,
    };
    let can_answer = mine.as_ref().is_some_and(|i| i.checked_in_at.is_none())
        && e.state == EventState::Scheduled
        && now < service::closes_at(e);
    let taker = e.state != EventState::Draft && service::may_take_attendance(loaded, scope);
    let (summary, people) = if taker {
        let people = history::people(&state.db, e.id).await?;
        (Some(Summary::of(&people, e.finalised_at.is_some())), people)
    } else {
        (None, Vec::new())
    };
    let qr = if taker && window(state).is_open(e, now) {
        let url = checkin_url(state, e);
        qr_svg(&url).map(|svg| (url, svg))
    } else {
        None
    };
    Ok(EventBox { mine, can_answer, summary, people, qr })
}

/// [`crate::events::handlers::EventSection`] for attendance.
pub fn event_section<'a>(
    state: &'a AppState,
    ctx: &'a Ctx,
    scope: &'a Scope,
    loaded: &'a Loaded,
) -> crate::db::BoxFuture<'a, Result<String, WebError>> {
    Box::pin(async move {
        let attendance = event_box(state, scope, loaded).await?;
        let event = &loaded.event;
        let section = EventSection {
            ctx,
            event,
            state: events::effective_state(event, state.now()),
            tz: zone(state, event).await?,
            attendance,
        };
        section.render().map_err(|e| WebError::Internal(e.into()))
    })
}

fn back(id: i64, to: &str, inv: Option<i64>) -> Redirect {
    let anchor = inv.map(|i| format!("#p{i}")).unwrap_or_default();
    match to {
        "roster" => Redirect::to(&format!("/events/{id}/roster{anchor}")),
        "event" => Redirect::to(&format!("/events/{id}")),
        "home" => Redirect::to("/"),
        _ => Redirect::to(&format!("/events/{id}/attendance{anchor}")),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct AnswerForm {
    answer: String,
    reason: String,
    back: String,
}

fn choice_of(form: &AnswerForm) -> Result<Choose, WebError> {
    match Choose::from_form(&form.answer, &form.reason) {
        Ok(Some(c)) => Ok(c),
        Ok(None) => Err(WebError::BadRequest),
        Err(key) => Err(WebError::Conflict(Msg::new(key))),
    }
}

/// A member answers their own invitation on the event page.
async fn answer_own(
    State(state): State<AppState>,
    Scoped { user, scope }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, WebError> {
    events::load(&state.db, &scope, id).await?;
    let member = user.member_id.ok_or(WebError::Forbidden)?;
    let inv = service::invitation_of(&state.db, id, member)
        .await?
        .ok_or(WebError::Conflict(Msg::new("answer.not_invited")))?;
    let choice = choice_of(&form)?;
    let given = service::answer(&state.writer, (id, inv.id), choice, By::Invitee, state.now()).await?;
    let msg = if given == Answer::Waitlisted { "answer.waitlisted" } else { "answer.saved" };
    let to = if form.back == "home" { "home" } else { "event" };
    Ok((Flash::success(Msg::new(msg)), back(id, to, None)).into_response())
}

/// A secretary changes an invitee's answer (after the deadline too), recorded with who and when.
async fn answer_for(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, inv)): Path<(i64, i64)>,
    Form(form): Form<AnswerForm>,
) -> Result<Response, WebError> {
    taker(&state, &scope, id).await?;
    let choice = choice_of(&form)?;
    service::answer(&state.writer, (id, inv), choice, By::Staff(&scope), state.now()).await?;
    Ok((Flash::success(Msg::new("answer.changed")), back(id, &form.back, Some(inv))).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct LeaveForm {
    decision: String,
    note: String,
    back: String,
}

async fn leave(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, inv)): Path<(i64, i64)>,
    Form(form): Form<LeaveForm>,
) -> Result<Response, WebError> {
    taker(&state, &scope, id).await?;
    let approve = match form.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(WebError::BadRequest),
    };
    service::decide_leave(&state.writer, &scope, (id, inv), approve, &form.note, state.now()).await?;
    let msg = if approve { "leave.approved" } else { "leave.rejected" };
    Ok((Flash::success(Msg::new(msg)), back(id, &form.back, Some(inv))).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MarkForm {
    mark: String,
    note: String,
    back: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

/// A tap on the roster (or a correction after the end). With `Accept: application/json` (the
/// roster's script) the answer is the new counter, or the translated error.
async fn mark(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    headers: HeaderMap,
    Path((id, inv)): Path<(i64, i64)>,
    Form(form): Form<MarkForm>,
) -> Result<Response, WebError> {
    let json = wants_json(&headers);
    let done = async {
        let Some(mark) = Mark::parse(&form.mark) else {
            // Who may mark is answered before what they sent.
            taker(&state, &scope, id).await?;
            return Err(WebError::BadRequest);
        };
        // The service checks who may mark (loading the event once).
        service::mark(&state.writer, &scope, (id, inv), mark, &form.note, window(&state), state.now()).await?;
        Ok::<_, WebError>(())
    }
    .await;
    if !json {
        done?;
        return Ok((Flash::success(Msg::new("roster.saved")), back(id, &form.back, Some(inv))).into_response());
    }
    if let Err(e) = done {
        let message = match &e {
            WebError::Conflict(m) => ctx.msg(m),
            WebError::NotFound => ctx.tr("error.404.text").to_owned(),
            WebError::BadRequest => ctx.tr("error.400.text").to_owned(),
            _ => ctx.tr("error.403.text").to_owned(),
        };
        return Ok((e.status(), Json(serde_json::json!({ "error": message }))).into_response());
    }
    let counts = history::counts(&state.db, id).await?;
    Ok(Json(counts).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct MakeupForm {
    done_on: String,
    note: String,
}

async fn makeup(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, inv)): Path<(i64, i64)>,
    Form(form): Form<MakeupForm>,
) -> Result<Response, WebError> {
    let loaded = taker(&state, &scope, id).await?;
    let done_on = NaiveDate::parse_from_str(form.done_on.trim(), "%Y-%m-%d")
        .map_err(|_| WebError::Conflict(Msg::new("makeup.bad_date")))?;
    // Not before the event's day, not after today, in the branch's zone.
    let tz = zone(&state, &loaded.event).await?;
    let days = (loaded.event.starts_at.with_timezone(&tz).date_naive(), state.now().with_timezone(&tz).date_naive());
    service::makeup_done(&state.writer, &scope, (id, inv), done_on, days, &form.note, state.now()).await?;
    Ok((Flash::success(Msg::new("makeup.saved")), back(id, "attendance", Some(inv))).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct WalkInForm {
    member_id: String,
    phone: String,
    name: String,
    organisation: String,
    title: String,
    role: String,
    back: String,
}

/// A walk-in guest's name, organisation or title: one line of at most 100 characters, as on the
/// event's guest form; anything else is refused whole, never cut.
fn walk_in_text(raw: &str) -> Result<Option<String>, WebError> {
    crate::forms::optional_text(raw, 100).map_err(|_| WebError::Conflict(Msg::new("walk_in.text_invalid")))
}

async fn walk_in(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<WalkInForm>,
) -> Result<Response, WebError> {
    taker(&state, &scope, id).await?;
    let unknown = || WebError::Conflict(Msg::new("walk_in.unknown_member"));
    let who = if !form.member_id.trim().is_empty() {
        WalkIn::Member(form.member_id.trim().parse().map_err(|_| unknown())?)
    } else if !form.phone.trim().is_empty() {
        let phone = crate::forms::parse_phone(&form.phone).ok().flatten().ok_or_else(unknown)?;
        WalkIn::Phone(phone)
    } else {
        let name = walk_in_text(&form.name)?.ok_or(WebError::Conflict(Msg::new("walk_in.name_required")))?;
        let role = GuestRole::parse(&form.role).unwrap_or(GuestRole::NonVoting);
        WalkIn::Guest { name, organisation: walk_in_text(&form.organisation)?, title: walk_in_text(&form.title)?, role }
    };
    let inv = service::walk_in(&state.writer, &scope, id, who, window(&state), state.now()).await?;
    Ok((Flash::success(Msg::new("walk_in.added")), back(id, &form.back, Some(inv))).into_response())
}

/// The non-voting attendees counted, by those who run the event.
async fn non_voting(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<NonVotingForm>,
) -> Result<Response, WebError> {
    taker(&state, &scope, id).await?;
    let count = form.parse().map_err(|e| {
        let msg = e.get("non_voting_count").or_else(|| e.get("non_voting_note")).cloned();
        WebError::Conflict(msg.unwrap_or_else(|| Msg::new("non_voting.count_invalid")))
    })?;
    events::set_non_voting(&state.db, &scope, id, &count, state.now()).await?;
    let to = format!("/events/{id}/attendance#non-voting");
    Ok((Flash::success(Msg::new("non_voting.saved")), Redirect::to(&to)).into_response())
}

/// Rows listed on the attendance page at most (the summary counts everyone).
const LIST_LIMIT: usize = 500;

async fn manage(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    let loaded = taker(&state, &scope, id).await?;
    let e = loaded.event.clone();
    let tz = zone(&state, &e).await?;
    let people = history::people(&state.db, id).await?;
    let finalised = e.finalised_at.is_some();
    let summary = Summary::of(&people, finalised);
    let q = params.q.trim().to_lowercase();
    let matching: Vec<usize> = (0..people.len())
        .filter(|&n| {
            let p = &people[n];
            let by_filter = match params.show.as_str() {
                "leave" => p.answer().is_leave(),
                "waitlist" => p.answer() == Answer::Waitlisted,
                "awaiting" => summary.awaiting.contains(&n),
                "absent" => p.outcome() == Some(crate::invitations::Outcome::Absent),
                "makeup" => p.makeup_required,
                _ => true,
            };
            by_filter && (q.is_empty() || p.name.to_lowercase().contains(&q))
        })
        .collect();
    let more = matching.len().saturating_sub(LIST_LIMIT);
    let shown = matching.into_iter().take(LIST_LIMIT).collect();
    // Members of the holding branches who are not on the list yet, for walk-ins.
    let listed: std::collections::HashSet<i64> = people.iter().filter_map(|p| p.member_id).collect();
    let members = service::walk_in_choices(&state.db, &loaded, &listed).await?;
    let log = service::log_of(&state.db, id, 50).await?;
    let accounts = crate::accounts::service::display_names(&state.db, log.iter().filter_map(|l| l.by_account)).await?;
    let page = ManagePage {
        ctx,
        tz,
        people,
        summary,
        shown,
        more,
        params,
        decides: loaded.access >= Access::CoOrganiser,
        finalised,
        today: state.now().with_timezone(&tz).date_naive().to_string(),
        accounts,
        log,
        members,
        non_voting: NonVotingForm::of(&NonVotingCount::of(&e)),
        event: e,
    };
    Ok(page.into_response())
}

/// The roster for the phone: everyone with their answer, one tap to mark.
async fn roster(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let loaded = taker(&state, &scope, id).await?;
    let e = loaded.event;
    let people = history::people(&state.db, id).await?;
    let summary = Summary::of(&people, e.finalised_at.is_some());
    let now = state.now();
    let open = e.state != EventState::Cancelled && e.finalised_at.is_none() && now >= window(&state).opens(&e);
    let qr = if window(&state).is_open(&e, now) {
        let url = checkin_url(&state, &e);
        qr_svg(&url).map(|svg| (url, svg))
    } else {
        None
    };
    Ok(RosterPage { ctx, event: e, people, summary, open, qr }.into_response())
}

async fn sheet_data(state: &AppState, scope: &Scope, id: i64) -> Result<(Loaded, Tz, Vec<Person>), WebError> {
    let loaded = taker(state, scope, id).await?;
    let tz = zone(state, &loaded.event).await?;
    let people = history::people(&state.db, id).await?;
    Ok((loaded, tz, people))
}

/// The printable sign-in sheet.
async fn sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (loaded, tz, people) = sheet_data(&state, &scope, id).await?;
    // A page to print: as good as a file.
    let entry = user.audit(crate::audit::Kind::RecordsExported, state.now()).branch(Some(loaded.event.branch_id));
    state.audit.record(entry.detail(&format!("/events/{id}/sheet")).file("print", people.len())).await;
    let named = events::named(&state.db, &loaded).await?;
    let event = loaded.event;
    let summary = Summary::of(&people, event.finalised_at.is_some());
    let (branch_name, host) = (named.branch.name, named.host);
    Ok(SheetPage { ctx, event, tz, branch_name, host, people, summary }.into_response())
}

/// The sign-in sheet as CSV (UTF-8 with BOM, for spreadsheet programs).
async fn sheet_csv(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let (Loaded { event, .. }, tz, people) = sheet_data(&state, &scope, id).await?;
    let headers = [
        "sheet.number",
        "column.name",
        "sheet.unit",
        "column.political_status",
        "sheet.role",
        "answer.current",
        "answer.reason",
        "sheet.checked_in_at",
        "sheet.method",
        "sheet.outcome",
        "outcome.left_early",
        "makeup.title",
    ];
    let tr = |k: &str| ctx.tr(k).to_owned();
    let headers: Vec<String> = headers.iter().map(|h| tr(h)).collect();
    let mut rows = Vec::with_capacity(people.len());
    for (n, p) in people.iter().enumerate() {
        let role = if p.expected() { tr("sheet.role_member") } else { tr(&p.role_label()) };
        let makeup = match (p.makeup_required, p.makeup_done_on) {
            (false, _) => String::new(),
            (true, Some(d)) => format!("{} {d}", tr("makeup.done")),
            (true, None) => tr("makeup.open"),
        };
        rows.push(vec![
            (n + 1).to_string(),
            p.name.clone(),
            p.unit.clone().unwrap_or_default(),
            p.status_label().map(tr).unwrap_or_default(),
            role,
            tr(p.answer().label_key()),
            p.leave_reason.clone().unwrap_or_default(),
            p.checked_in_at.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
            p.method().map(|m| tr(m.label_key())).unwrap_or_default(),
            p.outcome().map(|o| tr(o.label_key())).unwrap_or_default(),
            if p.left_early { tr("outcome.left_early") } else { String::new() },
            makeup,
        ]);
    }
    let body = sheet::write(sheet::Format::Csv, &headers, &rows).map_err(|e| WebError::Internal(anyhow::anyhow!(e)))?;
    let entry = user.audit(crate::audit::Kind::RecordsExported, state.now()).branch(Some(event.branch_id));
    state.audit.record(entry.detail(&format!("/events/{}/sheet", event.id)).file("csv", rows.len())).await;
    let name = format!("sign-in-{}-{}.csv", event.id, event.starts_at.with_timezone(&tz).format("%Y%m%d"));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, crate::web::disposition(&name)),
        ],
        body,
    )
        .into_response())
}

/// The event and the member's invitation a scanned code opens, or why it cannot be used.
async fn scanned(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    token: &str,
) -> Result<(event::Model, invitation::Model), WebError> {
    let e = service::scanned_event(&state.db, &state.signer, id, token).await?;
    if e.state == EventState::Cancelled {
        return Err(WebError::Conflict(Msg::new("answer.cancelled")));
    }
    let now = state.now();
    if now < window(state).opens(&e) {
        return Err(WebError::Conflict(Msg::new("checkin.not_open")));
    }
    if !window(state).is_open(&e, now) {
        return Err(WebError::Conflict(Msg::new("checkin.closed")));
    }
    let member = user.member_id.ok_or(WebError::Conflict(Msg::new("checkin.not_invited")))?;
    let inv = service::invitation_of(&state.db, id, member).await?;
    Ok((e, inv.ok_or(WebError::Conflict(Msg::new("checkin.not_invited")))?))
}

/// Opening the scanned code's address shows a button (a link preview must not check anyone in).
async fn qr_page(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Path((id, token)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let (event, inv) = scanned(&state, &user, id, &token).await?;
    let tz = zone(&state, &event).await?;
    Ok(CheckinPage { ctx, event, tz, token, done: inv.checked_in_at }.into_response())
}

async fn qr_check_in(
    State(state): State<AppState>,
    User(user): User,
    Path((id, token)): Path<(i64, String)>,
) -> Result<Response, WebError> {
    let (event, inv) = scanned(&state, &user, id, &token).await?;
    let outcome = service::check_in(&state.writer, (event.id, inv.id), Method::Qr, window(&state), state.now()).await?;
    let msg = if outcome == crate::invitations::Outcome::Late { "checkin.done_late" } else { "checkin.done" };
    Ok((Flash::success(Msg::new(msg)), Redirect::to(&format!("/events/{id}"))).into_response())
}

/// A member's own record: open make-up study first, then every event they were invited to.
async fn history(
    State(state): State<AppState>,
    ctx: Ctx,
    User(user): User,
    Query(params): Query<HistoryParams>,
) -> Result<Response, WebError> {
    let page = crate::web::forms::page_number(Some(&params.page));
    let open_only = params.open == "1";
    let Some(member) = user.member_id else {
        let page = HistoryPage { ctx, linked: false, open_tasks: vec![], rows: vec![], page, more: false, open_only };
        return Ok(page.into_response());
    };
    let (open_tasks, _) = history::of_member(&state.db, member, true, 1).await?;
    let (rows, more) = history::of_member(&state.db, member, open_only, page).await?;
    Ok(HistoryPage { ctx, linked: true, open_tasks, rows, page, more, open_only }.into_response())
}

/// How this domain's refusals reach the person: the web error (and translated message) of each.
impl From<crate::attendance::AttendanceError> for WebError {
    fn from(e: crate::attendance::AttendanceError) -> Self {
        use crate::attendance::AttendanceError as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden => WebError::Forbidden,
            E::Refused(key) => WebError::Conflict(Msg::new(key)),
            E::Db(e) => e.into(),
        }
    }
}
