//! The month calendar and the calendar subscriptions (private iCalendar feeds).
use std::collections::HashMap;

use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{Datelike, Days, Months, NaiveDate, Timelike};

use crate::events::{
    entity::feed,
    service::{
        self,
        feeds::{self, FeedOwner},
        list,
    },
    views::{CalendarDay, CalendarEvent, CalendarPage, FeedRow, FeedsPage},
};
use crate::{
    branches::Scope,
    forms::Choice,
    i18n::Msg,
    state::AppState,
    web::{Ctx, CurrentUser, Flash, Scoped, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/calendar", get(calendar))
        .route("/calendar/feeds", get(feeds_page))
        .route("/calendar/feeds/renew", post(renew))
        .route("/calendar/feeds/revoke", post(revoke))
        .route("/feeds/{token}", get(feed))
}

/// Events shown per day in an organiser's month; the rest are "+N more", a link to that day's list.
const PER_DAY: usize = 3;

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CalendarParams {
    month: String,
    branch: String,
}

/// The first day of a "YYYY-MM" month.
fn parse_month(s: &str) -> Option<NaiveDate> {
    let (y, m) = s.trim().split_once('-')?;
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)
}

/// A month of events as weeks from Monday to Sunday, in the association's zone. Organisers see
/// their branches' events (drafts too); members see their own.
async fn calendar(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { user, scope }: Scoped,
    Query(params): Query<CalendarParams>,
) -> Result<Response, WebError> {
    let tz = state.settings.timezone;
    let now = state.now();
    let today = now.with_timezone(&tz).date_naive();
    let first = parse_month(&params.month).unwrap_or_else(|| today.with_day(1).unwrap_or(today));
    let (Some(next), Some(prev)) = (first.checked_add_months(Months::new(1)), first.checked_sub_months(Months::new(1)))
    else {
        return Err(WebError::NotFound);
    };
    let from = list::start_of(first, tz);
    let until = list::start_of(next, tz);
    let branch = params.branch.parse::<i64>().ok();
    let manager = scope.require_manager().is_ok();
    // How many events start on each day, where the calendar shows only some of them.
    let (rows, units, totals) = if manager {
        let units = crate::events::handlers::own_units(&state, &scope).await?;
        let (rows, totals) = list::between(&state.db, &scope, branch, (from, until), tz, PER_DAY).await?;
        (rows, units, totals)
    } else if let Some(member_id) = user.member_id {
        let units = service::member_units(&state.db, Some(member_id)).await?;
        (list::mine(&state.db, member_id, &units, from, Some(until)).await?, Vec::new(), HashMap::new())
    } else {
        (Vec::new(), Vec::new(), HashMap::new())
    };
    let grid_start = first - Days::new(u64::from(first.weekday().num_days_from_monday()));
    let grid_end = next + Days::new(u64::from((7 - next.weekday().num_days_from_monday()) % 7));
    // Each event goes on every day of the grid it touches; its dates and labels are worked out once.
    let mut by_day: HashMap<NaiveDate, Vec<usize>> = HashMap::new();
    let mut starting: HashMap<NaiveDate, usize> = HashMap::new();
    let mut events = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let local = row.starts_at.with_timezone(&tz);
        *starting.entry(local.date_naive()).or_default() += 1;
        // An event ending at midnight does not spill into the next day.
        let last_moment = (row.ends_at - chrono::Duration::seconds(1)).max(row.starts_at);
        let end = last_moment.with_timezone(&tz).date_naive().min(grid_end);
        let mut day = local.date_naive().max(grid_start);
        loop {
            by_day.entry(day).or_default().push(i);
            match day.succ_opt().filter(|d| *d <= end && *d < grid_end) {
                Some(next) => day = next,
                None => break,
            }
        }
        let time = format!("{:02}:{:02}", local.hour(), local.minute());
        events.push(CalendarEvent { time, state: row.state_at(now).key(), row });
    }
    let mut weeks: Vec<Vec<CalendarDay>> = Vec::new();
    let mut day = grid_start;
    while day < grid_end {
        if day.weekday().num_days_from_monday() == 0 {
            weeks.push(Vec::with_capacity(7));
        }
        let shown = starting.get(&day).copied().unwrap_or(0);
        let more = totals.get(&day).map_or(0, |t| t.saturating_sub(shown));
        if let Some(w) = weeks.last_mut() {
            let (in_month, today) = (day.month() == first.month(), day == today);
            let events = by_day.remove(&day).unwrap_or_default();
            w.push(CalendarDay { date: day, number: day.day(), in_month, today, events, more });
        }
        day = day + Days::new(1);
    }
    let page = CalendarPage {
        ctx,
        month: first,
        prev: prev.format("%Y-%m").to_string(),
        next: next.format("%Y-%m").to_string(),
        branch: params.branch,
        units,
        weeks,
        events,
        now,
        tz,
        manager,
    };
    Ok(page.into_response())
}

/// The address a calendar app subscribes to.
fn feed_url(state: &AppState, f: &feed::Model) -> String {
    let base = state.settings.base_url.as_str().trim_end_matches('/');
    format!("{base}/feeds/{}.ics", feeds::token(&state.signer, f))
}

/// The owner named in a form ("member", or "branch:ID"), if the user may manage its feed.
async fn owner_of(state: &AppState, user: &CurrentUser, scope: &Scope, raw: &str) -> Result<FeedOwner, WebError> {
    if raw == "member" {
        return user.member_id.map(FeedOwner::Member).ok_or(WebError::NotFound);
    }
    let id = raw.strip_prefix("branch:").and_then(|i| i.parse::<i64>().ok()).ok_or(WebError::NotFound)?;
    let units = crate::events::handlers::own_units(state, scope).await?;
    units
        .iter()
        .find(|u| u.id == id && u.kind.holds_members())
        .map(|u| FeedOwner::Branch(u.id))
        .ok_or(WebError::NotFound)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct FeedForm {
    owner: String,
    confirmed: String,
}

async fn feeds_view(
    state: &AppState,
    ctx: Ctx,
    (user, scope): (&CurrentUser, &Scope),
    confirm: Option<(String, &'static str)>,
) -> Result<Response, WebError> {
    let mut entries = Vec::new();
    if let Some(id) = user.member_id {
        let url = feeds::active(&state.db, FeedOwner::Member(id)).await?.map(|f| feed_url(state, &f));
        entries.push(FeedRow { owner: "member".into(), name: String::new(), heading: Some("feed.mine"), url });
    }
    let branch_choices = if scope.require_manager().is_ok() {
        let units: Vec<_> = crate::events::handlers::own_units(state, scope)
            .await?
            .into_iter()
            .filter(|u| u.kind.holds_members())
            .collect();
        let live = feeds::live_of_branches(&state.db, scope, units.iter().map(|u| u.id)).await?;
        let first = entries.len();
        entries.extend(live.iter().filter_map(|f| {
            let unit = units.iter().find(|u| Some(u.id) == f.branch_id)?;
            let url = Some(feed_url(state, f));
            Some(FeedRow { owner: format!("branch:{}", unit.id), name: unit.name.clone(), heading: None, url })
        }));
        if let Some(e) = entries.get_mut(first) {
            e.heading = Some("feed.branches");
        }
        units
    } else {
        Vec::new()
    };
    let page = FeedsPage { ctx, entries, branch_choices, confirm };
    Ok(page.into_response())
}

async fn feeds_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { user, scope }: Scoped,
) -> Result<Response, WebError> {
    feeds_view(&state, ctx, (&user, &scope), None).await
}

/// A new address for the owner's feed. Replacing a live one asks first: the old address stops working.
async fn renew(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { user, scope }: Scoped,
    Form(form): Form<FeedForm>,
) -> Result<Response, WebError> {
    let owner = owner_of(&state, &user, &scope, &form.owner).await?;
    if form.confirmed.is_empty() && feeds::active(&state.db, owner).await?.is_some() {
        return feeds_view(&state, ctx, (&user, &scope), Some((form.owner, "renew"))).await;
    }
    feeds::renew(&state.db, &state.signer, owner, state.now()).await?;
    Ok((Flash::success(Msg::new("feed.created")), Redirect::to("/calendar/feeds")).into_response())
}

async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { user, scope }: Scoped,
    Form(form): Form<FeedForm>,
) -> Result<Response, WebError> {
    let owner = owner_of(&state, &user, &scope, &form.owner).await?;
    if form.confirmed.is_empty() {
        return feeds_view(&state, ctx, (&user, &scope), Some((form.owner, "revoke"))).await;
    }
    let msg = if feeds::revoke(&state.db, owner, state.now()).await? { "feed.revoked" } else { "feed.none" };
    Ok((Flash::success(Msg::new(msg)), Redirect::to("/calendar/feeds")).into_response())
}

/// The subscription itself: no session, the token is the key. An unknown or revoked token is a 404.
async fn feed(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, WebError> {
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    let Some((_, owner)) = feeds::by_token(&state.db, token).await? else {
        let text = crate::i18n::t(state.settings.default_locale, "feed.unknown");
        return Ok((StatusCode::NOT_FOUND, format!("{text}\n")).into_response());
    };
    let (name, locale) = feeds::owner_name(&state.db, owner).await?;
    let locale = locale.unwrap_or(state.settings.default_locale);
    // The calendar's name in its owner's language: "党建活动日 · 张三", never the code name.
    let name = name.map(|n| format!("{} · {n}", crate::i18n::t(locale, "site.name")));
    let events = feeds::events_of(&state.db, owner, state.now()).await?;
    let body = feeds::calendar_of(
        &state.db,
        state.settings.site(),
        state.now(),
        locale,
        &events,
        name.as_deref(),
        crate::events::views::ical::Method::Publish,
    )
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8"), (header::CACHE_CONTROL, "private, max-age=300")],
        body,
    )
        .into_response())
}
