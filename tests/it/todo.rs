//! After the meeting, nobody is left guessing (issue 29 §3, §6, §7): the start page puts what
//! waits for the viewer first (minutes to sign and to write, reports, leave), the recorder is
//! reminded once of minutes left unwritten, and the writers are told by email when their work is
//! sent back, published or withdrawn. Reminders do not follow an invitation straight away.
use chrono::Duration;
use partyday::{
    accounts::Role,
    attendance::service::finalise_due,
    events::{entity::invitation, service::notices::queue_reminders},
    forms::Choice,
    minutes::service::remind_unwritten,
    outbox::entity::outbox,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::{
    attendance::{event_row, inv_of, move_to, scheduled, setup, staff},
    helpers::TestApp,
    home::section,
    minutes::{name_people, send},
};

/// The messages about the work after the meeting, oldest first.
async fn work_mail(app: &TestApp, event: i64) -> Vec<outbox::Model> {
    outbox::Entity::find()
        .filter(outbox::Column::Kind.eq("work"))
        .filter(outbox::Column::EventId.eq(event))
        .order_by_asc(outbox::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn email_of(app: &TestApp, member: i64) -> String {
    partyday::members::service::find_by_id(&app.state.db, member).await.unwrap().unwrap().email.unwrap()
}

/// A new session for the member's account (the clock moved past the old one's end).
async fn sign_in_again(app: &TestApp, member: i64) -> crate::helpers::Client {
    use partyday::accounts::entity::account;
    let a =
        account::Entity::find().filter(account::Column::MemberId.eq(member)).one(&app.state.db).await.unwrap().unwrap();
    let client = app.client();
    client.login(&a.email, crate::helpers::PASSWORD).await.assert_redirect_to("/");
    client
}

#[tokio::test]
async fn minutes_to_write_come_first_on_the_start_page_and_their_recorder_is_reminded_once() {
    let (app, tree, s) = setup("吴书记").await;
    let deputy = staff(&app, tree.a, "钱书记").await;
    let recorder = app.add_member(tree.a, "赵记录").await;
    let recorder_client = app.login_linked(Role::Member, recorder).await;
    // Five months of the secretary's own invitations come before nothing that waits for him.
    for month in 1..=5 {
        scheduled(&app, &s.client, tree.a, (Duration::days(30 * month), 60), &[("title", "以后的主题党日")]).await;
    }
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[("title", "十二月支部大会")]).await;
    let e = event_row(&app, id).await;
    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    name_people(&s.client, id, None, Some(recorder)).await;

    // Listed for the secretary and the recorder, above their own invitations.
    for client in [&s.client, &recorder_client] {
        let home = client.get("/").await;
        let list = section(&home.body, "待填写的会议记录");
        assert!(list.contains("十二月支部大会") && list.contains(&format!("/events/{id}/minutes")), "{list}");
        assert!(list.contains("已结束 0 天"), "{list}");
        let (tasks, mine) = (home.body.find("待办事项").unwrap(), home.body.find("即将参加的活动").unwrap());
        assert!(tasks < mine, "tasks first: {}", home.body);
    }
    let other = app.secretary_of(tree.b).await;
    assert!(!other.get("/").await.body.contains("十二月支部大会"), "another branch's secretary");

    // Reminded once, three days after the end, the recorder only (there is one).
    move_to(&app, e.ends_at + Duration::days(2));
    assert_eq!(remind_unwritten(&app.state.db, 3, app.state.now()).await.unwrap(), 0, "not yet");
    // The last minute of the third day after the end's date, in the association's zone: three
    // days have passed whatever the time of day the test runs at (the start page counts dates).
    let tz = app.state.settings.timezone;
    let third = e.ends_at.with_timezone(&tz).date_naive() + Duration::days(3);
    let late = third.and_hms_opt(23, 59, 0).unwrap().and_local_timezone(tz).unwrap();
    move_to(&app, late.with_timezone(&chrono::Utc));
    assert_eq!(remind_unwritten(&app.state.db, 0, app.state.now()).await.unwrap(), 0, "0: never");
    assert_eq!(remind_unwritten(&app.state.db, 3, app.state.now()).await.unwrap(), 1);
    assert_eq!(remind_unwritten(&app.state.db, 3, app.state.now()).await.unwrap(), 0, "once");
    let due = work_mail(&app, id).await;
    assert_eq!(due.iter().map(|m| m.recipient.clone()).collect::<Vec<_>>(), vec![email_of(&app, recorder).await]);
    assert!(due[0].payload.as_deref().is_some_and(|p| p.contains("\"due\"") && p.contains("\"days\":3")));
    // Days later the sessions have expired: both sign in again.
    let (secretary, recorder_client) = (sign_in_again(&app, s.member).await, sign_in_again(&app, recorder).await);
    let home = secretary.get("/").await;
    assert!(section(&home.body, "待填写的会议记录").contains("已结束 3 天"), "{}", home.body);

    // Submitted: it leaves the list (the recorder now has it to sign).
    let path = format!("/events/{id}/minutes");
    recorder_client.get(&format!("{path}/edit")).await.assert_status(200);
    send(&recorder_client, &format!("{path}/submit"), &[("revision", "0".to_owned())]).await.assert_status(303);
    let home = recorder_client.get("/").await;
    assert!(!home.body.contains("待填写的会议记录"), "{}", home.body);
    assert!(section(&home.body, "待签字的会议记录").contains("十二月支部大会"));

    // Sent back: the writers are told with the comment (not the one who sent it back), and it is
    // listed again, first, said sent back.
    let back = [("comment", "请补充发言要点".to_owned())];
    send(&secretary, &format!("{path}/send-back"), &back).await.assert_status(303);
    let told = work_mail(&app, id).await;
    let mut to: Vec<String> = told[1..].iter().map(|m| m.recipient.clone()).collect();
    to.sort();
    let mut expected = vec![email_of(&app, recorder).await, email_of(&app, deputy.member).await];
    expected.sort();
    assert_eq!(to, expected, "the recorder and the other secretary, not {}", email_of(&app, s.member).await);
    assert!(told[1..].iter().all(|m| m.payload.as_deref().is_some_and(|p| p.contains("请补充发言要点"))));
    let later = scheduled(&app, &secretary, tree.a, (Duration::hours(1), 30), &[("title", "后来的小组会")]).await;
    let l = event_row(&app, later).await;
    move_to(&app, l.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    let home = secretary.get("/").await;
    let list = section(&home.body, "待填写的会议记录");
    let (returned, newer) = (list.find("十二月支部大会").unwrap(), list.find("后来的小组会").unwrap());
    assert!(returned < newer, "sent back first: {list}");
    assert!(list[returned..newer].contains("已退回"), "{list}");
}

#[tokio::test]
async fn the_secretaries_are_mailed_when_their_report_is_returned_published_or_withdrawn() {
    use crate::smtp::{SmtpServer, header, parts};
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(&smtp.config()).await;
    let tree = app.seed_tree().await;
    let s = staff(&app, tree.a, "吴书记").await;
    let id = crate::reports::reported(&app, &s, tree.a, &[], &[("title", "十二月主题党日")]).await;
    let admin = app.login_as(Role::Admin).await;
    let step = |client, step, note, revision| crate::reports::step(client, id, step, note, revision);
    crate::mail::settled(&app).await;
    let before = smtp.received().len();
    step(&s.client, "submit", "", 0).await.assert_status(303);
    assert!(work_mail(&app, id).await.is_empty(), "submitting tells nobody by mail: it waits on the start page");
    step(&admin, "return", "请补充照片", 0).await.assert_status(303);
    let got = smtp.wait_for(before + 1).await;
    let mail = &got[before];
    assert_eq!(mail.to, vec![email_of(&app, s.member).await]);
    let text = parts(&mail.data).remove("text/plain").expect("a text part").0;
    assert!(
        text.contains("退回") && text.contains("请补充照片") && text.contains(&format!("/events/{id}/report")),
        "{text}"
    );
    assert!(!mail.data.contains("text/calendar"), "no calendar part");

    step(&s.client, "submit", "", 0).await.assert_status(303);
    step(&admin, "publish", "", 0).await.assert_status(303);
    step(&admin, "withdraw", "日期有误", 0).await.assert_status(303);
    let got = smtp.wait_for(before + 3).await;
    let subject = |m: &crate::smtp::Received| header(&m.data, "Subject").unwrap_or_default();
    let subjects: Vec<String> = got[before + 1..].iter().map(subject).collect();
    assert!(subjects.iter().any(|s| s.contains("活动报道已发布")), "{subjects:?}");
    let withdrawn = got[before + 1..].iter().find(|m| subject(m).contains("活动报道已撤回")).expect("withdrawn");
    assert!(parts(&withdrawn.data).remove("text/plain").unwrap().0.contains("日期有误"));
}

#[tokio::test]
async fn no_reminder_follows_an_invitation_or_an_answer_within_the_quiet_hours() {
    let (app, tree, s) = setup("吴书记").await;
    let (pending, answered) = (app.add_member(tree.a, "张三").await, app.add_member(tree.a, "李四").await);
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(30), 60), &[("title", "明天的党课")]).await;
    let e = event_row(&app, id).await;
    let reminders = || async {
        outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("reminder"))
            .filter(outbox::Column::EventId.eq(id))
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.recipient)
            .collect::<Vec<_>>()
    };
    // Invited just now and starting within the reminder's 24 hours: no reminder yet.
    move_to(&app, e.starts_at - Duration::hours(23));
    let answering = app.login_linked(Role::Member, answered).await;
    answering.post(&format!("/events/{id}/answer"), &[("answer", "accept")]).await.assert_status(303);
    assert_eq!(inv_of(&app, id, answered).await.answer.key(), "accepted");
    let fresh = scheduled(&app, &s.client, tree.a, (Duration::hours(10), 60), &[("title", "临时加开的会")]).await;
    assert_eq!(queue_reminders(&app.state.db, (24, 12), app.state.now()).await.unwrap(), 0, "all within 12 hours");
    // Twelve hours after the invitation: those invited long enough ago get it, but not the one
    // who answered an hour ago, nor anyone of the event scheduled ten hours before its start.
    move_to(&app, e.starts_at - Duration::hours(18) + Duration::minutes(1));
    assert!(reminders().await.is_empty());
    assert!(queue_reminders(&app.state.db, (24, 12), app.state.now()).await.unwrap() >= 2);
    let invited = reminders().await;
    let expected = [email_of(&app, pending).await, email_of(&app, s.member).await];
    assert!(expected.iter().all(|m| invited.contains(m)), "{invited:?}");
    assert!(!invited.contains(&email_of(&app, answered).await), "answered 5 hours ago: {invited:?}");
    let none: Vec<invitation::Model> =
        invitation::Entity::find().filter(invitation::Column::EventId.eq(fresh)).all(&app.state.db).await.unwrap();
    assert!(!none.is_empty());
    assert!(
        outbox::Entity::find()
            .filter(outbox::Column::Kind.eq("reminder"))
            .filter(outbox::Column::EventId.eq(fresh))
            .all(&app.state.db)
            .await
            .unwrap()
            .is_empty(),
        "the event scheduled ten hours ahead reminds nobody"
    );
}
