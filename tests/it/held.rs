//! Recording an activity that already took place (补录, issue 28 point 1): that day's roster with
//! each member's outcome, guests, agenda and the non-voting count in one step; no mail at all; the
//! report drafted at once with the real date; records and compliance count it; a draft or a new
//! event typed with a past time leads to the held form with what was typed kept.
use chrono::{Duration, NaiveDate};
use partyday::{
    accounts::Role,
    events::{
        entity::{agenda, change, event, guest, invitation},
        rules::EventState,
    },
    invitations::{Answer, Outcome, Role as InviteeRole},
    members::entity::period,
    outbox::entity::outbox,
    reports::{rules::ReportState, service as reports},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, sea_query::Expr};

use crate::{
    attendance::{Staff, draft, event_row, move_to, staff},
    helpers::{Resp, TestApp, Tree, mid_month},
};

/// Everyone on the rolls today was on them since 2024: a branch that began using Partyday today
/// with its members' real dates.
pub(crate) async fn members_since_2024(app: &TestApp) {
    period::Entity::update_many()
        .col_expr(period::Column::FromOn, Expr::value(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
}

async fn setup() -> (TestApp, Tree, Staff) {
    let app = TestApp::spawn_at(mid_month(), "").await;
    let tree = app.seed_tree().await;
    let s = staff(&app, tree.a, "吴书记").await;
    (app, tree, s)
}

/// The held form's fields for branch `a`, on 20 November 2025 from 14:30 to 16:30 (Beijing).
fn held_form(branch: i64, marks: &[(i64, &str, &str)], extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("branch_id", branch.to_string()),
        ("kind", "theme_party_day".into()),
        ("title", "十一月主题党日".into()),
        ("topic", "学习贯彻全会精神".into()),
        ("starts_at", "2025-11-20T14:30".into()),
        ("ends_at", "2025-11-20T16:30".into()),
        ("location", "三楼会议室".into()),
        ("statuses", "full".into()),
        ("statuses", "probationary".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (id, mark, reason) in marks {
        f.push((format!("att_{id}"), (*mark).to_owned()));
        f.push((format!("reason_{id}"), (*reason).to_owned()));
    }
    for (k, v) in extra {
        f.retain(|(key, _)| key != k);
        f.push(((*k).to_owned(), (*v).to_owned()));
    }
    f
}

async fn post(client: &crate::helpers::Client, path: &str, fields: &[(String, String)]) -> Resp {
    crate::events::post(client, path, fields).await
}

async fn outbox_rows(app: &TestApp) -> u64 {
    outbox::Entity::find().count(&app.state.db).await.unwrap()
}

async fn events_count(app: &TestApp) -> u64 {
    event::Entity::find().count(&app.state.db).await.unwrap()
}

async fn invitation_of(app: &TestApp, event: i64, member: i64) -> invitation::Model {
    invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event))
        .filter(invitation::Column::MemberId.eq(member))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("member {member} has a row"))
}

#[tokio::test]
async fn a_past_activity_is_recorded_with_that_days_roster_and_its_report_drafted_at_once() {
    let (app, tree, s) = setup().await;
    let zhang = app.add_member(tree.a, "张三").await;
    let li = app.add_member(tree.a, "李四").await;
    let wang = app.add_member(tree.a, "王五").await;
    let zhao = app.add_member(tree.a, "赵六").await;
    members_since_2024(&app).await;
    // 孙八 joined today: not on the roll of last November.
    let sun = app.add_member(tree.a, "孙八").await;
    let mail_before = outbox_rows(&app).await;

    // The events list offers it; the form starts empty of people until a date is typed.
    s.client.get("/events").await.assert_contains("href=\"/events/held/new\"").assert_contains("补录活动");
    let blank = s.client.get("/events/held/new").await;
    blank.assert_status(200).assert_contains("请先填写开始时间");
    // That day's roster: the branch's members on 20 November 2025, by name.
    let mut ask = held_form(tree.a, &[], &[]);
    ask.push(("action".into(), "roster".into()));
    let roster = post(&s.client, "/events/held", &ask).await;
    roster.assert_status(200);
    for name in ["吴书记", "张三", "李四", "王五", "赵六"] {
        roster.assert_contains(&format!("<legend>{name}</legend>"));
    }
    assert!(!roster.body.contains("<legend>孙八</legend>"), "not a member that day");
    assert_eq!(events_count(&app).await, 0, "showing the roster saves nothing");

    let marks = [
        (s.member, "present", ""),
        (zhang, "present", ""),
        (li, "late", ""),
        (wang, "leave", "出差"),
        (zhao, "absent", "不该记下"),
    ];
    let extra = [
        ("host_member_id", s.member.to_string()),
        ("recorder_member_id", zhang.to_string()),
        ("guest_name", "刘处长".into()),
        ("guest_organisation", "区卫健委".into()),
        ("guest_title", "处长".into()),
        ("guest_role", "leader".into()),
        ("agenda_title", "学习全会精神".into()),
        ("agenda_presenter", "吴书记".into()),
        ("agenda_minutes", "60".into()),
        ("non_voting_count", "50".into()),
        ("non_voting_approx", "1".into()),
        ("non_voting_note", "各会员单位党务工作者".into()),
    ];
    let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = post(&s.client, "/events/held", &held_form(tree.a, &marks, &extra)).await;
    saved.assert_status(303);
    let id: i64 = saved.location().trim_start_matches("/events/").parse().unwrap();

    // Ended and settled as the clock would leave it, at once.
    let e = event_row(&app, id).await;
    assert_eq!(e.state, EventState::Ended);
    assert!(e.finalised_at.is_some());
    assert_eq!((e.non_voting_count, e.non_voting_approx), (Some(50), true));
    assert_eq!(e.non_voting_note.as_deref(), Some("各会员单位党务工作者"));
    assert_eq!(e.starts_at.to_rfc3339(), "2025-11-20T06:30:00+00:00");
    let rows = invitation::Entity::find().filter(invitation::Column::EventId.eq(id)).all(&app.state.db).await.unwrap();
    assert_eq!(rows.len(), 6, "five members and the guest: {rows:?}");
    let z = invitation_of(&app, id, zhang).await;
    assert_eq!((z.answer, z.outcome, z.makeup_required), (Answer::Accepted, Some(Outcome::Present), false));
    assert_eq!(invitation_of(&app, id, li).await.outcome, Some(Outcome::Late));
    let w = invitation_of(&app, id, wang).await;
    assert_eq!(
        (w.answer, w.outcome, w.leave_reason.as_deref()),
        (Answer::LeaveApproved, Some(Outcome::Excused), Some("出差"))
    );
    assert!(w.makeup_required && w.leave_decided_by.is_some());
    let a = invitation_of(&app, id, zhao).await;
    assert_eq!((a.outcome, a.leave_reason.as_deref(), a.makeup_required), (Some(Outcome::Absent), None, true));
    assert!(rows.iter().all(|r| r.member_id != Some(sun)));
    let g = rows.iter().find(|r| r.guest_id.is_some()).expect("the guest's row");
    assert_eq!((g.role, g.outcome), (InviteeRole::Leader, Some(Outcome::Present)));
    let guests = guest::Entity::find().filter(guest::Column::EventId.eq(id)).count(&app.state.db).await.unwrap();
    let items = agenda::Entity::find().filter(agenda::Column::EventId.eq(id)).count(&app.state.db).await.unwrap();
    assert_eq!((guests, items), (1, 1));

    // Nothing was sent, or queued: no invitation, reminder, answer link or report notice.
    assert_eq!(outbox_rows(&app).await, mail_before);
    let clock = partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap();
    assert_eq!(clock, 0, "the clock has nothing left to settle");

    // The report is drafted at once, with the activity's own date and part of day.
    let r = reports::of_event(&app.state.db, id).await.unwrap().expect("a draft at once");
    assert_eq!(r.state, ReportState::Draft);
    assert_eq!(r.shown_on, NaiveDate::from_ymd_opt(2025, 11, 20).unwrap());
    assert!(r.summary.starts_with("2025年11月20日下午，第一党支部在三楼会议室"), "{}", r.summary);
    assert!(!r.body.contains("王五") && !r.body.contains("赵六"), "absentees are never named");
    assert!(r.summary.contains("各会员单位党务工作者50余人"), "the counted audience: {}", r.summary);
    assert_eq!(outbox_rows(&app).await, mail_before, "the draft tells nobody by mail");

    // Its history says it was recorded afterwards, by whom and when.
    let log = change::Entity::find().filter(change::Column::EventId.eq(id)).all(&app.state.db).await.unwrap();
    assert_eq!(log.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>(), ["recorded"]);
    assert_eq!(log[0].account_id, Some(s.account));
    let page = s.client.get(&format!("/events/{id}")).await;
    page.assert_status(200)
        .assert_contains("补录")
        .assert_contains("已结束")
        .assert_contains(&format!("/events/{id}/report"));
    let who = partyday::accounts::service::display_names(&app.state.db, [s.account]).await.unwrap();
    page.assert_contains(&who[0].1);
    assert!(!page.body.contains(&format!("/events/{id}/mail")), "nothing was sent: no delivery to show");
    // The minutes can be written at once.
    s.client.get(&format!("/events/{id}/minutes")).await.assert_status(200);

    // Records count it as any held activity: 20 November 2025 in branch A's figures…
    let period = "period=range&from=2025-11-01&to=2025-11-30";
    let (status, _, csv) = s.client.download(&format!("/records/branches/{}?{period}&format=csv", tree.a)).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(csv).unwrap();
    let line =
        |name: &str| text.lines().find(|l| l.starts_with(name)).unwrap_or_else(|| panic!("{name}: {text}")).to_owned();
    assert!(line("张三").starts_with("张三,1,1,0,0,0"), "{}", line("张三"));
    assert!(line("李四").starts_with("李四,1,1,1,0,0"), "{}", line("李四"));
    assert!(line("王五").starts_with("王五,1,0,0,1,0"), "{}", line("王五"));
    assert!(line("赵六").starts_with("赵六,1,0,0,0,1"), "{}", line("赵六"));
    // …and the required theme party day of that month as held.
    let grid = s.client.get("/records/compliance?kind=theme_party_day&year=2025").await;
    grid.assert_status(200).assert_contains(&format!("href=\"/events/{id}\""));
}

#[tokio::test]
async fn the_held_form_refuses_what_does_not_fit_and_saves_nothing() {
    let (app, tree, s) = setup().await;
    let zhang = app.add_member(tree.a, "张三").await;
    let other = app.add_member(tree.b, "钱九").await;
    members_since_2024(&app).await;
    let ok = [(s.member, "present", ""), (zhang, "present", "")];
    let cases: Vec<(Vec<(String, String)>, &str)> = vec![
        // Not over yet (the clock's today is 13 May 2026).
        (
            held_form(tree.a, &ok, &[("starts_at", "2026-05-20T14:30"), ("ends_at", "2026-05-20T16:30")]),
            "补录的活动须已结束",
        ),
        // Before the ten years the configuration allows.
        (
            held_form(tree.a, &ok, &[("starts_at", "2016-05-12T14:30"), ("ends_at", "2016-05-12T16:30")]),
            "最多可补录 10 年内的活动",
        ),
        // A member of another branch slipped into the grid.
        (
            held_form(tree.a, &[(s.member, "present", ""), (zhang, "present", ""), (other, "present", "")], &[]),
            "不在当天的名单上",
        ),
        // Someone of the roster left unmarked.
        (held_form(tree.a, &[(s.member, "present", "")], &[]), "请选择出勤情况"),
        // Leave with no reason.
        (held_form(tree.a, &[(s.member, "present", ""), (zhang, "leave", " ")], &[]), "请假须填写原因"),
        // A guest row without a name, a broken mark.
        (held_form(tree.a, &ok, &[("guest_organisation", "区卫健委")]), "必填"),
        (held_form(tree.a, &[(s.member, "present", ""), (zhang, "maybe", "")], &[]), "请从列表中选择"),
    ];
    for (fields, message) in cases {
        let resp = post(&s.client, "/events/held", &fields).await;
        resp.assert_status(422).assert_contains(message).assert_contains("value=\"十一月主题党日\"");
    }
    assert_eq!(events_count(&app).await, 0, "nothing saved");
    // A line left unmarked is said together with the form's other mistakes.
    let both = held_form(tree.a, &[(s.member, "present", "")], &[("title", "")]);
    post(&s.client, "/events/held", &both)
        .await
        .assert_status(422)
        .assert_contains("此项为必填项")
        .assert_contains("请选择出勤情况");
    // "Everyone else present" marks the lines left blank and keeps the others.
    let mut rest = held_form(tree.a, &[(s.member, "late", "")], &[]);
    rest.push(("action".into(), "all_present".into()));
    let filled = post(&s.client, "/events/held", &rest).await;
    filled.assert_status(200);
    assert!(filled.body.contains(&format!("name=\"att_{zhang}\" value=\"present\" checked")), "{}", filled.body);
    assert!(filled.body.contains(&format!("name=\"att_{}\" value=\"late\" checked", s.member)));
    assert_eq!(events_count(&app).await, 0, "nothing saved");

    // Only secretaries and administrators record, and a secretary only for their own branches.
    let member = app.login_linked(Role::Member, zhang).await;
    member.get("/events/held/new").await.assert_status(403);
    post(&member, "/events/held", &held_form(tree.a, &ok, &[])).await.assert_status(403);
    assert!(!member.get("/events/mine").await.body.contains("/events/held/new"));
    let b = app.secretary_of(tree.b).await;
    post(&b, "/events/held", &held_form(tree.a, &ok, &[])).await.assert_status(404);
    b.get(&format!("/events/held/new?branch={}", tree.a)).await.assert_status(404);
    assert_eq!(events_count(&app).await, 0);
    // The administrator may, for any branch.
    let admin = app.login_as(Role::Admin).await;
    post(&admin, "/events/held", &held_form(tree.a, &ok, &[])).await.assert_status(303);
    assert_eq!(events_count(&app).await, 1);
}

#[tokio::test]
async fn a_past_time_leads_to_the_held_form_with_what_was_typed_kept() {
    let (app, tree, s) = setup().await;
    let zhang = app.add_member(tree.a, "张三").await;
    members_since_2024(&app).await;

    // A new event typed with a past time: the held form, prefilled, not a draft.
    let typed = crate::events::with(
        crate::events::form(tree.a),
        &[("starts_at", "2026-05-01T09:00"), ("ends_at", "2026-05-01T11:00"), ("title", "五月主题党日")],
    );
    let offer = post(&s.client, "/events", &typed).await;
    offer.assert_status(200).assert_contains("您填写的时间已经过去").assert_contains("value=\"五月主题党日\"");
    offer.assert_contains("value=\"2026-05-01T09:00\"").assert_contains("<legend>张三</legend>");
    assert_eq!(events_count(&app).await, 0);
    // The time was a mistake: back to the event form, with what was typed.
    let mut back = typed.clone();
    back.push(("action".into(), "back".into()));
    post(&s.client, "/events/new", &back)
        .await
        .assert_status(200)
        .assert_contains("value=\"五月主题党日\"")
        .assert_contains("action=\"/events\"");

    // A draft whose time has passed: "schedule" leads to its held form instead of a 409.
    let id = draft(&app, &s.client, tree.a, (Duration::hours(1), 60), &[("title", "临时支部会")]).await;
    s.client
        .post(&format!("/events/{id}/guests"), &[("name", "刘处长"), ("organisation", "区卫健委"), ("role", "leader")])
        .await
        .assert_status(303);
    move_to(&app, app.state.now() + Duration::hours(3));
    let to = format!("/events/held/new?draft={id}");
    s.client.post(&format!("/events/{id}/schedule"), &[]).await.assert_redirect_to(&to);
    s.client.get(&format!("/events/{id}/schedule")).await.assert_redirect_to(&to);
    let form = s.client.get(&to).await;
    form.assert_status(200)
        .assert_contains("此草稿的时间已经过去")
        .assert_contains("value=\"临时支部会\"")
        .assert_contains("value=\"刘处长\"");
    let e = event_row(&app, id).await;
    let tz = chrono_tz::Asia::Shanghai;
    let (from, until) = (e.starts_at.with_timezone(&tz), e.ends_at.with_timezone(&tz));
    let mut fields = held_form(
        tree.a,
        &[(s.member, "present", ""), (zhang, "absent", "")],
        &[
            ("title", "临时支部会"),
            ("starts_at", &from.format("%Y-%m-%dT%H:%M").to_string()),
            ("ends_at", &until.format("%Y-%m-%dT%H:%M").to_string()),
            ("guest_name", "刘处长"),
            ("guest_role", "leader"),
        ],
    );
    fields.push(("draft".into(), id.to_string()));
    // Saved meanwhile (another tab renamed the draft): refused, not undone.
    let mut stale = fields.clone();
    stale.push(("revision".into(), (e.revision - 1).to_string()));
    post(&s.client, "/events/held", &stale)
        .await
        .assert_status(409)
        .assert_contains("其他人已保存了此活动")
        .assert_contains(&format!("name=\"revision\" value=\"{}\"", e.revision));
    assert_eq!(event_row(&app, id).await.state, EventState::Draft);
    assert!(
        form.body.contains(&format!("name=\"revision\" value=\"{}\"", e.revision)),
        "the form carries the revision"
    );
    post(&s.client, "/events/held", &fields).await.assert_redirect_to(&format!("/events/{id}"));
    assert_eq!(events_count(&app).await, 1, "the draft itself became the record");
    let e = event_row(&app, id).await;
    assert_eq!((e.state, e.title.as_str()), (EventState::Ended, "临时支部会"));
    assert_eq!(guest::Entity::find().filter(guest::Column::EventId.eq(id)).count(&app.state.db).await.unwrap(), 1);
    assert_eq!(invitation_of(&app, id, zhang).await.outcome, Some(Outcome::Absent));
    // Recorded once: it is no longer a draft.
    post(&s.client, "/events/held", &fields).await.assert_status(409);
    assert_eq!(outbox_rows_of(&app, id).await, 0);
}

async fn outbox_rows_of(app: &TestApp, event: i64) -> u64 {
    outbox::Entity::find().filter(outbox::Column::EventId.eq(event)).count(&app.state.db).await.unwrap()
}

#[tokio::test]
async fn how_far_back_is_the_configurations_choice() {
    let app = TestApp::spawn_at(mid_month(), "[events]\nrecord_back_years = 1").await;
    let tree = app.seed_tree().await;
    let s = staff(&app, tree.a, "吴书记").await;
    members_since_2024(&app).await;
    let marks = [(s.member, "present", "")];
    let old = [("starts_at", "2025-05-12T14:30"), ("ends_at", "2025-05-12T16:30")];
    let refused = post(&s.client, "/events/held", &held_form(tree.a, &marks, &old)).await;
    refused.assert_status(422).assert_contains("最多可补录 1 年内的活动");
    s.client.get("/events/held/new").await.assert_contains("最早可补录 2025-05-13 的活动");
    let within = [("starts_at", "2025-05-13T14:30"), ("ends_at", "2025-05-13T16:30")];
    post(&s.client, "/events/held", &held_form(tree.a, &marks, &within)).await.assert_status(303);
}
