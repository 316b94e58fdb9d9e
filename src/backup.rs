//! Backup and restore of an installation: `partyday backup DIR` and `partyday restore DIR`, and
//! the server's own daily backup (`backup.dir`, off by default).
//!
//! A backup is a folder: `partyday.db` (on SQLite: a consistent snapshot taken by `VACUUM INTO`
//! while the server runs, never a copy of the live file), `files/` (the data folder's own files:
//! attachments and the signing secret; not the outgoing mail folder), and `manifest.json` (the
//! schema version, the row count of every table as the snapshot holds them, the time, and the
//! size and SHA-256 of every file). A restore checks every checksum and count before it writes
//! anything, refuses a schema newer than this binary's, writes only into an empty data folder,
//! then migrates forward. File work runs on tokio's blocking threads (the server's daily backup
//! shares the runtime with the requests).
use std::{
    collections::BTreeMap,
    io::Read,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;

const MANIFEST: &str = "manifest.json";
const DATABASE: &str = "partyday.db";
const FILES: &str = "files";
/// The data folder's entries that are not the installation's data: outgoing mail, the live
/// database (backed up as a snapshot) and a restore's leftovers.
const NOT_DATA: &[&str] = &["mail", "partyday.db", "partyday.db-wal", "partyday.db-shm", "partyday.db-journal"];

/// What a backup holds, as `manifest.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The format of this folder (1).
    pub format: u32,
    pub created_at: DateTime<Utc>,
    /// Partyday's version that wrote it.
    pub version: String,
    /// The last migration the database had (`seaql_migrations`).
    pub schema: String,
    /// "sqlite", or "postgres" (files only: the database is dumped with pg_dump).
    pub backend: String,
    /// Rows per table in the snapshot.
    pub tables: BTreeMap<String, u64>,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path inside the backup folder, with '/'.
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

fn sha256_of(path: &Path) -> anyhow::Result<(u64, String)> {
    let mut file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (mut hasher, mut buf, mut bytes) = (Sha256::new(), vec![0u8; 1 << 16], 0u64);
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    let hex: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((bytes, hex))
}

/// Every file under `dir` (relative paths with '/'), skipping the top-level entries in `skip`.
fn files_under(dir: &Path, skip: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            if path.is_dir() {
                walk(root, &path, out)?;
            } else if path.is_file() {
                out.push(path.strip_prefix(root).unwrap_or(&path).to_path_buf());
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    if !dir.exists() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(dir, &path, &mut out)?;
        } else if path.is_file() {
            out.push(PathBuf::from(name));
        }
    }
    out.sort();
    Ok(out)
}

fn slashed(p: &Path) -> String {
    p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// The tables of a database and their rows (the migrations' own table included).
async fn table_counts(db: &DatabaseConnection) -> anyhow::Result<BTreeMap<String, u64>> {
    let backend = db.get_database_backend();
    let list = match backend {
        DbBackend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        _ => {
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() \
              AND table_type = 'BASE TABLE'"
        }
    };
    let mut counts = BTreeMap::new();
    for row in db.query_all_raw(Statement::from_string(backend, list)).await? {
        let name: String = row.try_get("", "name")?;
        let sql = format!("SELECT COUNT(*) AS n FROM \"{}\"", name.replace('"', "\"\""));
        let n: i64 = match db.query_one_raw(Statement::from_string(backend, sql)).await? {
            Some(r) => r.try_get("", "n")?,
            None => 0,
        };
        counts.insert(name, n as u64);
    }
    Ok(counts)
}

async fn schema_of(db: &DatabaseConnection) -> anyhow::Result<String> {
    let sql = "SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await?;
    Ok(row.map(|r| r.try_get::<String>("", "version")).transpose()?.unwrap_or_default())
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// What a backup or restore did, for the operator.
#[derive(Debug)]
pub struct Done {
    pub manifest: Manifest,
    /// On PostgreSQL: how to dump (or restore) the database itself.
    pub advice: Option<String>,
}

/// Backs the installation up into `dir`, which must not exist or be empty.
pub async fn backup(
    settings: &Settings,
    db: &DatabaseConnection,
    dir: &Path,
    now: DateTime<Utc>,
) -> anyhow::Result<Done> {
    backup_beside(settings, db, (dir, None), now).await
}

/// Runs file work (copying, hashing, listing, pruning) on tokio's blocking threads: a backup
/// reads and hashes every file of the data folder, which must not hold up a runtime thread that
/// serves requests.
async fn blocking<T: Send + 'static>(work: impl FnOnce() -> anyhow::Result<T> + Send + 'static) -> anyhow::Result<T> {
    tokio::task::spawn_blocking(work).await.context("the backup's file work did not finish")?
}

/// [`backup`], also leaving out the folder `beside` (where the daily backups are kept).
async fn backup_beside(
    settings: &Settings,
    db: &DatabaseConnection,
    (dir, beside): (&Path, Option<&Path>),
    now: DateTime<Utc>,
) -> anyhow::Result<Done> {
    let dir = {
        let dir = dir.to_path_buf();
        blocking(move || {
            if dir.exists() && std::fs::read_dir(&dir)?.next().is_some() {
                bail!("{} is not empty: a backup goes into a new or empty folder", dir.display());
            }
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            Ok(dir.canonicalize()?)
        })
        .await?
    };
    // The database snapshot goes through sea-orm (sqlx runs SQLite on threads of its own).
    let backend = db.get_database_backend();
    let (tables, schema, advice) = if backend == DbBackend::Sqlite {
        let target = dir.join(DATABASE);
        let sql = format!("VACUUM INTO '{}'", target.display().to_string().replace('\'', "''"));
        db.execute_raw(Statement::from_string(backend, sql)).await.context("the database snapshot (VACUUM INTO)")?;
        // The counts and the schema are read from the snapshot itself: they are what it holds,
        // whatever was written meanwhile.
        let snapshot = Database::connect(sqlite_url(&target)).await?;
        let read = (table_counts(&snapshot).await?, schema_of(&snapshot).await?);
        snapshot.close().await?;
        (read.0, read.1, None)
    } else {
        let advice = format!(
            "The PostgreSQL database is not in this folder: back it up with\n  pg_dump --format=custom --file={}/partyday.dump \"$DATABASE_URL\"\nand restore it with pg_restore into an empty database before `partyday migrate`.",
            dir.display()
        );
        (table_counts(db).await?, schema_of(db).await?, Some(advice))
    };
    let data = settings.config.app.data_dir.clone();
    // Backups kept inside the data folder (this one, the daily ones) are not data: a backup that
    // copied them would hold every earlier one.
    let configured = Some(PathBuf::from(&settings.config.backup.dir)).filter(|p| !p.as_os_str().is_empty());
    let candidates = [Some(dir.clone()), configured, beside.map(Path::to_path_buf)];
    let manifest = blocking(move || {
        let backups: Vec<PathBuf> = candidates.into_iter().flatten().filter_map(|p| p.canonicalize().ok()).collect();
        for rel in files_under(&data, NOT_DATA)? {
            let from = data.join(&rel).canonicalize().unwrap_or_else(|_| data.join(&rel));
            if backups.iter().any(|b| from.starts_with(b)) {
                continue;
            }
            let to = dir.join(FILES).join(&rel);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(data.join(&rel), &to).with_context(|| format!("cannot copy {}", rel.display()))?;
        }
        let mut files = Vec::new();
        for rel in files_under(&dir, &[MANIFEST])? {
            let (bytes, sha256) = sha256_of(&dir.join(&rel))?;
            files.push(FileEntry { path: slashed(&rel), bytes, sha256 });
        }
        let manifest = Manifest {
            format: 1,
            created_at: now,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            schema,
            backend: if backend == DbBackend::Sqlite { "sqlite" } else { "postgres" }.to_owned(),
            tables,
            files,
        };
        std::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?)?;
        Ok(manifest)
    })
    .await?;
    Ok(Done { manifest, advice })
}

/// Reads a backup's manifest and checks every file against it; an error says what is wrong.
pub fn check(dir: &Path) -> anyhow::Result<Manifest> {
    let text = std::fs::read(dir.join(MANIFEST))
        .with_context(|| format!("{} has no {MANIFEST}: not a Partyday backup", dir.display()))?;
    let manifest: Manifest = serde_json::from_slice(&text)
        .with_context(|| format!("{MANIFEST} is damaged: the backup cannot be trusted"))?;
    if manifest.format != 1 {
        bail!("backup format {} is not one this version reads", manifest.format);
    }
    // An older schema is migrated forward by the restore; a newer one this binary cannot read.
    let known = crate::db::known_migrations();
    if !manifest.schema.is_empty() && !known.contains(&manifest.schema) {
        let newest = known.last().map(String::as_str).unwrap_or_default();
        if manifest.schema.as_str() > newest {
            bail!(
                "the backup is of a newer schema ({}, written by Partyday {}) than this version ({}) knows \
                 (its newest is {newest}): restore it with the newer binary",
                manifest.schema,
                manifest.version,
                env!("CARGO_PKG_VERSION")
            );
        }
        bail!("the backup's schema {} is not one this version of Partyday knows", manifest.schema);
    }
    for f in &manifest.files {
        if f.path.split('/').any(|part| part == ".." || part.is_empty()) {
            bail!("{MANIFEST} names an unsafe path {:?}", f.path);
        }
        let (bytes, sha256) = sha256_of(&dir.join(&f.path)).with_context(|| format!("{} is missing", f.path))?;
        if (bytes, sha256.as_str()) != (f.bytes, f.sha256.as_str()) {
            bail!(
                "{} is damaged (its size or checksum differs from the manifest): the backup cannot be restored",
                f.path
            );
        }
    }
    Ok(manifest)
}

/// Restores the backup in `dir` into the configured data folder (which must be empty or absent)
/// and SQLite database (which must not exist), then migrates forward.
pub async fn restore(settings: &Settings, dir: &Path) -> anyhow::Result<Done> {
    let manifest = check(dir)?;
    let url = &settings.config.database.url;
    let Some(db_path) = crate::db::sqlite_path(url) else {
        bail!(
            "database.url is not SQLite: restore the PostgreSQL dump with pg_restore into an empty database, \
             then run `partyday restore` with an SQLite URL for the files, or copy {dir}/{FILES} into the data folder",
            dir = dir.display()
        );
    };
    if manifest.backend != "sqlite" {
        bail!("this backup holds no database ({} was dumped with pg_dump)", manifest.backend);
    }
    let data = &settings.config.app.data_dir;
    if data.exists() && std::fs::read_dir(data)?.next().is_some() {
        bail!("the data folder {} is not empty: a restore goes only into an empty one", data.display());
    }
    if db_path.exists() {
        bail!("the database {} exists: a restore never writes over one", db_path.display());
    }
    // The snapshot holds what the manifest counted, at the schema it names, and no migration
    // this binary does not know.
    let snapshot = Database::connect(sqlite_url(&dir.join(DATABASE))).await?;
    let read = async { anyhow::Ok((table_counts(&snapshot).await?, schema_of(&snapshot).await?)) }.await;
    let unknown = crate::db::unknown_migrations(&snapshot).await;
    snapshot.close().await?;
    let (counted, schema) = read?;
    if counted != manifest.tables {
        bail!("{DATABASE} does not hold the rows the manifest counted: the backup cannot be restored");
    }
    let unknown = unknown?;
    if !unknown.is_empty() {
        bail!("{DATABASE}: {}", crate::db::newer_schema_message(&unknown));
    }
    if schema != manifest.schema {
        bail!(
            "{DATABASE} is at schema {schema}, not {} as the manifest says: the backup cannot be restored",
            manifest.schema
        );
    }
    std::fs::create_dir_all(data)?;
    if let Some(parent) = db_path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    for f in &manifest.files {
        let to = match f.path.strip_prefix(&format!("{FILES}/")) {
            Some(rel) => data.join(rel),
            None if f.path == DATABASE => db_path.to_path_buf(),
            None => continue,
        };
        if let Some(parent) = to.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(dir.join(&f.path), &to).with_context(|| format!("cannot write {}", to.display()))?;
    }
    let db = crate::db::connect(&settings.config.database).await?;
    crate::db::migrate(&db).await?;
    db.close().await?;
    Ok(Done { manifest, advice: None })
}

/// The server's daily backup: once a day (UTC date) into `root/partyday-YYYY-MM-DD`, keeping the
/// newest `keep`. A second instance that finds today's folder made does nothing. Returns the
/// folder written, if any.
pub async fn daily(
    settings: &Settings,
    db: &DatabaseConnection,
    (root, keep): (&Path, usize),
    now: DateTime<Utc>,
) -> anyhow::Result<Option<PathBuf>> {
    let name = format!("partyday-{}", now.format("%Y-%m-%d"));
    let target = root.join(&name);
    let made = {
        let (root, target) = (root.to_path_buf(), target.clone());
        blocking(move || {
            std::fs::create_dir_all(&root)?;
            Ok(target.exists())
        })
        .await?
    };
    if made {
        return Ok(None);
    }
    // Written beside under a name of this process's own (two instances never share one), then
    // renamed: a folder with today's name is always complete, and the first rename wins.
    let partial = root.join(format!(".{name}.{}.{}.partial", std::process::id(), now.timestamp_micros()));
    backup_beside(settings, db, (&partial, Some(root)), now).await?;
    let root = root.to_path_buf();
    blocking(move || {
        if std::fs::rename(&partial, &target).is_err() {
            std::fs::remove_dir_all(&partial)?;
            return Ok(None);
        }
        let mut kept: Vec<PathBuf> = std::fs::read_dir(&root)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir() && p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("partyday-")))
            .collect();
        kept.sort();
        let excess = kept.len().saturating_sub(keep.max(1));
        for old in &kept[..excess] {
            std::fs::remove_dir_all(old)?;
        }
        Ok(Some(target))
    })
    .await
}
