//! Reports rules that need the database: the event clock's pass (a draft for every event that
//! ended and was settled lately, of a type that publishes, written from the event, its attendance
//! and its minutes), and who may read a report before it is published.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, FromQueryResult, PaginatorTrait, QueryOrder, QuerySelect, Set, TransactionSession,
    TransactionTrait,
    entity::prelude::*,
    sea_query::{Expr, OnConflict, Query},
};

pub mod public;

use crate::reports::{
    entity::{log, photo, report},
    photos::{MAX_PER_REPORT, PhotoError, Processed},
    rules::{
        self, Draft, Edit, Facts, GuestFact, Host, ItemFact, LogKind, NonVoting, Part, PublishBy, ReportState, Step,
    },
};
use crate::{
    accounts::Role as AccountRole,
    attendance::service::history::{self, Place},
    branches::Scope,
    events::service::work,
    events::{
        entity::event,
        rules::{EventKind, EventState, GuestRole, MAX_DAYS},
        service::{self as events, Access, EventError, Loaded},
    },
    i18n::Locale,
    invitations::Role,
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
        if draft_for(&txn, id, locale, now, true).await? {
            made += 1;
        }
        txn.commit().await?;
    }
    Ok(made)
}

/// A report's generated parts and where they come from, as the event, its attendance and its
/// minutes stand now.
pub struct Composed {
    pub draft: Draft,
    pub branch_id: i64,
    pub shown_on: NaiveDate,
    pub author: Option<String>,
    pub event: event::Model,
}

/// Writes the generated parts of an event's report (None: the event is gone), in the organising
/// branch's language (`locale` where it has none).
pub async fn compose(db: &impl ConnectionTrait, event_id: i64, locale: Locale) -> Result<Option<Composed>, DbErr> {
    let Some(events::facts::Facts { event: e, organiser, co_organisers, host }) =
        events::facts::facts(db, event_id).await?
    else {
        return Ok(None);
    };
    let host = host.map(|(name, post)| Host { name, post });
    let people = history::people(db, event_id).await?;
    let summary = history::Summary::of(&people, true);
    // Only people who came: absentees and their reasons are never in a report.
    let came = |p: &&history::Person| matches!(p.place(), Place::Other { attended: true });
    let guests: Vec<GuestFact> = people
        .iter()
        .filter(came)
        .filter_map(|p| {
            let role = match p.role {
                Role::Member => return None,
                Role::NonVoting => GuestRole::NonVoting,
                Role::GuestSpeaker => GuestRole::GuestSpeaker,
                Role::Leader => GuestRole::Leader,
            };
            Some(GuestFact { name: p.name.clone(), unit: p.unit.clone(), title: p.title.clone(), role })
        })
        .collect();
    let said = crate::minutes::service::said(db, &e, &summary).await?;
    // An item without speeches or resolutions is a sentence of its own once the record is signed
    // ("会后，与会人员参观了……"); in a draft it may be the template's.
    let items: Vec<ItemFact> = said
        .into_iter()
        .flat_map(|s| s.items.into_iter().map(move |i| (s.locked, i)))
        .filter(|(locked, i)| *locked || i.speeches.iter().any(|s| s.speaker.is_some()) || !i.adopted.is_empty())
        .map(|(_, i)| ItemFact { title: i.title, speeches: i.speeches, resolutions: i.adopted })
        .collect();
    // The organising branch's language, where it has one.
    let locale = organiser.locale.as_deref().and_then(Locale::from_tag).unwrap_or(locale);
    let tz = organiser.tz();
    let starts = e.starts_at.with_timezone(&tz).naive_local();
    let facts = Facts {
        title: &e.title,
        topic: e.topic.as_deref(),
        kind: e.kind,
        starts,
        organiser: &organiser.name,
        co_organisers: &co_organisers,
        place: e.location.as_deref(),
        expected: summary.expected,
        present: summary.present.len(),
        non_voting: NonVoting {
            count: e.non_voting_count.and_then(|n| u32::try_from(n).ok()).map(|n| (n, e.non_voting_approx)),
            note: e.non_voting_note.as_deref(),
        },
        guests: &guests,
        host,
        items: &items,
    };
    let mut draft = rules::draft(locale, &facts);
    draft.title = draft.title.chars().take(rules::MAX_TITLE).collect();
    // The byline is stored on the report and shown as stored everywhere (the list, the post, the
    // feed): the branch's chosen department, else the branch itself.
    let author = Some(organiser.report_author.clone().unwrap_or_else(|| organiser.name.clone()));
    let (branch_id, shown_on) = (e.branch_id, starts.date());
    Ok(Some(Composed { draft, branch_id, shown_on, author, event: e }))
}

/// Writes the draft of one event and tells its secretaries (when `notify`); false when it has one
/// already (another pass made it). The demo uses it, quietly, for events of any age.
pub async fn draft_for(
    db: &impl ConnectionTrait,
    event_id: i64,
    locale: Locale,
    now: DateTime<Utc>,
    notify: bool,
) -> Result<bool, DbErr> {
    let Some(c) = compose(db, event_id, locale).await? else { return Ok(false) };
    let row = report::ActiveModel {
        event_id: Set(event_id),
        branch_id: Set(c.branch_id),
        state: Set(ReportState::Draft),
        title: Set(c.draft.title.clone()),
        author_department: Set(c.author),
        shown_on: Set(c.shown_on),
        summary: Set(c.draft.lead.clone()),
        body: Set(c.draft.body.clone()),
        generated: Set(serde_json::to_string(&c.draft).unwrap_or_default()),
        created_at: Set(now),
        updated_at: Set(now),
        published_at: Set(None),
        revision: Set(0),
        cover_photo_id: Set(None),
        ..Default::default()
    };
    let inserted = report::Entity::insert(row)
        .on_conflict(OnConflict::column(report::Column::EventId).do_nothing().to_owned())
        .exec_without_returning(db)
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    if notify {
        // In the same transaction: the secretaries hear of the draft once, with it.
        crate::events::service::notices::queue_report_draft(db, &c.event, now).await?;
    }
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
    /// Not theirs to do (a writer who may not publish, say).
    #[error("forbidden")]
    Forbidden,
    /// Not from the report's state (a submitted report is not edited by its secretary).
    #[error("not in this state")]
    WrongState,
    /// Saved meanwhile by someone else: the report as it is now.
    #[error("stale")]
    Stale(Box<report::Model>),
    #[error("photo: {0:?}")]
    Photo(PhotoError),
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

/// A report opened by one of its writers, and whether they may also publish it.
pub struct Opened {
    pub loaded: Loaded,
    pub report: report::Model,
    pub publisher: bool,
}

impl Opened {
    pub fn may_edit(&self) -> bool {
        rules::may_edit(self.report.state, self.publisher)
    }

    /// Whether the viewer may take a step: a publisher also publishes, or returns, the changes
    /// made to a published report since it was published.
    pub fn may(&self, step: Step) -> bool {
        step.allowed(self.report.state, self.publisher)
            || (self.publisher && matches!(step, Step::Publish | Step::Return) && changes_wait(&self.report))
    }
}

/// Whether a published report's words differ from the version its readers see: an edit waiting
/// for its publisher.
pub fn changes_wait(r: &report::Model) -> bool {
    r.state == ReportState::Published
        && (r.published_title.as_deref() != Some(r.title.as_str())
            || r.published_author_department != r.author_department
            || r.published_shown_on != Some(r.shown_on)
            || r.published_summary.as_deref() != Some(r.summary.as_str())
            || r.published_body.as_deref() != Some(r.body.as_str()))
}

/// The words as they stand become the version the public pages show.
async fn publish_words(db: &impl ConnectionTrait, r: &report::Model) -> Result<(), DbErr> {
    let mut am: report::ActiveModel = r.clone().into();
    am.published_title = Set(Some(r.title.clone()));
    am.published_author_department = Set(r.author_department.clone());
    am.published_shown_on = Set(Some(r.shown_on));
    am.published_summary = Set(Some(r.summary.clone()));
    am.published_body = Set(Some(r.body.clone()));
    am.update(db).await.map(|_| ())
}

fn publisher(scope: &Scope, publish_by: PublishBy) -> bool {
    scope.actor().role == AccountRole::Admin || publish_by == PublishBy::Secretary
}

/// An event's report, for those who write it (the row locked when `lock`).
async fn open_with(
    db: &impl ConnectionTrait,
    scope: &Scope,
    event_id: i64,
    publish_by: PublishBy,
    lock: bool,
) -> Result<Opened, ReportError> {
    let loaded = events::load(db, scope, event_id).await?;
    if !writes(&loaded) {
        return Err(ReportError::NotFound);
    }
    let find = report::Entity::find().filter(report::Column::EventId.eq(event_id));
    let find = if lock { find.lock_exclusive() } else { find };
    let report = find.one(db).await?.ok_or(ReportError::NotFound)?;
    Ok(Opened { loaded, report, publisher: publisher(scope, publish_by) })
}

pub async fn open(
    db: &impl ConnectionTrait,
    scope: &Scope,
    event_id: i64,
    publish_by: PublishBy,
) -> Result<Opened, ReportError> {
    open_with(db, scope, event_id, publish_by, false).await
}

/// What the event's page says of its report: its state, for those who write it (None: no report,
/// or not theirs to see).
pub async fn status(db: &impl ConnectionTrait, loaded: &Loaded) -> Result<Option<ReportState>, DbErr> {
    if !writes(loaded) {
        return Ok(None);
    }
    Ok(of_event(db, loaded.event.id).await?.map(|r| r.state))
}

async fn write_log(
    db: &impl ConnectionTrait,
    report_id: i64,
    kind: LogKind,
    note: Option<String>,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    log::ActiveModel {
        report_id: Set(report_id),
        at: Set(now),
        account_id: Set(scope.account_id()),
        kind: Set(kind),
        note: Set(note),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Once a report was public, every change to it is on record.
fn was_public(r: &report::Model) -> bool {
    r.published_at.is_some()
}

/// The report locked for a change of its words or photos by one who may make it, and whether
/// they may also publish it; `based_on` (the revision the form showed), when given, must still be
/// the report's.
async fn lock_for_edit(
    txn: &impl ConnectionTrait,
    scope: &Scope,
    event_id: i64,
    publish_by: PublishBy,
    based_on: Option<i32>,
) -> Result<(report::Model, bool), ReportError> {
    let opened = open_with(txn, scope, event_id, publish_by, true).await?;
    if !opened.may_edit() {
        return Err(ReportError::WrongState);
    }
    let row = opened.report;
    if based_on.is_some_and(|r| r != row.revision) {
        return Err(ReportError::Stale(Box::new(row)));
    }
    Ok((row, opened.publisher))
}

/// Saves the words. `based_on` is the revision the form showed: a save based on an older one is
/// refused with the report as saved now. Returns the new revision.
pub async fn save(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    publish_by: PublishBy,
    (edit, based_on): (&Edit, i32),
    now: DateTime<Utc>,
) -> Result<i32, ReportError> {
    let txn = crate::db::write_txn(db).await?;
    let (row, publisher) = lock_for_edit(&txn, scope, event_id, publish_by, Some(based_on)).await?;
    let revision = row.revision + 1;
    let public = was_public(&row);
    // A publisher's edit of a published report is public at once; anyone else's waits for them.
    let publish_now = publisher && row.state == ReportState::Published;
    let mut am: report::ActiveModel = row.into();
    am.title = Set(edit.title.clone());
    am.author_department = Set(edit.author_department.clone());
    am.shown_on = Set(edit.shown_on);
    am.summary = Set(edit.summary.clone());
    am.body = Set(edit.body.clone());
    am.revision = Set(revision);
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    if publish_now {
        publish_words(&txn, &saved).await?;
    }
    if public {
        write_log(&txn, saved.id, LogKind::Edited, None, scope, now).await?;
    }
    txn.commit().await?;
    Ok(revision)
}

/// Takes a step of the review (`note`: the comment of a return, the reason of a withdrawal).
/// `based_on` is the revision the page showed: a step on words changed meanwhile is refused.
pub async fn step(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    publish_by: PublishBy,
    (step, note): (Step, Option<String>),
    based_on: i32,
    now: DateTime<Utc>,
) -> Result<ReportState, ReportError> {
    let txn = crate::db::write_txn(db).await?;
    let opened = open_with(&txn, scope, event_id, publish_by, true).await?;
    if !opened.may(step) {
        let publishers_step = matches!(step, Step::Return | Step::Publish | Step::Withdraw);
        return Err(if publishers_step && !opened.publisher {
            ReportError::Forbidden
        } else {
            ReportError::WrongState
        });
    }
    let row = opened.report;
    if row.revision != based_on {
        return Err(ReportError::Stale(Box::new(row)));
    }
    let id = row.id;
    // Changes to a published report sent back stay beside the published version.
    let to = if step == Step::Return && row.state == ReportState::Published { row.state } else { step.to() };
    let mut am: report::ActiveModel = row.clone().into();
    am.state = Set(to);
    am.updated_at = Set(now);
    if step == Step::Publish && row.published_at.is_none() {
        am.published_at = Set(Some(now));
    }
    let saved = am.update(&txn).await?;
    if step == Step::Publish {
        publish_words(&txn, &saved).await?;
    }
    let told = match step {
        Step::Return => Some(work::Step::Returned),
        Step::Publish => Some(work::Step::Published),
        Step::Withdraw => Some(work::Step::Withdrawn),
        Step::Submit => None,
    };
    if let Some(told) = told {
        let said = work::Work { about: work::About::Report, step: told, by: None, note: note.clone(), days: None };
        work::queue_work(&txn, row.event_id, said, (work::To::Secretaries, Some(scope.actor())), now).await?;
    }
    write_log(&txn, id, step.log_kind(), note, scope, now).await?;
    txn.commit().await?;
    Ok(to)
}

/// The log of a report, oldest first, with the names of those who acted.
pub async fn log_of(db: &impl ConnectionTrait, report_id: i64) -> Result<Vec<(log::Model, Option<String>)>, DbErr> {
    let rows =
        log::Entity::find().filter(log::Column::ReportId.eq(report_id)).order_by_asc(log::Column::Id).all(db).await?;
    let names = crate::accounts::service::display_names(db, rows.iter().filter_map(|r| r.account_id)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let name = r.account_id.and_then(|a| names.iter().find(|(id, _)| *id == a)).map(|(_, n)| n.clone());
            (r, name)
        })
        .collect())
}

/// What a regeneration from the signed minutes would change, and the draft they write now
/// (nothing while the minutes are not signed). `locale`: the language the report was drafted in.
pub async fn regeneration(
    db: &impl ConnectionTrait,
    r: &report::Model,
    locale: Locale,
) -> Result<(Vec<Part>, Option<Draft>), DbErr> {
    if !crate::minutes::service::locked(db, r.event_id).await? {
        return Ok((Vec::new(), None));
    }
    let Some(c) = compose(db, r.event_id, locale).await? else { return Ok((Vec::new(), None)) };
    // What was generated last decides which parts were edited since: unreadable, it is an error
    // (logged), not a guess that could write over a secretary's edit.
    let last: Draft = serde_json::from_str(&r.generated)
        .map_err(|e| DbErr::Custom(format!("report {}: the stored generated draft does not read: {e}", r.id)))?;
    Ok((rules::regeneration([&r.title, &r.summary, &r.body], &last, &c.draft), Some(c.draft)))
}

/// Writes the generated parts again from the signed minutes: parts nobody edited change, an
/// edited part only when named in `replace`. Returns how many parts changed.
#[allow(clippy::too_many_arguments)]
pub async fn regenerate(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    publish_by: PublishBy,
    locale: Locale,
    replace: &[String],
    based_on: i32,
    now: DateTime<Utc>,
) -> Result<usize, ReportError> {
    let txn = crate::db::write_txn(db).await?;
    let (row, publisher) = lock_for_edit(&txn, scope, event_id, publish_by, Some(based_on)).await?;
    let (parts, fresh) = regeneration(&txn, &row, locale).await?;
    let Some(fresh) = fresh else { return Err(ReportError::WrongState) };
    let (id, public) = (row.id, was_public(&row));
    let mut am: report::ActiveModel = row.clone().into();
    let mut changed = 0;
    for part in parts.iter().filter(|p| !p.edited || replace.iter().any(|f| f == p.field)) {
        changed += 1;
        match part.field {
            "title" => am.title = Set(part.fresh.clone()),
            "summary" => am.summary = Set(part.fresh.clone()),
            _ => am.body = Set(part.fresh.clone()),
        }
    }
    // The new draft is the baseline from now on: a part kept as edited stays edited.
    am.generated = Set(serde_json::to_string(&fresh).unwrap_or_default());
    am.revision = Set(row.revision + 1);
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    if publisher && saved.state == ReportState::Published {
        publish_words(&txn, &saved).await?;
    }
    if public || changed > 0 {
        write_log(&txn, id, LogKind::Regenerated, None, scope, now).await?;
    }
    txn.commit().await?;
    Ok(changed)
}

/// A photo as listed (without its bytes).
#[derive(Debug, Clone, FromQueryResult)]
pub struct PhotoRow {
    pub id: i64,
    pub caption: Option<String>,
    pub width: i32,
    pub height: i32,
}

pub async fn photos(db: &impl ConnectionTrait, report_id: i64) -> Result<Vec<PhotoRow>, DbErr> {
    photo::Entity::find()
        .select_only()
        .columns([photo::Column::Id, photo::Column::Caption, photo::Column::Width, photo::Column::Height])
        .filter(photo::Column::ReportId.eq(report_id))
        .order_by_asc(photo::Column::Id)
        .into_model::<PhotoRow>()
        .all(db)
        .await
}

/// The bytes of a photo of a report (its thumbnail when `thumb`).
pub async fn photo_bytes(
    db: &impl ConnectionTrait,
    report_id: i64,
    photo_id: i64,
    thumb: bool,
) -> Result<Option<Vec<u8>>, DbErr> {
    let column = if thumb { photo::Column::Thumb } else { photo::Column::Image };
    photo::Entity::find()
        .select_only()
        .column(column)
        .filter(photo::Column::Id.eq(photo_id))
        .filter(photo::Column::ReportId.eq(report_id))
        .into_tuple::<Vec<u8>>()
        .one(db)
        .await
}

/// A change to a report's photos, each in the same transaction as its log and the report's time.
pub enum PhotoChange {
    Add(Processed, Option<String>),
    Caption(i64, Option<String>),
    Cover(i64),
    Remove(i64),
}

/// How many photos an opened report has.
pub async fn photo_count(db: &impl ConnectionTrait, opened: &Opened) -> Result<u64, DbErr> {
    photo::Entity::find().filter(photo::Column::ReportId.eq(opened.report.id)).count(db).await
}

pub async fn change_photos(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    publish_by: PublishBy,
    change: PhotoChange,
    now: DateTime<Utc>,
) -> Result<(), ReportError> {
    let txn = crate::db::write_txn(db).await?;
    let (row, _) = lock_for_edit(&txn, scope, event_id, publish_by, None).await?;
    let of_report = |id: i64| photo::Entity::find_by_id(id).filter(photo::Column::ReportId.eq(row.id));
    let mut am: report::ActiveModel = row.clone().into();
    let log = match change {
        PhotoChange::Add(p, caption) => {
            let count = photo::Entity::find().filter(photo::Column::ReportId.eq(row.id)).count(&txn).await?;
            if count >= MAX_PER_REPORT {
                return Err(ReportError::Photo(PhotoError::TooMany));
            }
            let added = photo::ActiveModel {
                report_id: Set(row.id),
                caption: Set(caption),
                width: Set(p.width as i32),
                height: Set(p.height as i32),
                image: Set(p.image),
                thumb: Set(p.thumb),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            if row.cover_photo_id.is_none() {
                am.cover_photo_id = Set(Some(added.id));
            }
            Some(LogKind::PhotoAdded)
        }
        PhotoChange::Caption(id, caption) => {
            let found = of_report(id).select_only().column(photo::Column::Id).into_tuple::<i64>().one(&txn).await?;
            found.ok_or(ReportError::NotFound)?;
            photo::Entity::update_many()
                .col_expr(photo::Column::Caption, Expr::value(caption))
                .filter(photo::Column::Id.eq(id))
                .exec(&txn)
                .await?;
            was_public(&row).then_some(LogKind::Edited)
        }
        PhotoChange::Cover(id) => {
            let found = of_report(id).select_only().column(photo::Column::Id).into_tuple::<i64>().one(&txn).await?;
            am.cover_photo_id = Set(Some(found.ok_or(ReportError::NotFound)?));
            was_public(&row).then_some(LogKind::Edited)
        }
        PhotoChange::Remove(id) => {
            let gone = photo::Entity::delete_many()
                .filter(photo::Column::Id.eq(id))
                .filter(photo::Column::ReportId.eq(row.id))
                .exec(&txn)
                .await?;
            if gone.rows_affected == 0 {
                return Err(ReportError::NotFound);
            }
            if row.cover_photo_id == Some(id) {
                // The next photo, if any, becomes the cover.
                let next = photo::Entity::find()
                    .select_only()
                    .column(photo::Column::Id)
                    .filter(photo::Column::ReportId.eq(row.id))
                    .order_by_asc(photo::Column::Id)
                    .into_tuple::<i64>()
                    .one(&txn)
                    .await?;
                am.cover_photo_id = Set(next);
            }
            Some(LogKind::PhotoRemoved)
        }
    };
    // The public page's validator moves with every change to what it shows.
    am.updated_at = Set(now);
    am.update(&txn).await?;
    if let Some(kind) = log.filter(|_| was_public(&row)) {
        write_log(&txn, row.id, kind, None, scope, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A report waiting for someone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Waiting {
    pub event_id: i64,
    pub title: String,
    pub state: ReportState,
    /// Sent back by the administrator (the draft, or the changes to a published report).
    pub returned: bool,
    /// A published report whose changes wait for review.
    pub changes: bool,
}

/// Reports waiting, those sent back first, then the earliest: for a secretary, their branches'
/// drafts, those submitted for review and the changes to published ones sent back; for an
/// administrator, those submitted and the changes to published ones waiting for review.
pub async fn waiting(db: &impl ConnectionTrait, scope: &Scope, limit: u64) -> Result<Vec<Waiting>, DbErr> {
    // Whether the review's last step sent it back (and it was not submitted again).
    const RETURNED: &str = "COALESCE((SELECT CASE WHEN l.kind = 'returned' THEN 1 ELSE 0 END FROM report_log l \
         WHERE l.report_id = reports.id AND l.kind IN ('submitted', 'returned', 'published', 'withdrawn') \
         ORDER BY l.id DESC LIMIT 1), 0)";
    // A published report's words differ from those its readers see (`changes_wait`)…
    const DIFFERS: &str = "(reports.state = 'published' AND (reports.published_title IS NULL \
         OR reports.title <> reports.published_title OR reports.summary <> reports.published_summary \
         OR reports.body <> reports.published_body OR reports.shown_on <> reports.published_shown_on \
         OR COALESCE(reports.author_department, '') <> COALESCE(reports.published_author_department, '')))";
    // …and were sent back after their last edit.
    const CHANGES_RETURNED: &str = "COALESCE((SELECT CASE WHEN l.kind = 'returned' THEN 1 ELSE 0 END FROM report_log l \
         WHERE l.report_id = reports.id AND l.kind IN ('returned', 'published', 'edited', 'regenerated') \
         ORDER BY l.id DESC LIMIT 1), 0)";
    let returned = format!("CASE WHEN {DIFFERS} THEN {CHANGES_RETURNED} ELSE {RETURNED} END");
    let mut select = report::Entity::find()
        .select_only()
        .columns([report::Column::EventId, report::Column::Title, report::Column::State])
        .column_as(Expr::cust(returned.clone()), "returned")
        .column_as(Expr::cust(format!("CASE WHEN {DIFFERS} THEN 1 ELSE 0 END")), "changes");
    let drafts = report::Column::State.is_in([ReportState::Draft, ReportState::Submitted]);
    select = match scope.units() {
        Some(units) => select.filter(report::Column::BranchId.is_in(units.iter().copied())).filter(
            sea_orm::Condition::any().add(drafts).add(Expr::cust(format!("{DIFFERS} AND {CHANGES_RETURNED} = 1"))),
        ),
        None => select.filter(
            sea_orm::Condition::any()
                .add(report::Column::State.eq(ReportState::Submitted))
                .add(Expr::cust(format!("{DIFFERS} AND {CHANGES_RETURNED} = 0"))),
        ),
    };
    let rows: Vec<(i64, String, ReportState, i32, i32)> = select
        .order_by_desc(Expr::cust(returned))
        .order_by_asc(report::Column::ShownOn)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(event_id, title, state, r, c)| Waiting { event_id, title, state, returned: r == 1, changes: c == 1 })
        .collect())
}
