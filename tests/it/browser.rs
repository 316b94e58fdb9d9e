//! End-to-end in a real browser (headless Chromium through chromedriver's WebDriver API): the
//! headers, cookies and redirects are the browser's own, not our simulation of them.
//! Skipped with a notice when chromedriver is missing, unless PARTYDAY_TEST_BROWSER=required
//! (as in CI, which installs Chromium).
use partyday::forms::Choice;
use std::{
    os::unix::process::CommandExt,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use partyday::accounts::Role;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Browser {
    http: reqwest::Client,
    session: String,
    // Dropped after the session has ended (`Drop for Browser`).
    _driver: Driver,
}

/// Chromedriver, in a process group of its own with the browsers it starts: dropped (even when a
/// test fails), the whole group is ended, so no Chromium outlives the test.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Browser {
    async fn start() -> Option<Browser> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = match Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
        {
            Ok(child) => Driver(child),
            Err(e) => {
                assert!(
                    std::env::var("PARTYDAY_TEST_BROWSER").as_deref() != Ok("required"),
                    "PARTYDAY_TEST_BROWSER=required but {driver_path} cannot start: {e}"
                );
                eprintln!("browser test skipped: {driver_path} not found (install chromium and chromium-driver)");
                return None;
            }
        };
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=390,844",
            "--accept-lang=zh-CN",
            "--lang=zh-CN",
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"args": args},
            "goog:loggingPrefs": {"browser": "SEVERE"},
        }}});
        let started = Instant::now();
        let session = loop {
            if let Ok(resp) = http.post(format!("{base}/session")).json(&caps).send().await {
                let v: Value = resp.json().await.unwrap();
                let id = v["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no browser session: {v}"));
                break format!("{base}/session/{id}");
            }
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        Some(Browser { http, session, _driver: driver })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.session));
        if method == reqwest::Method::POST {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let v: Value = resp.json().await.unwrap();
        assert!(v["value"]["error"].is_null(), "WebDriver {path}: {v}");
        v["value"].clone()
    }

    async fn go(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({"url": url})).await;
    }

    async fn find(&self, css: &str) -> String {
        let v = self.call(reqwest::Method::POST, "/element", json!({"using": "css selector", "value": css})).await;
        v[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/value"), json!({"text": text})).await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.call(reqwest::Method::POST, &format!("/element/{el}/click"), json!({})).await;
    }

    /// Runs a script in the page and returns its value.
    async fn execute(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", json!({"script": script, "args": []})).await
    }

    /// Runs an asynchronous script (it calls its last argument) and returns what it passed.
    async fn execute_async(&self, script: &str) -> Value {
        self.call(reqwest::Method::POST, "/execute/async", json!({"script": script, "args": []})).await
    }

    async fn resize(&self, width: u32) {
        self.call(reqwest::Method::POST, "/window/rect", json!({"width": width, "height": 900})).await;
    }

    /// A phone's viewport, 390 × 844 CSS pixels, whatever the window's smallest size (headless
    /// Chromium keeps its windows at least 500 px wide).
    async fn phone(&self) {
        let params = json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true});
        let body = json!({"cmd": "Emulation.setDeviceMetricsOverride", "params": params});
        self.call(reqwest::Method::POST, "/goog/cdp/execute", body).await;
    }

    /// The console's errors since the last call.
    async fn console_errors(&self) -> Vec<String> {
        let v = self.call(reqwest::Method::POST, "/se/log", json!({"type": "browser"})).await;
        v.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["level"] == "SEVERE")
            .map(|e| e["message"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// Waits until the page source contains `text` (a form post navigates asynchronously).
    async fn wait_for(&self, text: &str) -> String {
        let started = Instant::now();
        loop {
            let source =
                self.call(reqwest::Method::GET, "/source", json!(null)).await.as_str().unwrap_or("").to_owned();
            if source.contains(text) {
                return source;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "page never showed {text:?}:\n{source}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Browser {
    /// Ends the WebDriver session, which closes Chromium (killing chromedriver leaves it running).
    /// Drop runs inside the test's runtime, and may while a failed test unwinds: the request runs
    /// on a runtime of its own on a thread of its own, and its failure is ignored.
    fn drop(&mut self) {
        let session = self.session.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async { reqwest::Client::new().delete(session).timeout(Duration::from_secs(20)).send().await })
                .ok()
        })
        .join();
    }
}

#[tokio::test]
async fn a_secretary_signs_in_switches_language_and_signs_out_in_a_real_browser() {
    let Some(browser) = Browser::start().await else { return };
    let app = TestApp::spawn().await;
    app.create_account(Role::Secretary, "browser@example.org").await;

    browser.go(&format!("{}/account", app.base)).await;
    browser.wait_for("<html lang=\"zh-CN\">").await;
    browser.type_into("#f-email", "browser@example.org").await;
    browser.type_into("#f-password", "wrong password").await;
    browser.click("button[type=submit]").await;
    browser.wait_for("邮箱或密码不正确").await;

    browser.type_into("#f-password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    // Back where they were going, signed in.
    browser.wait_for("id=\"f-display_name\"").await;
    browser.click(".lang-switch button").await;
    browser.wait_for("<html lang=\"en\">").await;
    browser.wait_for("My account").await;
    browser.click("form[action='/logout'] button").await;
    browser.wait_for("You have signed out.").await;
}

#[tokio::test]
async fn a_roster_tap_checks_in_and_updates_the_counter_without_reloading() {
    let Some(browser) = Browser::start().await else { return };
    let (app, tree, secretary) = crate::events::setup().await;
    let member = app.add_member(tree.a, "点名测试").await;
    let other = app.add_member(tree.a, "另一位党员").await;
    let resp = crate::events::post(&secretary, "/events", &crate::events::form(tree.a)).await;
    let id = crate::events::id_from(resp.assert_status(303).location());
    secretary.post(&format!("/events/{id}/schedule"), &[]).await.assert_status(303);
    let e = partyday::events::entity::event::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    let inv = partyday::attendance::service::invitation_of(&app.state.db, id, member).await.unwrap().unwrap();
    // The event has begun.
    app.clock.advance(e.starts_at - chrono::Utc::now() + chrono::Duration::minutes(5));
    app.create_account(Role::Admin, "roster@example.org").await;

    browser.go(&format!("{}/events/{id}/roster", app.base)).await;
    browser.wait_for("id=\"f-email\"").await;
    browser.type_into("#f-email", "roster@example.org").await;
    browser.type_into("#f-password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("data-count=\"present\">0<").await;
    browser.execute("window.partydayKept = 1").await;
    let pending_before =
        format!("return document.querySelector('#p{} [data-pending]').getClientRects().length > 0", inv.id);
    assert_eq!(browser.execute(&pending_before).await, json!(true), "not answered yet, before the tap");
    browser.click(&format!("#p{} button[value=present]", inv.id)).await;
    // The script posts in the background: the counter changes, the page does not reload.
    browser.wait_for("data-count=\"present\">1<").await;
    browser.wait_for(&format!("id=\"p{}\" data-person=\"\" data-state=\"present\"", inv.id)).await;
    assert_eq!(browser.execute("return window.partydayKept === 1").await, json!(true), "the page reloaded");
    // "Not answered yet" gave way to the outcome.
    let pending = format!("return document.querySelector('#p{} [data-pending]').getClientRects().length > 0", inv.id);
    assert_eq!(browser.execute(&pending).await, json!(false), "the line still says not answered");
    let saved = partyday::attendance::service::invitation_of(&app.state.db, id, member).await.unwrap().unwrap();
    assert_eq!((saved.outcome.map(|o| o.key()), saved.checkin_method.as_deref()), (Some("present"), Some("roster")));

    // Finding by name hides the other lines, and they really disappear from view.
    let other = partyday::attendance::service::invitation_of(&app.state.db, id, other).await.unwrap().unwrap();
    browser.type_into("#roster-filter", "点名").await;
    let shown = |inv: i64| format!("return document.getElementById('p{inv}').getClientRects().length > 0");
    assert_eq!(browser.execute(&shown(inv.id)).await, json!(true), "the match stays");
    assert_eq!(browser.execute(&shown(other.id)).await, json!(false), "the others are hidden");
}

#[tokio::test]
async fn a_published_report_reads_well_on_a_phone_with_its_photos() {
    let Some(browser) = Browser::start().await else { return };
    // Where secretaries publish: the whole path of the issue's "done when" without an administrator.
    let app = TestApp::spawn_with("[reports]\npublish_by = \"secretary\"").await;
    let tree = app.seed_tree().await;
    let s = crate::attendance::staff(&app, tree.a, "吴书记").await;
    let id = crate::reports::reported(&app, &s, tree.a, &[], &[("topic", "学习贯彻全会精神")]).await;
    let path = format!("/events/{id}/report");
    for caption in ["重温入党誓词", "交流发言"] {
        let photo = crate::reports::jpeg_with_gps(1200, 900);
        s.client
            .upload_to(&format!("{path}/photos"), &[("caption", caption)], "photo.jpg", photo)
            .await
            .assert_status(303);
    }
    let r = crate::reports::report_of(&app, id).await;
    let rev = r.revision.to_string();
    s.client
        .post(&format!("{path}/step"), &[("step", "publish"), ("note", ""), ("revision", &rev)])
        .await
        .assert_status(303);

    browser.go(&format!("{}/activities", app.base)).await;
    browser.wait_for(&r.title).await;
    browser.wait_for("class=\"news-thumb\"").await;
    let wide = "return document.documentElement.scrollWidth - document.documentElement.clientWidth";
    assert_eq!(browser.execute(wide).await, json!(0), "the list scrolls sideways on a phone");
    browser.click(".news-item h2 a").await;
    browser.wait_for("<figcaption>交流发言</figcaption>").await;
    browser.wait_for("property=\"og:image\"").await;
    let loaded =
        "return [...document.images].filter(i => i.closest('figure')).map(i => i.complete && i.naturalWidth > 0)";
    // Lazy images load when scrolled to; the first is in view.
    browser.execute("document.querySelectorAll('figure img').forEach(i => i.loading = 'eager')").await;
    for _ in 0..50 {
        if browser.execute(loaded).await == json!([true, true]) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(browser.execute(loaded).await, json!([true, true]), "the photos show");
    assert_eq!(browser.execute(wide).await, json!(0), "the post scrolls sideways on a phone");
}

/// Words that are internal keys when they show in Chinese text: states, answers, outcomes,
/// check-in methods, mail kinds, change-log kinds.
const INTERNAL_WORDS: &[&str] = &[
    "draft",
    "scheduled",
    "cancelled",
    "ended",
    "pending",
    "accepted",
    "declined",
    "waitlisted",
    "leave_requested",
    "leave_approved",
    "leave_rejected",
    "present",
    "late",
    "absent",
    "excused",
    "qr",
    "link",
    "roster",
    "walk_in",
    "invitation",
    "update",
    "cancellation",
    "reminder",
    "deadline_reminder",
    "answer_copy",
    "notice",
    "digest",
    "time",
    "place",
    "audience",
    "details",
    "submitted",
    "locked",
    "published",
    "withdrawn",
    "queued",
    "sent",
    "failed",
];

/// What a reader would stumble on in a page's visible text: internal keys (catalogue keys of any
/// section, snake_case words, English state words on a Chinese page) and revision zero.
fn stumbles(text: &str, chinese: bool, sections: &[String]) -> Vec<String> {
    let mut found = Vec::new();
    for word in text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')) {
        let word = word.trim_matches('.');
        if word.is_empty() {
            continue;
        }
        let dotted = word.split_once('.').is_some_and(|(a, b)| {
            !b.is_empty() && b.chars().all(|c| c.is_ascii_lowercase() || c == '_') && sections.iter().any(|s| s == a)
        });
        let snake = word.contains('_') && word.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if dotted || snake || (chinese && INTERNAL_WORDS.contains(&word)) {
            found.push(word.to_owned());
        }
    }
    for zero in ["版本 0", "Revision 0"] {
        if text.contains(zero) {
            found.push(zero.to_owned());
        }
    }
    found
}

/// The demo association as each role sees it, every main page at a phone's and a desktop's width
/// in both languages: no sideways scrolling, no internal keys, no console errors, no error page,
/// and (with axe-core, which CI installs) no serious or critical accessibility violations.
#[tokio::test]
async fn every_main_page_reads_well_for_each_role_at_both_widths_in_both_languages() {
    use partyday::{
        branches::entity::branch,
        events::{entity::event, rules::EventState},
    };
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let Some(browser) = Browser::start().await else { return };
    let axe = match std::env::var("PARTYDAY_AXE") {
        Ok(path) => Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("PARTYDAY_AXE={path}: {e}"))),
        Err(_) => {
            assert!(
                std::env::var("PARTYDAY_TEST_BROWSER").as_deref() != Ok("required"),
                "PARTYDAY_TEST_BROWSER=required but PARTYDAY_AXE (the path of axe.min.js) is not set"
            );
            eprintln!("accessibility checks skipped: set PARTYDAY_AXE to axe-core's axe.min.js");
            None
        }
    };
    let app = TestApp::spawn_with("[workers]\ndispatcher = false").await;
    let db = &app.state.db;
    partyday::demo::load(db, app.state.settings.timezone.name(), app.state.today(), app.state.now()).await.unwrap();
    let hma01 = branch::Entity::find().filter(branch::Column::Code.eq("HMA-01")).one(db).await.unwrap().unwrap().id;
    let liu = partyday::members::entity::member::Entity::find()
        .filter(partyday::members::entity::member::Column::Name.eq("刘芳"))
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let of_branch = || event::Entity::find().filter(event::Column::BranchId.eq(hma01));
    let ended = of_branch()
        .filter(event::Column::State.eq(EventState::Ended))
        .order_by_desc(event::Column::StartsAt)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let coming = of_branch()
        .filter(event::Column::State.eq(EventState::Scheduled))
        .filter(event::Column::StartsAt.gt(app.state.now()))
        .order_by_asc(event::Column::StartsAt)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let sections: Vec<String> = include_str!("../../locales/zh-CN.toml")
        .lines()
        .filter_map(|l| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')).map(str::to_owned))
        .collect();

    let common = |extra: &[String]| -> Vec<String> {
        let mut pages: Vec<String> =
            ["/", "/events/mine", "/attendance/mine", "/me", "/account", "/activities"].map(str::to_owned).to_vec();
        pages.push(format!("/events/{ended}"));
        pages.push(format!("/events/{coming}"));
        pages.extend_from_slice(extra);
        pages
    };
    // A guest's own page, by a token as the invitation email carries it.
    let guest_page = {
        use partyday::{events::entity::invitation, outbox::entity::invitation_token};
        use sea_orm::{ActiveModelTrait, Set};
        let guest = invitation::Entity::find()
            .filter(invitation::Column::MemberId.is_null())
            .filter(
                invitation::Column::EventId.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(event::Column::Id)
                        .from(event::Entity)
                        .and_where(event::Column::State.eq(EventState::Scheduled))
                        .and_where(event::Column::StartsAt.gt(app.state.now()))
                        .to_owned(),
                ),
            )
            .one(db)
            .await
            .unwrap()
            .expect("the demo invites guests to a coming event");
        let token = partyday::crypto::random_token();
        invitation_token::ActiveModel {
            token_hash: Set(partyday::crypto::token_hash(&token)),
            invitation_id: Set(guest.id),
            created_at: Set(app.state.now()),
        }
        .insert(db)
        .await
        .unwrap();
        format!("/answer/{token}")
    };
    let roles: [(&str, Vec<String>); 4] = [
        ("", vec!["/login".to_owned(), "/activities".to_owned(), guest_page]),
        ("member@demo.partyday.org", common(&[])),
        (
            "secretary@demo.partyday.org",
            common(&[
                "/events".into(),
                "/events/new".into(),
                "/events/calendar".into(),
                format!("/events/{ended}/attendance"),
                format!("/events/{coming}/roster"),
                format!("/events/{ended}/minutes"),
                format!("/events/{ended}/report"),
                format!("/branches/{hma01}"),
                "/members".into(),
                format!("/records/branches/{hma01}"),
                format!("/records/branches/{hma01}/ledger"),
                format!("/records/members/{liu}"),
                "/records/streaks".into(),
                "/records/compliance".into(),
                format!("/branches/{hma01}/minutes"),
                format!("/events/{coming}/edit"),
                format!("/events/{ended}/sheet"),
                format!("/events/{coming}/mail"),
                "/admin/audit".into(),
            ]),
        ),
        (
            "admin@demo.partyday.org",
            [
                "/",
                "/admin/accounts",
                "/admin/mail",
                "/records",
                "/records/rules",
                "/records/members",
                "/branches",
                "/members",
                "/admin/audit",
            ]
            .map(str::to_owned)
            .to_vec(),
        ),
    ];
    let look = r#"const d = document.documentElement;
        return {over: d.scrollWidth - d.clientWidth, width: window.innerWidth, lang: d.lang,
                errorPage: !!document.querySelector('.error-page'), text: document.body.innerText};"#;
    let audit = r#"const done = arguments[arguments.length - 1];
        axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '))));"#;
    let mut problems = Vec::new();
    let mut seen = 0;
    for (email, pages) in &roles {
        browser.call(reqwest::Method::DELETE, "/cookie", json!(null)).await;
        browser.go(&format!("{}/login", app.base)).await;
        browser.wait_for("id=\"f-email\"").await;
        if !email.is_empty() {
            browser.type_into("#f-email", email).await;
            browser.type_into("#f-password", partyday::demo::PASSWORD).await;
            browser.click("button[type=submit]").await;
            browser.wait_for("action=\"/logout\"").await;
        }
        for lang in ["zh-CN", "en"] {
            if browser.execute("return document.documentElement.lang").await != json!(lang) {
                browser.click(".lang-switch button").await;
                browser.wait_for(&format!("<html lang=\"{lang}\">")).await;
            }
            for width in [390, 1280] {
                browser.resize(width).await;
                for page in pages {
                    browser.go(&format!("{}{page}", app.base)).await;
                    let v = browser.execute(look).await;
                    let at = format!("{} {lang} {width}px {page}", if email.is_empty() { "visitor" } else { email });
                    assert_eq!(v["width"], json!(width), "{at}: the window is not {width} px wide");
                    assert_eq!(v["lang"], json!(lang), "{at}");
                    if v["errorPage"] == json!(true) {
                        problems.push(format!("{at}: an error page"));
                    }
                    if v["over"].as_i64().unwrap_or(0) > 0 {
                        problems.push(format!("{at}: scrolls sideways by {} px", v["over"]));
                    }
                    let keys = stumbles(v["text"].as_str().unwrap_or(""), lang == "zh-CN", &sections);
                    if !keys.is_empty() {
                        problems.push(format!("{at}: internal keys {keys:?}"));
                    }
                    let errors = browser.console_errors().await;
                    if !errors.is_empty() {
                        problems.push(format!("{at}: console errors {errors:?}"));
                    }
                    if let Some(axe) = &axe {
                        browser.execute(&format!("{axe}\nreturn true;")).await;
                        let found = browser.execute_async(audit).await;
                        for violation in found.as_array().into_iter().flatten() {
                            problems.push(format!("{at}: accessibility {}", violation.as_str().unwrap_or("")));
                        }
                    }
                    seen += 1;
                }
            }
        }
    }
    assert!(seen >= 100, "only {seen} page views");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn the_sweep_notices_internal_keys_and_lets_plain_words_be() {
    let sections = vec!["answer".to_owned(), "home".to_owned()];
    assert_eq!(
        stumbles("张三 · pending → leave_requested（qr）", true, &sections),
        ["pending", "leave_requested", "qr"]
    );
    assert_eq!(stumbles("Welcome home. answer.state_pending", false, &sections), ["answer.state_pending"]);
    assert_eq!(stumbles("版本 0 · 变更", true, &sections), ["版本 0"]);
    assert!(stumbles("Nothing is scheduled; see member@demo.partyday.org.", false, &sections).is_empty());
}

#[tokio::test]
async fn the_event_form_shows_each_audiences_fields_only_with_its_choice() {
    let Some(browser) = Browser::start().await else { return };
    let (app, tree, _) = crate::events::setup().await;
    app.create_account(Role::Admin, "form@example.org").await;
    browser.go(&format!("{}/events/new?branch={}", app.base, tree.a)).await;
    browser.wait_for("id=\"f-email\"").await;
    browser.type_into("#f-email", "form@example.org").await;
    browser.type_into("#f-password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("name=\"audience_kind\"").await;
    let shown = r#"return ['.for-group', '.for-statuses', '.for-members']
        .map(s => document.querySelector(s).getClientRects().length > 0)"#;
    let checked = browser.execute("return document.querySelector('input[name=audience_kind]:checked').value").await;
    assert_eq!(checked, json!("branches"));
    assert_eq!(browser.execute(shown).await, json!([false, true, false]), "the branches' members: statuses only");
    browser.click("input[name=audience_kind][value=group]").await;
    assert_eq!(browser.execute(shown).await, json!([true, true, false]), "a party group: which, and statuses");
    browser.click("input[name=audience_kind][value=members]").await;
    assert_eq!(browser.execute(shown).await, json!([false, false, true]), "picked members: the list only");
}

/// Signs the browser in as `email` on the login form it was sent to.
async fn sign_in(browser: &Browser, email: &str) {
    browser.wait_for("id=\"f-email\"").await;
    browser.type_into("#f-email", email).await;
    browser.type_into("#f-password", PASSWORD).await;
    browser.click("button[type=submit]").await;
}

#[tokio::test]
async fn returned_minutes_say_so_at_the_top_and_members_read_the_signed_record_during_an_amendment_on_a_phone() {
    use crate::minutes::{body_form, send};
    let Some(browser) = Browser::start().await else { return };
    let (app, tree, s) = crate::attendance::setup("吴书记").await;
    let linked = |member: i64, email: &'static str| {
        let app = &app;
        async move {
            let account = app.create_account(Role::Member, email).await;
            partyday::accounts::service::set_member_unchecked(&app.state.db, account, Some(member)).await.unwrap();
            let client = app.client();
            client.login(email, PASSWORD).await.assert_redirect_to("/");
            client
        }
    };
    let (host, recorder) = (app.add_member(tree.a, "张主持").await, app.add_member(tree.a, "李记录").await);
    let reader = app.add_member(tree.a, "王党员").await;
    let host_client = linked(host, "host@example.org").await;
    let recorder_client = linked(recorder, "recorder@example.org").await;
    linked(reader, "reader@example.org").await;
    let (h, r) = (host.to_string(), recorder.to_string());
    let extra = [("host_member_id", h.as_str()), ("recorder_member_id", r.as_str())];
    let id = crate::attendance::scheduled(&app, &s.client, tree.a, (chrono::Duration::hours(1), 120), &extra).await;
    let starts = crate::attendance::event_row(&app, id).await.starts_at;
    crate::attendance::move_to(&app, starts + chrono::Duration::minutes(10));
    let path = format!("/events/{id}/minutes");
    let speaker = format!("m:{host}");
    send(&recorder_client, &path, &body_form("0", &speaker, ("", "", ""))).await.assert_status(303);
    send(&recorder_client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);
    let comment = "请补充第二项议程的发言";
    send(&host_client, &format!("{path}/send-back"), &[("comment", comment.to_owned())]).await.assert_status(303);

    // The recorder, on a phone: the return and its comment in the first screen.
    browser.go(&format!("{}{path}", app.base)).await;
    sign_in(&browser, "recorder@example.org").await;
    browser.wait_for(comment).await;
    let first_screen = "const b = document.querySelector('.returned').getBoundingClientRect(); \
                        return b.top >= 0 && b.bottom <= window.innerHeight";
    assert_eq!(browser.execute(first_screen).await, json!(true), "the return is seen without scrolling");
    let wide = "return document.documentElement.scrollWidth - document.documentElement.clientWidth";
    assert_eq!(browser.execute(wide).await, json!(0), "the record scrolls sideways on a phone");

    // Submitted, signed by both and locked; then amended.
    send(&recorder_client, &format!("{path}/submit"), &[("revision", "1".to_owned())]).await.assert_status(303);
    for (client, as_) in [(&host_client, "host"), (&recorder_client, "recorder")] {
        send(client, &format!("{path}/sign"), &[("revision", "1".to_owned()), ("as", as_.to_owned())])
            .await
            .assert_status(303);
    }
    let mut amended = body_form("1", &speaker, ("", "", ""));
    amended.iter_mut().find(|(k, _)| *k == "res_text").unwrap().1 = "修订后的决议文本".to_owned();
    amended.push(("reason", "更正决议文字".to_owned()));
    send(&recorder_client, &path, &amended).await.assert_status(303);

    // The recorder sees the amendment as such, and reaches the signed record from it.
    browser.go(&format!("{}{path}", app.base)).await;
    browser.wait_for("修订中").await;
    browser.click("[data-version=amendment] a").await;
    browser.wait_for("data-version=\"signed\"").await;
    assert_eq!(browser.execute(wide).await, json!(0));

    // A member reads the signed record with both signatures.
    browser.click("form[action='/logout'] button").await;
    browser.wait_for("您已退出登录").await;
    browser.go(&format!("{}{path}", app.base)).await;
    sign_in(&browser, "reader@example.org").await;
    let page = browser.wait_for("同意张三同志转为正式党员").await;
    assert!(!page.contains("修订后的决议文本") && !page.contains("修订中"), "{page}");
    let signatures = "return [...document.querySelectorAll('[data-signature]')].map(d => d.textContent.trim())";
    let shown = browser.execute(signatures).await;
    assert!(shown.as_array().unwrap().iter().all(|s| !s.as_str().unwrap().contains("尚未签字")), "{shown}");
    assert_eq!(browser.execute(wide).await, json!(0));
}

#[tokio::test]
async fn a_refused_minutes_save_shows_its_errors_first_on_a_phone() {
    let Some(browser) = Browser::start().await else { return };
    browser.phone().await;
    let (app, tree, s) = crate::attendance::setup("吴书记").await;
    let id = crate::attendance::scheduled(&app, &s.client, tree.a, (chrono::Duration::hours(1), 120), &[]).await;
    let starts = crate::attendance::event_row(&app, id).await.starts_at;
    crate::attendance::move_to(&app, starts + chrono::Duration::minutes(10));
    // A long record: ten speeches before the resolution whose vote will be wrong.
    let path = format!("/events/{id}/minutes");
    let rev = crate::minutes::revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    let mut fields = crate::minutes::body_form(&rev, "named", ("", "", ""));
    fields[5].1 = "区卫健委王处长".to_owned();
    let speeches = (0..8).flat_map(|i| {
        [
            ("sp_item", "0".to_owned()),
            ("sp_speaker", "named".to_owned()),
            ("sp_name", format!("发言人{i}")),
            ("sp_post", String::new()),
            ("sp_role", "exchange".to_owned()),
            ("sp_summary", "结合岗位谈学习体会。".repeat(20)),
        ]
    });
    // After the two speeches of the form, before its resolution.
    fields.splice(15..15, speeches);
    crate::minutes::send(&s.client, &path, &fields).await.assert_status(303);
    app.create_account(Role::Admin, "minutes@example.org").await;

    browser.go(&format!("{}{path}/edit", app.base)).await;
    browser.wait_for("id=\"f-email\"").await;
    browser.type_into("#f-email", "minutes@example.org").await;
    browser.type_into("#f-password", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("name=\"res_for\"").await;
    let far = "return document.querySelector('[name=res_for]').getBoundingClientRect().top > 2 * innerHeight";
    assert_eq!(browser.execute(far).await, json!(true), "the vote is screens away from the top");
    browser
        .execute(
            "document.querySelector('[name=res_for]').value = '-1';
             document.querySelector('.minutes-form p.actions button[value=save]').click();",
        )
        .await;
    browser.wait_for("id=\"error-summary\"").await;
    let seen = r#"const s = document.getElementById('error-summary'); const r = s.getBoundingClientRect();
        return [r.top >= 0 && r.top < innerHeight, document.activeElement === s, innerWidth]"#;
    let mut state = json!(null);
    for _ in 0..50 {
        state = browser.execute(seen).await;
        if state[1] == json!(true) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(state[0], json!(true), "the summary is on the first screen: {state}");
    assert_eq!(state[1], json!(true), "the summary has the focus: {state}");
    assert_eq!(state[2], json!(390), "a phone's width: {state}");
    // Its link leads to the row and focuses its first control, now on screen.
    browser.click("#error-summary a").await;
    let there = r#"const a = document.activeElement; const r = a.getBoundingClientRect();
        return [a.closest('#f-resolution-0') !== null, r.top >= 0 && r.bottom <= innerHeight]"#;
    assert_eq!(browser.execute(there).await, json!([true, true]));
    let errors = browser.console_errors().await;
    assert!(errors.iter().all(|e| e.contains("422")), "{errors:?}");
}

/// The records pages at a phone's width (issue 29): chart labels and values as readable text
/// with the table right under the chart, the member's heatmap at its natural size and opened at
/// its latest month, grid cells big enough to tap with their exemption reasons written out, the
/// period's own fields only with its choice, and a printed ledger's names as plain text.
#[tokio::test]
async fn the_records_read_at_a_glance_on_a_phone() {
    use chrono::Datelike;
    use partyday::{branches::entity::branch, members::entity::member};
    use sea_orm::{ColumnTrait, QueryFilter};
    let Some(browser) = Browser::start().await else { return };
    let app = TestApp::spawn_with("[workers]\ndispatcher = false").await;
    let db = &app.state.db;
    partyday::demo::load(db, app.state.settings.timezone.name(), app.state.today(), app.state.now()).await.unwrap();
    let hma01 = branch::Entity::find().filter(branch::Column::Code.eq("HMA-01")).one(db).await.unwrap().unwrap().id;
    let liu = member::Entity::find().filter(member::Column::Name.eq("刘芳")).one(db).await.unwrap().unwrap().id;
    let year = app.state.today().year();
    let january = chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
    let rules = partyday::records::rules::RecordRules::default();
    let kind = partyday::events::rules::EventKind::ThemePartyDay;
    let reason = "与支部党员大会合并召开";
    let scope = partyday::branches::Scope::operator();
    partyday::records::service::exempt(db, &scope, &rules, hma01, kind, january, reason, app.state.now())
        .await
        .unwrap();

    browser.go(&format!("{}/login", app.base)).await;
    browser.wait_for("id=\"f-email\"").await;
    browser.type_into("#f-email", "admin@demo.partyday.org").await;
    browser.type_into("#f-password", partyday::demo::PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for("action=\"/logout\"").await;
    browser.resize(390).await;
    let sideways = "return document.documentElement.scrollWidth - document.documentElement.clientWidth";

    // The monthly trend: every label and value is text of at least 12 px, every value shows,
    // and the table behind the chart is right under it.
    browser.go(&format!("{}/records", app.base)).await;
    let bars = browser
        .execute(
            r#"const px = e => parseFloat(getComputedStyle(e).fontSize);
            const rows = [...document.querySelectorAll('.hbars li')];
            const texts = rows.flatMap(li => [...li.querySelectorAll('.hbar-label, .hbar-value, .hbar-value small')]);
            const shown = e => e.getClientRects().length > 0 && e.getBoundingClientRect().width > 0;
            return {rows: rows.length, smallest: Math.min(...texts.map(px)),
                    values: rows.filter(li => shown(li.querySelector('.hbar-value')) && li.querySelector('.hbar-value').textContent.trim() !== '').length,
                    table: !!document.querySelector('ol.hbars + details.chart-data > summary')};"#,
        )
        .await;
    assert_eq!(bars["rows"], json!(12), "a bar per month of this year: {bars}");
    assert!(bars["smallest"].as_f64().unwrap() >= 12.0, "chart text under 12 px: {bars}");
    assert_eq!(bars["values"], bars["rows"], "every bar says its value: {bars}");
    assert_eq!(bars["table"], json!(true), "the table is right under the chart: {bars}");
    browser.click("details.chart-data > summary").await;
    let table = "return document.querySelector('details.chart-data table').getClientRects().length > 0";
    assert_eq!(browser.execute(table).await, json!(true), "the table opens");
    assert_eq!(browser.execute(sideways).await, json!(0));

    // The period picker: one choice; a range's dates show only once a range is chosen.
    let dates = "return [...document.querySelectorAll('.for-range')].map(f => f.getClientRects().length > 0)";
    assert_eq!(browser.execute(dates).await, json!([false, false]), "a named period has no dates to fill");
    browser.click("#f-p option[value=range]").await;
    assert_eq!(browser.execute(dates).await, json!([true, true]), "a range asks for its dates");

    // The member's year: drawn at its natural size (12 px labels as rendered), in a box that
    // scrolls on a phone and opens at the latest month, January out of view to the left.
    let heatmap = r#"const wrap = document.querySelector('.heatmap-wrap'), svg = wrap.querySelector('svg');
        const w = wrap.getBoundingClientRect(), scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const inside = e => { const r = e.getBoundingClientRect(); return r.left >= w.left - 1 && r.right <= w.right + 1; };
        const months = [...svg.querySelectorAll('text.month')];
        return {font: parseFloat(getComputedStyle(months[0]).fontSize) * scale, scrolls: wrap.scrollWidth > wrap.clientWidth,
                latest: svg.querySelector('text.latest').textContent, latestShown: inside(svg.querySelector('text.latest')),
                firstShown: inside(months[0])};"#;
    for (period, latest) in
        [(format!("{}", year - 1), "12月".to_owned()), (String::new(), format!("{}月", app.state.today().month()))]
    {
        browser.go(&format!("{}/records/members/{liu}?p={period}", app.base)).await;
        let v = browser.execute(heatmap).await;
        assert!(v["font"].as_f64().unwrap() >= 12.0, "{period}: month labels under 12 px: {v}");
        assert_eq!((&v["latest"], &v["latestShown"]), (&json!(latest), &json!(true)), "{period}: {v}");
        if v["scrolls"] == json!(true) {
            assert_eq!(v["firstShown"], json!(false), "{period}: opened at January: {v}");
        }
        assert_eq!(browser.execute(sideways).await, json!(0), "{period}: the page scrolls sideways");
    }
    browser.go(&format!("{}/records/members/{liu}?p={}", app.base, year - 1)).await;
    assert_eq!(browser.execute(heatmap).await["scrolls"], json!(true), "a whole year is wider than a phone");

    // The compliance grid: every cell a tap target of 32 px or more; the reason written under it.
    browser.go(&format!("{}/records/compliance?kind=theme_party_day&year={year}", app.base)).await;
    let grid = browser
        .execute(
            r#"const cells = [...document.querySelectorAll('table.compliance td > a')].map(a => a.getBoundingClientRect());
            const note = document.querySelector('ol.notes li');
            return {cells: cells.length, width: Math.min(...cells.map(r => r.width)), height: Math.min(...cells.map(r => r.height)),
                    note: note && note.getClientRects().length > 0 ? note.textContent : null};"#,
        )
        .await;
    assert!(grid["cells"].as_u64().unwrap() > 0, "{grid}");
    assert!(grid["width"].as_f64().unwrap() >= 32.0 && grid["height"].as_f64().unwrap() >= 32.0, "small cells: {grid}");
    assert!(grid["note"].as_str().is_some_and(|n| n.contains(reason) && n.contains("机关党支部")), "{grid}");

    // The ledger printed: names are plain text, not red and underlined.
    browser.go(&format!("{}/records/branches/{hma01}/ledger", app.base)).await;
    browser
        .call(
            reqwest::Method::POST,
            "/goog/cdp/execute",
            json!({"cmd": "Emulation.setEmulatedMedia", "params": {"media": "print"}}),
        )
        .await;
    let name = browser
        .execute(
            r#"const a = document.querySelector('table.ledger-table th[scope=row] a'), s = getComputedStyle(a);
            return [s.textDecorationLine, s.color === getComputedStyle(a.parentElement).color];"#,
        )
        .await;
    assert_eq!(name, json!(["none", true]), "printed, a name shows as a red underlined link");
}
