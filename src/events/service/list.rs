//! The event lists: the organisers' list (filters, upcoming or past, keyset paging), a member's
//! own events, and a month of events for the calendar. Rows are read as one JSON value per page.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, JoinType, QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait,
    entity::prelude::*,
    sea_query::{Expr, ExprTrait, Order, Query, SelectStatement},
};
use serde::Deserialize;

use crate::events::{
    entity::{event, invitation, unit},
    rules::{EventKind, EventState},
};
use crate::{
    branches::{Scope, entity::branch},
    db,
};

pub const PER_PAGE: u64 = 50;

/// No event lasts longer (a form rule), so a running event is found through the start-time index.
const MAX_EVENT_DAYS: i64 = crate::events::rules::MAX_DAYS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum When {
    #[default]
    Upcoming,
    Past,
}

#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    pub when: When,
    pub branch: Option<i64>,
    pub kind: Option<EventKind>,
    pub state: Option<EventState>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Start after this (start, id) (or before, for past events).
    pub after: Option<(DateTime<Utc>, i64)>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub state: String,
    /// Read as seconds since the epoch (see `rows`).
    #[serde(with = "chrono::serde::ts_seconds")]
    pub starts_at: DateTime<Utc>,
    #[serde(with = "chrono::serde::ts_seconds")]
    pub ends_at: DateTime<Utc>,
    pub location: Option<String>,
    pub branch_name: String,
    pub timezone: String,
}

impl EventRow {
    const COLUMNS: &[&str] =
        &["id", "title", "kind", "state", "starts_at", "ends_at", "location", "branch_name", "timezone"];

    pub fn kind(&self) -> Option<EventKind> {
        <EventKind as crate::forms::Choice>::parse(&self.kind)
    }

    pub fn state_at(&self, now: DateTime<Utc>) -> EventState {
        let state = <EventState as crate::forms::Choice>::parse(&self.state).unwrap_or(EventState::Draft);
        state.seen_at(self.ends_at, now)
    }

    pub fn tz(&self) -> Tz {
        crate::branches::rules::zone(&self.timezone)
    }
}

pub fn events_of_units(units: impl IntoIterator<Item = i64>) -> SelectStatement {
    Query::select()
        .column(unit::Column::EventId)
        .from(unit::Entity)
        .and_where(unit::Column::BranchId.is_in(units))
        .to_owned()
}

fn rows(select: Select<event::Entity>, backend: DbBackend) -> Select<event::Entity> {
    let epoch = |c: &str| Expr::cust(db::epoch_seconds(backend, &format!("\"events\".\"{c}\"")));
    select
        .select_only()
        .columns([event::Column::Id, event::Column::Title, event::Column::Kind, event::Column::State])
        .column_as(epoch("starts_at"), "starts_at")
        .column_as(epoch("ends_at"), "ends_at")
        .column(event::Column::Location)
        .column_as(Expr::col((branch::Entity, branch::Column::Name)), "branch_name")
        .column_as(Expr::col((branch::Entity, branch::Column::Timezone)), "timezone")
        .join(JoinType::InnerJoin, event::Relation::Branch.def())
}

pub fn start_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    crate::events::rules::series::start_of_day(tz, date)
}

/// The organisers' list: events held by the scope's branches (all, for administrators).
pub async fn page(
    db: &impl ConnectionTrait,
    scope: &Scope,
    q: &EventQuery,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<(Vec<EventRow>, bool), DbErr> {
    let mut select = event::Entity::find();
    if let Some(units) = scope.units() {
        select = select.filter(event::Column::Id.in_subquery(events_of_units(units.iter().copied())));
    }
    if let Some(b) = q.branch {
        select = select.filter(event::Column::Id.in_subquery(events_of_units([b])));
    }
    if let Some(k) = q.kind {
        select = select.filter(event::Column::Kind.eq(k));
    }
    if let Some(s) = q.state {
        select = select.filter(event::Column::State.eq(s));
    }
    if let Some(d) = q.from {
        select = select.filter(event::Column::StartsAt.gte(start_of(d, tz)));
    }
    if let Some(d) = q.to.and_then(|d| d.succ_opt()) {
        select = select.filter(event::Column::StartsAt.lt(start_of(d, tz)));
    }
    // The bounds on starts_at let the (starts_at, id) index skip the other side of now.
    let order = match q.when {
        When::Upcoming => {
            select = select
                .filter(event::Column::StartsAt.gt(now - Duration::days(MAX_EVENT_DAYS)))
                .filter(event::Column::EndsAt.gt(now));
            Order::Asc
        }
        When::Past => {
            select = select.filter(event::Column::StartsAt.lt(now)).filter(event::Column::EndsAt.lte(now));
            Order::Desc
        }
    };
    if let Some((at, id)) = q.after {
        let op = if order == Order::Asc { ">" } else { "<" };
        let ph = |n| db::placeholder(db.get_database_backend(), n);
        select = select.filter(Expr::cust_with_values(
            format!("(\"events\".\"starts_at\", \"events\".\"id\") {op} ({}, {})", ph(1), ph(2)),
            [Value::from(at), Value::from(id)],
        ));
    }
    let stmt = rows(select, db.get_database_backend())
        .order_by(event::Column::StartsAt, order.clone())
        .order_by(event::Column::Id, order.clone())
        .limit(PER_PAGE + 1)
        .into_query();
    let mut rows: Vec<EventRow> = db::json_rows(db, &stmt, EventRow::COLUMNS).await?;
    sort(&mut rows, order == Order::Asc);
    let more = rows.len() as u64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    Ok((rows, more))
}

fn sort(rows: &mut [EventRow], ascending: bool) {
    rows.sort_unstable_by(|a, b| {
        let o = a.starts_at.cmp(&b.starts_at).then(a.id.cmp(&b.id));
        if ascending { o } else { o.reverse() }
    });
}

/// A member's own events: those they are invited to and those their branch or group holds
/// (never drafts), between two instants.
pub async fn mine(
    db: &impl ConnectionTrait,
    member_id: i64,
    units: &[i64],
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> Result<Vec<EventRow>, DbErr> {
    let invited = Query::select()
        .column(invitation::Column::EventId)
        .from(invitation::Entity)
        .and_where(invitation::Column::MemberId.eq(member_id))
        .to_owned();
    let mut select = event::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(event::Column::Id.in_subquery(invited))
                .add(event::Column::Id.in_subquery(events_of_units(units.iter().copied()))),
        )
        .filter(event::Column::State.ne(EventState::Draft))
        .filter(event::Column::EndsAt.gt(from));
    if let Some(until) = until {
        select = select.filter(event::Column::StartsAt.lt(until));
    }
    let stmt = rows(select, db.get_database_backend()).order_by_asc(event::Column::StartsAt).limit(500).into_query();
    let mut rows: Vec<EventRow> = db::json_rows(db, &stmt, EventRow::COLUMNS).await?;
    sort(&mut rows, true);
    Ok(rows)
}

/// A member's answer to each of these events they are invited to, as they read it (catalogue
/// keys: checked in is attending).
pub async fn answers_of(
    db: &impl ConnectionTrait,
    member_id: i64,
    events: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, &'static str>, DbErr> {
    let rows: Vec<(i64, crate::invitations::Answer, Option<DateTime<Utc>>)> = invitation::Entity::find()
        .select_only()
        .columns([invitation::Column::EventId, invitation::Column::Answer, invitation::Column::CheckedInAt])
        .filter(invitation::Column::MemberId.eq(member_id))
        .filter(invitation::Column::EventId.is_in(events))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(e, a, checked_in)| (e, crate::invitations::shown_answer(a, checked_in.is_some())))
        .collect())
}

/// Scheduled events of the scope's branches (organised or co-organised) still to end, starting
/// before `until`, soonest first: a secretary's start page.
pub async fn coming(
    db: &impl ConnectionTrait,
    scope: &Scope,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<EventRow>, DbErr> {
    let mut select = event::Entity::find()
        .filter(event::Column::State.eq(EventState::Scheduled))
        .filter(event::Column::EndsAt.gt(now))
        .filter(event::Column::StartsAt.lt(until));
    if let Some(units) = scope.units() {
        select = select.filter(event::Column::Id.in_subquery(events_of_units(units.iter().copied())));
    }
    let stmt = rows(select, db.get_database_backend()).order_by_asc(event::Column::StartsAt).limit(limit).into_query();
    let mut rows: Vec<EventRow> = db::json_rows(db, &stmt, EventRow::COLUMNS).await?;
    sort(&mut rows, true);
    Ok(rows)
}

/// Events the scope's branches organised that ended since `since` with members expected and
/// nobody marked present: their attendance was most likely never taken.
pub async fn unattended(
    db: &impl ConnectionTrait,
    scope: &Scope,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<EventRow>, DbErr> {
    use crate::invitations::{Outcome, Role};
    // Correlated, so each candidate event is looked up by the invitations' event index.
    let any = |filter: sea_orm::Condition| {
        Expr::exists(
            Query::select()
                .expr(Expr::val(1))
                .from(invitation::Entity)
                .and_where(
                    Expr::col((invitation::Entity, invitation::Column::EventId))
                        .equals((event::Entity, event::Column::Id)),
                )
                .cond_where(filter)
                .to_owned(),
        )
    };
    let expected = any(sea_orm::Condition::all().add(invitation::Column::Role.eq(Role::Member)));
    let present =
        any(sea_orm::Condition::all().add(invitation::Column::Outcome.is_in([Outcome::Present, Outcome::Late])));
    let mut select = event::Entity::find()
        .filter(event::Column::State.eq(EventState::Ended))
        // No event lasts longer: the (state, start) index bounds the search.
        .filter(event::Column::StartsAt.gt(since - Duration::days(MAX_EVENT_DAYS)))
        .filter(event::Column::EndsAt.gt(since))
        .filter(event::Column::EndsAt.lte(now))
        .filter(expected)
        .filter(present.not());
    if let Some(units) = scope.units() {
        select = select.filter(event::Column::BranchId.is_in(units.iter().copied()));
    }
    let stmt = rows(select, db.get_database_backend()).order_by_desc(event::Column::EndsAt).limit(limit).into_query();
    let mut rows: Vec<EventRow> = db::json_rows(db, &stmt, EventRow::COLUMNS).await?;
    sort(&mut rows, false);
    Ok(rows)
}

/// Events of the scope's branches overlapping [from, until), for the month calendar: at most
/// `per_day` of those starting on each day of the zone `tz` (a month of an association of 200
/// branches is hundreds of events), and how many start on each day in all, for "+N more".
///
/// Two statements: the (start, id) of every event in range, read from the index
/// `idx_events_starts_ends` alone, cut per day here (exactly in the zone, daylight saving
/// included); then the rows shown, by id.
pub async fn between(
    db: &impl ConnectionTrait,
    scope: &Scope,
    branch: Option<i64>,
    (from, until): (DateTime<Utc>, DateTime<Utc>),
    tz: Tz,
    per_day: usize,
) -> Result<(Vec<EventRow>, HashMap<NaiveDate, usize>), DbErr> {
    #[derive(Deserialize)]
    struct Start {
        id: i64,
        /// Seconds since the epoch: the database converts, which is cheaper than parsing text.
        starts: i64,
    }
    let mut select = event::Entity::find()
        .filter(event::Column::StartsAt.gt(from - Duration::days(MAX_EVENT_DAYS)))
        .filter(event::Column::StartsAt.lt(until))
        .filter(event::Column::EndsAt.gt(from));
    if let Some(units) = scope.units() {
        select = select.filter(event::Column::Id.in_subquery(events_of_units(units.iter().copied())));
    }
    if let Some(b) = branch {
        select = select.filter(event::Column::Id.in_subquery(events_of_units([b])));
    }
    let epoch = db::epoch_seconds(db.get_database_backend(), "\"events\".\"starts_at\"");
    let stmt = select.select_only().column(event::Column::Id).expr_as(Expr::cust(epoch), "starts").into_query();
    let mut starts: Vec<Start> = db::json_rows(db, &stmt, &["id", "starts"]).await?;
    starts.sort_unstable_by_key(|s| (s.starts, s.id));
    let mut totals: HashMap<NaiveDate, usize> = HashMap::new();
    let mut shown = Vec::new();
    for s in &starts {
        let at = DateTime::from_timestamp(s.starts, 0).unwrap_or_default();
        let n = totals.entry(at.with_timezone(&tz).date_naive()).or_default();
        *n += 1;
        if *n <= per_day {
            shown.push(s.id);
        }
    }
    if shown.is_empty() {
        return Ok((Vec::new(), totals));
    }
    let stmt =
        rows(event::Entity::find().filter(event::Column::Id.is_in(shown)), db.get_database_backend()).into_query();
    let mut rows: Vec<EventRow> = db::json_rows(db, &stmt, EventRow::COLUMNS).await?;
    sort(&mut rows, true);
    Ok((rows, totals))
}

/// How many events scheduled or held start in [from, until).
pub async fn count_starting(
    db: &impl ConnectionTrait,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<u64, DbErr> {
    event::Entity::find()
        .filter(event::Column::State.is_in([EventState::Scheduled, EventState::Ended]))
        .filter(event::Column::StartsAt.gte(from))
        .filter(event::Column::StartsAt.lt(until))
        .count(db)
        .await
}
