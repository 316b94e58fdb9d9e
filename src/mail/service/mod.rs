//! Writing messages to the outbox, in the caller's transaction, and claiming them for sending.

pub mod digest;
pub mod dispatch;
pub mod work;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, QueryFilter, QueryOrder, QuerySelect, Set,
    entity::prelude::*,
    sea_query::{ExprTrait, LockBehavior, LockType, Query},
};

use super::entity::outbox;
pub use super::entity::{Kind, State};
use crate::{
    events::entity::{event, guest, invitation},
    members::entity::member,
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

/// Claims up to `limit` due messages for one dispatcher until `until`; a claim that has expired
/// (its dispatcher died) is taken over. On PostgreSQL concurrent dispatchers skip each other's
/// locked rows; SQLite has one writer at a time.
pub async fn claim(
    db: &impl ConnectionTrait,
    token: &str,
    limit: u64,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<outbox::Model>, DbErr> {
    let mut due = Query::select();
    due.column(outbox::Column::Id)
        .from(outbox::Entity)
        .and_where(outbox::Column::State.eq(State::Queued))
        .and_where(outbox::Column::NextAttemptAt.lte(now))
        .and_where(outbox::Column::ClaimedUntil.is_null().or(outbox::Column::ClaimedUntil.lt(now)))
        .order_by(outbox::Column::Id, sea_orm::Order::Asc)
        .limit(limit);
    if db.get_database_backend() == DbBackend::Postgres {
        due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
    }
    outbox::Entity::update_many()
        .col_expr(outbox::Column::ClaimToken, Expr::value(token))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(until))
        .filter(outbox::Column::Id.in_subquery(due))
        .exec(db)
        .await?;
    outbox::Entity::find()
        .filter(outbox::Column::ClaimToken.eq(token))
        .filter(outbox::Column::State.eq(State::Queued))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await
}

/// Records deliveries of messages still claimed by `token`. Every outcome matches the claim: a
/// dispatcher that lost its claim (another took the messages over) changes nothing.
pub async fn mark_sent(db: &impl ConnectionTrait, token: &str, ids: &[i64], now: DateTime<Utc>) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::State, Expr::value(State::Sent))
            .col_expr(outbox::Column::SentAt, Expr::value(now))
            .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
            .col_expr(outbox::Column::ClaimToken, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .filter(outbox::Column::ClaimToken.eq(token))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Gives back messages claimed by `token` that were not tried (the pass ran out of its lease):
/// due again at once, for whichever dispatcher comes next.
pub async fn release(db: &impl ConnectionTrait, token: &str, ids: &[i64]) -> Result<(), DbErr> {
    for chunk in ids.chunks(500) {
        outbox::Entity::update_many()
            .col_expr(outbox::Column::ClaimToken, Expr::value(Option::<String>::None))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .filter(outbox::Column::Id.is_in(chunk.to_vec()))
            .filter(outbox::Column::ClaimToken.eq(token))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or failed for good when `retry_at` is None.
pub async fn mark_failed(
    db: &impl ConnectionTrait,
    token: &str,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    let error: String = error.chars().take(1000).collect();
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::LastError, Expr::value(error))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .col_expr(outbox::Column::ClaimToken, Expr::value(Option::<String>::None))
        .col_expr(outbox::Column::ClaimedUntil, Expr::value(Option::<DateTime<Utc>>::None));
    update = match retry_at {
        Some(at) => update.col_expr(outbox::Column::NextAttemptAt, Expr::value(at)),
        None => update.col_expr(outbox::Column::State, Expr::value(State::Failed)),
    };
    update.filter(outbox::Column::Id.eq(id)).filter(outbox::Column::ClaimToken.eq(token)).exec(db).await?;
    Ok(())
}

/// How an event's messages stand, for its organisers.
#[derive(Debug, Default, Clone)]
pub struct Delivery {
    pub queued: usize,
    pub sent: usize,
    /// The failed messages (the latest to each invitee).
    pub failed: Vec<outbox::Model>,
    /// Invitees without an email address, to be told another way.
    pub no_email: Vec<String>,
}

/// The delivery state of an event's invitations: counts of the latest message per invitee,
/// the failures, and who has no address; counted by the database, not read row by row.
pub async fn delivery(db: &impl ConnectionTrait, event_id: i64) -> Result<Delivery, DbErr> {
    use sea_orm::sea_query::Func;
    let latest = Query::select()
        .expr(Func::max(Expr::col(outbox::Column::Id)))
        .from(outbox::Entity)
        .and_where(outbox::Column::EventId.eq(event_id))
        .and_where(outbox::Column::InvitationId.is_not_null())
        .group_by_col(outbox::Column::InvitationId)
        .to_owned();
    let counts: Vec<(String, i64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::State)
        .column_as(Expr::from(Func::count(Expr::col(outbox::Column::Id))), "n")
        .filter(outbox::Column::Id.in_subquery(latest.clone()))
        .group_by(outbox::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    let mut d = Delivery::default();
    for (state, n) in counts {
        match state.as_str() {
            "sent" => d.sent += n as usize,
            "failed" => {}
            _ => d.queued += n as usize,
        }
    }
    d.failed = outbox::Entity::find()
        .filter(outbox::Column::Id.in_subquery(latest))
        .filter(outbox::Column::State.eq(State::Failed))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?;
    let invited = Query::select()
        .column(invitation::Column::MemberId)
        .from(invitation::Entity)
        .and_where(invitation::Column::EventId.eq(event_id))
        .to_owned();
    let without = member::Entity::find()
        .filter(member::Column::Id.in_subquery(invited))
        .filter(member::Column::Email.is_null())
        .order_by_asc(member::Column::Name)
        .all(db)
        .await?;
    d.no_email.extend(without.into_iter().map(|m| m.name));
    let guests = guest::Entity::find()
        .filter(guest::Column::EventId.eq(event_id))
        .filter(guest::Column::Email.is_null())
        .all(db)
        .await?;
    d.no_email.extend(guests.into_iter().map(|g| g.name));
    Ok(d)
}

/// Puts failed messages of an event (all, or one) back in the queue; returns how many.
pub async fn resend(
    db: &impl ConnectionTrait,
    event_id: i64,
    one: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, Expr::value(State::Queued))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox::Column::EventId.eq(event_id))
        .filter(outbox::Column::State.eq(State::Failed));
    if let Some(id) = one {
        update = update.filter(outbox::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
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
    let holding = Query::select()
        .column(unit::Column::BranchId)
        .from(unit::Entity)
        .and_where(unit::Column::EventId.eq(e.id))
        .and_where(unit::Column::Accepted.eq(true))
        .to_owned();
    let ids =
        serving_managers(db, e.branch_id, crate::branches::entity::officer::Column::BranchId.in_subquery(holding), now)
            .await?;
    let mut queued = 0;
    for p in reachable(db, ids).await? {
        let key = format!("report_draft:e{}:m{}", e.id, p.id);
        let message_id = format!("report_draft.m{}.e{}", p.id, e.id);
        queued += insert_one(db, (Kind::ReportDraft, e), &p, (key, message_id), None, now).await?;
    }
    Ok(queued)
}

/// The serving secretaries and deputies (member ids) of the branches `which` selects (a condition
/// on their terms). Terms are dated in the zone of `zone_of` (a branch): between midnight there
/// and midnight UTC the UTC date would miss a secretary appointed from today (bench/soak found it).
async fn serving_managers(
    db: &impl ConnectionTrait,
    zone_of: i64,
    which: sea_orm::sea_query::SimpleExpr,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    use crate::branches::entity::{branch, officer};
    let zone: Option<String> =
        branch::Entity::find_by_id(zone_of).select_only().column(branch::Column::Timezone).into_tuple().one(db).await?;
    let today = now.with_timezone(&crate::branches::rules::zone(zone.as_deref().unwrap_or_default())).date_naive();
    let terms = officer::Entity::find().filter(which).filter(officer::Column::FromOn.lte(today)).all(db).await?;
    let mut ids: Vec<i64> =
        terms.iter().filter(|t| t.role.manages() && t.serves_on(today)).map(|t| t.member_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The members among `ids` a message with a link can reach: an email address, and an account
/// that is not disabled (a link to a page that needs signing in helps nobody without one).
async fn reachable(db: &impl ConnectionTrait, ids: Vec<i64>) -> Result<Vec<member::Model>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let with_accounts = crate::accounts::service::members_with_accounts(db, &ids).await?;
    Ok(member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|p| with_accounts.contains(&p.id) && p.email.as_deref().is_some_and(|m| !m.trim().is_empty()))
        .collect())
}

/// Whom a message goes to: the address, the name and the language of the greeting.
pub struct Addressee<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub locale: Option<&'a str>,
}

impl<'a> Addressee<'a> {
    fn member(m: &'a member::Model, email: &'a str) -> Addressee<'a> {
        Addressee { email, name: &m.name, locale: m.locale.as_deref() }
    }
}

/// A message's row in the outbox, due now: about `event` (its sequence) or about none.
pub fn queued_row(
    (kind, event): (Kind, Option<&event::Model>),
    to: &Addressee,
    (dedupe_key, message_id): (String, String),
    payload: Option<String>,
    now: DateTime<Utc>,
) -> outbox::ActiveModel {
    outbox::ActiveModel {
        kind: Set(kind),
        event_id: Set(event.map(|e| e.id)),
        invitation_id: Set(None),
        recipient: Set(to.email.to_owned()),
        recipient_name: Set(to.name.chars().take(100).collect()),
        locale: Set(to.locale.unwrap_or_default().to_owned()),
        sequence: Set(event.map_or(0, |e| e.sequence)),
        dedupe_key: Set(dedupe_key),
        message_id: Set(message_id),
        state: Set(State::Queued),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        payload: Set(payload),
        ..Default::default()
    }
}

/// Writes one message to one member (dedupe key and Message-ID given), unless it was written.
async fn insert_one(
    db: &impl ConnectionTrait,
    (kind, e): (Kind, &event::Model),
    p: &member::Model,
    keys: (String, String),
    payload: Option<String>,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let to = Addressee::member(p, p.email.as_deref().unwrap_or_default());
    let row = queued_row((kind, Some(e)), &to, keys, payload, now);
    let n = outbox::Entity::insert(row)
        .on_conflict(sea_orm::sea_query::OnConflict::column(outbox::Column::DedupeKey).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(n as usize)
}

/// Queues a forgotten password's message to an account, in the caller's transaction. Its link is
/// made when it is sent (`accounts::service::reset::issue`): no token waits in the outbox.
pub async fn queue_password_reset(
    db: &impl ConnectionTrait,
    a: &crate::accounts::entity::account::Model,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let stamp = format!("a{}.{}", a.id, now.timestamp_micros());
    let to = Addressee { email: &a.email, name: &a.display_name, locale: a.locale.as_deref() };
    let keys = (format!("password_reset:{stamp}"), format!("password_reset.{stamp}"));
    queued_row((Kind::PasswordReset, None), &to, keys, Some(a.id.to_string()), now).insert(db).await?;
    Ok(())
}

/// Queues a member's invitation to open an account (`invitation` is its row), in the caller's
/// transaction. Its link is made when it is sent (`accounts::service::welcome::issue`).
pub async fn queue_account_invitation(
    db: &impl ConnectionTrait,
    m: &member::Model,
    invitation: i64,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let to = m.email.clone().unwrap_or_default();
    let key = format!("account_invitation.i{invitation}");
    insert_personal(db, (Kind::AccountInvitation, &key), (m, to), invitation.to_string(), now).await
}

/// Queues the confirmation of a member's new address `new` (`change` is its row) to that address,
/// and the notice of the change (naming the new one `masked`) to the address they have now, in
/// the caller's transaction.
pub async fn queue_email_change(
    db: &impl ConnectionTrait,
    m: &member::Model,
    (change, new, masked): (i64, &str, String),
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let key = format!("email_confirm.c{change}");
    insert_personal(db, (Kind::EmailConfirm, &key), (m, new.to_owned()), change.to_string(), now).await?;
    if let Some(old) = m.email.clone().filter(|e| !e.trim().is_empty()) {
        let key = format!("email_changed.c{change}");
        insert_personal(db, (Kind::EmailChanged, &key), (m, old), masked, now).await?;
    }
    Ok(())
}

/// One message to a member at `to`, about no event, with what it says in `payload`.
async fn insert_personal(
    db: &impl ConnectionTrait,
    (kind, key): (Kind, &str),
    (m, to): (&member::Model, String),
    payload: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let keys = (key.replace('.', ":"), key.to_owned());
    queued_row((kind, None), &Addressee::member(m, &to), keys, Some(payload), now).insert(db).await?;
    Ok(())
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

/// One invitee of an event with the latest message sent to them.
#[derive(Debug, Clone)]
pub struct InviteeDelivery {
    pub name: String,
    pub email: Option<String>,
    pub answer: crate::invitations::Answer,
    pub latest: Option<outbox::Model>,
}

/// Each invitee's delivery state, members by name then guests, `limit` from `offset`.
pub async fn delivery_rows(
    db: &impl ConnectionTrait,
    event_id: i64,
    offset: u64,
    limit: u64,
) -> Result<(Vec<InviteeDelivery>, u64), DbErr> {
    use sea_orm::PaginatorTrait;
    let total = invitation::Entity::find().filter(invitation::Column::EventId.eq(event_id)).count(db).await?;
    let page = invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event_id))
        .order_by_asc(invitation::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = page.iter().map(|i| i.id).collect();
    let mut latest: std::collections::HashMap<i64, outbox::Model> = std::collections::HashMap::new();
    for m in outbox::Entity::find()
        .filter(outbox::Column::InvitationId.is_in(ids))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?
    {
        if let Some(i) = m.invitation_id {
            latest.insert(i, m);
        }
    }
    let members: std::collections::HashMap<i64, member::Model> = member::Entity::find()
        .filter(member::Column::Id.is_in(page.iter().filter_map(|i| i.member_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let guests: std::collections::HashMap<i64, guest::Model> = guest::Entity::find()
        .filter(guest::Column::EventId.eq(event_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let rows = page
        .into_iter()
        .map(|i| {
            let (name, email) =
                match (i.member_id.and_then(|m| members.get(&m)), i.guest_id.and_then(|g| guests.get(&g))) {
                    (Some(m), _) => (m.name.clone(), m.email.clone()),
                    (None, Some(g)) => (g.name.clone(), g.email.clone()),
                    _ => (String::new(), None),
                };
            InviteeDelivery { name, email, answer: i.answer, latest: latest.remove(&i.id) }
        })
        .collect();
    Ok((rows, total))
}

/// How many messages a page of the administrators' outbox view shows.
pub const PER_PAGE: u64 = 50;

/// A page of the outbox, newest queued first, optionally of one state, before a message id; with the id
/// the next page starts before. Only for administrators (`None` for anyone else).
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &crate::accounts::Actor,
    only: Option<State>,
    before: Option<i64>,
) -> Result<Option<(Vec<outbox::Model>, Option<i64>)>, DbErr> {
    if !actor.is_admin() {
        return Ok(None);
    }
    let mut select = outbox::Entity::find();
    if let Some(state) = only {
        select = select.filter(outbox::Column::State.eq(state));
    }
    // Keyset on (queued at, id): the page starts after the message the previous one ended with.
    if let Some(before) = before
        && let Some(at) = outbox::Entity::find_by_id(before)
            .select_only()
            .column(outbox::Column::CreatedAt)
            .into_tuple::<DateTime<Utc>>()
            .one(db)
            .await?
    {
        select = select.filter(
            sea_orm::Condition::any()
                .add(outbox::Column::CreatedAt.lt(at))
                .add(outbox::Column::CreatedAt.eq(at).and(outbox::Column::Id.lt(before))),
        );
    }
    let mut rows = select
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .limit(PER_PAGE + 1)
        .all(db)
        .await?;
    let next = (rows.len() as u64 > PER_PAGE).then(|| rows[PER_PAGE as usize - 1].id);
    rows.truncate(PER_PAGE as usize);
    Ok(Some((rows, next)))
}
