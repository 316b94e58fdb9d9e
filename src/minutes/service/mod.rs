//! Minutes rules that need the database: who may read, write and sign an event's record; the
//! record's creation from the event (header) and a template (body); the attendance roll, live
//! until the record is submitted and frozen from then on; saves with revisions (a save based on
//! an older revision is refused); the workflow of submission, return, signatures, lock and
//! amendment. Every read-modify-write locks the record's row first.
use std::{collections::HashMap, sync::Arc};

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DbErr, JoinType, QueryOrder, QuerySelect, Set, TransactionSession,
    TransactionTrait, entity::prelude::*, sea_query::OnConflict,
};
use serde::{Deserialize, Serialize};

use super::{
    entity::{LogKind, log, minutes, revision},
    rules::{Body, Item, MinutesState, Speaker, Speakers, Speech},
};
use crate::{
    attendance::service::history::{self as attendance, Place},
    branches::Scope,
    events::service::work::{About, Step, To, Work, queue_work},
    events::{
        entity::event,
        rules::EventState,
        service::{self as events, Access, EventError, Loaded},
    },
    i18n::Locale,
    invitations::{Answer, Outcome},
};

mod history;
mod roll;
mod sign;
mod signed;
mod todo;

pub use history::*;
pub use roll::*;
pub use sign::*;
pub use signed::*;
pub use todo::*;

#[derive(Debug, thiserror::Error)]
pub enum MinutesError {
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    /// The step does not apply to the record as it stands (a draft cannot be signed, …).
    #[error("not in this state")]
    WrongState,
    /// A submitted record waits for signatures: it is sent back to draft before it changes.
    #[error("submitted: send it back to change it")]
    Submitted,
    /// A locked record changes only by an amendment with a reason.
    #[error("a reason is required")]
    ReasonRequired,
    /// The form was based on an older revision: someone saved in between.
    #[error("saved by someone else meanwhile")]
    Stale(Box<Body>),
    /// The record opens when the event starts (at this time): for those who will write it.
    #[error("the record opens when the event starts")]
    NotYet(DateTime<Utc>),
    /// A role is signed by its holder; someone else signs for them only as a signature on behalf.
    #[error("this role is signed by its holder, or on behalf")]
    OnBehalfOnly,
    /// Nobody is named for the role: name the host or recorder before signing for them.
    #[error("nobody holds the role")]
    NobodyNamed,
    /// The host and recorder as named were refused (field by field).
    #[error("the host or recorder named is not allowed")]
    People(crate::forms::FieldErrors),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<EventError> for MinutesError {
    fn from(e: EventError) -> Self {
        match e {
            EventError::Db(e) => MinutesError::Db(e),
            // Minutes never change the event: every other refusal means it is not there for them.
            _ => MinutesError::NotFound,
        }
    }
}

/// What the viewer may do with an event's record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rights {
    /// The recorder, the host, the secretaries of the holding branches (and administrators).
    pub write: bool,
    /// Signs as host: the host's own account.
    pub sign_host: bool,
    /// Signs for the host, marked as a signature on behalf (代签): a secretary, while the record
    /// waits for signatures, when a host is named who cannot sign in (a guest, or a member
    /// without an account).
    pub sign_host_for: bool,
    /// Signs as recorder: the recorder's own account.
    pub sign_recorder: bool,
    /// Signs for the recorder on behalf: likewise.
    pub sign_recorder_for: bool,
    /// Sends a submitted record back: the host, or a secretary.
    pub send_back: bool,
    /// Submits a draft for signature: the recorder, or a secretary.
    pub submit: bool,
    /// Names the event's host and recorder after it started, until the record is locked: the
    /// organising branch's secretaries (and administrators), who edit the event.
    pub set_people: bool,
}

impl Rights {
    /// Gives any signature at all.
    pub fn signs(&self) -> bool {
        self.sign_host || self.sign_host_for || self.sign_recorder || self.sign_recorder_for
    }
}

/// An event's record as a viewer may see it. `minutes.roll` is not read (it is large): the
/// frozen roll, parsed, is `frozen`. While an amendment is in progress, `minutes` and `body` are
/// the signed record (as it was signed: [`as_signed`]) for readers, and for writers the version
/// asked for.
pub struct Opened {
    pub loaded: Loaded,
    pub minutes: minutes::Model,
    pub body: Body,
    pub rights: Rights,
    pub frozen: Option<Arc<Roll>>,
    /// What the record's header names besides the event, read with the record.
    pub context: Context,
    /// An amendment in progress, for its writers (None for other readers: they see the record).
    pub amendment: Option<Amendment>,
}

/// Whether the record's form may be opened and saved: by its writers, unless it is submitted (it
/// is sent back first). The form's page and [`save`] decide it alike.
fn may_edit(rights: &Rights, state: MinutesState) -> Result<(), MinutesError> {
    if !rights.write {
        return Err(MinutesError::Forbidden);
    }
    if state == MinutesState::Submitted {
        return Err(MinutesError::Submitted);
    }
    Ok(())
}

impl Opened {
    /// Whether this viewer may open the record's form ([`may_edit`]).
    pub fn may_edit(&self) -> Result<(), MinutesError> {
        may_edit(&self.rights, self.minutes.state)
    }
}

/// Whether minutes exist for the event at all: scheduled (or ended) and started.
fn has_minutes(e: &event::Model, now: DateTime<Utc>) -> bool {
    !matches!(e.state, EventState::Draft | EventState::Cancelled) && e.starts_at <= now
}

/// What the viewer may do. Only the host and the recorder sign as themselves; a secretary signs
/// for a named host or recorder who cannot sign in, marked as on behalf, and only while the
/// record is submitted (`submitted`): only then are their accounts looked up. Nobody signs a
/// role nobody holds: the host and recorder are named first.
async fn rights(db: &impl ConnectionTrait, scope: &Scope, loaded: &Loaded, submitted: bool) -> Result<Rights, DbErr> {
    let e = &loaded.event;
    let me = scope.actor().member_id;
    let secretary = loaded.access >= Access::CoOrganiser;
    let is_host = me.is_some() && me == e.host_member_id;
    let is_recorder = me.is_some() && me == e.recorder_member_id;
    let can_sign_in = |m: Option<i64>| async move {
        match m {
            Some(m) => crate::accounts::service::member_has_account(db, m).await,
            None => Ok(false),
        }
    };
    let stands_in = secretary && submitted;
    let host_named = e.host_member_id.is_some() || e.host_guest_name.is_some();
    let host_away = stands_in && host_named && !is_host && !can_sign_in(e.host_member_id).await?;
    let recorder_named = e.recorder_member_id.is_some();
    let recorder_away = stands_in && recorder_named && !is_recorder && !can_sign_in(e.recorder_member_id).await?;
    Ok(Rights {
        write: secretary || is_host || is_recorder,
        sign_host: is_host,
        sign_host_for: host_away,
        sign_recorder: is_recorder,
        sign_recorder_for: recorder_away,
        send_back: is_host || secretary,
        submit: secretary || is_recorder,
        set_people: loaded.access == Access::Manager,
    })
}

/// Members of the holding branches read locked records.
async fn member_of_holding(db: &impl ConnectionTrait, scope: &Scope, loaded: &Loaded) -> Result<bool, DbErr> {
    let units = events::member_units(db, scope.actor().member_id).await?;
    Ok(units.iter().any(|u| *u == loaded.event.branch_id || loaded.co_organisers.contains(u)))
}

fn body_of(m: &minutes::Model) -> Result<Body, DbErr> {
    body_from(m.id, &m.body)
}

/// A stored body as written by this module. One that does not read is an error (logged, an error
/// page): shown as an empty form, the next save would have written over the record.
pub fn body_from(minutes_id: i64, text: &str) -> Result<Body, DbErr> {
    serde_json::from_str(text)
        .map_err(|e| DbErr::Custom(format!("minutes {minutes_id}: the stored body does not read: {e}")))
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A new record's body: the event's agenda (or the template of its type), with the speeches the
/// template expects; the host's closing summary is prefilled with the host.
async fn first_body(db: &impl ConnectionTrait, e: &event::Model, locale: Locale) -> Result<Body, DbErr> {
    let template = super::rules::template(e.kind);
    let agenda = events::agenda_of(db, e.id).await?;
    let blank = |role| Speech { speaker: None, post: String::new(), role, summary: String::new() };
    let items = if agenda.is_empty() {
        template
            .into_iter()
            .map(|(key, roles)| Item {
                title: crate::i18n::t(locale, key).to_owned(),
                speeches: roles.into_iter().map(blank).collect(),
                ..Item::default()
            })
            .collect()
    } else {
        agenda.into_iter().map(|a| Item { title: a.title, ..Item::default() }).collect()
    };
    Ok(Body { items })
}

/// Opens an event's record. The first opening by someone who may write it creates the draft
/// (from the event and the template); others see only a signed record, and nothing else exists
/// for them. Writers get the record as it is being written (an amendment in progress).
pub async fn open(
    db: &impl ConnectionTrait,
    rolls: &Rolls,
    scope: &Scope,
    event_id: i64,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<Opened, MinutesError> {
    open_version(db, rolls, scope, event_id, (locale, Version::Working), now).await
}

/// [`open`], with the version a writer asks for while an amendment is in progress (readers who
/// do not write it get the signed record whatever they ask).
pub async fn open_version(
    db: &impl ConnectionTrait,
    rolls: &Rolls,
    scope: &Scope,
    event_id: i64,
    (locale, version): (Locale, Version),
    now: DateTime<Utc>,
) -> Result<Opened, MinutesError> {
    let loaded = events::load(db, scope, event_id).await?;
    let mut rights = rights(db, scope, &loaded, false).await?;
    if !has_minutes(&loaded.event, now) {
        // Its writers are told when it opens; for anyone else nothing exists yet.
        let e = &loaded.event;
        if rights.write && e.state == EventState::Scheduled && e.starts_at > now {
            return Err(MinutesError::NotYet(e.starts_at));
        }
        return Err(MinutesError::NotFound);
    }
    let mut found = head(db, &loaded.event).await?;
    if found.is_none() && rights.write {
        let body = first_body(db, &loaded.event, locale).await?;
        let row = minutes::ActiveModel {
            event_id: Set(event_id),
            state: Set(MinutesState::Draft),
            revision: Set(0),
            body: Set(json(&body)),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        // Two first openings at once: one inserts, the other finds it.
        minutes::Entity::insert(row)
            .on_conflict(OnConflict::column(minutes::Column::EventId).do_nothing().to_owned())
            .exec_without_returning(db)
            .await?;
        found = head(db, &loaded.event).await?;
    }
    let (minutes, roll_len, context) = found.ok_or(MinutesError::NotFound)?;
    if minutes.state == MinutesState::Submitted {
        rights = self::rights(db, scope, &loaded, true).await?;
    }
    let writes = rights.write || rights.signs();
    let reads =
        writes || (is_signed(&minutes) && (scope.actor().is_admin() || member_of_holding(db, scope, &loaded).await?));
    if !reads {
        return Err(MinutesError::NotFound);
    }
    // While it is amended the signed revision stays the record: the amendment is its writers' only.
    let signed_shown = amending(&minutes) && (!writes || version == Version::Signed);
    let amendment = if writes { Amendment::of(&minutes, signed_shown) } else { None };
    let signed = if signed_shown { as_signed(&minutes)? } else { None };
    let (minutes, body) = match signed {
        Some(signed) => signed,
        None => {
            let body = body_of(&minutes)?;
            (minutes, body)
        }
    };
    let frozen = match roll_len {
        Some(len) => frozen_by_length(db, rolls, &minutes, len).await?,
        None => None,
    };
    Ok(Opened { loaded, minutes, body, rights, frozen, context, amendment })
}

/// An event's record without its roll's text (`roll` is None), the roll's length in bytes (None:
/// not frozen), which SQLite reads from the row's header without the text, and the [`Context`]
/// its header names: one statement.
async fn head(
    db: &impl ConnectionTrait,
    e: &event::Model,
) -> Result<Option<(minutes::Model, Option<i64>, Context)>, DbErr> {
    use sea_orm::{FromQueryResult, Iterable, QueryTrait, sea_query::Expr};
    let mut find = minutes::Entity::find()
        .select_only()
        .columns(minutes::Column::iter().filter(|c| !matches!(c, minutes::Column::Roll)))
        .column_as(Expr::cust("CAST(NULL AS TEXT)"), "roll")
        .column_as(Expr::cust("CAST(octet_length(\"minutes\".\"roll\") AS BIGINT)"), "roll_len");
    let backend = db.get_database_backend();
    for (alias, sql, values) in Context::columns(backend, e) {
        find = find.column_as(Expr::cust_with_values(sql, values), alias);
    }
    let stmt = find.filter(minutes::Column::EventId.eq(e.id)).build(backend);
    let Some(row) = db.query_one_raw(stmt).await? else { return Ok(None) };
    let m = minutes::Model::from_query_result(&row, "")?;
    Ok(Some((m, row.try_get::<Option<i64>>("", "roll_len")?, Context::of(&row, e)?)))
}

/// What the event's page says of an event's record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    /// None: not written yet. Locked for readers while an amendment is in progress.
    pub state: Option<MinutesState>,
    /// The viewer writes it.
    pub writes: bool,
    /// Signed and being amended (told to its writers only).
    pub amending: bool,
}

/// What the event's page says of its record, without creating one. `None` when the viewer may
/// not see it (or the event has no record: a draft, cancelled or not started).
pub async fn status(
    db: &impl ConnectionTrait,
    scope: &Scope,
    loaded: &Loaded,
    now: DateTime<Utc>,
) -> Result<Option<Status>, DbErr> {
    if !has_minutes(&loaded.event, now) {
        return Ok(None);
    }
    let found: Option<(MinutesState, Option<i32>)> = minutes::Entity::find()
        .select_only()
        .column(minutes::Column::State)
        .column(minutes::Column::SignedRevision)
        .filter(minutes::Column::EventId.eq(loaded.event.id))
        .into_tuple()
        .one(db)
        .await?;
    let state = found.map(|(state, _)| state);
    let amending = found.is_some_and(|(state, signed)| state != MinutesState::Locked && signed.is_some());
    let signed = state == Some(MinutesState::Locked) || amending;
    let rights = rights(db, scope, loaded, state == Some(MinutesState::Submitted)).await?;
    let involved = rights.write || rights.signs();
    Ok(if involved {
        Some(Status { state, writes: rights.write, amending })
    } else if signed && (scope.actor().is_admin() || member_of_holding(db, scope, loaded).await?) {
        Some(Status { state: Some(MinutesState::Locked), writes: false, amending: false })
    } else {
        None
    })
}

/// Whether the event's record is signed by both and locked (or was, and is being amended: the
/// signed revision stays the record meanwhile).
pub async fn locked(db: &impl ConnectionTrait, event_id: i64) -> Result<bool, DbErr> {
    let found = minutes::Entity::find()
        .filter(minutes::Column::EventId.eq(event_id))
        .filter(
            sea_orm::Condition::any()
                .add(minutes::Column::State.eq(MinutesState::Locked))
                .add(minutes::Column::SignedRevision.is_not_null()),
        )
        .count(db)
        .await?;
    Ok(found > 0)
}

/// What the edit form offers and checks against, from one read of the attendance list.
pub struct FormChoices {
    /// The members who came (all expected members before anyone checked in), non-voting
    /// attendees and the event's guests, with their posts.
    pub speakers: Speakers,
    /// How the form names each of `speakers`: "name · post" for a member, "organisation · title ·
    /// name" for a guest.
    pub labels: Vec<String>,
    /// Full members present, who may vote (as in the roll: frozen once submitted).
    pub voters: usize,
}

pub async fn form_choices(db: &impl ConnectionTrait, opened: &Opened) -> Result<FormChoices, DbErr> {
    let people = attendance::people(db, opened.loaded.event.id).await?;
    let voters = match &opened.frozen {
        Some(roll) => roll.present_full,
        None => Roll::of(&people, opened.loaded.event.finalised_at.is_some()).present_full,
    };
    let anyone_in = people.iter().any(|p| p.attended());
    let chosen: Vec<&attendance::Person> = people
        .iter()
        .filter(|p| match p.place() {
            Place::Present => true,
            Place::Awaiting | Place::OnLeave | Place::Absent => !anyone_in && p.expected(),
            Place::Other { .. } => p.answer() != Answer::Declined,
        })
        .collect();
    let posts = crate::members::service::posts(db, chosen.iter().filter_map(|p| p.member_id)).await?;
    let mut list = Vec::with_capacity(chosen.len());
    let mut labels = Vec::with_capacity(chosen.len());
    let join =
        |parts: &[&str], sep: &str| parts.iter().filter(|s| !s.is_empty()).copied().collect::<Vec<_>>().join(sep);
    for p in chosen {
        let (unit, title) = (p.unit.as_deref().unwrap_or(""), p.title.as_deref().unwrap_or(""));
        match (p.member_id, p.guest_id) {
            (Some(m), _) => {
                let post = posts.get(&m).cloned().unwrap_or_default();
                labels.push(join(&[&p.name, &post], " · "));
                list.push((format!("m:{m}"), p.name.clone(), post));
            }
            (None, Some(g)) => {
                // Guests are told apart by organisation and title ("three guests named 代表"); a
                // guest speaker's organisation stands where a member's post would, a leader's
                // with the title.
                let post = match p.role {
                    crate::invitations::Role::Leader => join(&[unit, title], " "),
                    _ if unit.is_empty() => title.to_owned(),
                    _ => unit.to_owned(),
                };
                labels.push(join(&[unit, title, &p.name], " · "));
                list.push((format!("g:{g}"), p.name.clone(), post));
            }
            _ => {}
        }
    }
    Ok(FormChoices { speakers: Speakers(list), labels, voters })
}

/// Locks the record's row for a change (FOR UPDATE on PostgreSQL; SQLite's write transaction
/// holds the database) and checks the caller may act on the event.
async fn lock(
    txn: &impl ConnectionTrait,
    scope: &Scope,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<(Loaded, minutes::Model, Rights), MinutesError> {
    let loaded = events::load(txn, scope, event_id).await?;
    if !has_minutes(&loaded.event, now) {
        return Err(MinutesError::NotFound);
    }
    let mut rights = rights(txn, scope, &loaded, false).await?;
    if !(rights.write || rights.signs()) {
        return Err(MinutesError::NotFound);
    }
    let row = minutes::Entity::find()
        .filter(minutes::Column::EventId.eq(event_id))
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or(MinutesError::NotFound)?;
    if row.state == MinutesState::Submitted {
        rights = self::rights(txn, scope, &loaded, true).await?;
    }
    Ok((loaded, row, rights))
}

async fn write_log(
    txn: &impl ConnectionTrait,
    m: &minutes::Model,
    kind: LogKind,
    note: Option<String>,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    log::ActiveModel {
        minutes_id: Set(m.id),
        kind: Set(kind),
        revision: Set(m.revision),
        note: Set(note),
        by_account: Set(scope.account_id()),
        at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Saves the body as a new revision. `based_on` is the revision the form showed: a save based on
/// an older one is refused with the body saved now. A draft saves freely; a locked record only
/// with the reason of the amendment, which sends it back to draft for both signatures again
/// (its attendance stays frozen) and keeps the signed revision as the record meanwhile
/// ([`as_signed`]); a submitted record is not edited (send it back first).
pub async fn save(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    (body, based_on): (&Body, i32),
    reason: Option<String>,
    now: DateTime<Utc>,
) -> Result<i32, MinutesError> {
    let txn = crate::db::write_txn(db).await?;
    let (_, row, rights) = lock(&txn, scope, event_id, now).await?;
    may_edit(&rights, row.state)?;
    if row.revision != based_on {
        return Err(MinutesError::Stale(Box::new(body_of(&row)?)));
    }
    let amending = match row.state {
        MinutesState::Draft => false,
        MinutesState::Submitted => return Err(MinutesError::Submitted),
        state if state.needs_reason() && reason.is_none() => return Err(MinutesError::ReasonRequired),
        MinutesState::Locked => true,
    };
    let revision = row.revision + 1;
    let mut m: minutes::ActiveModel = row.clone().into();
    m.body = Set(json(body));
    m.revision = Set(revision);
    m.updated_at = Set(now);
    if amending {
        keep_signed(&mut m, &row);
        m.state = Set(MinutesState::Draft);
        clear_signatures(&mut m);
    }
    let saved = m.update(&txn).await?;
    revision::ActiveModel {
        minutes_id: Set(saved.id),
        revision: Set(revision),
        body: Set(json(body)),
        reason: Set(reason.clone()),
        by_account: Set(scope.account_id()),
        at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if amending {
        write_log(&txn, &saved, LogKind::Amended, reason, scope, now).await?;
    }
    txn.commit().await?;
    Ok(revision)
}

fn clear_signatures(m: &mut minutes::ActiveModel) {
    m.host_signed_by = Set(None);
    m.host_signed_at = Set(None);
    m.recorder_signed_by = Set(None);
    m.recorder_signed_at = Set(None);
    m.host_signed_for = Set(None);
    m.recorder_signed_for = Set(None);
}

/// Submits a draft for signature (the recorder or a secretary). Its attendance is frozen here,
/// unless it was frozen before (an amended record keeps the roll it was first signed with).
pub async fn submit(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    based_on: i32,
    now: DateTime<Utc>,
) -> Result<(), MinutesError> {
    let txn = crate::db::write_txn(db).await?;
    let (loaded, row, rights) = lock(&txn, scope, event_id, now).await?;
    if !rights.submit || !rights.write {
        return Err(MinutesError::Forbidden);
    }
    if row.state != MinutesState::Draft {
        return Err(MinutesError::WrongState);
    }
    if row.revision != based_on {
        return Err(MinutesError::Stale(Box::new(body_of(&row)?)));
    }
    let mut m: minutes::ActiveModel = row.clone().into();
    if row.roll.is_none() {
        m.roll = Set(Some(json(&live_roll(&txn, &loaded.event).await?)));
    }
    m.state = Set(MinutesState::Submitted);
    clear_signatures(&mut m);
    m.updated_at = Set(now);
    let saved = m.update(&txn).await?;
    write_log(&txn, &saved, LogKind::Submitted, None, scope, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Sends a submitted record back to draft with a comment (the host, or a secretary). A record
/// never locked gets its live attendance again.
pub async fn send_back(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    comment: String,
    now: DateTime<Utc>,
) -> Result<(), MinutesError> {
    let txn = crate::db::write_txn(db).await?;
    let (_, row, rights) = lock(&txn, scope, event_id, now).await?;
    if !rights.send_back {
        return Err(MinutesError::Forbidden);
    }
    if row.state != MinutesState::Submitted {
        return Err(MinutesError::WrongState);
    }
    let mut m: minutes::ActiveModel = row.clone().into();
    m.state = Set(MinutesState::Draft);
    clear_signatures(&mut m);
    if row.locked_at.is_none() {
        m.roll = Set(None);
    }
    m.updated_at = Set(now);
    let saved = m.update(&txn).await?;
    let said = Work { about: About::Minutes, step: Step::Returned, by: None, note: Some(comment.clone()), days: None };
    queue_work(&txn, event_id, said, (To::Writers, Some(scope.actor())), now).await?;
    write_log(&txn, &saved, LogKind::Returned, Some(comment), scope, now).await?;
    txn.commit().await?;
    Ok(())
}

/// What sending a record to those present did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sent {
    /// Messages queued, one per person.
    Queued(usize),
    /// Everyone who could get it has had this revision already.
    Already,
    /// Nobody to send it to: nobody present, or nobody present with an email address.
    Nobody,
}

/// Sends the signed record (while it is amended, the signed revision) to everyone who was present
/// (outbox, in their language): once per revision and person, so a second click sends nothing
/// twice.
pub async fn send_to_participants(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    now: DateTime<Utc>,
) -> Result<Sent, MinutesError> {
    let txn = crate::db::write_txn(db).await?;
    let (loaded, row, rights) = lock(&txn, scope, event_id, now).await?;
    if !rights.write {
        return Err(MinutesError::Forbidden);
    }
    let record = match as_signed(&row)? {
        Some((record, _)) => record,
        None if row.state == MinutesState::Locked => row,
        None => return Err(MinutesError::WrongState),
    };
    let queued = crate::events::service::notices::queue_minutes(&txn, &loaded.event, record.revision, now).await?;
    let sent = if queued > 0 {
        write_log(&txn, &record, LogKind::Sent, Some(queued.to_string()), scope, now).await?;
        Sent::Queued(queued)
    } else {
        let before = log::Entity::find()
            .filter(log::Column::MinutesId.eq(record.id))
            .filter(log::Column::Kind.eq(LogKind::Sent))
            .filter(log::Column::Revision.eq(record.revision))
            .count(&txn)
            .await?;
        if before > 0 { Sent::Already } else { Sent::Nobody }
    };
    txn.commit().await?;
    Ok(sent)
}

impl Speech {
    /// The speaker's name, or nothing for a blank row.
    pub fn speaker_name(&self) -> &str {
        self.speaker.as_ref().map_or("", Speaker::name)
    }
}

/// Submitted records whose host or recorder is this member and has not signed yet, as (event,
/// title), the earliest meeting first.
pub async fn to_sign(db: &impl ConnectionTrait, member_id: i64, limit: u64) -> Result<Vec<(i64, String)>, DbErr> {
    let as_host = sea_orm::Condition::all()
        .add(event::Column::HostMemberId.eq(member_id))
        .add(minutes::Column::HostSignedBy.is_null());
    let as_recorder = sea_orm::Condition::all()
        .add(event::Column::RecorderMemberId.eq(member_id))
        .add(minutes::Column::RecorderSignedBy.is_null());
    minutes::Entity::find()
        .select_only()
        .column(minutes::Column::EventId)
        .column_as(Expr::col((event::Entity, event::Column::Title)), "title")
        .join(
            JoinType::InnerJoin,
            minutes::Entity::belongs_to(event::Entity).from(minutes::Column::EventId).to(event::Column::Id).into(),
        )
        .filter(minutes::Column::State.eq(MinutesState::Submitted))
        .filter(sea_orm::Condition::any().add(as_host).add(as_recorder))
        .order_by_asc(event::Column::StartsAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}
