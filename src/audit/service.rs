//! The audit log's writer and its reads. Handlers record entries through [`Audit`] (in the
//! application state): a task writes them in batches, so a page pays for a channel send, not an
//! insert; [`Audit::flush`] waits until everything sent so far is stored (the log's own page and
//! the end of a command or server do).
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
    sea_query::{Condition, Expr, ExprTrait, Func},
};
use tokio::sync::{mpsc, oneshot};

use super::entity::{Kind, entry};
use crate::branches::Scope;

/// Entries written by one statement at most.
const CHUNK: usize = 500;
/// How long an entry waits for others to be written with.
const WAIT: Duration = Duration::from_millis(300);
/// Entries waiting at most; beyond, a request waits for room.
const QUEUE: usize = 10_000;
/// Longest detail kept (a path with its query).
const DETAIL_MAX: usize = 1000;

/// One entry to record.
#[derive(Debug, Clone)]
pub struct Entry(entry::Model);

impl Entry {
    /// An entry by an account, named as the log shows it.
    pub fn by(kind: Kind, account: (i64, &str, &str), at: DateTime<Utc>) -> Entry {
        let (id, name, email) = account;
        Entry::new(kind, Some((id, format!("{name} <{email}>"))), at)
    }

    /// An entry by an account (its id, and its name and address as shown).
    pub fn new(kind: Kind, actor: Option<(i64, String)>, at: DateTime<Utc>) -> Entry {
        let (actor_id, actor) = match actor {
            Some((id, label)) => (Some(id), label),
            None => (None, String::new()),
        };
        Entry(entry::Model {
            id: 0,
            at,
            kind,
            actor_id,
            actor: actor.chars().take(400).collect(),
            member_id: None,
            member_name: None,
            branch_id: None,
            detail: String::new(),
            rows: None,
            format: None,
        })
    }

    /// The member concerned, and their branch.
    pub fn member(mut self, id: i64, name: &str, branch_id: i64) -> Entry {
        self.0.member_id = Some(id);
        self.0.member_name = Some(name.chars().take(200).collect());
        self.0.branch_id = Some(branch_id);
        self
    }

    pub fn branch(mut self, branch_id: Option<i64>) -> Entry {
        self.0.branch_id = branch_id;
        self
    }

    /// What was asked for: a local path with its query, or what changed.
    pub fn detail(mut self, detail: &str) -> Entry {
        self.0.detail = detail.chars().take(DETAIL_MAX).collect();
        self
    }

    /// A file made or read: its format and its rows.
    pub fn file(mut self, format: &str, rows: usize) -> Entry {
        self.0.format = Some(format.chars().take(8).collect());
        self.0.rows = Some(i64::try_from(rows).unwrap_or(i64::MAX));
        self
    }
}

enum Message {
    Entry(Box<Entry>),
    Flush(oneshot::Sender<()>),
}

/// The sending end of the log (cheap to clone).
#[derive(Clone)]
pub struct Audit {
    tx: mpsc::Sender<Message>,
}

impl Audit {
    /// Starts the writer task. It ends when the last `Audit` is dropped, after writing what it holds.
    pub fn start(db: DatabaseConnection) -> Audit {
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(db, rx));
        Audit { tx }
    }

    pub async fn record(&self, entry: Entry) {
        if self.tx.send(Message::Entry(Box::new(entry))).await.is_err() {
            tracing::error!("the audit log's writer has stopped: an entry is lost");
        }
    }

    pub async fn record_all(&self, entries: impl IntoIterator<Item = Entry>) {
        for e in entries {
            self.record(e).await;
        }
    }

    /// Returns once every entry recorded before is stored (or its writing failed and was logged).
    pub async fn flush(&self) {
        let (ack, done) = oneshot::channel();
        if self.tx.send(Message::Flush(ack)).await.is_ok() {
            let _ = done.await;
        }
    }
}

async fn write_loop(db: DatabaseConnection, mut rx: mpsc::Receiver<Message>) {
    let mut pending: Vec<entry::Model> = Vec::new();
    // When the oldest pending entry is due to be written, whatever comes after it.
    let mut due = tokio::time::Instant::now();
    loop {
        let message = if pending.is_empty() {
            rx.recv().await
        } else {
            match tokio::time::timeout_at(due, rx.recv()).await {
                Ok(m) => m,
                Err(_) => {
                    write(&db, &mut pending).await;
                    continue;
                }
            }
        };
        match message {
            Some(Message::Entry(e)) => {
                if pending.is_empty() {
                    due = tokio::time::Instant::now() + WAIT;
                }
                pending.push(e.0);
                if pending.len() >= CHUNK {
                    write(&db, &mut pending).await;
                }
            }
            Some(Message::Flush(ack)) => {
                write(&db, &mut pending).await;
                let _ = ack.send(());
            }
            None => {
                write(&db, &mut pending).await;
                return;
            }
        }
    }
}

/// Writes the pending entries in one transaction, trying three times before giving them up.
async fn write(db: &DatabaseConnection, pending: &mut Vec<entry::Model>) {
    if pending.is_empty() {
        return;
    }
    for attempt in 1..=3 {
        match insert(db, pending).await {
            Ok(()) => {
                pending.clear();
                return;
            }
            Err(e) if attempt < 3 => {
                tracing::warn!(error = %e, entries = pending.len(), "could not write the audit log; trying again");
                tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
            }
            Err(e) => {
                tracing::error!(error = %e, entries = pending.len(), "could not write the audit log: entries lost");
            }
        }
    }
    pending.clear();
}

async fn insert(db: &DatabaseConnection, entries: &[entry::Model]) -> Result<(), DbErr> {
    use sea_orm::{ActiveValue::NotSet, IntoActiveModel};
    let _turn = crate::db::writer_turn(db).await;
    let txn = crate::db::write_txn(db).await?;
    for chunk in entries.chunks(CHUNK) {
        let models = chunk.iter().map(|m| {
            let mut a = m.clone().into_active_model();
            a.id = NotSet;
            a
        });
        entry::Entity::insert_many(models).exec(&txn).await?;
    }
    txn.commit().await
}

/// The filter of the log's page and file.
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    /// Part of the acting account's name or address.
    pub who: String,
    /// Part of the member's name.
    pub member: String,
    pub kind: Option<Kind>,
    /// Days in the configured time zone, both included.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

fn contains(col: entry::Column, text: &str) -> Option<sea_orm::sea_query::SimpleExpr> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(Expr::expr(Func::lower(Expr::col(col))).like(crate::db::like_containing(&text.to_lowercase())))
}

/// What the query and the scope let through. Secretaries see the entries about their branches
/// and their own.
fn condition(scope: &Scope, q: &AuditQuery, tz: chrono_tz::Tz) -> Condition {
    let mut cond = Condition::all();
    if let Some(units) = scope.units() {
        let mine = Condition::any()
            .add(entry::Column::BranchId.is_in(units.iter().copied()))
            .add(entry::Column::ActorId.eq(scope.account_id().unwrap_or(0)));
        cond = cond.add(mine);
    }
    if let Some(e) = contains(entry::Column::Actor, &q.who) {
        cond = cond.add(e);
    }
    if let Some(e) = contains(entry::Column::MemberName, &q.member) {
        cond = cond.add(e);
    }
    if let Some(k) = q.kind {
        cond = cond.add(entry::Column::Kind.eq(k));
    }
    let start = |d: NaiveDate| crate::events::rules::series::start_of_day(tz, d);
    if let Some(d) = q.from {
        cond = cond.add(entry::Column::At.gte(start(d)));
    }
    if let Some(d) = q.to.and_then(|d| d.succ_opt()) {
        cond = cond.add(entry::Column::At.lt(start(d)));
    }
    cond
}

/// Newest first, `limit` a page, before the entry `before`; and the id to go on from.
pub async fn page(
    db: &impl ConnectionTrait,
    scope: &Scope,
    q: &AuditQuery,
    tz: chrono_tz::Tz,
    before: Option<i64>,
    limit: u64,
) -> Result<(Vec<entry::Model>, Option<i64>), DbErr> {
    let mut cond = condition(scope, q, tz);
    if let Some(b) = before {
        cond = cond.add(entry::Column::Id.lt(b));
    }
    let mut rows = entry::Entity::find().filter(cond).order_by_desc(entry::Column::Id).limit(limit + 1).all(db).await?;
    let next = (rows.len() as u64 > limit).then(|| {
        rows.truncate(limit as usize);
        rows.last().map_or(0, |r| r.id)
    });
    Ok((rows, next))
}

/// Every entry of the query, newest first; or, past `cap`, how many there are.
pub async fn all(
    db: &impl ConnectionTrait,
    scope: &Scope,
    q: &AuditQuery,
    tz: chrono_tz::Tz,
    cap: u64,
) -> Result<Result<Vec<entry::Model>, u64>, DbErr> {
    use sea_orm::PaginatorTrait;
    let cond = condition(scope, q, tz);
    let count = entry::Entity::find().filter(cond.clone()).count(db).await?;
    if count > cap {
        return Ok(Err(count));
    }
    Ok(Ok(entry::Entity::find().filter(cond).order_by_desc(entry::Column::Id).all(db).await?))
}

/// Deletes the entries older than `before` (housekeeping); returns how many.
pub async fn purge<C: ConnectionTrait + TransactionTrait>(db: &C, before: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(entry::Entity::delete_many().filter(entry::Column::At.lt(before)).exec(db).await?.rows_affected)
}
