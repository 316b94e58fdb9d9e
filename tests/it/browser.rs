//! End-to-end in a real browser (headless Chromium through chromedriver's WebDriver API): the
//! headers, cookies and redirects are the browser's own, not our simulation of them.
//! Skipped with a notice when chromedriver is missing, unless PARTYDAY_TEST_BROWSER=required
//! (as in CI, which installs Chromium).
use partyday::forms::Choice;
use std::{
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
    driver: Child,
}

impl Browser {
    async fn start() -> Option<Browser> {
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".to_owned());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let driver = match Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
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
        let caps =
            json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {"args": args}}}});
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
        Some(Browser { http, session, driver })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.session));
        if method != reqwest::Method::GET {
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
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
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
    browser.click(&format!("#p{} button[value=present]", inv.id)).await;
    // The script posts in the background: the counter changes, the page does not reload.
    browser.wait_for("data-count=\"present\">1<").await;
    browser.wait_for(&format!("id=\"p{}\" data-person=\"\" data-state=\"present\"", inv.id)).await;
    assert_eq!(browser.execute("return window.partydayKept === 1").await, json!(true), "the page reloaded");
    let saved = partyday::attendance::service::invitation_of(&app.state.db, id, member).await.unwrap().unwrap();
    assert_eq!((saved.outcome.map(|o| o.key()), saved.checkin_method.as_deref()), (Some("present"), Some("roster")));
}

#[tokio::test]
async fn a_published_report_reads_well_on_a_phone_with_its_photos() {
    let Some(browser) = Browser::start().await else { return };
    // Where secretaries publish: the whole path of the "done when" without an administrator.
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
