//! Email through a real SMTP server on loopback: invitations with their calendar part and answer
//! link, updates and cancellations, retries after temporary refusals, permanent failures.
use partyday::{
    events::entity::invitation,
    forms::Choice,
    invitations::Answer,
    mail::service::dispatch,
    outbox::{State, entity::outbox},
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    events::{form, id_from, post, with},
    helpers::TestApp,
    smtp::{SmtpServer, header, parts},
};

/// Waits (up to 15 s) until no message waits to be sent (every one sent or failed): from then on
/// nothing more goes out, so counts taken after it are final.
pub(crate) async fn settled(app: &TestApp) {
    for _ in 0..150 {
        let waiting =
            outbox::Entity::find().filter(outbox::Column::State.eq("queued")).count(&app.state.db).await.unwrap();
        if waiting == 0 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("messages still waiting to be sent");
}

/// Waits (up to 15 s) until each of an event's `n` messages has been tried at least once.
async fn tried(app: &TestApp, event: i64, n: usize) -> Vec<outbox::Model> {
    for _ in 0..150 {
        let rows = outbox::Entity::find().filter(outbox::Column::EventId.eq(event)).all(&app.state.db).await.unwrap();
        if rows.len() == n && rows.iter().all(|r| r.attempts >= 1) {
            return rows;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the event's {n} messages were not all tried");
}

async fn setup(smtp: &SmtpServer) -> (TestApp, crate::helpers::Tree, crate::helpers::Client) {
    let app = TestApp::spawn_with(&smtp.config()).await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    (app, tree, secretary)
}

/// Schedules the standard event of branch a with a guest who has an email.
async fn schedule(secretary: &crate::helpers::Client, branch: i64) -> i64 {
    let resp = post(secretary, "/events", &with(form(branch), &[])).await;
    let id = id_from(resp.location());
    let guest =
        [("name", "王局长"), ("organisation", "区卫健委"), ("role", "leader"), ("email", "wang@wjw.example.org")];
    secretary.post(&format!("/events/{id}/guests"), &guest).await.assert_status(303);
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    id
}

#[tokio::test]
async fn invitations_reach_members_and_guests_who_answer_with_one_click() {
    let smtp = SmtpServer::start().await;
    let (app, tree, secretary) = setup(&smtp).await;
    let member = app.add_member(tree.a, "张三").await;
    let id = schedule(&secretary, tree.a).await;

    // The secretary (a member of the branch), 张三 and the guest: three invitations.
    let got = smtp.wait_for(3).await;
    assert_eq!(got.len(), 3);
    let email = partyday::members::entity::member::Entity::find_by_id(member)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .email
        .unwrap();
    let mine = got.iter().find(|m| m.to == vec![email.clone()]).expect("张三's invitation");
    assert!(got.iter().any(|m| m.to == vec!["wang@wjw.example.org".to_owned()]), "the guest is invited");
    assert_eq!(mine.from, "party@hma.example.org");
    assert_eq!(header(&mine.data, "Subject").as_deref(), Some("活动邀请：十二月主题党日"));
    let p = parts(&mine.data);
    let (text, _) = &p["text/plain"];
    let (html, _) = &p["text/html"];
    let (ics, ics_type) = &p["text/calendar"];
    assert!(text.contains("张三，您好") && text.contains("三楼会议室"), "{text}");
    assert!(html.contains("十二月主题党日") && !html.contains("<script>"), "{html}");
    assert!(ics_type.contains("method=REQUEST"), "{ics_type}");
    let unfolded = icalendar::parser::unfold(ics);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
    assert!(calendar.properties.iter().any(|p| p.name == "METHOD" && p.val.as_ref() == "REQUEST"));
    let vevent = calendar.components.iter().find(|c| c.name == "VEVENT").unwrap();
    let prop = |name: &str| vevent.properties.iter().find(|p| p.name == name).map(|p| p.val.to_string());
    assert_eq!(prop("SUMMARY").as_deref(), Some("十二月主题党日"));
    assert!(prop("UID").is_some_and(|u| u.starts_with(&format!("event-{id}@"))));

    // The link in the email: opening it changes nothing; confirming records the answer.
    let links: Vec<&str> = text.split_whitespace().filter(|w| w.contains("/answer/") && w.contains("?a=")).collect();
    assert_eq!(links.len(), 3, "accept, decline, leave: {text}");
    // The answer deadline (the start, without one), in the branch's zone; the event link opens
    // the invitee's own page, which needs no account.
    let starts = crate::attendance::event_row(&app, id).await.starts_at;
    let deadline = starts.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%d %H:%M").to_string();
    assert!(text.contains(&format!("回复截止时间：{deadline}。")), "{text}");
    let event_link = text.lines().find(|l| l.starts_with("活动页面：")).expect("the event link");
    assert!(event_link.contains("/answer/") && !event_link.contains("?a="), "{event_link}");
    assert!(!text.contains("**") && !text.contains("## "), "no Markdown marks: {text}");
    let description = icalendar::parser::unfold(ics);
    assert!(!description.contains("**"), "the calendar's DESCRIPTION is plain text: {description}");
    // A guest answers yes or no: no leave to ask for.
    let guest = got.iter().find(|m| m.to == vec!["wang@wjw.example.org".to_owned()]).unwrap();
    let guest_text = &parts(&guest.data)["text/plain"].0;
    let guest_links = guest_text.split_whitespace().filter(|w| w.contains("?a=")).count();
    assert_eq!(guest_links, 2, "accept and decline only: {guest_text}");
    assert!(!guest_text.contains("?a=leave"), "{guest_text}");
    assert!(links[0].ends_with("?a=accept") && links[1].ends_with("?a=decline") && links[2].ends_with("?a=leave"));
    let link = links[0];
    let path = link[link.find("/answer/").unwrap()..].split('?').next().unwrap();
    // The token is random and kept only as its hash.
    let token = path.trim_start_matches("/answer/");
    assert!(token.len() >= 43, "at least 256 bits: {token}");
    {
        use partyday::outbox::entity::invitation_token;
        let by = |h: String| invitation_token::Entity::find().filter(invitation_token::Column::TokenHash.eq(h));
        assert!(by(token.to_owned()).one(&app.state.db).await.unwrap().is_none());
        assert!(by(partyday::crypto::token_hash(token)).one(&app.state.db).await.unwrap().is_some());
    }
    let browser = app.client();
    let confirm = browser.get(&format!("{path}?a=accept")).await;
    confirm
        .assert_status(200)
        .assert_contains("十二月主题党日")
        .assert_contains("尚未回复")
        .assert_contains("请点击下面的按钮确认");
    assert!(!confirm.body.contains("value=\"decline\""), "only the chosen answer to confirm");
    let row = || async {
        invitation::Entity::find()
            .filter(invitation::Column::EventId.eq(id))
            .filter(invitation::Column::MemberId.eq(member))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(row().await.answer.key(), "pending");
    browser.post(path, &[("answer", "leave"), ("reason", " ")]).await.assert_status(422);
    assert_eq!(row().await.answer.key(), "pending");
    browser.post(path, &[("answer", "accept")]).await.assert_status(303);
    assert_eq!(row().await.answer.key(), "accepted");
    browser.get(path).await.assert_contains("参加");
    browser.post(path, &[("answer", "leave"), ("reason", "出差")]).await.assert_status(303);
    let r = row().await;
    assert_eq!((r.answer.key(), r.leave_reason.as_deref()), ("leave_requested", Some("出差")));

    // Each answer is confirmed by email, with the answer as it stands when sent.
    let got = smtp.wait_for(5).await;
    let copies: Vec<_> = got[3..].iter().filter(|m| m.to == vec![email.clone()]).collect();
    assert_eq!(copies.len(), 2);
    assert!(copies.iter().all(|m| header(&m.data, "Subject").as_deref() == Some("已收到回复：十二月主题党日")));
    assert!(parts(&copies[1].data)["text/plain"].0.contains("出差"));

    // A tampered link opens nothing.
    let tampered = format!("{}x", &path[..path.len() - 1]);
    browser.get(&tampered).await.assert_status(404);
    browser.get("/answer/1.abc").await.assert_status(404);

    // A change of place reaches everyone with an update; cancelling sends METHOD:CANCEL.
    let moved = with(form(tree.a), &[("location", "党员活动室")]);
    post(&secretary, &format!("/events/{id}"), &moved).await.assert_status(303);
    let got = smtp.wait_for(8).await;
    let update = got[5..].iter().find(|m| m.to == vec![email.clone()]).unwrap();
    assert_eq!(header(&update.data, "Subject").as_deref(), Some("活动变更：十二月主题党日"));
    let update_text = &parts(&update.data)["text/plain"].0;
    assert!(update_text.contains("地点变更：三楼会议室 → 党员活动室"), "what changed, old and new: {update_text}");
    secretary.post(&format!("/events/{id}/cancel"), &[("reason", "与上级会议冲突")]).await.assert_status(303);
    let got = smtp.wait_for(11).await;
    let cancel = got[8..].iter().find(|m| m.to == vec![email.clone()]).unwrap();
    let p = parts(&cancel.data);
    assert!(p["text/calendar"].1.contains("method=CANCEL"));
    assert!(p["text/calendar"].0.contains("STATUS:CANCELLED"));
    assert!(p["text/plain"].0.contains("与上级会议冲突"));
    browser.get(path).await.assert_status(409).assert_contains("已取消");

    // Every message went once.
    settled(&app).await;
    assert_eq!(smtp.received().len(), 11);
    let sent = outbox::Entity::find().filter(outbox::Column::State.eq("sent")).count(&app.state.db).await.unwrap();
    assert_eq!(sent, 11);
}

#[tokio::test]
async fn temporary_refusals_are_retried_and_permanent_ones_recorded() {
    let smtp = SmtpServer::start().await;
    smtp.fail_next(2);
    let (app, tree, secretary) = setup(&smtp).await;
    schedule(&secretary, tree.a).await;
    // Two invitations (the secretary, the guest): refused once each with 451, delivered on retry.
    smtp.wait_for(2).await;
    settled(&app).await;
    assert_eq!(smtp.received().len(), 2);
    let rows = outbox::Entity::find().all(&app.state.db).await.unwrap();
    assert!(rows.iter().all(|r| r.state == State::Sent), "{rows:?}");
    assert!(rows.iter().any(|r| r.attempts == 2 && r.last_error.as_deref().is_some_and(|e| e.contains("451"))));

    // 550: failed with the server's answer, never retried.
    smtp.refuse_all(true);
    let id = schedule(&secretary, tree.a).await;
    for _ in 0..100 {
        let failed = outbox::Entity::find()
            .filter(outbox::Column::EventId.eq(id))
            .filter(outbox::Column::State.eq("failed"))
            .count(&app.state.db)
            .await
            .unwrap();
        if failed == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let rows = outbox::Entity::find().filter(outbox::Column::EventId.eq(id)).all(&app.state.db).await.unwrap();
    assert!(rows.iter().all(|r| r.state == State::Failed && r.attempts == 1), "{rows:?}");
    assert!(rows.iter().all(|r| r.last_error.as_deref().is_some_and(|e| e.contains("550"))));
    // The event page shows the failures; resending after the server is fixed delivers them.
    let page = secretary.get(&format!("/events/{id}")).await;
    page.assert_contains("失败 2").assert_contains("550");
    let each = secretary.get(&format!("/events/{id}/mail")).await;
    each.assert_status(200)
        .assert_contains("王局长")
        .assert_contains("wang@wjw.example.org")
        .assert_contains("mailbox unavailable");
    smtp.refuse_all(false);
    let before = smtp.received().len();
    secretary.post(&format!("/events/{id}/mail/resend"), &[]).await.assert_status(303);
    smtp.wait_for(before + 2).await;
    // Nothing is due any more.
    let pass = dispatch::dispatch_once(
        &app.state.mailer(),
        &partyday::mail::Transport::from_settings(&app.state.settings).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(pass.total(), 0);
}

#[tokio::test]
async fn reminders_go_to_those_coming_or_undecided_once() {
    let smtp = SmtpServer::start().await;
    let (app, tree, secretary) = setup(&smtp).await;
    let coming = app.add_member(tree.a, "张三").await;
    let not_coming = app.add_member(tree.a, "李四").await;
    let id = schedule(&secretary, tree.a).await;
    smtp.wait_for(4).await; // the secretary, 张三, 李四 and the guest
    let answer = |member: i64, answer: &'static str| {
        let db = app.state.db.clone();
        async move {
            use sea_orm::{ActiveModelTrait, Set};
            let row = invitation::Entity::find()
                .filter(invitation::Column::EventId.eq(id))
                .filter(invitation::Column::MemberId.eq(member))
                .one(&db)
                .await
                .unwrap()
                .unwrap();
            let mut m: invitation::ActiveModel = row.into();
            m.answer = Set(Answer::parse(answer).expect("an answer"));
            m.update(&db).await.unwrap();
        }
    };
    answer(coming, "accepted").await;
    answer(not_coming, "declined").await;

    // Nothing is due a month ahead; a day before the start, reminders go once.
    assert_eq!(
        partyday::events::service::notices::queue_reminders(&app.state.db, (24, 12), app.state.now()).await.unwrap(),
        0
    );
    let event = partyday::events::entity::event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    app.clock.advance(event.starts_at - chrono::Duration::hours(20) - app.state.now());
    let now = app.state.now();
    assert_eq!(
        partyday::events::service::notices::queue_reminders(&app.state.db, (24, 12), now).await.unwrap(),
        3,
        "not the one who declined"
    );
    assert_eq!(
        partyday::events::service::notices::queue_reminders(&app.state.db, (24, 12), now).await.unwrap(),
        0,
        "once"
    );
    let got = smtp.wait_for(7).await;
    let reminders: Vec<_> =
        got[4..].iter().filter(|m| header(&m.data, "Subject").is_some_and(|s| s.starts_with("活动提醒"))).collect();
    assert_eq!(reminders.len(), 3);
    let declined_email = partyday::members::entity::member::Entity::find_by_id(not_coming)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .email
        .unwrap();
    assert!(reminders.iter().all(|m| m.to != vec![declined_email.clone()]));
}

#[tokio::test]
async fn a_server_down_at_start_or_a_crashed_dispatcher_loses_and_doubles_nothing() {
    // The SMTP server is down when the event is scheduled; it comes up later.
    let port = SmtpServer::free_port().await;
    let app = TestApp::spawn_with(&SmtpServer::config_for(port)).await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    for name in ["张三", "李四", "王五"] {
        app.add_member(tree.a, name).await;
    }
    let id = schedule(&secretary, tree.a).await;
    let rows = tried(&app, id, 5).await;
    assert!(rows.iter().all(|r| r.state == State::Queued && r.attempts >= 1), "{rows:?}");
    let smtp = SmtpServer::start_on(port).await;
    smtp.wait_for(5).await;

    // A dispatcher claimed messages and died: once its claim lapses they are sent, each once.
    let day = (chrono::Utc::now() + chrono::Duration::days(40)).format("%Y-%m-%d").to_string();
    let resp = post(
        &secretary,
        "/events",
        &with(form(tree.a), &[("starts_at", &format!("{day}T09:00")), ("ends_at", &format!("{day}T10:00"))]),
    )
    .await;
    let second = id_from(resp.location());
    {
        use sea_orm::{TransactionTrait, sea_query::Expr};
        let txn = app.state.db.begin().await.unwrap();
        let scope = partyday::branches::Scope::operator();
        partyday::events::service::schedule(&txn, &scope, second, app.state.now()).await.unwrap();
        outbox::Entity::update_many()
            .col_expr(outbox::Column::ClaimToken, Expr::value("a dispatcher that crashed"))
            .col_expr(outbox::Column::ClaimedUntil, Expr::value(app.state.now() + chrono::Duration::seconds(2)))
            .filter(outbox::Column::EventId.eq(second))
            .exec(&txn)
            .await
            .unwrap();
        txn.commit().await.unwrap();
    }
    // Another dispatcher finds nothing to take while the claim holds.
    let transport = partyday::mail::Transport::from_settings(&app.state.settings).unwrap();
    assert_eq!(dispatch::dispatch_once(&app.state.mailer(), &transport).await.unwrap().total(), 0);
    assert_eq!(smtp.received().len(), 5, "claimed messages wait for the claim to lapse");
    smtp.wait_for(9).await; // no guest this time: four members

    // Restarted with messages waiting for a retry: the new instance sends each once.
    smtp.fail_next(1000);
    let third = schedule(&secretary, tree.a).await;
    tried(&app, third, 5).await;
    let (db, dir) = (app.db.clone(), app.data_dir.clone());
    app.stop().await;
    smtp.fail_next(0);
    let app = TestApp::start(db, dir, &SmtpServer::config_for(port)).await;
    let got = smtp.wait_for(14).await;
    settled(&app).await;
    assert_eq!(smtp.received().len(), 14);
    let mut ids: Vec<String> = got.iter().filter_map(|m| header(&m.data, "Message-ID")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 14, "no message twice");
    let rows = outbox::Entity::find().filter(outbox::Column::EventId.eq(third)).all(&app.state.db).await.unwrap();
    assert!(rows.iter().all(|r| r.state == State::Sent), "{rows:?}");
}

#[tokio::test]
async fn two_instances_send_each_message_once() {
    let smtp = SmtpServer::start().await;
    let (app, tree, secretary) = setup(&smtp).await;
    let other = app.sibling_with(&smtp.config()).await;
    for i in 0..40 {
        app.add_member(tree.a, &format!("党员{i}")).await;
    }
    schedule(&secretary, tree.a).await; // 40 members, the secretary and a guest
    smtp.wait_for(42).await;
    settled(&app).await;
    let got = smtp.received();
    assert_eq!(got.len(), 42);
    let mut ids: Vec<String> = got.iter().filter_map(|m| header(&m.data, "Message-ID")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 42);
    other.stop().await;
}

#[tokio::test]
async fn a_server_that_stalls_past_the_lease_gets_each_message_once() {
    use partyday::mail::Transport;
    let smtp = SmtpServer::start().await;
    // Two instances that send only when told to, with a two-second claim.
    let config = format!("{}lease_seconds = 2\n[workers]\ndispatcher = false\n", smtp.config());
    let app = TestApp::spawn_with(&config).await;
    let other = app.sibling_with(&config).await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    for name in ["张三", "李四"] {
        app.add_member(tree.a, name).await;
    }
    // The server hangs for five seconds on every connection opened in the next three seconds.
    let id = schedule(&secretary, tree.a).await; // the secretary, two members and a guest
    smtp.stall_new_connections(std::time::Duration::from_secs(3), std::time::Duration::from_secs(5));
    let (one, two) = (
        Transport::from_settings(&app.state.settings).unwrap(),
        Transport::from_settings(&other.state.settings).unwrap(),
    );
    // The first dispatcher claims all four and must give up on the stalled server before its
    // claim runs out, while the second keeps trying beside it.
    let state = app.state.clone();
    let first = tokio::spawn(async move { dispatch::dispatch_once(&state.mailer(), &one).await.unwrap() });
    // The second starts only once the first holds all four claims (a busy machine may take a
    // while to get there).
    let claimed = || async {
        let rows = outbox::Entity::find().filter(outbox::Column::EventId.eq(id)).all(&app.state.db).await.unwrap();
        rows.len() == 4 && rows.iter().all(|r| r.claim_token.is_some())
    };
    let waited = std::time::Instant::now();
    while !claimed().await {
        assert!(waited.elapsed() < std::time::Duration::from_secs(10), "the first dispatcher never claimed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let started = std::time::Instant::now();
    while smtp.received().len() < 4 && started.elapsed() < std::time::Duration::from_secs(15) {
        dispatch::dispatch_once(&other.state.mailer(), &two).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let first = first.await.unwrap();
    assert_eq!((first.sent, first.retrying), (0, 4), "{first:?}");
    // Once the stalled connections are over, whatever they carried has arrived.
    smtp.stalls_over().await;
    let got = smtp.received();
    let mut ids: Vec<String> = got.iter().filter_map(|m| header(&m.data, "Message-ID")).collect();
    ids.sort();
    ids.dedup();
    assert_eq!((got.len(), ids.len()), (4, 4), "each message delivered exactly once");
    let rows = outbox::Entity::find().filter(outbox::Column::EventId.eq(id)).all(&app.state.db).await.unwrap();
    assert!(rows.iter().all(|r| r.state == State::Sent && r.claim_token.is_none()), "{rows:?}");
    other.stop().await;
}

/// Issue 28 §6: a joint activity's invitation names every holding branch, and its quoted title
/// takes the inner marks inside the sentence's own (“‘党建+医疗质量’座谈会”, never “…“…”…”).
#[tokio::test]
async fn a_joint_activity_s_invitation_names_every_holding_branch_and_nests_quotes_right() {
    use partyday::branches::entity::branch;
    let smtp = SmtpServer::start().await;
    let (app, tree, _secretary) = setup(&smtp).await;
    app.add_member(tree.b, "李四").await;
    let admin = app.login_as(partyday::accounts::Role::Admin).await;
    let title = "“党建+医疗质量”座谈会";
    let b = tree.b.to_string();
    let fields = with(form(tree.a), &[("kind", "joint_conference"), ("title", title), ("co_organisers", &b)]);
    let id = id_from(post(&admin, "/events", &fields).await.location());
    admin.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    let co_name = branch::Entity::find_by_id(tree.b).one(&app.state.db).await.unwrap().unwrap().name;

    // The secretary of a and 李四 of b.
    let got = smtp.wait_for(2).await;
    for m in &got {
        let text = &parts(&m.data)["text/plain"].0;
        assert!(text.contains(&format!("协办支部：{co_name}")), "{text}");
        assert!(text.contains("诚邀您参加“‘党建+医疗质量’座谈会”。"), "{text}");
        let html = &parts(&m.data)["text/html"].0;
        assert!(html.contains(&co_name), "{html}");
    }
}
