//! Backup and restore (issue 30 §4): `partyday backup` while the server writes, `partyday
//! restore` into an empty folder, a server on the copy that signs in and holds the same rows;
//! a damaged backup and a non-empty folder are refused, saying why.
use std::{path::Path, process::Command, sync::Arc};

use chrono::Duration;
use partyday::backup::Manifest;
use sea_orm::{ConnectionTrait, Statement};

use crate::{
    attendance::{event_row, inv_of, move_to, scheduled, setup, tap},
    helpers::{TestApp, TestDb},
};

fn partyday(url: &str, data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_partyday"))
        .env_remove("PARTYDAY_ENV")
        .env("PARTYDAY__DATABASE__URL", url)
        .env("PARTYDAY__APP__DATA_DIR", data)
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .unwrap()
}

fn said(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Whether pg_dump and pg_restore are installed, for the README's PostgreSQL backup. When they
/// are not, that part is skipped with a notice, unless PARTYDAY_TEST_TOOLS=required (as in CI).
fn pg_tools() -> bool {
    let found = ["pg_dump", "pg_restore"]
        .iter()
        .all(|tool| Command::new(tool).arg("--version").output().is_ok_and(|o| o.status.success()));
    if !found {
        assert!(
            std::env::var("PARTYDAY_TEST_TOOLS").as_deref() != Ok("required"),
            "PARTYDAY_TEST_TOOLS=required but pg_dump or pg_restore is not installed (apt-get install postgresql-client)"
        );
        eprintln!("pg_dump check skipped: pg_dump or pg_restore is not installed (apt-get install postgresql-client)");
    }
    found
}

/// Copies the folder `from` into `to`, as an operator copies a backup's files into a data folder.
fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

async fn count(app: &TestApp, table: &str) -> u64 {
    let db = &app.state.db;
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    row.try_get::<i64>("", "n").unwrap() as u64
}

#[tokio::test]
async fn a_backup_taken_while_attendance_is_written_restores_into_a_server_that_signs_in() {
    let (app, tree, s) = setup("吴书记").await;
    let mut members = Vec::new();
    for n in 0..30 {
        members.push(app.add_member(tree.a, &format!("党员{n}")).await);
    }
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 120), &[("title", "备份时的支部大会")]).await;
    let e = event_row(&app, id).await;
    move_to(&app, e.starts_at + Duration::minutes(5));
    std::fs::write(app.data_dir.path().join("attachments-note.txt"), "kept").unwrap();
    let backup_dir = tempfile::tempdir().unwrap();
    let target = backup_dir.path().join("b1");

    if app.db.is_postgres() {
        // The database is pg_dump's: the command says how, and backs the files up.
        let out_of_backup = partyday(&app.db.url, app.data_dir.path(), &["backup", target.to_str().unwrap()]);
        assert!(out_of_backup.status.success(), "{}", said(&out_of_backup));
        assert!(said(&out_of_backup).contains("pg_dump"), "{}", said(&out_of_backup));
        assert!(target.join("files/attachments-note.txt").exists());
        assert!(!target.join("partyday.db").exists());
        let restore_to = tempfile::tempdir().unwrap();
        let out = partyday(&app.db.url, &restore_to.path().join("data"), &["restore", target.to_str().unwrap()]);
        assert!(!out.status.success() && said(&out).contains("pg_restore"), "{}", said(&out));
        // The README's way for the database, as the command printed it: pg_dump, pg_restore into
        // an empty database, the files copied into a data folder, `partyday migrate`; a server on
        // the copy signs in and holds the same rows.
        let Some(dump) =
            said(&out_of_backup).lines().find(|l| l.trim_start().starts_with("pg_dump ")).map(str::to_owned)
        else {
            panic!("no pg_dump command printed: {}", said(&out_of_backup));
        };
        if !pg_tools() {
            return;
        }
        let out = Command::new("sh").args(["-c", dump.trim()]).env("DATABASE_URL", &app.db.url).output().unwrap();
        assert!(out.status.success(), "{dump}: {}", said(&out));
        let copy_db = TestDb::new().await;
        let file = target.join("partyday.dump");
        let out = Command::new("pg_restore")
            .args(["--no-owner", "--dbname", &copy_db.url, file.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "pg_restore: {}", said(&out));
        let data = tempfile::tempdir().unwrap();
        copy_tree(&target.join("files"), data.path());
        let out = partyday(&copy_db.url, data.path(), &["migrate"]);
        assert!(out.status.success(), "{}", said(&out));
        let copy = TestApp::start(Arc::new(copy_db), Arc::new(data), "").await;
        for table in ["members", "invitations", "events", "accounts", "seaql_migrations"] {
            assert_eq!(count(&copy, table).await, count(&app, table).await, "{table}");
        }
        assert_eq!(std::fs::read_to_string(copy.data_dir.path().join("attachments-note.txt")).unwrap(), "kept");
        use partyday::accounts::entity::account;
        use sea_orm::EntityTrait;
        let secretary = account::Entity::find_by_id(s.account).one(&copy.state.db).await.unwrap().unwrap();
        let client = copy.client();
        client.login(&secretary.email, crate::helpers::PASSWORD).await.assert_redirect_to("/");
        client.get(&format!("/events/{id}/attendance")).await.assert_status(200).assert_contains("备份时的支部大会");
        return;
    }

    // Marks are written while the backup runs.
    let cli = {
        let (url, data, target) = (app.db.url.clone(), app.data_dir.path().to_owned(), target.clone());
        tokio::task::spawn_blocking(move || partyday(&url, &data, &["backup", target.to_str().unwrap()]))
    };
    let mut marked = 0;
    for (i, m) in members.iter().enumerate() {
        let inv = inv_of(&app, id, *m).await.id;
        let mark = if i % 3 == 0 { "late" } else { "present" };
        assert_eq!(tap(&s.client, id, inv, mark).await.0, 200);
        marked += 1;
    }
    let out = cli.await.unwrap();
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("Backed up into"), "{}", said(&out));
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(target.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.tables["members"], count(&app, "members").await);
    assert!(manifest.tables["attendance_log"] <= count(&app, "attendance_log").await, "a snapshot of a moment");
    assert!(manifest.schema.starts_with("m2026"), "{}", manifest.schema);
    assert!(manifest.files.iter().any(|f| f.path == "files/attachments-note.txt"));
    assert!(marked > 0);

    // A folder that holds something is never written into.
    let out = partyday(&app.db.url, app.data_dir.path(), &["backup", target.to_str().unwrap()]);
    assert!(!out.status.success() && said(&out).contains("not empty"), "{}", said(&out));

    // Restored into an empty folder: the same rows, and a server that signs in.
    let restored = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", restored.path().join("partyday.db").display());
    let out = partyday(&url, data.path(), &["restore", target.to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(std::fs::read_to_string(data.path().join("attachments-note.txt")).unwrap(), "kept");
    let copy = TestApp::start(Arc::new(TestDb::sqlite_in(restored, "partyday.db")), Arc::new(data), "").await;
    for table in ["members", "invitations", "attendance_log", "events", "accounts"] {
        assert_eq!(count(&copy, table).await, manifest.tables[table], "{table}");
    }
    use partyday::accounts::entity::account;
    use sea_orm::EntityTrait;
    let secretary = account::Entity::find_by_id(s.account).one(&copy.state.db).await.unwrap().unwrap();
    let client = copy.client();
    client.login(&secretary.email, crate::helpers::PASSWORD).await.assert_redirect_to("/");
    client.get(&format!("/events/{id}/attendance")).await.assert_status(200).assert_contains("备份时的支部大会");

    // A second restore into the now-used folder is refused.
    let out = partyday(&url, copy.data_dir.path(), &["restore", target.to_str().unwrap()]);
    assert!(!out.status.success() && said(&out).contains("not empty"), "{}", said(&out));

    // A damaged backup is refused before anything is written.
    let mut bytes = std::fs::read(target.join("partyday.db")).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(target.join("partyday.db"), bytes).unwrap();
    let (empty, empty_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = format!("sqlite://{}?mode=rwc", empty.path().join("partyday.db").display());
    let out = partyday(&url, empty_data.path(), &["restore", target.to_str().unwrap()]);
    assert!(!out.status.success() && said(&out).contains("partyday.db is damaged"), "{}", said(&out));
    assert!(
        !empty.path().join("partyday.db").exists() && std::fs::read_dir(empty_data.path()).unwrap().next().is_none()
    );
}

#[tokio::test]
async fn the_server_writes_one_daily_backup_and_keeps_the_newest() {
    let app = TestApp::spawn().await;
    // Kept inside the data folder, as an operator might: no backup holds the earlier ones.
    let root = app.data_dir.path().join("backups");
    let root = root.as_path();
    let settings = &app.state.settings;
    let now = app.state.now();
    if app.db.is_postgres() {
        // Files only (the database is pg_dump's), under the same rule.
        let first = partyday::backup::daily(settings, &app.state.db, (root, 2), now).await.unwrap();
        assert!(first.is_some_and(|d| d.join("manifest.json").exists()));
        return;
    }
    for day in 0..4 {
        let at = now + Duration::days(day);
        let made = partyday::backup::daily(settings, &app.state.db, (root, 2), at).await.unwrap();
        assert!(made.is_some(), "day {day}");
        assert!(partyday::backup::daily(settings, &app.state.db, (root, 2), at).await.unwrap().is_none(), "once a day");
    }
    let mut kept: Vec<String> =
        std::fs::read_dir(root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    kept.sort();
    let newest = |d: i64| format!("partyday-{}", (now + Duration::days(d)).format("%Y-%m-%d"));
    assert_eq!(kept, vec![newest(2), newest(3)]);
    let last = partyday::backup::check(&root.join(newest(3))).expect("a complete, checked backup");
    assert!(last.files.iter().all(|f| !f.path.contains("partyday-")), "{:?}", last.files);
}

/// The newest migration this binary knows, and how many there are.
fn current_schema() -> (String, usize) {
    let known = partyday::db::known_migrations();
    (known.last().unwrap().clone(), known.len())
}

/// The applied migrations of a database: how many, and the newest.
async fn schema_of(db: &sea_orm::DatabaseConnection) -> (usize, String) {
    let sql = "SELECT COUNT(*) AS n, MAX(version) AS v FROM seaql_migrations";
    let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), sql)).await.unwrap().unwrap();
    (row.try_get::<i64>("", "n").unwrap() as usize, row.try_get("", "v").unwrap())
}

/// A row inserted with raw SQL (the older schema's columns, not today's entities); its id.
async fn insert(db: &sea_orm::DatabaseConnection, table: &str, values: &[(&str, sea_orm::Value)]) -> i64 {
    let backend = db.get_database_backend();
    let columns: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
    let marks: Vec<String> = (1..=values.len()).map(|n| partyday::db::placeholder(backend, n)).collect();
    let sql = format!("INSERT INTO {table} ({}) VALUES ({}) RETURNING id", columns.join(", "), marks.join(", "));
    let stmt = Statement::from_sql_and_values(backend, sql, values.iter().map(|(_, v)| v.clone()));
    db.query_one_raw(stmt).await.unwrap().unwrap().try_get("", "id").unwrap()
}

/// An installation as an older Partyday left it: the schema only up to migration `older` (before
/// the report review added columns to `branches`), a branch, two members, an administrator and a
/// file in the data folder.
async fn older_installation(db: &TestDb, data: &Path, older: u32) -> String {
    use migration::MigratorTrait;
    use partyday::accounts::{
        Role,
        rules::{DisplayName, Email, NewAccount, Password},
    };
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    migration::Migrator::up(&conn, Some(older)).await.unwrap();
    let schema = partyday::db::known_migrations()[older as usize - 1].clone();
    assert_eq!(schema_of(&conn).await, (older as usize, schema.clone()));
    let now = chrono::Utc::now();
    let branch = insert(
        &conn,
        "branches",
        &[
            ("kind", "branch".into()),
            ("name", "旧版党支部".into()),
            ("code", "OLD-01".into()),
            ("timezone", "Asia/Shanghai".into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await;
    for name in ["旧版党员甲", "旧版党员乙"] {
        insert(
            &conn,
            "members",
            &[
                ("branch_id", branch.into()),
                ("name", name.into()),
                ("political_status", "full".into()),
                ("state", "active".into()),
                ("created_at", now.into()),
                ("updated_at", now.into()),
            ],
        )
        .await;
    }
    // The accounts table has not changed since the older schema: the service writes it.
    let admin = NewAccount {
        email: Email::parse("old-admin@test.example.org").unwrap(),
        display_name: DisplayName::parse("旧版管理员").unwrap(),
        role: Role::Admin,
        password: Password::parse(crate::helpers::PASSWORD, None).unwrap(),
    };
    partyday::accounts::service::create_unchecked(&conn, admin, false, now).await.unwrap();
    conn.close().await.unwrap();
    std::fs::write(data.join("attachments-note.txt"), "from the older version").unwrap();
    schema
}

#[tokio::test]
async fn a_backup_of_an_older_schema_is_restored_and_migrated_forward() {
    const OLDER: u32 = 11;
    let db = TestDb::new().await;
    let data = tempfile::tempdir().unwrap();
    let older = older_installation(&db, data.path(), OLDER).await;
    let (current, migrations) = current_schema();
    assert!(older < current);

    // Backed up by the command, as the older installation is.
    let backups = tempfile::tempdir().unwrap();
    let target = backups.path().join("older");
    let out = partyday(&db.url, data.path(), &["backup", target.to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(target.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.schema, older);
    assert_eq!(manifest.tables["seaql_migrations"], OLDER as u64);
    assert_eq!(manifest.tables["members"], 2);

    let (db, data) = if db.is_postgres() {
        // On PostgreSQL the database is pg_dump's and pg_restore's (not run here): a restored
        // dump of the older schema is this very database, which `partyday migrate` brings
        // forward. The files' restore is refused with the way to do it.
        let elsewhere = tempfile::tempdir().unwrap();
        let out = partyday(&db.url, &elsewhere.path().join("data"), &["restore", target.to_str().unwrap()]);
        assert!(!out.status.success() && said(&out).contains("pg_restore"), "{}", said(&out));
        let out = partyday(&db.url, data.path(), &["migrate"]);
        assert!(out.status.success(), "{}", said(&out));
        (db, data)
    } else {
        let restored = tempfile::tempdir().unwrap();
        let new_data = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", restored.path().join("partyday.db").display());
        let out = partyday(&url, new_data.path(), &["restore", target.to_str().unwrap()]);
        assert!(out.status.success(), "{}", said(&out));
        assert!(said(&out).contains("migrated the database forward"), "{}", said(&out));
        let note = std::fs::read_to_string(new_data.path().join("attachments-note.txt")).unwrap();
        assert_eq!(note, "from the older version");
        (TestDb::sqlite_in(restored, "partyday.db"), new_data)
    };
    // The schema is current before any server starts on it.
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    assert_eq!(schema_of(&conn).await, (migrations, current));
    conn.close().await.unwrap();

    let copy = TestApp::start(Arc::new(db), Arc::new(data), "").await;
    assert_eq!(count(&copy, "members").await, 2);
    let client = copy.client();
    client.login("old-admin@test.example.org", crate::helpers::PASSWORD).await.assert_redirect_to("/");
    client.get("/branches").await.assert_status(200).assert_contains("旧版党支部");
    client.get("/members").await.assert_status(200).assert_contains("旧版党员甲").assert_contains("旧版党员乙");
}

#[tokio::test]
async fn a_backup_of_a_newer_schema_is_refused_naming_it() {
    let app = TestApp::spawn().await;
    app.add_member(app.seed_tree().await.a, "新版党员").await;
    // What a newer Partyday would have left: a migration this binary does not know.
    let future = "m20991231_000099_from_a_newer_version";
    let sql = format!("INSERT INTO seaql_migrations (version, applied_at) VALUES ('{future}', 0)");
    app.state.db.execute_unprepared(&sql).await.unwrap();
    let backups = tempfile::tempdir().unwrap();
    let target = backups.path().join("newer");
    let out = partyday(&app.db.url, app.data_dir.path(), &["backup", target.to_str().unwrap()]);
    assert!(out.status.success(), "{}", said(&out));
    let manifest: Manifest = serde_json::from_slice(&std::fs::read(target.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.schema, future);

    let (empty, empty_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = if app.db.is_postgres() {
        // Restore writes only SQLite; a PostgreSQL backup holds no database to check. The
        // manifest's schema is checked first all the same, whatever the database.
        app.db.url.clone()
    } else {
        format!("sqlite://{}?mode=rwc", empty.path().join("partyday.db").display())
    };
    let out = partyday(&url, empty_data.path(), &["restore", target.to_str().unwrap()]);
    let text = said(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains(&format!("the backup is of a newer schema ({future}")), "{text}");
    assert!(text.contains("restore it with the newer binary"), "{text}");
    assert!(!empty.path().join("partyday.db").exists());
    assert!(std::fs::read_dir(empty_data.path()).unwrap().next().is_none(), "nothing written");
}
