//! Database connection and migrations, for SQLite (embedded default) and PostgreSQL.
use std::{
    future::Future,
    path::Path,
    pin::Pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
    sea_query::SelectStatement,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use serde::de::DeserializeOwned;

/// `[database]`: where the data lives and how many connections to keep.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct DatabaseConfig {
    pub url: String,
    pub max_connections: u32,
}

/// Begins a transaction that is going to write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`, waiting out the busy timeout like any writer): a deferred transaction that
/// reads before its first write fails with SQLITE_BUSY_SNAPSHOT when another connection (the mail
/// dispatcher, the event clock, another request) committed in between. PostgreSQL ignores the mode.
pub async fn write_txn<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    let options =
        TransactionOptions { sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate), ..Default::default() };
    db.begin_with_options(options).await
}

/// On SQLite, one writer at a time per process waits here, in order, for its turn at the write
/// lock: a `Writer`'s groups (attendance, where hundreds of answers can come at once), the mail
/// dispatcher's writes and the log's catch-up checkpoint. Waiting in SQLite
/// instead (the busy handler) polls with sleeps of 1 to 100 ms while the lock may already be free,
/// holding a pool connection meanwhile; this turned 64 simultaneous answers into sleeps. Hold the
/// guard until the transaction ends; take no other turn while holding it. None on PostgreSQL,
/// whose row locks queue by themselves.
pub async fn writer_turn(db: &impl ConnectionTrait) -> Option<tokio::sync::MutexGuard<'static, ()>> {
    static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    match db.get_database_backend() {
        DbBackend::Sqlite => Some(TURN.lock().await),
        _ => None,
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Short write transactions that may commit together: on SQLite, the writes queued while another
/// group holds the writer's turn run one after another in one transaction, so that many answers
/// or roster taps pay for one BEGIN, one COMMIT and one turn (BENCHMARKS.md, attendance). Each
/// sees the writes of those before it, as if it ran alone after them. When one fails, the group is
/// rolled back and run again without it, and it runs alone: every piece of work commits or fails
/// on its own account. On PostgreSQL each runs in its own transaction (its row locks queue).
///
/// The work must be repeatable (it may run twice when a neighbour fails) and hold no turn.
#[derive(Clone)]
pub struct Writer {
    db: DatabaseConnection,
    queue: Arc<Mutex<Vec<Box<dyn Queued>>>>,
}

/// A piece of work waiting in a `Writer`'s queue, with the place for its outcome.
trait Queued: Send {
    /// Runs the work in `txn`, keeps its outcome and says whether it succeeded.
    fn run<'a>(&'a mut self, txn: &'a DatabaseTransaction) -> BoxFuture<'a, bool>;
    /// The transaction could not begin or commit: that is the outcome.
    fn fail(&mut self, e: DbErr);
    /// Hands the outcome to the caller (after the commit).
    fn deliver(self: Box<Self>);
}

struct Work<A, F, T, E> {
    args: A,
    work: F,
    outcome: Option<Result<T, E>>,
    reply: tokio::sync::oneshot::Sender<Result<T, E>>,
}

impl<A, F, T, E> Queued for Work<A, F, T, E>
where
    A: Send,
    F: for<'t> Fn(&'t DatabaseTransaction, &'t A) -> BoxFuture<'t, Result<T, E>> + Send,
    T: Send,
    E: From<DbErr> + Send,
{
    fn run<'a>(&'a mut self, txn: &'a DatabaseTransaction) -> BoxFuture<'a, bool> {
        Box::pin(async move {
            let outcome = (self.work)(txn, &self.args).await;
            let ok = outcome.is_ok();
            self.outcome = Some(outcome);
            ok
        })
    }

    fn fail(&mut self, e: DbErr) {
        self.outcome = Some(Err(e.into()));
    }

    fn deliver(self: Box<Self>) {
        if let Some(outcome) = self.outcome {
            // The caller may have gone away (its client hung up): the work is done all the same.
            let _ = self.reply.send(outcome);
        }
    }
}

impl Writer {
    pub fn new(db: DatabaseConnection) -> Writer {
        Writer { db, queue: Arc::default() }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Runs `work` on `args` in a write transaction (see `write_txn`), perhaps together with
    /// others, and returns its outcome once committed (or rolled back, when it failed).
    pub async fn run<A, F, T, E>(&self, args: A, work: F) -> Result<T, E>
    where
        A: Send + 'static,
        F: for<'t> Fn(&'t DatabaseTransaction, &'t A) -> BoxFuture<'t, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<DbErr> + Send + 'static,
    {
        if self.db.get_database_backend() != DbBackend::Sqlite {
            let txn = write_txn(&self.db).await?;
            let outcome = work(&txn, &args).await;
            if outcome.is_ok() {
                txn.commit().await?;
            }
            return outcome;
        }
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.lock_queue().push(Box::new(Work { args, work, outcome: None, reply }));
        // Whoever gets the turn runs everything queued by then; a caller whose work an earlier
        // group took finds the queue empty and its outcome ready.
        let turn = writer_turn(&self.db).await;
        let group = std::mem::take(&mut *self.lock_queue());
        if !group.is_empty() {
            let db = self.db.clone();
            // In a task of its own, so that a caller going away does not cancel the others' work.
            let _ = tokio::spawn(async move {
                run_group(&db, group).await;
                drop(turn);
            })
            .await;
        }
        outcome.await.unwrap_or_else(|_| Err(DbErr::Custom("the write was abandoned".to_owned()).into()))
    }

    fn lock_queue(&self) -> std::sync::MutexGuard<'_, Vec<Box<dyn Queued>>> {
        // Nothing panics while holding it; a poisoned queue is still a queue.
        self.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Runs `group` in one transaction; on a failure, what came before it, the failed work alone and
/// what came after it, each again.
fn run_group(db: &DatabaseConnection, mut group: Vec<Box<dyn Queued>>) -> BoxFuture<'_, ()> {
    Box::pin(async move {
        let txn = match write_txn(db).await {
            Ok(txn) => txn,
            Err(e) => return fail_each(db, group, e).await,
        };
        let mut failed = None;
        for (i, work) in group.iter_mut().enumerate() {
            if !work.run(&txn).await {
                failed = Some(i);
                break;
            }
        }
        let Some(i) = failed else {
            return match txn.commit().await {
                Ok(()) => group.into_iter().for_each(|w| w.deliver()),
                Err(e) => fail_each(db, group, e).await,
            };
        };
        // A rollback that fails leaves the connection to the pool, which rolls back itself.
        let _ = txn.rollback().await;
        if group.len() == 1 {
            return group.into_iter().for_each(|w| w.deliver());
        }
        let mut rest = group.split_off(i);
        let alone = rest.remove(0);
        if !group.is_empty() {
            run_group(db, group).await;
        }
        run_group(db, vec![alone]).await;
        if !rest.is_empty() {
            run_group(db, rest).await;
        }
    })
}

/// The transaction of a group could not begin or commit: alone, each work gets that error.
async fn fail_each(db: &DatabaseConnection, mut group: Vec<Box<dyn Queued>>, e: DbErr) {
    if let [work] = group.as_mut_slice() {
        work.fail(e);
        return group.into_iter().for_each(|w| w.deliver());
    }
    for work in group {
        run_group(db, vec![work]).await;
    }
}

/// Opens a pool. For SQLite the file (and its folder) is created when missing, with WAL
/// journaling, foreign keys enforced and a busy timeout so writers queue instead of failing.
pub async fn connect(config: &DatabaseConfig) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(config.url.clone());
    options
        .max_connections(config.max_connections)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        // Ping only connections idle for a while (a server or firewall may have dropped them),
        // not every checkout: on SQLite each ping is a round trip to the connection's thread,
        // as much as the statement itself (BENCHMARKS.md, attendance).
        .test_before_acquire_if_idle_for(Duration::from_secs(30));
    if config.url.starts_with("sqlite:") {
        if let Some(dir) = sqlite_path(&config.url).and_then(Path::parent)
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
        ensure_wal(&config.url).await?;
        // No `journal_mode` here: WAL is a property of the file (set once by `ensure_wal`), and
        // asking for it on every new connection takes a lock that the busy timeout does not wait
        // for: a CLI command opening connections beside a busy server failed with "database is
        // locked" about once in sixty runs.
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Read through a memory map: with only SQLite's small default page cache, index
                // and FTS pages were read by a system call each time (measured in BENCHMARKS.md).
                .pragma("mmap_size", "268435456")
                // The log is checkpointed by `checkpoint_in_background`, not by the COMMIT that
                // fills it.
                .pragma("wal_autocheckpoint", "0")
        });
        let db = Database::connect(options).await?;
        checkpoint_in_background(db.clone());
        return Ok(db);
    }
    Database::connect(options).await
}

/// Puts a SQLite database (creating it when missing) into WAL mode, once: a file whose header
/// already says WAL is left alone. Switching needs a lock that is not waited for by the busy
/// handler, so it is retried for a while when another process holds the database.
async fn ensure_wal(url: &str) -> Result<(), DbErr> {
    // Bytes 18 and 19 of the header are the file format's write and read versions: 2 for WAL.
    let header = |path: &Path| -> std::io::Result<[u8; 20]> {
        use std::io::Read;
        let mut start = [0u8; 20];
        std::fs::File::open(path)?.read_exact(&mut start)?;
        Ok(start)
    };
    if sqlite_path(url).and_then(|p| header(p).ok()).is_some_and(|h| h[18..20] == [2, 2]) {
        return Ok(());
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false).map_sqlx_sqlite_opts(|o| {
        o.create_if_missing(true).journal_mode(SqliteJournalMode::Wal).busy_timeout(Duration::from_secs(10))
    });
    let mut tries = 0;
    loop {
        match Database::connect(options.clone()).await {
            Ok(db) => return db.close().await,
            Err(e) if tries < 100 && e.to_string().contains("locked") => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// SQLite: copies the write-ahead log into the database every half second, in a task of its own
/// and without blocking writers (a passive checkpoint). SQLite's automatic checkpoint runs inside
/// the COMMIT that passes 1,000 pages of log, and its fsync of the database file (165 ms seen
/// here) held up every writer queued behind that commit (`Writer`, `writer_turn`).
///
/// A checkpoint never catches up with writers that do not pause, and the log only starts over
/// (with the first write after a checkpoint that caught up) once it has: past `LOG_FRAMES` pages,
/// the task checkpoints the little left again while holding the writers' turn, so that the
/// process's writers pause for it. A passive checkpoint never waits for a lock: bulk writers
/// outside the turn (`generate-bench`) go on, and their log is removed when they close.
fn checkpoint_in_background(db: DatabaseConnection) {
    const LOG_FRAMES: i64 = 4096;
    /// Pages in the log (-1 when it is not in use), of (busy, pages in the log, pages copied).
    async fn checkpoint(db: &DatabaseConnection, mode: &str) -> Result<i64, DbErr> {
        let sql = format!("PRAGMA wal_checkpoint({mode})");
        let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await?;
        row.map_or(Ok(0), |r| r.try_get_by_index::<i64>(1))
    }
    tokio::spawn(async move {
        while !db.get_sqlite_connection_pool().is_closed() {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let mut done = checkpoint(&db, "PASSIVE").await;
            if matches!(done, Ok(frames) if frames > LOG_FRAMES) {
                let _turn = writer_turn(&db).await;
                done = checkpoint(&db, "PASSIVE").await;
            }
            if let Err(e) = done {
                // Closed while this task slept (`generate-bench` closes when it is done): closing
                // checkpoints the log itself.
                if db.get_sqlite_connection_pool().is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "could not checkpoint the database's log");
            }
        }
    });
}

pub fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.starts_with(':')).then(|| Path::new(path))
}

/// The names of the migrations this binary knows, oldest first.
pub fn known_migrations() -> Vec<String> {
    Migrator::migrations().iter().map(|m| m.name().to_owned()).collect()
}

/// The migrations applied to this database that this binary does not know: a newer Partyday
/// migrated it. Empty on a database not yet migrated at all.
pub async fn unknown_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    let manager = migration::SchemaManager::new(db);
    if !manager.has_table("seaql_migrations").await? {
        return Ok(Vec::new());
    }
    let known = known_migrations();
    let sql = "SELECT version FROM seaql_migrations ORDER BY version";
    let mut unknown = Vec::new();
    for row in db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await? {
        let version: String = row.try_get("", "version")?;
        if !known.contains(&version) {
            unknown.push(version);
        }
    }
    Ok(unknown)
}

/// Whether a newer Partyday has migrated the database past this binary while it runs: the newest
/// applied migration sorts after the newest this binary knows (their names begin with their
/// date). One indexed read, for the health check.
pub async fn schema_is_newer(db: &DatabaseConnection) -> Result<bool, DbErr> {
    static NEWEST: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| known_migrations().pop().unwrap_or_default());
    let sql = "SELECT MAX(version) AS v FROM seaql_migrations";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    let newest: Option<String> = row.map(|r| r.try_get("", "v")).transpose()?.flatten();
    Ok(newest.is_some_and(|v| v > *NEWEST))
}

/// What an operator reads when this binary meets a database of a newer schema.
pub fn newer_schema_message(unknown: &[String]) -> String {
    format!(
        "the database was migrated by a newer version of Partyday than this one ({version}): it has {n} \
         migration(s) this version does not know ({names}). This version cannot use it: run the newer \
         binary (`partyday migrate`, `partyday serve`), or restore a backup taken before the upgrade.",
        version = env!("CARGO_PKG_VERSION"),
        n = unknown.len(),
        names = unknown.join(", ")
    )
}

/// Brings the schema up to date. A database a newer Partyday migrated is refused before anything
/// is changed, naming the migrations this binary lacks: sea-orm's own refusal ("Migration file of
/// version … is missing") says nothing of what to do, and older code may misread newer data.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let unknown = unknown_migrations(db).await?;
    if !unknown.is_empty() {
        anyhow::bail!(newer_schema_message(&unknown));
    }
    Migrator::up(db, None).await?;
    Ok(())
}

/// The n-th (1-based) placeholder of a custom SQL expression: sea-query wants `$n` for
/// PostgreSQL and `?` for SQLite.
pub fn placeholder(backend: DbBackend, n: usize) -> String {
    if backend == DbBackend::Postgres { format!("${n}") } else { "?".to_owned() }
}

/// The n-th placeholder of a raw statement that may use a parameter more than once: `$n`, or
/// SQLite's numbered `?n` (a plain `?` takes the next parameter at each occurrence).
pub fn numbered(backend: DbBackend, n: usize) -> String {
    if backend == DbBackend::Postgres { format!("${n}") } else { format!("?{n}") }
}

/// A timestamp column (quoted SQL) as whole seconds since the epoch: for rows read by `json_rows`,
/// where a number is cheaper to read than a date in text (a calendar month holds hundreds).
/// SQLite's `unixepoch` has no answer for a time it cannot read (second 60, stored before forms
/// refused it): such a value reads as its minute rather than taking the page down.
pub fn epoch_seconds(backend: DbBackend, column: &str) -> String {
    match backend {
        DbBackend::Postgres => format!("CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"),
        _ => format!("COALESCE(unixepoch({column}), unixepoch(substr({column}, 1, 16)), 0)"),
    }
}

/// Every row of a select, read as one JSON array that the database builds. The array's order
/// is not guaranteed (the caller sorts what needs sorting).
///
/// For lists: sqlx's SQLite driver hands each row from the connection's thread to the request's
/// task on its own (a wake-up and a copy per row); one value per page costs one hand-off
/// (BENCHMARKS.md). `columns` are the select's column names (its aliases), which become the keys
/// `T` is deserialized from.
pub async fn json_rows<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    select: &SelectStatement,
    columns: &[&str],
) -> Result<Vec<T>, DbErr> {
    let backend = db.get_database_backend();
    let inner = backend.build(select);
    let fields = columns.iter().map(|c| format!("'{c}', \"p\".\"{c}\"")).collect::<Vec<_>>().join(", ");
    let aggregate = match backend {
        DbBackend::Postgres => format!("json_agg(json_build_object({fields}))::text"),
        _ => format!("json_group_array(json_object({fields}))"),
    };
    let sql = format!("SELECT {aggregate} FROM ({}) AS \"p\"", inner.sql);
    let json: Option<String> =
        match db.query_one_raw(Statement { sql, values: inner.values, db_backend: backend }).await? {
            Some(row) => row.try_get_by_index(0)?,
            None => None,
        };
    match json {
        // PostgreSQL aggregates no rows to NULL, SQLite to [].
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(&json).map_err(|e| DbErr::Json(e.to_string())),
    }
}

/// Sets `col` to [`crate::forms::ERASED`] in the rows of `E` that `filter` selects and that hold
/// something else: reasons past their keeping time (`privacy.reasons_keep_years`). Returns how
/// many rows changed.
pub async fn erase<E: sea_orm::EntityTrait>(
    db: &impl ConnectionTrait,
    col: E::Column,
    filter: sea_orm::Condition,
) -> Result<u64, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    let erased = crate::forms::ERASED;
    let changed = E::update_many()
        .col_expr(col, Expr::value(erased))
        .filter(col.is_not_null())
        .filter(col.ne(erased))
        .filter(filter);
    Ok(changed.exec(db).await?.rows_affected)
}

/// Escapes LIKE wildcards so typed text matches literally (backslash is the escape).
pub fn like_literal(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A LIKE pattern matching values that contain `text` literally, on SQLite and PostgreSQL.
pub fn like_containing(text: &str) -> sea_orm::sea_query::LikeExpr {
    sea_orm::sea_query::LikeExpr::new(format!("%{}%", like_literal(text))).escape('\\')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Sixty writes in one group on SQLite: a work that fails after writing leaves nothing behind,
    /// and every other commits, seeing its own write.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_writes_commit_or_fail_each_on_its_own() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/w.db?mode=rwc", dir.path().display());
        let db = connect(&DatabaseConfig { url, max_connections: 4 }).await.unwrap();
        db.execute_unprepared("CREATE TABLE t (n INTEGER NOT NULL)").await.unwrap();
        let writer = Writer::new(db.clone());
        // Holding the turn until all sixty wait makes them one group, failures among them.
        let turn = writer_turn(&db).await;
        let tasks: Vec<_> = (0..60_i64)
            .map(|n| {
                let writer = writer.clone();
                tokio::spawn(async move {
                    writer
                        .run(n, |txn, &n| {
                            Box::pin(async move {
                                txn.execute_unprepared(&format!("INSERT INTO t VALUES ({n})")).await?;
                                if n % 3 == 0 {
                                    return Err(DbErr::Custom(format!("refused {n}")));
                                }
                                let sql = format!("SELECT COUNT(*) FROM t WHERE n = {n}");
                                let row = txn.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await?;
                                row.unwrap().try_get_by_index::<i64>(0)
                            })
                        })
                        .await
                })
            })
            .collect();
        while writer.lock_queue().len() < 60 {
            tokio::task::yield_now().await;
        }
        drop(turn);
        for (n, task) in (0..60_i64).zip(tasks) {
            match task.await.unwrap() {
                Ok(seen) => assert!(n % 3 != 0 && seen == 1, "{n} saw {seen} rows of its own"),
                Err(e) => assert!(n % 3 == 0 && e.to_string().contains(&format!("refused {n}")), "{n}: {e}"),
            }
        }
        let sql = "SELECT group_concat(n) FROM (SELECT n FROM t ORDER BY n)".to_owned();
        let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.unwrap().unwrap();
        let kept: String = row.try_get_by_index(0).unwrap();
        let expected: Vec<String> = (0..60).filter(|n| n % 3 != 0).map(|n: i64| n.to_string()).collect();
        assert_eq!(kept, expected.join(","));
    }

    #[test]
    fn finds_sqlite_file_paths() {
        assert_eq!(sqlite_path("sqlite://data/partyday.db?mode=rwc"), Some(Path::new("data/partyday.db")));
        assert_eq!(sqlite_path("sqlite:///tmp/x.db"), Some(Path::new("/tmp/x.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
