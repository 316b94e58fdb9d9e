//! Minutes still to write: the start page's list for recorders and secretaries, and the reminder
//! that goes, once, when an event's minutes are not submitted some days after its end.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement, Value};

use crate::{
    branches::Scope,
    events::service::work::{self, About, Step, To, Work},
};

/// How far back the start page looks for minutes to write.
pub const LOOK_BACK_DAYS: i64 = 90;
/// How long after it is due a reminder is still sent (a server down for a while still sends it;
/// older events are left to the start page).
const REMIND_WITHIN_DAYS: i64 = 7;

/// An ended event whose minutes are not submitted yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToWrite {
    pub event_id: i64,
    pub title: String,
    pub ends_at: DateTime<Utc>,
    /// The host sent the record back (and it was not submitted again).
    pub returned: bool,
}

#[derive(FromQueryResult)]
struct Row {
    event_id: i64,
    title: String,
    ends_at: DateTime<Utc>,
    returned: i32,
}

async fn unwritten(db: &impl ConnectionTrait, sql: String, values: Vec<Value>) -> Result<Vec<ToWrite>, DbErr> {
    let rows =
        Row::find_by_statement(Statement::from_sql_and_values(db.get_database_backend(), sql, values)).all(db).await?;
    Ok(rows
        .into_iter()
        .map(|r| ToWrite { event_id: r.event_id, title: r.title, ends_at: r.ends_at, returned: r.returned == 1 })
        .collect())
}

/// Events ended between `from` and `to` (not cancelled) without a record or with a draft one
/// (never submitted, sent back, or amended), matching `only` (SQL on the event `e`).
fn unwritten_sql(backend: sea_orm::DbBackend, only: &str) -> String {
    let ph = |n| crate::db::numbered(backend, n);
    format!(
        "SELECT e.id AS event_id, e.title AS title, e.ends_at AS ends_at, \
         COALESCE((SELECT CASE WHEN l.kind = 'returned' THEN 1 ELSE 0 END FROM minutes_log l \
           WHERE l.minutes_id = m.id AND l.kind IN ('submitted', 'returned', 'locked', 'amended') \
           ORDER BY l.id DESC LIMIT 1), 0) AS returned \
         FROM events e LEFT JOIN minutes m ON m.event_id = e.id \
         WHERE e.state IN ('scheduled', 'ended') AND e.ends_at > {from} AND e.ends_at <= {to} \
         AND (m.id IS NULL OR m.state = 'draft') AND ({only})",
        from = ph(1),
        to = ph(2),
    )
}

/// Minutes to write for the start page: ended events of the last [`LOOK_BACK_DAYS`] whose
/// minutes are not submitted, of the secretary's branches (`scope`; an administrator's scope
/// lists none) or recorded by `member`; those sent back first, then the oldest.
pub async fn to_write(
    db: &impl ConnectionTrait,
    scope: &Scope,
    member: Option<i64>,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<ToWrite>, DbErr> {
    let mut who = Vec::new();
    if let Some(units) = scope.units().filter(|u| !u.is_empty()) {
        let ids: Vec<String> = units.iter().map(i64::to_string).collect();
        who.push(format!("e.branch_id IN ({})", ids.join(", ")));
    }
    if let Some(m) = member {
        who.push(format!("e.recorder_member_id = {m}"));
    }
    if who.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let sql =
        format!("{} ORDER BY returned DESC, e.ends_at, e.id LIMIT {limit}", unwritten_sql(backend, &who.join(" OR ")));
    let values: Vec<Value> = vec![(now - Duration::days(LOOK_BACK_DAYS)).into(), now.into()];
    unwritten(db, sql, values).await
}

/// Reminds, once per event, the recorder (or the secretaries when there is none) of minutes not
/// submitted `after_days` after the event's end; events further past than a week beyond that are
/// left alone. Returns the messages queued.
pub async fn remind_unwritten(db: &impl ConnectionTrait, after_days: u32, now: DateTime<Utc>) -> Result<usize, DbErr> {
    if after_days == 0 {
        return Ok(0);
    }
    let due_by = now - Duration::days(after_days.into());
    let backend = db.get_database_backend();
    let sql = format!("{} ORDER BY e.ends_at, e.id", unwritten_sql(backend, "1 = 1"));
    let values: Vec<Value> = vec![(due_by - Duration::days(REMIND_WITHIN_DAYS)).into(), due_by.into()];
    let due = unwritten(db, sql, values).await?;
    let ids: Vec<i64> = due.iter().map(|d| d.event_id).collect();
    let told = work::told(db, &ids, About::Minutes, Step::Due).await?;
    let mut queued = 0;
    for d in due.into_iter().filter(|d| !told.contains(&d.event_id)) {
        let days = (now - d.ends_at).num_days();
        let said = Work { about: About::Minutes, step: Step::Due, by: None, note: None, days: Some(days) };
        queued += work::queue_work(db, d.event_id, said, (To::Recorder, None), now).await?;
    }
    Ok(queued)
}
