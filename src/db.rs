//! Database connection and migrations, for SQLite (embedded default) and PostgreSQL.
use std::{path::Path, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
    sea_query::SelectStatement,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};
use serde::de::DeserializeOwned;

use crate::config::DatabaseConfig;

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
/// lock: the attendance routes, where hundreds of answers can come at once. Waiting in SQLite
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
        options.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Read through a memory map: with only SQLite's small default page cache, index
                // and FTS pages were read by a system call each time (measured in BENCHMARKS.md).
                .pragma("mmap_size", "268435456")
        });
    }
    Database::connect(options).await
}

fn sqlite_path(url: &str) -> Option<&Path> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && !path.starts_with(':')).then(|| Path::new(path))
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sqlite_file_paths() {
        assert_eq!(sqlite_path("sqlite://data/partyday.db?mode=rwc"), Some(Path::new("data/partyday.db")));
        assert_eq!(sqlite_path("sqlite:///tmp/x.db"), Some(Path::new("/tmp/x.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
    }
}
