//! Attendance (issue 6): answers and leave, capacity and waitlist, walk-ins, check-in by roster,
//! QR code and invitation link, finalising ended events once, corrections and make-up study, the
//! summary and the sign-in sheet, bad input. Events start within hours of the test clock, so
//! moving the clock to their start and end keeps the sessions alive.
use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    },
};

use chrono::{DateTime, Duration, Utc};
use partyday::{
    accounts::{Role, entity::account},
    attendance::service::finalise_due,
    branches::{OfficerRole, Scope},
    events::{
        entity::{event, invitation},
        rules::EventState,
    },
    forms::Choice,
    invitations::log,
    outbox::entity::outbox,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use crate::{
    events::{form, id_from, post, with},
    helpers::{Client, PASSWORD, Resp, TestApp, Tree},
    smtp::parts,
};

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

/// A wall-clock time in Beijing as the event form takes it.
pub(crate) fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&SHANGHAI).format("%Y-%m-%dT%H:%M").to_string()
}

/// A secretary of a branch, signed in, with the ids the checks need.
pub(crate) struct Staff {
    pub client: Client,
    pub account: i64,
    pub member: i64,
}

/// Appoints a new member of `branch` as its secretary and signs them in with a linked account.
pub(crate) async fn staff(app: &TestApp, branch: i64, name: &str) -> Staff {
    static N: AtomicU32 = AtomicU32::new(0);
    let member = app.add_member(branch, name).await;
    app.appoint(branch, member, OfficerRole::Secretary).await;
    let email = format!("attendance-staff{}@test.example.org", N.fetch_add(1, Ordering::SeqCst));
    let account = app.create_account(Role::Secretary, &email).await;
    partyday::accounts::service::set_member_unchecked(&app.state.db, account, Some(member)).await.unwrap();
    let client = app.client();
    client.login(&email, PASSWORD).await.assert_redirect_to("/");
    Staff { client, account, member }
}

pub(crate) async fn setup(secretary_name: &str) -> (TestApp, Tree, Staff) {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let s = staff(&app, tree.a, secretary_name).await;
    (app, tree, s)
}

/// Creates a draft of `branch` through the event form: it starts `starts_in` from the test clock's
/// now (to the minute) and lasts `minutes`.
pub(crate) async fn draft(
    app: &TestApp,
    client: &Client,
    branch: i64,
    (starts_in, minutes): (Duration, i64),
    extra: &[(&str, &str)],
) -> i64 {
    let starts = app.state.now() + starts_in;
    let (from, to) = (local(starts), local(starts + Duration::minutes(minutes)));
    let mut changes = vec![("starts_at", from.as_str()), ("ends_at", to.as_str())];
    changes.extend_from_slice(extra);
    let resp = post(client, "/events", &with(form(branch), &changes)).await;
    resp.assert_status(303);
    id_from(resp.location())
}

pub(crate) async fn publish(client: &Client, id: i64) {
    client.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
}

/// A draft created and scheduled at once.
pub(crate) async fn scheduled(
    app: &TestApp,
    client: &Client,
    branch: i64,
    when: (Duration, i64),
    extra: &[(&str, &str)],
) -> i64 {
    let id = draft(app, client, branch, when, extra).await;
    publish(client, id).await;
    id
}

/// Adds a guest with an email address (before scheduling: the guest is then invited).
pub(crate) async fn add_guest(client: &Client, id: i64, name: &str, email: &str) {
    let fields = [("name", name), ("organisation", "区卫健委"), ("role", "leader"), ("email", email)];
    client.post(&format!("/events/{id}/guests"), &fields).await.assert_status(303);
}

pub(crate) async fn event_row(app: &TestApp, id: i64) -> event::Model {
    event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap()
}

/// The invitation of a member.
pub(crate) async fn inv_of(app: &TestApp, event: i64, member: i64) -> invitation::Model {
    invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event))
        .filter(invitation::Column::MemberId.eq(member))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("member {member} is not invited to event {event}"))
}

async fn inv(app: &TestApp, id: i64) -> invitation::Model {
    invitation::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap()
}

/// Every invitation of an event, by id.
async fn invitations(app: &TestApp, event: i64) -> Vec<invitation::Model> {
    invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event))
        .order_by_asc(invitation::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

/// The attendance log of one invitation, oldest first.
async fn log_of(app: &TestApp, invitation_id: i64) -> Vec<log::Model> {
    log::Entity::find()
        .filter(log::Column::InvitationId.eq(invitation_id))
        .order_by_asc(log::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

/// Outbox rows of a kind for one invitation.
async fn mails(app: &TestApp, invitation_id: i64, kind: &str) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::InvitationId.eq(invitation_id))
        .filter(outbox::Column::Kind.eq(kind))
        .count(&app.state.db)
        .await
        .unwrap()
}

/// What a change could touch: the event, its invitations, their log and the event's outbox.
async fn snapshot(app: &TestApp, event: i64) -> (event::Model, Vec<invitation::Model>, usize, u64) {
    let log = partyday::attendance::service::log_of(&app.state.db, event, 100_000).await.unwrap().len();
    let mail = outbox::Entity::find().filter(outbox::Column::EventId.eq(event)).count(&app.state.db).await.unwrap();
    (event_row(app, event).await, invitations(app, event).await, log, mail)
}

/// Moves the test clock to `t`.
pub(crate) fn move_to(app: &TestApp, t: DateTime<Utc>) {
    app.clock.advance(t - app.state.now());
}

/// The answer-link token of the invitation email of each invitation (the folder transport
/// writes each message as `<Message-ID>.eml`).
pub(crate) async fn link_tokens(app: &TestApp, event: i64, ids: &[i64]) -> HashMap<i64, String> {
    let dir = app.data_dir.path().join("mail");
    let mut found = HashMap::new();
    for _ in 0..300 {
        for id in ids {
            if found.contains_key(id) {
                continue;
            }
            if let Ok(data) = std::fs::read_to_string(dir.join(format!("invitation.{id}.e{event}.eml"))) {
                let text = parts(&data).remove("text/plain").expect("a text part").0;
                let link = text.split_whitespace().find(|w| w.contains("/answer/")).expect("an answer link");
                let token = link[link.find("/answer/").unwrap() + 8..].split('?').next().unwrap();
                found.insert(*id, token.to_owned());
            }
        }
        if found.len() == ids.len() {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("only {} of {} invitation emails were written to {}", found.len(), ids.len(), dir.display());
}

/// A tap on the roster as its script sends it: the answer is JSON.
pub(crate) async fn tap(client: &Client, event: i64, invitation_id: i64, mark: &str) -> (u16, Value) {
    let resp = tap_raw(client, event, invitation_id, mark).await;
    let json = serde_json::from_str(&resp.body)
        .unwrap_or_else(|_| panic!("mark {mark}: not JSON ({}):\n{}", resp.status, resp.body));
    (resp.status, json)
}

pub(crate) async fn tap_raw(client: &Client, event: i64, invitation_id: i64, mark: &str) -> Resp {
    let token = client.csrf_token().await;
    let fields = [("mark", mark), ("back", "roster"), ("_csrf", token.as_str())];
    let headers = [("sec-fetch-site", "same-origin"), ("origin", client.base.as_str()), ("accept", "application/json")];
    client.post_raw(&format!("/events/{event}/attendance/{invitation_id}/mark"), &fields, &headers).await
}

/// The roster's counter as JSON.
fn counts(expected: usize, present: usize, on_leave: usize, absent: usize, awaiting: usize, others: usize) -> Value {
    json!({
        "expected": expected,
        "present": present,
        "on_leave": on_leave,
        "absent": absent,
        "awaiting": awaiting,
        "others_present": others,
    })
}

/// A number of the attendance summary on a page (`data-count="present"`).
#[track_caller]
pub(crate) fn count(body: &str, key: &str) -> usize {
    let marker = format!("data-count=\"{key}\">");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no {key} count on the page:\n{body}")) + marker.len();
    body[start..].split('<').next().unwrap().trim().parse().unwrap()
}

/// The names the summary lists under a heading ("实到", "请假", "缺席", "未签到", "列席及嘉宾").
#[track_caller]
pub(crate) fn group(body: &str, label: &str) -> String {
    let marker = format!("<dt>{label}</dt>");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no group {label} on the page:\n{body}")) + marker.len();
    let rest = &body[start..];
    let open = rest.find("<dd>").unwrap() + 4;
    rest[open..rest.find("</dd>").unwrap()].to_owned()
}

/// The check-in address printed under the QR code, as a path.
#[track_caller]
fn qr_path(body: &str, event: i64) -> String {
    let marker = format!("/events/{event}/checkin/");
    let start = body.find(&marker).unwrap_or_else(|| panic!("no check-in address on the page:\n{body}"));
    body[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn members_answer_until_the_deadline_then_only_a_secretary_with_the_change_logged() {
    let (app, tree, s) = setup("吴书记").await;
    let (a, b, c) = (
        app.add_member(tree.a, "张三").await,
        app.add_member(tree.a, "李四").await,
        app.add_member(tree.a, "王五").await,
    );
    let deadline = local(app.state.now() + Duration::hours(1));
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(3), 120), &[("answer_deadline", &deadline)]).await;
    let e = event_row(&app, id).await;
    assert!(e.answer_deadline.is_some_and(|d| d < e.starts_at));
    let (inv_a, inv_b, inv_c) =
        (inv_of(&app, id, a).await.id, inv_of(&app, id, b).await.id, inv_of(&app, id, c).await.id);
    let token_a = link_tokens(&app, id, &[inv_a]).await.remove(&inv_a).unwrap();
    let (ca, cb, cc) = (
        app.login_linked(Role::Member, a).await,
        app.login_linked(Role::Member, b).await,
        app.login_linked(Role::Member, c).await,
    );
    let answer_path = format!("/events/{id}/answer");
    let page = ca.get(&format!("/events/{id}")).await;
    page.assert_status(200).assert_contains(&format!("action=\"{answer_path}\"")).assert_contains("尚未回复");

    // Pending → accepted → declined, each logged as the member's own and copied to them by email.
    assert_eq!(inv(&app, inv_a).await.answer.key(), "pending");
    ca.post(&answer_path, &[("answer", "accept")]).await.assert_redirect_to(&format!("/events/{id}"));
    let row = inv(&app, inv_a).await;
    assert_eq!(row.answer.key(), "accepted");
    assert!(row.answered_at.is_some());
    ca.get(&format!("/events/{id}")).await.assert_contains("已收到您的回复");
    ca.post(&answer_path, &[("answer", "decline")]).await.assert_status(303);
    assert_eq!(inv(&app, inv_a).await.answer.key(), "declined");
    let logged = log_of(&app, inv_a).await;
    let changes: Vec<_> = logged
        .iter()
        .map(|l| (l.what.as_str(), l.old_value.as_deref(), l.new_value.as_deref(), l.by_account))
        .collect();
    assert_eq!(
        changes,
        [("answer", Some("pending"), Some("accepted"), None), ("answer", Some("accepted"), Some("declined"), None)]
    );
    assert_eq!(mails(&app, inv_a, "answer_copy").await, 2);

    // Leave needs a reason: without one, a clear error and nothing changes.
    let before = snapshot(&app, id).await;
    for blank in ["", "   "] {
        let resp = ca.post(&answer_path, &[("answer", "leave"), ("reason", blank)]).await;
        resp.assert_status(409).assert_contains("请填写请假事由");
    }
    ca.post(&answer_path, &[("answer", "maybe")]).await.assert_status(400);
    assert_eq!(snapshot(&app, id).await, before, "a refused answer changes nothing");
    ca.post(&answer_path, &[("answer", "leave"), ("reason", "出差")]).await.assert_status(303);
    let row = inv(&app, inv_a).await;
    assert_eq!((row.answer.key(), row.leave_reason.as_deref()), ("leave_requested", Some("出差")));
    cb.post(&answer_path, &[("answer", "leave"), ("reason", "住院治疗")]).await.assert_status(303);
    cc.post(&answer_path, &[("answer", "leave"), ("reason", "外出学习")]).await.assert_status(303);

    // After the deadline the member is refused, on the web and through the email's link.
    move_to(&app, e.answer_deadline.unwrap() + Duration::minutes(1));
    let before = snapshot(&app, id).await;
    ca.post(&answer_path, &[("answer", "accept")]).await.assert_status(409).assert_contains("回复已截止");
    let browser = app.client();
    browser
        .post(&format!("/answer/{token_a}"), &[("answer", "accept")])
        .await
        .assert_status(409)
        .assert_contains("回复已截止");
    assert_eq!(snapshot(&app, id).await, before, "a late answer changes nothing");
    let page = ca.get(&format!("/events/{id}")).await;
    page.assert_contains("回复已截止").assert_lacks(&format!("action=\"{answer_path}\""));

    // The secretary still can: the change is logged with their account and the member told.
    let for_a = format!("/events/{id}/attendance/{inv_a}/answer");
    s.client
        .post(&for_a, &[("answer", "accept")])
        .await
        .assert_redirect_to(&format!("/events/{id}/attendance#p{inv_a}"));
    let row = inv(&app, inv_a).await;
    assert_eq!((row.answer.key(), row.leave_reason), ("accepted", None));
    let last = log_of(&app, inv_a).await.pop().unwrap();
    assert_eq!(
        (last.what.as_str(), last.old_value.as_deref(), last.new_value.as_deref(), last.by_account),
        ("answer", Some("leave_requested"), Some("accepted"), Some(s.account))
    );
    assert_eq!(mails(&app, inv_a, "notice").await, 1);
    let name = account::Entity::find_by_id(s.account).one(&app.state.db).await.unwrap().unwrap().display_name;
    s.client.get(&format!("/events/{id}/attendance")).await.assert_status(200).assert_contains(&name);

    // Leave approved and rejected with a note; each member gets a notice.
    let leave = |i: i64| format!("/events/{id}/attendance/{i}/leave");
    assert_eq!((mails(&app, inv_b, "notice").await, mails(&app, inv_c, "notice").await), (0, 0));
    s.client.post(&leave(inv_b), &[("decision", "approve"), ("note", "同意，请会后补学")]).await.assert_status(303);
    s.client.post(&leave(inv_c), &[("decision", "reject"), ("note", "本次会议重要，请参加")]).await.assert_status(303);
    let (row_b, row_c) = (inv(&app, inv_b).await, inv(&app, inv_c).await);
    assert_eq!(
        (row_b.answer.key(), row_b.leave_note.as_deref(), row_b.leave_decided_by),
        ("leave_approved", Some("同意，请会后补学"), Some(s.account))
    );
    assert!(row_b.leave_decided_at.is_some());
    assert_eq!(
        (row_c.answer.key(), row_c.leave_note.as_deref(), row_c.leave_decided_by),
        ("leave_rejected", Some("本次会议重要，请参加"), Some(s.account))
    );
    assert_eq!((mails(&app, inv_b, "notice").await, mails(&app, inv_c, "notice").await), (1, 1));
    let last = log_of(&app, inv_b).await.pop().unwrap();
    assert_eq!(
        (last.what.as_str(), last.new_value.as_deref(), last.note.as_deref(), last.by_account),
        ("leave", Some("leave_approved"), Some("同意，请会后补学"), Some(s.account))
    );
    cb.get(&format!("/events/{id}")).await.assert_contains("请假已批准").assert_contains("同意，请会后补学");
    cc.get(&format!("/events/{id}")).await.assert_contains("请假未批准");

    // Deciding what nobody asked for, or an unknown decision: refused, nothing changes.
    let before = snapshot(&app, id).await;
    s.client
        .post(&leave(inv_a), &[("decision", "approve")])
        .await
        .assert_status(409)
        .assert_contains("此人没有请假申请");
    s.client.post(&leave(inv_b), &[("decision", "perhaps")]).await.assert_status(400);
    assert_eq!(snapshot(&app, id).await, before);

    // Once it has started the member still cannot, the secretary can; once ended, nobody can.
    move_to(&app, e.starts_at + Duration::minutes(5));
    cc.post(&answer_path, &[("answer", "accept")]).await.assert_status(409).assert_contains("回复已截止");
    s.client
        .post(&format!("/events/{id}/attendance/{inv_c}/answer"), &[("answer", "decline")])
        .await
        .assert_status(303);
    assert_eq!(inv(&app, inv_c).await.answer.key(), "declined");
    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap(); // before the server's clock does, mid-check
    let before = snapshot(&app, id).await;
    cc.post(&answer_path, &[("answer", "accept")]).await.assert_status(409).assert_contains("该活动已结束");
    s.client.post(&for_a, &[("answer", "decline")]).await.assert_status(409).assert_contains("该活动已结束");
    let after = snapshot(&app, id).await;
    assert_eq!((&after.1, after.2), (&before.1, before.2), "answers after the end change nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_simultaneous_accepts_fill_twenty_seats_and_the_waitlist_moves_up_in_order() {
    let (app, tree, s) = setup("吴书记").await;
    let mut members = Vec::new();
    for n in 0..100 {
        members.push(app.add_member(tree.a, &format!("党员{n:03}")).await);
    }
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(3), 120), &[("capacity", "20")]).await;
    assert_eq!(event_row(&app, id).await.capacity, Some(20));
    let mut ids = Vec::new();
    for m in &members {
        ids.push(inv_of(&app, id, *m).await.id);
    }
    let tokens = link_tokens(&app, id, &ids).await;

    // A hundred browsers, each with its own link, confirm "accept" at the same moment.
    let mut browsers = Vec::new();
    for i in &ids {
        let browser = app.client();
        browser.csrf_token().await;
        browsers.push((Arc::new(browser), tokens[i].clone()));
    }
    let start = Arc::new(tokio::sync::Barrier::new(browsers.len()));
    let tasks: Vec<_> = browsers
        .iter()
        .map(|(browser, token)| {
            let (browser, token, start) = (browser.clone(), token.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                let resp = browser.post(&format!("/answer/{token}"), &[("answer", "accept")]).await;
                (resp.status, resp.location().to_owned(), token)
            })
        })
        .collect();
    for task in tasks {
        let (status, location, token) = task.await.unwrap();
        assert_eq!((status, location), (303, format!("/answer/{token}")));
    }
    let rows = invitations(&app, id).await;
    let having = |answer: &str| rows.iter().filter(|r| r.answer.key() == answer).count();
    assert_eq!(
        (having("accepted"), having("waitlisted"), having("pending")),
        (20, 80, 1),
        "the secretary did not answer"
    );
    let page = s.client.get(&format!("/events/{id}")).await;
    page.assert_contains("候补 80 人");

    // The waitlist is in the order of answers.
    let mut waiting: Vec<&invitation::Model> = rows.iter().filter(|r| r.answer.key() == "waitlisted").collect();
    waiting.sort_by_key(|r| (r.answered_at, r.id));
    let (first, second) = (waiting[0].id, waiting[1].id);
    let accepted: Vec<i64> = rows.iter().filter(|r| r.answer.key() == "accepted").map(|r| r.id).collect();

    // One who has a seat declines: the first waiting gets it and is told; nobody else moves.
    let notices = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            outbox::Entity::find()
                .filter(outbox::Column::EventId.eq(id))
                .filter(outbox::Column::Kind.eq("notice"))
                .order_by_asc(outbox::Column::Id)
                .all(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.invitation_id.unwrap())
                .collect::<Vec<_>>()
        }
    };
    assert!(notices(&app).await.is_empty());
    let browser = app.client();
    browser.post(&format!("/answer/{}", tokens[&accepted[0]]), &[("answer", "decline")]).await.assert_status(303);
    assert_eq!(inv(&app, accepted[0]).await.answer.key(), "declined");
    assert_eq!(inv(&app, first).await.answer.key(), "accepted", "the earliest on the waitlist moves up");
    assert_eq!(notices(&app).await, vec![first]);
    let promoted = log_of(&app, first).await.pop().unwrap();
    assert_eq!((promoted.old_value.as_deref(), promoted.new_value.as_deref()), (Some("waitlisted"), Some("accepted")));
    let rows = invitations(&app, id).await;
    let having = |answer: &str| rows.iter().filter(|r| r.answer.key() == answer).count();
    assert_eq!((having("accepted"), having("waitlisted")), (20, 79));

    // Accepting again while waiting keeps one's place; the next free seat goes to them.
    let kept = inv(&app, second).await.answered_at;
    browser.post(&format!("/answer/{}", tokens[&second]), &[("answer", "accept")]).await.assert_status(303);
    let row = inv(&app, second).await;
    assert_eq!((row.answer.key(), row.answered_at), ("waitlisted", kept));
    browser.post(&format!("/answer/{}", tokens[&accepted[1]]), &[("answer", "decline")]).await.assert_status(303);
    assert_eq!(inv(&app, second).await.answer.key(), "accepted");
    assert_eq!(notices(&app).await, vec![first, second]);
    let rows = invitations(&app, id).await;
    assert_eq!(rows.iter().filter(|r| r.answer.key() == "accepted").count(), 20);
}

#[tokio::test]
async fn walk_ins_added_during_the_event_are_checked_in() {
    let (app, tree, s) = setup("吴书记").await;
    app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(2), 120), &[]).await;
    let e = event_row(&app, id).await;
    let late_comer = app.add_member(tree.a, "赵六").await; // joined the branch after the invitations went out
    move_to(&app, e.starts_at + Duration::minutes(5));
    let page = s.client.get(&format!("/events/{id}/attendance")).await;
    page.assert_status(200).assert_contains(&format!("<option value=\"{late_comer}\">赵六</option>"));

    let walk_ins = format!("/events/{id}/walk-ins");
    s.client.post(&walk_ins, &[("member_id", &late_comer.to_string())]).await.assert_status(303);
    let guest = [("name", "刘处长"), ("organisation", "市卫健委"), ("title", "处长"), ("role", "leader")];
    s.client.post(&walk_ins, &guest).await.assert_status(303);

    let rows = invitations(&app, id).await;
    let added: Vec<&invitation::Model> = rows.iter().filter(|r| r.walk_in).collect();
    assert_eq!(added.len(), 2);
    for r in &added {
        assert!(r.checked_in_at.is_some(), "{r:?}");
        assert_eq!(
            (r.checkin_method.as_deref(), r.outcome.map(|o| o.key()), r.answer.key()),
            (Some("roster"), Some("present"), "accepted")
        );
    }
    let member = added.iter().find(|r| r.member_id == Some(late_comer)).unwrap();
    assert_eq!(member.role.key(), "member");
    let guest_row = added.iter().find(|r| r.guest_id.is_some()).unwrap();
    assert_eq!(guest_row.role.key(), "leader");
    let log = log_of(&app, guest_row.id).await;
    assert_eq!((log.len(), log[0].by_account, log[0].note.as_deref()), (1, Some(s.account), Some("walk_in")));

    // The roster shows them checked in: expected are the secretary, 张三 and 赵六.
    let roster = s.client.get(&format!("/events/{id}/roster")).await;
    roster.assert_status(200).assert_contains("赵六").assert_contains("刘处长").assert_contains("市卫健委");
    assert_eq!(
        (count(&roster.body, "expected"), count(&roster.body, "present"), count(&roster.body, "awaiting")),
        (3, 1, 2)
    );
    assert_eq!(count(&roster.body, "others_present"), 1);
    let page = s.client.get(&format!("/events/{id}/attendance")).await;
    page.assert_contains("现场添加");
    assert!(group(&page.body, "实到").contains("赵六"));
    assert!(group(&page.body, "列席及嘉宾").contains("刘处长（市卫健委） ✓"));

    // Twice the same member, nobody, or an unknown member: a clear refusal, nothing added.
    let before = snapshot(&app, id).await;
    let again = s.client.post(&walk_ins, &[("member_id", &late_comer.to_string())]).await;
    again.assert_status(409).assert_contains("此人已在名单上");
    s.client.post(&walk_ins, &[("name", "  ")]).await.assert_status(409).assert_contains("请选择党员或填写嘉宾姓名");
    s.client.post(&walk_ins, &[("member_id", "abc")]).await.assert_status(409).assert_contains("找不到该党员");
    s.client.post(&walk_ins, &[("member_id", "999999999")]).await.assert_status(409).assert_contains("找不到该党员");
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn check_in_by_roster_qr_code_and_link_once_and_only_while_open() {
    let (app, tree, s) = setup("吴书记").await;
    let a = app.add_member(tree.a, "张三").await; // QR code
    let b = app.add_member(tree.a, "李四").await; // roster, on time
    let c = app.add_member(tree.a, "王五").await; // roster, late, left early
    let d = app.add_member(tree.a, "赵六").await; // marked by mistake, then undone
    let outsider = app.add_member(tree.b, "钱七").await;
    let id = draft(&app, &s.client, tree.a, (Duration::hours(2), 120), &[]).await;
    add_guest(&s.client, id, "王局长", "wang@wjw.example.org").await;
    publish(&s.client, id).await;
    let e = event_row(&app, id).await;
    let (inv_a, inv_b, inv_c, inv_d) = (
        inv_of(&app, id, a).await.id,
        inv_of(&app, id, b).await.id,
        inv_of(&app, id, c).await.id,
        inv_of(&app, id, d).await.id,
    );
    let inv_g = invitations(&app, id).await.into_iter().find(|r| r.guest_id.is_some()).unwrap().id;
    let guest_token = link_tokens(&app, id, &[inv_g]).await.remove(&inv_g).unwrap();
    let (ca, cd, cx) = (
        app.login_linked(Role::Member, a).await,
        app.login_linked(Role::Member, d).await,
        app.login_linked(Role::Member, outsider).await,
    );
    let qr_token = app.state.signer.sign("checkin", format!("{id}:{}", e.starts_at.timestamp()).as_bytes());
    let qr = format!("/events/{id}/checkin/{qr_token}");
    let browser = app.client();
    let link_check_in = format!("/answer/{guest_token}/checkin");

    // Two hours before: no code shown, and every way of checking in is refused.
    s.client.get(&format!("/events/{id}")).await.assert_lacks("/checkin/");
    s.client.get(&format!("/events/{id}/roster")).await.assert_status(200).assert_lacks("/checkin/");
    let before = snapshot(&app, id).await;
    ca.get(&qr).await.assert_status(409).assert_contains("签到尚未开始");
    ca.post(&qr, &[]).await.assert_status(409).assert_contains("签到尚未开始");
    browser.post(&link_check_in, &[]).await.assert_status(409).assert_contains("签到尚未开始");
    let (status, json) = tap(&s.client, id, inv_b, "present").await;
    assert_eq!((status, json["error"].as_str()), (409, Some("签到尚未开始。")));
    assert_eq!(snapshot(&app, id).await, before);

    // Half an hour before the start check-in opens: organisers see the code and its address.
    move_to(&app, e.starts_at - Duration::minutes(10));
    let page = s.client.get(&format!("/events/{id}")).await;
    assert_eq!(qr_path(&page.body, id), qr, "the event page prints the signed check-in address");
    let roster = s.client.get(&format!("/events/{id}/roster")).await;
    assert_eq!(qr_path(&roster.body, id), qr);
    roster.assert_contains("<svg");

    // A member scans it: a page with a button (opening it changes nothing), then checked in once.
    ca.get(&qr).await.assert_status(200).assert_contains(&format!("action=\"{qr}\""));
    assert!(inv(&app, inv_a).await.checked_in_at.is_none());
    ca.post(&qr, &[]).await.assert_redirect_to(&format!("/events/{id}"));
    let row = inv(&app, inv_a).await;
    assert_eq!((row.checkin_method.as_deref(), row.outcome.map(|o| o.key())), (Some("qr"), Some("present")));
    let at = row.checked_in_at.unwrap();
    ca.get(&format!("/events/{id}")).await.assert_contains("签到成功").assert_contains("已签到");
    ca.post(&qr, &[]).await.assert_status(409).assert_contains("已签到");
    ca.get(&qr).await.assert_status(200).assert_contains("已签到").assert_lacks(&format!("action=\"{qr}\""));
    assert_eq!(inv(&app, inv_a).await.checked_in_at, Some(at), "the second check-in changes nothing");
    // Someone not on the list, or a forged code: refused.
    cx.post(&qr, &[]).await.assert_status(409).assert_contains("您不在此活动的名单上");
    ca.post(&format!("/events/{id}/checkin/{}x", &qr_token[..qr_token.len() - 1]), &[]).await.assert_status(404);

    // The guest checks in with the invitation's link, once.
    browser.get(&format!("/answer/{guest_token}")).await.assert_contains(&format!("action=\"{link_check_in}\""));
    browser.post(&link_check_in, &[]).await.assert_redirect_to(&format!("/answer/{guest_token}"));
    let row = inv(&app, inv_g).await;
    assert_eq!((row.checkin_method.as_deref(), row.outcome.map(|o| o.key())), (Some("link"), Some("present")));
    let at = row.checked_in_at;
    browser.post(&link_check_in, &[]).await.assert_status(409).assert_contains("已签到");
    assert_eq!(inv(&app, inv_g).await.checked_in_at, at);

    // The roster: expected are the secretary and 张三 to 赵六; 张三 and the guest came.
    let roster = s.client.get(&format!("/events/{id}/roster")).await;
    assert_eq!(
        [
            count(&roster.body, "expected"),
            count(&roster.body, "present"),
            count(&roster.body, "awaiting"),
            count(&roster.body, "others_present")
        ],
        [5, 1, 4, 1]
    );
    let (status, json) = tap(&s.client, id, inv_b, "present").await;
    assert_eq!((status, json), (200, counts(5, 2, 0, 0, 3, 1)));
    move_to(&app, e.starts_at + Duration::minutes(15));
    assert_eq!(tap(&s.client, id, inv_c, "late").await, (200, counts(5, 3, 0, 0, 2, 1)));
    assert_eq!(tap(&s.client, id, inv_c, "left_early").await, (200, counts(5, 3, 0, 0, 2, 1)));
    assert_eq!(tap(&s.client, id, inv_d, "present").await, (200, counts(5, 4, 0, 0, 1, 1)));
    assert_eq!(tap(&s.client, id, inv_d, "undo").await, (200, counts(5, 3, 0, 0, 2, 1)));
    let (row_b, row_c, row_d) = (inv(&app, inv_b).await, inv(&app, inv_c).await, inv(&app, inv_d).await);
    assert_eq!((row_b.checkin_method.as_deref(), row_b.outcome.map(|o| o.key())), (Some("roster"), Some("present")));
    assert_eq!(
        (row_c.checkin_method.as_deref(), row_c.outcome.map(|o| o.key()), row_c.left_early),
        (Some("roster"), Some("late"), true)
    );
    assert_eq!((row_d.checked_in_at, row_d.outcome), (None, None));
    let taps = log_of(&app, inv_c).await;
    assert!(taps.iter().all(|l| l.what == "checkin" && l.by_account == Some(s.account)), "{taps:?}");

    // Taps that make no sense now, or by someone who does not take attendance: a JSON error.
    let before = snapshot(&app, id).await;
    let (status, json) = tap(&s.client, id, inv_d, "left_early").await;
    assert_eq!((status, json["error"].as_str()), (409, Some("尚未签到，不能记为早退。")));
    let (status, json) = tap(&s.client, id, inv_d, "absent").await;
    assert_eq!((status, json["error"].as_str()), (409, Some("活动结束后才能记为请假或缺席。")));
    let (status, json) = tap(&ca, id, inv_d, "present").await;
    assert_eq!(status, 403);
    assert!(json["error"].is_string());
    assert_eq!(snapshot(&app, id).await, before);

    // The pages count the same; late and left early are counted too.
    let roster = s.client.get(&format!("/events/{id}/roster")).await;
    assert_eq!([count(&roster.body, "present"), count(&roster.body, "awaiting")], [3, 2]);
    let page = s.client.get(&format!("/events/{id}/attendance")).await;
    page.assert_contains("迟到 1 人").assert_contains("早退 1 人").assert_contains("扫码").assert_contains("邀请链接");
    assert_eq!(group(&page.body, "实到"), "张三、李四、王五");
    assert_eq!(group(&page.body, "未签到"), "吴书记、赵六");

    // After the end: refused, whichever way.
    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    let before = snapshot(&app, id).await;
    cd.get(&qr).await.assert_status(409).assert_contains("签到已结束");
    cd.post(&qr, &[]).await.assert_status(409).assert_contains("签到已结束");
    browser.post(&link_check_in, &[]).await.assert_status(409);
    let after = snapshot(&app, id).await;
    assert_eq!(after.1, before.1);
    assert!(inv(&app, inv_d).await.checked_in_at.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalising_settles_an_ended_event_exactly_once() {
    let (app, tree, s) = setup("吴书记").await;
    let came = app.add_member(tree.a, "张三").await;
    let excused = app.add_member(tree.a, "李四").await;
    let rejected = app.add_member(tree.a, "王五").await;
    let silent = app.add_member(tree.a, "赵六").await;
    let declined = app.add_member(tree.a, "钱七").await;
    let id = draft(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    add_guest(&s.client, id, "王局长", "wang@wjw.example.org").await;
    publish(&s.client, id).await;
    let e = event_row(&app, id).await;
    let i = |m: i64| inv_of(&app, id, m);
    let (inv_came, inv_excused, inv_rejected, inv_silent, inv_declined, inv_s) = (
        i(came).await.id,
        i(excused).await.id,
        i(rejected).await.id,
        i(silent).await.id,
        i(declined).await.id,
        i(s.member).await.id,
    );
    let answer = |inv: i64| format!("/events/{id}/attendance/{inv}/answer");
    let leave = |inv: i64| format!("/events/{id}/attendance/{inv}/leave");
    s.client.post(&answer(inv_excused), &[("answer", "leave"), ("reason", "出差")]).await.assert_status(303);
    s.client.post(&leave(inv_excused), &[("decision", "approve")]).await.assert_status(303);
    s.client.post(&answer(inv_rejected), &[("answer", "leave"), ("reason", "有事")]).await.assert_status(303);
    s.client.post(&leave(inv_rejected), &[("decision", "reject")]).await.assert_status(303);
    s.client.post(&answer(inv_declined), &[("answer", "decline")]).await.assert_status(303);
    s.client.post(&answer(inv_came), &[("answer", "accept")]).await.assert_status(303);
    move_to(&app, e.starts_at + Duration::minutes(2));
    let mark = format!("/events/{id}/attendance/{inv_came}/mark");
    s.client
        .post(&mark, &[("mark", "present"), ("back", "roster")])
        .await
        .assert_redirect_to(&format!("/events/{id}/roster#p{inv_came}"));

    // Before the end nothing is due.
    assert_eq!(finalise_due(&app.state.db, app.state.now()).await.unwrap(), 0);
    assert!(event_row(&app, id).await.finalised_at.is_none());

    // After the end, two finalisers at once (two instances): one of them settles it. (The test
    // clock stays before the end, so the server's own event clock stays out of it.)
    let after_end = e.ends_at + Duration::minutes(1);
    let (db1, db2) = (app.state.db.clone(), app.state.db.clone());
    let one = tokio::spawn(async move { finalise_due(&db1, after_end).await.unwrap() });
    let two = tokio::spawn(async move { finalise_due(&db2, after_end).await.unwrap() });
    let (one, two) = (one.await.unwrap(), two.await.unwrap());
    assert_eq!(one + two, 1, "finalised {one} and {two}");
    let ended = event_row(&app, id).await;
    assert_eq!((ended.state, ended.finalised_at), (EventState::Ended, Some(after_end)));

    let outcome = |r: &invitation::Model| (r.outcome.map(|o| o.key()), r.makeup_required);
    let settled = |s: &'static str, makeup: bool| (Some(s), makeup);
    assert_eq!(outcome(&inv(&app, inv_came).await), settled("present", false));
    assert_eq!(outcome(&inv(&app, inv_excused).await), settled("excused", true));
    for (who, row) in
        [("rejected", inv_rejected), ("silent", inv_silent), ("declined", inv_declined), ("secretary", inv_s)]
    {
        assert_eq!(outcome(&inv(&app, row).await), settled("absent", true), "{who}");
    }
    let guest = invitations(&app, id).await.into_iter().find(|r| r.guest_id.is_some()).unwrap();
    assert_eq!((guest.outcome, guest.makeup_required), (None, false), "guests are not expected");

    // Again, later, or once more for the same instant: nothing more is finalised, nothing changes.
    let before = snapshot(&app, id).await;
    assert_eq!(finalise_due(&app.state.db, after_end).await.unwrap(), 0);
    assert_eq!(finalise_due(&app.state.db, after_end + Duration::hours(2)).await.unwrap(), 0);
    assert!(!partyday::attendance::service::finalise(&app.state.db, id, after_end + Duration::hours(3)).await.unwrap());
    assert_eq!(snapshot(&app, id).await, before);

    // The server's clock, once it is past the end, finds nothing to do either.
    move_to(&app, after_end + Duration::minutes(1));
    assert_eq!(finalise_due(&app.state.db, app.state.now()).await.unwrap(), 0);
    let page = s.client.get(&format!("/events/{id}")).await;
    page.assert_contains("已结束");
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn a_secretary_corrects_the_record_after_the_end_and_records_make_up_study() {
    let (app, tree, s) = setup("吴书记").await;
    let (a, b) = (app.add_member(tree.a, "张三").await, app.add_member(tree.a, "李四").await);
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let e = event_row(&app, id).await;
    let (inv_a, inv_b) = (inv_of(&app, id, a).await.id, inv_of(&app, id, b).await.id);
    let (ca, cb) = (app.login_linked(Role::Member, a).await, app.login_linked(Role::Member, b).await);
    ca.get("/attendance/mine")
        .await
        .assert_status(200)
        .assert_contains("没有待补学任务")
        .assert_contains("十二月主题党日");

    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap(); // (or the server's clock did it)
    assert!(event_row(&app, id).await.finalised_at.is_some());
    for r in [inv(&app, inv_a).await, inv(&app, inv_b).await] {
        assert_eq!((r.outcome.map(|o| o.key()), r.makeup_required, r.makeup_done_on), (Some("absent"), true, None));
    }
    // Each sees the open make-up study.
    for c in [&ca, &cb] {
        let mine = c.get("/attendance/mine").await;
        mine.assert_status(200).assert_contains("class=\"tasks\"").assert_contains(&format!("href=\"/events/{id}\""));
    }
    let page = s.client.get(&format!("/events/{id}/attendance")).await;
    assert_eq!((count(&page.body, "present"), count(&page.body, "absent")), (0, 3));
    page.assert_contains("待补学 3 人");

    // 张三 had come after all: present, no make-up, logged with the secretary's account.
    let mark = format!("/events/{id}/attendance/{inv_a}/mark");
    s.client.post(&mark, &[("mark", "present"), ("note", "到场但未签到，经核实")]).await.assert_status(303);
    let row = inv(&app, inv_a).await;
    assert_eq!((row.outcome.map(|o| o.key()), row.makeup_required), (Some("present"), false));
    let last = log_of(&app, inv_a).await.pop().unwrap();
    assert_eq!(
        (
            last.what.as_str(),
            last.old_value.as_deref(),
            last.new_value.as_deref(),
            last.note.as_deref(),
            last.by_account
        ),
        ("outcome", Some("absent"), Some("present"), Some("到场但未签到，经核实"), Some(s.account))
    );
    ca.get("/attendance/mine").await.assert_contains("没有待补学任务").assert_lacks("class=\"tasks\"");

    // 李四 did the make-up study: recorded with the date and a note; the task is gone.
    let today = app.state.now().with_timezone(&SHANGHAI).date_naive();
    let makeup = format!("/events/{id}/attendance/{inv_b}/makeup");
    s.client
        .post(&makeup, &[("done_on", &today.to_string()), ("note", "已学习会议材料并谈体会")])
        .await
        .assert_status(303);
    let row = inv(&app, inv_b).await;
    assert_eq!(
        (row.makeup_required, row.makeup_done_on, row.makeup_note.as_deref(), row.outcome.map(|o| o.key())),
        (true, Some(today), Some("已学习会议材料并谈体会"), Some("absent"))
    );
    let last = log_of(&app, inv_b).await.pop().unwrap();
    assert_eq!((last.what.as_str(), last.by_account), ("makeup", Some(s.account)));
    let mine = cb.get("/attendance/mine").await;
    mine.assert_contains("没有待补学任务").assert_lacks("class=\"tasks\"").assert_contains(&format!("已补学 {today}"));
    let page = s.client.get(&format!("/events/{id}/attendance")).await;
    assert_eq!((count(&page.body, "present"), count(&page.body, "absent")), (1, 2));
    page.assert_contains("待补学 1 人").assert_contains("已补学 1 人");

    // Bad dates, make-up nobody owes, unknown marks, members correcting themselves: refused.
    let before = snapshot(&app, id).await;
    let tomorrow = (today + Duration::days(1)).to_string();
    for bad in ["2026-02-30", "tomorrow", "", tomorrow.as_str()] {
        let resp = s.client.post(&makeup, &[("done_on", bad)]).await;
        resp.assert_status(409).assert_contains("补学日期须在活动之后且不晚于今天");
    }
    let owed_nothing = format!("/events/{id}/attendance/{inv_a}/makeup");
    s.client
        .post(&owed_nothing, &[("done_on", &today.to_string())])
        .await
        .assert_status(409)
        .assert_contains("此人无需补学");
    s.client.post(&mark, &[("mark", "maybe")]).await.assert_status(400);
    cb.post(&format!("/events/{id}/attendance/{inv_b}/mark"), &[("mark", "present")]).await.assert_status(403);
    cb.post(&makeup, &[("done_on", &today.to_string())]).await.assert_status(403);
    assert_eq!(snapshot(&app, id).await, before);
}

#[tokio::test]
async fn the_summary_and_the_sign_in_sheet_count_what_happened() {
    let (app, tree, s) = setup("吴书记").await;
    let present = app.add_member(tree.a, "赵一").await;
    let late = app.add_member(tree.a, "钱二").await;
    let on_leave = app.add_member(tree.a, "孙三").await;
    let no_show = app.add_member(tree.a, "李四").await;
    let silent = app.add_member(tree.a, "周五").await;
    let id = draft(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    add_guest(&s.client, id, "王局长", "wang@wjw.example.org").await;
    publish(&s.client, id).await;
    let e = event_row(&app, id).await;
    let i = |m: i64| inv_of(&app, id, m);
    let (inv_present, inv_late, inv_leave, inv_no_show, _) =
        (i(present).await.id, i(late).await.id, i(on_leave).await.id, i(no_show).await.id, i(silent).await.id);
    let answer = |inv: i64| format!("/events/{id}/attendance/{inv}/answer");
    s.client.post(&answer(inv_leave), &[("answer", "leave"), ("reason", "出差北京")]).await.assert_status(303);
    s.client
        .post(&format!("/events/{id}/attendance/{inv_leave}/leave"), &[("decision", "approve")])
        .await
        .assert_status(303);
    s.client.post(&answer(inv_no_show), &[("answer", "accept")]).await.assert_status(303);

    move_to(&app, e.starts_at + Duration::minutes(1));
    assert_eq!(tap(&s.client, id, inv_present, "present").await.0, 200);
    move_to(&app, e.starts_at + Duration::minutes(20));
    assert_eq!(tap(&s.client, id, inv_late, "late").await.0, 200);
    let guest = [("name", "刘主任"), ("organisation", "市医保局"), ("role", "non_voting")];
    s.client.post(&format!("/events/{id}/walk-ins"), &guest).await.assert_status(303);

    // While it runs: six expected (the secretary and five members), two came, one on leave,
    // three not checked in yet; of the two guests one came.
    let page = s.client.get(&format!("/events/{id}")).await;
    let shown = |body: &str, keys: &[&str]| keys.iter().map(|k| count(body, k)).collect::<Vec<_>>();
    assert_eq!(shown(&page.body, &["expected", "present", "on_leave", "awaiting", "others_present"]), [6, 2, 1, 3, 1]);
    assert_eq!(group(&page.body, "实到"), "赵一、钱二");
    assert_eq!(group(&page.body, "请假"), "孙三（出差北京）");
    assert_eq!(group(&page.body, "未签到"), "吴书记、周五、李四");
    page.assert_contains("迟到 1 人");
    // The roster's counter (counted by the database after each tap) agrees with the page.
    let (status, json) = tap(&s.client, id, inv_late, "late").await;
    assert_eq!((status, json), (200, counts(6, 2, 1, 0, 3, 1)));

    // Ended: those not checked in are absent.
    finalise_due(&app.state.db, e.ends_at + Duration::minutes(1)).await.unwrap();
    move_to(&app, e.ends_at + Duration::minutes(2));
    let event_page = s.client.get(&format!("/events/{id}")).await;
    let sheet = s.client.get(&format!("/events/{id}/sheet")).await;
    sheet.assert_status(200).assert_contains("签到表").assert_contains("第一党支部");
    for page in [&event_page, &sheet] {
        assert_eq!(
            shown(&page.body, &["expected", "present", "on_leave", "absent", "others_present"]),
            [6, 2, 1, 3, 1]
        );
        assert_eq!(group(&page.body, "实到"), "赵一、钱二");
        assert_eq!(group(&page.body, "请假"), "孙三（出差北京）");
        assert_eq!(group(&page.body, "缺席"), "吴书记、周五、李四");
        let others = group(&page.body, "列席及嘉宾");
        assert!(others.contains("王局长（区卫健委）") && others.contains("刘主任（市医保局） ✓"), "{others}");
        page.assert_contains("33.3%").assert_contains("待补学 4 人").assert_lacks("data-count=\"awaiting\"");
    }
    // The sheet lists everyone, one line each, with a place to sign.
    for name in ["吴书记", "赵一", "钱二", "孙三", "李四", "周五", "王局长", "刘主任"] {
        assert!(sheet.body.contains(&format!("<td>{name}")), "{name} is not on the sheet");
    }
    assert_eq!(sheet.body.matches("class=\"signature\"").count(), 8);

    // The CSV: a UTF-8 BOM, a header row and one row per person.
    let (status, content_type, bytes) = s.client.download(&format!("/events/{id}/sheet.csv")).await;
    assert_eq!((status, content_type.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for spreadsheet programs");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), 1 + 8, "{rows:?}");
    assert_eq!(rows[0][..2], ["序号".to_owned(), "姓名".to_owned()]);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()));
    let row = |name: &str| rows.iter().find(|r| r[1] == name).unwrap_or_else(|| panic!("no row for {name}"));
    let outcome_column = rows[0].iter().position(|h| h == "考勤结果").unwrap();
    for (name, outcome) in
        [("赵一", "出席"), ("钱二", "迟到"), ("孙三", "请假"), ("李四", "缺席"), ("吴书记", "缺席"), ("刘主任", "出席")]
    {
        assert_eq!(row(name)[outcome_column], outcome, "{name}");
    }
    assert!(row("孙三").contains(&"出差北京".to_owned()));
    assert!(row("赵一").contains(&"点名".to_owned()));
    let numbers: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(numbers, ["1", "2", "3", "4", "5", "6", "7", "8"]);
}

#[tokio::test]
async fn bad_answers_and_check_ins_are_refused_and_change_nothing() {
    let (app, tree, s) = setup("吴书记").await;
    let (a, b) = (app.add_member(tree.a, "张三").await, app.add_member(tree.a, "李四").await);
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(2), 60), &[]).await;
    let e = event_row(&app, id).await;
    let (inv_a, inv_b) = (inv_of(&app, id, a).await.id, inv_of(&app, id, b).await.id);
    let ca = app.login_linked(Role::Member, a).await;
    let cb = app.login_linked(Role::Member, b).await;
    cb.post(&format!("/events/{id}/answer"), &[("answer", "leave"), ("reason", "出差")]).await.assert_status(303);

    // A member cannot answer for someone else, nor decide, correct, add or record anything.
    let before = snapshot(&app, id).await;
    let path = |inv: i64, what: &str| format!("/events/{id}/attendance/{inv}/{what}");
    ca.post(&path(inv_b, "answer"), &[("answer", "decline")]).await.assert_status(403);
    ca.post(&path(inv_a, "answer"), &[("answer", "accept")]).await.assert_status(403);
    ca.post(&path(inv_b, "leave"), &[("decision", "approve")]).await.assert_status(403);
    ca.post(&path(inv_b, "mark"), &[("mark", "present")]).await.assert_status(403);
    ca.post(&format!("/events/{id}/walk-ins"), &[("name", "冒名者")]).await.assert_status(403);
    for page in ["attendance", "roster", "sheet", "sheet.csv"] {
        ca.get(&format!("/events/{id}/{page}")).await.assert_status(403);
    }
    assert_eq!(snapshot(&app, id).await, before);

    // A secretary's bad input: refused with a clear message, nothing changes.
    s.client.post(&path(inv_a, "mark"), &[("mark", "excellent")]).await.assert_status(400);
    s.client
        .post(&path(inv_a, "answer"), &[("answer", "leave"), ("reason", "")])
        .await
        .assert_status(409)
        .assert_contains("请填写请假事由");
    s.client.post(&path(inv_a, "answer"), &[("answer", "")]).await.assert_status(400);
    s.client
        .post(&path(inv_b, "makeup"), &[("done_on", "2026-13-45")])
        .await
        .assert_status(409)
        .assert_contains("补学日期");
    s.client
        .post(&format!("/events/{id}/walk-ins"), &[])
        .await
        .assert_status(409)
        .assert_contains("请选择党员或填写嘉宾姓名");
    // Unclean text is refused whole, never stored or cut.
    for reason in ["出差\u{0}", "出差\u{1b}[31m"] {
        let fields = [("answer", "leave"), ("reason", reason)];
        s.client.post(&path(inv_a, "answer"), &fields).await.assert_status(409).assert_contains("控制字符");
    }
    let long_name = "名".repeat(100_000);
    for fields in [
        vec![("name", long_name.as_str())],
        vec![("name", "刘主任\u{0}")],
        vec![("name", "刘主任"), ("organisation", "市医保局\r\n伪造的一行")],
        vec![("name", "刘主任"), ("title", "\u{1b}[2J主任")],
    ] {
        let resp = s.client.post(&format!("/events/{id}/walk-ins"), &fields).await;
        resp.assert_status(409).assert_contains("每项不超过 100 个字符");
    }
    // An invitation of another event, or none: not found.
    let other = scheduled(&app, &s.client, tree.a, (Duration::hours(5), 60), &[]).await;
    let elsewhere = inv_of(&app, other, a).await.id;
    s.client.post(&path(elsewhere, "answer"), &[("answer", "decline")]).await.assert_status(404);
    s.client.post(&path(elsewhere, "leave"), &[("decision", "approve")]).await.assert_status(404);
    s.client.post(&path(999_999_999, "answer"), &[("answer", "decline")]).await.assert_status(404);
    assert_eq!(snapshot(&app, id).await, before);
    assert_eq!(inv(&app, elsewhere).await.answer.key(), "pending");

    // A cancelled event takes no answers, decisions or walk-ins.
    s.client.post(&format!("/events/{other}/cancel"), &[("reason", "改期")]).await.assert_status(303);
    let cancelled = snapshot(&app, other).await;
    let resp = ca.post(&format!("/events/{other}/answer"), &[("answer", "accept")]).await;
    resp.assert_status(409).assert_contains("该活动已取消");
    let for_a_there = format!("/events/{other}/attendance/{elsewhere}/answer");
    s.client.post(&for_a_there, &[("answer", "accept")]).await.assert_status(409).assert_contains("该活动已取消");
    s.client
        .post(&format!("/events/{other}/walk-ins"), &[("name", "刘主任")])
        .await
        .assert_status(409)
        .assert_contains("该活动已取消");
    let after = snapshot(&app, other).await;
    assert_eq!((&after.1, after.2), (&cancelled.1, cancelled.2));

    // An ended event takes no answers either.
    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    let before = snapshot(&app, id).await;
    ca.post(&format!("/events/{id}/answer"), &[("answer", "accept")])
        .await
        .assert_status(409)
        .assert_contains("该活动已结束");
    cb.post(&format!("/events/{id}/answer"), &[("answer", "decline")])
        .await
        .assert_status(409)
        .assert_contains("该活动已结束");
    let after = snapshot(&app, id).await;
    assert_eq!((&after.1, after.2), (&before.1, before.2));
}

#[tokio::test]
async fn a_secretary_of_another_branch_cannot_touch_the_attendance() {
    let (app, tree, s) = setup("吴书记").await;
    let other = staff(&app, tree.b, "郑书记").await;
    let a = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::minutes(20), 60), &[]).await;
    let inv_a = inv_of(&app, id, a).await.id;
    let ca = app.login_linked(Role::Member, a).await;
    ca.post(&format!("/events/{id}/answer"), &[("answer", "leave"), ("reason", "出差")]).await.assert_status(303);
    let today = app.state.now().with_timezone(&SHANGHAI).date_naive().to_string();
    let other_member = other.member.to_string();

    let before = snapshot(&app, id).await;
    let path = |what: &str| format!("/events/{id}/attendance/{inv_a}/{what}");
    let attempts: [(String, Vec<(&str, &str)>); 6] = [
        (path("leave"), vec![("decision", "approve"), ("note", "同意")]),
        (path("answer"), vec![("answer", "accept")]),
        (path("mark"), vec![("mark", "present")]),
        (path("makeup"), vec![("done_on", today.as_str())]),
        (format!("/events/{id}/walk-ins"), vec![("name", "冒名者")]),
        (format!("/events/{id}/walk-ins"), vec![("member_id", other_member.as_str())]),
    ];
    for (path, fields) in &attempts {
        let resp = other.client.post(path, fields).await;
        assert!(matches!(resp.status, 403 | 404), "{path}: {}", resp.status);
        resp.assert_lacks("十二月主题党日").assert_lacks("张三");
    }
    let (status, json) = tap(&other.client, id, inv_a, "present").await;
    assert!(matches!(status, 403 | 404) && json["error"].is_string(), "{status} {json}");
    for page in ["attendance", "roster", "sheet", "sheet.csv"] {
        let resp = other.client.get(&format!("/events/{id}/{page}")).await;
        assert!(matches!(resp.status, 403 | 404), "{page}: {}", resp.status);
        resp.assert_lacks("张三");
    }
    assert_eq!(snapshot(&app, id).await, before);
    assert_eq!(inv(&app, inv_a).await.answer.key(), "leave_requested");
}

/// With `Accept: application/json` (the roster's script) every refusal is a JSON `{error}`, an
/// unknown mark included.
#[tokio::test]
async fn roster_taps_get_json_errors_for_unknown_marks_too() {
    let (app, tree, s) = setup("吴书记").await;
    let a = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::minutes(20), 60), &[]).await;
    let inv_a = inv_of(&app, id, a).await.id;
    let before = snapshot(&app, id).await;
    let resp = tap_raw(&s.client, id, inv_a, "excellent").await;
    assert_eq!(resp.status, 400);
    let json: Option<Value> = serde_json::from_str(&resp.body).ok();
    assert!(json.is_some_and(|j| j["error"].is_string()), "not a JSON error:\n{}", resp.body);
    assert_eq!(snapshot(&app, id).await, before);
}

/// Make-up study is done after the event: a date before the event's day (in the branch's time
/// zone) is refused.
#[tokio::test]
async fn make_up_study_cannot_be_dated_before_the_event() {
    let (app, tree, s) = setup("吴书记").await;
    let a = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let e = event_row(&app, id).await;
    let inv_a = inv_of(&app, id, a).await.id;
    finalise_due(&app.state.db, e.ends_at + Duration::minutes(1)).await.unwrap();
    move_to(&app, e.ends_at + Duration::minutes(2));
    assert!(inv(&app, inv_a).await.makeup_required);
    let day = e.starts_at.with_timezone(&SHANGHAI).date_naive();
    let makeup = format!("/events/{id}/attendance/{inv_a}/makeup");
    let before = snapshot(&app, id).await;
    let resp = s.client.post(&makeup, &[("done_on", &(day - Duration::days(1)).to_string())]).await;
    resp.assert_status(409).assert_contains("补学日期须在活动之后");
    assert_eq!(snapshot(&app, id).await, before);
    s.client.post(&makeup, &[("done_on", &day.to_string())]).await.assert_status(303);
    assert_eq!(inv(&app, inv_a).await.makeup_done_on, Some(day));
}

#[tokio::test]
async fn the_sign_in_csv_neutralises_formulas_and_reasons_are_one_line() {
    let (app, tree, s) = setup("吴书记").await;
    let a = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(2), 60), &[]).await;
    let ca = app.login_linked(Role::Member, a).await;
    // A reason typed over three lines in the box is kept as one line.
    let fields = [("answer", "leave"), ("reason", "  =1+1 出差\r\n北京\n\t三天 ")];
    ca.post(&format!("/events/{id}/answer"), &fields).await.assert_status(303);
    assert_eq!(inv_of(&app, id, a).await.leave_reason.as_deref(), Some("=1+1 出差 北京 三天"));
    let guest = [("name", "@SUM(1+1)*cmd|' /C calc'!A0"), ("organisation", "-2+3"), ("role", "non_voting")];
    s.client.post(&format!("/events/{id}/walk-ins"), &guest).await.assert_status(303);
    let (status, _, bytes) = s.client.download(&format!("/events/{id}/sheet.csv")).await;
    assert_eq!(status, 200);
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&bytes[3..]);
    let cells: Vec<String> =
        reader.records().flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>()).collect();
    assert!(cells.iter().all(|c| !c.starts_with(['=', '+', '-', '@'])), "{cells:?}");
    for neutralised in ["'=1+1 出差 北京 三天", "'@SUM(1+1)*cmd|' /C calc'!A0", "'-2+3"] {
        assert!(cells.iter().any(|c| c == neutralised), "{neutralised} missing from {cells:?}");
    }
}

#[tokio::test]
async fn huge_page_numbers_and_id_lists_get_an_answer_not_a_crash() {
    let (app, tree, s) = setup("吴书记").await;
    let a = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(2), 60), &[]).await;
    let ca = app.login_linked(Role::Member, a).await;
    for page in ["9223372036854775807", "18446744073709551616", "-1", "abc"] {
        ca.get(&format!("/attendance/mine?page={page}")).await.assert_status(200);
        s.client.get(&format!("/events/{id}/mail?page={page}")).await.assert_status(200);
    }
    // 40,000 ticked boxes: refused with a field error on the list, nothing written.
    let events_before = event::Entity::find().count(&app.state.db).await.unwrap();
    let many: Vec<String> = (0..40_000).map(|n| (n % 7 + 1).to_string()).collect();
    for field in ["picks", "co_organisers"] {
        let mut fields = with(form(tree.a), &[("audience_kind", "members")]);
        fields.push(("picks".into(), a.to_string()));
        fields.extend(many.iter().map(|v| (field.to_owned(), v.clone())));
        let resp = post(&s.client, "/events", &fields).await;
        resp.assert_status(422);
        assert!(resp.field_error(field).is_some(), "{field}: no field error");
    }
    // Broken ids are said so, not dropped.
    for (field, value) in [("host_member_id", "abc"), ("recorder_member_id", "99999999999999999999"), ("picks", "x")] {
        let fields = with(form(tree.a), &[("audience_kind", "members"), (field, value)]);
        let resp = post(&s.client, "/events", &fields).await;
        resp.assert_status(422);
        assert!(resp.field_error(field).is_some(), "{field}={value}: no field error");
    }
    for branch in ["abc", "99999999999999999999999"] {
        let resp = post(&s.client, "/events", &with(form(tree.a), &[("branch_id", branch)])).await;
        resp.assert_status(422).assert_contains("表单中的组织单位无效");
    }
    let after = event::Entity::find().count(&app.state.db).await.unwrap();
    assert_eq!(after, events_before);
}

#[tokio::test]
async fn walk_ins_name_only_members_the_taker_may_see_or_an_exact_phone() {
    use partyday::members::entity::member;
    let (app, tree, s) = setup("吴书记").await;
    let stranger = app.add_member(tree.b, "外支部党员").await;
    let own = app.add_member(tree.a, "新来的").await;
    // The event is for picked members only, so the branch's own member is not on the list yet.
    let picked = s.member.to_string();
    let id = scheduled(
        &app,
        &s.client,
        tree.a,
        (Duration::hours(2), 60),
        &[("audience_kind", "members"), ("picks", &picked)],
    )
    .await;
    let walk_ins = format!("/events/{id}/walk-ins");
    let before = snapshot(&app, id).await;
    // Another branch's member by id reads exactly as an id that does not exist: nothing is added,
    // nothing about them is shown.
    for member_id in [stranger.to_string(), "999999999".to_owned()] {
        let resp = s.client.post(&walk_ins, &[("member_id", member_id.as_str())]).await;
        resp.assert_status(409).assert_contains("找不到该党员").assert_lacks("外支部党员");
    }
    assert_eq!(snapshot(&app, id).await, before);
    s.client.get(&format!("/events/{id}/attendance")).await.assert_lacks("外支部党员");
    // The holding branch's own member by id, and the other branch's member by their exact phone.
    s.client.post(&walk_ins, &[("member_id", own.to_string().as_str())]).await.assert_status(303);
    let phone = member::Entity::find_by_id(stranger).one(&app.state.db).await.unwrap().unwrap().phone.unwrap();
    let last = if phone.ends_with('0') { '1' } else { '0' };
    let almost = format!("{}{last}", &phone[..phone.len() - 1]);
    s.client.post(&walk_ins, &[("phone", almost.as_str())]).await.assert_status(409).assert_contains("找不到该党员");
    s.client.post(&walk_ins, &[("phone", phone.as_str())]).await.assert_status(303);
    let list = s.client.get(&format!("/events/{id}/attendance")).await;
    list.assert_contains("新来的").assert_contains("外支部党员");
    assert_eq!(inv_of(&app, id, stranger).await.role.key(), "non_voting");
    assert_eq!(inv_of(&app, id, own).await.role.key(), "member");
}

#[tokio::test]
async fn answer_links_die_when_the_invitee_leaves_the_audience() {
    use partyday::members::{
        rules::{Change, MembershipState},
        service as members,
    };
    let (app, tree, s) = setup("吴书记").await;
    let (a, b, c) = (
        app.add_member(tree.a, "调走的").await,
        app.add_member(tree.a, "离开的").await,
        app.add_member(tree.a, "留下的").await,
    );
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(30), 60), &[]).await;
    let invs = [inv_of(&app, id, a).await.id, inv_of(&app, id, b).await.id, inv_of(&app, id, c).await.id];
    let tokens = link_tokens(&app, id, &invs).await;
    let today = app.state.today();
    let (db, op, now) = (&app.state.db, Scope::operator(), app.state.now());
    members::transfer(db, &op, a, Change { to: tree.b, effective_on: today, note: None }, now).await.unwrap();
    let left = Change { to: MembershipState::Left, effective_on: today, note: None };
    members::change_state(db, &op, b, left, now).await.unwrap();
    let before = snapshot(&app, id).await;
    let browser = app.client();
    for inv in &invs[..2] {
        let token = &tokens[inv];
        browser.get(&format!("/answer/{token}?a=accept")).await.assert_status(404).assert_lacks("十二月主题党日");
        browser.post(&format!("/answer/{token}"), &[("answer", "accept")]).await.assert_status(404);
    }
    assert_eq!(snapshot(&app, id).await, before, "nothing recorded through a dead link");
    let token = &tokens[&invs[2]];
    browser.post(&format!("/answer/{token}"), &[("answer", "accept")]).await.assert_status(303);
    assert_eq!(inv(&app, invs[2]).await.answer.key(), "accepted");
}
