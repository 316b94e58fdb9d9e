//! Participation records (issue 18): figures checked against a hand-computed fixture (late,
//! leave after the fact, make-up, a transfer between two meetings, a correction after
//! finalising), absence streaks, required meetings, scoping, exports read back, bad periods.
use chrono::Duration;
use partyday::{accounts::Role, attendance::service::finalise_due, branches::Scope, members::rules::Change};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    attendance::{event_row, inv_of, move_to, scheduled, setup, tap},
    helpers::TestApp,
};

/// The figures row of a member in a branch page's CSV export: expected, present, late, on
/// leave, absent, make-up done/owed, attendance rate.
fn csv_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bytes).unwrap().trim_start_matches('\u{feff}');
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

/// Ends an event: the clock moves past its end and finalising runs.
async fn end(app: &TestApp, id: i64) {
    let e = event_row(app, id).await;
    move_to(app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
}

#[tokio::test]
async fn figures_streaks_and_required_meetings_match_a_hand_computed_fixture() {
    // Five weeks pass: the secretary's session must outlive them.
    let app = TestApp::spawn_with("[security]\nsession_idle_hours = 2000\nsession_max_days = 90").await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let z = app.add_member(tree.a, "张三").await;
    let l = app.add_member(tree.a, "李四").await;
    let w = app.add_member(tree.a, "王五").await;
    let t = app.add_member(tree.a, "赵六").await;
    let db = &app.state.db;

    // E1: everyone came but 王五 (李四 late).
    let e1 = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let first = event_row(&app, e1).await;
    move_to(&app, first.starts_at + Duration::minutes(5));
    for (m, mark) in [(s.member, "present"), (z, "present"), (l, "late"), (t, "present")] {
        let inv = inv_of(&app, e1, m).await.id;
        assert_eq!(tap(&s.client, e1, inv, mark).await.0, 200);
    }
    end(&app, e1).await;

    // 赵六 moves to the other branch before E2.
    let moved_on = (first.starts_at + Duration::days(2)).with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    move_to(&app, first.starts_at + Duration::days(3));
    let change = Change { to: tree.b, effective_on: moved_on, note: None };
    partyday::members::service::transfer(db, &Scope::operator(), t, change, app.state.now()).await.unwrap();

    // E2, five weeks later: the secretary came; 张三 was excused afterwards; 李四 and 王五 were
    // absent; 李四 did the make-up study.
    let e2 = scheduled(&app, &s.client, tree.a, (Duration::days(32), 60), &[]).await;
    let second = event_row(&app, e2).await;
    move_to(&app, second.starts_at + Duration::minutes(5));
    assert_eq!(tap(&s.client, e2, inv_of(&app, e2, s.member).await.id, "present").await.0, 200);
    end(&app, e2).await;
    let mark = |inv: i64| format!("/events/{e2}/attendance/{inv}/mark");
    let z2 = inv_of(&app, e2, z).await.id;
    s.client.post(&mark(z2), &[("mark", "excused"), ("note", "出差，事后补假")]).await.assert_status(303);
    let l2 = inv_of(&app, e2, l).await.id;
    let today = app.state.today();
    s.client
        .post(&format!("/events/{e2}/attendance/{l2}/makeup"), &[("done_on", &today.to_string()), ("note", "补学")])
        .await
        .assert_status(303);
    assert!(
        partyday::events::entity::invitation::Entity::find()
            .filter(partyday::events::entity::invitation::Column::EventId.eq(e2))
            .filter(partyday::events::entity::invitation::Column::MemberId.eq(t))
            .one(db)
            .await
            .unwrap()
            .is_none(),
        "赵六 was not invited to E2"
    );

    // The period: from the day before E1 to the day after E2 (it may cross a year).
    let day =
        |e: &partyday::events::entity::event::Model| e.starts_at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let period =
        format!("period=range&from={}&to={}", day(&first) - Duration::days(1), day(&second) + Duration::days(1));

    // By hand: E1 expected 5 (secretary, 张三, 李四, 王五, 赵六), present 4 of whom 1 late,
    // absent 1 (王五). E2 expected 4, present 1, on leave 1 (张三), absent 2 (李四, 王五).
    // Branch A: expected 9, present 5, late 1, on leave 1, absent 3; make-up done 1 (李四's);
    // attendance 5/9 = 55.6%.
    let page = s.client.get(&format!("/records/branches/{}?{period}", tree.a)).await;
    page.assert_status(200);
    let (_, _, csv) = s.client.download(&format!("/records/branches/{}?{period}&format=csv", tree.a)).await;
    let rows = csv_rows(&csv);
    let row = |name: &str| rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name} in {rows:?}")).clone();
    // Columns: member, expected, present, late, on leave, absent, make-up done/owed, rates.
    assert_eq!(row("吴书记")[1..6], ["2", "2", "0", "0", "0"]);
    assert_eq!(row("张三")[1..6], ["2", "1", "0", "1", "0"]);
    assert_eq!(row("李四")[1..6], ["2", "1", "1", "0", "1"]);
    assert!(row("李四")[6].starts_with("1/"), "{:?}", row("李四"));
    assert_eq!(row("王五")[1..6], ["2", "0", "0", "0", "2"]);
    assert_eq!(row("王五")[7], "0.0%");
    assert_eq!(row("赵六")[1..6], ["1", "1", "0", "0", "0"], "counted for A up to the transfer");
    let admin = app.login_as(Role::Admin).await;
    let (_, _, overview) = admin.download(&format!("/records?{period}&format=csv")).await;
    let overview = csv_rows(&overview);
    let a = overview.iter().find(|r| r[0] == "第一党支部").expect("branch A in the overview");
    // Columns: branch, held, expected, present, late, on leave, absent, make-up, rates.
    assert_eq!(a[1..7], ["2", "9", "5", "1", "1", "3"]);
    assert_eq!(a[8], "55.6%");
    assert_eq!(overview[0][0], "第一党支部", "ranked first: the only branch with figures");
    // Every member's figures, one row per member and branch (赵六 counted in A until he moved).
    let (_, _, every) = admin.download(&format!("/records/members?{period}&format=csv")).await;
    let every = csv_rows(&every);
    let of = |name: &str| every.iter().find(|r| r[1] == name).unwrap_or_else(|| panic!("{name} in {every:?}")).clone();
    assert_eq!(of("王五")[0..7], ["第一党支部", "王五", "2", "0", "0", "0", "2"]);
    assert_eq!(of("赵六")[0..4], ["第一党支部", "赵六", "1", "1"]);
    let summed: u32 = every.iter().filter(|r| r[0] == "第一党支部").map(|r| r[2].parse::<u32>().unwrap()).sum();
    assert_eq!(summed, 9, "the members' rows add up to the branch's figure");
    // 赵六's own record: E1 only.
    let own = app.login_linked(Role::Member, t).await;
    own.get("/records").await.assert_redirect_to(&format!("/records/members/{t}"));
    for page in ["/me", "/attendance/mine"] {
        own.get(page).await.assert_contains(&format!("href=\"/records/members/{t}\""));
    }
    let mine = own.get(&format!("/records/members/{t}?{period}")).await;
    mine.assert_status(200);
    assert!(mine.body.contains(&format!("/events/{e1}")) && !mine.body.contains(&format!("/events/{e2}\"")));

    // Streaks: 王五 missed two months running without leave or make-up; 李四 made up, 张三 was
    // excused.
    let streaks = s.client.get("/records/streaks").await;
    streaks.assert_status(200);
    assert!(
        streaks.body.contains("王五") && !streaks.body.contains("李四") && !streaks.body.contains("张三"),
        "{}",
        streaks.body
    );
    let (_, _, sc) = s.client.download("/records/streaks?format=csv").await;
    assert_eq!(csv_rows(&sc), vec![vec!["王五".to_owned(), "第一党支部".to_owned(), "2".to_owned()]]);

    // Required meetings: E1's month shows held, with its link.
    let year = day(&first).format("%Y").to_string();
    let grid = s.client.get(&format!("/records/compliance?kind=theme_party_day&year={year}")).await;
    grid.assert_status(200);
    assert!(grid.body.contains(&format!("href=\"/events/{e1}\"")), "{}", grid.body);
    let (_, _, sheet) =
        s.client.download(&format!("/records/compliance?kind=theme_party_day&year={year}&format=csv")).await;
    let sheet = csv_rows(&sheet);
    assert_eq!(sheet.len(), 1, "the secretary's one branch: {sheet:?}");
    assert!(sheet[0].iter().any(|c| c == "已开展 (1)"), "{sheet:?}");

    // Scoping: another branch's secretary sees none of it; a member sees only their own record.
    let other = app.secretary_of(tree.b).await;
    other.get(&format!("/records/branches/{}?{period}", tree.a)).await.assert_status(404);
    other.get(&format!("/records/members/{w}")).await.assert_status(404);
    assert!(!other.get("/records/streaks").await.body.contains("王五"));
    assert!(!other.get(&format!("/records?{period}")).await.body.contains("第一党支部"));
    let member = app.login_linked(Role::Member, w).await;
    member.get(&format!("/records/members/{z}")).await.assert_status(404);
    member.get("/records/streaks").await.assert_status(403);
    member.get(&format!("/records/branches/{}", tree.a)).await.assert_status(404);
    app.client().get("/records").await.assert_status(303);
}

#[tokio::test]
async fn bad_periods_and_unknown_things_get_a_message_or_404_never_a_500() {
    let (_app, tree, s) = setup("吴书记").await;
    let branch = format!("/records/branches/{}", tree.a);
    for (query, message) in [
        ("period=range&from=2026-05-01&to=2026-04-01", "结束日期早于开始日期"),
        ("period=range&from=2020-01-01&to=2026-01-01", "不能超过五年"),
        ("period=range&from=2026-02-30&to=2026-03-01", "日期"),
        ("period=year&year=abc", "请填写年份"),
        ("period=month&year=2026&n=13", "选择"),
        ("period=decade", "选择"),
    ] {
        let resp = s.client.get(&format!("{branch}?{query}")).await;
        resp.assert_status(422);
        assert!(resp.body.contains(message), "{query}: {}", resp.body);
    }
    s.client.get(&format!("{branch}?format=pdf")).await.assert_status(400);
    s.client.get("/records/branches/999999999").await.assert_status(404);
    s.client.get(&format!("/records/branches/{}", tree.a_group)).await.assert_status(404);
    s.client.get("/records/members/999999999").await.assert_status(404);
    s.client.get("/records/compliance?kind=volunteer_service").await.assert_status(400);
    s.client.get("/records/compliance?year=99999").await.assert_status(400);
    s.client.get("/records?period=range&from=x&to=y").await.assert_status(422);
}
