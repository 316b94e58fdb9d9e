//! Minutes after the meeting (issues 28 and 29): the host and recorder named on an ended event from
//! its record's page (logged in the event's history) until the record is locked; signatures on
//! behalf (代签) marked in the page, the print view, the Word file and the history, and never given
//! as one's own for a role one does not hold; guests on their own lines by role; the counted
//! non-voting audience in the 列席 line; blank rows that stay; the record before the meeting; the
//! signed record that stays the record through an amendment; a return its writers see at the top;
//! 应到 in parts that add up, signatures kept with the last item in print, page numbers in Word,
//! and a send to nobody said so.
use chrono::Duration;
use partyday::{
    accounts::Role,
    events::entity::event,
    minutes::{entity::minutes, rules::MinutesState},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::{
    attendance::{event_row, inv_of, move_to, scheduled, setup, tap},
    helpers::TestApp,
    minutes::{body_form, name_people, read_docx, revision_in, send},
};

async fn record(app: &TestApp, event: i64) -> minutes::Model {
    minutes::Entity::find().filter(minutes::Column::EventId.eq(event)).one(&app.state.db).await.unwrap().unwrap()
}

async fn display_name(app: &TestApp, account: i64) -> String {
    use partyday::accounts::entity::account;
    account::Entity::find_by_id(account).one(&app.state.db).await.unwrap().unwrap().display_name
}

fn sign(revision: i32, as_: &str, on_behalf: bool) -> Vec<(&'static str, String)> {
    let mut f = vec![("revision", revision.to_string()), ("as", as_.to_owned())];
    if on_behalf {
        f.push(("on_behalf", "1".to_owned()));
    }
    f
}

/// The text of the element marked with `attr` (a `dd` or `td`), tags dropped.
fn marked(body: &str, attr: &str) -> String {
    let start = body.find(attr).unwrap_or_else(|| panic!("no {attr} on the page:\n{body}"));
    let from = start + body[start..].find('>').unwrap() + 1;
    let rest = &body[from..];
    let end = [rest.find("</dd>"), rest.find("</td>")].into_iter().flatten().min().unwrap();
    let mut text = String::new();
    let mut inside = false;
    for c in rest[..end].chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            _ if !inside => text.push(c),
            _ => {}
        }
    }
    text.trim().to_owned()
}

#[tokio::test]
async fn host_and_recorder_are_named_after_the_event_and_a_signature_on_behalf_says_so_everywhere() {
    let (app, tree, s) = setup("吴书记").await;
    // The host and recorder have no accounts: the secretary signs for them.
    let (host, recorder) = (app.add_member(tree.a, "王某").await, app.add_member(tree.a, "赵记录").await);
    let member = app.add_member(tree.a, "张三").await;
    let member_client = app.login_linked(Role::Member, member).await;
    let outside = app.add_member(tree.b, "外支部党员").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let path = format!("/events/{id}/minutes");

    let ends = event_row(&app, id).await.ends_at;
    move_to(&app, ends + Duration::hours(2));
    partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap();
    // The event form has closed; the record's page names them.
    s.client.get(&format!("/events/{id}/edit")).await.assert_status(409);
    let page = s.client.get(&path).await;
    page.assert_status(200).assert_contains("/minutes/people").assert_contains("主持人和记录人");
    assert!(page.body.contains("<details class=\"panel people-form\" open>"), "unnamed: open");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    send(&s.client, &path, &body_form(&rev, &format!("m:{host}"), ("", "", ""))).await.assert_status(303);
    send(&s.client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);

    // Nobody is named: no signature is offered, and none is taken, own or on behalf.
    let page = s.client.get(&path).await;
    assert!(!page.body.contains("name=\"as\" value=\"host\""), "{}", page.body);
    page.assert_contains("data-unnamed=\"host\"").assert_contains("data-unnamed=\"recorder\"");
    for on_behalf in [false, true] {
        let refused = send(&s.client, &format!("{path}/sign"), &sign(1, "host", on_behalf)).await;
        refused.assert_status(409).assert_contains("尚未指定主持人或记录人");
    }

    // Bad names are refused by the field and change nothing; only the branch's managers name them.
    let people = |h: &str, g: &str, r: &str| {
        vec![("host_member_id", h.to_owned()), ("host_guest_name", g.to_owned()), ("recorder_member_id", r.to_owned())]
    };
    let people_path = format!("{path}/people");
    for (fields, message) in [
        (people(&outside.to_string(), "", ""), "请选择主办或协办支部的在册党员"),
        (people(&host.to_string(), "王局长", ""), "主持人只能选择党员或填写姓名其中之一"),
        (people("", "", "abc"), "请从列表中选择"),
        (people("", &"长".repeat(101), ""), "过长"),
    ] {
        let resp = send(&s.client, &people_path, &fields).await;
        resp.assert_status(422).assert_contains(message);
        if !fields[1].1.is_empty() {
            resp.assert_contains(&format!("name=\"host_guest_name\" value=\"{}\"", fields[1].1));
        }
    }
    send(&member_client, &people_path, &people(&host.to_string(), "", "")).await.assert_status(404);
    let e = event_row(&app, id).await;
    assert_eq!((e.host_member_id, e.host_guest_name, e.recorder_member_id), (None, None, None), "nothing written");

    name_people(&s.client, id, Some(host), Some(recorder)).await;
    let e = event_row(&app, id).await;
    assert_eq!((e.host_member_id, e.recorder_member_id), (Some(host), Some(recorder)));
    // The event's history says who changed and how.
    let event_page = s.client.get(&format!("/events/{id}")).await;
    event_page.assert_contains("主持人变更 · — → 王某").assert_contains("记录人变更 · — → 赵记录");
    // Named again the same: nothing logged twice.
    name_people(&s.client, id, Some(host), Some(recorder)).await;
    use partyday::events::entity::change;
    let logged = change::Entity::find().filter(change::Column::EventId.eq(id)).all(&app.state.db).await.unwrap();
    assert_eq!(logged.iter().filter(|c| c.kind == "host" || c.kind == "recorder").count(), 2);

    // The secretary holds neither role: signing as the host is refused unless marked on behalf.
    let page = s.client.get(&path).await;
    page.assert_contains("代主持人签字").assert_contains("代记录人签字").assert_contains("王某无法登录签字");
    assert!(!page.body.contains("以主持人身份签字"), "no signature of one's own for a role not held");
    let own = send(&s.client, &format!("{path}/sign"), &sign(1, "host", false)).await;
    own.assert_status(409).assert_contains("只能以“代签”方式签字");
    assert!(record(&app, id).await.host_signed_at.is_none());
    send(&s.client, &format!("{path}/sign"), &sign(1, "host", true)).await.assert_status(303);
    // A role signed is not renamed under its signature; the other still may be.
    let renamed = send(&s.client, &people_path, &people(&member.to_string(), "", &recorder.to_string())).await;
    renamed.assert_status(409);
    assert_eq!(event_row(&app, id).await.host_member_id, Some(host));
    send(&s.client, &format!("{path}/sign"), &sign(1, "recorder", true)).await.assert_status(303);
    let locked = record(&app, id).await;
    assert_eq!(locked.state, MinutesState::Locked);
    assert_eq!(locked.host_signed_for.as_deref(), Some("王某"));
    assert_eq!(locked.recorder_signed_for.as_deref(), Some("赵记录"));
    assert_eq!(locked.host_signed_by, Some(s.account));

    // Page, print, Word and history: the holder first, who signed for them and when.
    let me = display_name(&app, s.account).await;
    let at = crate::attendance::local(locked.host_signed_at.unwrap()).replace('T', " ");
    let host_line = format!("王某（由{me}代签，{at}）");
    let page = s.client.get(&path).await;
    assert_eq!(marked(&page.body, "data-signature=\"host\""), host_line, "{}", page.body);
    assert!(marked(&page.body, "data-signature=\"recorder\"").starts_with(&format!("赵记录（由{me}代签，")));
    page.assert_contains("代主持人签字").assert_contains("代记录人签字");
    assert!(!page.body.contains("/minutes/people"), "locked: the people are not renamed here");
    send(&s.client, &people_path, &people("", "", "")).await.assert_status(409);
    let print = s.client.get(&format!("{path}/print")).await;
    print.assert_status(200).assert_contains(&format!("主持人（签字）：{host_line}"));
    let (status, _, bytes) = s.client.download(&format!("{path}.docx")).await;
    assert_eq!(status, 200);
    if let Some(text) = read_docx(&bytes) {
        assert!(text.contains(&format!("主持人（签字）：{host_line}")), "{text}");
        assert!(text.contains(&format!("记录人（签字）：赵记录（由{me}代签，")), "{text}");
        assert!(text.contains("主持人 | 王某 | 记录人 | 赵记录"), "the header names them: {text}");
    }

    // In English equally.
    send(&s.client, "/account", &[("display_name", "Li".to_owned()), ("locale", "en".to_owned())])
        .await
        .assert_status(303);
    let page = s.client.get(&path).await;
    assert_eq!(marked(&page.body, "data-signature=\"host\""), format!("王某 (signed on behalf by Li, {at})"));
    page.assert_contains("signed on behalf of the host");
}

#[tokio::test]
async fn a_host_who_signs_in_signs_for_themselves_and_a_secretary_holding_a_role_signs_it_as_their_own() {
    let (app, tree, s) = setup("吴书记").await;
    let host = app.add_member(tree.a, "张主持").await;
    let host_client = app.login_linked(Role::Member, host).await;
    let (h, me) = (host.to_string(), s.member.to_string());
    let extra = [("host_member_id", h.as_str()), ("recorder_member_id", me.as_str())];
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &extra).await;
    let path = format!("/events/{id}/minutes");
    move_to(&app, event_row(&app, id).await.ends_at + Duration::minutes(5));
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    send(&s.client, &path, &body_form(&rev, "named", ("", "", ""))).await.assert_status(422);
    let mut form = body_form(&rev, "named", ("", "", ""));
    form[5].1 = "李老师".to_owned();
    send(&s.client, &path, &form).await.assert_status(303);
    send(&s.client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);

    // The host can sign in: nobody signs for them.
    let page = s.client.get(&path).await;
    assert!(!page.body.contains("代主持人签字") && page.body.contains("以记录人身份签字"), "{}", page.body);
    send(&s.client, &format!("{path}/sign"), &sign(1, "host", true)).await.assert_status(403);
    send(&s.client, &format!("{path}/sign"), &sign(1, "host", false)).await.assert_status(403);
    // Two presses at once: one signature.
    let (sign_path, fields) = (format!("{path}/sign"), sign(1, "recorder", false));
    let (one, two) = tokio::join!(send(&s.client, &sign_path, &fields), send(&s.client, &sign_path, &fields));
    let mut statuses = [one.status, two.status];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    send(&host_client, &format!("{path}/sign"), &sign(1, "host", false)).await.assert_status(303);
    let locked = record(&app, id).await;
    assert_eq!(locked.state, MinutesState::Locked);
    assert!(locked.host_signed_for.is_none() && locked.recorder_signed_for.is_none(), "own signatures");
    let page = s.client.get(&path).await;
    assert!(!page.body.contains("代签"), "{}", page.body);
    let me = display_name(&app, s.account).await;
    assert!(marked(&page.body, "data-signature=\"recorder\"").starts_with(&me));
}

#[tokio::test]
async fn guests_stand_on_their_own_lines_and_the_counted_audience_in_the_non_voting_line() {
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let id = crate::attendance::draft(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    for (name, organisation, title, role) in [
        ("陈国栋", "高新区卫生健康委员会", "党组书记、主任", "leader"),
        ("代表", "高新区人民医院", "院长", "guest_speaker"),
        ("代表", "市第一人民医院", "党委书记", "guest_speaker"),
        ("孙悦", "高新区人民医院党委办公室", "干事", "non_voting"),
    ] {
        let fields = [("name", name), ("organisation", organisation), ("title", title), ("role", role)];
        s.client.post(&format!("/events/{id}/guests"), &fields).await.assert_status(303);
    }
    crate::attendance::publish(&s.client, id).await;
    move_to(&app, event_row(&app, id).await.starts_at + Duration::minutes(10));
    // The head count, as counted on the attendance page.
    let counted = [
        ("non_voting_count", "50".to_owned()),
        ("non_voting_approx", "1".to_owned()),
        ("non_voting_note", "各会员单位党务工作者".to_owned()),
    ];
    send(&s.client, &format!("/events/{id}/attendance/non-voting"), &counted).await.assert_status(303);
    let path = format!("/events/{id}/minutes");

    let page = s.client.get(&path).await;
    page.assert_status(200);
    assert_eq!(marked(&page.body, "data-line=\"leaders\""), "陈国栋（高新区卫生健康委员会 · 党组书记、主任）");
    assert_eq!(
        marked(&page.body, "data-line=\"guest_speakers\""),
        "代表（市第一人民医院 · 党委书记）、代表（高新区人民医院 · 院长）"
    );
    let others = marked(&page.body, "data-line=\"others\"");
    assert_eq!(others, "各会员单位党务工作者50余人、孙悦（高新区人民医院党委办公室 · 干事）");
    assert!(!others.contains("陈国栋"), "a leader is never 列席");

    // The speaker choice tells the delegates apart; a guest speaker's organisation is the post.
    let edit = s.client.get(&format!("{path}/edit")).await;
    edit.assert_contains("高新区人民医院 · 院长 · 代表</option>")
        .assert_contains("市第一人民医院 · 党委书记 · 代表</option>");
    edit.assert_contains("高新区卫生健康委员会 · 党组书记、主任 · 陈国栋</option>");
    let guest = |org: &str| {
        let at = edit.body.find(&format!("{org} · ")).unwrap();
        let value = edit.body[..at].rfind("value=\"g:").unwrap() + "value=\"".len();
        edit.body[value..].split('"').next().unwrap().to_owned()
    };
    let (delegate, leader) = (guest("市第一人民医院"), guest("高新区卫生健康委员会"));
    let rev = revision_in(&edit.body);
    let mut form = body_form(&rev, &delegate, ("", "", ""));
    form[6].1 = String::new();
    form.extend([
        ("sp_item", "0".to_owned()),
        ("sp_speaker", leader),
        ("sp_name", String::new()),
        ("sp_post", String::new()),
        ("sp_role", "leader_speech".to_owned()),
        ("sp_summary", "提出要求".to_owned()),
    ]);
    send(&s.client, &path, &form).await.assert_status(303);
    let page = s.client.get(&path).await;
    page.assert_contains("<strong>代表</strong> · 市第一人民医院")
        .assert_contains("<strong>陈国栋</strong> · 高新区卫生健康委员会 党组书记、主任");

    // Print and Word: the same lines.
    let print = s.client.get(&format!("{path}/print")).await;
    assert_eq!(marked(&print.body, "data-line=\"others\""), others);
    assert!(print.body.contains("出席领导") && print.body.contains("嘉宾及代表"));
    let (_, _, bytes) = s.client.download(&format!("{path}.docx")).await;
    if let Some(text) = read_docx(&bytes) {
        assert!(text.contains(&format!("列席 | {others}")), "{text}");
        assert!(text.contains("出席领导 | 陈国栋（高新区卫生健康委员会 · 党组书记、主任）"), "{text}");
        assert!(text.contains("嘉宾及代表 | 代表（市第一人民医院 · 党委书记）"), "{text}");
    }

    // A description without a count stands alone.
    let mut e: event::ActiveModel = event_row(&app, id).await.into();
    e.non_voting_count = Set(None);
    e.update(&app.state.db).await.unwrap();
    let line = marked(&s.client.get(&path).await.body, "data-line=\"others\"");
    assert_eq!(line, "各会员单位党务工作者、孙悦（高新区人民医院党委办公室 · 干事）");
    // An exact count without a description; frozen with the roll when the record is submitted.
    let mut e: event::ActiveModel = event_row(&app, id).await.into();
    e.non_voting_count = Set(Some(12));
    e.non_voting_approx = Set(false);
    e.non_voting_note = Set(None);
    e.update(&app.state.db).await.unwrap();
    let line = marked(&s.client.get(&path).await.body, "data-line=\"others\"");
    assert_eq!(line, "12人、孙悦（高新区人民医院党委办公室 · 干事）");
    send(&s.client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);
    let mut e: event::ActiveModel = event_row(&app, id).await.into();
    e.non_voting_count = Set(Some(99));
    e.update(&app.state.db).await.unwrap();
    assert_eq!(marked(&s.client.get(&path).await.body, "data-line=\"others\""), line, "frozen at submission");

    // English.
    send(&s.client, "/account", &[("display_name", "Wu".to_owned()), ("locale", "en".to_owned())])
        .await
        .assert_status(303);
    let page = s.client.get(&path).await;
    page.assert_contains("Leaders attending").assert_contains("Guest speakers and delegates");
    assert!(marked(&page.body, "data-line=\"others\"").starts_with("12 people"));
    let _ = member;
}

#[tokio::test]
async fn adding_a_speech_twice_gives_two_blank_rows_and_blank_rows_go_on_saving() {
    let (app, tree, s) = setup("吴书记").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    move_to(&app, event_row(&app, id).await.starts_at + Duration::minutes(5));
    let path = format!("/events/{id}/minutes");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    let rows = |body: &str| body.matches("name=\"sp_item\" value=\"0\"").count();
    let base = vec![("revision", rev.clone()), ("item_title", "交流发言".to_owned())];
    let once = send(&s.client, &path, &[base.clone(), vec![("op", "add_speech:0".to_owned())]].concat()).await;
    once.assert_status(200);
    assert_eq!(rows(&once.body), 1);
    // The form as the browser sends it back: the blank row, and the button pressed again.
    let blank = ["sp_item", "sp_speaker", "sp_name", "sp_post", "sp_role", "sp_summary"].map(|k| {
        (
            k,
            if k == "sp_item" {
                "0"
            } else if k == "sp_role" {
                "exchange"
            } else {
                ""
            }
            .to_owned(),
        )
    });
    let twice =
        send(&s.client, &path, &[base.clone(), blank.to_vec(), vec![("op", "add_speech:0".to_owned())]].concat()).await;
    twice.assert_status(200);
    assert_eq!(rows(&twice.body), 2, "two presses, two rows");
    // Another item twice too.
    let items = send(
        &s.client,
        &path,
        &[base.clone(), vec![("item_title", String::new()), ("op", "add_item".to_owned())]].concat(),
    )
    .await;
    assert_eq!(items.body.matches("name=\"item_title\"").count(), 3);
    assert_eq!(record(&app, id).await.revision, 0, "nothing saved by adding rows");
    // Saving drops the blank rows.
    send(&s.client, &path, &[base, blank.to_vec(), vec![("op", "save".to_owned())]].concat()).await.assert_status(303);
    let saved = record(&app, id).await;
    assert!(saved.body.contains("交流发言") && !saved.body.contains("\"speeches\":[{"), "{}", saved.body);
}

/// A part of a Word document as its XML (`word/document.xml`, `word/footer1.xml`).
fn docx_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a DOCX is a zip");
    let mut part = zip.by_name(name).unwrap_or_else(|e| panic!("no {name} in the document: {e}"));
    let mut xml = String::new();
    part.read_to_string(&mut xml).unwrap();
    xml
}

/// The resolution as signed, and as amended.
const SIGNED: &str = "同意张三同志转为正式党员";
const AMENDED: &str = "修订后的决议文本";

#[tokio::test]
async fn an_amendment_leaves_the_signed_record_in_force_until_it_is_signed_and_locked_in_turn() {
    let (app, tree, s) = setup("吴书记").await;
    let (host, recorder) = (app.add_member(tree.a, "张主持").await, app.add_member(tree.a, "李记录").await);
    let reader = app.add_member(tree.a, "王党员").await;
    let (host_client, recorder_client) =
        (app.login_linked(Role::Member, host).await, app.login_linked(Role::Member, recorder).await);
    let member_client = app.login_linked(Role::Member, reader).await;
    let (h, r) = (host.to_string(), recorder.to_string());
    let extra = [("host_member_id", h.as_str()), ("recorder_member_id", r.as_str())];
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 120), &extra).await;
    let path = format!("/events/{id}/minutes");
    let starts = event_row(&app, id).await.starts_at;
    move_to(&app, starts + Duration::minutes(10));
    for m in [host, recorder] {
        let inv = inv_of(&app, id, m).await.id;
        assert_eq!(tap(&s.client, id, inv, "present").await.0, 200);
    }
    let speaker = format!("m:{host}");
    send(&recorder_client, &path, &body_form("0", &speaker, ("2", "0", "0"))).await.assert_status(303);
    send(&recorder_client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);
    send(&host_client, &format!("{path}/sign"), &sign(1, "host", false)).await.assert_status(303);
    send(&recorder_client, &format!("{path}/sign"), &sign(1, "recorder", false)).await.assert_status(303);
    let signed = record(&app, id).await;
    assert_eq!(signed.state, MinutesState::Locked);
    let host_name = display_name(&app, signed.host_signed_by.unwrap()).await;
    let recorder_name = display_name(&app, signed.recorder_signed_by.unwrap()).await;

    // The recorder amends it: a new item title and resolution, with a reason.
    let mut amended = body_form("1", &speaker, ("2", "0", "0"));
    for (k, v) in &mut amended {
        match *k {
            "res_text" => *v = AMENDED.to_owned(),
            "item_title" => *v = "交流发言（修订）".to_owned(),
            _ => {}
        }
    }
    amended.push(("reason", "更正决议文字".to_owned()));
    send(&recorder_client, &path, &amended).await.assert_status(303);
    let during = record(&app, id).await;
    assert_eq!((during.state, during.revision, during.signed_revision), (MinutesState::Draft, 2, Some(1)));

    // Members still read the signed record with its signatures, whatever they ask for.
    for asked in [path.clone(), format!("{path}?version=amendment")] {
        let read = member_client.get(&asked).await;
        read.assert_status(200);
        assert!(read.body.contains(SIGNED) && !read.body.contains(AMENDED), "{}", read.body);
        assert!(read.body.contains("已锁定") && !read.body.contains("修订中"), "{}", read.body);
        assert!(!read.body.contains("更正决议文字"), "the amendment's history is its writers': {}", read.body);
        assert!(marked(&read.body, "data-signature=\"host\"").contains(&host_name), "{}", read.body);
        assert!(marked(&read.body, "data-signature=\"recorder\"").contains(&recorder_name), "{}", read.body);
    }
    assert!(member_client.get(&format!("/events/{id}")).await.body.contains("查看会议记录"));
    let print = member_client.get(&format!("{path}/print")).await;
    print.assert_status(200);
    assert!(print.body.contains(SIGNED) && !print.body.contains(AMENDED), "{}", print.body);
    assert!(print.body.contains(&host_name) && !print.body.contains("class=\"line\""), "signed, no blank lines");
    let (status, _, bytes) = member_client.download(&format!("{path}.docx")).await;
    assert_eq!(status, 200);
    let xml = docx_part(&bytes, "word/document.xml");
    assert!(xml.contains(SIGNED) && !xml.contains(AMENDED), "{xml}");
    assert!(xml.contains(&host_name) && xml.contains(&recorder_name) && !xml.contains("__________"), "{xml}");

    // Its writers see the amendment as 修订中, with a way to the signed record and back.
    let writing = recorder_client.get(&path).await;
    writing.assert_status(200).assert_contains("修订中").assert_contains(AMENDED);
    writing.assert_contains(&format!("href=\"{path}?version=signed\"")).assert_contains("已签署的第 1 版");
    writing.assert_contains(&format!("href=\"{path}/print?version=amendment\""));
    let signed_view = s.client.get(&format!("{path}?version=signed")).await;
    signed_view.assert_status(200).assert_contains(SIGNED).assert_contains("已签署 20");
    assert!(!signed_view.body.contains(AMENDED) && signed_view.body.contains(&format!("href=\"{path}\"")));
    assert!(!signed_view.body.contains("/minutes/edit"), "the amendment is edited, not the signed record");
    let draft_print = recorder_client.get(&format!("{path}/print?version=amendment")).await;
    draft_print.assert_status(200).assert_contains(AMENDED).assert_contains("修订中");
    // The revisions page marks the signed revision.
    let revisions = s.client.get(&format!("{path}/revisions")).await;
    revisions.assert_status(200).assert_contains("data-signed=\"1\"").assert_contains("已签署 20");
    assert!(!revisions.body.contains("data-signed=\"2\""), "{}", revisions.body);

    // The year's archive lists it as signed and files the signed text.
    let year = crate::attendance::local(starts)[..4].to_owned();
    let year_page = s.client.get(&format!("/branches/{}/minutes?year={year}", tree.a)).await;
    year_page.assert_status(200).assert_contains("已锁定").assert_contains("修订中");
    let (status, _, archive) = s.client.download(&format!("/branches/{}/minutes.docx?year={year}", tree.a)).await;
    assert_eq!(status, 200);
    let xml = docx_part(&archive, "word/document.xml");
    assert!(xml.contains(SIGNED) && !xml.contains(AMENDED), "{xml}");
    // The report and the mail read the signed record.
    let e = event_row(&app, id).await;
    let said = partyday::minutes::service::said(&app.state.db, &e, &Default::default()).await.unwrap().unwrap();
    assert!(said.locked && said.items[0].title == "交流发言", "the report reads the signed record");
    let lines = partyday::minutes::mail_document(&app.state.db, &e, partyday::i18n::Locale::ZhCn)
        .await
        .unwrap()
        .expect("a signed record is mailed");
    assert!(lines.iter().any(|l| l.contains(SIGNED)) && !lines.iter().any(|l| l.contains(AMENDED)), "{lines:?}");

    // Signed and locked in turn, the amendment is the record.
    send(&recorder_client, &format!("{path}/submit"), &[("revision", "2".to_owned())]).await.assert_status(303);
    assert!(!member_client.get(&path).await.body.contains(AMENDED), "submitted is not signed");
    send(&host_client, &format!("{path}/sign"), &sign(2, "host", false)).await.assert_status(303);
    send(&recorder_client, &format!("{path}/sign"), &sign(2, "recorder", false)).await.assert_status(303);
    let relocked = record(&app, id).await;
    assert_eq!((relocked.state, relocked.revision, relocked.signed_revision), (MinutesState::Locked, 2, None));
    assert!(relocked.signed_body.is_none());
    let read = member_client.get(&path).await;
    assert!(read.body.contains(AMENDED) && !read.body.contains(SIGNED), "{}", read.body);
    let (_, _, bytes) = member_client.download(&format!("{path}.docx")).await;
    let xml = docx_part(&bytes, "word/document.xml");
    assert!(xml.contains(AMENDED) && !xml.contains(SIGNED), "{xml}");
    assert!(!recorder_client.get(&path).await.body.contains("修订中"));
    for client in [&s.client, &member_client] {
        let revisions = client.get(&format!("{path}/revisions")).await;
        revisions.assert_contains("data-signed=\"1\"").assert_contains("data-signed=\"2\"");
    }
}

#[tokio::test]
async fn minutes_sent_back_say_so_at_the_top_to_their_writers_until_submitted_again() {
    let (app, tree, s) = setup("吴书记").await;
    let (host, recorder) = (app.add_member(tree.a, "张主持").await, app.add_member(tree.a, "李记录").await);
    let (host_client, recorder_client) =
        (app.login_linked(Role::Member, host).await, app.login_linked(Role::Member, recorder).await);
    let (h, r) = (host.to_string(), recorder.to_string());
    let extra = [("host_member_id", h.as_str()), ("recorder_member_id", r.as_str())];
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 120), &extra).await;
    let path = format!("/events/{id}/minutes");
    move_to(&app, event_row(&app, id).await.starts_at + Duration::minutes(10));
    let speaker = format!("m:{host}");
    send(&recorder_client, &path, &body_form("0", &speaker, ("", "", ""))).await.assert_status(303);
    send(&recorder_client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);
    assert!(!recorder_client.get(&path).await.body.contains("已退回"));

    let comment = "请补充第二项议程的发言";
    send(&host_client, &format!("{path}/send-back"), &[("comment", comment.to_owned())]).await.assert_status(303);
    let m = record(&app, id).await;
    let returned = partyday::minutes::service::returned(&app.state.db, m.id).await.unwrap().expect("returned");
    let host_name = {
        use partyday::accounts::entity::account;
        let found = account::Entity::find().filter(account::Column::MemberId.eq(host)).one(&app.state.db).await;
        found.unwrap().unwrap().display_name
    };
    assert_eq!((returned.comment.as_str(), returned.by_name.as_deref()), (comment, Some(host_name.as_str())));
    // Its writers read the return first: state, comment, who and when, above the record.
    for client in [&recorder_client, &s.client] {
        let page = client.get(&path).await;
        page.assert_status(200);
        let banner = page.body.find("class=\"flash flash-error returned\"").expect("the return is shown");
        assert!(banner < page.body.find("<dl class=\"facts\">").unwrap(), "at the top: {}", page.body);
        let shown = &page.body[banner..];
        assert!(shown.contains("已退回") && shown.contains(comment) && shown.contains(&host_name), "{shown}");
        assert!(shown.contains(&crate::attendance::local(returned.at)[..10]), "{shown}");
    }
    // Saved again it still waits for a new submission; submitted, the return is past.
    send(&recorder_client, &path, &body_form("1", &speaker, ("", "", ""))).await.assert_status(303);
    recorder_client.get(&path).await.assert_contains("已退回").assert_contains(comment);
    send(&recorder_client, &format!("{path}/submit"), &[("revision", "2".to_owned())]).await.assert_status(303);
    assert!(!recorder_client.get(&path).await.body.contains("flash flash-error returned"));
    assert!(partyday::minutes::service::returned(&app.state.db, m.id).await.unwrap().is_none());
}

#[tokio::test]
async fn the_expected_count_adds_up_print_keeps_signatures_with_the_last_item_and_word_numbers_pages() {
    use partyday::members::{entity::member, rules::PoliticalStatus};
    let (app, tree, s) = setup("吴书记").await;
    for (name, status) in [
        ("发展对象甲", PoliticalStatus::Candidate),
        ("积极分子乙", PoliticalStatus::Activist),
        ("预备党员丙", PoliticalStatus::Probationary),
    ] {
        let id = app.add_member(tree.a, name).await;
        let mut m: member::ActiveModel =
            member::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap().into();
        m.political_status = Set(status);
        m.update(&app.state.db).await.unwrap();
    }
    // A party lecture for candidates and activists too.
    let starts = app.state.now() + Duration::hours(1);
    let (from, to) = (crate::attendance::local(starts), crate::attendance::local(starts + Duration::hours(1)));
    let changes = [("starts_at", from.as_str()), ("ends_at", to.as_str()), ("kind", "party_lecture")];
    let mut fields = crate::events::with(crate::events::form(tree.a), &changes);
    fields.retain(|(k, _)| k != "statuses");
    for status in ["full", "probationary", "candidate", "activist"] {
        fields.push(("statuses".to_owned(), status.to_owned()));
    }
    let created = crate::events::post(&s.client, "/events", &fields).await;
    let id = crate::events::id_from(created.assert_status(303).location());
    crate::attendance::publish(&s.client, id).await;
    let path = format!("/events/{id}/minutes");
    let ends = event_row(&app, id).await.ends_at;
    move_to(&app, ends + Duration::minutes(5));
    partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap();

    // 应到 names every part of its number, live and once frozen.
    let adds_up = |body: &str| {
        let marker = "data-count=\"expected\">";
        let at = body.find(marker).expect("应到") + marker.len();
        let expected: usize = body[at..].split('<').next().unwrap().parse().unwrap();
        let parts = marked(body, "data-parts=\"expected\"");
        assert!(
            parts.contains("发展对象 1") && parts.contains("入党积极分子 1") && parts.contains("预备党员 1"),
            "{parts}"
        );
        let sum: usize =
            parts.split(['（', '）', '·']).filter_map(|p| p.split_whitespace().last()?.parse::<usize>().ok()).sum();
        assert_eq!(sum, expected, "{parts} adds up to {expected}");
    };
    adds_up(&s.client.get(&path).await.body);
    name_people(&s.client, id, Some(s.member), Some(s.member)).await;
    send(&s.client, &format!("{path}/submit"), &[("revision", "0".to_owned())]).await.assert_status(303);
    for as_ in ["host", "recorder"] {
        send(&s.client, &format!("{path}/sign"), &sign(0, as_, false)).await.assert_status(303);
    }
    let page = s.client.get(&path).await;
    adds_up(&page.body);

    // Sent to nobody (nobody came): said so.
    send(&s.client, &format!("{path}/send"), &[]).await.assert_status(303);
    let after = s.client.get(&path).await;
    after.assert_contains("没有可发送的参会人员");
    assert!(!after.body.contains("已为 0 位"), "{}", after.body);

    // Print: the signature lines stay with the last item.
    let print = s.client.get(&format!("{path}/print")).await;
    print.assert_status(200).assert_contains("发展对象 1");
    let keep = print.body.find("<div class=\"keep-with-signatures\">").expect("a wrapper");
    let kept = &print.body[keep..];
    assert_eq!(kept.matches("class=\"minutes-item\"").count(), 1, "the last item: {kept}");
    assert!(kept.contains("class=\"signatures\""), "{kept}");
    let items = print.body.matches("class=\"minutes-item\"").count();
    assert_eq!(print.body[..keep].matches("class=\"minutes-item\"").count(), items - 1, "the others stay outside");
    let css = app.client().get("/static/app.css").await;
    css.assert_contains(".keep-with-signatures { break-inside: avoid;").assert_contains("break-before: avoid");

    // Word: page numbers in the footer, the proceedings under their heading, 应到 in parts.
    let (status, _, bytes) = s.client.download(&format!("{path}.docx")).await;
    assert_eq!(status, 200);
    let xml = docx_part(&bytes, "word/document.xml");
    assert!(xml.contains("<w:footerReference w:type=\"default\" r:id=\"rId2\"/>"), "{xml}");
    let heading = xml.find(">会议内容<").expect("the heading");
    assert!(heading < xml.find("MinutesHeading").unwrap(), "before the items: {xml}");
    assert!(xml.contains("发展对象 1"), "{xml}");
    let footer = docx_part(&bytes, "word/footer1.xml");
    assert!(footer.contains("<w:instrText xml:space=\"preserve\"> PAGE </w:instrText>"), "{footer}");
    assert!(footer.contains(">第 <") && footer.contains("> 页<"), "{footer}");
    if let Some(text) = read_docx(&bytes) {
        assert!(text.contains("会议内容"), "{text}");
    }
    // In English too.
    s.client.post("/locale", &[("locale", "en"), ("next", "/")]).await.assert_status(303);
    let (_, _, bytes) = s.client.download(&format!("{path}.docx")).await;
    let footer = docx_part(&bytes, "word/footer1.xml");
    assert!(footer.contains(">Page <") && footer.contains(" PAGE "), "{footer}");
    assert!(docx_part(&bytes, "word/document.xml").contains(">Proceedings<"));
    s.client.post(&format!("{path}/send"), &[]).await.assert_status(303);
    let after = s.client.get(&path).await;
    after.assert_contains("There is nobody to send the minutes to").assert_contains("Development candidate 1");
}

/// Records amended before the signed revision was kept (migration 23) get it back from their
/// history: its body as saved and the last signatures logged for it, on behalf marked.
#[tokio::test]
async fn records_amended_before_the_signed_revision_was_kept_get_it_back_from_their_history() {
    use migration::{Migrator, MigratorTrait};
    let (app, tree, s) = setup("吴书记").await;
    // Signed for the host on behalf (the host has no account), by the recorder as themselves.
    let host = app.add_member(tree.a, "王某").await;
    let recorder = app.add_member(tree.a, "李记录").await;
    let recorder_client = app.login_linked(Role::Member, recorder).await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let path = format!("/events/{id}/minutes");
    move_to(&app, event_row(&app, id).await.starts_at + Duration::minutes(10));
    name_people(&s.client, id, Some(host), Some(recorder)).await;
    let speaker = format!("m:{host}");
    send(&s.client, &path, &body_form("0", &speaker, ("", "", ""))).await.assert_status(303);
    send(&s.client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);
    send(&s.client, &format!("{path}/sign"), &sign(1, "host", true)).await.assert_status(303);
    send(&recorder_client, &format!("{path}/sign"), &sign(1, "recorder", false)).await.assert_status(303);
    let signed = record(&app, id).await;
    let mut amended = body_form("1", &speaker, ("", "", ""));
    amended.iter_mut().find(|(k, _)| *k == "res_text").unwrap().1 = AMENDED.to_owned();
    amended.push(("reason", "更正".to_owned()));
    send(&s.client, &path, &amended).await.assert_status(303);
    assert_eq!(record(&app, id).await.signed_revision, Some(1));

    // As the database stood before: nothing kept (down drops the columns). Migrated again.
    let db = &app.state.db;
    let all = Migrator::migrations();
    let at = all.iter().position(|m| m.name() == "m20261216_000023_minutes_signed_version").unwrap();
    Migrator::down(db, Some((all.len() - at) as u32)).await.unwrap();
    Migrator::up(db, None).await.unwrap();

    let back = record(&app, id).await;
    assert_eq!(back.signed_revision, Some(1));
    assert_eq!(back.signed_body.as_deref(), Some(signed.body.as_str()));
    assert_eq!((back.signed_host_by, back.signed_host_for.as_deref()), (signed.host_signed_by, Some("王某")));
    assert_eq!((back.signed_recorder_by, back.signed_recorder_for), (signed.recorder_signed_by, None));
    let close = |a: Option<chrono::DateTime<chrono::Utc>>, b: Option<chrono::DateTime<chrono::Utc>>| {
        (a.unwrap() - b.unwrap()).num_milliseconds().abs() < 1000
    };
    assert!(
        close(back.signed_host_at, signed.host_signed_at) && close(back.signed_recorder_at, signed.recorder_signed_at)
    );
    let member_client = app.login_linked(Role::Member, app.add_member(tree.a, "读者").await).await;
    let read = member_client.get(&path).await;
    read.assert_status(200).assert_contains(SIGNED);
    assert!(!read.body.contains(AMENDED));
    let host_signature = marked(&read.body, "data-signature=\"host\"");
    assert!(host_signature.starts_with("王某") && host_signature.contains("代签"), "{host_signature}");
}
