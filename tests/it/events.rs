//! Events: planning, scheduling, changing and cancelling; audience and invitees; guests and
//! agenda; who sees what; bad input; iCalendar output.
use partyday::{
    accounts::Role,
    events::{
        entity::{change, event, invitation},
        rules::EventState,
    },
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::helpers::{Client, TestApp, Tree};

/// The fields of a valid event form for `branch`, a month from the test clock's now.
pub(crate) fn form(branch: i64) -> Vec<(String, String)> {
    let day = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    vec![
        ("branch_id".into(), branch.to_string()),
        ("kind".into(), "theme_party_day".into()),
        ("title".into(), "十二月主题党日".into()),
        ("topic".into(), "学习二十届四中全会精神".into()),
        ("description".into(), "**学习** <script>alert(1)</script>".into()),
        ("starts_at".into(), format!("{day}T14:30")),
        ("ends_at".into(), format!("{day}T16:30")),
        ("location".into(), "三楼会议室".into()),
        ("audience_kind".into(), "branches".into()),
        ("statuses".into(), "full".into()),
        ("statuses".into(), "probationary".into()),
    ]
}

pub(crate) fn with(mut fields: Vec<(String, String)>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    for (k, v) in changes {
        fields.retain(|(key, _)| key != k);
        if !v.is_empty() {
            fields.push(((*k).to_owned(), (*v).to_owned()));
        }
    }
    fields
}

pub(crate) async fn post(client: &Client, path: &str, fields: &[(String, String)]) -> crate::helpers::Resp {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    client.post(path, &refs).await
}

pub(crate) fn id_from(location: &str) -> i64 {
    location.trim_start_matches("/events/").split('/').next().unwrap().parse().unwrap()
}

pub(crate) async fn setup() -> (TestApp, Tree, Client) {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    (app, tree, secretary)
}

#[tokio::test]
async fn a_secretary_plans_schedules_changes_and_cancels_an_event() {
    let (app, tree, secretary) = setup().await;
    let member = app.add_member(tree.a, "张三").await;
    let _other_branch = app.add_member(tree.b, "李四").await;
    let resp = post(&secretary, "/events", &form(tree.a)).await;
    resp.assert_status(303);
    let id = id_from(resp.location());

    // A draft: visible to the organiser with a preview of the invitees; not to the member.
    let page = secretary.get(&format!("/events/{id}")).await;
    page.assert_status(200).assert_contains("十二月主题党日").assert_contains("张三").assert_lacks("李四");
    page.assert_contains("<strong>学习</strong>").assert_contains("&lt;script&gt;").assert_lacks("<script>alert");
    let member_client = app.login_linked(Role::Member, member).await;
    member_client.get(&format!("/events/{id}")).await.assert_status(404);

    // Agenda and a guest.
    secretary
        .post(&format!("/events/{id}/agenda"), &[("title", "领学文件"), ("minutes", "30")])
        .await
        .assert_status(303);
    secretary.post(&format!("/events/{id}/agenda"), &[("title", "交流发言")]).await.assert_status(303);
    secretary
        .post(&format!("/events/{id}/guests"), &[("name", "王局长"), ("organisation", "卫健局"), ("role", "leader")])
        .await
        .assert_status(303);

    // Scheduling shows the count first, then invites the audience and the guest.
    secretary.get(&format!("/events/{id}/schedule")).await.assert_status(200).assert_contains("2");
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    let db = &app.state.db;
    let rows = invitation::Entity::find().filter(invitation::Column::EventId.eq(id)).all(db).await.unwrap();
    assert_eq!(rows.iter().filter(|r| r.member_id.is_some()).count(), 2, "secretary and 张三");
    assert_eq!(rows.iter().filter(|r| r.guest_id.is_some()).count(), 1);
    member_client.get(&format!("/events/{id}")).await.assert_status(200).assert_contains("领学文件");
    member_client.get("/events/mine").await.assert_contains("十二月主题党日");

    // Moving the time and the place of a scheduled event is logged and raises the sequence.
    let moved = with(form(tree.a), &[("location", "党员活动室")]);
    post(&secretary, &format!("/events/{id}"), &moved).await.assert_status(303);
    let e = event::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    assert_eq!(e.sequence, 1);
    let kinds: Vec<String> = change::Entity::find()
        .filter(change::Column::EventId.eq(id))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert!(kinds.contains(&"scheduled".to_owned()) && kinds.contains(&"place".to_owned()), "{kinds:?}");

    // Cancelling needs a reason; then nothing more can change.
    secretary.post(&format!("/events/{id}/cancel"), &[("reason", " ")]).await.assert_status(422);
    secretary.post(&format!("/events/{id}/cancel"), &[("reason", "与上级会议冲突")]).await.assert_status(303);
    let e = event::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    assert_eq!((e.state, e.sequence), (EventState::Cancelled, 2));
    post(&secretary, &format!("/events/{id}"), &moved).await.assert_status(409);

    // The calendar file says so.
    let (status, content_type, body) = member_client.download(&format!("/events/{id}/event.ics")).await;
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/calendar"), "{content_type}");
    let text = String::from_utf8(body).unwrap();
    // Read back by an independent parser: the event with its UID, sequence, zone and status.
    let unfolded = icalendar::parser::unfold(&text);
    let calendar = icalendar::parser::read_calendar(&unfolded).unwrap();
    let vevent = calendar.components.iter().find(|c| c.name == "VEVENT").expect("a VEVENT");
    let prop = |name: &str| vevent.properties.iter().find(|p| p.name == name).map(|p| p.val.to_string());
    assert_eq!(prop("STATUS").as_deref(), Some("CANCELLED"));
    assert_eq!(prop("SEQUENCE").as_deref(), Some("2"));
    assert_eq!(prop("SUMMARY").as_deref(), Some("十二月主题党日"));
    assert_eq!(prop("LOCATION").as_deref(), Some("党员活动室"));
    assert!(prop("UID").is_some_and(|u| u.starts_with(&format!("event-{id}@"))));
    assert!(prop("DTSTAMP").is_some() && prop("ORGANIZER").is_some_and(|o| o.starts_with("mailto:")));
    let start = vevent.properties.iter().find(|p| p.name == "DTSTART").unwrap();
    assert!(
        start.params.iter().any(|p| p.key == "TZID" && p.val.as_ref().is_some_and(|v| v.as_str() == "Asia/Shanghai"))
    );
    assert!(calendar.components.iter().any(|c| c.name == "VTIMEZONE"));
}

#[tokio::test]
async fn bad_event_input_gets_field_errors_and_changes_nothing() {
    let (app, tree, secretary) = setup().await;
    let other = app.add_member(tree.b, "外支部党员").await;
    let base = form(tree.a);
    let day = base.iter().find(|(k, _)| k == "starts_at").unwrap().1[..10].to_owned();
    let other_id = other.to_string();
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![("title", String::new())], "title"),
        (vec![("title", "长".repeat(201))], "title"),
        (vec![("ends_at", format!("{day}T13:00"))], "ends_at"),
        (vec![("starts_at", "2026-02-30T10:00".into())], "starts_at"),
        (vec![("capacity", "-1".into())], "capacity"),
        (vec![("kind", "party".into())], "kind"),
        (vec![("statuses", String::new())], "statuses"),
        (vec![("audience_kind", "group".into())], "audience_group_id"),
        (vec![("host_member_id", other_id.clone())], "host_member_id"),
        (vec![("co_organisers", tree.a.to_string())], "co_organisers"),
        (vec![("co_organisers", "999999".into())], "co_organisers"),
        (vec![("audience_kind", "members".into()), ("picks", other_id)], "picks"),
    ];
    for (changes, field) in cases {
        let changes: Vec<(&str, &str)> = changes.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let resp = post(&secretary, "/events", &with(base.clone(), &changes)).await;
        resp.assert_status(422);
        assert!(resp.field_error(field).is_some(), "{changes:?}: no error on {field}");
    }
    assert_eq!(event::Entity::find().count(&app.state.db).await.unwrap(), 0);
    // An unknown branch, or one not the secretary's: not found.
    post(&secretary, "/events", &with(base.clone(), &[("branch_id", "999999")])).await.assert_status(404);
    post(&secretary, "/events", &with(base, &[("branch_id", &tree.b.to_string())])).await.assert_status(404);
    // A guest without a name.
    let resp = post(&secretary, "/events", &form(tree.a)).await;
    let id = id_from(resp.location());
    let resp = secretary.post(&format!("/events/{id}/guests"), &[("name", ""), ("role", "leader")]).await;
    resp.assert_status(422);
    assert!(resp.field_error("guest-name").is_some());
}

#[tokio::test]
async fn other_branches_see_only_what_they_co_organise() {
    let (app, tree, secretary) = setup().await;
    let b_secretary = app.secretary_of(tree.b).await;
    let joint = post(
        &secretary,
        "/events",
        &with(
            form(tree.a),
            &[("kind", "joint_conference"), ("title", "联席会议"), ("co_organisers", &tree.b.to_string())],
        ),
    )
    .await;
    let joint = id_from(joint.location());
    let own = id_from(post(&secretary, "/events", &with(form(tree.a), &[("title", "本支部学习")])).await.location());
    // The co-organiser reads the joint event (a draft too) but cannot change it.
    b_secretary.get(&format!("/events/{joint}")).await.assert_status(200).assert_contains("联席会议");
    b_secretary.get(&format!("/events/{joint}/edit")).await.assert_status(403);
    b_secretary.post(&format!("/events/{joint}/schedule"), &[]).await.assert_status(403);
    // The other event of branch A is not there for B.
    b_secretary.get(&format!("/events/{own}")).await.assert_status(404);
    let list = b_secretary.get("/events").await;
    list.assert_status(200).assert_contains("联席会议").assert_lacks("本支部学习");
    // Copying makes a new draft with the same holding branches.
    let copy = secretary.post(&format!("/events/{joint}/copy"), &[]).await;
    copy.assert_status(303);
    let copy_id = id_from(copy.location());
    assert_ne!(copy_id, joint);
    b_secretary.get(&format!("/events/{copy_id}")).await.assert_status(200);
}

#[tokio::test]
async fn ended_events_cannot_be_changed() {
    let (app, tree, secretary) = setup().await;
    app.add_member(tree.a, "张三").await;
    let id = id_from(post(&secretary, "/events", &form(tree.a)).await.location());
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    app.clock.advance(chrono::Duration::days(40));
    let secretary = app.secretary_of(tree.a).await;
    secretary.get(&format!("/events/{id}")).await.assert_status(200).assert_contains("已结束");
    post(&secretary, &format!("/events/{id}"), &form(tree.a)).await.assert_status(409);
    secretary.post(&format!("/events/{id}/cancel"), &[("reason", "太晚了")]).await.assert_status(409);
    secretary.get("/events?when=past").await.assert_contains("十二月主题党日");
    assert_eq!(partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap(), 1);
}

#[tokio::test]
async fn saving_an_unchanged_event_changes_no_revision() {
    let (app, tree, secretary) = setup().await;
    let picked = app.add_member(tree.a, "张三").await.to_string();
    let fields = with(form(tree.a), &[("audience_kind", "members"), ("picks", &picked)]);
    let id = id_from(post(&secretary, "/events", &fields).await.location());
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    post(&secretary, &format!("/events/{id}"), &fields).await.assert_status(303);
    let e = event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(e.sequence, 0, "nothing changed, so no new revision");
    let others = app.add_member(tree.a, "李四").await.to_string();
    let mut more = fields.clone();
    more.push(("picks".into(), others));
    post(&secretary, &format!("/events/{id}"), &more).await.assert_status(303);
    let e = event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(e.sequence, 1);
    let invited =
        invitation::Entity::find().filter(invitation::Column::EventId.eq(id)).count(&app.state.db).await.unwrap();
    assert_eq!(invited, 2);
}

#[tokio::test]
async fn concurrent_edits_each_raise_the_sequence_and_reach_the_invitees() {
    use partyday::outbox::entity::outbox;
    let (app, tree, secretary) = setup().await;
    app.add_member(tree.a, "张三").await;
    let id = id_from(post(&secretary, "/events", &form(tree.a)).await.location());
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    // Ten saves at once from pages without a revision (each moves the event to another room):
    // every one takes the event's lock in turn, so each gets its own sequence and update email.
    let secretary = std::sync::Arc::new(secretary);
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(10));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..10 {
        let (secretary, start) = (secretary.clone(), start.clone());
        let fields = with(form(tree.a), &[("location", &format!("{n} 号会议室"))]);
        tasks.spawn(async move {
            start.wait().await;
            post(&secretary, &format!("/events/{id}"), &fields).await.status
        });
    }
    assert_eq!(tasks.join_all().await, vec![303; 10]);
    let db = &app.state.db;
    let e = event::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    assert_eq!(e.sequence, 10, "one new sequence per save");
    let logged: Vec<i32> = change::Entity::find()
        .filter(change::Column::EventId.eq(id))
        .filter(change::Column::Kind.eq("place"))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.sequence)
        .collect();
    let mut sorted = logged.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..=10).collect::<Vec<_>>(), "each change logged under its own sequence");
    let updates = outbox::Entity::find()
        .filter(outbox::Column::EventId.eq(id))
        .filter(outbox::Column::Kind.eq("update"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(updates, 10 * 2, "every save's update reached both invitees (the secretary and 张三)");
}

#[tokio::test]
async fn a_save_based_on_an_older_revision_is_refused_and_keeps_what_was_typed() {
    let (app, tree, secretary) = setup().await;
    let id = id_from(post(&secretary, "/events", &form(tree.a)).await.location());
    let edit = secretary.get(&format!("/events/{id}/edit")).await;
    edit.assert_status(200);
    let revision = {
        let at = edit.body.find("name=\"revision\" value=\"").expect("the form carries its revision") + 23;
        edit.body[at..at + edit.body[at..].find('"').unwrap()].to_owned()
    };
    // Another organiser saves first.
    let other = with(form(tree.a), &[("location", "五楼报告厅"), ("revision", &revision)]);
    post(&secretary, &format!("/events/{id}"), &other).await.assert_status(303);
    // The first form, saved later, is refused with a clear message and keeps its text.
    let mine = with(form(tree.a), &[("title", "我改的标题"), ("revision", &revision)]);
    let refused = post(&secretary, &format!("/events/{id}"), &mine).await;
    refused.assert_status(409).assert_contains("其他人已保存了此活动").assert_contains("value=\"我改的标题\"");
    // Under each field that differs, what is saved now: saving again is done knowing it.
    assert_eq!(refused.field_error("location").as_deref(), Some("当前已保存：五楼报告厅"));
    assert_eq!(refused.field_error("title").as_deref(), Some("当前已保存：十二月主题党日"));
    assert_eq!(refused.field_error("starts_at"), None, "unchanged fields say nothing");
    let e = event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!((e.title.as_str(), e.location.as_deref()), ("十二月主题党日", Some("五楼报告厅")));
    // Saved again from the refused page (now based on the stored revision), it goes through.
    let again = refused.body.find("name=\"revision\" value=\"").unwrap() + 23;
    let current = &refused.body[again..again + refused.body[again..].find('"').unwrap()];
    assert_ne!(current, revision);
    let mine = with(mine, &[("revision", current)]);
    post(&secretary, &format!("/events/{id}"), &mine).await.assert_status(303);
    let e = event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(e.title, "我改的标题");
}

#[tokio::test]
async fn a_second_60_is_refused_and_a_stored_one_takes_no_page_down() {
    use sea_orm::ConnectionTrait;
    let (app, tree, secretary) = setup().await;
    let member = app.add_member(tree.a, "张三").await;
    let day = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
    for field in ["starts_at", "ends_at"] {
        let at = if field == "starts_at" { format!("{day}T10:00:60") } else { format!("{day}T16:29:60") };
        let resp = post(&secretary, "/events", &with(form(tree.a), &[(field, &at)])).await;
        resp.assert_status(422);
        assert!(resp.field_error(field).is_some(), "{field}: no error");
    }
    assert_eq!(event::Entity::find().count(&app.state.db).await.unwrap(), 0);
    // Seconds are dropped: times are kept to the minute, as the form shows them.
    let resp = post(&secretary, "/events", &with(form(tree.a), &[("starts_at", &format!("{day}T14:30:15"))])).await;
    let id = id_from(resp.location());
    let e = event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(chrono::Timelike::second(&e.starts_at), 0);
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    // A second 60 stored before the forms refused it (SQLite keeps the text as it was written).
    if !app.db.is_postgres() {
        app.state
            .db
            .execute_unprepared(&format!(
                "UPDATE events SET starts_at = substr(starts_at, 1, 17) || '60' || substr(starts_at, 20) WHERE id = {id}"
            ))
            .await
            .unwrap();
    }
    let month = &day[..7];
    let member_client = app.login_linked(Role::Member, member).await;
    member_client.get("/events/mine").await.assert_status(200).assert_contains("十二月主题党日");
    member_client.get(&format!("/events/calendar?month={month}")).await.assert_status(200);
    secretary.get("/events").await.assert_status(200).assert_contains("十二月主题党日");
}

#[tokio::test]
async fn a_co_organiser_named_by_another_branch_is_asked_before_its_members_are_invited() {
    use partyday::outbox::entity::outbox;
    let (app, tree, secretary) = setup().await;
    let b_secretary = app.secretary_of(tree.b).await;
    let b_member = app.add_member(tree.b, "乙支部党员").await;
    let b_member_client = app.login_linked(Role::Member, b_member).await;
    let fields = with(form(tree.a), &[("title", "联席会议"), ("co_organisers", &tree.b.to_string())]);
    let id = id_from(post(&secretary, "/events", &fields).await.location());
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    let db = &app.state.db;
    let invited = |id: i64| async move {
        invitation::Entity::find().filter(invitation::Column::EventId.eq(id)).all(db).await.unwrap()
    };
    // Asked, not yet holding: B's members are neither invited, emailed nor shown to A.
    assert!(invited(id).await.iter().all(|i| i.member_id != Some(b_member)));
    let to_b = outbox::Entity::find()
        .filter(outbox::Column::EventId.eq(id))
        .filter(outbox::Column::RecipientName.eq("乙支部党员"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(to_b, 0);
    let page = secretary.get(&format!("/events/{id}")).await;
    page.assert_contains("待答复的协办支部").assert_contains("第二党支部").assert_lacks("乙支部党员");
    secretary.get(&format!("/events/{id}/attendance")).await.assert_lacks("乙支部党员");
    secretary.get(&format!("/events/{id}/mail")).await.assert_lacks("乙支部党员");
    b_member_client.get(&format!("/events/{id}")).await.assert_status(404);
    // B's secretary is asked on the event page, and only B's secretary may answer.
    let asked = b_secretary.get(&format!("/events/{id}")).await;
    asked.assert_status(200).assert_contains("第二党支部被邀请联合主办本次活动");
    let b = tree.b.to_string();
    let accept = [("branch_id", b.as_str()), ("answer", "accept")];
    secretary.post(&format!("/events/{id}/co-organising"), &accept).await.assert_status(404);
    b_member_client.post(&format!("/events/{id}/co-organising"), &accept).await.assert_status(404);
    b_secretary.post(&format!("/events/{id}/co-organising"), &accept).await.assert_status(303);
    // Accepted: B holds the event, its members are invited and emailed, A sees them.
    assert!(invited(id).await.iter().any(|i| i.member_id == Some(b_member)));
    secretary.get(&format!("/events/{id}")).await.assert_contains("乙支部党员").assert_lacks("待答复的协办支部");
    b_member_client.get(&format!("/events/{id}")).await.assert_status(200);
    b_secretary.post(&format!("/events/{id}/co-organising"), &accept).await.assert_status(404);

    // Declining removes the request; an administrator's naming counts at once.
    let second = id_from(post(&secretary, "/events", &fields).await.location());
    let decline = [("branch_id", b.as_str()), ("answer", "decline")];
    b_secretary.post(&format!("/events/{second}/co-organising"), &decline).await.assert_redirect_to("/events");
    b_secretary.get(&format!("/events/{second}")).await.assert_status(404);
    let admin = app.login_as(Role::Admin).await;
    let third = id_from(post(&admin, "/events", &fields).await.location());
    admin.post(&format!("/events/{third}/schedule"), &[]).await.assert_status(303);
    assert!(invited(third).await.iter().any(|i| i.member_id == Some(b_member)));

    // Two branches asked at once, one accepting: each is read as it stands.
    let c = app.add_unit(partyday::branches::BranchKind::Branch, Some(tree.committee), "第三党支部", "T-C").await;
    let c_secretary = app.secretary_of(c).await;
    let c_member = app.add_member(c, "丙支部党员").await;
    let c_member_client = app.login_linked(Role::Member, c_member).await;
    let mut both = with(fields.clone(), &[("co_organisers", "")]);
    both.extend([("co_organisers".to_owned(), b.clone()), ("co_organisers".to_owned(), c.to_string())]);
    let fourth = id_from(post(&secretary, "/events", &both).await.location());
    secretary.post(&format!("/events/{fourth}/schedule"), &[]).await.assert_status(303);
    b_secretary.post(&format!("/events/{fourth}/co-organising"), &accept).await.assert_status(303);
    b_secretary.get(&format!("/events/{fourth}/attendance")).await.assert_status(200);
    b_member_client.get(&format!("/events/{fourth}")).await.assert_status(200);
    c_secretary.get(&format!("/events/{fourth}")).await.assert_contains("第三党支部被邀请联合主办本次活动");
    c_secretary.get(&format!("/events/{fourth}/attendance")).await.assert_status(403);
    c_member_client.get(&format!("/events/{fourth}")).await.assert_status(404);
    let page = secretary.get(&format!("/events/{fourth}")).await;
    page.assert_contains("待答复的协办支部").assert_contains("第三党支部").assert_contains("乙支部党员");
}
