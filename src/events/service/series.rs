//! Monthly series in the database: a series generates its next twelve occurrences as ordinary
//! events (each can then be edited or cancelled alone), and an edit of the series carries over to
//! the occurrences that have not started and were not edited by hand.
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, Set, TransactionSession, TransactionTrait,
    entity::prelude::*,
};

use crate::events::{
    entity::{event, series},
    rules::{
        Audience, AudienceKind, EventData, EventState, SeriesData,
        series::{LocalTimeError, SeriesRule, local_to_utc},
        statuses_to_db,
    },
    service::{self, EventError, FormError},
};
use crate::{
    branches::{BranchKind, Scope},
    forms::FieldErrors,
};

/// How many occurrences a new series generates.
pub const OCCURRENCES: usize = 12;

/// The start and end of the occurrence on `date`, or the field error when the time of day does
/// not exist (or exists twice) on that date in the zone.
fn times(data: &SeriesData, tz: Tz, date: NaiveDate) -> Result<(DateTime<Utc>, DateTime<Utc>), FieldErrors> {
    match local_to_utc(tz, date.and_time(data.start_time)) {
        Ok(start) => Ok((start, start + Duration::minutes(i64::from(data.minutes.max(1))))),
        Err(LocalTimeError::Nonexistent) => Err(FieldErrors::single("start_time", "event.time_nonexistent")),
        Err(LocalTimeError::Ambiguous) => Err(FieldErrors::single("start_time", "event.time_ambiguous")),
    }
}

/// The dates a new series gets: the next twelve from `from` whose start is still ahead, up to `until`.
pub fn dates(data: &SeriesData, tz: Tz, from: NaiveDate, now: DateTime<Utc>) -> Vec<NaiveDate> {
    data.rule
        .occurrences(from, OCCURRENCES + 1)
        .into_iter()
        .filter(|d| data.until.is_none_or(|u| *d <= u))
        .filter(|d| times(data, tz, *d).is_ok_and(|(start, _)| start > now))
        .take(OCCURRENCES)
        .collect()
}

/// The event fields of an occurrence: the series' fields, the whole branch as audience.
fn occurrence(data: &SeriesData, start: DateTime<Utc>, end: DateTime<Utc>) -> EventData {
    EventData {
        kind: data.kind,
        title: data.title.clone(),
        topic: data.topic.clone(),
        description: data.description.clone(),
        starts_at: start,
        ends_at: end,
        location: data.location.clone(),
        host_member_id: None,
        host_guest_name: None,
        recorder_member_id: None,
        co_organisers: Vec::new(),
        audience: Audience {
            kind: AudienceKind::Branches,
            group_id: None,
            picks: Vec::new(),
            statuses: data.statuses.clone(),
        },
        capacity: None,
        answer_deadline: None,
    }
}

/// Where a new series starts: its first possible date (in the branch's zone), and whether its
/// occurrences are scheduled at once or left as drafts.
#[derive(Debug, Clone, Copy)]
pub struct Start {
    pub from: NaiveDate,
    pub schedule: bool,
}

/// Creates a series of `branch_id` and its occurrences. All or nothing.
pub async fn create(
    db: &impl TransactionTrait,
    scope: &Scope,
    branch_id: i64,
    data: &SeriesData,
    tz: Tz,
    Start { from, schedule }: Start,
    now: DateTime<Utc>,
) -> Result<(i64, Vec<i64>), FormError> {
    if !scope.covers(branch_id) {
        return Err(EventError::Forbidden.into());
    }
    // A time that does not exist on some date is refused for the whole series, naming the field.
    for d in data.rule.occurrences(from, OCCURRENCES + 1) {
        times(data, tz, d).map_err(FormError::Fields)?;
    }
    let dates = dates(data, tz, from, now);
    if dates.is_empty() {
        let field = if data.until.is_some() { "until" } else { "rule_kind" };
        return Err(FormError::Fields(FieldErrors::single(field, "series.no_dates")));
    }
    let txn = crate::db::write_txn(db).await?;
    let unit = crate::branches::service::unit(&txn, branch_id).await?.ok_or(EventError::NotFound)?;
    if unit.kind == BranchKind::Group || unit.closed_at.is_some() {
        return Err(EventError::NotFound.into());
    }
    let row = series::ActiveModel {
        branch_id: Set(branch_id),
        created_by: Set(scope.account_id()),
        created_at: Set(now),
        ..Default::default()
    };
    let series_id = write(row, data, now).insert(&txn).await?.id;
    let mut ids = Vec::with_capacity(dates.len());
    for date in dates {
        let (start, end) = times(data, tz, date).map_err(FormError::Fields)?;
        let id = service::create(&txn, scope, branch_id, &occurrence(data, start, end), now).await?;
        if schedule {
            service::schedule(&txn, scope, id, now).await.map_err(|e| match e {
                EventError::NoInvitees => FormError::Fields(FieldErrors::single("statuses", "event.no_invitees")),
                e => FormError::Rule(e),
            })?;
        }
        ids.push(id);
    }
    event::Entity::update_many()
        .col_expr(event::Column::SeriesId, Expr::value(series_id))
        .filter(event::Column::Id.is_in(ids.clone()))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok((series_id, ids))
}

fn write(mut row: series::ActiveModel, data: &SeriesData, now: DateTime<Utc>) -> series::ActiveModel {
    row.rule = Set(data.rule.to_db());
    row.kind = Set(data.kind);
    row.title = Set(data.title.clone());
    row.topic = Set(data.topic.clone());
    row.description = Set(data.description.clone());
    row.start_time = Set(data.start_time.format("%H:%M").to_string());
    row.minutes = Set(data.minutes);
    row.location = Set(data.location.clone());
    row.audience_statuses = Set(statuses_to_db(&data.statuses));
    row.updated_at = Set(now);
    row
}

/// A series the scope manages; anything else is "not found".
pub async fn load(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<series::Model, EventError> {
    series::Entity::find_by_id(id).one(db).await?.filter(|s| scope.covers(s.branch_id)).ok_or(EventError::NotFound)
}

/// The occurrences of a series, in order.
pub async fn occurrences(db: &impl ConnectionTrait, series_id: i64) -> Result<Vec<event::Model>, DbErr> {
    event::Entity::find()
        .filter(event::Column::SeriesId.eq(series_id))
        .order_by_asc(event::Column::StartsAt)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await
}

/// What a series edit did to its occurrences.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Carried {
    /// Occurrences that took the new values.
    pub updated: usize,
    /// Occurrences left alone: edited by hand, or the new rule has no date in their month.
    pub kept: usize,
}

/// Edits a series; its occurrences that have not started, are not cancelled and were not edited
/// by hand take the new values (in their own month, on the rule's date). Scheduled ones log the
/// change and raise their sequence like any edit.
pub async fn update(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    data: &SeriesData,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Carried, FormError> {
    let txn = crate::db::write_txn(db).await?;
    let before = load(&txn, scope, id).await?;
    write(before.into(), data, now).update(&txn).await?;
    let mut carried = Carried::default();
    for e in occurrences(&txn, id).await? {
        let open = matches!(e.state, EventState::Draft | EventState::Scheduled) && e.starts_at > now;
        if !open {
            continue;
        }
        let local = e.starts_at.with_timezone(&tz).date_naive();
        let date = data.rule.date_in(local.year(), local.month());
        let slot = date.map(|d| times(data, tz, d)).transpose().map_err(FormError::Fields)?;
        let Some((start, end)) = slot.filter(|(start, _)| *start > now && !e.edited_by_hand) else {
            carried.kept += 1;
            continue;
        };
        // The occurrence keeps what the series does not decide: host, recorder, co-organisers,
        // a narrowed audience, capacity and deadline.
        let loaded = service::load_locked(&txn, scope, e.id).await?;
        let mut next = occurrence(data, start, end);
        next.host_member_id = e.host_member_id;
        next.host_guest_name = e.host_guest_name.clone();
        next.recorder_member_id = e.recorder_member_id;
        next.co_organisers = loaded.named_co_organisers();
        next.audience.kind = e.audience_kind;
        next.audience.group_id = e.audience_group_id;
        next.audience.picks = service::picks_of(&txn, e.id).await?;
        next.capacity = e.capacity;
        next.answer_deadline = e.answer_deadline.filter(|d| *d <= start);
        service::update_as(&txn, scope, e.id, &next, None, now, false).await?;
        carried.updated += 1;
    }
    txn.commit().await?;
    Ok(carried)
}

/// The rule of a stored series (a corrupted rule reads as the 1st of the month rather than failing the page).
pub fn rule_of(s: &series::Model) -> SeriesRule {
    SeriesRule::from_db(&s.rule).unwrap_or(SeriesRule::DayOfMonth(1))
}
