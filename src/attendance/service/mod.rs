//! Attendance rules: answers with capacity and waitlist, leave decisions, check-in (roster, QR
//! code, email link), walk-ins, finalising ended events once, corrections and make-up study.
//!
//! Every change runs in a transaction that first locks the event's row (a write on it): on
//! PostgreSQL the row lock, on SQLite the database's write lock, so counting seats and taking
//! one cannot interleave. Every change is logged with who and when.

pub mod history;
pub mod waiting;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbErr, JoinType, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set, TransactionSession, TransactionTrait, entity::prelude::*, sea_query::Expr,
};

use super::rules::{Choose, Mark, Method};
use crate::{
    branches::Scope,
    db::Writer,
    events::{
        entity::{event, guest, invitation},
        rules::{EventState, GuestRole},
        service::{
            self as events, Access, notices as outbox,
            seats::{promote, seats_taken, write_log},
        },
    },
    forms::Choice,
    invitations::{Answer, Outcome, Role, log},
    members::entity::member,
};

#[derive(Debug, thiserror::Error)]
pub enum AttendanceError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<events::EventError> for AttendanceError {
    fn from(e: events::EventError) -> Self {
        use events::EventError as E;
        match e {
            E::Db(e) => AttendanceError::Db(e),
            E::Forbidden => AttendanceError::Forbidden,
            E::NotFound => AttendanceError::NotFound,
            E::Ended => Refused("answer.ended"),
            E::Cancelled => Refused("answer.cancelled"),
            // Attendance never edits, schedules or deletes the event itself: these refusals of
            // the events service cannot reach it, and say only that the event is not there for it.
            E::NotDraft | E::InThePast | E::ReasonRequired | E::NoInvitees | E::Stale | E::Storage(_) => {
                AttendanceError::NotFound
            }
        }
    }
}

use AttendanceError::Refused;

/// The times of self check-in, from configuration.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub opens_before: Duration,
    pub late_after: Duration,
}

impl Window {
    pub fn opens(&self, e: &event::Model) -> DateTime<Utc> {
        e.starts_at - self.opens_before
    }

    /// Self check-in is open: from before the start to the end, on a scheduled event.
    pub fn is_open(&self, e: &event::Model, now: DateTime<Utc>) -> bool {
        e.state == EventState::Scheduled && self.opens(e) <= now && now < e.ends_at
    }
}

/// Who makes a change: the invitee themselves (web or email link), or staff (a secretary, the
/// host or the recorder) acting with their scope.
#[derive(Clone, Copy)]
pub enum By<'a> {
    Invitee,
    Staff(&'a Scope),
}

impl By<'_> {
    fn account(&self) -> Option<i64> {
        match self {
            By::Invitee => None,
            By::Staff(scope) => scope.account_id(),
        }
    }

    /// Who, owned (for a `Writer`'s work).
    fn staff(&self) -> Option<Scope> {
        match self {
            By::Invitee => None,
            By::Staff(scope) => Some((*scope).clone()),
        }
    }
}

/// Answers are taken until the deadline, or the start when there is none.
pub fn closes_at(e: &event::Model) -> DateTime<Utc> {
    crate::invitations::closes_at(e.answer_deadline, e.starts_at)
}

/// The event's row, locked: FOR UPDATE on PostgreSQL; on SQLite the transaction (begun by
/// `db::write_txn`) has held the write lock since BEGIN IMMEDIATE.
async fn lock_event(txn: &DatabaseTransaction, event_id: i64) -> Result<event::Model, AttendanceError> {
    event::Entity::find_by_id(event_id).lock_exclusive().one(txn).await?.ok_or(AttendanceError::NotFound)
}

/// The event, locked as in `lock_event`, and the invitation, which must be one of that event's.
/// Every change of an invitation starts here, in a write of the `Writer` (one such write at a
/// time per event; on SQLite, one at a time).
async fn lock(
    txn: &DatabaseTransaction,
    (event_id, invitation_id): (i64, i64),
) -> Result<(event::Model, invitation::Model), AttendanceError> {
    // One statement: the event's row with the invitation.
    let found = event::Entity::find_by_id(event_id)
        .join(JoinType::InnerJoin, invitation::to_event().rev())
        .filter(invitation::Column::Id.eq(invitation_id))
        .select_also(invitation::Entity)
        .lock_exclusive()
        .one(txn)
        .await?;
    match found {
        Some((event, Some(inv))) if event.state != EventState::Draft => Ok((event, inv)),
        _ => Err(AttendanceError::NotFound),
    }
}

fn answer_of(inv: &invitation::Model) -> Answer {
    inv.answer
}

/// The viewer may take attendance: organisers, co-organisers, the host and the recorder.
pub fn may_take_attendance(loaded: &events::Loaded, scope: &Scope) -> bool {
    loaded.runs(scope)
}

/// The viewer may decide for this invitee (leave, answers after the deadline, corrections,
/// make-up): a secretary of the organising branch, or of a co-organising branch for its own
/// members.
async fn may_decide(
    db: &impl ConnectionTrait,
    access: Access,
    scope: &Scope,
    inv: &invitation::Model,
) -> Result<bool, DbErr> {
    Ok(match access {
        Access::Manager => true,
        Access::CoOrganiser => match inv.member_id {
            Some(m) => member::Entity::find_by_id(m).one(db).await?.is_some_and(|m| scope.covers(m.branch_id)),
            None => false,
        },
        Access::Reader => false,
    })
}

async fn require_decider(
    txn: &DatabaseTransaction,
    scope: &Scope,
    inv: &invitation::Model,
) -> Result<(), AttendanceError> {
    let loaded = events::load(txn, scope, inv.event_id).await?;
    if may_decide(txn, loaded.access, scope, inv).await? { Ok(()) } else { Err(AttendanceError::Forbidden) }
}

/// Records an answer. Accepting when every seat is taken puts the invitee on the waitlist
/// (keeping their place if they are on it already); giving up a seat promotes the first waiting.
/// Invitees answer until answers close; staff until the end, and their changes are logged with
/// their account. Returns the answer recorded.
pub async fn answer(
    w: &Writer,
    target: (i64, i64),
    choice: Choose,
    by: By<'_>,
    now: DateTime<Utc>,
) -> Result<Answer, AttendanceError> {
    w.run((choice, by.staff()), move |txn, (choice, staff)| {
        Box::pin(answer_locked(txn, target, choice.clone(), staff.as_ref().map_or(By::Invitee, By::Staff), now))
    })
    .await
}

async fn answer_locked(
    txn: &DatabaseTransaction,
    target: (i64, i64),
    choice: Choose,
    by: By<'_>,
    now: DateTime<Utc>,
) -> Result<Answer, AttendanceError> {
    let (event, inv) = lock(txn, target).await?;
    match events::effective_state(&event, now) {
        EventState::Cancelled => return Err(Refused("answer.cancelled")),
        EventState::Ended => return Err(Refused("answer.ended")),
        _ => {}
    }
    match by {
        By::Invitee if now >= closes_at(&event) => return Err(Refused("answer.closed")),
        // Whoever checked in is attending; only a secretary corrects that.
        By::Invitee if inv.checked_in_at.is_some() => return Err(Refused("answer.after_checkin")),
        By::Invitee if inv.member_id.is_none() && matches!(choice, Choose::Leave(_)) => {
            return Err(Refused("answer.no_leave_for_guests"));
        }
        By::Invitee => {}
        By::Staff(scope) => require_decider(txn, scope, &inv).await?,
    }
    let old = answer_of(&inv);
    let (new, reason) = match choice {
        Choose::Accept if matches!(old, Answer::Accepted | Answer::Waitlisted) => (old, None),
        Choose::Accept => match event.capacity {
            Some(c) if seats_taken(txn, event.id, inv.id).await? >= c.max(0) as u64 => (Answer::Waitlisted, None),
            _ => (Answer::Accepted, None),
        },
        Choose::Decline => (Answer::Declined, None),
        Choose::Leave(reason) => (Answer::LeaveRequested, Some(reason)),
    };
    let mut m: invitation::ActiveModel = inv.clone().into();
    if new != old || reason != inv.leave_reason {
        // The waitlist is in the order of answers: a repeated acceptance keeps its place.
        m.answered_at = Set(Some(now));
    }
    m.answer = Set(new);
    m.leave_reason = Set(reason.clone());
    // A new answer replaces any decision on an earlier leave request.
    m.leave_note = Set(None);
    m.leave_decided_by = Set(None);
    m.leave_decided_at = Set(None);
    m.update(txn).await?;
    write_log(txn, inv.id, "answer", (Some(old.key()), Some(new.key())), reason.as_deref(), by.account(), now).await?;
    if old == Answer::Accepted && new != Answer::Accepted {
        promote(txn, &event, now).await?;
    }
    if matches!(by, By::Invitee) {
        outbox::queue_answer_copy(txn, &event, &inv, now).await?;
    } else {
        outbox::queue_notice(txn, &event, &inv, now).await?;
    }
    Ok(new)
}

/// A secretary approves or rejects a leave request, with an optional note; the invitee is told
/// by email. After the event was finalised, the outcome of someone who did not come follows.
pub async fn decide_leave(
    w: &Writer,
    scope: &Scope,
    target: (i64, i64),
    approve: bool,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), AttendanceError> {
    w.run((scope.clone(), note.to_owned()), move |txn, (scope, note)| {
        Box::pin(decide_leave_locked(txn, scope, target, approve, note, now))
    })
    .await
}

async fn decide_leave_locked(
    txn: &DatabaseTransaction,
    scope: &Scope,
    target: (i64, i64),
    approve: bool,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), AttendanceError> {
    let (event, inv) = lock(txn, target).await?;
    require_decider(txn, scope, &inv).await?;
    if event.state == EventState::Cancelled {
        return Err(Refused("answer.cancelled"));
    }
    let old = answer_of(&inv);
    if !old.is_leave() {
        return Err(Refused("leave.no_request"));
    }
    let new = if approve { Answer::LeaveApproved } else { Answer::LeaveRejected };
    let note = Some(note.trim()).filter(|n| !n.is_empty()).map(|n| n.chars().take(500).collect::<String>());
    let mut m: invitation::ActiveModel = inv.clone().into();
    m.answer = Set(new);
    m.leave_note = Set(note.clone());
    m.leave_decided_by = Set(scope.account_id());
    m.leave_decided_at = Set(Some(now));
    if event.finalised_at.is_some() && inv.checked_in_at.is_none() && inv.outcome.is_some() {
        let outcome = if approve { Outcome::Excused } else { Outcome::Absent };
        m.outcome = Set(Some(outcome));
    }
    m.update(txn).await?;
    write_log(txn, inv.id, "leave", (Some(old.key()), Some(new.key())), note.as_deref(), scope.account_id(), now)
        .await?;
    outbox::queue_notice(txn, &event, &inv, now).await?;
    Ok(())
}

/// Self check-in with the event's QR code (a logged-in member) or an invitation link: once, while
/// check-in is open; after the start plus the grace it is recorded as late.
pub async fn check_in(
    w: &Writer,
    target: (i64, i64),
    method: Method,
    window: Window,
    now: DateTime<Utc>,
) -> Result<Outcome, AttendanceError> {
    w.run((), move |txn, ()| Box::pin(check_in_locked(txn, target, method, window, now))).await
}

async fn check_in_locked(
    txn: &DatabaseTransaction,
    target: (i64, i64),
    method: Method,
    window: Window,
    now: DateTime<Utc>,
) -> Result<Outcome, AttendanceError> {
    let (event, inv) = lock(txn, target).await?;
    if event.state == EventState::Cancelled {
        return Err(Refused("answer.cancelled"));
    }
    if now < window.opens(&event) {
        return Err(Refused("checkin.not_open"));
    }
    if !window.is_open(&event, now) {
        return Err(Refused("checkin.closed"));
    }
    if inv.checked_in_at.is_some() {
        return Err(Refused("checkin.already"));
    }
    let outcome = if now > event.starts_at + window.late_after { Outcome::Late } else { Outcome::Present };
    let mut m: invitation::ActiveModel = inv.clone().into();
    m.checked_in_at = Set(Some(now));
    m.checkin_method = Set(Some(method.key().to_owned()));
    m.outcome = Set(Some(outcome));
    m.update(txn).await?;
    write_log(txn, inv.id, "checkin", (None, Some(outcome.key())), Some(method.key()), None, now).await?;
    Ok(outcome)
}

/// One tap on the roster by the host, the recorder or a secretary: present, late, left early or
/// undo while the event runs; after it was finalised, a correction by a secretary (any outcome,
/// with an optional note), which also settles whether make-up study is needed.
pub async fn mark(
    w: &Writer,
    scope: &Scope,
    target: (i64, i64),
    mark: Mark,
    note: &str,
    window: Window,
    now: DateTime<Utc>,
) -> Result<(), AttendanceError> {
    // Who may mark is read before the lock, to keep the locked part short (a roster is tapped
    // fast); the event's state is checked on its locked row.
    let loaded = events::load(w.db(), scope, target.0).await?;
    if loaded.event.state == EventState::Draft {
        return Err(AttendanceError::Forbidden);
    }
    let may = Taker { access: loaded.access, takes_attendance: may_take_attendance(&loaded, scope) };
    w.run((scope.clone(), note.to_owned()), move |txn, (scope, note)| {
        Box::pin(mark_locked(txn, scope, may, target, mark, note, window, now))
    })
    .await
}

/// What the one who marks may do, read before the lock.
#[derive(Clone, Copy)]
struct Taker {
    access: Access,
    takes_attendance: bool,
}

#[allow(clippy::too_many_arguments)]
async fn mark_locked(
    txn: &DatabaseTransaction,
    scope: &Scope,
    may: Taker,
    target: (i64, i64),
    mark: Mark,
    note: &str,
    window: Window,
    now: DateTime<Utc>,
) -> Result<(), AttendanceError> {
    let (event, inv) = lock(txn, target).await?;
    let finalised = event.finalised_at.is_some();
    if finalised {
        if !may_decide(txn, may.access, scope, &inv).await? {
            return Err(AttendanceError::Forbidden);
        }
    } else if !may.takes_attendance {
        return Err(AttendanceError::Forbidden);
    }
    if event.state == EventState::Cancelled {
        return Err(Refused("answer.cancelled"));
    }
    if now < window.opens(&event) {
        return Err(Refused("checkin.not_open"));
    }
    let old = inv.outcome;
    let mut m: invitation::ActiveModel = inv.clone().into();
    let excused_or_absent = |inv: &invitation::Model| {
        if answer_of(inv) == Answer::LeaveApproved || answer_of(inv) == Answer::Waitlisted {
            Outcome::Excused
        } else {
            Outcome::Absent
        }
    };
    let outcome = match mark {
        Mark::Present | Mark::Late => {
            if inv.checked_in_at.is_none() {
                m.checked_in_at = Set(Some(now));
                m.checkin_method = Set(Some(Method::Roster.key().to_owned()));
            }
            Some(if mark == Mark::Present { Outcome::Present } else { Outcome::Late })
        }
        Mark::LeftEarly => {
            if !inv.outcome.is_some_and(Outcome::attended) {
                return Err(Refused("roster.not_checked_in"));
            }
            m.left_early = Set(!inv.left_early);
            inv.outcome
        }
        Mark::Excused | Mark::Absent if !finalised => return Err(Refused("roster.not_final")),
        Mark::Excused => Some(Outcome::Excused),
        Mark::Absent => Some(Outcome::Absent),
        Mark::Undo => {
            m.checked_in_at = Set(None);
            m.checkin_method = Set(None);
            m.left_early = Set(false);
            finalised.then(|| excused_or_absent(&inv))
        }
    };
    m.outcome = Set(outcome);
    if finalised && inv.member_id.is_some() && inv.role == Role::Member {
        let missed = outcome.is_some_and(|o| !o.attended());
        m.makeup_required = Set(missed);
        if !missed {
            m.makeup_done_on = Set(None);
            m.makeup_note = Set(None);
        }
    }
    m.update(txn).await?;
    let what = if finalised { "outcome" } else { "checkin" };
    let new = match mark {
        Mark::LeftEarly => Some(if inv.left_early { "stayed" } else { "left_early" }),
        _ => outcome.map(Outcome::key),
    };
    let note = Some(note.trim()).filter(|n| !n.is_empty());
    write_log(txn, inv.id, what, (old.map(Outcome::key), new), note, scope.account_id(), now).await?;
    Ok(())
}

/// A secretary records make-up study done, with a note, on a date between the event's day and
/// today (both in the branch's zone).
pub async fn makeup_done(
    w: &Writer,
    scope: &Scope,
    target: (i64, i64),
    done_on: NaiveDate,
    days: (NaiveDate, NaiveDate),
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), AttendanceError> {
    w.run((scope.clone(), note.to_owned()), move |txn, (scope, note)| {
        Box::pin(makeup_done_locked(txn, scope, target, done_on, days, note, now))
    })
    .await
}

async fn makeup_done_locked(
    txn: &DatabaseTransaction,
    scope: &Scope,
    target: (i64, i64),
    done_on: NaiveDate,
    (event_day, today): (NaiveDate, NaiveDate),
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), AttendanceError> {
    let (_, inv) = lock(txn, target).await?;
    require_decider(txn, scope, &inv).await?;
    if !inv.makeup_required {
        return Err(Refused("makeup.not_required"));
    }
    if done_on > today || done_on < event_day {
        return Err(Refused("makeup.bad_date"));
    }
    let note = Some(note.trim()).filter(|n| !n.is_empty()).map(|n| n.chars().take(500).collect::<String>());
    let mut m: invitation::ActiveModel = inv.clone().into();
    m.makeup_done_on = Set(Some(done_on));
    m.makeup_note = Set(note.clone());
    m.update(txn).await?;
    let day = done_on.to_string();
    write_log(txn, inv.id, "makeup", (None, Some(&day)), note.as_deref(), scope.account_id(), now).await?;
    Ok(())
}

/// Who comes in without an invitation.
#[derive(Clone)]
pub enum WalkIn {
    /// A member the taker may see: of a holding branch, or of the taker's own scope.
    Member(i64),
    /// Any active member of the association, named by their exact phone number (a member of
    /// another branch who came along: the taker knows them, not their id).
    Phone(String),
    Guest {
        name: String,
        organisation: Option<String>,
        title: Option<String>,
        role: GuestRole,
    },
}

/// Adds a walk-in to a scheduled or ended event (members of a holding branch as members, others as
/// non-voting attendees); once check-in has opened they are checked in on the roster at once.
pub async fn walk_in(
    w: &Writer,
    scope: &Scope,
    event_id: i64,
    who: WalkIn,
    window: Window,
    now: DateTime<Utc>,
) -> Result<i64, AttendanceError> {
    w.run((scope.clone(), who), move |txn, (scope, who)| {
        Box::pin(walk_in_locked(txn, scope, event_id, who, window, now))
    })
    .await
}

async fn walk_in_locked(
    txn: &DatabaseTransaction,
    scope: &Scope,
    event_id: i64,
    who: &WalkIn,
    window: Window,
    now: DateTime<Utc>,
) -> Result<i64, AttendanceError> {
    let event = lock_event(txn, event_id).await?;
    let loaded = events::load(txn, scope, event_id).await?;
    if !may_take_attendance(&loaded, scope) {
        return Err(AttendanceError::Forbidden);
    }
    match event.state {
        EventState::Draft => return Err(Refused("walk_in.draft")),
        EventState::Cancelled => return Err(Refused("answer.cancelled")),
        _ => {}
    }
    let (member_id, guest_id, role) = match who {
        WalkIn::Member(_) | WalkIn::Phone(_) => {
            let holds = |b: i64| b == event.branch_id || loaded.co_organisers.contains(&b);
            let found = match who {
                // Members beyond the taker's sight read as unknown, exactly like ids that do not
                // exist: ids cannot be walked to learn names, branches and statuses.
                WalkIn::Member(id) => member::Entity::find_by_id(*id)
                    .one(txn)
                    .await?
                    .filter(|m| holds(m.branch_id) || scope.covers(m.branch_id)),
                WalkIn::Phone(phone) => {
                    member::Entity::find().filter(member::Column::Phone.eq(phone.as_str())).one(txn).await?
                }
                WalkIn::Guest { .. } => None,
            };
            let m = found.filter(|m| m.state.is_member()).ok_or(Refused("walk_in.unknown_member"))?;
            let id = m.id;
            let invited = invitation::Entity::find()
                .filter(invitation::Column::EventId.eq(event_id))
                .filter(invitation::Column::MemberId.eq(id))
                .count(txn)
                .await?;
            if invited > 0 {
                return Err(Refused("walk_in.already_invited"));
            }
            (Some(id), None, if holds(m.branch_id) { Role::Member } else { Role::NonVoting })
        }
        WalkIn::Guest { name, organisation, title, role } => {
            let g = guest::ActiveModel {
                event_id: Set(event_id),
                name: Set(name.clone()),
                organisation: Set(organisation.clone()),
                title: Set(title.clone()),
                email: Set(None),
                phone: Set(None),
                role: Set(*role),
                ..Default::default()
            }
            .insert(txn)
            .await?;
            (None, Some(g.id), Role::from(*role))
        }
    };
    let open = now >= window.opens(&event);
    let finalised = event.finalised_at.is_some();
    let inv = invitation::ActiveModel {
        event_id: Set(event_id),
        member_id: Set(member_id),
        guest_id: Set(guest_id),
        role: Set(role),
        answer: Set(Answer::Accepted),
        answered_at: Set(Some(now)),
        created_at: Set(now),
        walk_in: Set(true),
        checked_in_at: Set(open.then_some(now)),
        checkin_method: Set(open.then(|| Method::Roster.key().to_owned())),
        outcome: Set(open.then_some(Outcome::Present)),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    let what = if finalised { "outcome" } else { "checkin" };
    write_log(txn, inv.id, what, (None, inv.outcome.map(Outcome::key)), Some("walk_in"), scope.account_id(), now)
        .await?;
    Ok(inv.id)
}

/// Ends and settles every event whose end has passed (the event clock, also at start-up).
/// Returns how many this call finalised.
pub async fn finalise_due(db: &impl TransactionTrait, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let due: Vec<i64> = {
        let txn = crate::db::write_txn(db).await?;
        let ids = event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .filter(event::Column::State.is_in([EventState::Scheduled, EventState::Ended]))
            .filter(event::Column::FinalisedAt.is_null())
            .filter(event::Column::EndsAt.lte(now))
            .order_by_asc(event::Column::EndsAt)
            .limit(500)
            .into_tuple()
            .all(&txn)
            .await?;
        txn.commit().await?;
        ids
    };
    let mut done = 0;
    for id in due {
        if finalise(db, id, now).await? {
            done += 1;
        }
    }
    Ok(done)
}

/// Ends one event and settles its attendance, exactly once: the claim is the conditional update
/// of its row, which only one transaction (instance, restart) can win. Members who did not
/// check in become absent, or excused with approved leave or while waitlisted; each of them owes
/// make-up study.
pub async fn finalise(db: &impl TransactionTrait, event_id: i64, now: DateTime<Utc>) -> Result<bool, DbErr> {
    let txn = crate::db::write_txn(db).await?;
    let claimed = event::Entity::update_many()
        .col_expr(event::Column::State, Expr::value(EventState::Ended.key()))
        .col_expr(event::Column::FinalisedAt, Expr::value(now))
        .filter(event::Column::Id.eq(event_id))
        .filter(event::Column::State.is_in([EventState::Scheduled, EventState::Ended]))
        .filter(event::Column::FinalisedAt.is_null())
        .filter(event::Column::EndsAt.lte(now))
        .exec(&txn)
        .await?
        .rows_affected;
    if claimed == 0 {
        return Ok(false);
    }
    let unchecked = || {
        invitation::Entity::update_many()
            .filter(invitation::Column::EventId.eq(event_id))
            .filter(invitation::Column::MemberId.is_not_null())
            .filter(invitation::Column::Role.eq(Role::Member))
            .filter(invitation::Column::CheckedInAt.is_null())
    };
    unchecked()
        .col_expr(invitation::Column::Outcome, Expr::value(Outcome::Excused.key()))
        .col_expr(invitation::Column::MakeupRequired, Expr::value(true))
        .filter(invitation::Column::Answer.is_in([Answer::LeaveApproved, Answer::Waitlisted]))
        .exec(&txn)
        .await?;
    unchecked()
        .col_expr(invitation::Column::Outcome, Expr::value(Outcome::Absent.key()))
        .col_expr(invitation::Column::MakeupRequired, Expr::value(true))
        .filter(invitation::Column::Outcome.is_null())
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// What an invitee's own page (reached by their link, without an account) shows besides the
/// event's row: the organising branch's name, the host and the agenda.
pub async fn page_facts(
    db: &impl ConnectionTrait,
    e: &event::Model,
) -> Result<(String, Option<String>, Vec<crate::events::entity::agenda::Model>), DbErr> {
    let organiser = crate::branches::entity::branch::Entity::find_by_id(e.branch_id)
        .one(db)
        .await?
        .map(|b| b.name)
        .unwrap_or_default();
    let host = match e.host_member_id {
        Some(id) => member::Entity::find_by_id(id).one(db).await?.map(|m| m.name),
        None => e.host_guest_name.clone(),
    };
    Ok((organiser, host, events::agenda_of(db, e.id).await?))
}

/// The invitation of a member for an event, if any.
pub async fn invitation_of(
    db: &impl ConnectionTrait,
    event_id: i64,
    member_id: i64,
) -> Result<Option<invitation::Model>, DbErr> {
    invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event_id))
        .filter(invitation::Column::MemberId.eq(member_id))
        .one(db)
        .await
}

/// The attendance log of an event's invitations, newest first.
/// The invitation an answer link's token opens, with its event (one statement: the link's answers
/// come in bursts). The token is the key: whoever holds it may answer.
pub async fn by_token(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<(invitation::Model, event::Model)>, DbErr> {
    let Some(by_token) = crate::outbox::invitation_of_token(token) else { return Ok(None) };
    let found = invitation::Entity::find()
        .filter(invitation::Column::Id.in_subquery(by_token))
        .join(JoinType::InnerJoin, invitation::to_event())
        .select_also(event::Entity)
        .one(db)
        .await?;
    Ok(found.and_then(|(inv, e)| Some((inv, e?))))
}

/// Active members of the holding branches who are not on the event's list yet: whom its
/// attendance takers may add as walk-ins by name.
pub async fn walk_in_choices(
    db: &impl ConnectionTrait,
    loaded: &events::Loaded,
    listed: &std::collections::HashSet<i64>,
) -> Result<Vec<(i64, String)>, DbErr> {
    let holding = std::iter::once(loaded.event.branch_id).chain(loaded.co_organisers.iter().copied());
    Ok(member::Entity::find()
        .filter(member::Column::BranchId.is_in(holding))
        .filter(member::Column::State.eq(crate::members::rules::MembershipState::Active))
        .order_by_asc(member::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .filter(|m| !listed.contains(&m.id))
        .map(|m| (m.id, m.name))
        .collect())
}

/// The check-in code's token: signed per event (and start), useless for any other event.
pub fn checkin_token(signer: &crate::crypto::Signer, e: &event::Model) -> String {
    signer.sign("checkin", format!("{}:{}", e.id, e.starts_at.timestamp()).as_bytes())
}

/// The event a scanned check-in code names, when the code is its own; not found otherwise.
pub async fn scanned_event(
    db: &impl ConnectionTrait,
    signer: &crate::crypto::Signer,
    id: i64,
    token: &str,
) -> Result<event::Model, AttendanceError> {
    let e = event::Entity::find_by_id(id).one(db).await?.ok_or(AttendanceError::NotFound)?;
    let valid = signer.verify("checkin", format!("{}:{}", e.id, e.starts_at.timestamp()).as_bytes(), token);
    if !valid || e.state == EventState::Draft {
        return Err(AttendanceError::NotFound);
    }
    Ok(e)
}

pub async fn log_of(db: &impl ConnectionTrait, event_id: i64, limit: u64) -> Result<Vec<log::Model>, DbErr> {
    let ids = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::Id)
        .filter(invitation::Column::EventId.eq(event_id))
        .into_query();
    log::Entity::find()
        .filter(log::Column::InvitationId.in_subquery(ids))
        .order_by_desc(log::Column::At)
        .order_by_desc(log::Column::Id)
        .limit(limit)
        .all(db)
        .await
}
