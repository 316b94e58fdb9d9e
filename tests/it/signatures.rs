//! Minutes after the meeting (issues 28 and 29): the host and recorder named on an ended event from
//! its record's page (logged in the event's history) until the record is locked; signatures on
//! behalf (代签) marked in the page, the print view, the Word file and the history, and never given
//! as one's own for a role one does not hold; guests on their own lines by role; the counted
//! non-voting audience in the 列席 line; blank rows that stay; the record before the meeting.
use chrono::Duration;
use partyday::{
    accounts::Role,
    events::entity::event,
    minutes::{entity::minutes, rules::MinutesState},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

use crate::{
    attendance::{event_row, move_to, scheduled, setup},
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
