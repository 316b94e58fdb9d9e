//! Planning a year: monthly series, the month calendar, calendar subscriptions, attachments and
//! booking clash warnings.
use chrono::{Datelike, Duration, Weekday};
use partyday::{
    accounts::Role,
    events::{
        entity::{attachment, event, series},
        rules::EventState,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::events::{form, id_from, post, setup, with};
use crate::helpers::{Client, TestApp};

const SHANGHAI: chrono_tz::Tz = chrono_tz::Asia::Shanghai;

fn series_form(branch: i64, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let base = [
        ("branch_id", branch.to_string()),
        ("kind", "theme_party_day".into()),
        ("title", "主题党日".into()),
        ("rule_kind", "weekday".into()),
        ("day", String::new()),
        ("nth", "last".into()),
        ("weekday", "fri".into()),
        ("start_time", "14:30".into()),
        ("minutes", "120".into()),
        ("location", "三楼会议室".into()),
        ("statuses", "full".into()),
        ("statuses", "probationary".into()),
        ("schedule", "1".into()),
    ];
    with(base.into_iter().map(|(k, v)| (k.to_owned(), v)).collect(), changes)
}

async fn occurrences(app: &TestApp, series_id: i64) -> Vec<event::Model> {
    event::Entity::find()
        .filter(event::Column::SeriesId.eq(series_id))
        .order_by_asc(event::Column::StartsAt)
        .all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_monthly_series_plans_a_year_and_its_edits_skip_what_was_changed_by_hand() {
    let (app, tree, secretary) = setup().await;
    let member = app.add_member(tree.a, "张三").await;
    secretary.get("/events/series/new").await.assert_status(200).assert_contains("name=\"rule_kind\"");
    let resp = post(&secretary, "/events/series", &series_form(tree.a, &[])).await;
    resp.assert_status(303);
    let series_id: i64 = resp.location().trim_start_matches("/events/series/").parse().unwrap();

    // Twelve scheduled occurrences, each on the last Friday of consecutive months at 14:30 Beijing time.
    let events = occurrences(&app, series_id).await;
    assert_eq!(events.len(), 12);
    let mut months = Vec::new();
    for e in &events {
        let local = e.starts_at.with_timezone(&SHANGHAI);
        assert_eq!((local.weekday(), local.format("%H:%M").to_string()), (Weekday::Fri, "14:30".to_owned()));
        assert!((local.date_naive() + Duration::days(7)).month() != local.month(), "the last Friday: {local}");
        assert_eq!(e.ends_at - e.starts_at, Duration::minutes(120));
        assert_eq!(e.state, EventState::Scheduled);
        assert!(e.starts_at > app.state.now());
        months.push(local.year() * 12 + local.month() as i32);
    }
    assert!(months.windows(2).all(|w| w[1] == w[0] + 1), "consecutive months: {months:?}");
    let page = secretary.get(&format!("/events/series/{series_id}")).await;
    page.assert_status(200).assert_contains("每月最后一个周五");

    // Members see them.
    let member_client = app.login_linked(Role::Member, member).await;
    let mine = member_client.get("/events/mine").await;
    assert!(mine.body.matches("主题党日").count() >= 12, "{}", mine.body);

    // One occurrence is moved by hand; the first one then takes place.
    let by_hand = &events[3];
    let day = by_hand.starts_at.with_timezone(&SHANGHAI).date_naive() - Duration::days(1);
    let moved = with(
        form(tree.a),
        &[("title", "主题党日（提前）"), ("starts_at", &format!("{day}T09:00")), ("ends_at", &format!("{day}T11:00"))],
    );
    post(&secretary, &format!("/events/{}", by_hand.id), &moved).await.assert_status(303);
    app.clock.advance(events[0].ends_at - app.state.now() + Duration::hours(1));
    let secretary = app.secretary_of(tree.a).await; // sessions idle out over the month that passed

    // The series moves to the 24th at 15:00 with a new title: not-started, untouched occurrences follow.
    let changed = series_form(
        tree.a,
        &[("rule_kind", "day"), ("day", "24"), ("start_time", "15:00"), ("title", "主题党日（新）")],
    );
    let resp = post(&secretary, &format!("/events/series/{series_id}"), &changed).await;
    resp.assert_status(303);
    let page = secretary.get(&format!("/events/series/{series_id}")).await;
    page.assert_contains("更新了 10 次活动，保留 1 次").assert_contains("每月 24 日");
    let after = occurrences(&app, series_id).await;
    let first = after.iter().find(|e| e.id == events[0].id).unwrap();
    assert_eq!((first.title.as_str(), first.starts_at), ("主题党日", events[0].starts_at), "a past one stays");
    let kept = after.iter().find(|e| e.id == by_hand.id).unwrap();
    assert_eq!(kept.title, "主题党日（提前）");
    assert!(kept.edited_by_hand);
    let updated: Vec<_> = after.iter().filter(|e| e.id != events[0].id && e.id != by_hand.id).collect();
    assert_eq!(updated.len(), 10);
    for e in updated {
        let local = e.starts_at.with_timezone(&SHANGHAI);
        assert_eq!((local.day(), local.format("%H:%M").to_string()), (24, "15:00".to_owned()), "{local}");
        assert_eq!(e.title, "主题党日（新）");
        assert_eq!(e.sequence, 1, "a scheduled occurrence's change raises its sequence");
        assert!(!e.edited_by_hand);
    }
}

#[tokio::test]
async fn bad_series_input_gets_field_errors_and_changes_nothing() {
    let (app, tree, secretary) = setup().await;
    app.add_member(tree.a, "张三").await;
    let yesterday = (app.state.now() - Duration::days(1)).with_timezone(&SHANGHAI).format("%Y-%m-%d").to_string();
    for (changes, field) in [
        (vec![("rule_kind", "day"), ("day", "32")], "rule_kind"),
        (vec![("rule_kind", "weekday"), ("nth", "5")], "rule_kind"),
        (vec![("rule_kind", "")], "rule_kind"),
        (vec![("until", yesterday.as_str())], "until"),
        (vec![("until", "2026-02-30")], "until"),
        (vec![("start_time", "25:00")], "start_time"),
        (vec![("start_time", "09:59:60")], "start_time"),
        (vec![("minutes", "-5")], "minutes"),
        (vec![("title", "")], "title"),
        (vec![("statuses", "")], "statuses"),
    ] {
        let resp = post(&secretary, "/events/series", &series_form(tree.a, &changes)).await;
        resp.assert_status(422);
        assert!(resp.field_error(field).is_some(), "{changes:?}: no error on {field}");
    }
    // Scheduling with nobody in the audience is refused as a whole.
    let resp = post(&secretary, "/events/series", &series_form(tree.a, &[("statuses", "activist")])).await;
    resp.assert_status(422);
    assert!(resp.field_error("statuses").is_some());
    assert_eq!(series::Entity::find().count(&app.state.db).await.unwrap(), 0);
    assert_eq!(event::Entity::find().count(&app.state.db).await.unwrap(), 0);
    // Another branch's: not found.
    post(&secretary, "/events/series", &series_form(tree.b, &[])).await.assert_status(404);
}

/// Creates and schedules an event of `branch` from the standard form with changes.
async fn scheduled(client: &Client, branch: i64, changes: &[(&str, &str)]) -> i64 {
    let resp = post(client, "/events", &with(form(branch), changes)).await;
    resp.assert_status(303);
    let id = id_from(resp.location());
    client.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    id
}

/// The subscription address shown on the subscriptions page, as a path.
fn feed_path(page: &str) -> String {
    let marker = "class=\"feed-url\" value=\"";
    let start = page.find(marker).expect("an address on the page") + marker.len();
    let url = page[start..].split('"').next().unwrap();
    url[url.find("/feeds/").unwrap()..].to_owned()
}

fn summaries(ics: &str) -> Vec<String> {
    let unfolded = icalendar::parser::unfold(ics);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
    calendar
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .filter_map(|c| c.properties.iter().find(|p| p.name == "SUMMARY").map(|p| p.val.to_string()))
        .collect()
}

#[tokio::test]
async fn the_month_calendar_and_private_subscriptions() {
    let (app, tree, secretary) = setup().await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&secretary, tree.a, &[]).await;
    post(&secretary, "/events", &with(form(tree.a), &[("title", "未发布草稿")])).await.assert_status(303);
    let e = event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    let month = e.starts_at.with_timezone(&SHANGHAI).format("%Y-%m").to_string();
    let day = e.starts_at.with_timezone(&SHANGHAI).day().to_string();

    // The month: organisers see drafts too, members their events, other branches nothing of it.
    let page = secretary.get(&format!("/events/calendar?month={month}")).await;
    page.assert_status(200).assert_contains("十二月主题党日").assert_contains("未发布草稿");
    assert!(page.body.contains(&format!("<span class=\"day\">{day}</span>")));
    let member_client = app.login_linked(Role::Member, member).await;
    let page = member_client.get(&format!("/events/calendar?month={month}")).await;
    page.assert_status(200).assert_contains("十二月主题党日").assert_lacks("未发布草稿");
    let other = app.secretary_of(tree.b).await;
    other.get(&format!("/events/calendar?month={month}")).await.assert_status(200).assert_lacks("十二月主题党日");
    other.get("/events/calendar?month=2026-13").await.assert_status(200);
    // A crowded day shows three and links to the rest.
    for _ in 0..3 {
        post(&secretary, "/events", &with(form(tree.a), &[("title", "加开会议")])).await.assert_status(303);
    }
    let page = secretary.get(&format!("/events/calendar?month={month}")).await;
    page.assert_contains("另有 2 项").assert_contains("十二月主题党日");
    assert_eq!(page.body.matches("class=\"event ").count(), 3, "three events on the day");
    let more =
        page.body.split("class=\"more\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    secretary.get(&more).await.assert_status(200).assert_contains("加开会议");

    // A member's own subscription, readable by a calendar app without a session.
    member_client.get("/calendar/feeds").await.assert_status(200).assert_lacks("class=\"feed-url\"");
    member_client.post("/calendar/feeds/renew", &[("owner", "member")]).await.assert_status(303);
    let first = feed_path(&member_client.get("/calendar/feeds").await.body);
    let app_client = app.client();
    let (status, content_type, body) = app_client.download(&first).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/calendar"));
    assert_eq!(summaries(&String::from_utf8(body).unwrap()), vec!["十二月主题党日".to_owned()]);

    // Resetting asks first; then the old address stops and a new one works.
    let resp = member_client.post("/calendar/feeds/renew", &[("owner", "member")]).await;
    resp.assert_status(200).assert_contains("name=\"confirmed\"");
    assert_eq!(app_client.download(&first).await.0, 200, "nothing changed before confirming");
    member_client.post("/calendar/feeds/renew", &[("owner", "member"), ("confirmed", "1")]).await.assert_status(303);
    let second = feed_path(&member_client.get("/calendar/feeds").await.body);
    assert_ne!(first, second);
    assert_eq!(app_client.download(&first).await.0, 404);
    assert_eq!(app_client.download(&second).await.0, 200);
    member_client.post("/calendar/feeds/revoke", &[("owner", "member"), ("confirmed", "1")]).await.assert_status(303);
    assert_eq!(app_client.download(&second).await.0, 404);
    assert_eq!(app_client.download("/feeds/tampered.ics").await.0, 404);

    // A branch's subscription, for its secretary only; cancelled events say so.
    let owner = format!("branch:{}", tree.a);
    other.post("/calendar/feeds/renew", &[("owner", &owner)]).await.assert_status(404);
    member_client.post("/calendar/feeds/renew", &[("owner", &owner)]).await.assert_status(404);
    secretary.post("/calendar/feeds/renew", &[("owner", &owner)]).await.assert_status(303);
    let branch_feed = feed_path(&secretary.get("/calendar/feeds").await.body);
    secretary.post(&format!("/events/{id}/cancel"), &[("reason", "改期")]).await.assert_status(303);
    let (status, _, body) = app_client.download(&branch_feed).await;
    assert_eq!(status, 200);
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("STATUS:CANCELLED"), "{text}");
    assert_eq!(summaries(&text), vec!["十二月主题党日".to_owned()], "no drafts in a feed");
}

#[tokio::test]
async fn attachments_are_checked_stored_and_downloaded_by_invitees() {
    let (app, tree, secretary) = setup().await;
    let member = app.add_member(tree.a, "张三").await;
    let id = scheduled(&secretary, tree.a, &[]).await;
    let path = format!("/events/{id}/attachments");
    let pdf = b"%PDF-1.7\n1 0 obj\n".to_vec();
    secretary.upload_to(&path, &[], "学习材料.pdf", pdf.clone()).await.assert_status(303);
    let page = secretary.get(&format!("/events/{id}")).await;
    page.assert_contains("学习材料.pdf");
    let a = attachment::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    assert_eq!((a.size, a.content_type.as_str()), (pdf.len() as i64, "application/pdf"));
    let stored = app.data_dir.path().join("attachments").join(&a.stored_name);
    assert_eq!(std::fs::read(&stored).unwrap(), pdf);

    // Invitees download it; other branches cannot.
    let member_client = app.login_linked(Role::Member, member).await;
    let (status, content_type, body) = member_client.download(&format!("{path}/{}", a.id)).await;
    assert_eq!((status, content_type.as_str(), body), (200, "application/pdf", pdf));
    let other = app.secretary_of(tree.b).await;
    assert_eq!(other.download(&format!("{path}/{}", a.id)).await.0, 404);
    other.upload_to(&path, &[], "x.pdf", b"%PDF-".to_vec()).await.assert_status(404);
    member_client.upload_to(&path, &[], "x.pdf", b"%PDF-".to_vec()).await.assert_status(403);

    // Refused uploads say why (on the event page they return to: the upload's address carries the
    // form's token) and store nothing.
    for (name, bytes, text) in [
        ("病毒.exe", b"MZ\x90\x00".to_vec(), "不支持此文件类型"),
        ("page.html", b"<script>alert(1)</script>".to_vec(), "不支持此文件类型"),
        ("假的.pdf", b"<script>alert(1)</script>".to_vec(), "文件内容与扩展名不符"),
        ("大文件.pdf", [b"%PDF-".as_slice(), &vec![b'x'; 10 * 1024 * 1024]].concat(), "文件过大"),
        ("很大.pdf", [b"%PDF-".as_slice(), &vec![b'x'; 12 * 1024 * 1024]].concat(), "文件过大"),
        ("", Vec::new(), "请选择要上传的文件"),
    ] {
        let resp = secretary.upload_to(&path, &[], name, bytes).await;
        resp.assert_status(303).assert_redirect_to(&format!("/events/{id}"));
        secretary.get(resp.location()).await.assert_status(200).assert_contains(text);
    }
    assert_eq!(attachment::Entity::find().count(&app.state.db).await.unwrap(), 1);
    assert_eq!(std::fs::read_dir(app.data_dir.path().join("attachments")).unwrap().count(), 1);

    // Removing it removes the file.
    secretary.post(&format!("{path}/{}/remove", a.id), &[]).await.assert_status(303);
    assert_eq!(attachment::Entity::find().count(&app.state.db).await.unwrap(), 0);
    assert!(!stored.exists());
}

#[tokio::test]
async fn double_bookings_of_a_room_or_host_are_warned_about() {
    let (app, tree, secretary) = setup().await;
    let host = app.add_member(tree.a, "张三").await.to_string();
    let first = scheduled(&secretary, tree.a, &[("host_member_id", &host)]).await;
    let page = secretary.get(&format!("/events/{first}")).await;
    page.assert_lacks("时间冲突提醒");

    // Same room, overlapping: a warning on both pages, the event is still saved.
    let start = form(tree.a).iter().find(|(k, _)| k == "starts_at").unwrap().1.clone();
    let day = &start[..10];
    let second = post(
        &secretary,
        "/events",
        &with(
            form(tree.a),
            &[("title", "支委会"), ("starts_at", &format!("{day}T15:30")), ("ends_at", &format!("{day}T17:00"))],
        ),
    )
    .await;
    second.assert_status(303);
    let second = id_from(second.location());
    secretary.get(&format!("/events/{second}")).await.assert_contains("时间冲突提醒").assert_contains("同一地点");
    secretary.get(&format!("/events/{first}")).await.assert_contains("时间冲突提醒").assert_contains("支委会");

    // Same host elsewhere; and another branch's booking of the room shows without its title.
    let third = post(
        &secretary,
        "/events",
        &with(form(tree.a), &[("title", "党课"), ("location", "报告厅"), ("host_member_id", &host)]),
    )
    .await;
    let third = id_from(third.location());
    secretary.get(&format!("/events/{third}")).await.assert_contains("同一主持人").assert_lacks("同一地点");
    let other = app.secretary_of(tree.b).await;
    let theirs = post(&other, "/events", &with(form(tree.b), &[("title", "外支部活动")])).await;
    theirs.assert_status(303);
    let page = secretary.get(&format!("/events/{first}")).await;
    page.assert_contains("其他支部的活动").assert_lacks("外支部活动");

    // A cancelled booking no longer clashes.
    secretary.post(&format!("/events/{second}/cancel"), &[("reason", "改期")]).await.assert_status(303);
    secretary.get(&format!("/events/{first}")).await.assert_lacks("支委会");
}
