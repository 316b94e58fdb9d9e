//! Minutes (issue 16): the record built from the event and its attendance, written by the
//! recorder, signed by host and recorder, locked and amended with a reason; who may do each step;
//! stale saves; bad input.
use chrono::Duration;
use partyday::{
    accounts::Role,
    minutes::{entity::minutes, rules::MinutesState},
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{
    attendance::{count, inv_of, move_to, scheduled, setup, tap},
    helpers::{Client, TestApp, python_has},
};

async fn record(app: &TestApp, event: i64) -> minutes::Model {
    minutes::Entity::find().filter(minutes::Column::EventId.eq(event)).one(&app.state.db).await.unwrap().unwrap()
}

/// The text of a Word document as a real DOCX reader (python-docx) sees it: every paragraph, then
/// every table cell, then the first section's page size in millimetres. None when python-docx is
/// missing (`python_has`).
pub(crate) fn read_docx(bytes: &[u8]) -> Option<String> {
    if !python_has("docx", "python-docx") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("minutes.docx");
    std::fs::write(&file, bytes).unwrap();
    let script = r#"
import sys, docx
d = docx.Document(sys.argv[1])
for p in d.paragraphs:
    print(p.text)
for t in d.tables:
    for row in t.rows:
        print(" | ".join(c.text for c in row.cells))
s = d.sections[0]
print("page %.0f x %.0f mm" % (s.page_width.mm, s.page_height.mm))
"#;
    let out = std::process::Command::new("python3").args(["-c", script]).arg(&file).output().expect("python3 runs");
    assert!(out.status.success(), "python-docx could not read the document: {}", String::from_utf8_lossy(&out.stderr));
    Some(String::from_utf8(out.stdout).unwrap())
}

/// The hidden revision the edit form carries.
#[track_caller]
pub(crate) fn revision_in(body: &str) -> String {
    let marker = "name=\"revision\" value=\"";
    let start = body.find(marker).unwrap_or_else(|| panic!("no revision in the form:\n{body}")) + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}

/// An edit of the record: one item with two speeches (a member and someone named), a resolution
/// with a vote and an action.
pub(crate) fn body_form(revision: &str, speaker: &str, votes: (&str, &str, &str)) -> Vec<(&'static str, String)> {
    vec![
        ("revision", revision.to_owned()),
        ("op", "save".to_owned()),
        ("item_title", "交流发言".to_owned()),
        ("sp_item", "0".to_owned()),
        ("sp_speaker", speaker.to_owned()),
        ("sp_name", String::new()),
        ("sp_post", "内科主任".to_owned()),
        ("sp_role", "exchange".to_owned()),
        ("sp_summary", "结合岗位谈**学习体会**<script>alert(1)</script>".to_owned()),
        ("sp_item", "0".to_owned()),
        ("sp_speaker", "named".to_owned()),
        ("sp_name", "区卫健委李处长".to_owned()),
        ("sp_post", String::new()),
        ("sp_role", "leader_speech".to_owned()),
        ("sp_summary", "提出工作要求".to_owned()),
        ("res_item", "0".to_owned()),
        ("res_text", "同意张三同志转为正式党员".to_owned()),
        ("res_for", votes.0.to_owned()),
        ("res_against", votes.1.to_owned()),
        ("res_abstain", votes.2.to_owned()),
        ("act_item", "0".to_owned()),
        ("act_what", "整理学习笔记".to_owned()),
        ("act_who", "李四".to_owned()),
        ("act_due", "2027-01-15".to_owned()),
    ]
}

/// Names the host and recorder of an event from its record's page (by member id; None: nobody).
pub(crate) async fn name_people(client: &Client, id: i64, host: Option<i64>, recorder: Option<i64>) {
    let text = |m: Option<i64>| m.map(|m| m.to_string()).unwrap_or_default();
    let fields =
        [("host_member_id", text(host)), ("host_guest_name", String::new()), ("recorder_member_id", text(recorder))];
    send(client, &format!("/events/{id}/minutes/people"), &fields).await.assert_status(303);
}

pub(crate) async fn send(client: &Client, path: &str, fields: &[(&str, String)]) -> crate::helpers::Resp {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client.post(path, &refs).await
}

#[tokio::test]
async fn the_recorder_writes_host_and_recorder_sign_and_the_record_locks() {
    let (app, tree, s) = setup("吴书记").await;
    let host = app.add_member(tree.a, "张三").await;
    let recorder = app.add_member(tree.a, "李四").await;
    let (c, d) = (app.add_member(tree.a, "王五").await, app.add_member(tree.a, "赵六").await);
    let (host_client, recorder_client) =
        (app.login_linked(Role::Member, host).await, app.login_linked(Role::Member, recorder).await);
    let member_client = app.login_linked(Role::Member, c).await;
    let outsider = app.secretary_of(tree.b).await;
    let (h, r) = (host.to_string(), recorder.to_string());
    let extra = [("host_member_id", h.as_str()), ("recorder_member_id", r.as_str())];
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 120), &extra).await;
    let path = format!("/events/{id}/minutes");

    // Before the meeting starts there is no record: those who will write it are told when it opens.
    let not_yet = s.client.get(&path).await;
    not_yet.assert_status(200).assert_contains("会议记录将于活动开始时").assert_contains("data-opens");
    assert!(!not_yet.body.contains("/minutes/edit"), "{}", not_yet.body);
    member_client.get(&path).await.assert_status(404);
    let starts = crate::attendance::event_row(&app, id).await.starts_at;
    move_to(&app, starts + Duration::minutes(10));
    for m in [host, recorder] {
        let inv = inv_of(&app, id, m).await.id;
        assert_eq!(tap(&s.client, id, inv, "present").await.0, 200);
    }

    // The event's page leads there for those who write it, not (yet) for the others.
    let event_page = s.client.get(&format!("/events/{id}")).await;
    assert!(event_page.body.contains(&format!("href=\"{path}\"")) && event_page.body.contains("填写会议记录"));
    assert!(!member_client.get(&format!("/events/{id}")).await.body.contains(&path));
    // Only those who write it see a draft; its header and figures come from the event and the roll.
    for client in [&member_client, &outsider] {
        client.get(&path).await.assert_status(404);
    }
    let page = recorder_client.get(&path).await;
    page.assert_status(200);
    assert!(page.body.contains("十二月主题党日") && page.body.contains("三楼会议室"), "{}", page.body);
    assert!(page.body.contains("重温入党誓词"), "the theme party day template fills the body");
    let attendance = s.client.get(&format!("/events/{id}/attendance")).await;
    for key in ["expected", "present", "on_leave", "awaiting"] {
        assert_eq!(count(&page.body, key), count(&attendance.body, key), "{key}");
    }
    assert_eq!(count(&page.body, "present"), 2);

    // The recorder writes; a member of the meeting speaks, someone else is named.
    let edit = recorder_client.get(&format!("{path}/edit")).await;
    edit.assert_status(200);
    assert!(edit.body.contains(&format!("value=\"m:{host}\"")), "the host is offered as a speaker");
    let rev = revision_in(&edit.body);
    send(&recorder_client, &path, &body_form(&rev, &format!("m:{host}"), ("2", "0", "0"))).await.assert_status(303);
    let saved = record(&app, id).await;
    assert_eq!((saved.state, saved.revision), (MinutesState::Draft, 1));
    let page = s.client.get(&path).await;
    assert!(page.body.contains("区卫健委李处长") && page.body.contains("<strong>学习体会</strong>"));
    assert!(!page.body.contains("<script>alert(1)"), "summaries are rendered safely");
    // Two of four full members expected voted for: not more than half.
    assert!(page.body.contains("未通过"), "{}", page.body);

    // A save based on the older revision is refused and keeps what was typed.
    let mut typed = body_form(&rev, &format!("m:{host}"), ("2", "0", "0"));
    typed[2].1 = "我的新标题".to_owned();
    let stale = send(&s.client, &path, &typed).await;
    stale.assert_status(409);
    assert!(stale.body.contains("我的新标题") && stale.body.contains("他人保存的版本"), "{}", stale.body);
    assert_eq!(record(&app, id).await.revision, 1, "nothing written");

    // A correction before submission shows in the roll.
    let inv_c = inv_of(&app, id, c).await.id;
    assert_eq!(tap(&s.client, id, inv_c, "late").await.0, 200);
    assert_eq!(count(&s.client.get(&path).await.body, "present"), 3);

    // Submitted: the roll is frozen; a later correction does not change it.
    send(&recorder_client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);
    let inv_d = inv_of(&app, id, d).await.id;
    assert_eq!(tap(&s.client, id, inv_d, "present").await.0, 200);
    let page = s.client.get(&path).await;
    assert_eq!(count(&page.body, "present"), 3, "frozen at submission");
    assert_eq!(count(&s.client.get(&format!("/events/{id}/attendance")).await.body, "present"), 4);
    // A submitted record is not edited: its form and a save say so alike (the service decides).
    let form = recorder_client.get(&format!("{path}/edit")).await;
    form.assert_status(409);
    assert!(form.body.contains("会议记录正在等待签字"), "{}", form.body);
    let saved = send(&recorder_client, &path, &typed).await;
    saved.assert_status(409);
    assert!(saved.body.contains("会议记录正在等待签字"), "{}", saved.body);
    assert_eq!(record(&app, id).await.revision, 1, "nothing written");

    // Only the host signs as host, only the recorder as recorder; the second signature locks.
    let sign = |as_: &str| vec![("revision", "1".to_owned()), ("as", as_.to_owned())];
    send(&recorder_client, &format!("{path}/sign"), &sign("host")).await.assert_status(403);
    send(&member_client, &format!("{path}/sign"), &sign("recorder")).await.assert_status(404);
    send(&host_client, &format!("{path}/sign"), &sign("host")).await.assert_status(303);
    send(&host_client, &format!("{path}/sign"), &sign("host")).await.assert_status(409);
    assert_eq!(record(&app, id).await.state, MinutesState::Submitted);
    send(&recorder_client, &format!("{path}/sign"), &sign("recorder")).await.assert_status(303);
    let locked = record(&app, id).await;
    assert_eq!(locked.state, MinutesState::Locked);
    assert!(locked.host_signed_at.is_some() && locked.recorder_signed_at.is_some());

    // Locked: members of the branch read it; others still do not.
    let read = member_client.get(&path).await;
    read.assert_status(200);
    assert!(read.body.contains("已锁定") && read.body.contains("区卫健委李处长"));
    outsider.get(&path).await.assert_status(404);
    assert!(member_client.get(&format!("/events/{id}")).await.body.contains("查看会议记录"));
    let print = member_client.get(&format!("{path}/print")).await;
    print.assert_status(200);
    assert!(print.body.contains("会议记录") && print.body.contains("主持人"), "{}", print.body);

    // The Word document holds every field of the record, on A4.
    let (status, content_type, bytes) = member_client.download(&format!("/events/{id}/minutes.docx")).await;
    assert_eq!(status, 200);
    assert!(content_type.contains("wordprocessingml"), "{content_type}");
    if let Some(text) = read_docx(&bytes) {
        for field in [
            "会议记录",
            "十二月主题党日",
            "三楼会议室",
            "第一党支部",
            "张三",
            "李四",
            "应到",
            "交流发言",
            "结合岗位谈学习体会",
            "区卫健委李处长",
            "同意张三同志转为正式党员",
            "赞成 2",
            "整理学习笔记",
            "page 210 x 297 mm",
        ] {
            assert!(text.contains(field), "{field} missing from the document:\n{text}");
        }
        // Markdown is dropped; typed markup is plain text in a well-formed document.
        assert!(!text.contains("**") && text.contains("<script>alert(1)</script>"), "{text}");
    }

    // The branch's year: its records with their states, and the locked ones as one document.
    let year = crate::attendance::local(starts)[..4].to_owned();
    let year_page = s.client.get(&format!("/branches/{}/minutes?year={year}", tree.a)).await;
    year_page.assert_status(200);
    assert!(year_page.body.contains(&path) && year_page.body.contains("已锁定"), "{}", year_page.body);
    member_client.get(&format!("/branches/{}/minutes", tree.a)).await.assert_status(404);
    outsider.get(&format!("/branches/{}/minutes", tree.a)).await.assert_status(404);
    s.client.get(&format!("/branches/{}/minutes?year=abc", tree.a)).await.assert_status(400);
    let (status, _, archive) = s.client.download(&format!("/branches/{}/minutes.docx?year={year}", tree.a)).await;
    assert_eq!(status, 200);
    assert!(read_docx(&archive).is_none_or(|text| text.contains("同意张三同志转为正式党员")));
    let earlier = (year.parse::<i32>().unwrap() - 1).to_string();
    s.client.get(&format!("/branches/{}/minutes.docx?year={earlier}", tree.a)).await.assert_status(409);

    // An amendment needs a reason, makes a new revision and needs both signatures again.
    let no_reason = send(&recorder_client, &path, &body_form("1", &format!("m:{host}"), ("3", "0", "0"))).await;
    no_reason.assert_status(422);
    assert!(no_reason.body.contains("请填写修订原因"));
    let mut amended = body_form("1", &format!("m:{host}"), ("3", "0", "0"));
    amended.push(("reason", "补记表决结果".to_owned()));
    send(&recorder_client, &path, &amended).await.assert_status(303);
    let after = record(&app, id).await;
    assert_eq!((after.state, after.revision), (MinutesState::Draft, 2));
    assert!(after.host_signed_at.is_none() && after.roll.is_some(), "signatures go, the roll stays frozen");
    let revisions = s.client.get(&format!("{path}/revisions?a=1&b=2")).await;
    revisions.assert_status(200);
    assert!(revisions.body.contains("补记表决结果") && revisions.body.contains("class=\"changed\""));
}

/// A meeting of branch A that started ten minutes ago, its secretary, and 张三, marked present.
struct Meeting {
    app: TestApp,
    tree: crate::helpers::Tree,
    s: crate::attendance::Staff,
    member: i64,
    id: i64,
    inv: i64,
    starts: chrono::DateTime<chrono::Utc>,
}

async fn meeting() -> Meeting {
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 120), &[]).await;
    let starts = crate::attendance::event_row(&app, id).await.starts_at;
    move_to(&app, starts + Duration::minutes(10));
    let inv = inv_of(&app, id, member).await.id;
    assert_eq!(tap(&s.client, id, inv, "present").await.0, 200);
    Meeting { app, tree, s, member, id, inv, starts }
}

#[tokio::test]
async fn bad_minutes_input_is_refused_field_by_field_and_changes_nothing() {
    let Meeting { app, tree, s, member, id, inv, starts } = meeting().await;
    let path = format!("/events/{id}/minutes");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    let outside = app.add_member(tree.b, "外支部党员").await;
    let cases: Vec<(Vec<(&'static str, String)>, &str)> = vec![
        (body_form(&rev, &format!("m:{outside}"), ("", "", "")), "请从列表中选择发言人"),
        (body_form(&rev, "m:abc", ("", "", "")), "请从列表中选择发言人"),
        (body_form(&rev, &format!("m:{member}"), ("5", "0", "0")), "票数超过到会正式党员人数"),
        (body_form(&rev, &format!("m:{member}"), ("-1", "", "")), "票数须为 0 或正整数"),
        (
            {
                let mut f = body_form(&rev, &format!("m:{member}"), ("", "", ""));
                f[8].1 = "长".repeat(20_001);
                f
            },
            "过长",
        ),
    ];
    for (fields, message) in cases {
        let resp = send(&s.client, &path, &fields).await;
        resp.assert_status(422);
        assert!(resp.body.contains(message), "expected {message}:\n{}", resp.body);
        assert!(resp.body.contains("区卫健委李处长"), "what was typed stays");
        assert_eq!(record(&app, id).await.revision, 0, "nothing written");
    }
    // A malformed revision or unknown event: no 500.
    send(&s.client, &path, &[("revision", "x".to_owned())]).await.assert_status(400);
    s.client.get("/events/999999999/minutes").await.assert_status(404);
    send(&s.client, &format!("{path}/sign"), &[("revision", "0".to_owned()), ("as", "king".to_owned())])
        .await
        .assert_status(400);
    // A draft cannot be signed; an empty comment does not send anything back.
    send(&s.client, &format!("{path}/sign"), &[("revision", "0".to_owned()), ("as", "host".to_owned())])
        .await
        .assert_status(409);
    send(&s.client, &format!("{path}/submit"), &[("revision", "0".to_owned())]).await.assert_status(303);
    let empty = send(&s.client, &format!("{path}/send-back"), &[("comment", "  ".to_owned())]).await;
    empty.assert_status(422);
    assert_eq!(record(&app, id).await.state, MinutesState::Submitted);
    send(&s.client, &format!("{path}/send-back"), &[("comment", "请补充发言".to_owned())]).await.assert_status(303);
    let back = record(&app, id).await;
    assert_eq!(back.state, MinutesState::Draft);
    assert!(back.roll.is_none(), "a record never locked gets its live roll back");

    // Frozen again on the next submission, with the attendance as it is then (not as first frozen).
    assert_eq!(count(&s.client.get(&path).await.body, "present"), 1);
    move_to(&app, starts + Duration::hours(3));
    partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap();
    let (status, json) = tap(&s.client, id, inv, "absent").await;
    assert_eq!(status, 200, "{json}");
    send(&s.client, &format!("{path}/submit"), &[("revision", "0".to_owned())]).await.assert_status(303);
    let page = s.client.get(&path).await;
    assert_eq!((count(&page.body, "present"), count(&page.body, "absent")), (0, 2), "{}", page.body);
}

#[tokio::test]
async fn two_saves_based_on_one_revision_never_both_succeed() {
    let Meeting { app, tree, s, member, id, .. } = meeting().await;
    let other = app.secretary_of(tree.a).await;
    let path = format!("/events/{id}/minutes");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    for round in 0..5 {
        let fields = body_form(&rev, &format!("m:{member}"), ("1", "0", "0"));
        let (one, two) = tokio::join!(send(&s.client, &path, &fields), send(&other, &path, &fields));
        let mut statuses = [one.status, two.status];
        statuses.sort();
        let expected = if round == 0 { [303, 409] } else { [409, 409] };
        assert_eq!(statuses, expected, "round {round}");
    }
    let saved = record(&app, id).await;
    assert_eq!(saved.revision, 1, "one save, one revision");
    use partyday::minutes::entity::revision;
    let kept =
        revision::Entity::find().filter(revision::Column::MinutesId.eq(saved.id)).all(&app.state.db).await.unwrap();
    assert_eq!(kept.len(), 1);
}

#[tokio::test]
async fn locked_minutes_are_mailed_once_to_those_present_in_their_language() {
    use crate::smtp::{SmtpServer, parts};
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(&smtp.config()).await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let (came, away) = (app.add_member(tree.a, "张三").await, app.add_member(tree.a, "李四").await);
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 120), &[]).await;
    let invitations = smtp.wait_for(3).await.len();
    let starts = crate::attendance::event_row(&app, id).await.starts_at;
    move_to(&app, starts + Duration::minutes(10));
    for m in [came, s.member] {
        let inv = inv_of(&app, id, m).await.id;
        assert_eq!(tap(&s.client, id, inv, "present").await.0, 200);
    }
    let path = format!("/events/{id}/minutes");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    send(&s.client, &path, &body_form(&rev, &format!("m:{came}"), ("2", "0", "0"))).await.assert_status(303);
    // The secretary presided and kept the record: named so after the meeting, signs as both.
    name_people(&s.client, id, Some(s.member), Some(s.member)).await;
    // Only a locked record is sent.
    send(&s.client, &format!("{path}/send"), &[]).await.assert_status(409);
    send(&s.client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);
    for as_ in ["host", "recorder"] {
        let fields = [("revision", "1".to_owned()), ("as", as_.to_owned())];
        send(&s.client, &format!("{path}/sign"), &fields).await.assert_status(303);
    }
    let sent = send(&s.client, &format!("{path}/send"), &[]).await;
    sent.assert_status(303);
    let got = smtp.wait_for(invitations + 2).await;
    crate::mail::settled(&app).await;
    let minutes: Vec<_> = got.iter().skip(invitations).collect();
    assert_eq!(minutes.len(), 2, "to the two who came");
    let away_email = partyday::members::service::find_by_id(&app.state.db, away).await.unwrap().unwrap().email.unwrap();
    assert!(minutes.iter().all(|m| !m.to.contains(&away_email)), "not to who stayed away");
    for m in &minutes {
        let text = parts(&m.data).remove("text/plain").expect("a text part").0;
        assert!(text.contains("签字锁定") && text.contains("同意张三同志转为正式党员"), "{text}");
        assert!(text.contains(&format!("/events/{id}/minutes")), "{text}");
        assert!(!m.data.contains("text/calendar"), "no calendar part");
    }
    // A second click sends nothing twice.
    send(&s.client, &format!("{path}/send"), &[]).await.assert_status(303);
    crate::mail::settled(&app).await;
    assert_eq!(smtp.received().len(), invitations + 2);
}

#[tokio::test]
async fn the_header_names_host_and_recorder_and_links_the_previous_record_of_the_kind() {
    let (app, tree, s) = setup("吴书记").await;
    let host = app.add_member(tree.a, "张主持").await;
    let recorder = app.add_member(tree.a, "李记录").await;
    let (h, r) = (host.to_string(), recorder.to_string());
    let extra = [("host_member_id", h.as_str()), ("recorder_member_id", r.as_str())];
    let first = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &extra).await;
    let second = scheduled(&app, &s.client, tree.a, (Duration::hours(3), 60), &extra).await;
    let lecture = [("kind", "party_lecture")];
    let other_kind = scheduled(&app, &s.client, tree.a, (Duration::hours(2), 30), &lecture).await;

    move_to(&app, crate::attendance::event_row(&app, first).await.starts_at + Duration::minutes(5));
    let page = s.client.get(&format!("/events/{first}/minutes")).await;
    page.assert_status(200).assert_contains("张主持").assert_contains("李记录").assert_contains("第一党支部");
    assert!(!page.body.contains("/minutes\">上次"), "no earlier record: {}", page.body);

    move_to(&app, crate::attendance::event_row(&app, second).await.starts_at + Duration::minutes(5));
    s.client.get(&format!("/events/{other_kind}/minutes")).await.assert_status(200);
    let page = s.client.get(&format!("/events/{second}/minutes")).await;
    page.assert_status(200);
    // The same branch's last record of the same kind, not the lecture held in between.
    assert!(page.body.contains(&format!("<a href=\"/events/{first}/minutes\">")), "{}", page.body);
    assert!(!page.body.contains(&format!("/events/{other_kind}/minutes")), "{}", page.body);
}

/// Characters that break the documents text goes into (U+FFFF made the feed and the Word minutes
/// unreadable) or that hide themselves in names and titles: refused in every field of the
/// minutes and the report, with the translated message, and nothing is saved. What a real record
/// may hold (tabs, emoji, a right-to-left mark in prose) goes through and the DOCX and the feed
/// stay readable by real readers.
#[tokio::test]
async fn hostile_characters_are_refused_in_every_field_and_documents_stay_readable() {
    let Meeting { app, s, member, id, .. } = meeting().await;
    let path = format!("/events/{id}/minutes");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    let speaker = format!("m:{member}");
    let base = body_form(&rev, &speaker, ("", "", ""));
    let field = |name: &str, nth: usize| base.iter().enumerate().filter(|(_, (k, _))| *k == name).nth(nth).unwrap().0;
    let one_line =
        [field("item_title", 0), field("sp_post", 0), field("sp_name", 1), field("act_what", 0), field("act_who", 0)];
    let prose = [field("sp_summary", 0), field("res_text", 0)];
    let breaking = ["\u{FFFF}", "\u{FFFE}", "\u{0}", "\u{1b}", "\u{7f}", "\u{85}", "\u{FDD0}", "\u{1FFFF}"];
    let hiding = ["\u{202E}", "\u{2066}", "\u{200B}", "\u{FEFF}"];
    let mut tried = 0;
    for (i, class) in one_line
        .iter()
        .flat_map(|i| breaking.iter().chain(&hiding).map(move |c| (*i, *c)))
        .chain(prose.iter().flat_map(|i| breaking.iter().map(move |c| (*i, *c))))
    {
        let mut fields = base.clone();
        fields[i].1 = format!("{}{class}尾", fields[i].1);
        let resp = send(&s.client, &path, &fields).await;
        assert_eq!(resp.status, 422, "{} with {:?}", fields[i].0, class);
        assert!(resp.body.contains("包含不允许的字符"), "{}: {}", fields[i].0, resp.body);
        tried += 1;
    }
    assert_eq!(tried, 5 * 12 + 2 * 8);
    for due in ["0000-01-01", "-0001-01-01", "+12345-01-01", "12345-01-01"] {
        let mut fields = base.clone();
        fields[field("act_due", 0)].1 = due.to_owned();
        send(&s.client, &path, &fields).await.assert_status(422).assert_contains("格式 YYYY-MM-DD");
    }
    assert_eq!(record(&app, id).await.revision, 0, "nothing written");

    // What a record may hold is kept, and a real DOCX reader opens it.
    let mut fields = base.clone();
    fields[field("sp_summary", 0)].1 = "第一点\t要点🎉\nשלום\u{200F} 结束".to_owned();
    fields[field("item_title", 0)].1 = "交流发言 🎉".to_owned();
    send(&s.client, &path, &fields).await.assert_status(303);
    let (status, _, bytes) = s.client.download(&format!("{path}.docx")).await;
    assert_eq!(status, 200);
    if let Some(text) = read_docx(&bytes) {
        assert!(text.contains("交流发言 🎉") && text.contains("要点🎉"), "{text}");
    }

    // The report: its one-line fields and its prose, the same rules.
    let ends = crate::attendance::event_row(&app, id).await.ends_at;
    move_to(&app, ends + Duration::minutes(1));
    partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap();
    assert_eq!(crate::reports::draft_pass(&app).await, 1);
    let rid = id;
    let report_path = format!("/events/{rid}/report");
    let r = crate::reports::report_of(&app, rid).await;
    let edit = |name: &str, value: String| {
        let mut f = vec![
            ("revision", r.revision.to_string()),
            ("title", "机关党支部开展主题党日活动".to_owned()),
            ("author_department", "党群服务与组织管理".to_owned()),
            ("shown_on", r.shown_on.to_string()),
            ("summary", "导语".to_owned()),
            ("body", "正文".to_owned()),
        ];
        f.iter_mut().find(|(k, _)| *k == name).unwrap().1 = value;
        f
    };
    for (name, class) in [
        ("title", "\u{FFFF}"),
        ("title", "\u{202E}"),
        ("author_department", "\u{200B}"),
        ("summary", "\u{0}"),
        ("body", "\u{FFFE}"),
    ] {
        let resp = send(&s.client, &report_path, &edit(name, format!("文字{class}"))).await;
        assert_eq!(resp.status, 422, "{name} with {class:?}");
        assert!(resp.body.contains("包含不允许的字符"), "{name}: {}", resp.body);
    }
    assert_eq!(crate::reports::report_of(&app, rid).await.revision, 0, "nothing written");
    send(&s.client, &report_path, &edit("body", "第一段\t🎉\n\nשלום\u{200F} 结束".to_owned())).await.assert_status(303);
    let admin = app.login_as(Role::Admin).await;
    let rev = crate::reports::report_of(&app, rid).await.revision.to_string();
    admin
        .post(&format!("{report_path}/step"), &[("step", "publish"), ("note", ""), ("revision", &rev)])
        .await
        .assert_status(303);
    let feed = app.client().get("/activities/feed.atom").await;
    if let Some(parsed) = crate::reports::parse_feed(&feed.body) {
        assert_eq!(parsed["bozo"], false, "{}", feed.body);
        assert_eq!(parsed["entries"][0]["title"], "机关党支部开展主题党日活动");
    }
}

/// A record's form with `n` speeches of `lines` lines each (the same text, `tag`ged).
fn long_body(
    base: &[(&'static str, String)],
    speaker: &str,
    n: usize,
    lines: usize,
    tag: &str,
) -> Vec<(&'static str, String)> {
    let mut fields = base.to_vec();
    let summary = (0..lines).map(|i| format!("{tag}{}", i % 10)).collect::<Vec<_>>().join("\n");
    for _ in 0..n {
        for (k, v) in
            [("sp_item", "0"), ("sp_speaker", speaker), ("sp_name", ""), ("sp_post", ""), ("sp_role", "exchange")]
        {
            fields.push((k, v.to_owned()));
        }
        fields.push(("sp_summary", summary.clone()));
    }
    fields
}

#[tokio::test]
async fn revisions_of_any_length_are_bounded_and_readers_see_only_locked_ones() {
    let Meeting { app, s, member, id, .. } = meeting().await;
    let member_client = app.login_linked(Role::Member, member).await;
    let path = format!("/events/{id}/minutes");
    let speaker = format!("m:{member}");

    // Over 200,000 characters in all (each field under its own limit): refused, nothing saved.
    let base = body_form("0", &speaker, ("", "", ""));
    let over = long_body(&base, &speaker, 11, 6_500, "长");
    send(&s.client, &path, &over).await.assert_status(422).assert_contains("超过 20 万字");
    assert_eq!(record(&app, id).await.revision, 0);

    // Two saves of 65,000 short lines each.
    send(&s.client, &path, &long_body(&base, &speaker, 10, 6_500, "甲")).await.assert_status(303);
    let base = body_form("1", &speaker, ("", "", ""));
    send(&s.client, &path, &long_body(&base, &speaker, 10, 6_500, "乙")).await.assert_status(303);
    let page = s.client.get(&format!("{path}/revisions")).await;
    page.assert_status(200).assert_contains("太长，无法逐行比较").assert_contains("?show=1");
    assert!(!page.body.contains("class=\"diff\""), "nothing compared line by line");
    let whole = s.client.get(&format!("{path}/revisions?show=1")).await;
    whole.assert_status(200).assert_contains("第 1 版").assert_contains("甲9");
    assert!(!whole.body.contains("乙9"));

    // Signed and locked at revision 2: a member reads that revision, never the draft before it.
    name_people(&s.client, id, Some(s.member), Some(s.member)).await;
    send(&s.client, &format!("{path}/submit"), &[("revision", "2".to_owned())]).await.assert_status(303);
    for as_ in ["host", "recorder"] {
        send(&s.client, &format!("{path}/sign"), &[("revision", "2".to_owned()), ("as", as_.to_owned())])
            .await
            .assert_status(303);
    }
    assert_eq!(record(&app, id).await.state, MinutesState::Locked);
    let read = member_client.get(&format!("{path}/revisions")).await;
    read.assert_status(200);
    assert!(read.body.contains("value=\"2\"") && !read.body.contains("value=\"1\""), "{}", read.body);
    let asked = member_client.get(&format!("{path}/revisions?show=1&a=1&b=2")).await;
    asked.assert_status(200);
    assert!(!asked.body.contains("甲9"), "a draft revision stays with its writers");
    // Its writers still see both.
    assert!(s.client.get(&format!("{path}/revisions")).await.body.contains("value=\"1\""));
}
