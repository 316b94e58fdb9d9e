//! Everyday use (issue 15): the start pages that say what to do next and their scoping, answers
//! that agree with check-ins, the guest's own page by token, the member's answer column.
use chrono::Duration;
use partyday::{accounts::Role, forms::Choice};

use crate::attendance::{event_row, inv_of, move_to, scheduled, setup, staff, tap};

/// The part of the start page under a heading, up to the next section.
#[track_caller]
pub(crate) fn section<'a>(body: &'a str, heading: &str) -> &'a str {
    let start = body.find(heading).unwrap_or_else(|| panic!("no section {heading:?} on the page:\n{body}"));
    let rest = &body[start..];
    &rest[..rest.find("</section>").unwrap_or(rest.len())]
}

#[tokio::test]
async fn a_member_answers_from_the_start_page_and_sees_coming_events_make_up_and_outcomes() {
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let other_branch = app.secretary_of(tree.b).await;
    let soon = scheduled(&app, &s.client, tree.a, (Duration::hours(3), 60), &[("title", "三月主题党日")]).await;
    let later = scheduled(&app, &s.client, tree.a, (Duration::hours(6), 60), &[("title", "专题党课")]).await;
    let elsewhere = scheduled(&app, &other_branch, tree.b, (Duration::hours(4), 60), &[("title", "他支部活动")]).await;
    let me = app.login_linked(Role::Member, member).await;

    let home = me.get("/").await;
    home.assert_status(200);
    let awaiting = section(&home.body, "待回复的邀请");
    assert!(awaiting.contains("三月主题党日") && awaiting.contains("专题党课"), "{awaiting}");
    assert!(awaiting.contains(&format!("action=\"/events/{soon}/answer\"")), "answer in place: {awaiting}");
    assert!(!home.body.contains("他支部活动"), "another branch's event is not theirs");
    for organisers_only in ["待审批的请假", "支部近期活动", "本月概况"] {
        assert!(!home.body.contains(organisers_only), "a member sees no {organisers_only}");
    }
    let _ = elsewhere;

    // Answered in place: back on the start page, the event moves to "coming" with the answer.
    me.post(&format!("/events/{soon}/answer"), &[("answer", "accept"), ("back", "home")]).await.assert_redirect_to("/");
    me.post(&format!("/events/{later}/answer"), &[("answer", "leave"), ("reason", "出差"), ("back", "home")])
        .await
        .assert_redirect_to("/");
    let home = me.get("/").await;
    assert!(section(&home.body, "待回复的邀请").contains("没有需要回复的邀请"), "{}", home.body);
    let coming = section(&home.body, "即将参加的活动");
    assert!(coming.contains("三月主题党日") && coming.contains("参加"), "{coming}");
    assert!(coming.contains("专题党课") && coming.contains("已请假，待审批"), "{coming}");
    assert_eq!(inv_of(&app, later, member).await.leave_reason.as_deref(), Some("出差"));
    // The same answers in their list of events.
    let mine = me.get("/events/mine").await;
    mine.assert_contains("我的回复").assert_contains("已请假，待审批");

    // The first event runs and ends without them: absent, make-up owed, the outcome shown.
    let e = event_row(&app, soon).await;
    move_to(&app, e.ends_at + Duration::minutes(1));
    partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap();
    let home = me.get("/").await;
    let makeup = section(&home.body, "待完成的补学");
    assert!(makeup.contains("三月主题党日"), "{makeup}");
    let recent = section(&home.body, "最近的出勤");
    assert!(recent.contains("三月主题党日") && recent.contains("缺席"), "{recent}");
    assert!(!section(&home.body, "即将参加的活动").contains("三月主题党日"));

    // In English too, with no catalogue keys showing.
    me.post("/locale", &[("locale", "en"), ("next", "/")]).await.assert_status(303);
    let home = me.get("/").await;
    home.assert_contains("Make-up study to do").assert_contains("Your recent attendance");
    assert!(!home.body.contains("home.") && !home.body.contains("answer.state_"), "{}", home.body);
}

#[tokio::test]
async fn a_secretary_decides_leave_from_the_start_page_and_sees_only_their_branches() {
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(3), 60), &[("title", "甲支部学习研讨")]).await;
    let unmarked = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 30), &[("title", "无人点名的会")]).await;
    let me = app.login_linked(Role::Member, member).await;
    me.post(&format!("/events/{id}/answer"), &[("answer", "leave"), ("reason", "外出培训")]).await.assert_status(303);
    let inv = inv_of(&app, id, member).await;

    let home = s.client.get("/").await;
    let leave = section(&home.body, "待审批的请假");
    assert!(leave.contains("张三") && leave.contains("外出培训") && leave.contains("甲支部学习研讨"), "{leave}");
    assert!(leave.contains(&format!("/events/{id}/attendance/{}/leave", inv.id)), "decided in place: {leave}");
    let coming = section(&home.body, "支部近期活动");
    assert!(coming.contains("甲支部学习研讨") && coming.contains("请假 1"), "answer counts: {coming}");

    // Another branch's secretary sees none of it, and cannot decide it.
    let b = staff(&app, tree.b, "郑书记").await;
    let theirs = b.client.get("/").await;
    assert!(!theirs.body.contains("张三") && !theirs.body.contains("甲支部学习研讨"), "{}", theirs.body);
    let decide = [("decision", "approve"), ("note", ""), ("back", "home")];
    b.client.post(&format!("/events/{id}/attendance/{}/leave", inv.id), &decide).await.assert_status(404);
    assert_eq!(inv_of(&app, id, member).await.answer.key(), "leave_requested");

    s.client.post(&format!("/events/{id}/attendance/{}/leave", inv.id), &decide).await.assert_redirect_to("/");
    assert_eq!(inv_of(&app, id, member).await.answer.key(), "leave_approved");
    let home = s.client.get("/").await;
    assert!(!home.body.contains("待审批的请假"), "a decided request leaves the to-do list: {}", home.body);

    // An event that ended with nobody marked present asks for a look; a mark settles it.
    let e = event_row(&app, unmarked).await;
    move_to(&app, e.ends_at + Duration::minutes(1));
    partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap();
    let home = s.client.get("/").await;
    let look = section(&home.body, "需核对出勤的活动");
    assert!(look.contains("无人点名的会") && look.contains(&format!("/events/{unmarked}/attendance")), "{look}");
    let present = inv_of(&app, unmarked, member).await;
    let fix = [("mark", "present"), ("note", "补记"), ("back", "attendance")];
    s.client.post(&format!("/events/{unmarked}/attendance/{}/mark", present.id), &fix).await.assert_status(303);
    let home = s.client.get("/").await;
    assert!(!home.body.contains("需核对出勤的活动"), "{}", home.body);

    // An administrator sees the association at a glance.
    let admin = app.login_as(Role::Admin).await;
    let home = admin.get("/").await;
    let glance = section(&home.body, "本月概况");
    assert!(glance.contains("本月活动") && glance.contains("出勤率"), "{glance}");
}

#[tokio::test]
async fn checked_in_counts_as_attending_and_the_invitee_can_no_longer_decline() {
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(2), 120), &[]).await;
    let me = app.login_linked(Role::Member, member).await;
    let inv = inv_of(&app, id, member).await;
    assert_eq!(inv.answer.key(), "pending");
    let e = event_row(&app, id).await;
    move_to(&app, e.starts_at - Duration::minutes(5));
    let (status, _) = tap(&s.client, id, inv.id, "present").await;
    assert_eq!(status, 200);

    // Their page shows them attending and offers no answer.
    let page = me.get(&format!("/events/{id}")).await;
    page.assert_contains("已签到出席");
    assert!(!page.body.contains(&format!("action=\"/events/{id}/answer\"")), "{}", page.body);
    assert!(me.get("/events/mine").await.body.contains("已签到出席"));

    // Declining (or asking for leave) now is refused with a message, and changes nothing.
    let before = inv_of(&app, id, member).await;
    for fields in [vec![("answer", "decline")], vec![("answer", "leave"), ("reason", "临时有事")]] {
        me.post(&format!("/events/{id}/answer"), &fields).await.assert_status(409).assert_contains("您已签到");
    }
    assert_eq!(inv_of(&app, id, member).await, before);

    // A secretary can still correct it.
    s.client
        .post(&format!("/events/{id}/attendance/{}/answer", inv.id), &[("answer", "decline"), ("back", "attendance")])
        .await
        .assert_status(303);
    assert_eq!(inv_of(&app, id, member).await.answer.key(), "declined");
}

#[tokio::test]
async fn a_guest_reads_the_event_by_their_token_and_answers_without_leave() {
    let (app, tree, s) = setup("吴书记").await;
    let id =
        crate::attendance::draft(&app, &s.client, tree.a, (Duration::hours(3), 60), &[("title", "联建座谈会")]).await;
    crate::attendance::add_guest(&s.client, id, "王局长", "wang@wjw.example.org").await;
    s.client
        .post(&format!("/events/{id}/agenda"), &[("title", "通报联建工作"), ("presenter", "吴书记"), ("minutes", "20")])
        .await
        .assert_status(303);
    crate::attendance::publish(&s.client, id).await;
    let guest_inv = {
        use partyday::events::entity::invitation;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        invitation::Entity::find()
            .filter(invitation::Column::EventId.eq(id))
            .filter(invitation::Column::MemberId.is_null())
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
    };
    let token = crate::attendance::link_tokens(&app, id, &[guest_inv.id]).await.remove(&guest_inv.id).unwrap();

    // No account: the page by token has the facts and the guest's own answer.
    let visitor = app.client();
    let page = visitor.get(&format!("/answer/{token}")).await;
    page.assert_status(200)
        .assert_contains("联建座谈会")
        .assert_contains("三楼会议室")
        .assert_contains("第一党支部")
        .assert_contains("通报联建工作")
        .assert_contains("尚未回复")
        .assert_contains("回复截止");
    assert!(!page.body.contains("value=\"leave\""), "no leave for a guest: {}", page.body);
    assert!(!page.body.contains("id=\"f-password\""), "never a login page");
    visitor
        .post(&format!("/answer/{token}"), &[("answer", "leave"), ("reason", "出差")])
        .await
        .assert_status(409)
        .assert_contains("嘉宾无需请假");
    assert_eq!(inv_of_id(&app, guest_inv.id).await.answer.key(), "pending");
    visitor.post(&format!("/answer/{token}"), &[("answer", "accept")]).await.assert_status(303);
    assert_eq!(inv_of_id(&app, guest_inv.id).await.answer.key(), "accepted");

    // A wrong token, or the guest taken off the list: not found.
    visitor.get(&format!("/answer/{token}x")).await.assert_status(404);
    s.client.post(&format!("/events/{id}/guests/{}/remove", guest_inv.guest_id.unwrap()), &[]).await.assert_status(303);
    visitor.get(&format!("/answer/{token}")).await.assert_status(404);
}

async fn inv_of_id(app: &crate::helpers::TestApp, id: i64) -> partyday::events::entity::invitation::Model {
    use sea_orm::EntityTrait;
    partyday::events::entity::invitation::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap()
}
