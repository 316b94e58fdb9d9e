//! Event rules that need the database: who may see and change an event, its lifecycle, the
//! audience and its invitees, guests, agenda, copies, lists and calendar feeds.
pub mod attachments;
pub mod feeds;
pub mod list;
pub mod series;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue, Condition, ConnectionTrait, DbErr, QueryOrder, QuerySelect, Set, TransactionSession,
    TransactionTrait, entity::prelude::*,
};

use super::{
    entity::{agenda, change, event, guest, invitation, pick, unit},
    rules::{AgendaData, Audience, AudienceKind, EventData, EventState, GuestData, statuses_from_db, statuses_to_db},
};
use crate::{
    branches::{BranchKind, Scope, entity::branch},
    forms::FieldErrors,
    mail::service as mail,
    members::{entity::member, rules::MembershipState},
};

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("event not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("the event has ended")]
    Ended,
    #[error("the event is cancelled")]
    Cancelled,
    #[error("only a draft can be scheduled or deleted")]
    NotDraft,
    #[error("the event is over already")]
    InThePast,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("the audience is empty")]
    NoInvitees,
    /// The form was based on an older revision of the event: someone saved in between.
    #[error("the event was changed by someone else")]
    Stale,
    #[error(transparent)]
    Db(#[from] DbErr),
    /// Files of the event (attachments) could not be written.
    #[error(transparent)]
    Storage(#[from] std::io::Error),
}

/// How a viewer relates to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Invited, or a member of a holding branch: reads a scheduled, ended or cancelled event.
    Reader,
    /// Secretary of a co-organising branch: reads everything, drafts too.
    CoOrganiser,
    /// Administrator, or secretary of the organising branch.
    Manager,
}

/// An event with the branches that hold it, and the viewer's access.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub event: event::Model,
    /// Co-organising branches that accepted (the organiser is `event.branch_id`): the holding
    /// branches are the organiser and these.
    pub co_organisers: Vec<i64>,
    /// Branches asked to co-organise that have not accepted yet.
    pub asked: Vec<i64>,
    pub access: Access,
}

/// The names an event's page shows: its organising branch, the branches co-organising or asked
/// to, and the host and recorder.
pub struct Named {
    pub branch: branch::Model,
    /// Co-organising and asked branches, by code.
    pub branches: Vec<branch::Model>,
    pub host: Option<String>,
    /// The host's post (a member with one).
    pub host_post: Option<String>,
    pub recorder: Option<String>,
}

/// The names of an event the caller has loaded (and so may read).
pub async fn named(db: &impl ConnectionTrait, loaded: &Loaded) -> Result<Named, EventError> {
    let event = &loaded.event;
    let branch = branch::Entity::find_by_id(event.branch_id).one(db).await?.ok_or(EventError::NotFound)?;
    let named = loaded.named_co_organisers();
    let branches = if named.is_empty() {
        Vec::new()
    } else {
        branch::Entity::find()
            .filter(branch::Column::Id.is_in(named))
            .order_by_asc(branch::Column::Code)
            .all(db)
            .await?
    };
    let people: Vec<i64> = event.host_member_id.into_iter().chain(event.recorder_member_id).collect();
    let people = if people.is_empty() {
        Vec::new()
    } else {
        member::Entity::find().filter(member::Column::Id.is_in(people)).all(db).await?
    };
    let person = |id: Option<i64>| id.and_then(|i| people.iter().find(|m| m.id == i));
    let host = person(event.host_member_id).map(|m| m.name.clone()).or_else(|| event.host_guest_name.clone());
    let host_post = person(event.host_member_id).and_then(|m| m.post.clone());
    let recorder = person(event.recorder_member_id).map(|m| m.name.clone());
    Ok(Named { branch, branches, host, host_post, recorder })
}

/// The active members of a branch and of its party groups, by name: who the event form offers as
/// host, recorder and picked members. Only for the branch's managers.
pub async fn form_people(
    db: &impl ConnectionTrait,
    scope: &Scope,
    branch_id: i64,
    group_ids: &[i64],
) -> Result<Vec<member::Model>, EventError> {
    if !scope.covers(branch_id) {
        return Err(EventError::Forbidden);
    }
    Ok(member::Entity::find()
        .filter(
            Condition::any()
                .add(member::Column::BranchId.eq(branch_id))
                .add(member::Column::GroupId.is_in(group_ids.iter().copied())),
        )
        .filter(member::Column::State.eq(MembershipState::Active))
        .order_by_asc(member::Column::Name)
        .all(db)
        .await?)
}

impl Loaded {
    /// Every branch named as co-organiser, accepted or asked: what the edit form shows.
    pub fn named_co_organisers(&self) -> Vec<i64> {
        self.co_organisers.iter().chain(&self.asked).copied().collect()
    }

    pub fn require_manager(&self) -> Result<(), EventError> {
        if self.access == Access::Manager { Ok(()) } else { Err(EventError::Forbidden) }
    }

    /// Scheduling and deleting are for drafts.
    pub fn require_draft(&self) -> Result<(), EventError> {
        self.require_manager()?;
        if self.event.state == EventState::Draft { Ok(()) } else { Err(EventError::NotDraft) }
    }

    /// Time, place and content can change until the event is over or cancelled.
    pub fn require_changeable(&self, now: DateTime<Utc>) -> Result<(), EventError> {
        self.require_manager()?;
        match effective_state(&self.event, now) {
            EventState::Ended => Err(EventError::Ended),
            EventState::Cancelled => Err(EventError::Cancelled),
            _ => Ok(()),
        }
    }
}

/// The state as the viewer should see it: a scheduled event whose end has passed is ended, even
/// before the clock has recorded it.
pub fn effective_state(e: &event::Model, now: DateTime<Utc>) -> EventState {
    e.state.seen_at(e.ends_at, now)
}

/// The units (branch and party group) a member belongs to; none once they have left.
pub async fn member_units(db: &impl ConnectionTrait, member_id: Option<i64>) -> Result<Vec<i64>, DbErr> {
    let Some(id) = member_id else { return Ok(Vec::new()) };
    Ok(member::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|m| m.state.is_member())
        .map(|m| std::iter::once(m.branch_id).chain(m.group_id).collect())
        .unwrap_or_default())
}

/// Loads an event the viewer may see; anything else is "not found", never data.
pub async fn load(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Loaded, EventError> {
    load_with(db, scope, id, false).await
}

/// Loads an event to change it: as [`load`], with its row locked until the transaction ends
/// (`SELECT … FOR UPDATE` on PostgreSQL; on SQLite the write transaction runs alone). Every
/// read-modify-write of an event starts here, so that two edits never both work from one row.
pub async fn load_locked(txn: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Loaded, EventError> {
    load_with(txn, scope, id, true).await
}

async fn load_with(db: &impl ConnectionTrait, scope: &Scope, id: i64, lock: bool) -> Result<Loaded, EventError> {
    let (event, units) = if lock {
        let event = event::Entity::find_by_id(id).lock_exclusive().one(db).await?.ok_or(EventError::NotFound)?;
        let units = unit::Entity::find().filter(unit::Column::EventId.eq(id)).filter(unit::Column::Organiser.eq(false));
        let units = units.select_only().columns([unit::Column::BranchId, unit::Column::Accepted]);
        (event, units.into_tuple().all(db).await?)
    } else {
        with_units(db, id).await?.ok_or(EventError::NotFound)?
    };
    let co_organisers: Vec<i64> = units.iter().filter(|(_, accepted)| *accepted).map(|(b, _)| *b).collect();
    let asked: Vec<i64> = units.iter().filter(|(_, accepted)| !accepted).map(|(b, _)| *b).collect();
    let access = if scope.covers(event.branch_id) {
        Some(Access::Manager)
    } else if co_organisers.iter().any(|b| scope.covers(*b)) {
        Some(Access::CoOrganiser)
    } else if asked.iter().any(|b| scope.covers(*b)) {
        // Asked to co-organise: sees the event to decide, nothing of its people.
        Some(Access::Reader)
    } else if event.state == EventState::Draft {
        None
    } else {
        let member_id = scope.actor().member_id;
        let invited = match member_id {
            Some(m) => invitation::Entity::find()
                .filter(invitation::Column::EventId.eq(id))
                .filter(invitation::Column::MemberId.eq(m))
                .one(db)
                .await?
                .is_some(),
            None => false,
        };
        let mine = member_units(db, member_id).await?;
        let holds = |b: &i64| mine.contains(b);
        (invited || holds(&event.branch_id) || co_organisers.iter().any(holds)).then_some(Access::Reader)
    };
    let access = access.ok_or(EventError::NotFound)?;
    Ok(Loaded { event, co_organisers, asked, access })
}

/// An event with its co-organising and asked branches (branch, accepted), in one statement: a row
/// per such branch, or one row without when there are none. Every event page starts here.
async fn with_units(db: &impl ConnectionTrait, id: i64) -> Result<Option<(event::Model, Vec<(i64, bool)>)>, DbErr> {
    use sea_orm::{
        FromQueryResult, JoinType, QueryTrait,
        sea_query::{Expr, ExprTrait, IntoCondition},
    };
    let others = event::Entity::belongs_to(unit::Entity)
        .from(event::Column::Id)
        .to(unit::Column::EventId)
        .on_condition(|_, u| Expr::col((u, unit::Column::Organiser)).eq(false).into_condition());
    let stmt = event::Entity::find_by_id(id)
        .join(JoinType::LeftJoin, others.into())
        .column_as(Expr::col((unit::Entity, unit::Column::BranchId)), "unit_branch")
        .column_as(Expr::col((unit::Entity, unit::Column::Accepted)), "unit_accepted")
        .build(db.get_database_backend());
    let rows = db.query_all_raw(stmt).await?;
    let Some(first) = rows.first() else { return Ok(None) };
    let event = event::Model::from_query_result(first, "")?;
    let mut units = Vec::new();
    for row in &rows {
        if let Some(branch) = row.try_get::<Option<i64>>("", "unit_branch")? {
            units.push((branch, row.try_get::<Option<bool>>("", "unit_accepted")?.unwrap_or(false)));
        }
    }
    Ok(Some((event, units)))
}

/// Whether a member invited to an event is still in its audience: a member (active or exempt) of a
/// holding branch, of the chosen party group, or picked. An answer link dies once they are not
/// (transferred out, left), with the invitation it stood for.
pub async fn still_reached(db: &impl ConnectionTrait, event: &event::Model, member_id: i64) -> Result<bool, DbErr> {
    let Some(m) = member::Entity::find_by_id(member_id).one(db).await? else { return Ok(false) };
    if !m.state.is_member() {
        return Ok(false);
    }
    let units: Vec<i64> = match event.audience_kind {
        AudienceKind::Members => return Ok(picks_of(db, event.id).await?.contains(&member_id)),
        AudienceKind::Group => event.audience_group_id.into_iter().collect(),
        _ => {
            unit::Entity::find()
                .select_only()
                .column(unit::Column::BranchId)
                .filter(unit::Column::EventId.eq(event.id))
                .into_tuple()
                .all(db)
                .await?
        }
    };
    Ok(units.contains(&m.branch_id) || m.group_id.is_some_and(|g| units.contains(&g)))
}

/// Checks the people and units an event refers to: they must exist, be open, and (for the
/// host, recorder, picks and group) belong to the holding branches. Returns what is wrong.
async fn check_references(db: &impl ConnectionTrait, branch_id: i64, data: &EventData) -> Result<FieldErrors, DbErr> {
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

fn apply(m: &mut event::ActiveModel, data: &EventData) {
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
async fn save(db: &impl ConnectionTrait, m: event::ActiveModel, raise_sequence: bool) -> Result<event::Model, DbErr> {
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
async fn write_units_and_picks(
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
pub(super) async fn update_as(
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
        crate::invitations::promote(&txn, &after, now).await?;
    }
    if !kinds.is_empty() {
        // Newcomers to the audience get the invitation; a change of time, place or details
        // reaches everyone invited before.
        let informs = kinds.iter().any(|k| matches!(*k, "time" | "place" | "details"));
        let mail = if informs { mail::Kind::Update } else { mail::Kind::Invitation };
        mail::queue_for_event(&txn, &after, mail, now).await?;
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

async fn log(
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
        .filter(event::Column::StartsAt.gt(e.starts_at - chrono::Duration::days(super::rules::MAX_DAYS)))
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

/// A person the audience of an event reaches.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Invitee {
    pub member_id: i64,
    pub name: String,
    pub branch_id: i64,
    pub political_status: crate::members::rules::PoliticalStatus,
    pub email: Option<String>,
}

/// The members an event's audience reaches today: active members of the holding branches (or
/// the group, or the picks) with one of the chosen political statuses; picks are taken as chosen.
pub async fn audience(db: &impl ConnectionTrait, event: &event::Model) -> Result<Vec<Invitee>, DbErr> {
    let mut cond = Condition::all().add(member::Column::State.eq(MembershipState::Active));
    match event.audience_kind {
        AudienceKind::Members => {
            let picks: Vec<i64> = pick::Entity::find()
                .select_only()
                .column(pick::Column::MemberId)
                .filter(pick::Column::EventId.eq(event.id))
                .into_tuple()
                .all(db)
                .await?;
            cond = cond.add(member::Column::Id.is_in(picks));
        }
        kind => {
            let units: Vec<i64> = if kind == AudienceKind::Group {
                event.audience_group_id.into_iter().collect()
            } else {
                unit::Entity::find()
                    .select_only()
                    .column(unit::Column::BranchId)
                    .filter(unit::Column::EventId.eq(event.id))
                    .filter(unit::Column::Accepted.eq(true))
                    .into_tuple()
                    .all(db)
                    .await?
            };
            cond = cond
                .add(
                    Condition::any()
                        .add(member::Column::BranchId.is_in(units.clone()))
                        .add(member::Column::GroupId.is_in(units)),
                )
                .add(member::Column::PoliticalStatus.is_in(statuses_from_db(&event.audience_statuses)));
        }
    }
    let rows = member::Entity::find()
        .filter(cond)
        .order_by_asc(member::Column::Name)
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Invitee::from).collect())
}

impl From<member::Model> for Invitee {
    fn from(m: member::Model) -> Self {
        Invitee {
            member_id: m.id,
            name: m.name,
            branch_id: m.branch_id,
            political_status: m.political_status,
            email: m.email,
        }
    }
}

/// Brings the invitation rows of a scheduled event in line with its audience and guests: adds
/// the newly reached, removes those no longer reached who have not answered.
async fn sync_invitations(db: &impl ConnectionTrait, event: &event::Model, now: DateTime<Utc>) -> Result<(), DbErr> {
    let wanted: BTreeSet<i64> = audience(db, event).await?.into_iter().map(|i| i.member_id).collect();
    let existing: Vec<invitation::Model> =
        invitation::Entity::find().filter(invitation::Column::EventId.eq(event.id)).all(db).await?;
    let have: BTreeSet<i64> = existing.iter().filter_map(|i| i.member_id).collect();
    let gone: Vec<i64> = existing
        .iter()
        .filter(|i| {
            i.member_id.is_some_and(|m| !wanted.contains(&m)) && i.answer == crate::invitations::Answer::Pending
        })
        .map(|i| i.id)
        .collect();
    if !gone.is_empty() {
        invitation::Entity::delete_many().filter(invitation::Column::Id.is_in(gone)).exec(db).await?;
    }
    let new_members = wanted.difference(&have).map(|m| (Some(*m), None, crate::invitations::Role::Member));
    let guests: Vec<guest::Model> = guest::Entity::find().filter(guest::Column::EventId.eq(event.id)).all(db).await?;
    let invited_guests: BTreeSet<i64> = existing.iter().filter_map(|i| i.guest_id).collect();
    let new_guests =
        guests.iter().filter(|g| !invited_guests.contains(&g.id)).map(|g| (None, Some(g.id), g.role.into()));
    let rows: Vec<invitation::ActiveModel> = new_members
        .chain(new_guests)
        .map(|(member_id, guest_id, role)| invitation::ActiveModel {
            event_id: Set(event.id),
            member_id: Set(member_id),
            guest_id: Set(guest_id),
            role: Set(role),
            answer: Set(crate::invitations::Answer::Pending),
            answered_at: Set(None),
            created_at: Set(now),
            leave_reason: Set(None),
            ..Default::default()
        })
        .collect();
    // Large audiences go in chunks: PostgreSQL and SQLite limit the parameters of a statement.
    for chunk in rows.chunks(500) {
        invitation::Entity::insert_many(chunk.to_vec()).exec(db).await?;
    }
    Ok(())
}

/// Schedules a draft: it becomes visible to its audience, who get an invitation row each.
pub async fn schedule(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, id).await?;
    loaded.require_draft()?;
    let event = loaded.event;
    if event.ends_at <= now {
        return Err(EventError::InThePast);
    }
    let guests = guest::Entity::find().filter(guest::Column::EventId.eq(id)).count(&txn).await?;
    if guests == 0 && audience(&txn, &event).await?.is_empty() {
        return Err(EventError::NoInvitees);
    }
    let mut m: event::ActiveModel = event.clone().into();
    m.state = Set(EventState::Scheduled);
    m.updated_at = Set(now);
    let event = save(&txn, m, false).await?;
    log(&txn, id, "scheduled", "", event.sequence, scope.account_id(), now).await?;
    sync_invitations(&txn, &event, now).await?;
    mail::queue_for_event(&txn, &event, mail::Kind::Invitation, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Cancels a draft or scheduled event, with a reason.
pub async fn cancel(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(EventError::ReasonRequired);
    }
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, id).await?;
    loaded.require_changeable(now)?;
    let event = loaded.event;
    let scheduled = event.state == EventState::Scheduled;
    let mut m: event::ActiveModel = event.into();
    m.state = Set(EventState::Cancelled);
    m.cancel_reason = Set(Some(reason.to_owned()));
    m.updated_at = Set(now);
    let after = save(&txn, m, scheduled).await?;
    log(&txn, id, "cancelled", reason, after.sequence, scope.account_id(), now).await?;
    if scheduled {
        mail::queue_for_event(&txn, &after, mail::Kind::Cancellation, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Deletes a draft (nothing was sent about it).
pub async fn delete_draft(db: &impl TransactionTrait, scope: &Scope, id: i64) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    load_locked(&txn, scope, id).await?.require_draft()?;
    event::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Copies an event (fields, holding branches, audience, guests and agenda) as a new draft.
pub async fn copy(db: &impl TransactionTrait, scope: &Scope, id: i64, now: DateTime<Utc>) -> Result<i64, EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load(&txn, scope, id).await?;
    loaded.require_manager()?;
    let source = loaded.event;
    let copy = event::ActiveModel {
        id: sea_orm::NotSet,
        state: Set(EventState::Draft),
        cancel_reason: Set(None),
        series_id: Set(None),
        edited_by_hand: Set(false),
        sequence: Set(0),
        revision: Set(0),
        created_by: Set(scope.account_id()),
        created_at: Set(now),
        updated_at: Set(now),
        ..source.clone().into()
    };
    let new_id = copy.insert(&txn).await?.id;
    let units: Vec<unit::ActiveModel> = unit::Entity::find()
        .filter(unit::Column::EventId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|u| unit::ActiveModel {
            event_id: Set(new_id),
            branch_id: Set(u.branch_id),
            organiser: Set(u.organiser),
            accepted: Set(u.accepted),
        })
        .collect();
    unit::Entity::insert_many(units).exec(&txn).await?;
    let picks: Vec<pick::ActiveModel> = pick::Entity::find()
        .filter(pick::Column::EventId.eq(id))
        .all(&txn)
        .await?
        .into_iter()
        .map(|p| pick::ActiveModel { event_id: Set(new_id), member_id: Set(p.member_id) })
        .collect();
    pick::Entity::insert_many(picks).exec(&txn).await?;
    for g in guest::Entity::find().filter(guest::Column::EventId.eq(id)).all(&txn).await? {
        guest::ActiveModel { id: sea_orm::NotSet, event_id: Set(new_id), ..g.into() }.insert(&txn).await?;
    }
    for a in agenda::Entity::find().filter(agenda::Column::EventId.eq(id)).all(&txn).await? {
        agenda::ActiveModel { id: sea_orm::NotSet, event_id: Set(new_id), ..a.into() }.insert(&txn).await?;
    }
    txn.commit().await?;
    Ok(new_id)
}

/// Raises the sequence of a scheduled event after a change of its guests or agenda. `event` is
/// the row as [`load_locked`] read it.
async fn touched(
    db: &impl ConnectionTrait,
    event: &event::Model,
    kind: &str,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut m: event::ActiveModel = event.clone().into();
    m.updated_at = Set(now);
    let scheduled = event.state == EventState::Scheduled;
    let after = save(db, m, scheduled).await?;
    if scheduled {
        log(db, event.id, kind, "", after.sequence, scope.account_id(), now).await?;
        if kind == "guests" {
            sync_invitations(db, &after, now).await?;
        }
        // A new guest gets the invitation; an agenda change reaches everyone invited.
        let mail = if kind == "agenda" { mail::Kind::Update } else { mail::Kind::Invitation };
        mail::queue_for_event(db, &after, mail, now).await?;
    }
    Ok(())
}

pub async fn add_guest(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    data: &GuestData,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    loaded.require_changeable(now)?;
    guest::ActiveModel {
        event_id: Set(event_id),
        name: Set(data.name.clone()),
        organisation: Set(data.organisation.clone()),
        title: Set(data.title.clone()),
        email: Set(data.email.clone()),
        phone: Set(data.phone.clone()),
        role: Set(data.role),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    touched(&txn, &loaded.event, "guests", scope, now).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn remove_guest(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    guest_id: i64,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    loaded.require_changeable(now)?;
    let gone = guest::Entity::delete_many()
        .filter(guest::Column::Id.eq(guest_id))
        .filter(guest::Column::EventId.eq(event_id))
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(EventError::NotFound);
    }
    touched(&txn, &loaded.event, "guests", scope, now).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn agenda_of(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<agenda::Model>, DbErr> {
    agenda::Entity::find()
        .filter(agenda::Column::EventId.eq(event_id))
        .order_by_asc(agenda::Column::Position)
        .order_by_asc(agenda::Column::Id)
        .all(db)
        .await
}

pub async fn picks_of(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<i64>, DbErr> {
    pick::Entity::find()
        .select_only()
        .column(pick::Column::MemberId)
        .filter(pick::Column::EventId.eq(event_id))
        .into_tuple()
        .all(db)
        .await
}

/// The members with an invitation to an event, by name. Read as one value (`db::json_rows`): an
/// event of 2,000 invitees shows them all to its organisers.
pub async fn invited_members(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<Invitee>, DbErr> {
    use sea_orm::sea_query::{Alias, Expr, Query};
    let invited = Query::select()
        .column(invitation::Column::MemberId)
        .from(invitation::Entity)
        .and_where(invitation::Column::EventId.eq(event_id))
        .to_owned();
    let select = Query::select()
        .from(member::Entity)
        .expr_as(Expr::col(member::Column::Id), Alias::new("member_id"))
        .columns([
            member::Column::Name,
            member::Column::BranchId,
            member::Column::PoliticalStatus,
            member::Column::Email,
        ])
        .and_where(member::Column::Id.in_subquery(invited))
        .to_owned();
    let columns = ["member_id", "name", "branch_id", "political_status", "email"];
    let mut rows: Vec<Invitee> = crate::db::json_rows(db, &select, &columns).await?;
    rows.sort_unstable_by(|a, b| (&a.name, a.member_id).cmp(&(&b.name, b.member_id)));
    Ok(rows)
}

pub async fn guests_of(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<guest::Model>, DbErr> {
    guest::Entity::find().filter(guest::Column::EventId.eq(event_id)).order_by_asc(guest::Column::Id).all(db).await
}

pub async fn changes_of(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<change::Model>, DbErr> {
    change::Entity::find().filter(change::Column::EventId.eq(event_id)).order_by_asc(change::Column::Id).all(db).await
}

/// Adds an agenda item at the end, or replaces one.
pub async fn save_agenda_item(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    item_id: Option<i64>,
    data: &AgendaData,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    loaded.require_changeable(now)?;
    let items = agenda_of(&txn, event_id).await?;
    match item_id {
        Some(item) => {
            let found = items.into_iter().find(|i| i.id == item).ok_or(EventError::NotFound)?;
            let mut m: agenda::ActiveModel = found.into();
            m.title = Set(data.title.clone());
            m.presenter = Set(data.presenter.clone());
            m.minutes = Set(data.minutes);
            m.update(&txn).await?;
        }
        None => {
            let position = items.last().map_or(1, |i| i.position + 1);
            agenda::ActiveModel {
                event_id: Set(event_id),
                position: Set(position),
                title: Set(data.title.clone()),
                presenter: Set(data.presenter.clone()),
                minutes: Set(data.minutes),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    touched(&txn, &loaded.event, "agenda", scope, now).await?;
    txn.commit().await?;
    Ok(())
}

/// What to do with an agenda item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgendaMove {
    Up,
    Down,
    Remove,
}

pub async fn move_agenda_item(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    item_id: i64,
    how: AgendaMove,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    loaded.require_changeable(now)?;
    let mut items = agenda_of(&txn, event_id).await?;
    let at = items.iter().position(|i| i.id == item_id).ok_or(EventError::NotFound)?;
    match how {
        AgendaMove::Remove => {
            agenda::Entity::delete_by_id(item_id).exec(&txn).await?;
            items.remove(at);
        }
        AgendaMove::Up if at > 0 => items.swap(at, at - 1),
        AgendaMove::Down if at + 1 < items.len() => items.swap(at, at + 1),
        _ => {}
    }
    // Positions are renumbered 1..n, so that they stay dense whatever happened before.
    for (n, item) in items.into_iter().enumerate() {
        let position = n as i32 + 1;
        if item.position != position {
            let mut m: agenda::ActiveModel = item.into();
            m.position = Set(position);
            m.update(&txn).await?;
        }
    }
    touched(&txn, &loaded.event, "agenda", scope, now).await?;
    txn.commit().await?;
    Ok(())
}

/// A co-organising branch's answer to being asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoOrganising {
    Accept,
    Decline,
}

/// The secretary of a branch asked to co-organise answers. Accepting makes it a holding branch:
/// on a scheduled event its members are invited (and emailed) at once. Declining removes it.
pub async fn answer_co_organising(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    branch_id: i64,
    answer: CoOrganising,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    let txn = crate::db::write_txn(db).await?;
    let loaded = load_locked(&txn, scope, event_id).await?;
    if !loaded.asked.contains(&branch_id) || !scope.covers(branch_id) {
        return Err(EventError::NotFound);
    }
    if effective_state(&loaded.event, now) == EventState::Ended {
        return Err(EventError::Ended);
    }
    use sea_orm::sea_query::Expr;
    let this_unit = Condition::all().add(unit::Column::EventId.eq(event_id)).add(unit::Column::BranchId.eq(branch_id));
    let kind = match answer {
        CoOrganising::Accept => {
            unit::Entity::update_many()
                .col_expr(unit::Column::Accepted, Expr::value(true))
                .filter(this_unit)
                .exec(&txn)
                .await?;
            "co_accepted"
        }
        CoOrganising::Decline => {
            unit::Entity::delete_many().filter(this_unit).exec(&txn).await?;
            "co_declined"
        }
    };
    let event = loaded.event;
    log(&txn, event_id, kind, "", event.sequence, scope.account_id(), now).await?;
    if answer == CoOrganising::Accept && event.state == EventState::Scheduled {
        sync_invitations(&txn, &event, now).await?;
        mail::queue_for_event(&txn, &event, mail::Kind::Invitation, now).await?;
    }
    txn.commit().await?;
    Ok(())
}
