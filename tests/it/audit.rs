//! Who saw and exported personal data (issue 30 §5): viewing a member's record, exports with their
//! filter and rows, imports, account changes and administrators' sign-ins are on `/admin/audit`,
//! filtered and as CSV; secretaries see their branches' entries; entries and old reasons go when
//! their keeping time ends.
use chrono::{Datelike, Duration};
use partyday::{
    accounts::Role,
    audit::{Kind, entity::entry},
    events::entity::invitation,
    forms::Choice,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::{
    attendance::{inv_of, scheduled, setup},
    helpers::{Client, PASSWORD, TestApp},
};

/// The log as stored, oldest first (after what the server holds is written).
async fn entries(app: &TestApp) -> Vec<entry::Model> {
    app.state.audit.flush().await;
    entry::Entity::find().order_by_asc(entry::Column::Id).all(&app.state.db).await.unwrap()
}

async fn of_kind(app: &TestApp, kind: Kind) -> Vec<entry::Model> {
    entries(app).await.into_iter().filter(|e| e.kind == kind).collect()
}

/// The rows of a CSV file (without its byte-order mark and header).
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

async fn admin(app: &TestApp) -> (Client, String) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let email = format!("auditor{}@test.example.org", N.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
    app.create_account(Role::Admin, &email).await;
    let client = app.client();
    client.login(&email, PASSWORD).await.assert_redirect_to("/");
    (client, email)
}

/// The entries' table of a page of the log (the filter's choices name every type).
fn table(body: &str) -> &str {
    body.split_once("<tbody>").and_then(|(_, t)| t.split_once("</tbody>")).map_or("", |(t, _)| t)
}

#[tokio::test]
async fn views_and_exports_are_logged_with_their_filter_and_rows_and_read_back_as_csv() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let zhang = app.add_member(tree.a, "张三").await;
    app.add_member(tree.a, "李四").await;
    app.add_member(tree.b, "王五").await;
    let (admin, email) = admin(&app).await;

    // The administrator's sign-in, with where from.
    let signed_in = of_kind(&app, Kind::AdminSignedIn).await;
    assert_eq!(signed_in.len(), 1);
    assert!(signed_in[0].actor.contains(&email) && signed_in[0].detail.starts_with("127.0.0.1"), "{signed_in:?}");

    admin.get(&format!("/members/{zhang}")).await.assert_status(200);
    admin.get(&format!("/records/members/{zhang}")).await.assert_status(200);
    let (status, _, bytes) = admin.download(&format!("/members/export?branch={}&format=csv", tree.a)).await;
    assert_eq!(status, 200);
    let exported = csv_rows(&bytes).len();
    assert_eq!(exported, 2, "the branch's two members");
    let (status, _, _) = admin.download(&format!("/records/branches/{}?format=xlsx", tree.b)).await;
    assert_eq!(status, 200);

    let viewed = of_kind(&app, Kind::MemberViewed).await;
    assert_eq!(viewed.len(), 1);
    assert_eq!(
        (viewed[0].member_id, viewed[0].member_name.as_deref(), viewed[0].branch_id),
        (Some(zhang), Some("张三"), Some(tree.a))
    );
    assert_eq!(of_kind(&app, Kind::RecordViewed).await[0].member_id, Some(zhang));
    let members = of_kind(&app, Kind::MembersExported).await;
    assert_eq!(members.len(), 1);
    let m = &members[0];
    assert_eq!((m.rows, m.format.as_deref(), m.branch_id), (Some(2), Some("csv"), Some(tree.a)));
    assert_eq!(m.detail, format!("/members?branch={}", tree.a), "the filter, without the format");
    let records = of_kind(&app, Kind::RecordsExported).await;
    assert_eq!((records[0].format.as_deref(), records[0].branch_id), (Some("xlsx"), Some(tree.b)));

    // The page: every entry, then filtered by type, by member and by who acted.
    let page = admin.get("/admin/audit").await;
    page.assert_status(200).assert_contains("个人信息访问记录");
    let rows = table(&page.body);
    for text in ["导出党员名册", "2 行", "查看党员信息", "查看参加记录", "导出参加记录", "管理员登录", &email]
    {
        assert!(rows.contains(text), "{text} missing: {rows}");
    }
    let only = admin.get("/admin/audit?kind=members_exported").await;
    only.assert_status(200);
    assert!(table(&only.body).contains("导出党员名册") && !table(&only.body).contains("查看党员信息"));
    let by_member = admin.get("/admin/audit?member=%E5%BC%A0").await; // 张
    by_member.assert_status(200);
    let rows = table(&by_member.body);
    assert!(rows.contains("查看参加记录") && !rows.contains("导出党员名册"), "{rows}");
    admin.get("/admin/audit?who=nobody-such").await.assert_contains("没有符合条件的记录");

    // The file, through the shared writer; asking for it is itself logged.
    let (status, content_type, bytes) = admin.download("/admin/audit?kind=members_exported&format=csv").await;
    assert_eq!((status, content_type.as_str()), (200, "text/csv; charset=utf-8"));
    let rows = csv_rows(&bytes);
    assert_eq!(rows.len(), 1);
    assert!(rows[0].contains(&"导出党员名册".to_owned()) && rows[0].contains(&"2".to_owned()), "{rows:?}");
    let audit_exported = of_kind(&app, Kind::AuditExported).await;
    assert_eq!((audit_exported.len(), audit_exported[0].rows), (1, Some(1)));

    // Bad filters: a translated error and no file.
    let bad = admin.get("/admin/audit?from=2026-13-40").await;
    bad.assert_status(422).assert_contains("error-summary");
    admin
        .get("/admin/audit?from=2026-05-02&to=2026-05-01")
        .await
        .assert_status(422)
        .assert_contains("结束日期不能早于开始日期");
    admin.get("/admin/audit?kind=nonsense").await.assert_status(422);
    admin.get("/admin/audit?format=pdf").await.assert_status(400);
    let (status, _, _) = admin.download("/admin/audit?from=bad&format=csv").await;
    assert_eq!(status, 422);
    assert_eq!(of_kind(&app, Kind::AuditExported).await.len(), 1, "a refused file is not logged");
}

#[tokio::test]
async fn secretaries_see_their_branches_entries_and_members_none() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let (ours, theirs) = (app.add_member(tree.a, "张三").await, app.add_member(tree.b, "王五").await);
    let (admin, _) = admin(&app).await;
    admin.get(&format!("/members/{ours}")).await.assert_status(200);
    admin.get(&format!("/members/{theirs}")).await.assert_status(200);
    let secretary = app.secretary_of(tree.a).await;
    secretary.download("/members/export?format=csv").await;

    let page = secretary.get("/admin/audit").await;
    page.assert_status(200);
    let rows = table(&page.body);
    assert!(rows.contains("张三") && !rows.contains("王五") && rows.contains("导出党员名册"), "{rows}");
    // The administrator's own sign-in is not about the branch.
    assert!(!rows.contains("管理员登录"), "{rows}");
    let (_, _, bytes) = secretary.download("/admin/audit?format=csv").await;
    let rows = csv_rows(&bytes);
    assert!(rows.iter().all(|r| !r.contains(&"王五".to_owned())), "{rows:?}");
    assert_eq!(rows.len(), 2, "the view of 张三 and the secretary's export: {rows:?}");

    // A member sees no log, and opening their own record is not logged.
    let member = app.login_linked(Role::Member, ours).await;
    let before = entries(&app).await.len();
    member.get(&format!("/records/members/{ours}")).await.assert_status(200);
    assert_eq!(entries(&app).await.len(), before, "one's own record is not logged");
    assert!(matches!(member.get("/admin/audit").await.status, 403 | 404));
    assert!(matches!(app.client().get("/admin/audit").await.status, 303 | 401));
}

#[tokio::test]
async fn account_changes_invitations_and_imports_are_logged() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let zhang = app.add_member(tree.a, "张三").await;
    let (admin, _) = admin(&app).await;
    let fields = [
        ("email", "new-one@test.example.org"),
        ("display_name", "新账户"),
        ("role", "member"),
        ("password", "a-long-password-2026"),
        ("password_confirm", "a-long-password-2026"),
    ];
    admin.post("/admin/accounts", &fields).await.assert_status(303);
    let id = app.account_id("new-one@test.example.org").await;
    let update = [("email", "renamed@test.example.org"), ("display_name", "新账户"), ("role", "secretary")];
    admin.post(&format!("/admin/accounts/{id}"), &update).await.assert_status(303);
    admin.post(&format!("/admin/accounts/{id}/disable"), &[]).await.assert_status(303);
    admin.post(&format!("/admin/accounts/{id}/enable"), &[]).await.assert_status(303);
    let reset = [("password", "another-long-one-2026"), ("password_confirm", "another-long-one-2026")];
    admin.post(&format!("/admin/accounts/{id}/password"), &reset).await.assert_status(303);
    admin.post(&format!("/members/{zhang}/invite-account"), &[]).await.assert_status(303);
    let csv = "姓名,手机,政治面貌\n赵六,13900001111,正式党员\n";
    admin.upload(tree.a, "roster.csv", csv.as_bytes().to_vec()).await.assert_status(200);
    // A file name is the client's: never a link on the log's page.
    admin.upload(tree.a, "//evil.example/x.csv", csv.as_bytes().to_vec()).await.assert_status(200);

    let kinds: Vec<Kind> = entries(&app).await.iter().map(|e| e.kind).collect();
    for k in [
        Kind::AccountCreated,
        Kind::AccountRoleChanged,
        Kind::AccountEmailChanged,
        Kind::AccountDisabled,
        Kind::AccountEnabled,
        Kind::PasswordReset,
        Kind::InvitationSent,
        Kind::MembersImported,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing from {kinds:?}");
    }
    let role = &of_kind(&app, Kind::AccountRoleChanged).await[0];
    assert!(role.detail.ends_with("member\nsecretary"), "{:?}", role.detail);
    let invited = &of_kind(&app, Kind::InvitationSent).await[0];
    assert_eq!((invited.member_id, invited.branch_id), (Some(zhang), Some(tree.a)));
    let imported = &of_kind(&app, Kind::MembersImported).await[0];
    assert_eq!((imported.rows, imported.branch_id, imported.detail.as_str()), (Some(1), Some(tree.a), "roster.csv"));
    let page = admin.get("/admin/audit").await;
    let rows = table(&page.body);
    for text in [
        "变更账户角色",
        "党员 → 支部书记",
        "new-one@test.example.org → renamed@test.example.org",
        "发送开通账户邀请",
        "roster.csv",
    ] {
        assert!(rows.contains(text), "{text} missing: {rows}");
    }
    assert!(!rows.contains("href=\"//evil.example"), "{rows}");
}

#[tokio::test]
async fn old_entries_and_old_reasons_go_when_their_keeping_time_ends() {
    let (app, tree, s) = setup("书记").await;
    let a = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(3), 120), &[]).await;
    let ca = app.login_linked(Role::Member, a).await;
    ca.post(&format!("/events/{id}/answer"), &[("answer", "leave"), ("reason", "住院治疗")]).await.assert_status(303);
    let (_admin, _) = admin(&app).await;
    let today = app.state.today();
    let old_stretch = chrono::NaiveDate::from_ymd_opt(today.year() - 3, 1, 1).unwrap();
    let exemption = partyday::records::entity::exemption::ActiveModel {
        branch_id: Set(tree.a),
        kind: Set(partyday::events::rules::EventKind::BranchCommitteeMeeting),
        starts_on: Set(old_stretch),
        reason: Set("书记病假".to_owned()),
        account_id: Set(None),
        created_at: Set(app.state.now()),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    assert_eq!(entries(&app).await.iter().filter(|e| e.kind == Kind::AdminSignedIn).count(), 1);

    s.client.get(&format!("/events/{id}/attendance")).await.assert_contains("住院治疗");

    // Two years and a bit later: the reasons go, the answers stay; the sign-in is still kept.
    app.clock.advance(Duration::days(2 * 365 + 30));
    partyday::app::privacy(&app.state).await;
    let row = inv_of(&app, id, a).await;
    assert_eq!((row.answer.key(), row.leave_reason.as_deref()), ("leave_requested", Some("—")));
    let logged = partyday::invitations::log::Entity::find()
        .filter(partyday::invitations::log::Column::InvitationId.eq(row.id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(logged.iter().any(|l| l.what == "answer"), "the answer is still in the log");
    assert!(logged.iter().all(|l| l.note.as_deref().is_none_or(|n| n == "—")), "{logged:?}");
    // Sessions of two years ago have ended: the branch's secretary signs in again.
    let page = app.secretary_of(tree.a).await.get(&format!("/events/{id}/attendance")).await;
    page.assert_status(200).assert_lacks("住院治疗");
    let x = partyday::records::entity::exemption::Entity::find_by_id(exemption.id).one(&app.state.db).await.unwrap();
    assert_eq!(x.unwrap().reason, "—");
    assert_eq!(of_kind(&app, Kind::AdminSignedIn).await.len(), 1, "kept three years");

    // A year more: the entry goes; a new one stays.
    app.clock.advance(Duration::days(365));
    admin(&app).await;
    partyday::app::privacy(&app.state).await;
    let left = of_kind(&app, Kind::AdminSignedIn).await;
    assert_eq!(left.len(), 1);
    assert!(left[0].at > app.state.now() - Duration::days(1), "the new sign-in is the one kept");
    let untouched =
        invitation::Entity::find().filter(invitation::Column::EventId.eq(id)).all(&app.state.db).await.unwrap();
    assert!(untouched.iter().all(|i| i.leave_reason.as_deref().is_none_or(|r| r == "—")));
}
