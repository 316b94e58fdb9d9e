//! A record's revisions, its workflow's history, the names its header shows, and a branch's
//! records of a year.
use super::*;

/// A saved revision as the list shows it; its body is read only when it is compared.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct RevisionLine {
    pub revision: i32,
    pub reason: Option<String>,
    pub by_account: Option<i64>,
    pub at: DateTimeUtc,
    /// When this revision was signed by both and locked (None: never).
    pub signed_at: Option<DateTimeUtc>,
}

/// The saved revisions of an opened record that the viewer may read, newest first, with when
/// each was locked: its writers see every one; other readers only those that were locked (signed
/// by both), since a draft revision was never the branch's record.
pub async fn revisions(db: &impl ConnectionTrait, opened: &Opened) -> Result<Vec<RevisionLine>, DbErr> {
    use revision::Column as C;
    use sea_orm::sea_query::Expr;
    let id = opened.minutes.id;
    let signed_at = Expr::cust_with_values(
        format!(
            "(SELECT MAX(l.at) FROM minutes_log l WHERE l.minutes_id = {} AND l.kind = {} \
             AND l.revision = \"minutes_revisions\".\"revision\")",
            crate::db::placeholder(db.get_database_backend(), 1),
            crate::db::placeholder(db.get_database_backend(), 2),
        ),
        [id.into(), Value::from("locked")],
    );
    let mut q = revision::Entity::find()
        .select_only()
        .columns([C::Revision, C::Reason, C::ByAccount, C::At])
        .column_as(signed_at, "signed_at")
        .filter(C::MinutesId.eq(id));
    if !opened.rights.write {
        let locked = sea_orm::sea_query::Query::select()
            .column(log::Column::Revision)
            .from(log::Entity)
            .and_where(log::Column::MinutesId.eq(id))
            .and_where(log::Column::Kind.eq(LogKind::Locked))
            .to_owned();
        q = q.filter(C::Revision.in_subquery(locked));
    }
    q.order_by_desc(C::Revision).into_model().all(db).await
}

/// The bodies of two revisions of an opened record, picked from [`revisions`] (what the viewer
/// may read). 0, the record as first created before any save, is not kept.
pub async fn revision_bodies(db: &impl ConnectionTrait, opened: &Opened, which: [i32; 2]) -> Result<[Body; 2], DbErr> {
    let id = opened.minutes.id;
    let rows: Vec<(i32, String)> = revision::Entity::find()
        .select_only()
        .columns([revision::Column::Revision, revision::Column::Body])
        .filter(revision::Column::MinutesId.eq(id))
        .filter(revision::Column::Revision.is_in(which))
        .into_tuple()
        .all(db)
        .await?;
    let body = |n: i32| match rows.iter().find(|(r, _)| *r == n) {
        Some((_, text)) => body_from(id, text),
        None => Err(DbErr::RecordNotFound(format!("minutes {id} revision {n}"))),
    };
    Ok([body(which[0])?, body(which[1])?])
}

/// A line of a record's history, with the name of the account that wrote it (read with it).
#[derive(Debug, sea_orm::FromQueryResult)]
pub struct LogLine {
    pub kind: LogKind,
    pub revision: i32,
    pub note: Option<String>,
    pub by_account: Option<i64>,
    pub at: DateTimeUtc,
    /// None: written by no account, or one deleted since.
    pub who: Option<String>,
}

/// The history of an opened record: every step for its writers; for other readers the steps up
/// to the revision they read (an amendment in progress is its writers' only).
pub async fn log_of(db: &impl ConnectionTrait, opened: &Opened) -> Result<Vec<LogLine>, DbErr> {
    use crate::accounts::entity::account;
    use sea_orm::{JoinType, sea_query::Expr};
    let by = log::Entity::belongs_to(account::Entity).from(log::Column::ByAccount).to(account::Column::Id).into();
    let mut q = log::Entity::find()
        .select_only()
        .columns([log::Column::Kind, log::Column::Revision, log::Column::Note, log::Column::ByAccount, log::Column::At])
        .column_as(Expr::col((account::Entity, account::Column::DisplayName)), "who")
        .join(JoinType::LeftJoin, by)
        .filter(log::Column::MinutesId.eq(opened.minutes.id));
    if !(opened.rights.write || opened.rights.signs()) {
        q = q.filter(log::Column::Revision.lte(opened.minutes.revision));
    }
    q.order_by_asc(log::Column::Id).limit(500).into_model::<LogLine>().all(db).await
}

/// What a record's pages name besides the event and the record: the organising branch's name
/// and zone, the host's name and post (or the outside host's name), the recorder's name and the
/// previous record of the same branch and type of meeting (for "approve the last minutes"). Read
/// as scalar subqueries of the record's own statement: each round trip costs more under load than
/// its SQL.
pub struct Context {
    pub branch: String,
    pub tz: chrono_tz::Tz,
    pub host: Option<String>,
    pub host_post: Option<String>,
    pub recorder: Option<String>,
    pub previous: Option<i64>,
}

impl Context {
    /// The subqueries, as (alias, SQL, values): the event's names (events' own) and the previous
    /// record of the same branch and type of meeting.
    pub(super) fn columns(backend: sea_orm::DbBackend, e: &event::Model) -> Vec<(&'static str, String, Vec<Value>)> {
        use crate::forms::Choice;
        let p = |n| crate::db::placeholder(backend, n);
        let previous = format!(
            "(SELECT e.id FROM events e WHERE e.branch_id = {} AND e.kind = {} AND e.starts_at < {} \
             AND EXISTS (SELECT 1 FROM minutes p WHERE p.event_id = e.id) ORDER BY e.starts_at DESC LIMIT 1)",
            p(1),
            p(2),
            p(3)
        );
        let mut columns = events::facts::Names::columns(backend, e).to_vec();
        columns.push(("ctx_previous", previous, vec![e.branch_id.into(), e.kind.key().into(), e.starts_at.into()]));
        columns
    }

    pub(super) fn of(row: &QueryResult, e: &event::Model) -> Result<Context, DbErr> {
        let names = events::facts::Names::of(row, e)?;
        Ok(Context {
            branch: names.branch,
            tz: names.tz,
            host: names.host,
            host_post: names.host_post,
            recorder: names.recorder,
            previous: row.try_get::<Option<i64>>("", "ctx_previous")?,
        })
    }
}

/// A branch's records of a year (by the meetings' dates in `tz`), in date order, with their
/// meetings: for those who manage the branch.
pub async fn of_branch_year(
    db: &impl ConnectionTrait,
    scope: &Scope,
    branch_id: i64,
    year: i32,
    tz: chrono_tz::Tz,
) -> Result<Vec<(event::Model, minutes::Model)>, MinutesError> {
    if !scope.covers(branch_id) || scope.require_manager().is_err() {
        return Err(MinutesError::NotFound);
    }
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .and_then(|t| t.and_local_timezone(tz).earliest())
            .map(|t| t.to_utc())
    };
    let (Some(from), Some(until)) = (start(year), start(year + 1)) else { return Ok(Vec::new()) };
    let events = event::Entity::find()
        .filter(event::Column::BranchId.eq(branch_id))
        .filter(event::Column::StartsAt.gte(from))
        .filter(event::Column::StartsAt.lt(until))
        .order_by_asc(event::Column::StartsAt)
        .order_by_asc(event::Column::Id)
        .all(db)
        .await?;
    let records =
        minutes::Entity::find().filter(minutes::Column::EventId.is_in(events.iter().map(|e| e.id))).all(db).await?;
    Ok(events
        .into_iter()
        .filter_map(|e| {
            let m = records.iter().find(|m| m.event_id == e.id)?.clone();
            Some((e, m))
        })
        .collect())
}

/// The names of the accounts that signed and acted, for the page.
pub async fn account_names(
    db: &impl ConnectionTrait,
    opened: &Opened,
    log: &[LogLine],
) -> Result<Vec<(i64, String)>, DbErr> {
    let m = &opened.minutes;
    // Every signature is logged, so the history usually names the signers already.
    let mut names: Vec<(i64, String)> = log.iter().filter_map(|l| Some((l.by_account?, l.who.clone()?))).collect();
    let missing: Vec<i64> = [m.host_signed_by, m.recorder_signed_by]
        .into_iter()
        .flatten()
        .filter(|a| !names.iter().any(|(id, _)| id == a))
        .collect();
    if !missing.is_empty() {
        names.extend(crate::accounts::service::display_names(db, missing).await?);
    }
    Ok(names)
}

/// A record sent back to its writers: the comment, who sent it back (the account's name as it
/// stands; None: an account deleted since) and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    pub comment: String,
    pub by_name: Option<String>,
    pub at: DateTime<Utc>,
}

/// Whether a record was sent back and not submitted since (the last step of its workflow is a
/// return), with the comment, who and when. For the record's page and its writers' start pages.
pub async fn returned(db: &impl ConnectionTrait, minutes_id: i64) -> Result<Option<Returned>, DbErr> {
    use crate::accounts::entity::account;
    use sea_orm::{JoinType, sea_query::Expr};
    let by = log::Entity::belongs_to(account::Entity).from(log::Column::ByAccount).to(account::Column::Id).into();
    let last: Option<(LogKind, Option<String>, DateTimeUtc, Option<String>)> = log::Entity::find()
        .select_only()
        .columns([log::Column::Kind, log::Column::Note, log::Column::At])
        .column_as(Expr::col((account::Entity, account::Column::DisplayName)), "who")
        .join(JoinType::LeftJoin, by)
        .filter(log::Column::MinutesId.eq(minutes_id))
        .filter(log::Column::Kind.is_in([LogKind::Submitted, LogKind::Returned]))
        .order_by_desc(log::Column::Id)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(last.filter(|(kind, ..)| *kind == LogKind::Returned).map(|(_, note, at, by_name)| Returned {
        comment: note.unwrap_or_default(),
        by_name,
        at,
    }))
}
