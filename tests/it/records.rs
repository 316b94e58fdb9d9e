//! Participation records (issue 18): figures checked against a hand-computed fixture (late,
//! leave after the fact, make-up, a transfer between two meetings, a correction after
//! finalising), absence streaks, required meetings, scoping, exports read back, bad periods.
use chrono::Duration;
use partyday::{
    accounts::Role,
    attendance::service::finalise_due,
    branches::Scope,
    members::rules::{Change, MembershipState},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    attendance::{event_row, inv_of, move_to, scheduled, setup, tap},
    helpers::{TestApp, mid_month},
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
    use crate::smtp::{SmtpServer, parts};
    // Five weeks pass: the secretary's session must outlive them. The digest is queued by this
    // test, not by the dispatcher's minute (which could run first on a slow machine).
    let smtp = SmtpServer::start().await;
    let config = format!(
        "{}\n[security]\nsession_idle_hours = 2000\nsession_max_days = 90\n[records]\ndigest = false",
        smtp.config()
    );
    let app = TestApp::spawn_at(mid_month(), &config).await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let z = app.add_member(tree.a, "张三").await;
    let l = app.add_member(tree.a, "李四").await;
    let w = app.add_member(tree.a, "王五").await;
    let t = app.add_member(tree.a, "赵六").await;
    // 田七 is exempt from activities (long illness) from before E1: invited, never counted.
    let x = app.add_member(tree.a, "田七").await;
    let db = &app.state.db;
    let exempt =
        Change { to: MembershipState::Exempt, effective_on: app.state.today(), note: Some("长期病休".into()) };
    partyday::members::service::change_state(db, &Scope::operator(), x, exempt, app.state.now()).await.unwrap();

    // E1: everyone came but 王五 (李四 late).
    let e1 = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let first = event_row(&app, e1).await;
    move_to(&app, first.starts_at + Duration::minutes(5));
    for (m, mark) in [(s.member, "present"), (z, "present"), (l, "late"), (t, "present")] {
        let inv = inv_of(&app, e1, m).await.id;
        assert_eq!(tap(&s.client, e1, inv, mark).await.0, 200);
    }
    // 孙八 joined after the invitations went out and walked in: expected and present.
    let walk_in = app.add_member(tree.a, "孙八").await;
    s.client.post(&format!("/events/{e1}/walk-ins"), &[("member_id", &walk_in.to_string())]).await.assert_status(303);
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

    // The period: from the day before E1 to the day after E2.
    let day =
        |e: &partyday::events::entity::event::Model| e.starts_at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let period =
        format!("period=range&from={}&to={}", day(&first) - Duration::days(1), day(&second) + Duration::days(1));

    // By hand: E1 expected 6 (secretary, 张三, 李四, 王五, 赵六, 孙八 who walked in; not 田七, exempt),
    // present 5 of whom 1 late, absent 1 (王五). E2 expected 5 (孙八 now invited: absent), present
    // 1, on leave 1 (张三), absent 3 (李四, 王五, 孙八).
    // Branch A: expected 11, present 6, late 1, on leave 1, absent 4; make-up done 1 (李四's);
    // attendance 6/11 = 54.5%.
    let page = s.client.get(&format!("/records/branches/{}?{period}", tree.a)).await;
    page.assert_status(200);
    let (_, _, csv) = s.client.download(&format!("/records/branches/{}?{period}&format=csv", tree.a)).await;
    let rows = csv_rows(&csv);
    let row = |name: &str| rows.iter().find(|r| r[0] == name).unwrap_or_else(|| panic!("{name} in {rows:?}")).clone();
    // Columns: member, expected, present, late, on leave, absent, make-up owed, make-up done,
    // rates.
    assert_eq!(row("吴书记")[1..6], ["2", "2", "0", "0", "0"]);
    assert_eq!(row("张三")[1..6], ["2", "1", "0", "1", "0"]);
    assert_eq!(row("李四")[1..6], ["2", "1", "1", "0", "1"]);
    assert_eq!(row("李四")[6..8], ["1", "1"], "{:?}", row("李四"));
    assert_eq!(row("王五")[1..6], ["2", "0", "0", "0", "2"]);
    assert_eq!(row("王五")[8], "0.0%");
    assert_eq!(row("赵六")[1..6], ["1", "1", "0", "0", "0"], "counted for A up to the transfer");
    assert_eq!(row("孙八")[1..6], ["2", "1", "0", "0", "1"], "the walk-in counts as expected and present");
    assert_eq!(row("田七")[1..6], ["0", "0", "0", "0", "0"], "exempt: never expected");
    let admin = app.login_as(Role::Admin).await;
    let (_, _, overview) = admin.download(&format!("/records?{period}&format=csv")).await;
    let overview = csv_rows(&overview);
    let a = overview.iter().find(|r| r[0] == "第一党支部").expect("branch A in the overview");
    // Columns: branch, held, expected, present, late, on leave, absent, make-up owed and done,
    // rates.
    assert_eq!(a[1..7], ["2", "11", "6", "1", "1", "4"]);
    assert_eq!(a[9], "54.5%");
    assert_eq!(overview[0][0], "第一党支部", "ranked first: the only branch with figures");
    // Every member's figures, one row per member and branch (赵六 counted in A until he moved).
    let (_, _, every) = admin.download(&format!("/records/members?{period}&format=csv")).await;
    let every = csv_rows(&every);
    let of = |name: &str| every.iter().find(|r| r[1] == name).unwrap_or_else(|| panic!("{name} in {every:?}")).clone();
    assert_eq!(of("王五")[0..7], ["第一党支部", "王五", "2", "0", "0", "0", "2"]);
    assert_eq!(of("赵六")[0..4], ["第一党支部", "赵六", "1", "1"]);
    let summed: u32 = every.iter().filter(|r| r[0] == "第一党支部").map(|r| r[2].parse::<u32>().unwrap()).sum();
    assert_eq!(summed, 11, "the members' rows add up to the branch's figure");
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
    assert_eq!(
        csv_rows(&sc),
        vec![vec!["王五".to_owned(), "第一党支部".to_owned(), "2".to_owned()]],
        "孙八 missed one month only, under the first threshold; 田七 is exempt"
    );

    // The month's digest: to the secretary of A (王五 at the first threshold), once; nobody is at
    // the last threshold, so no alert to administrators.
    crate::mail::settled(&app).await;
    let before = smtp.received().len();
    let tz = app.state.settings.timezone;
    let queue = || partyday::records::digest::queue(db, app.state.today(), tz, app.state.now());
    assert_eq!(queue().await.unwrap(), 1);
    assert_eq!(queue().await.unwrap(), 0, "once a month");
    let got = smtp.wait_for(before + 1).await;
    crate::mail::settled(&app).await;
    let secretary = partyday::members::service::find_by_id(db, s.member).await.unwrap().unwrap();
    let digest = &got[before];
    assert_eq!(digest.to, vec![secretary.email.unwrap()]);
    let text = parts(&digest.data).remove("text/plain").expect("a text part").0;
    assert!(text.contains("王五") && text.contains("连续 2 个月") && !text.contains("孙八"), "{text}");
    assert!(text.contains("/records/streaks"), "{text}");
    assert_eq!(smtp.received().len(), before + 1);

    // Charts: the branch's monthly trend (a row per month: its name, its bar, its rate and
    // counts as text; the table right under it) and the member's year, day by day.
    let page = s.client.get(&format!("/records/branches/{}?{period}", tree.a)).await;
    assert!(page.body.contains("<ol class=\"hbars\">") && page.body.contains("<details class=\"chart-data\">"));
    assert!(
        page.body.contains("<span class=\"hbar-value\">83.3% <small>5/6</small></span>"),
        "E1's month: {}",
        page.body
    );
    let year_of_e2 = day(&second).format("%Y").to_string();
    let heat = s.client.get(&format!("/records/members/{w}?period=year&year={year_of_e2}")).await;
    heat.assert_status(200);
    assert!(heat.body.contains(&format!("{} ", day(&second))) && heat.body.contains("day absent"), "{}", heat.body);

    // The half-yearly ledger of E2's half: members by events, marks and totals, read back.
    let half = if day(&second).format("%m").to_string().parse::<u32>().unwrap() <= 6 { 1 } else { 2 };
    let ledger = format!("/records/branches/{}/ledger?year={year_of_e2}&n={half}", tree.a);
    s.client.get(&ledger).await.assert_status(200).assert_contains("王五").assert_contains("×");
    let (_, _, sheet) = s.client.download(&format!("{ledger}&format=csv")).await;
    let sheet = csv_rows(&sheet);
    let wang = sheet.iter().find(|r| r[0] == "王五").unwrap();
    assert_eq!(wang.last().map(String::as_str), Some("0"), "no make-up: {wang:?}");
    let li = sheet.iter().find(|r| r[0] == "李四").unwrap();
    assert!(li.iter().any(|c| c == "补"), "李四 made up E2: {li:?}");
    assert!(!sheet.iter().any(|r| r[0] == "田七" && r.iter().skip(1).any(|c| c == "×")), "exempt: no marks");

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
    // 赵六 moved to B: its secretary reads his outcome at A's meeting as a count, not the meeting.
    let moved = other.get(&format!("/records/members/{t}?{period}")).await;
    moved.assert_status(200).assert_contains("另有 1 次其他支部举办的活动");
    assert!(!moved.body.contains(&format!("href=\"/events/{e1}\"")), "{}", moved.body);
    let admin = app.login_as(Role::Admin).await;
    let whole = admin.get(&format!("/records/members/{t}?{period}")).await;
    assert!(whole.body.contains(&format!("href=\"/events/{e1}\"")) && !whole.body.contains("另有"), "{}", whole.body);
    let member = app.login_linked(Role::Member, w).await;
    member.get(&format!("/records/members/{z}")).await.assert_status(404);
    member.get("/records/streaks").await.assert_status(404);
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

fn send(f: &[(String, String)]) -> Vec<(&str, &str)> {
    f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// The first day of the quarter `day` is in.
fn quarter_start(day: chrono::NaiveDate) -> chrono::NaiveDate {
    use chrono::Datelike;
    chrono::NaiveDate::from_ymd_opt(day.year(), (day.month() - 1) / 3 * 3 + 1, 1).unwrap()
}

#[tokio::test]
async fn exemptions_rules_and_what_is_due_on_the_secretary_home_page() {
    use chrono::Datelike;
    use partyday::forms::Choice;
    // What is due is this month's and this quarter's: the clock starts mid-month, so that the
    // events planned hours ahead are in them.
    let app = TestApp::spawn_at(mid_month(), "").await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let today = app.state.today();
    let (q, year) = (quarter_start(today).to_string(), today.year());
    let grid = format!("/records/compliance?kind=party_lecture&year={year}");

    // Nothing held yet: the home page lists this month's theme party day and this quarter's
    // party lecture; a scheduled theme party day shows as planned, with its link.
    let home = s.client.get("/").await;
    home.assert_status(200).assert_contains("本期尚未召开的规定会议").assert_contains("党课");
    let planned = scheduled(&app, &s.client, tree.a, (Duration::hours(2), 60), &[]).await;
    // The due list's own link (the secretary is invited too: the event is also under "coming").
    let planned_link = |id: i64| format!("<a href=\"/events/{id}\">已安排</a>");
    s.client.get("/").await.assert_contains(&planned_link(planned));
    // Cancelled, it plans nothing: the month's theme party day is due again.
    let dropped = scheduled(&app, &s.client, tree.a, (Duration::hours(3), 60), &[]).await;
    s.client.post(&format!("/events/{planned}/cancel"), &[("reason", "改期")]).await.assert_status(303);
    let home = s.client.get("/").await;
    assert!(!home.body.contains(&format!("href=\"/events/{planned}\"")), "{}", home.body);
    home.assert_contains(&planned_link(dropped));
    s.client.post(&format!("/events/{dropped}/cancel"), &[("reason", "改期")]).await.assert_status(303);
    let home = s.client.get("/").await;
    assert!(home.body.contains("主题党日") && !home.body.contains(&format!("href=\"/events/{dropped}\"")));

    // Exempting the quarter's party lecture: a reason is required; then it is recorded once.
    let form = |reason: &'static str| {
        vec![
            ("unit", tree.a.to_string()),
            ("kind", "party_lecture".into()),
            ("from", q.clone()),
            ("reason", reason.into()),
        ]
    };
    let post = |fields: Vec<(&'static str, String)>| {
        let c = &s.client;
        async move {
            let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.post("/records/compliance/exempt", &pairs).await
        }
    };
    post(form("  ")).await.assert_status(422).assert_contains("此项为必填项");
    // Control characters would be served raw on the grid and in its CSV: refused, nothing stored.
    for reason in ["合并\u{0}召开", "合并\u{1b}[31m召开", "合并\u{7f}", "合并召开\u{FFFF}"] {
        post(form(reason)).await.assert_status(422).assert_contains("包含不允许的字符");
    }
    // A stretch in year 1 is no stretch a document can print.
    let mut ancient = form("古");
    ancient[2].1 = "0001-01-01".into();
    post(ancient).await.assert_status(400);
    assert!(!s.client.get(&grid).await.body.contains("class=\"exempted\""), "nothing stored");
    post(form("与支部党员大会合并召开")).await.assert_redirect_to(&grid);
    let page = s.client.get(&grid).await;
    // The reason is read, not hovered: a numbered mark in the cell, the note under the grid.
    let x = partyday::records::entity::exemption::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    page.assert_contains("class=\"exempted\"")
        .assert_contains(&format!("aria-describedby=\"note-{}\">已豁免<sup>1</sup></a>", x.id))
        .assert_contains(&format!("<li id=\"note-{}\">第一党支部 · ", x.id))
        .assert_contains("季度：与支部党员大会合并召开</li>");
    assert!(!page.body.contains("title=\"与支部党员大会合并召开\""), "not only a tooltip");
    post(form("again")).await.assert_status(422).assert_contains("该时段已有豁免");
    let (_, _, sheet) = s.client.download(&format!("{grid}&format=csv")).await;
    assert!(csv_rows(&sheet)[0].iter().any(|c| c == "已豁免 (与支部党员大会合并召开)"), "{:?}", csv_rows(&sheet));
    let home = s.client.get("/").await;
    assert!(!home.body.contains("党课"), "exempted: no longer due: {}", home.body);

    // Not a stretch's first day, an unknown unit or type: refused, nothing stored.
    let mut bad = form("x");
    bad[2].1 = format!("{year}-11-15");
    post(bad).await.assert_status(400);
    let mut unknown = form("x");
    unknown[0].1 = "999999999".into();
    post(unknown).await.assert_status(404);
    let mut not_required = form("x");
    not_required[1].1 = "volunteer_service".into();
    post(not_required).await.assert_status(400);
    // Another branch's secretary and a member can neither see nor record it.
    let other = app.secretary_of(tree.b).await;
    other
        .get(&format!("/records/compliance/exempt?unit={}&kind=party_lecture&from={q}", tree.a))
        .await
        .assert_status(404);
    let member = app.login_linked(Role::Member, app.add_member(tree.a, "张三").await).await;
    member
        .get(&format!("/records/compliance/exempt?unit={}&kind=party_lecture&from={q}", tree.a))
        .await
        .assert_status(404);
    let x = partyday::records::entity::exemption::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    other.post(&format!("/records/compliance/exemptions/{}/delete", x.id), &[]).await.assert_status(404);
    // Withdrawn by the secretary: due again.
    s.client.post(&format!("/records/compliance/exemptions/{}/delete", x.id), &[]).await.assert_redirect_to(&grid);
    assert!(!s.client.get(&grid).await.body.contains("class=\"exempted\""));
    assert!(s.client.get("/").await.body.contains("党课"));
    // The withdrawal is kept: who, when and the reason it had, on the stretch's page.
    let stretch =
        s.client.get(&format!("/records/compliance/exempt?unit={}&kind=party_lecture&from={q}", tree.a)).await;
    stretch
        .assert_status(200)
        .assert_contains("已撤销的豁免")
        .assert_contains(" 于 2026-")
        .assert_contains("撤销，原豁免理由：与支部党员大会合并召开");
    let title = stretch.body.split("</title>").next().unwrap();
    assert!(!title.contains("已撤销"), "the list stays out of the page's title: {title}");

    // The rules: administrators only; bad thresholds change nothing; saved ones apply at once.
    s.client.get("/records/rules").await.assert_status(403);
    s.client.post("/records/rules", &[("t1", "1")]).await.assert_status(403);
    let plain = app.add_member(tree.a, "普通党员").await;
    app.login_linked(Role::Member, plain).await.get("/records/rules").await.assert_status(404);
    let admin = app.login_as(Role::Admin).await;
    let page = admin.get("/records/rules").await;
    page.assert_status(200).assert_contains("name=\"every.party_lecture\"");
    let mut fields: Vec<(String, String)> = partyday::events::rules::EventKind::ALL
        .iter()
        .map(|k| {
            let every = match k.key() {
                "theme_party_day" | "branch_committee_meeting" | "party_group_meeting" => "1",
                "branch_general_meeting" => "3",
                "organisational_life_meeting" => "12",
                _ => "0",
            };
            (format!("every.{}", k.key()), every.to_owned())
        })
        .collect();
    fields.extend([("t1".into(), "5".into()), ("t2".into(), "3".into()), ("t3".into(), "6".into())]);
    let version = |body: &str| {
        body.split("name=\"version\" value=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .replace("&#61;", "=")
            .replace("&#59;", ";")
    };
    let opened = version(&page.body);
    fields.push(("version".into(), opened.clone()));
    admin.post("/records/rules", &send(&fields)).await.assert_status(422).assert_contains("每一级阈值须大于前一级");
    admin.get("/records/streaks").await.assert_contains("连续 2 个月");
    for (k, v) in fields.iter_mut() {
        match k.as_str() {
            "t1" => *v = "1".into(),
            "t2" => *v = "3".into(),
            _ => {}
        }
    }
    admin.post("/records/rules", &send(&fields)).await.assert_redirect_to("/records/rules");
    admin.get("/records/streaks").await.assert_contains("连续 1 个月");
    // A second administrator's form opened before that save is stale: nothing changes, both
    // the saved rules and what they chose are shown.
    let other = app.login_as(Role::Admin).await;
    for (k, v) in fields.iter_mut() {
        if k == "t1" {
            *v = "2".into();
        }
    }
    let stale = other.post("/records/rules", &send(&fields)).await;
    stale.assert_status(409).assert_contains("您打开本页之后，规则已被修改").assert_contains("value=\"2\"");
    admin.get("/records/streaks").await.assert_contains("连续 1 个月");
    // Saved again from that page, it is based on the rules as they are now.
    let current = version(&stale.body);
    assert_ne!(current, opened);
    fields.retain(|(k, _)| k != "version");
    fields.push(("version".into(), current));
    other.post("/records/rules", &send(&fields)).await.assert_redirect_to("/records/rules");
    admin.get("/records/streaks").await.assert_contains("连续 2 个月");
    admin.get(&grid).await.assert_status(400);
    let home = s.client.get("/").await;
    assert!(!home.body.contains("党课") && home.body.contains("主题党日"), "party lectures are no longer required");
}

#[tokio::test]
async fn the_digest_is_queued_once_by_concurrent_instances_and_alerts_administrators_at_the_last_threshold() {
    // Three months pass.
    let app = TestApp::spawn_at(mid_month(), "[security]\nsession_idle_hours = 3000\nsession_max_days = 120\n[records]\ndigest = false\n[workers]\ndispatcher = false").await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let w = app.add_member(tree.a, "王五").await;
    let admin = app.create_account(Role::Admin, "digest-admin@test.example.org").await;
    let db = &app.state.db;
    // Thresholds 1, 2, 3: three months of absence reach the alert.
    let mut rules = partyday::records::rules::RecordRules::default();
    rules.thresholds = [1, 2, 3];
    let current = partyday::records::service::rules(db).await.unwrap().version();
    partyday::records::service::save_rules(db, &Scope::operator(), &rules, &current, app.state.now()).await.unwrap();
    for i in 0..3 {
        let id = scheduled(&app, &s.client, tree.a, (Duration::days(if i == 0 { 1 } else { 31 }), 60), &[]).await;
        if i == 2 {
            // Leave asked for and rejected: still an absence without leave.
            let inv = inv_of(&app, id, w).await.id;
            let own = app.login_linked(Role::Member, w).await;
            own.post(&format!("/events/{id}/answer"), &[("answer", "leave"), ("reason", "家中有事")])
                .await
                .assert_status(303);
            s.client
                .post(&format!("/events/{id}/attendance/{inv}/leave"), &[("decision", "reject"), ("note", "请参加")])
                .await
                .assert_status(303);
        }
        let e = event_row(&app, id).await;
        move_to(&app, e.starts_at + Duration::minutes(5));
        assert_eq!(tap(&s.client, id, inv_of(&app, id, s.member).await.id, "present").await.0, 200);
        end(&app, id).await;
    }
    let tz = app.state.settings.timezone;
    let (today, now) = (app.state.today(), app.state.now());
    let (a, b) = tokio::join!(
        partyday::records::digest::queue(db, today, tz, now),
        partyday::records::digest::queue(db, today, tz, now)
    );
    let admins = partyday::accounts::entity::account::Entity::find()
        .filter(partyday::accounts::entity::account::Column::Role.eq(Role::Admin))
        .all(db)
        .await
        .unwrap();
    assert!(admins.iter().any(|a| a.id == admin));
    assert_eq!(a.unwrap() + b.unwrap(), 1 + admins.len(), "the secretary's and each administrator's alert, once");
    let rows = partyday::outbox::entity::outbox::Entity::find()
        .filter(partyday::outbox::entity::outbox::Column::Kind.eq("digest"))
        .all(db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1 + admins.len());
    let to_admin = rows.iter().find(|r| r.recipient == "digest-admin@test.example.org").expect("the alert");
    let said: partyday::records::digest::Digest = serde_json::from_str(to_admin.payload.as_deref().unwrap()).unwrap();
    assert!(said.alert_only && said.rows.len() == 1 && said.rows[0].member_id == w && said.rows[0].months == 3);
    // Sent through the dispatcher as a message of its own (no event, no calendar part).
    let transport = partyday::mail::Transport::from_settings(&app.state.settings).unwrap();
    let pass = partyday::mail::service::dispatch::dispatch_once(&app.state.mailer(), &transport).await.unwrap();
    assert!(pass.sent >= rows.len(), "{pass:?}");
    assert_eq!(partyday::records::digest::queue(db, today, tz, now).await.unwrap(), 0);
}

#[tokio::test]
async fn the_event_clock_runs_the_digest_pass_at_start_up() {
    // No dispatcher on this instance: the month is recorded (and its digest queued, here to
    // nobody) by the event clock's first pass.
    let app = TestApp::spawn_with("[workers]\ndispatcher = false\nevent_clock = true").await;
    let month = app.state.today().format("%Y-%m").to_string();
    let waited = std::time::Instant::now();
    loop {
        let run =
            partyday::records::entity::digest_run::Entity::find_by_id(month.clone()).one(&app.state.db).await.unwrap();
        if run.is_some() {
            break;
        }
        assert!(waited.elapsed() < std::time::Duration::from_secs(20), "the event clock never ran the digest pass");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let tz = app.state.settings.timezone;
    let again = partyday::records::digest::queue(&app.state.db, app.state.today(), tz, app.state.now());
    assert_eq!(again.await.unwrap(), 0, "once a month");
}

#[tokio::test]
async fn two_administrators_saving_the_rules_from_one_form_one_succeeds_and_the_other_is_told() {
    use partyday::records::{rules::RecordRules, service};
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let (now, admin) = (app.state.now(), Scope::operator());
    for round in 0..5u32 {
        // Both forms show the rules as they are; each chooses other thresholds.
        let (mut a, mut b) = (RecordRules::default(), RecordRules::default());
        a.thresholds = [1, 3, 5 + round];
        b.thresholds = [3, 6, 8 + round];
        let shown = service::rules(db).await.unwrap().version();
        let (x, y) = tokio::join!(
            service::save_rules(db, &admin, &a, &shown, now),
            service::save_rules(db, &admin, &b, &shown, now)
        );
        let saved = service::rules(db).await.unwrap();
        match (x, y) {
            (Ok(()), Err(service::RecordsError::Stale(now))) => assert!(saved == a && *now == a, "{saved:?}"),
            (Err(service::RecordsError::Stale(now)), Ok(())) => assert!(saved == b && *now == b, "{saved:?}"),
            other => panic!("exactly one save must win: {other:?}"),
        }
    }
}

/// A streak is the run of months, newest first, with an absence without leave or make-up, up
/// to the last month the member was expected and not so absent: leave in a month ends the run,
/// an absence counts for its month even when the member came to another activity that month, and
/// what happened before the twelve months is not read. Recorded after the fact (补录), one
/// activity a month from December 2025 to April 2026 (two in April), one in March 2025.
#[tokio::test]
async fn a_streak_is_the_absent_months_after_the_last_month_attended() {
    let app = TestApp::spawn_at(mid_month(), "").await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let mut ids = Vec::new();
    for name in ["甲", "乙", "丙", "丁", "戊"] {
        ids.push(app.add_member(tree.a, name).await);
    }
    crate::held::members_since_2024(&app).await;
    // Each member's marks at the activities below, in their order (p present, l late, e on
    // leave, a absent).
    let days = ["2025-03-14", "2025-12-15", "2026-01-15", "2026-02-16", "2026-03-16", "2026-04-15", "2026-04-20"];
    let marks = [
        "papaaaa", // 甲: present in January, then absent: February to April, 3
        "paaaaaa", // 乙: present only before the twelve months: December to April, 5
        "paaaeaa", // 丙: on leave in March: April, 1 (under the first threshold)
        "ppaaaap", // 丁: came to April's second activity, missed its first: January to April, 4
        "paaaall", // 戊: late twice in April, a month attended: none
    ];
    for (k, day) in days.iter().enumerate() {
        let mut f: Vec<(String, String)> = [
            ("branch_id", tree.a.to_string()),
            ("kind", "theme_party_day".into()),
            ("title", format!("主题党日 {day}")),
            ("starts_at", format!("{day}T14:30")),
            ("ends_at", format!("{day}T16:30")),
            ("statuses", "full".into()),
            ("statuses", "probationary".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        f.push((format!("att_{}", s.member), "present".to_owned()));
        for (id, m) in ids.iter().zip(marks) {
            let mark = match m.as_bytes()[k] {
                b'p' => "present",
                b'l' => "late",
                b'e' => "leave",
                _ => "absent",
            };
            f.push((format!("att_{id}"), mark.to_owned()));
            f.push((format!("reason_{id}"), if mark == "leave" { "出差".to_owned() } else { String::new() }));
        }
        crate::events::post(&s.client, "/events/held", &f).await.assert_status(303);
    }
    let (_, _, csv) = s.client.download("/records/streaks?format=csv").await;
    let row = |name: &str, n: &str| vec![name.to_owned(), "第一党支部".to_owned(), n.to_owned()];
    assert_eq!(csv_rows(&csv), vec![row("乙", "5"), row("丁", "4"), row("甲", "3")]);
    let page = s.client.get("/records/streaks").await;
    page.assert_status(200).assert_contains(">乙</a>").assert_contains(">丁</a>").assert_contains(">甲</a>");
    assert!(!page.body.contains(">丙</a>") && !page.body.contains(">戊</a>"), "{}", page.body);
}
