//! The `partyday` binary as an operator uses it: configuration errors, `migrate`,
//! `create-admin` with the password on standard input, `serve --demo` and SIGTERM.
use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use crate::helpers::{TestApp, TestDb};

/// The real binary with a database and a data folder of its own.
pub(crate) fn partyday(db: &TestDb, dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_partyday"));
    cmd.current_dir(dir)
        .env_remove("PARTYDAY_ENV")
        .env("PARTYDAY__DATABASE__URL", &db.url)
        .env("PARTYDAY__APP__DATA_DIR", dir.join("data"))
        .env("PARTYDAY__SERVER__ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn");
    cmd
}

#[tokio::test]
async fn an_invalid_configuration_stops_with_the_key_and_the_reason() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("PARTYDAY__APP__TIMEZONE", "Mars/Olympus", "app.timezone"),
        ("PARTYDAY__SERVER__ADDR", "localhost-ish", "server.addr"),
        ("PARTYDAY__APP__DEFAULT_LOCALE", "fr", "app.default_locale"),
        ("PARTYDAY__DATABASE__URL", "mysql://x", "database.url"),
        ("PARTYDAY__SECURITY__LOGIN_MAX_FAILURES", "lots", "security.login_max_failures"),
        ("PARTYDAY__SERVER__TRUSTED_PROXIES", "[the-proxy]", "server.trusted_proxies"),
        ("PARTYDAY__SECURITY__INVITATION_DAYS", "0", "security.invitation_days"),
        ("PARTYDAY__MINUTES__REMIND_AFTER_DAYS", "999", "minutes.remind_after_days"),
        ("PARTYDAY__BACKUP__KEEP", "0", "backup.keep"),
        ("PARTYDAY_ENV", "nonexistent", "PARTYDAY_ENV"),
    ];
    for (var, value, key) in cases {
        let out = partyday(&db, dir.path()).arg("serve").env(var, value).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{var}={value}: {stderr}");
        assert!(stderr.contains(&format!("configuration error: {key}:")), "{var}={value}: {stderr}");
    }
}

#[tokio::test]
async fn create_admin_reads_the_password_from_standard_input() {
    let db = Arc::new(TestDb::new().await);
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: &str| {
        let mut child = partyday(&db, dir.path())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let migrated = run(&["migrate"], "");
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));

    let weak = run(&["create-admin", "--email", "boss@example.org"], "123\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 10 characters"));
    let bad_email = run(&["create-admin", "--email", "boss"], "a long enough secret\n");
    assert!(String::from_utf8_lossy(&bad_email.stderr).contains("--email"));

    let ok = run(&["create-admin", "--email", "Boss@Example.org", "--name", "书记处"], "a long enough secret\n");
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Administrator boss@example.org created"));
    let again = run(&["create-admin", "--email", "boss@example.org"], "another long secret\n");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));

    let app = TestApp::spawn_on(db.clone()).await;
    let c = app.client();
    c.login("boss@example.org", "a long enough secret").await.assert_redirect_to("/");
    c.get("/admin/accounts").await.assert_status(200).assert_contains("书记处");
}

#[tokio::test]
async fn serve_demo_prints_the_logins_serves_and_stops_on_sigterm() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut child = partyday(&db, dir.path())
        .args(["serve", "--demo"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    let addr = loop {
        let mut line = String::new();
        assert!(stdout.read_line(&mut line).unwrap() > 0, "serve exited early:\n{printed}");
        printed.push_str(&line);
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().trim_end_matches(')').to_owned();
        }
    };
    for login in
        ["admin@demo.partyday.org", "secretary@demo.partyday.org", "member@demo.partyday.org", partyday::demo::PASSWORD]
    {
        assert!(printed.contains(login), "{login} not printed:\n{printed}");
    }
    assert!(dir.path().join("data/secret.key").exists(), "the secret is kept in the data directory");

    let c = crate::helpers::Client::new(&format!("http://{addr}"));
    c.get("/healthz").await.assert_status(200);
    c.login("admin@demo.partyday.org", partyday::demo::PASSWORD).await.assert_redirect_to("/");
    c.get("/admin/accounts").await.assert_contains("secretary@demo.partyday.org");
    // A lived-in calendar: each branch's monthly theme party days, past and to come, and the
    // invitations of the coming events written as .eml files.
    c.get("/events").await.assert_contains("机关党支部主题党日").assert_contains("离退休党支部主题党日");
    let past = c.get("/events?when=past").await;
    past.assert_contains("医院管理党支部主题党日");
    assert!(past.body.matches("<td>已结束</td>").count() >= 4 * 5, "the past half year of party days has ended");
    c.get("/events/calendar").await.assert_status(200).assert_contains("主题党日");
    demo_attendance_is_recorded(&db).await;
    demo_minutes_are_in_every_state(&db).await;
    demo_posts_say_who_presided_once_in_date_order(&db, &c).await;
    let mail = dir.path().join("data/mail");
    let mut eml = 0;
    for _ in 0..100 {
        eml = std::fs::read_dir(&mail).map(|d| d.count()).unwrap_or(0);
        if eml > 20 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(eml > 20, "only {eml} messages in {}", mail.display());

    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "serve did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "exit status {status}");
}

#[tokio::test]
async fn serve_demo_refuses_a_database_that_holds_data_of_its_own() {
    use partyday::accounts::entity::account;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let db = Arc::new(TestDb::new().await);
    let dir = tempfile::tempdir().unwrap();
    // A real association's database: an administrator and a branch.
    let app = TestApp::spawn_on(db.clone()).await;
    app.create_account(partyday::accounts::Role::Admin, "boss@example.org").await;
    app.seed_tree().await;
    let out = partyday(&db, dir.path()).args(["serve", "--demo"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "it served");
    assert!(stderr.contains("loads the demo only into an empty database"), "{stderr}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains(partyday::demo::PASSWORD));
    assert_eq!(account::Entity::find().count(&app.state.db).await.unwrap(), 1, "no demo account was added");
    app.client().login("admin@demo.partyday.org", partyday::demo::PASSWORD).await.assert_status(401);
}

#[tokio::test]
async fn serve_without_demo_says_how_to_create_the_first_administrator() {
    let db = TestDb::new().await;
    let dir = tempfile::tempdir().unwrap();
    let mut child =
        partyday(&db, dir.path()).arg("serve").stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("listening on") {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        printed.push_str(&line);
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(printed.contains("partyday create-admin --email"), "{printed}");
    assert!(!printed.contains("admin@demo.partyday.org"));
}

/// Issue 28 §7: every demo party day and meeting has a host and a recorder; every published
/// post names who presided, never repeats its lead in its body, and `/activities` lists them in
/// the order of their dates.
async fn demo_posts_say_who_presided_once_in_date_order(db: &TestDb, c: &crate::helpers::Client) {
    use partyday::{
        events::{entity::event, rules::EventKind},
        reports::{entity::report, rules::ReportState},
    };
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let events = event::Entity::find().filter(event::Column::Kind.ne(EventKind::VolunteerService)).all(&conn).await;
    for e in events.unwrap() {
        assert!(e.host_member_id.is_some() || e.host_guest_name.is_some(), "no host: {}", e.title);
        assert!(e.recorder_member_id.is_some(), "no recorder: {}", e.title);
    }
    let published =
        report::Entity::find().filter(report::Column::State.eq(ReportState::Published)).all(&conn).await.unwrap();
    assert!(published.len() >= 5, "{}", published.len());
    // The activity recorded afterwards, with leaders and a counted audience, is published.
    assert!(
        published.iter().any(|r| r.summary.contains("出席会议") && r.summary.contains("50余人列席会议")),
        "{published:?}"
    );
    for r in &published {
        assert!(r.summary.contains("主持"), "who presided: {}", r.summary);
        assert!(!r.body.contains(r.summary.trim()), "the lead once: {}", r.body);
    }
    let page = c.get("/activities").await;
    let dates: Vec<&str> =
        page.body.match_indices("<time datetime=\"").map(|(i, m)| &page.body[i + m.len()..i + m.len() + 10]).collect();
    assert!(dates.len() >= 5 && dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
}

/// The demo's past events carry their attendance (answers, leave with reasons and decisions,
/// check-ins, outcomes, make-up study) and its coming ones their first answers, consistently.
/// The 机关党支部's past meetings have minutes: locked ones (one amended and signed again, one
/// shaped like a real activity post), the party lecture waiting for its host's signature, a draft.
async fn demo_minutes_are_in_every_state(db: &TestDb) {
    use partyday::minutes::{
        entity::{LogKind, log, minutes},
        rules::MinutesState,
    };
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let all = minutes::Entity::find().all(&conn).await.unwrap();
    let of = |s: MinutesState| all.iter().filter(|m| m.state == s).count();
    assert!(of(MinutesState::Locked) >= 3, "{all:?}");
    assert_eq!((of(MinutesState::Submitted), of(MinutesState::Draft)), (1, 1), "{all:?}");
    let submitted = all.iter().find(|m| m.state == MinutesState::Submitted).unwrap();
    assert!(submitted.recorder_signed_at.is_some() && submitted.host_signed_at.is_none());
    let amended = log::Entity::find().filter(log::Column::Kind.eq(LogKind::Amended)).all(&conn).await.unwrap();
    assert_eq!(amended.len(), 1);
    let record = all.iter().find(|m| m.id == amended[0].minutes_id).unwrap();
    assert_eq!((record.state, record.revision), (MinutesState::Locked, 2));
    assert!(all.iter().any(|m| m.body.contains("充分发挥高校和专家优势") && m.body.contains("学术交流与实践紧密结合")));
}

async fn demo_attendance_is_recorded(db: &TestDb) {
    use partyday::{
        events::entity::{event, invitation},
        invitations::log,
    };
    use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter};
    let conn = sea_orm::Database::connect(&db.url).await.unwrap();
    let count = async |cond: Condition| invitation::Entity::find().filter(cond).count(&conn).await.unwrap();
    let col = |c: invitation::Column, v: &str| Condition::all().add(c.eq(v));
    let ended = event::Entity::find().filter(event::Column::State.eq("ended")).all(&conn).await.unwrap();
    assert!(ended.len() > 4 * 5, "the past party days and the lecture ended");
    assert!(ended.iter().all(|e| e.finalised_at.is_some_and(|f| f >= e.ends_at)), "finalised after their end");
    let past = Condition::all()
        .add(invitation::Column::EventId.is_in(ended.iter().map(|e| e.id)))
        .add(invitation::Column::MemberId.is_not_null());
    let present = count(past.clone().add(col(invitation::Column::Outcome, "present"))).await;
    let all = count(past.clone()).await;
    assert!(present * 2 > all, "most came: {present} of {all}");
    for method in ["qr", "roster"] {
        let by = count(past.clone().add(col(invitation::Column::CheckinMethod, method))).await;
        assert!(by >= 10, "{by} checked in by {method}");
    }
    assert!(count(past.clone().add(col(invitation::Column::Outcome, "late"))).await >= 3, "a few came late");
    assert!(count(past.clone().add(invitation::Column::LeftEarly.eq(true))).await >= 1, "someone left early");
    let excused = past
        .clone()
        .add(col(invitation::Column::Outcome, "excused"))
        .add(col(invitation::Column::Answer, "leave_approved"))
        .add(invitation::Column::LeaveReason.is_not_null())
        .add(invitation::Column::LeaveNote.is_not_null())
        .add(invitation::Column::LeaveDecidedBy.is_not_null());
    assert!(count(excused).await >= 5, "approved leave, with reasons and the secretary's notes");
    let rejected = past.clone().add(col(invitation::Column::Answer, "leave_rejected"));
    assert_eq!(count(rejected.clone().add(col(invitation::Column::Outcome, "absent"))).await, 1, "one leave refused");
    let absent =
        past.clone().add(col(invitation::Column::Outcome, "absent")).add(invitation::Column::MakeupRequired.eq(true));
    assert!(count(absent).await >= 5, "declined, unanswered and no-shows are absent and owe make-up study");
    let done = past.clone().add(invitation::Column::MakeupDoneOn.is_not_null());
    assert!(count(done.clone()).await >= 5, "some did their make-up study");
    let odd = Condition::any()
        .add(invitation::Column::MakeupRequired.eq(false))
        .add(invitation::Column::Outcome.is_in(["present", "late"]))
        .add(invitation::Column::MakeupNote.is_null());
    assert_eq!(count(done.add(odd)).await, 0, "make-up only by those who missed the event, with a note");
    let attended_unchecked = Condition::all()
        .add(invitation::Column::Outcome.is_in(["present", "late"]))
        .add(invitation::Column::CheckedInAt.is_null());
    assert_eq!(count(attended_unchecked).await, 0, "whoever came has a check-in");
    assert_eq!(count(past.clone().add(invitation::Column::Outcome.is_null())).await, 0, "every member settled");
    // Every change is in the attendance log.
    let logged = log::Entity::find().count(&conn).await.unwrap();
    let answered = count(past.add(invitation::Column::AnsweredAt.is_not_null())).await;
    assert!(logged > answered + present, "{logged} log rows for {answered} answers and {present} check-ins");
    // Coming events: first answers, and leave requests waiting for the secretary.
    let coming = Condition::all().add(invitation::Column::EventId.is_not_in(ended.iter().map(|e| e.id)));
    assert!(count(coming.clone().add(col(invitation::Column::Answer, "accepted"))).await >= 5);
    assert!(count(coming.clone().add(col(invitation::Column::Answer, "leave_requested"))).await >= 2);
    assert_eq!(count(coming.add(invitation::Column::Outcome.is_not_null())).await, 0, "nobody checked in yet");
}
