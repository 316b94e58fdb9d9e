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
        let out = partyday(&app.db.url, app.data_dir.path(), &["backup", target.to_str().unwrap()]);
        assert!(out.status.success(), "{}", said(&out));
        assert!(said(&out).contains("pg_dump"), "{}", said(&out));
        assert!(target.join("files/attachments-note.txt").exists());
        assert!(!target.join("partyday.db").exists());
        let restore_to = tempfile::tempdir().unwrap();
        let out = partyday(&app.db.url, &restore_to.path().join("data"), &["restore", target.to_str().unwrap()]);
        assert!(!out.status.success() && said(&out).contains("pg_restore"), "{}", said(&out));
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
