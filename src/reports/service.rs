//! Reports rules that need the database: the event clock's pass (a draft for every event that
//! ended and was settled lately, of a type that publishes, written from the event, its attendance
//! and its minutes), and who may read a report before it is published.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
    entity::prelude::*,
    sea_query::{OnConflict, Query},
};

use super::{
    entity::report,
    rules::{self, Facts, GuestFact, Person, ReportState},
};
use crate::{
    attendance::service::records::{self, Place},
    branches::{Scope, entity::branch},
    events::{
        entity::{event, unit},
        rules::{EventKind, EventState, MAX_DAYS},
        service::{self as events, Access, EventError, Loaded},
    },
    i18n::Locale,
    invitations::Role,
    members::entity::member,
    minutes::{entity::minutes, rules::Body, service::Roll},
};

/// How far back the clock looks for ended events without a report: a server that was down for
/// a few days still drafts them; events settled before reports existed are left alone.
const LOOK_BACK_DAYS: i64 = 7;

/// Drafts a report for each event that ended in the last week, was settled, is of one of `kinds`
/// (`reports.draft_kinds`) and has none yet, and tells the holding branches' secretaries by email. A report is made once per event whatever runs the pass (the event is unique among
/// reports: a second instance's insert does nothing). Returns how many this call made.
pub async fn draft_due(
    db: &impl TransactionTrait,
    locale: Locale,
    kinds: &[EventKind],
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    if kinds.is_empty() {
        return Ok(0);
    }
    let has_report = Query::select().column(report::Column::EventId).from(report::Entity).to_owned();
    let due: Vec<i64> = {
        let txn = db.begin().await?;
        let ids = event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .filter(event::Column::State.eq(EventState::Ended))
            .filter(event::Column::FinalisedAt.is_not_null())
            // No event lasts longer than MAX_DAYS: the start bounds the search on the state's index.
            .filter(event::Column::StartsAt.gt(now - Duration::days(LOOK_BACK_DAYS + MAX_DAYS)))
            .filter(event::Column::EndsAt.gt(now - Duration::days(LOOK_BACK_DAYS)))
            .filter(event::Column::Kind.is_in(kinds.iter().copied()))
            .filter(event::Column::Id.not_in_subquery(has_report))
            .order_by_asc(event::Column::EndsAt)
            .limit(100)
            .into_tuple()
            .all(&txn)
            .await?;
        txn.commit().await?;
        ids
    };
    let mut made = 0;
    for id in due {
        let txn = crate::db::write_txn(db).await?;
        if draft_for(&txn, id, locale, now).await? {
            made += 1;
        }
        txn.commit().await?;
    }
    Ok(made)
}

/// Writes the draft of one event; false when it has one already (another pass made it).
async fn draft_for(
    db: &impl ConnectionTrait,
    event_id: i64,
    locale: Locale,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let Some(e) = event::Entity::find_by_id(event_id).one(db).await? else { return Ok(false) };
    let units = unit::Entity::find().filter(unit::Column::EventId.eq(event_id)).all(db).await?;
    let co_ids: Vec<i64> = units.iter().filter(|u| !u.organiser && u.accepted).map(|u| u.branch_id).collect();
    let branches = branch::Entity::find()
        .filter(branch::Column::Id.is_in(co_ids.iter().copied().chain([e.branch_id])))
        .order_by_asc(branch::Column::Code)
        .all(db)
        .await?;
    let Some(organiser) = branches.iter().find(|b| b.id == e.branch_id) else { return Ok(false) };
    let co_organisers: Vec<String> =
        branches.iter().filter(|b| co_ids.contains(&b.id)).map(|b| b.name.clone()).collect();
    let host = match e.host_member_id {
        Some(m) => member::Entity::find_by_id(m).one(db).await?.map(|m| Person { name: m.name, post: m.post }),
        None => e.host_guest_name.clone().map(|name| Person { name, post: None }),
    };
    let people = records::people(db, event_id).await?;
    let roll = Roll::of(&people, true);
    // Only people who came: absentees and their reasons are never in a report.
    let came = |p: &&records::Person| matches!(p.place(), Place::Other { attended: true });
    let guests: Vec<GuestFact> = people
        .iter()
        .filter(came)
        .filter(|p| p.role != Role::NonVoting)
        .map(|p| GuestFact { name: p.name.clone(), unit: p.unit.clone(), title: p.title.clone() })
        .collect();
    let non_voting = people.iter().filter(came).filter(|p| p.role == Role::NonVoting).count();
    let body: Body = minutes::Entity::find()
        .filter(minutes::Column::EventId.eq(event_id))
        .one(db)
        .await?
        .and_then(|m| serde_json::from_str(&m.body).ok())
        .unwrap_or_default();
    let speeches: Vec<_> = body.items.iter().flat_map(|i| i.speeches.iter().cloned()).collect();
    let resolutions: Vec<String> = body
        .items
        .iter()
        .flat_map(|i| &i.resolutions)
        .filter(|r| r.votes.is_none_or(|v| v.carries(roll.expected_full)))
        .map(|r| r.text.clone())
        .collect();
    let tz = organiser.tz();
    let starts = e.starts_at.with_timezone(&tz).naive_local();
    // The topic is the occasion ("学习贯彻……精神"); the title when there is none.
    let occasion = e.topic.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(&e.title);
    let facts = Facts {
        title: occasion,
        kind: e.kind,
        starts,
        organiser: &organiser.name,
        co_organisers: &co_organisers,
        place: e.location.as_deref(),
        expected: roll.expected,
        present: roll.present.len(),
        non_voting,
        guests: &guests,
        host,
        speeches: &speeches,
        resolutions: &resolutions,
    };
    let draft = rules::draft(locale, &facts);
    let row = report::ActiveModel {
        event_id: Set(event_id),
        branch_id: Set(e.branch_id),
        state: Set(ReportState::Draft),
        title: Set(draft.title.chars().take(200).collect()),
        author_department: Set(None),
        shown_on: Set(starts.date()),
        summary: Set(draft.lead.clone()),
        body: Set(draft.body.clone()),
        generated: Set(serde_json::to_string(&draft).unwrap_or_default()),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        ..Default::default()
    };
    let inserted = report::Entity::insert(row)
        .on_conflict(OnConflict::column(report::Column::EventId).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    // In the same transaction: the secretaries hear of the draft once, with it.
    crate::mail::service::queue_report_draft(db, &e, now).await?;
    Ok(true)
}

/// The report of an event, if one was drafted.
pub async fn of_event(db: &impl ConnectionTrait, event_id: i64) -> Result<Option<report::Model>, DbErr> {
    report::Entity::find().filter(report::Column::EventId.eq(event_id)).one(db).await
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<EventError> for ReportError {
    fn from(e: EventError) -> Self {
        match e {
            EventError::Db(e) => ReportError::Db(e),
            // Reports never change the event: every other refusal means it is not there for them.
            _ => ReportError::NotFound,
        }
    }
}

/// Whether the viewer writes the event's report: the secretaries of the holding branches and
/// administrators. Everyone else is told nothing of an unpublished report.
fn writes(loaded: &Loaded) -> bool {
    loaded.access >= Access::CoOrganiser
}

/// An event's report, for those who write it.
pub async fn open(
    db: &impl ConnectionTrait,
    scope: &Scope,
    event_id: i64,
) -> Result<(Loaded, report::Model), ReportError> {
    let loaded = events::load(db, scope, event_id).await?;
    if !writes(&loaded) {
        return Err(ReportError::NotFound);
    }
    let report = of_event(db, event_id).await?.ok_or(ReportError::NotFound)?;
    Ok((loaded, report))
}

/// What the event's page says of its report: its state, for those who write it (None: no report,
/// or not theirs to see).
pub async fn status(db: &impl ConnectionTrait, loaded: &Loaded) -> Result<Option<ReportState>, DbErr> {
    if !writes(loaded) {
        return Ok(None);
    }
    Ok(of_event(db, loaded.event.id).await?.map(|r| r.state))
}
