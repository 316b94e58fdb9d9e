//! The messages about an event, queued in the caller's transaction as outbox rows: invitations,
//! updates and cancellations to the invitees, copies of answers and notices of decisions,
//! reminders, the locked minutes, a drafted report to the holding branches' secretaries. The
//! mail domain renders and sends them.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryFilter, QuerySelect, entity::prelude::*};

use crate::{
    events::entity::{event, invitation},
    members::entity::member,
    outbox::{Kind, entity::outbox, insert_once, queued_row},
};

/// Where invitees' addresses are: (table, the invitation's column, the locale expression).
type Source = (&'static str, &'static str, &'static str);
const MEMBERS: Source = ("members", "i.member_id", "COALESCE(p.locale, '')");
const GUESTS: Source = ("event_guests", "i.guest_id", "''");
const EVERYONE: &[Source] = &[MEMBERS, GUESTS];

/// Writes one kind of message for the invitees of an event matching `only` (a condition on the
/// invitation `i`, whose placeholder 7 is `extra`) who have an email, from each of `sources`, in
/// one INSERT … SELECT each: a large audience costs two statements, not thousands. The dedupe key
/// (kind, invitation and `suffix`: the revision for updates, empty for once-only kinds) makes a
/// second write of the same message a no-op.
async fn insert_for(
    db: &impl ConnectionTrait,
    e: &event::Model,
    kind: Kind,
    (only, extra): (&str, Option<Value>),
    suffix: &str,
    now: DateTime<Utc>,
    sources: &[Source],
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let ph = |n| crate::db::numbered(backend, n);
    let mut written = 0;
    for &(table, person, locale) in sources {
        let sql = format!(
            "INSERT INTO outbox (kind, event_id, invitation_id, recipient, recipient_name, locale, sequence, \
             dedupe_key, message_id, state, attempts, next_attempt_at, created_at) \
             SELECT {k}, i.event_id, i.id, p.email, SUBSTR(p.name, 1, 100), {locale}, {seq}, \
             {k} || ':' || i.id || {suffix}, {k} || '.' || i.id || {dotted} || '.e' || i.event_id, 'queued', 0, {now}, {now} \
             FROM invitations i JOIN {table} p ON p.id = {person} \
             WHERE i.event_id = {event} AND p.email IS NOT NULL AND {only} \
             ON CONFLICT (dedupe_key) DO NOTHING",
            k = ph(1),
            seq = ph(2),
            suffix = ph(3),
            dotted = ph(4),
            now = ph(5),
            event = ph(6),
        );
        let mut values: Vec<Value> = vec![
            kind.key().into(),
            e.sequence.into(),
            suffix.into(),
            suffix.replace(':', ".").into(),
            now.into(),
            e.id.into(),
        ];
        values.extend(extra.clone());
        written += db.execute_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await?.rows_affected();
    }
    Ok(written)
}

/// Queues the messages a change of a scheduled event causes, in the caller's transaction:
/// invitations to every invitee with an email who has none yet; with `kind` Update, also an
/// update to those invited before `now`; with Cancellation, a cancellation to everyone; reminders
/// to those who accepted or have not answered (deadline reminders: not answered). Invitees
/// without an email get nothing (the event page lists them). Returns the rows written.
pub async fn queue_for_event(
    db: &impl ConnectionTrait,
    e: &event::Model,
    kind: Kind,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let all = ("1 = 1", None);
    let seventh = crate::db::numbered(db.get_database_backend(), 7);
    let written = match kind {
        Kind::Update => {
            // Newcomers to the audience get the invitation; those invited before, the update.
            let earlier = format!("i.created_at < {seventh}");
            let revision = format!(":{}", e.sequence);
            insert_for(db, e, Kind::Invitation, all, "", now, EVERYONE).await?
                + insert_for(db, e, Kind::Update, (&earlier, Some(now.into())), &revision, now, EVERYONE).await?
        }
        // Due by the clock, not by a change (`queue_reminders`).
        Kind::Reminder | Kind::DeadlineReminder => return Ok(0),
        // Not to invitees: the holding branches' secretaries (`queue_report_draft`).
        Kind::ReportDraft => return queue_report_draft(db, e, now).await,
        // Never for an event's invitees (`queue_digest`, `work::queue_work`).
        Kind::Digest
        | Kind::Work
        | Kind::PasswordReset
        | Kind::AccountInvitation
        | Kind::EmailConfirm
        | Kind::EmailChanged => return Ok(0),
        Kind::Invitation | Kind::Cancellation | Kind::AnswerCopy | Kind::Notice | Kind::Minutes => {
            insert_for(db, e, kind, all, "", now, EVERYONE).await?
        }
    };
    Ok(written as usize)
}

/// Queues a copy of the answer an invitee just gave (one per answer given).
pub async fn queue_answer_copy(
    db: &impl ConnectionTrait,
    e: &event::Model,
    inv: &invitation::Model,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    queue_one(db, e, Kind::AnswerCopy, inv, now).await
}

/// Queues an event's locked minutes (revision `revision`) to everyone who was present, in the
/// caller's transaction; once per revision and person.
pub async fn queue_minutes(
    db: &impl ConnectionTrait,
    e: &event::Model,
    revision: i32,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let present = ("i.outcome IN ('present', 'late')", None);
    Ok(insert_for(db, e, Kind::Minutes, present, &format!(":r{revision}"), now, EVERYONE).await? as usize)
}

/// A message to each serving secretary (or deputy) of the holding branches who can open its link
/// (an email address and an account that is not disabled): the event's report was drafted. Once
/// per event and secretary.
pub async fn queue_report_draft(
    db: &impl ConnectionTrait,
    e: &event::Model,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    use crate::events::entity::unit;
    let holding: Vec<i64> = unit::Entity::find()
        .select_only()
        .column(unit::Column::BranchId)
        .filter(unit::Column::EventId.eq(e.id))
        .filter(unit::Column::Accepted.eq(true))
        .into_tuple()
        .all(db)
        .await?;
    let ids = crate::branches::service::serving_managers(db, e.branch_id, &holding, now).await?;
    let mut queued = 0;
    for p in reachable(db, ids).await? {
        let key = format!("report_draft:e{}:m{}", e.id, p.id);
        let message_id = format!("report_draft.m{}.e{}", p.id, e.id);
        queued += insert_one(db, (Kind::ReportDraft, e), &p, (key, message_id), None, now).await?;
    }
    Ok(queued)
}

/// The members among `ids` a message with a link can reach: an email address, and an account
/// that is not disabled (a link to a page that needs signing in helps nobody without one).
pub(super) async fn reachable(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<member::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let with_accounts = crate::accounts::service::members_with_accounts(db, &ids).await?;
    Ok(crate::members::service::with_ids(db, &ids)
        .await?
        .into_iter()
        .filter(|p| with_accounts.contains(&p.id) && p.email.as_deref().is_some_and(|m| !m.trim().is_empty()))
        .collect())
}

/// Writes one message to one member (dedupe key and Message-ID given), unless it was written.
pub(super) async fn insert_one(
    db: &impl ConnectionTrait,
    (kind, e): (Kind, &event::Model),
    p: &member::Model,
    keys: (String, String),
    payload: Option<String>,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let to = crate::members::service::addressee(p, p.email.as_deref().unwrap_or_default());
    insert_once(db, queued_row((kind, Some((e.id, e.sequence))), &to, keys, payload, now)).await
}

/// Queues a notice to one invitee of what was decided for them (one per decision).
pub async fn queue_notice(
    db: &impl ConnectionTrait,
    e: &event::Model,
    inv: &invitation::Model,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    queue_one(db, e, Kind::Notice, inv, now).await
}

async fn queue_one(
    db: &impl ConnectionTrait,
    e: &event::Model,
    kind: Kind,
    inv: &invitation::Model,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let only = format!("i.id = {}", crate::db::numbered(db.get_database_backend(), 7));
    let given = format!(":{}", now.timestamp_micros());
    let from = if inv.guest_id.is_some() { [GUESTS] } else { [MEMBERS] };
    Ok(insert_for(db, e, kind, (&only, Some(inv.id.into())), &given, now, &from).await? as usize)
}

/// Queues the reminders that are due: `hours` before the start of scheduled events (to those who
/// accepted or have not answered and are not checked in), and `hours` before their answer
/// deadline (to those who have not answered); once per event and kind (a reminder already queued
/// for an event is not queued again, so answers given afterwards get none). Nobody invited, or
/// who answered, less than `quiet` hours before gets one: an event scheduled for tomorrow does not
/// remind straight after its invitation.
pub async fn queue_reminders(
    db: &impl ConnectionTrait,
    (hours, quiet): (i64, i64),
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let horizon = now + chrono::Duration::hours(hours);
    let seventh = crate::db::numbered(db.get_database_backend(), 7);
    let settled = format!("i.created_at <= {seventh} AND (i.answered_at IS NULL OR i.answered_at <= {seventh})");
    let before = Some((now - chrono::Duration::hours(quiet)).into());
    let mut queued = 0;
    for (kind, column, only) in [
        (Kind::Reminder, event::Column::StartsAt, "i.answer IN ('accepted', 'pending') AND i.checked_in_at IS NULL"),
        (Kind::DeadlineReminder, event::Column::AnswerDeadline, "i.answer = 'pending'"),
    ] {
        let due = event::Entity::find()
            .filter(event::Column::State.eq(crate::events::rules::EventState::Scheduled))
            .filter(column.gt(now))
            .filter(column.lte(horizon))
            .all(db)
            .await?;
        let only = format!("{only} AND {settled}");
        for e in due {
            let done = outbox::Entity::find()
                .filter(outbox::Column::EventId.eq(e.id))
                .filter(outbox::Column::Kind.eq(kind.key()))
                .one(db)
                .await?
                .is_some();
            if !done {
                queued += insert_for(db, &e, kind, (&only, before.clone()), "", now, EVERYONE).await? as usize;
            }
        }
    }
    Ok(queued)
}
