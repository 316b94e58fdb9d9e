//! Creating and editing events: the checks of what a form refers to, the saved row with its
//! revision and sequence, the holding branches and picks, the log of changes, and the warnings
//! of events booked at the same time and place.
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue, Condition, ConnectionTrait, DbErr, QueryOrder, QuerySelect, Set, TransactionSession,
    TransactionTrait, entity::prelude::*,
};

use super::{EventError, audience::sync_invitations, load_locked, picks_of};
use crate::{
    branches::{BranchKind, Scope, entity::branch},
    events::{
        entity::{change, event, pick, unit},
        rules::{Audience, AudienceKind, EventData, EventState, statuses_from_db, statuses_to_db},
    },
    forms::FieldErrors,
    members::entity::member,
    outbox::Kind,
};

/// Checks the people and units an event refers to: they must exist, be open, and (for the
/// host, recorder, picks and group) belong to the holding branches. Returns what is wrong.
pub(super) async fn check_references(
    db: &impl ConnectionTrait,
    branch_id: i64,
    data: &EventData,
) -> Result<FieldErrors, DbErr> {
    let mut errors = FieldErrors::default();
    let holding: Vec<i64> = std::iter::once(branch_id).chain(data.co_organisers.iter().copied()).collect();
    let open_units: Vec<branch::Model> = branch::Entity::find()
        .filter(branch::Column::Id.is_in(holding.clone()))
        .filter(branch::Column::ClosedAt.is_null())
        .all(db)
        .await?;
    let holds_events = |c: &i64| open_units.iter().any(|u| u.id == *c && u.kind != BranchKind::Group);
    if data.co_organisers.iter().any(|c| *c == branch_id || !holds_events(c)) {
        errors.add("co_organisers", "event.co_organiser_invalid");
    }
    // Units under the holding branches (their party groups) count as theirs.
    let groups: Vec<i64> = branch::Entity::find()
        .select_only()
        .column(branch::Column::Id)
        .filter(branch::Column::ParentId.is_in(holding.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let all_units: BTreeSet<i64> = holding.iter().copied().chain(groups.iter().copied()).collect();
    if data.audience.kind == AudienceKind::Group {
        let ok = match data.audience.group_id {
            Some(g) => {
                groups.contains(&g)
                    && branch::Entity::find_by_id(g)
                        .one(db)
                        .await?
                        .is_some_and(|b| b.kind == BranchKind::Group && b.closed_at.is_none())
            }
            None => false,
        };
        if !ok {
            errors.add("audience_group_id", "event.group_invalid");
        }
    }
    let people: Vec<i64> = data
        .host_member_id
        .into_iter()
        .chain(data.recorder_member_id)
        .chain(if data.audience.kind == AudienceKind::Members { data.audience.picks.clone() } else { Vec::new() })
        .collect();
    let found: Vec<member::Model> = member::Entity::find().filter(member::Column::Id.is_in(people)).all(db).await?;
    let belongs = |id: i64| {
        found.iter().any(|m| {
            m.id == id
                && m.state.is_member()
                && (all_units.contains(&m.branch_id) || m.group_id.is_some_and(|g| all_units.contains(&g)))
        })
    };
    if data.host_member_id.is_some_and(|h| !belongs(h)) {
        errors.add("host_member_id", "event.person_invalid");
    }
    if data.recorder_member_id.is_some_and(|r| !belongs(r)) {
        errors.add("recorder_member_id", "event.person_invalid");
    }
    if data.audience.kind == AudienceKind::Members && data.audience.picks.iter().any(|p| !belongs(*p)) {
        errors.add("picks", "event.person_invalid");
    }
    Ok(errors)
}

/// Why a form was refused: its fields, or the rules.
#[derive(Debug)]
pub enum FormError {
    Fields(FieldErrors),
    Rule(EventError),
}

impl From<EventError> for FormError {
    fn from(e: EventError) -> Self {
        FormError::Rule(e)
    }
}

impl From<DbErr> for FormError {
    fn from(e: DbErr) -> Self {
        FormError::Rule(e.into())
    }
}

pub(super) fn apply(m: &mut event::ActiveModel, data: &EventData) {
    m.kind = Set(data.kind);
    m.title = Set(data.title.clone());
    m.topic = Set(data.topic.clone());
    m.description = Set(data.description.clone());
    m.starts_at = Set(data.starts_at);
    m.ends_at = Set(data.ends_at);
    m.location = Set(data.location.clone());
    m.host_member_id = Set(data.host_member_id);
    m.host_guest_name = Set(data.host_guest_name.clone());
    m.recorder_member_id = Set(data.recorder_member_id);
    m.audience_kind = Set(data.audience.kind);
    m.audience_group_id = Set(if data.audience.kind == AudienceKind::Group { data.audience.group_id } else { None });
    m.audience_statuses = Set(statuses_to_db(&data.audience.statuses));
    m.capacity = Set(data.capacity);
    m.answer_deadline = Set(data.answer_deadline);
}

/// Writes the changed fields of a locked event's row, raising its revision (and, with
/// `raise_sequence`, its iCalendar sequence) in SQL, and returns the row as written.
pub(super) async fn save(
    db: &impl ConnectionTrait,
    m: event::ActiveModel,
    raise_sequence: bool,
) -> Result<event::Model, DbErr> {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let id = match &m.id {
        Set(id) | ActiveValue::Unchanged(id) => *id,
        ActiveValue::NotSet => return Err(DbErr::RecordNotUpdated),
    };
    let mut update = event::Entity::update_many()
        .set(m)
        .col_expr(event::Column::Revision, Expr::col(event::Column::Revision).add(1));
    if raise_sequence {
        update = update.col_expr(event::Column::Sequence, Expr::col(event::Column::Sequence).add(1));
    }
    update.filter(event::Column::Id.eq(id)).exec(db).await?;
    event::Entity::find_by_id(id).one(db).await?.ok_or(DbErr::RecordNotUpdated)
}

/// Writes the holding branches and picks. A co-organiser counts at once when the person saving
/// manages it or it had accepted before; any other is asked (`accepted` false) until its
/// secretary answers ([`answer_co_organising`]).
pub(super) async fn write_units_and_picks(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    branch_id: i64,
    data: &EventData,
) -> Result<(), DbErr> {
    let accepted_before: BTreeSet<i64> = unit::Entity::find()
        .filter(unit::Column::EventId.eq(id))
        .filter(unit::Column::Accepted.eq(true))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.branch_id)
        .collect();
    unit::Entity::delete_many().filter(unit::Column::EventId.eq(id)).exec(db).await?;
    pick::Entity::delete_many().filter(pick::Column::EventId.eq(id)).exec(db).await?;
    let mut seen = BTreeSet::new();
    let units = std::iter::once((branch_id, true)).chain(data.co_organisers.iter().map(|b| (*b, false)));
    let units: Vec<unit::ActiveModel> = units
        .filter(|(b, _)| seen.insert(*b))
        .map(|(branch_id, organiser)| unit::ActiveModel {
            event_id: Set(id),
            branch_id: Set(branch_id),
            organiser: Set(organiser),
            accepted: Set(organiser || scope.covers(branch_id) || accepted_before.contains(&branch_id)),
        })
        .collect();
    unit::Entity::insert_many(units).exec(db).await?;
    if data.audience.kind == AudienceKind::Members {
        let picks: BTreeSet<i64> = data.audience.picks.iter().copied().collect();
        let rows: Vec<pick::ActiveModel> =
            picks.into_iter().map(|m| pick::ActiveModel { event_id: Set(id), member_id: Set(m) }).collect();
        pick::Entity::insert_many(rows).exec(db).await?;
    }
    Ok(())
}

/// Creates a draft event organised by `branch_id`.
pub async fn create(
    db: &impl TransactionTrait,
    scope: &Scope,
    branch_id: i64,
    data: &EventData,
    now: DateTime<Utc>,
) -> Result<i64, FormError> {
    if !scope.covers(branch_id) {
        return Err(EventError::Forbidden.into());
    }
    let txn = crate::db::write_txn(db).await?;
    let errors = check_references(&txn, branch_id, data).await?;
    if !errors.is_empty() {
        return Err(FormError::Fields(errors));
    }
    let mut m = event::ActiveModel {
        branch_id: Set(branch_id),
        state: Set(EventState::Draft),
        edited_by_hand: Set(false),
        sequence: Set(0),
        created_by: Set(scope.account_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    apply(&mut m, data);
    let id = m.insert(&txn).await?.id;
    write_units_and_picks(&txn, scope, id, branch_id, data).await?;
    txn.commit().await?;
    Ok(id)
}

/// What an edit of a scheduled event changed, for the change log.
fn changes(before: &event::Model, data: &EventData, units_before: &[i64], picks_before: &[i64]) -> Vec<&'static str> {
    let mut kinds = Vec::new();
    if before.starts_at != data.starts_at || before.ends_at != data.ends_at {
        kinds.push("time");
    }
    if before.location != data.location {
        kinds.push("place");
    }
    let mut units_after = data.co_organisers.clone();
    units_after.sort_unstable();
    let mut units_before = units_before.to_vec();
    units_before.sort_unstable();
    let sorted = |ids: &[i64]| ids.iter().copied().collect::<BTreeSet<i64>>().into_iter().collect::<Vec<_>>();
    let audience_before = Audience {
        kind: before.audience_kind,
        group_id: before.audience_group_id,
        picks: sorted(picks_before),
        statuses: statuses_from_db(&before.audience_statuses),
    };
    let picks_after =
        if data.audience.kind == AudienceKind::Members { sorted(&data.audience.picks) } else { Vec::new() };
    let audience_after = Audience { picks: picks_after, ..data.audience.clone() };
    if audience_before != audience_after || units_before != units_after {
        kinds.push("audience");
    }
    let details_same = before.kind == data.kind
        && before.title == data.title
        && before.topic == data.topic
        && before.description == data.description
        && before.host_member_id == data.host_member_id
        && before.host_guest_name == data.host_guest_name
        && before.recorder_member_id == data.recorder_member_id
        && before.capacity == data.capacity
        && before.answer_deadline == data.answer_deadline;
    if !details_same {
        kinds.push("details");
    }
    kinds
}

/// Edits an event. On a scheduled event every change is logged with who and when and raises
/// the iCalendar sequence; the invitee list follows a changed audience.
///
/// `based_on` is the revision the person's form showed: when the event was saved since, the
/// change is refused ([`EventError::Stale`]) rather than silently undoing the other save.
pub async fn update(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    data: &EventData,
    based_on: Option<i32>,
    now: DateTime<Utc>,
) -> Result<(), FormError> {
    update_as(db, scope, id, data, based_on, now, true).await
}

/// [`update`], saying whether a person edited this occurrence itself (`by_hand`: series edits
/// then leave it alone) or its series did.
pub(in crate::events) async fn update_as(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    data: &EventData,
    based_on: Option<i32>,
    now: DateTime<Utc>,
    by_hand: bool,
) -> Result<(), FormError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, id).await?;
    loaded.require_changeable(now)?;
    let named = loaded.named_co_organisers();
    let before = loaded.event;
    if based_on.is_some_and(|r| r != before.revision) {
        return Err(EventError::Stale.into());
    }
    let errors = check_references(&txn, before.branch_id, data).await?;
    if !errors.is_empty() {
        return Err(FormError::Fields(errors));
    }
    let scheduled = before.state == EventState::Scheduled;
    let changed = changes(&before, data, &named, &picks_of(&txn, id).await?);
    let mut m: event::ActiveModel = before.clone().into();
    apply(&mut m, data);
    m.updated_at = Set(now);
    if by_hand && before.series_id.is_some() && !changed.is_empty() {
        m.edited_by_hand = Set(true);
    }
    // Drafts change silently; a scheduled event's changes are logged and raise the sequence.
    let kinds = if scheduled { changed } else { Vec::new() };
    let after = save(&txn, m, !kinds.is_empty()).await?;
    write_units_and_picks(&txn, scope, id, before.branch_id, data).await?;
    for kind in &kinds {
        log(&txn, id, kind, &summary(kind, &before, data), after.sequence, scope.account_id(), now).await?;
    }
    if scheduled && kinds.contains(&"audience") {
        sync_invitations(&txn, &after, now).await?;
    }
    if scheduled && after.capacity != before.capacity {
        // More seats (or none limited): the waitlist moves up, in order (the update holds the lock).
        super::seats::promote(&txn, &after, now).await?;
    }
    if !kinds.is_empty() {
        // Newcomers to the audience get the invitation; a change of time, place or details
        // reaches everyone invited before.
        let informs = kinds.iter().any(|k| matches!(*k, "time" | "place" | "details"));
        let mail = if informs { Kind::Update } else { Kind::Invitation };
        super::notices::queue_for_event(&txn, &after, mail, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

fn summary(kind: &str, before: &event::Model, data: &EventData) -> String {
    match kind {
        "time" => format!(
            "{} – {} → {} – {}",
            before.starts_at.to_rfc3339(),
            before.ends_at.to_rfc3339(),
            data.starts_at.to_rfc3339(),
            data.ends_at.to_rfc3339()
        ),
        "place" => {
            format!("{} → {}", before.location.as_deref().unwrap_or("—"), data.location.as_deref().unwrap_or("—"))
        }
        _ => String::new(),
    }
}

pub(super) async fn log(
    db: &impl ConnectionTrait,
    event_id: i64,
    kind: &str,
    summary: &str,
    sequence: i32,
    account_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    change::ActiveModel {
        event_id: Set(event_id),
        kind: Set(kind.to_owned()),
        summary: Set(summary.chars().take(1000).collect()),
        sequence: Set(sequence),
        account_id: Set(account_id),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Another event booked at an overlapping time in the same place or with the same host.
#[derive(Debug, Clone)]
pub struct Conflict {
    pub event: event::Model,
    pub same_place: bool,
    pub same_host: bool,
}

/// Events (not cancelled) overlapping this one in the same location or with the same host member:
/// warnings for the organisers, never refusals. No event lasts longer than `MAX_DAYS`, so the
/// start index bounds the search.
pub async fn conflicts(db: &impl ConnectionTrait, e: &event::Model) -> Result<Vec<Conflict>, DbErr> {
    if e.state == EventState::Cancelled || (e.location.is_none() && e.host_member_id.is_none()) {
        return Ok(Vec::new());
    }
    let mut same = Condition::any();
    if let Some(l) = &e.location {
        same = same.add(event::Column::Location.eq(l.clone()));
    }
    if let Some(h) = e.host_member_id {
        same = same.add(event::Column::HostMemberId.eq(h));
    }
    let found = event::Entity::find()
        .filter(event::Column::StartsAt.gt(e.starts_at - chrono::Duration::days(crate::events::rules::MAX_DAYS)))
        .filter(event::Column::StartsAt.lt(e.ends_at))
        .filter(event::Column::EndsAt.gt(e.starts_at))
        .filter(event::Column::Id.ne(e.id))
        .filter(event::Column::State.ne(EventState::Cancelled))
        .filter(same)
        .order_by_asc(event::Column::StartsAt)
        .limit(20)
        .all(db)
        .await?;
    Ok(found
        .into_iter()
        .map(|o| Conflict {
            same_place: o.location.is_some() && o.location == e.location,
            same_host: o.host_member_id.is_some() && o.host_member_id == e.host_member_id,
            event: o,
        })
        .collect())
}
