//! Activity reports (issue 17), first part: the event clock drafts one report per ended event
//! that publishes, from the event and its attendance, exactly once.
use chrono::Duration;
use partyday::{
    accounts::Role,
    attendance::service::finalise_due,
    events::entity::invitation,
    i18n::Locale,
    reports::{entity::report, rules::ReportState, service},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    attendance::{draft, event_row, inv_of, move_to, publish, scheduled, setup, tap},
    helpers::TestApp,
};

/// One pass of the clock's drafting, as the server runs it.
async fn draft_pass(app: &TestApp) -> usize {
    service::draft_due(&app.state.db, Locale::ZhCn, &app.state.settings.report_kinds, app.state.now()).await.unwrap()
}

async fn reports_of(app: &TestApp, event: i64) -> u64 {
    report::Entity::find().filter(report::Column::EventId.eq(event)).count(&app.state.db).await.unwrap()
}

#[tokio::test]
async fn an_ended_event_gets_one_draft_with_its_facts_and_no_absentees() {
    let (app, tree, s) = setup("吴书记").await;
    let came = app.add_member(tree.a, "张三").await;
    let away = app.add_member(tree.a, "李四").await;
    let extra = [("title", "十二月主题党日"), ("topic", "学习贯彻全会精神"), ("location", "三楼会议室")];
    let id = draft(&app, &s.client, tree.a, (Duration::hours(1), 120), &extra).await;
    let guest = [("name", "刘处长"), ("organisation", "区卫健委"), ("title", "处长"), ("role", "leader")];
    s.client.post(&format!("/events/{id}/guests"), &guest).await.assert_status(303);
    publish(&s.client, id).await;
    // Internal business: a branch committee meeting is not reported.
    let committee =
        scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[("kind", "branch_committee_meeting")]).await;

    let e = event_row(&app, id).await;
    move_to(&app, e.starts_at + Duration::minutes(5));
    for member in [came, s.member] {
        let inv = inv_of(&app, id, member).await.id;
        assert_eq!(tap(&s.client, id, inv, "present").await.0, 200);
    }
    let guest_inv = invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(id))
        .filter(invitation::Column::GuestId.is_not_null())
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the guest is invited");
    let (status, json) = tap(&s.client, id, guest_inv.id, "present").await;
    assert_eq!(status, 200, "{json}");

    // Nothing before the event ends.
    assert_eq!(draft_pass(&app).await, 0);
    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    assert_eq!(draft_pass(&app).await, 1);
    assert_eq!(draft_pass(&app).await, 0, "once");
    assert_eq!(reports_of(&app, committee).await, 0);

    let r = service::of_event(&app.state.db, id).await.unwrap().expect("a draft");
    assert_eq!(r.state, ReportState::Draft);
    assert_eq!(r.title, "第一党支部开展学习贯彻全会精神主题党日活动");
    let local = e.starts_at.with_timezone(&chrono_tz::Asia::Shanghai);
    assert_eq!(r.shown_on, local.date_naive());
    let date = local.format("%Y年%-m月%-d日").to_string();
    assert!(r.summary.starts_with(&date), "{}", r.summary);
    assert!(
        r.summary.contains(
            "第一党支部在三楼会议室开展学习贯彻全会精神主题党日活动。支部党员2人参加活动。区卫健委处长刘处长应邀出席。"
        ),
        "{}",
        r.summary
    );
    assert!(r.body.starts_with(&r.summary));
    assert!(!r.body.contains("李四") && !r.summary.contains("李四"), "absentees are never named");

    // Its writers read it, and find it from the event's page; nobody else learns it exists.
    let path = format!("/events/{id}/report");
    let page = s.client.get(&path).await;
    page.assert_status(200);
    assert!(page.body.contains(&r.title) && page.body.contains("支部党员2人参加活动") && page.body.contains("草稿"));
    let event_page = s.client.get(&format!("/events/{id}")).await;
    assert!(event_page.body.contains(&path) && event_page.body.contains("活动报道"), "{}", event_page.body);
    app.login_as(Role::Admin).await.get(&path).await.assert_status(200);
    let member = app.login_linked(Role::Member, away).await;
    member.get(&path).await.assert_status(404);
    assert!(!member.get(&format!("/events/{id}")).await.body.contains(&path));
    app.secretary_of(tree.b).await.get(&path).await.assert_status(404);
    s.client.get(&format!("/events/{committee}/report")).await.assert_status(404);
    s.client.get("/events/999999999/report").await.assert_status(404);
    app.client().get(&path).await.assert_status(303);
}

#[tokio::test]
async fn two_clock_passes_at_once_make_one_draft() {
    let (app, tree, s) = setup("吴书记").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let e = event_row(&app, id).await;
    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    let now = app.state.now();
    let (db1, db2) = (app.state.db.clone(), app.state.db.clone());
    let kinds = app.state.settings.report_kinds.clone();
    let (k1, k2) = (kinds.clone(), kinds);
    let one = tokio::spawn(async move { service::draft_due(&db1, Locale::ZhCn, &k1, now).await.unwrap() });
    let two = tokio::spawn(async move { service::draft_due(&db2, Locale::ZhCn, &k2, now).await.unwrap() });
    let made = one.await.unwrap() + two.await.unwrap();
    assert_eq!((made, reports_of(&app, id).await), (1, 1));
}

#[tokio::test]
async fn the_secretaries_are_mailed_once_when_the_draft_is_made() {
    use crate::smtp::{SmtpServer, parts};
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(&smtp.config()).await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let invitations = smtp.wait_for(2).await.len();
    let e = event_row(&app, id).await;
    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    assert_eq!(draft_pass(&app).await, 1);
    let got = smtp.wait_for(invitations + 1).await;
    crate::mail::settled(&app).await;
    let secretary = partyday::members::service::find_by_id(&app.state.db, s.member).await.unwrap().unwrap();
    let others = partyday::members::service::find_by_id(&app.state.db, member).await.unwrap().unwrap();
    let mail = &got[invitations];
    assert_eq!(mail.to, vec![secretary.email.unwrap()], "to the secretary only, not to {:?}", others.email);
    let text = parts(&mail.data).remove("text/plain").expect("a text part").0;
    assert!(text.contains("起草了活动报道") && text.contains(&format!("/events/{id}/report")), "{text}");
    assert!(!mail.data.contains("text/calendar"), "no calendar part");
    // Another pass makes no second draft and no second message.
    assert_eq!(draft_pass(&app).await, 0);
    crate::mail::settled(&app).await;
    assert_eq!(smtp.received().len(), invitations + 1);
}
