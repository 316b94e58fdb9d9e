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
pub(crate) async fn draft_pass(app: &TestApp) -> usize {
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
            "第一党支部在三楼会议室开展学习贯彻全会精神主题党日活动。支部党员2人参加活动。区卫健委处长刘处长出席活动。"
        ),
        "{}",
        r.summary
    );
    assert!(!r.body.contains(&r.summary), "the lead is stored once, in the summary: {}", r.body);
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
    // A deputy secretary without an account could not open the draft's link: not mailed.
    let deputy = app.add_member(tree.a, "钱副书记").await;
    app.appoint(tree.a, deputy, partyday::branches::OfficerRole::DeputySecretary).await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let invitations = smtp.wait_for(3).await.len();
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

/// An event of the first branch that took place (its secretary and `came` present) and ended,
/// with its report drafted. `extra` goes to the event form.
pub(crate) async fn reported(
    app: &TestApp,
    s: &crate::attendance::Staff,
    branch: i64,
    came: &[i64],
    extra: &[(&str, &str)],
) -> i64 {
    let id = draft(app, &s.client, branch, (Duration::hours(1), 120), extra).await;
    publish(&s.client, id).await;
    let e = event_row(app, id).await;
    move_to(app, e.starts_at + Duration::minutes(5));
    for member in came.iter().copied().chain([s.member]) {
        let inv = inv_of(app, id, member).await.id;
        assert_eq!(tap(&s.client, id, inv, "present").await.0, 200);
    }
    move_to(app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    assert_eq!(draft_pass(app).await, 1);
    id
}

pub(crate) async fn report_of(app: &TestApp, event: i64) -> report::Model {
    service::of_event(&app.state.db, event).await.unwrap().expect("a report")
}

fn edit_fields(r: &report::Model) -> Vec<(&'static str, String)> {
    vec![
        ("revision", r.revision.to_string()),
        ("title", r.title.clone()),
        ("author_department", r.author_department.clone().unwrap_or_default()),
        ("shown_on", r.shown_on.to_string()),
        ("summary", r.summary.clone()),
        ("body", r.body.clone()),
    ]
}

fn set(fields: &mut [(&'static str, String)], name: &str, value: &str) {
    fields.iter_mut().find(|(k, _)| *k == name).expect("a field").1 = value.to_owned();
}

pub(crate) async fn step(
    client: &crate::helpers::Client,
    id: i64,
    step: &str,
    note: &str,
    revision: i32,
) -> crate::helpers::Resp {
    let rev = revision.to_string();
    client.post(&format!("/events/{id}/report/step"), &[("step", step), ("note", note), ("revision", &rev)]).await
}

#[tokio::test]
async fn the_secretary_edits_with_a_preview_and_a_stale_save_keeps_the_typed_text() {
    let (app, tree, s) = setup("吴书记").await;
    let id = reported(&app, &s, tree.a, &[], &[("title", "十二月主题党日")]).await;
    let path = format!("/events/{id}/report");
    let r = report_of(&app, id).await;
    let form = s.client.get(&format!("{path}/edit")).await;
    form.assert_status(200);
    assert!(form.body.contains(&r.title) && form.body.contains("name=\"revision\" value=\"0\""));

    // A preview renders the Markdown (raw HTML as text) and saves nothing.
    let mut fields = edit_fields(&r);
    set(&mut fields, "body", "第一段**重点**\n\n<script>alert(1)</script>");
    fields.push(("op", "preview".to_owned()));
    let preview = crate::minutes::send(&s.client, &path, &fields).await;
    preview.assert_status(200);
    assert!(preview.body.contains("<strong>重点</strong>") && !preview.body.contains("<script>alert(1)"));
    assert_eq!(report_of(&app, id).await.revision, 0, "a preview saves nothing");

    fields.pop();
    set(&mut fields, "title", "机关党支部开展主题党日活动");
    set(&mut fields, "author_department", "党群服务与组织管理");
    crate::minutes::send(&s.client, &path, &fields).await.assert_status(303);
    let saved = report_of(&app, id).await;
    assert_eq!((saved.revision, saved.title.as_str()), (1, "机关党支部开展主题党日活动"));
    assert_eq!(saved.author_department.as_deref(), Some("党群服务与组织管理"));
    assert!(s.client.get(&path).await.body.contains("<strong>重点</strong>"));

    // A save based on revision 0 is refused; what was typed stays in the form.
    set(&mut fields, "title", "我后来输入的标题");
    let stale = crate::minutes::send(&s.client, &path, &fields).await;
    stale.assert_status(409);
    assert!(stale.body.contains("我后来输入的标题") && stale.body.contains("name=\"revision\" value=\"1\""));
    assert_eq!(report_of(&app, id).await.title, "机关党支部开展主题党日活动", "nothing written");

    // Bad input: each field says what is wrong; nothing changes.
    let long = "长".repeat(201);
    for (field, value, message) in [
        ("title", "   ", "必填"),
        ("title", long.as_str(), "过长"),
        ("shown_on", "2026-13-40", "日期"),
        ("author_department", "a\u{7}b", "字符"),
    ] {
        let mut bad = edit_fields(&report_of(&app, id).await);
        set(&mut bad, field, value);
        let resp = crate::minutes::send(&s.client, &path, &bad).await;
        resp.assert_status(422);
        let error = resp.field_error(field).unwrap_or_else(|| panic!("no error on {field}: {}", resp.body));
        assert!(error.contains(message), "{field}: {error}");
    }
    let mut huge = edit_fields(&report_of(&app, id).await);
    set(&mut huge, "body", &"字".repeat(50_001));
    crate::minutes::send(&s.client, &path, &huge).await.assert_status(422);
    let mut no_revision = edit_fields(&report_of(&app, id).await);
    set(&mut no_revision, "revision", "abc");
    crate::minutes::send(&s.client, &path, &no_revision).await.assert_status(400);
    assert_eq!(report_of(&app, id).await.revision, 1);
}

#[tokio::test]
async fn review_return_publish_withdraw_and_who_may_do_each() {
    let (app, tree, s) = setup("吴书记").await;
    let came = app.add_member(tree.a, "张三").await;
    let id = reported(&app, &s, tree.a, &[came], &[("title", "十二月主题党日")]).await;
    let (path, public) = (format!("/events/{id}/report"), format!("/activities/{}", report_of(&app, id).await.id));
    let admin = app.login_as(Role::Admin).await;
    let member = app.login_linked(Role::Member, came).await;
    let other = app.secretary_of(tree.b).await;
    let anonymous = app.client();

    // | who \ step            | submit | return | publish | withdraw | edit while submitted |
    // | secretary (holding)   | yes    | 403    | 403     | 403      | 409                  |
    // | administrator         | —      | yes    | yes     | yes      | yes                  |
    // | member, other branch  | 404    | 404    | 404     | 404      | 404                  |
    for client in [&member, &other] {
        step(client, id, "submit", "", 0).await.assert_status(404);
        step(client, id, "publish", "", 0).await.assert_status(404);
        client.get(&path).await.assert_status(404);
    }
    assert_eq!(anonymous.get(&path).await.status, 303, "to the login page");
    // Nothing unpublished is public: the draft's public address is 404.
    anonymous.get(&public).await.assert_status(404);
    step(&s.client, id, "publish", "", 0).await.assert_status(403);
    step(&s.client, id, "dance", "", 0).await.assert_status(400);
    step(&s.client, id, "submit", "", 0).await.assert_status(303);
    assert_eq!(report_of(&app, id).await.state, ReportState::Submitted);
    s.client.get(&format!("{path}/edit")).await.assert_status(409);
    step(&s.client, id, "submit", "", 0).await.assert_status(409);
    step(&s.client, id, "return", "请补充", 0).await.assert_status(403);

    // A return needs a comment; the comment reaches the secretary's page.
    let refused = step(&admin, id, "return", "  ", 0).await;
    refused.assert_status(422);
    assert!(refused.field_error("note.return").is_some_and(|e| e.contains("原因")), "{}", refused.body);
    step(&admin, id, "return", "请补充照片", 0).await.assert_status(303);
    assert_eq!(report_of(&app, id).await.state, ReportState::Draft);
    // Returned: said at the top with the comment and who, before the report itself (issue 29 §3).
    let returned = s.client.get(&path).await;
    let (banner, comment, body) = (
        returned.body.find("已退回").unwrap_or_else(|| panic!("the state: {}", returned.body)),
        returned.body.find("请补充照片").expect("the comment"),
        returned.body.find("class=\"report-body\"").unwrap(),
    );
    assert!(banner < comment && comment < body, "{}", returned.body);
    assert!(returned.body.contains("请按意见修改后再次提交审核"), "{}", returned.body);
    let start = s.client.get("/").await;
    let listed = start.body.find(&format!("/events/{id}/report")).expect("on the secretary's start page");
    assert!(start.body[listed..].split("</li>").next().unwrap().contains("已退回"), "{}", start.body);
    step(&s.client, id, "submit", "", 0).await.assert_status(303);
    assert!(!s.client.get(&path).await.body.contains("已退回"), "submitted again: no longer returned");
    step(&admin, id, "publish", "", 0).await.assert_status(303);
    let published = report_of(&app, id).await;
    assert_eq!(published.state, ReportState::Published);
    let first_published = published.published_at.expect("a publication time");
    let page = anonymous.get(&public).await;
    page.assert_status(200);
    assert!(page.body.contains(&published.title) && page.body.contains("og:title"), "{}", page.body);
    assert!(anonymous.get("/activities").await.body.contains(&public));

    // Changes after publication are logged.
    let mut fields = edit_fields(&published);
    set(&mut fields, "summary", "发布后修改的导语");
    crate::minutes::send(&admin, &path, &fields).await.assert_status(303);
    assert!(anonymous.get(&public).await.body.contains(&published.title));

    // A withdrawal needs a reason; the report leaves the public page, stays on record, comes back.
    step(&admin, id, "withdraw", "", 1).await.assert_status(422);
    step(&s.client, id, "withdraw", "不该发布", 1).await.assert_status(403);
    step(&admin, id, "withdraw", "照片需替换", 1).await.assert_status(303);
    anonymous.get(&public).await.assert_status(404);
    assert!(!anonymous.get("/activities").await.body.contains(&public));
    let record = s.client.get(&path).await;
    assert!(record.body.contains("已撤回") && record.body.contains("照片需替换"), "{}", record.body);
    step(&admin, id, "publish", "", 1).await.assert_status(303);
    anonymous.get(&public).await.assert_status(200);
    let again = report_of(&app, id).await;
    assert_eq!(again.published_at, Some(first_published), "the list keeps its order");

    let log: Vec<_> = partyday::reports::entity::log::Entity::find()
        .filter(partyday::reports::entity::log::Column::ReportId.eq(again.id))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.kind, l.note))
        .collect();
    use partyday::reports::rules::LogKind::*;
    let kinds: Vec<_> = log.iter().map(|(k, _)| *k).collect();
    assert_eq!(kinds, vec![Submitted, Returned, Submitted, Published, Edited, Withdrawn, Published]);
    assert_eq!(log[1].1.as_deref(), Some("请补充照片"));
    assert_eq!(log[5].1.as_deref(), Some("照片需替换"));
}

#[tokio::test]
async fn where_secretaries_publish_they_publish_directly() {
    let app = TestApp::spawn_with("[reports]\npublish_by = \"secretary\"").await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let id = reported(&app, &s, tree.a, &[], &[]).await;
    step(&s.client, id, "submit", "", 0).await.assert_status(409);
    step(&s.client, id, "publish", "", 0).await.assert_status(303);
    let r = report_of(&app, id).await;
    assert_eq!(r.state, ReportState::Published);
    app.client().get(&format!("/activities/{}", r.id)).await.assert_status(200);
    // Where the secretary publishes, their edit of a published report is public at once.
    let mut fields = edit_fields(&r);
    set(&mut fields, "body", "书记直接发布的修改。");
    crate::minutes::send(&s.client, &format!("/events/{id}/report"), &fields).await.assert_status(303);
    let post = app.client().get(&format!("/activities/{}", r.id)).await;
    assert!(post.body.contains("书记直接发布的修改。"), "{}", post.body);
    step(&s.client, id, "withdraw", "重复发布", 1).await.assert_status(303);
    app.client().get(&format!("/activities/{}", r.id)).await.assert_status(404);
}

/// A JPEG of `w` × `h` pixels whose EXIF says to turn it 90° clockwise and gives a GPS position.
pub(crate) fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    use image::ImageEncoder;
    // Little-endian TIFF: IFD0 with Orientation = 6 and a pointer to the GPS IFD, which holds
    // GPSLatitudeRef = "N" and GPSLatitude = 30/1 40/1 0/1 (Chengdu).
    let mut exif: Vec<u8> = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    exif.extend_from_slice(&[2, 0]);
    exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0]);
    exif.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
    exif.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(exif.len(), 38);
    exif.extend_from_slice(&[2, 0]);
    exif.extend_from_slice(&[0x01, 0x00, 2, 0, 2, 0, 0, 0, b'N', 0, 0, 0]);
    exif.extend_from_slice(&[0x02, 0x00, 5, 0, 3, 0, 0, 0, 68, 0, 0, 0]);
    exif.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(exif.len(), 68);
    for (n, d) in [(30u32, 1u32), (40, 1), (0, 1)] {
        exif.extend_from_slice(&n.to_le_bytes());
        exif.extend_from_slice(&d.to_le_bytes());
    }
    let pixels =
        image::RgbImage::from_fn(
            w,
            h,
            |x, _| if x < w / 2 { image::Rgb([250, 0, 0]) } else { image::Rgb([0, 0, 250]) },
        );
    let mut out = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
    encoder.set_exif_metadata(exif).unwrap();
    encoder.write_image(pixels.as_raw(), w, h, image::ExtendedColorType::Rgb8).unwrap();
    out
}

#[tokio::test]
async fn photos_lose_their_exif_keep_their_orientation_and_show_only_once_published() {
    let (app, tree, s) = setup("吴书记").await;
    let id = reported(&app, &s, tree.a, &[], &[]).await;
    let path = format!("/events/{id}/report");
    let original = jpeg_with_gps(64, 32);
    assert!(original.windows(4).any(|w| w == b"Exif"), "the fixture carries EXIF");
    let decoded = image::load_from_memory(&original).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (64, 32));

    let up =
        s.client.upload_to(&format!("{path}/photos"), &[("caption", "重温入党誓词")], "IMG_0001.JPG", original).await;
    up.assert_status(303);
    let photos = service::photos(&app.state.db, report_of(&app, id).await.id).await.unwrap();
    assert_eq!(photos.len(), 1);
    let p = &photos[0];
    assert_eq!((p.width, p.height, p.caption.as_deref()), (32, 64, Some("重温入党誓词")), "turned upright");
    assert_eq!(report_of(&app, id).await.cover_photo_id, Some(p.id), "the first photo is the cover");

    let (status, content_type, stored) = s.client.download(&format!("{path}/photos/{}", p.id)).await;
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"));
    assert!(!stored.windows(4).any(|w| w == b"Exif"), "no EXIF segment is kept");
    let img = image::load_from_memory(&stored).unwrap().to_rgb8();
    assert_eq!(img.dimensions(), (32, 64));
    // Turned clockwise: the left (red) half is now on top.
    assert!(img.get_pixel(16, 4)[0] > 200 && img.get_pixel(16, 60)[2] > 200, "{:?}", img.get_pixel(16, 4));
    let (status, _, thumb) = s.client.download(&format!("{path}/photos/{}/thumb", p.id)).await;
    assert_eq!(status, 200);
    assert!(image::load_from_memory(&thumb).is_ok());

    // Not public before publication, public after.
    let r = report_of(&app, id).await;
    let public_photo = format!("/activities/{}/photos/{}", r.id, p.id);
    let anonymous = app.client();
    assert_eq!(anonymous.download(&public_photo).await.0, 404);
    app.client().get(&format!("{path}/photos/{}", p.id)).await.assert_status(303);
    app.secretary_of(tree.b).await.get(&format!("{path}/photos/{}", p.id)).await.assert_status(404);

    // Files that are not photos, or lie about it, are refused with a message; nothing is stored.
    // The upload's address carries the form's token: a refusal goes back to the report (303), and
    // the message is shown there, with the token nowhere in the address.
    for (name, bytes, message) in [
        ("notes.jpg", b"just some text, not a photo".to_vec(), "不是 JPEG 或 PNG"),
        ("broken.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(), "无法读取"),
        ("empty.jpg", Vec::new(), "请选择"),
        ("a.jpg", jpeg_with_gps(8, 8), "内容过长"),
    ] {
        let fields: &[(&str, &str)] = if name == "a.jpg" { &[("caption", &"长".repeat(201))] } else { &[] };
        let resp = s.client.upload_to(&format!("{path}/photos"), fields, name, bytes).await;
        resp.assert_status(303).assert_redirect_to(path.as_str());
        assert!(!resp.location().contains("csrf"), "{}", resp.location());
        let page = s.client.get(resp.location()).await;
        page.assert_status(200);
        assert!(page.body.contains(message), "{name}: {}", page.body);
        assert!(page.body.contains("flash-error"), "{name}");
    }
    let big = vec![0u8; partyday::reports::photos::MAX_BYTES + 1];
    let resp = s.client.upload_to(&format!("{path}/photos"), &[], "big.jpg", big).await;
    assert!(resp.status == 413 || resp.status == 303, "{}", resp.status);
    assert_eq!(service::photos(&app.state.db, r.id).await.unwrap().len(), 1);

    // A second photo becomes the cover on request; removing needs the confirmation.
    s.client
        .upload_to(&format!("{path}/photos"), &[], "b.png", {
            let mut png = Vec::new();
            image::DynamicImage::ImageRgb8(image::RgbImage::new(20, 10))
                .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
                .unwrap();
            png
        })
        .await
        .assert_status(303);
    let second = service::photos(&app.state.db, r.id).await.unwrap()[1].id;
    s.client.post(&format!("{path}/photos/{second}"), &[("op", "cover")]).await.assert_status(303);
    assert_eq!(report_of(&app, id).await.cover_photo_id, Some(second));
    s.client.post(&format!("{path}/photos/{second}"), &[("op", "remove")]).await.assert_status(400);
    s.client.post(&format!("{path}/photos/{second}"), &[("op", "remove"), ("confirmed", "1")]).await.assert_status(303);
    assert_eq!(report_of(&app, id).await.cover_photo_id, Some(p.id), "the next photo is the cover");
    s.client.post(&format!("{path}/photos/999999"), &[("op", "cover")]).await.assert_status(404);

    let admin = app.login_as(Role::Admin).await;
    step(&admin, id, "publish", "", report_of(&app, id).await.revision).await.assert_status(303);
    let (status, _, bytes) = anonymous.download(&public_photo).await;
    assert_eq!(status, 200);
    assert_eq!(bytes, stored);
    let page = anonymous.get(&format!("/activities/{}", r.id)).await;
    assert!(page.body.contains("重温入党誓词") && page.body.contains("og:image"), "{}", page.body);
    // Any cache may keep a public photo, but confirms it first: a withdrawn report's photos are
    // gone at once, not after an hour.
    let first = cookieless(&app, &public_photo, &[]).await;
    assert_eq!(header(&first, "cache-control"), "public, no-cache");
    assert!(first.headers().get("set-cookie").is_none());
    let tag = header(&first, "etag");
    assert_eq!(cookieless(&app, &public_photo, &[("if-none-match", &tag)]).await.status(), 304);
    step(&admin, id, "withdraw", "撤回", report_of(&app, id).await.revision).await.assert_status(303);
    assert_eq!(cookieless(&app, &public_photo, &[("if-none-match", &tag)]).await.status(), 404);
}

/// Publishes `n` more reports of `branch` straight into the table (the list's paging, not the
/// drafting, is under test), each a minute after the last, on events made through the form.
async fn published_rows(
    app: &TestApp,
    s: &crate::attendance::Staff,
    branch: i64,
    n: usize,
    shown_on: chrono::NaiveDate,
) -> Vec<i64> {
    use sea_orm::{ActiveModelTrait, Set};
    let mut ids = Vec::new();
    for i in 0..n {
        let event = draft(app, &s.client, branch, (Duration::days(1), 60), &[]).await;
        let at = app.state.now() + Duration::minutes(i as i64);
        let row = report::ActiveModel {
            event_id: Set(event),
            branch_id: Set(branch),
            state: Set(ReportState::Published),
            title: Set(format!("第{i}篇活动报道")),
            author_department: Set(Some("党群服务与组织管理".to_owned())),
            shown_on: Set(shown_on),
            summary: Set(format!("第{i}篇的导语 & <em>")),
            body: Set(format!("第{i}篇的正文")),
            generated: Set("{}".to_owned()),
            created_at: Set(at),
            updated_at: Set(at),
            published_at: Set(Some(at)),
            revision: Set(0),
            cover_photo_id: Set(None),
            published_title: Set(Some(format!("第{i}篇活动报道"))),
            published_author_department: Set(Some("党群服务与组织管理".to_owned())),
            published_shown_on: Set(Some(shown_on)),
            published_summary: Set(Some(format!("第{i}篇的导语 & <em>"))),
            published_body: Set(Some(format!("第{i}篇的正文"))),
            ..Default::default()
        };
        ids.push(row.insert(&app.state.db).await.unwrap().id);
    }
    ids
}

/// What a real feed reader (Python's feedparser) makes of a feed: whether it is well formed,
/// its version, and per entry: id, title, link, author, summary, updated. None when feedparser is
/// missing (`python_has`).
pub(crate) fn parse_feed(xml: &str) -> Option<serde_json::Value> {
    if !crate::helpers::python_has("feedparser", "feedparser") {
        return None;
    }
    let script = r#"
import sys, json, feedparser
d = feedparser.parse(sys.stdin.read())
print(json.dumps({
    "bozo": bool(d.bozo), "version": d.version, "title": d.feed.get("title"), "updated": d.feed.get("updated"),
    "entries": [{"id": e.get("id"), "title": e.get("title"), "link": e.get("link"), "author": e.get("author"),
                 "summary": e.get("summary"), "updated": e.get("updated")} for e in d.entries],
}))
"#;
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(xml.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "feedparser failed (pip install feedparser): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

#[tokio::test]
async fn the_activities_page_pages_by_key_filters_revalidates_and_feeds_a_real_reader() {
    let (app, tree, s) = setup("吴书记").await;
    let other = crate::attendance::staff(&app, tree.b, "郑书记").await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let ours = published_rows(&app, &s, tree.a, 23, day).await;
    let theirs = published_rows(&app, &other, tree.b, 2, chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap()).await;
    // A draft is listed nowhere.
    let hidden = reported(&app, &s, tree.a, &[], &[]).await;
    let hidden = report_of(&app, hidden).await;

    let visitor = app.client();
    let first = visitor.get("/activities").await;
    first.assert_status(200);
    let listed = |body: &str| -> Vec<i64> {
        body.match_indices("<h2><a href=\"/activities/")
            .map(|(i, m)| body[i + m.len()..].split('"').next().unwrap().parse().unwrap())
            .collect()
    };
    let page_one = listed(&first.body);
    assert_eq!(page_one.len(), 20);
    // Newest first, as the list's own query orders them.
    let newest_first: Vec<i64> = service::public::page(&app.state.db, Default::default(), None, 100)
        .await
        .unwrap()
        .0
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(newest_first.len(), 25);
    assert_eq!(newest_first[0], *ours.last().unwrap(), "the last published comes first");
    assert_eq!(page_one, newest_first[..20]);
    assert!(!first.body.contains(&format!("/activities/{}\"", hidden.id)));
    assert!(
        first.body.contains("党群服务与组织管理") && first.body.contains("导语 &#38; &#60;em&#62;"),
        "escaped: {}",
        first.body
    );
    assert!(first.body.contains("og:title") && first.body.contains("application/atom+xml"));
    let next = first
        .body
        .split("rel=\"next\"")
        .next()
        .unwrap()
        .rsplit("href=\"")
        .next()
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = visitor.get(&next).await;
    let page_two = listed(&second.body);
    assert_eq!(page_two, newest_first[20..25]);
    assert!(!second.body.contains("rel=\"next\""));

    // Filters: by branch, by year; nonsense reads as no filter.
    let b = listed(&visitor.get(&format!("/activities?branch={}", tree.b)).await.body);
    assert_eq!(b.iter().copied().collect::<std::collections::BTreeSet<_>>(), theirs.iter().copied().collect());
    assert_eq!(listed(&visitor.get("/activities?year=2025").await.body).len(), 2);
    assert_eq!(listed(&visitor.get("/activities?year=2026").await.body).len(), 20);
    visitor.get("/activities?year=abc&branch=%00&after=zz-1").await.assert_status(200);
    visitor.get("/activities/999999999").await.assert_status(404);
    visitor.get(&format!("/activities/{}", hidden.id)).await.assert_status(404);

    // Revalidation: the same page is 304 (no body) until a public report changes.
    let etag = first.headers.get("etag").expect("an ETag").to_str().unwrap().to_owned();
    let again = visitor.get_with("/activities", &[("if-none-match", &etag)]).await;
    assert_eq!((again.status, again.body.as_str()), (304, ""));
    let one = format!("/activities/{}", ours[0]);
    let post = visitor.get(&one).await;
    let post_tag = post.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    assert_eq!(visitor.get_with(&one, &[("if-none-match", &post_tag)]).await.status, 304);
    let admin = app.login_as(Role::Admin).await;
    let event = report::Entity::find_by_id(ours[0]).one(&app.state.db).await.unwrap().unwrap().event_id;
    step(&admin, event, "withdraw", "测试撤回", 0).await.assert_status(303);
    assert_eq!(visitor.get_with("/activities", &[("if-none-match", &etag)]).await.status, 200);
    assert_eq!(visitor.get_with(&one, &[("if-none-match", &post_tag)]).await.status, 404);

    // The feed: valid Atom 1.0 for a real reader, newest first, no draft, no withdrawn report.
    let feed = visitor.get("/activities/feed.atom").await;
    feed.assert_status(200);
    assert!(feed.headers.get("content-type").unwrap().to_str().unwrap().starts_with("application/atom+xml"));
    if let Some(parsed) = parse_feed(&feed.body) {
        assert_eq!(parsed["bozo"], false, "{}", feed.body);
        assert_eq!(parsed["version"], "atom10");
        let entries = parsed["entries"].as_array().unwrap();
        assert_eq!(entries.len(), 24);
        let base = app.base.trim_end_matches('/');
        assert_eq!(entries[0]["link"], format!("{base}/activities/{}", newest_first[0]));
        assert_eq!(entries[0]["author"], "党群服务与组织管理");
        assert!(entries[0]["summary"].as_str().unwrap().contains("导语 & <em>"), "{}", entries[0]);
        assert!(entries.iter().all(|e| e["id"].as_str().is_some() && e["updated"].as_str().is_some()));
        assert!(!entries.iter().any(|e| e["link"] == format!("{base}/activities/{}", ours[0])));
    }
    let tag = feed.headers.get("etag").unwrap().to_str().unwrap().to_owned();
    assert_eq!(visitor.get_with("/activities/feed.atom", &[("if-none-match", &tag)]).await.status, 304);
}

/// Writes, submits and signs the minutes of `id` (the secretary hosts and records): one speech
/// by `speaker` with a post and a summary.
async fn signed_minutes(s: &crate::attendance::Staff, id: i64, speaker: i64) {
    use crate::minutes::{body_form, revision_in, send};
    let path = format!("/events/{id}/minutes");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    send(&s.client, &path, &body_form(&rev, &format!("m:{speaker}"), ("", "", ""))).await.assert_status(303);
    let rev = (rev.parse::<i32>().unwrap() + 1).to_string();
    send(&s.client, &format!("{path}/submit"), &[("revision", rev.clone())]).await.assert_status(303);
    for as_ in ["host", "recorder"] {
        send(&s.client, &format!("{path}/sign"), &[("revision", rev.clone()), ("as", as_.to_owned())])
            .await
            .assert_status(303);
    }
}

#[tokio::test]
async fn signed_minutes_regenerate_the_parts_nobody_edited_and_keep_hand_edits() {
    let (app, tree, s) = setup("吴书记").await;
    // The author department is a setting of the branch, set on its page by an administrator.
    let admin = app.login_as(Role::Admin).await;
    let branch =
        partyday::branches::entity::branch::Entity::find_by_id(tree.a).one(&app.state.db).await.unwrap().unwrap();
    let fields = [
        ("name", branch.name.as_str()),
        ("code", branch.code.as_str()),
        ("timezone", branch.timezone.as_str()),
        ("report_author", "党群服务与组织管理"),
    ];
    admin.post(&format!("/branches/{}", tree.a), &fields).await.assert_status(303);
    let page = admin.get(&format!("/branches/{}", tree.a)).await;
    assert!(page.body.contains("党群服务与组织管理"), "{}", page.body);
    let speaker = app.add_member(tree.a, "张三").await;
    let me = s.member.to_string();
    let extra = [("host_member_id", me.as_str()), ("recorder_member_id", me.as_str())];
    let untouched = reported(&app, &s, tree.a, &[speaker], &extra).await;
    let edited = reported(&app, &s, tree.a, &[speaker], &extra).await;
    let before = report_of(&app, untouched).await;
    assert_eq!(before.author_department.as_deref(), Some("党群服务与组织管理"), "the branch's setting");
    assert!(!before.body.contains("结合岗位谈"), "no minutes yet");

    // A person edits the second report's text.
    let r = report_of(&app, edited).await;
    let mut fields = edit_fields(&r);
    let by_hand = format!("{}\n\n会后大家合影留念。", r.body).trim().to_owned();
    set(&mut fields, "body", &by_hand);
    crate::minutes::send(&s.client, &format!("/events/{edited}/report"), &fields).await.assert_status(303);

    // Before the minutes are signed nothing is offered.
    assert!(!s.client.get(&format!("/events/{untouched}/report")).await.body.contains("/report/regenerate"));
    signed_minutes(&s, untouched, speaker).await;
    signed_minutes(&s, edited, speaker).await;

    let page = s.client.get(&format!("/events/{untouched}/report")).await;
    assert!(page.body.contains("/report/regenerate") && page.body.contains("未经人工修改"), "{}", page.body);
    // The changed words are marked inside their paragraph, not the whole text shown twice.
    let panel = &page.body[page.body.find("/report/regenerate").unwrap()..];
    let panel = &panel[..panel.find("</form>").unwrap()];
    assert!(panel.contains("<ins>") && panel.contains("张三"), "{panel}");
    let rev = report_of(&app, untouched).await.revision.to_string();
    s.client.post(&format!("/events/{untouched}/report/regenerate"), &[("revision", &rev)]).await.assert_status(303);
    let after = report_of(&app, untouched).await;
    assert!(
        after.body.contains("张三") && after.body.contains("内科主任") && after.body.contains("学习体会"),
        "{}",
        after.body
    );
    assert_eq!(after.title, before.title);
    assert!(
        !s.client.get(&format!("/events/{untouched}/report")).await.body.contains("/report/regenerate"),
        "offered once"
    );

    // The edited text is kept unless the person asks; then it is replaced.
    let page = s.client.get(&format!("/events/{edited}/report")).await;
    assert!(page.body.contains("name=\"replace\" value=\"body\""), "{}", page.body);
    let rev = report_of(&app, edited).await.revision.to_string();
    s.client.post(&format!("/events/{edited}/report/regenerate"), &[("revision", &rev)]).await.assert_status(303);
    let kept = report_of(&app, edited).await;
    assert_eq!(kept.body, by_hand, "hand edits are never overwritten without asking");
    assert!(!s.client.get(&format!("/events/{edited}/report")).await.body.contains("/report/regenerate"));
    // A stale regeneration is refused.
    s.client.post(&format!("/events/{edited}/report/regenerate"), &[("revision", &rev)]).await.assert_status(409);
}

#[tokio::test]
async fn two_saves_or_steps_at_once_never_both_succeed() {
    use partyday::reports::rules::{Edit, PublishBy, Step};
    let (app, tree, s) = setup("吴书记").await;
    let id = reported(&app, &s, tree.a, &[], &[]).await;
    let r = report_of(&app, id).await;
    let scope = partyday::branches::scope_of(
        &app.state.db,
        &partyday::accounts::Actor { account_id: s.account, role: Role::Secretary, member_id: Some(s.member) },
        app.state.today(),
    )
    .await
    .unwrap();
    let edit = |title: &str| Edit {
        title: title.to_owned(),
        author_department: None,
        shown_on: r.shown_on,
        summary: r.summary.clone(),
        body: r.body.clone(),
    };
    let now = app.state.now();
    let run = |title: &'static str| {
        let (db, scope, e) = (app.state.db.clone(), scope.clone(), edit(title));
        tokio::spawn(async move { service::save(&db, &scope, id, PublishBy::Admin, (&e, 0), now).await })
    };
    let (a, b) = (run("甲"), run("乙"));
    let results = [a.await.unwrap(), b.await.unwrap()];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().any(|r| matches!(r, Err(service::ReportError::Stale(_)))));
    let saved = report_of(&app, id).await;
    assert_eq!(saved.revision, 1);

    let go = || {
        let (db, scope) = (app.state.db.clone(), scope.clone());
        tokio::spawn(
            async move { service::step(&db, &scope, id, PublishBy::Admin, (Step::Submit, None), 1, now).await },
        )
    };
    let (a, b) = (go(), go());
    let results = [a.await.unwrap(), b.await.unwrap()];
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    let log = partyday::reports::entity::log::Entity::find()
        .filter(partyday::reports::entity::log::Column::ReportId.eq(saved.id))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(log, 1, "one submission recorded");
}

#[tokio::test]
async fn a_branch_that_reports_in_english_gets_its_draft_in_english() {
    let (app, tree, s) = setup("吴书记").await;
    let admin = app.login_as(Role::Admin).await;
    let branch =
        partyday::branches::entity::branch::Entity::find_by_id(tree.a).one(&app.state.db).await.unwrap().unwrap();
    let mut fields =
        vec![("name", branch.name.as_str()), ("code", branch.code.as_str()), ("timezone", branch.timezone.as_str())];
    let bad = [fields.clone(), vec![("locale", "klingon")]].concat();
    let refused = admin.post(&format!("/branches/{}", tree.a), &bad).await;
    refused.assert_status(422);
    assert!(refused.field_error("locale").is_some(), "{}", refused.body);
    fields.push(("locale", "en"));
    admin.post(&format!("/branches/{}", tree.a), &fields).await.assert_status(303);
    assert!(admin.get(&format!("/branches/{}", tree.a)).await.body.contains("English"));

    let id = reported(&app, &s, tree.a, &[], &[("topic", "Party history study")]).await;
    let r = report_of(&app, id).await;
    assert!(r.summary.contains("took part") && r.summary.contains("Party history study"), "{}", r.summary);
}

/// What a crawler, a proxy or a chat app's link preview sees: a client that keeps no cookies.
async fn cookieless(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut req = client.get(format!("{}{path}", app.base.trim_end_matches('/')));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn public_pages_cache_for_visitors_without_cookies_and_move_with_a_renamed_branch() {
    let (app, tree, s) = setup("吴书记").await;
    let ours = published_rows(&app, &s, tree.a, 2, chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()).await;
    for path in ["/activities".to_owned(), format!("/activities/{}", ours[0]), "/activities/feed.atom".to_owned()] {
        let first = cookieless(&app, &path, &[]).await;
        assert_eq!(first.status(), 200, "{path}");
        assert!(first.headers().get("set-cookie").is_none(), "{path} sets no cookie");
        assert!(header(&first, "cache-control").starts_with("public"), "{path}: {}", header(&first, "cache-control"));
        assert!(header(&first, "vary").contains("Accept-Language"), "{path}");
        let (etag, modified) = (header(&first, "etag"), header(&first, "last-modified"));
        assert!(!etag.is_empty() && modified.ends_with(" GMT"), "{path}: {etag} {modified}");
        assert!(!first.text().await.unwrap().contains("_csrf"), "{path} carries no form token");
        // Another visitor gets the same validator; both ways of asking are answered 304.
        let again = cookieless(&app, &path, &[("if-none-match", &etag)]).await;
        assert_eq!(
            (again.status(), header(&again, "etag")),
            (reqwest::StatusCode::NOT_MODIFIED, etag.clone()),
            "{path}"
        );
        assert!(again.headers().get("set-cookie").is_none());
        assert_eq!(cookieless(&app, &path, &[("if-modified-since", &modified)]).await.status(), 304, "{path}");
        let earlier = "Mon, 01 Jan 2024 00:00:00 GMT";
        assert_eq!(cookieless(&app, &path, &[("if-modified-since", earlier)]).await.status(), 200, "{path}");
    }

    // The language switch of a visitor is a plain GET: it sets only the language cookie.
    let switch = cookieless(&app, "/locale?locale=en&next=%2Factivities", &[]).await;
    assert_eq!(switch.status(), 303);
    assert_eq!(header(&switch, "location"), "/activities");
    assert!(header(&switch, "set-cookie").starts_with("pd_lang=en"), "{}", header(&switch, "set-cookie"));
    assert_eq!(cookieless(&app, "/locale?locale=xx&next=%2F", &[]).await.status(), 400);
    let zh = cookieless(&app, "/activities", &[]).await;
    let en = cookieless(&app, "/activities", &[("cookie", "pd_lang=en")]).await;
    assert_ne!(header(&zh, "etag"), header(&en, "etag"));
    assert!(en.text().await.unwrap().contains("Activities"));

    // A signed-in reader's page names them: only their browser keeps it.
    let reader = s.client.get("/activities").await;
    let cache = reader.headers.get("cache-control").unwrap().to_str().unwrap().to_owned();
    assert!(cache.starts_with("private"), "{cache}");

    // A renamed branch shows at once: the old validators no longer match.
    let (list_tag, post) = (header(&zh, "etag"), format!("/activities/{}", ours[0]));
    let post_tag = header(&cookieless(&app, &post, &[]).await, "etag");
    let admin = app.login_as(Role::Admin).await;
    let branch =
        partyday::branches::entity::branch::Entity::find_by_id(tree.a).one(&app.state.db).await.unwrap().unwrap();
    let fields = [("name", "更名后的党支部"), ("code", branch.code.as_str()), ("timezone", branch.timezone.as_str())];
    admin.post(&format!("/branches/{}", tree.a), &fields).await.assert_status(303);
    let list = cookieless(&app, "/activities", &[("if-none-match", &list_tag)]).await;
    assert_eq!(list.status(), 200);
    assert!(list.text().await.unwrap().contains("更名后的党支部"));
    // The post names its branch where it has no author department: its validator moved too.
    let shown = cookieless(&app, &post, &[("if-none-match", &post_tag)]).await;
    assert_eq!(shown.status(), 200);
    assert_ne!(header(&shown, "etag"), post_tag);
}

/// A resolution is counted against the roll the minutes froze when they were submitted: members
/// recorded as full members afterwards do not take a carried resolution out of the report.
#[tokio::test]
async fn the_report_keeps_the_resolutions_the_signed_minutes_carried() {
    use partyday::{
        attendance::service::history::{Summary, people},
        members::{entity::member, rules::PoliticalStatus},
    };
    use sea_orm::{ActiveModelTrait, Set};

    use crate::minutes::{body_form, revision_in, send};
    let (app, tree, s) = setup("吴书记").await;
    let speaker = app.add_member(tree.a, "张三").await;
    let mut probationary = Vec::new();
    for name in ["预备甲", "预备乙"] {
        let id = app.add_member(tree.a, name).await;
        let m = member::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
        let mut m: member::ActiveModel = m.into();
        m.political_status = Set(PoliticalStatus::Probationary);
        m.update(&app.state.db).await.unwrap();
        probationary.push(id);
    }
    let me = s.member.to_string();
    let extra = [("host_member_id", me.as_str()), ("recorder_member_id", me.as_str())];
    let id = reported(&app, &s, tree.a, &[speaker], &extra).await;
    let at_meeting = Summary::of(&people(&app.state.db, id).await.unwrap(), true);
    assert_eq!(at_meeting.expected_probationary, 2);
    // The smallest majority of the full members expected: it carries now, and would not with two more.
    let in_favour = at_meeting.expected_full / 2 + 1;
    assert!(in_favour * 2 <= at_meeting.expected_full + 2);

    let path = format!("/events/{id}/minutes");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    let votes = (in_favour.to_string(), "0".to_owned(), "0".to_owned());
    let form = body_form(&rev, &format!("m:{speaker}"), (&votes.0, &votes.1, &votes.2));
    send(&s.client, &path, &form).await.assert_status(303);
    let rev = (rev.parse::<i32>().unwrap() + 1).to_string();
    send(&s.client, &format!("{path}/submit"), &[("revision", rev.clone())]).await.assert_status(303);
    for as_ in ["host", "recorder"] {
        send(&s.client, &format!("{path}/sign"), &[("revision", rev.clone()), ("as", as_.to_owned())])
            .await
            .assert_status(303);
    }
    // Later the two probationary members are recorded as full members.
    for id in probationary {
        let m = member::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
        let mut m: member::ActiveModel = m.into();
        m.political_status = Set(PoliticalStatus::Full);
        m.update(&app.state.db).await.unwrap();
    }
    let now = Summary::of(&people(&app.state.db, id).await.unwrap(), true);
    assert_eq!(now.expected_full, at_meeting.expected_full + 2, "the live roll has moved");

    let rev = report_of(&app, id).await.revision.to_string();
    s.client.post(&format!("/events/{id}/report/regenerate"), &[("revision", &rev)]).await.assert_status(303);
    let after = report_of(&app, id).await;
    assert!(after.body.contains("同意张三同志转为正式党员"), "the signed minutes carried it:\n{}", after.body);
}

/// Issue 28 §2 and §5: a room of several dozen non-voting attendees is counted on the attendance
/// page (never a 500, nothing changed by a bad number), shown in the summary and the history, and
/// said in the report's lead; the published post shows the lead once, as its first paragraph.
#[tokio::test]
async fn the_non_voting_audience_is_counted_once_and_the_post_shows_its_lead_once() {
    let (app, tree, s) = setup("吴书记").await;
    let member = app.add_member(tree.a, "张三").await;
    let extra = [("title", "十二月主题党日"), ("topic", "学习贯彻全会精神")];
    let id = draft(&app, &s.client, tree.a, (Duration::hours(1), 120), &extra).await;
    let path = format!("/events/{id}/attendance/non-voting");
    let count = |n: &'static str, approx: &'static str| {
        [("non_voting_count", n), ("non_voting_approx", approx), ("non_voting_note", "各会员单位党务工作者")]
    };
    // A draft has no attendance yet.
    s.client.post(&path, &count("50", "1")).await.assert_status(403);
    publish(&s.client, id).await;
    let e = event_row(&app, id).await;
    move_to(&app, e.starts_at + Duration::minutes(5));
    let inv = inv_of(&app, id, s.member).await.id;
    assert_eq!(tap(&s.client, id, inv, "present").await.0, 200);

    for bad in ["五十", "-3", "100001", "1e3"] {
        let r = s.client.post(&path, &count(bad, "")).await;
        r.assert_status(409);
        assert!(r.body.contains("0 到 100000"), "{}", r.body);
    }
    let long = "字".repeat(101);
    s.client.post(&path, &[("non_voting_count", "3"), ("non_voting_note", long.as_str())]).await.assert_status(409);
    assert_eq!(event_row(&app, id).await.non_voting_count, None, "refused whole");
    let other = app.login_linked(Role::Member, member).await;
    other.post(&path, &count("50", "1")).await.assert_status(403);

    s.client.post(&path, &count("50", "1")).await.assert_status(303);
    let row = event_row(&app, id).await;
    assert_eq!((row.non_voting_count, row.non_voting_approx), (Some(50), true));
    let page = s.client.get(&format!("/events/{id}/attendance")).await;
    page.assert_status(200);
    assert!(page.body.contains("各会员单位党务工作者50余人"), "{}", page.body);
    assert!(page.body.contains("value=\"50\"") && page.body.contains("checked"), "the form shows what was saved");
    let event_page = s.client.get(&format!("/events/{id}")).await;
    assert!(event_page.body.contains("列席人数变更"), "the history says so: {}", event_page.body);
    s.client.post("/locale", &[("locale", "en"), ("next", "/")]).await.assert_status(303);
    let en = s.client.get(&format!("/events/{id}/attendance")).await;
    assert!(en.body.contains("各会员单位党务工作者: more than 50"), "{}", en.body);
    s.client.post("/locale", &[("locale", "zh-CN"), ("next", "/")]).await.assert_status(303);

    move_to(&app, e.ends_at + Duration::minutes(1));
    finalise_due(&app.state.db, app.state.now()).await.unwrap();
    assert_eq!(draft_pass(&app).await, 1);
    let r = report_of(&app, id).await;
    assert!(r.summary.contains("各会员单位党务工作者50余人一同参加活动。"), "{}", r.summary);
    assert!(!r.summary.contains("另有"), "{}", r.summary);

    // Published, the post reads its lead once, before the body.
    let admin = app.login_as(Role::Admin).await;
    step(&admin, id, "publish", "", r.revision).await.assert_status(303);
    let post = app.client().get(&format!("/activities/{}", r.id)).await;
    post.assert_status(200);
    let article = &post.body[post.body.find("<article").expect("an article")..];
    assert_eq!(article.matches("各会员单位党务工作者50余人一同参加活动").count(), 1, "{article}");
    let lead_at = article.find("各会员单位党务工作者50余人").unwrap();
    assert!(article[..lead_at].contains("class=\"report-body\""), "the lead opens the post's text");
    assert!(post.body.contains("<meta name=\"description\" content=\"2"), "the description is the lead");
}

/// Issue 28 §6: the Activities page is in the order of the activities' dates (a post about last
/// year's meeting published today is not the newest), and a joint activity is listed under every
/// branch that held it, which the filter offers.
#[tokio::test]
async fn activities_are_in_the_order_of_their_dates_and_joint_ones_under_each_branch() {
    use sea_orm::{ActiveModelTrait, Set};
    let (app, tree, s) = setup("吴书记").await;
    let other = crate::attendance::staff(&app, tree.b, "郑书记").await;
    let newer = published_rows(&app, &s, tree.a, 1, chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()).await[0];
    // Published after it, about an activity of last year.
    let older = published_rows(&app, &s, tree.a, 1, chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap()).await[0];
    let theirs = published_rows(&app, &other, tree.b, 1, chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap()).await[0];
    let listed = |body: &str| -> Vec<i64> {
        body.match_indices("<h2><a href=\"/activities/")
            .map(|(i, m)| body[i + m.len()..].split('"').next().unwrap().parse().unwrap())
            .collect()
    };
    let visitor = app.client();
    assert_eq!(listed(&visitor.get("/activities").await.body), [newer, theirs, older]);

    // The older report's activity was held with branch b.
    let event = report::Entity::find_by_id(older).one(&app.state.db).await.unwrap().unwrap().event_id;
    partyday::events::entity::unit::ActiveModel {
        event_id: Set(event),
        branch_id: Set(tree.b),
        organiser: Set(false),
        accepted: Set(true),
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    assert_eq!(listed(&visitor.get(&format!("/activities?branch={}", tree.b)).await.body), [theirs, older]);
    assert_eq!(listed(&visitor.get(&format!("/activities?branch={}", tree.a)).await.body), [newer, older]);
    // Paged by the same order: one per page walks all three.
    let (first, next) = service::public::page(&app.state.db, Default::default(), None, 1).await.unwrap();
    let (second, _) = service::public::page(&app.state.db, Default::default(), next, 1).await.unwrap();
    assert_eq!((first[0].id, second[0].id), (newer, theirs));
}

/// Issue 29 §4: where an administrator publishes, a secretary's edit of a published report does
/// not change the public post; it waits beside it, its changed words marked, until the
/// administrator publishes it (or returns it with a comment, the post unchanged).
#[tokio::test]
async fn an_edit_of_a_published_report_waits_for_the_administrator() {
    let (app, tree, s) = setup("吴书记").await;
    let id = reported(&app, &s, tree.a, &[], &[("title", "十二月主题党日")]).await;
    let admin = app.login_as(Role::Admin).await;
    step(&s.client, id, "submit", "", 0).await.assert_status(303);
    step(&admin, id, "publish", "", 0).await.assert_status(303);
    let r = report_of(&app, id).await;
    let public = format!("/activities/{}", r.id);
    let before = app.client().get(&public).await;
    before.assert_status(200);

    let mut fields = edit_fields(&r);
    set(&mut fields, "title", "改过的标题");
    set(&mut fields, "body", "会上，大家合影留念。");
    crate::minutes::send(&s.client, &format!("/events/{id}/report"), &fields).await.assert_status(303);
    let after = app.client().get(&public).await;
    assert!(!after.body.contains("改过的标题") && !after.body.contains("合影留念"), "{}", after.body);
    assert!(after.body.contains(&r.title), "the published version stays public");
    let listed = app.client().get("/activities").await;
    assert!(listed.body.contains(&r.title) && !listed.body.contains("改过的标题"));
    let mine = s.client.get(&format!("/events/{id}/report")).await;
    assert!(mine.body.contains("待发布") && mine.body.contains("<ins>会上，大家合影留念。</ins>"), "{}", mine.body);
    // The secretary cannot publish it; the administrator sees it to review.
    step(&s.client, id, "publish", "", 1).await.assert_status(403);
    let review = admin.get(&format!("/events/{id}/report")).await;
    assert!(review.body.contains("<ins>") && review.body.contains("value=\"publish\""), "{}", review.body);
    // The administrator's start page lists it to review (issue 29 §6).
    let listed =
        |body: &str| body.split("</li>").find(|li| li.contains(&format!("/events/{id}/report"))).map(str::to_owned);
    let on_admins = listed(&admin.get("/").await.body).expect("on the administrator's start page");
    assert!(on_admins.contains("已发布后的修改"), "{on_admins}");
    assert!(listed(&s.client.get("/").await.body).is_none(), "not the secretary's to do while it waits");

    // Returned with a comment: still public as published, the edit kept for its writer.
    step(&admin, id, "return", "标题请保持原样", 1).await.assert_status(303);
    let kept = report_of(&app, id).await;
    assert_eq!((kept.state, kept.title.as_str()), (ReportState::Published, "改过的标题"));
    assert!(!app.client().get(&public).await.body.contains("改过的标题"));
    assert!(s.client.get(&format!("/events/{id}/report")).await.body.contains("标题请保持原样"));
    // Now the secretary's to do, said returned; no longer the administrator's.
    let on_secretarys = listed(&s.client.get("/").await.body).expect("on the secretary's start page");
    assert!(on_secretarys.contains("已退回"), "{on_secretarys}");
    assert!(listed(&admin.get("/").await.body).is_none());

    step(&admin, id, "publish", "", 1).await.assert_status(303);
    let now_public = app.client().get(&public).await;
    assert!(now_public.body.contains("改过的标题") && now_public.body.contains("合影留念"), "{}", now_public.body);
    assert!(!admin.get(&format!("/events/{id}/report")).await.body.contains("<ins>"), "nothing waits any more");
}
