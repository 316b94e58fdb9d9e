//! Who may do what: every route, for every kind of visitor. Later issues add their routes here.
use partyday::accounts::Role;

use crate::helpers::{Client, TestApp, is_error_page};

/// A route and the status each kind of visitor gets, in the order: anonymous, member, secretary
/// of another branch, secretary of the target branch, administrator. Placeholders: `{account}`
/// a member account, `{branch}` the secretary's branch, `{member}` a member of it, `{term}` an
/// officer term there. POSTs carry an empty form: allowed visitors get past the permission
/// check to validation (422), forbidden ones are stopped before it (403, or 404 where the
/// thing's existence is private), anonymous ones are sent to the login page (303).
struct Case {
    method: &'static str,
    path: &'static str,
    expected: [u16; 5],
}

const fn case(method: &'static str, path: &'static str, expected: [u16; 5]) -> Case {
    Case { method, path, expected }
}

const VISITORS: [&str; 5] = ["anonymous", "member", "other secretary", "secretary", "admin"];

const ROUTES: &[Case] = &[
    case("GET", "/", [200, 200, 200, 200, 200]),
    case("GET", "/healthz", [200, 200, 200, 200, 200]),
    case("GET", "/static/app.css", [200, 200, 200, 200, 200]),
    case("GET", "/login", [200, 303, 303, 303, 303]),
    case("POST", "/login", [422, 422, 422, 422, 422]),
    case("POST", "/locale", [400, 400, 400, 400, 400]),
    case("GET", "/account", [303, 200, 200, 200, 200]),
    case("POST", "/account", [303, 422, 422, 422, 422]),
    case("GET", "/account/password", [303, 200, 200, 200, 200]),
    case("POST", "/account/password", [303, 422, 422, 422, 422]),
    case("GET", "/admin/accounts", [303, 403, 403, 403, 200]),
    case("POST", "/admin/accounts", [303, 403, 403, 403, 422]),
    case("GET", "/admin/accounts/new", [303, 403, 403, 403, 200]),
    case("GET", "/admin/accounts/{account}", [303, 403, 403, 403, 200]),
    case("POST", "/admin/accounts/{account}", [303, 403, 403, 403, 422]),
    case("POST", "/admin/accounts/{account}/password", [303, 403, 403, 403, 422]),
    case("POST", "/admin/accounts/{account}/member", [303, 403, 403, 403, 303]),
    case("GET", "/admin/accounts/{account}/disable", [303, 403, 403, 403, 200]),
    case("POST", "/admin/accounts/{account}/disable", [303, 403, 403, 403, 303]),
    case("POST", "/admin/accounts/{account}/enable", [303, 403, 403, 403, 303]),
    case("GET", "/admin/accounts/999999999", [303, 403, 403, 403, 404]),
    case("GET", "/branches", [303, 403, 200, 200, 200]),
    case("GET", "/branches/new", [303, 403, 403, 403, 200]),
    case("POST", "/branches", [303, 403, 403, 403, 422]),
    case("GET", "/branches/{branch}", [303, 404, 404, 200, 200]),
    case("POST", "/branches/{branch}", [303, 404, 404, 403, 422]),
    case("POST", "/branches/{branch}/move", [303, 404, 404, 403, 422]),
    case("GET", "/branches/{branch}/close", [303, 404, 404, 403, 200]),
    case("POST", "/branches/{branch}/close", [303, 404, 404, 403, 303]),
    case("POST", "/branches/{branch}/reopen", [303, 404, 404, 403, 303]),
    case("GET", "/branches/{branch}/delete", [303, 404, 404, 403, 200]),
    case("POST", "/branches/{branch}/delete", [303, 404, 404, 403, 303]),
    case("POST", "/branches/{branch}/officers", [303, 404, 404, 422, 422]),
    case("POST", "/branches/{branch}/officers/{term}/end", [303, 404, 404, 303, 303]),
    case("GET", "/branches/{branch}/roster", [303, 404, 404, 200, 200]),
    case("GET", "/branches/999999999", [303, 404, 404, 404, 404]),
    case("GET", "/members", [303, 403, 200, 200, 200]),
    case("GET", "/members/new", [303, 403, 200, 200, 200]),
    case("POST", "/members", [303, 403, 422, 422, 422]),
    case("GET", "/members/export", [303, 403, 200, 200, 200]),
    case("GET", "/members/template", [303, 200, 200, 200, 200]),
    case("GET", "/members/import", [303, 403, 200, 200, 200]),
    case("POST", "/members/import", [303, 403, 400, 400, 400]),
    case("GET", "/members/{member}", [303, 404, 404, 200, 200]),
    case("GET", "/members/{member}/edit", [303, 404, 404, 200, 200]),
    case("POST", "/members/{member}", [303, 404, 404, 422, 422]),
    case("POST", "/members/{member}/status", [303, 404, 404, 422, 422]),
    case("POST", "/members/{member}/transfer", [303, 404, 404, 422, 422]),
    case("POST", "/members/{member}/state", [303, 404, 404, 422, 422]),
    case("GET", "/members/999999999", [303, 404, 404, 404, 404]),
    case("GET", "/me", [303, 200, 200, 200, 200]),
    case("POST", "/me", [303, 404, 303, 303, 404]),
    case("GET", "/events", [303, 303, 200, 200, 200]),
    case("GET", "/events/mine", [303, 200, 200, 200, 200]),
    case("GET", "/events/new", [303, 403, 200, 200, 200]),
    case("POST", "/events", [303, 403, 422, 422, 422]),
    case("POST", "/events/new", [303, 403, 200, 200, 200]),
    case("GET", "/events/held/new", [303, 403, 200, 200, 200]),
    case("POST", "/events/held", [303, 403, 422, 422, 422]),
    case("GET", "/events/{event}", [303, 404, 404, 200, 200]),
    case("POST", "/events/{event}", [303, 404, 404, 422, 422]),
    case("GET", "/events/{event}/edit", [303, 404, 404, 200, 200]),
    case("GET", "/events/{event}/event.ics", [303, 404, 404, 200, 200]),
    case("GET", "/events/{event}/schedule", [303, 404, 404, 200, 200]),
    case("GET", "/events/{event}/cancel", [303, 404, 404, 200, 200]),
    case("POST", "/events/{event}/cancel", [303, 404, 404, 422, 422]),
    case("GET", "/events/{event}/delete", [303, 404, 404, 200, 200]),
    case("POST", "/events/{event}/guests", [303, 404, 404, 422, 422]),
    case("POST", "/events/{event}/agenda", [303, 404, 404, 422, 422]),
    case("POST", "/events/{event}/agenda/999999/up", [303, 404, 404, 404, 404]),
    case("POST", "/events/{event}/guests/999999/remove", [303, 404, 404, 404, 404]),
    case("POST", "/events/{event}/copy", [303, 404, 404, 303, 303]),
    case("POST", "/events/{event}/mail/resend", [303, 404, 404, 303, 303]),
    case("GET", "/events/{event}/mail", [303, 404, 404, 200, 200]),
    case("GET", "/events/{event}/mail?page=9223372036854775807", [303, 404, 404, 200, 200]),
    // Only the secretary of a branch asked to co-organise answers (nobody is asked here).
    case("POST", "/events/{event}/co-organising", [303, 404, 404, 404, 404]),
    case("GET", "/events/999999999", [303, 404, 404, 404, 404]),
    case("POST", "/events/{event}/attachments", [303, 404, 404, 400, 400]),
    case("GET", "/events/{event}/attachments/999999", [303, 404, 404, 404, 404]),
    case("POST", "/events/{event}/attachments/999999/remove", [303, 404, 404, 404, 404]),
    case("GET", "/events/calendar", [303, 200, 200, 200, 200]),
    case("GET", "/events/calendar?month=2026-02&branch={branch}", [303, 200, 200, 200, 200]),
    case("GET", "/calendar/feeds", [303, 200, 200, 200, 200]),
    case("POST", "/calendar/feeds/renew", [303, 404, 404, 404, 404]),
    case("POST", "/calendar/feeds/revoke", [303, 404, 404, 404, 404]),
    case("GET", "/feeds/no-such-token.ics", [404, 404, 404, 404, 404]),
    case("GET", "/answer/1.forged", [404, 404, 404, 404, 404]),
    case("GET", "/admin/mail", [303, 403, 403, 403, 200]),
    case("GET", "/admin/mail?state=failed&before=abc", [303, 403, 403, 403, 200]),
    case("POST", "/answer/1.forged", [404, 404, 404, 404, 404]),
    case("GET", "/events/series/new", [303, 403, 200, 200, 200]),
    case("POST", "/events/series", [303, 403, 422, 422, 422]),
    case("GET", "/events/series/{series}", [303, 404, 404, 200, 200]),
    case("POST", "/events/series/{series}", [303, 404, 404, 422, 422]),
    case("GET", "/events/series/999999999", [303, 404, 404, 404, 404]),
    // Attendance, on a scheduled event whose check-in is open (`{scheduled}`; `{inv}` is the
    // invitation of the target member, `{checkin}` the token of its QR code; the secretary is
    // invited, the others are not).
    case("POST", "/events/{scheduled}/answer", [303, 404, 404, 400, 403]),
    case("GET", "/events/{scheduled}/attendance", [303, 404, 404, 200, 200]),
    case("GET", "/events/{scheduled}/attendance?show=leave&q=x", [303, 404, 404, 200, 200]),
    case("POST", "/events/{scheduled}/attendance/{inv}/answer", [303, 404, 404, 400, 400]),
    case("POST", "/events/{scheduled}/attendance/{inv}/leave", [303, 404, 404, 400, 400]),
    case("POST", "/events/{scheduled}/attendance/{inv}/mark", [303, 404, 404, 400, 400]),
    case("POST", "/events/{scheduled}/attendance/{inv}/makeup", [303, 404, 404, 409, 409]),
    case("POST", "/events/{scheduled}/walk-ins", [303, 404, 404, 409, 409]),
    case("GET", "/events/{scheduled}/roster", [303, 404, 404, 200, 200]),
    case("GET", "/events/{scheduled}/sheet", [303, 404, 404, 200, 200]),
    case("GET", "/events/{scheduled}/sheet.csv", [303, 404, 404, 200, 200]),
    case("GET", "/events/{scheduled}/checkin/{checkin}", [303, 409, 409, 200, 409]),
    case("POST", "/events/{scheduled}/checkin/{checkin}", [303, 409, 409, 303, 409]),
    case("GET", "/events/{scheduled}/checkin/forged", [303, 404, 404, 404, 404]),
    case("POST", "/events/{scheduled}/checkin/forged", [303, 404, 404, 404, 404]),
    case("GET", "/events/{event}/attendance", [303, 404, 404, 403, 403]),
    case("GET", "/events/{event}/roster", [303, 404, 404, 403, 403]),
    case("GET", "/events/999999999/roster", [303, 404, 404, 404, 404]),
    case("POST", "/events/999999999/walk-ins", [303, 404, 404, 404, 404]),
    case("POST", "/events/999999999/attendance/1/mark", [303, 404, 404, 404, 404]),
    case("GET", "/attendance/mine", [303, 200, 200, 200, 200]),
    case("GET", "/attendance/mine?page=9223372036854775807", [303, 200, 200, 200, 200]),
    case("POST", "/answer/1.forged/checkin", [404, 404, 404, 404, 404]),
    // Minutes, on a scheduled event that has started (`{started}`); none before it starts.
    case("GET", "/events/{started}/minutes", [303, 404, 404, 200, 200]),
    case("GET", "/events/{started}/minutes/edit", [303, 404, 404, 200, 200]),
    case("POST", "/events/{started}/minutes", [303, 404, 404, 400, 400]),
    case("POST", "/events/{started}/minutes/submit", [303, 404, 404, 400, 400]),
    case("POST", "/events/{started}/minutes/send-back", [303, 404, 404, 422, 422]),
    case("POST", "/events/{started}/minutes/sign", [303, 404, 404, 400, 400]),
    case("POST", "/events/{started}/minutes/people", [303, 404, 404, 303, 303]),
    case("POST", "/events/{started}/minutes/send", [303, 404, 404, 409, 409]),
    case("GET", "/events/{started}/minutes/revisions", [303, 404, 404, 200, 200]),
    case("GET", "/events/{started}/minutes/print", [303, 404, 404, 200, 200]),
    case("GET", "/events/{started}/minutes.docx", [303, 404, 404, 200, 200]),
    case("GET", "/branches/{branch}/minutes", [303, 404, 404, 200, 200]),
    case("GET", "/branches/{branch}/minutes?year=99999", [303, 404, 404, 400, 400]),
    case("GET", "/branches/{branch}/minutes.docx", [303, 404, 404, 409, 409]),
    case("GET", "/branches/999999999/minutes", [303, 404, 404, 404, 404]),
    // Before it starts, those who will write the record are told when it opens.
    case("GET", "/events/{scheduled}/minutes", [303, 404, 404, 200, 200]),
    case("GET", "/events/{event}/minutes", [303, 404, 404, 404, 404]),
    case("GET", "/events/999999999/minutes", [303, 404, 404, 404, 404]),
    // Activity reports: the draft of `{started}` (made directly: reports come when events end).
    case("GET", "/events/{started}/report", [303, 404, 404, 200, 200]),
    case("GET", "/events/{started}/report/edit", [303, 404, 404, 200, 200]),
    case("POST", "/events/{started}/report", [303, 404, 404, 400, 400]),
    case("POST", "/events/{started}/report/step", [303, 404, 404, 400, 400]),
    case("POST", "/events/{started}/report/regenerate", [303, 404, 404, 400, 400]),
    case("POST", "/events/{started}/report/photos", [303, 404, 404, 400, 400]),
    case("GET", "/events/{started}/report/photos/999999999", [303, 404, 404, 404, 404]),
    case("POST", "/events/{started}/report/photos/999999999", [303, 404, 404, 400, 400]),
    case("GET", "/events/{event}/report", [303, 404, 404, 404, 404]),
    case("GET", "/events/999999999/report", [303, 404, 404, 404, 404]),
    // The public Activities page: no login; an unpublished report is not there for anyone.
    case("GET", "/activities", [200, 200, 200, 200, 200]),
    case("GET", "/activities/feed.atom", [200, 200, 200, 200, 200]),
    case("GET", "/activities/{report}", [404, 404, 404, 404, 404]),
    case("GET", "/activities/999999999", [404, 404, 404, 404, 404]),
    case("GET", "/activities/{report}/photos/1", [404, 404, 404, 404, 404]),
    // Participation records: a member's own record only (this member has no linked record).
    case("GET", "/records", [303, 404, 200, 200, 200]),
    case("GET", "/records?format=csv", [303, 404, 200, 200, 200]),
    case("GET", "/records/branches/{branch}", [303, 404, 404, 200, 200]),
    case("GET", "/records/branches/{branch}?format=xlsx", [303, 404, 404, 200, 200]),
    case("GET", "/records/members/{member}", [303, 404, 404, 200, 200]),
    case("GET", "/records/compliance", [303, 404, 200, 200, 200]),
    case("GET", "/records/compliance?format=xlsx", [303, 404, 200, 200, 200]),
    case("GET", "/records/members?format=csv", [303, 404, 200, 200, 200]),
    case("GET", "/records/members?period=range&from=2026-05-01&to=2026-01-01", [303, 404, 400, 400, 400]),
    case("GET", "/records/streaks", [303, 404, 200, 200, 200]),
    case("GET", "/records/branches/{branch}/ledger", [303, 404, 404, 200, 200]),
    case("GET", "/records/branches/{branch}/ledger?format=csv", [303, 404, 404, 200, 200]),
    case("GET", "/records/rules", [303, 404, 403, 403, 200]),
    case("POST", "/records/rules", [303, 404, 403, 403, 422]),
    case(
        "GET",
        "/records/compliance/exempt?unit={branch}&kind=party_lecture&from=2026-10-01",
        [303, 404, 404, 200, 200],
    ),
    case("POST", "/records/compliance/exempt", [303, 404, 404, 404, 404]),
    case("POST", "/records/compliance/exemptions/999999999/delete", [303, 404, 404, 404, 404]),
    case("GET", "/records/branches/999999999", [303, 404, 404, 404, 404]),
    case("GET", "/no/such/page", [404, 404, 404, 404, 404]),
    // Last: it ends the session the rows above use.
    case("POST", "/logout", [303, 303, 303, 303, 303]),
];

#[tokio::test]
async fn every_route_for_every_role() {
    let app = TestApp::spawn().await;
    let account = app.create_account(Role::Member, "target@example.org").await;
    let tree = app.seed_tree().await;
    let member = app.add_member(tree.a, "目标党员").await;
    let visitors: Vec<Client> = vec![
        app.client(),
        app.login_as(Role::Member).await,
        app.secretary_of(tree.b).await,
        app.secretary_of(tree.a).await,
        app.login_as(Role::Admin).await,
    ];
    let term = {
        use partyday::branches::entity::officer;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        officer::Entity::find()
            .filter(officer::Column::BranchId.eq(tree.a))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    let event = {
        use partyday::events::service;
        let day = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d").to_string();
        let data = event_data("目标活动", format!("{day}T14:30"), format!("{day}T16:30"));
        let scope = partyday::branches::Scope::operator();
        match service::create(&app.state.db, &scope, tree.a, &data, app.state.now()).await {
            Ok(id) => id,
            Err(_) => panic!("could not create the event"),
        }
    };
    let series = {
        use partyday::events::{
            rules::{Pairs, SeriesData},
            service::series::{self as recurring, Start},
        };
        let form = Pairs(
            [("rule_kind", "day"), ("day", "24"), ("start_time", "14:30"), ("minutes", "120")]
                .into_iter()
                .chain([("kind", "theme_party_day"), ("title", "目标系列"), ("statuses", "full")])
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        );
        let data = SeriesData::parse(&form).unwrap();
        let scope = partyday::branches::Scope::operator();
        let start = Start { from: app.state.today(), schedule: false };
        match recurring::create(&app.state.db, &scope, tree.a, &data, chrono_tz::Asia::Shanghai, start, app.state.now())
            .await
        {
            Ok((id, _)) => id,
            Err(_) => panic!("could not create the series"),
        }
    };
    // A scheduled event that starts within minutes: its check-in is open.
    let (scheduled, inv, checkin) = {
        use partyday::events::{entity::invitation, service};
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let local = |minutes: i64| {
            let t = app.state.now() + chrono::Duration::minutes(minutes);
            t.with_timezone(&chrono_tz::Asia::Shanghai).format("%Y-%m-%dT%H:%M").to_string()
        };
        let data = event_data("目标活动（签到）", local(10), local(130));
        let scope = partyday::branches::Scope::operator();
        let Ok(id) = service::create(&app.state.db, &scope, tree.a, &data, app.state.now()).await else {
            panic!("could not create the scheduled event")
        };
        if service::schedule(&app.state.db, &scope, id, app.state.now()).await.is_err() {
            panic!("could not schedule the event");
        }
        let inv = invitation::Entity::find()
            .filter(invitation::Column::EventId.eq(id))
            .filter(invitation::Column::MemberId.eq(member))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id;
        // The check-in address the roster prints under its QR code.
        let roster = visitors[3].get(&format!("/events/{id}/roster")).await;
        let marker = format!("/events/{id}/checkin/");
        let start = roster.body.find(&marker).expect("the roster shows the check-in address") + marker.len();
        let token = roster.body[start..].split('<').next().unwrap().to_owned();
        (id, inv, token)
    };
    // A scheduled event that started an hour ago (moved there in the database: events cannot be
    // planned in the past).
    let started = {
        use partyday::events::{entity::event, service};
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let day = (chrono::Utc::now() + chrono::Duration::days(20)).format("%Y-%m-%d").to_string();
        let data = event_data("目标活动（已开始）", format!("{day}T09:00"), format!("{day}T11:00"));
        let scope = partyday::branches::Scope::operator();
        let Ok(id) = service::create(&app.state.db, &scope, tree.a, &data, app.state.now()).await else {
            panic!("could not create the started event")
        };
        if service::schedule(&app.state.db, &scope, id, app.state.now()).await.is_err() {
            panic!("could not schedule the started event");
        }
        let row = event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
        let mut row: event::ActiveModel = row.into();
        row.starts_at = Set(app.state.now() - chrono::Duration::hours(1));
        row.ends_at = Set(app.state.now() + chrono::Duration::hours(1));
        row.update(&app.state.db).await.unwrap();
        id
    };
    let report = {
        use partyday::reports::service;
        assert!(
            service::draft_for(&app.state.db, started, partyday::i18n::Locale::ZhCn, app.state.now(), false)
                .await
                .unwrap()
        );
        service::of_event(&app.state.db, started).await.unwrap().unwrap().id
    };
    let mut failures = Vec::new();
    for (who, client) in VISITORS.iter().zip(&visitors) {
        for case in ROUTES {
            let path = case
                .path
                .replace("{account}", &account.to_string())
                .replace("{branch}", &tree.a.to_string())
                .replace("{member}", &member.to_string())
                .replace("{term}", &term.to_string())
                .replace("{event}", &event.to_string())
                .replace("{series}", &series.to_string())
                .replace("{scheduled}", &scheduled.to_string())
                .replace("{started}", &started.to_string())
                .replace("{report}", &report.to_string())
                .replace("{inv}", &inv.to_string())
                .replace("{checkin}", &checkin);
            let expected = case.expected[VISITORS.iter().position(|v| v == who).unwrap()];
            let resp = match case.method {
                "GET" => client.get(&path).await,
                _ => client.post(&path, &[]).await,
            };
            if resp.status != expected {
                failures.push(format!("{who} {} {path}: expected {expected}, got {}", case.method, resp.status));
            }
            if *who == "anonymous" && expected == 303 && !resp.location().starts_with("/login") {
                failures.push(format!(
                    "{who} {} {path}: redirected to {} instead of the login page",
                    case.method,
                    resp.location()
                ));
            }
            if matches!(expected, 403 | 404) && !is_error_page(&resp) {
                failures.push(format!("{who} {} {path}: {expected} without the error page", case.method));
            }
            // A refusal shows nothing of the thing refused.
            if matches!(expected, 403 | 404)
                && (resp.body.contains("目标党员")
                    || resp.body.contains("第一党支部")
                    || resp.body.contains("目标活动")
                    || resp.body.contains("目标系列"))
            {
                failures.push(format!("{who} {} {path}: the refusal shows data", case.method));
            }
        }
    }
    assert!(failures.is_empty(), "permission table mismatches:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn forbidden_changes_change_nothing() {
    let app = TestApp::spawn().await;
    let target = app.create_account(Role::Member, "target@example.org").await;
    let secretary = app.login_as(Role::Secretary).await;
    let base = format!("/admin/accounts/{target}");
    let attempts: [(String, Vec<(&str, &str)>); 4] = [
        (base.clone(), vec![("email", "stolen@example.org"), ("display_name", "X"), ("role", "admin")]),
        (format!("{base}/password"), vec![("password", "taken over 12345"), ("password_confirm", "taken over 12345")]),
        (format!("{base}/disable"), vec![]),
        (
            "/admin/accounts".to_owned(),
            vec![
                ("email", "new@example.org"),
                ("display_name", "X"),
                ("role", "admin"),
                ("password", "created secretly 1"),
                ("password_confirm", "created secretly 1"),
            ],
        ),
    ];
    for (path, fields) in &attempts {
        secretary.post(path, fields).await.assert_status(403);
    }
    let admin = app.login_as(Role::Admin).await;
    let page = admin.get(&base).await;
    page.assert_contains("target@example.org").assert_contains("正常").assert_lacks("stolen@example.org");
    admin.get("/admin/accounts?q=new%40example.org").await.assert_contains("没有符合条件的账户");
    app.client().login("target@example.org", crate::helpers::PASSWORD).await.assert_redirect_to("/");
}

/// A theme party day of the whole branch (full members), from and to local times (YYYY-MM-DDTHH:MM).
fn event_data(title: &str, starts_at: String, ends_at: String) -> partyday::events::rules::EventData {
    use partyday::events::rules::{EventData, Pairs};
    let form = Pairs(
        [
            ("kind", "theme_party_day".to_owned()),
            ("title", title.to_owned()),
            ("starts_at", starts_at),
            ("ends_at", ends_at),
            ("audience_kind", "branches".to_owned()),
            ("statuses", "full".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    );
    EventData::parse(&form, chrono_tz::Asia::Shanghai).unwrap()
}
