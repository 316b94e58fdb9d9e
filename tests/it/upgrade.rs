//! Two versions side by side (issue 30 §6): this binary as the older one, meeting a database a
//! newer Partyday migrated, simulated by a migration row this binary does not know. At start-up
//! (`serve`, `migrate`) it refuses with a message naming the migration, changing nothing; while
//! it runs, its health check fails.
use std::{
    io::{BufRead, BufReader},
    process::Stdio,
};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

use crate::{
    cli::partyday,
    helpers::{TestApp, TestDb},
};

const FUTURE: &str = "m20991231_000099_from_a_newer_version";

/// What a newer Partyday's `migrate` leaves in the migrations' table.
async fn migrate_as_a_newer_version(db: &DatabaseConnection) {
    let sql = format!("INSERT INTO seaql_migrations (version, applied_at) VALUES ('{FUTURE}', 0)");
    db.execute_unprepared(&sql).await.unwrap();
}

async fn applied(db: &DatabaseConnection) -> Vec<String> {
    let sql = "SELECT version FROM seaql_migrations ORDER BY version";
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap();
    rows.iter().map(|r| r.try_get("", "version").unwrap()).collect()
}

fn assert_refused(stderr: &str) {
    assert!(stderr.contains("migrated by a newer version of Partyday"), "{stderr}");
    assert!(stderr.contains(&format!("does not know ({FUTURE})")), "{stderr}");
    assert!(stderr.contains("run the newer binary (`partyday migrate`, `partyday serve`)"), "{stderr}");
    assert!(!stderr.contains("Migration file of version"), "sea-orm's own words are not the message: {stderr}");
}

#[tokio::test]
async fn an_older_binary_refuses_to_migrate_or_serve_a_database_a_newer_one_migrated() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let out = partyday(&db, dir.path()).arg("migrate").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Database is up to date."));
    let conn = Database::connect(&db.url).await.unwrap();
    migrate_as_a_newer_version(&conn).await;
    let before = applied(&conn).await;
    assert_eq!(before.len(), partyday::db::known_migrations().len() + 1);

    let out = partyday(&db, dir.path()).arg("migrate").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_refused(&String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("up to date"));

    // `serve` stops before it listens: it never says it is serving.
    let mut child =
        partyday(&db, dir.path()).arg("serve").stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if line.contains("listening on") {
            child.kill().unwrap();
            panic!("an older binary serves a newer schema: {line}");
        }
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot migrate the database"), "{stderr}");
    assert_refused(&stderr);

    assert_eq!(applied(&conn).await, before, "nothing was migrated");
    conn.close().await.unwrap();
}

#[tokio::test]
async fn a_running_older_instance_fails_its_health_check_once_a_newer_one_migrated() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.get("/healthz").await.assert_status(200).assert_contains("ok");
    migrate_as_a_newer_version(&app.state.db).await;
    c.get("/healthz").await.assert_status(503).assert_contains("database schema is newer than this version");
}
