//! Login, logout, sessions, throttling and passwords, as a person at a browser meets them.
use chrono::Duration;
use partyday::accounts::Role;

use crate::helpers::{Client, PASSWORD, TestApp};

#[tokio::test]
async fn login_then_logout() {
    let app = TestApp::spawn().await;
    app.create_account(Role::Admin, "chief@example.org").await;
    let c = app.client();

    c.get("/admin/accounts").await.assert_redirect_to("/login?next=%2Fadmin%2Faccounts");
    let form = c.get("/login?next=%2Fadmin%2Faccounts").await;
    form.assert_status(200).assert_contains("name=\"next\" value=\"/admin/accounts\"");

    let resp = c
        .post("/login", &[("email", " Chief@Example.org "), ("password", PASSWORD), ("next", "/admin/accounts")])
        .await;
    resp.assert_redirect_to("/admin/accounts");
    let cookie = resp.set_cookie("pd_session").expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http must not mark cookies Secure: {cookie}");
    c.get("/admin/accounts").await.assert_status(200).assert_contains("chief@example.org");

    let out = c.post("/logout", &[]).await;
    out.assert_redirect_to("/login");
    assert!(out.set_cookie("pd_session").unwrap().contains("Max-Age=0"));
    c.get("/login").await.assert_contains("您已退出登录");
    c.get("/login").await.assert_lacks("您已退出登录");
    c.get("/admin/accounts").await.assert_redirect_to("/login?next=%2Fadmin%2Faccounts");

    // The token of the ended session is worthless even if someone kept it.
    let token = cookie.split(';').next().unwrap().to_owned();
    let replay = app.client().http.get(format!("{}/account", app.base)).header("cookie", token).send().await.unwrap();
    assert_eq!(replay.status().as_u16(), 303);
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.create_account(Role::Member, "known@example.org").await;
    let c = app.client();
    let wrong = c.login("known@example.org", "not-the-password").await;
    let unknown = c.login("nobody@example.org", "not-the-password").await;
    wrong.assert_status(401).assert_contains("邮箱或密码不正确");
    unknown.assert_status(401).assert_contains("邮箱或密码不正确");
    // The typed email stays in the form, the password does not.
    wrong.assert_contains("value=\"known@example.org\"").assert_lacks("not-the-password");
    // Whatever length is typed, the answer is the ordinary one.
    let long = format!("{}@example.org", "x".repeat(1000));
    c.login(&long, &"y".repeat(5000)).await.assert_status(401).assert_contains("邮箱或密码不正确");
    let empty = c.login("", "").await;
    empty.assert_status(422);
    assert_eq!(empty.field_error("email").as_deref(), Some("此项为必填项。"));
    assert_eq!(empty.field_error("password").as_deref(), Some("此项为必填项。"));
}

#[tokio::test]
async fn login_starts_a_new_session_and_ends_the_old_one() {
    let app = TestApp::spawn().await;
    app.create_account(Role::Member, "m@example.org").await;
    let c = app.client();
    let first = c.login("m@example.org", PASSWORD).await.set_cookie("pd_session").unwrap();
    let second = c.login("m@example.org", PASSWORD).await.set_cookie("pd_session").unwrap();
    assert_ne!(first, second, "the session id must change at login");
    for (cookie, expected) in [(first, 303), (second, 200)] {
        let token = cookie.split(';').next().unwrap().to_owned();
        let r = app.client().http.get(format!("{}/account", app.base)).header("cookie", token).send().await.unwrap();
        assert_eq!(r.status().as_u16(), expected);
    }
}

#[tokio::test]
async fn repeated_failures_for_an_account_are_refused_for_a_while() {
    let app = TestApp::spawn().await;
    app.create_account(Role::Member, "target@example.org").await;
    let c = app.client();
    for _ in 0..5 {
        c.login("target@example.org", "guess-guess-guess").await.assert_status(401);
    }
    // Even the right password is refused now, with a clear message and Retry-After.
    let refused = c.login("target@example.org", PASSWORD).await;
    refused.assert_status(429).assert_contains("登录失败次数过多，请 15 分钟后再试");
    let retry: i64 = refused.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "Retry-After {retry}");
    c.get("/account").await.assert_redirect_to("/login?next=%2Faccount");
    // Other accounts are not affected.
    app.create_account(Role::Member, "other@example.org").await;
    app.client().login("other@example.org", PASSWORD).await.assert_redirect_to("/");

    app.clock.advance(Duration::minutes(16));
    c.login("target@example.org", PASSWORD).await.assert_redirect_to("/");
}

#[tokio::test]
async fn parallel_wrong_passwords_are_verified_at_most_the_allowed_number_of_times() {
    let app = TestApp::spawn().await;
    app.create_account(Role::Member, "parallel@example.org").await;
    // Fifty browsers at once, each with its own cookie: every 401 is a password that was checked.
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let c = app.client();
        set.spawn(async move { c.login("parallel@example.org", "guess-guess-guess").await.status });
    }
    let statuses: Vec<u16> = set.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 50, "only 401 and 429 answers: {statuses:?}");
    assert!(checked <= 5, "{checked} passwords checked, at most the 5 allowed");
    // The right password is refused too until the window passes.
    app.client().login("parallel@example.org", PASSWORD).await.assert_status(429);
    app.clock.advance(Duration::minutes(16));
    app.client().login("parallel@example.org", PASSWORD).await.assert_redirect_to("/");
}

#[tokio::test]
async fn repeated_failures_from_one_address_are_refused_for_a_while() {
    let app = TestApp::spawn_with("[security]\nlogin_max_failures_per_address = 3").await;
    app.create_account(Role::Member, "real@example.org").await;
    let c = app.client();
    for i in 0..3 {
        c.login(&format!("spray{i}@example.org"), "password-spray-1").await.assert_status(401);
    }
    c.login("real@example.org", PASSWORD).await.assert_status(429);
    app.clock.advance(Duration::minutes(16));
    c.login("real@example.org", PASSWORD).await.assert_redirect_to("/");
}

/// Failed logins, each claiming another client address in `X-Forwarded-For`; the status of the
/// last attempt, after `n` failures.
async fn spoofed_failures(app: &TestApp, n: usize) -> u16 {
    let c = app.client();
    let token = c.csrf_token().await;
    let mut last = 0;
    for i in 0..=n {
        let fields = [("_csrf", token.as_str()), ("email", "ghost@example.org"), ("password", "password-spray-1")];
        let xff = format!("203.0.113.{i}");
        let headers =
            [("sec-fetch-site", "same-origin"), ("origin", c.base.as_str()), ("x-forwarded-for", xff.as_str())];
        last = c.post_raw("/login", &fields, &headers).await.status;
    }
    last
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    // Behind a proxy on this machine: each client counts at the address the proxy names.
    let limits = "[security]\nlogin_max_failures_per_address = 3\nlogin_max_failures = 100\n";
    let app = TestApp::spawn_with(&format!("[server]\ntrust_forwarded_for = true\n{limits}")).await;
    assert_eq!(spoofed_failures(&app, 3).await, 401, "four clients, one failure each");
    // Reached directly, not through the proxy (127.0.0.1 is not one): the header is anyone's
    // to write, so the attempts count at the address they came from.
    let direct = format!("[server]\ntrust_forwarded_for = true\ntrusted_proxies = [\"10.9.9.9\"]\n{limits}");
    let app = TestApp::spawn_with(&direct).await;
    assert_eq!(spoofed_failures(&app, 3).await, 429, "one client, whatever the header says");
}

#[tokio::test]
async fn sessions_survive_a_restart_and_are_shared_by_instances() {
    let first = TestApp::spawn().await;
    let c = first.login_as(Role::Member).await;
    let second = first.sibling().await;
    first.stop().await;
    // Same browser (same cookies) talking to the other instance.
    let mut moved = Client::new(&second.base);
    moved.http = c.http.clone();
    moved.get("/account").await.assert_status(200);
    moved.post("/account", &[("display_name", "新名字"), ("locale", "")]).await.assert_redirect_to("/account");
}

#[tokio::test]
async fn idle_sessions_expire() {
    let app = TestApp::spawn().await;
    let c = app.login_as(Role::Member).await;
    app.clock.advance(Duration::hours(11));
    c.get("/account").await.assert_status(200);
    // Activity extended the session; a long silence ends it.
    app.clock.advance(Duration::hours(11));
    c.get("/account").await.assert_status(200);
    app.clock.advance(Duration::hours(13));
    let r = c.get("/account").await;
    r.assert_redirect_to("/login?next=%2Faccount");
    assert!(r.set_cookie("pd_session").unwrap().contains("Max-Age=0"));
}

#[tokio::test]
async fn sessions_end_after_the_maximum_lifetime_however_active() {
    let app = TestApp::spawn().await;
    let c = app.login_as(Role::Member).await;
    for _ in 0..15 {
        app.clock.advance(Duration::hours(11));
        c.get("/account").await.assert_status(200);
    }
    app.clock.advance(Duration::hours(11));
    c.get("/account").await.assert_redirect_to("/login?next=%2Faccount");
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = TestApp::spawn().await;
    app.create_account(Role::Secretary, "sec@example.org").await;
    let (laptop, phone) = (app.client(), app.client());
    laptop.login("sec@example.org", PASSWORD).await.assert_redirect_to("/");
    phone.login("sec@example.org", PASSWORD).await.assert_redirect_to("/");

    let change = |current: &'static str, new: &'static str, again: &'static str| {
        let laptop = &laptop;
        async move {
            laptop
                .post(
                    "/account/password",
                    &[("current_password", current), ("password", new), ("password_confirm", again)],
                )
                .await
        }
    };
    let r = change("wrong-current-pw", "a brand new secret", "a brand new secret").await;
    r.assert_status(422);
    assert_eq!(r.field_error("current_password").as_deref(), Some("当前密码不正确。"));
    let r = change(PASSWORD, "short", "short").await;
    assert_eq!(r.field_error("password").as_deref(), Some("密码至少需要 10 个字符。"));
    let r = change(PASSWORD, "a brand new secret", "a brand new secreT").await;
    assert_eq!(r.field_error("password_confirm").as_deref(), Some("两次输入的密码不一致。"));
    let r = change("", "", "").await;
    assert!(r.field_error("current_password").is_some() && r.field_error("password").is_some());
    // Nothing above changed anything: the phone is still signed in.
    phone.get("/account").await.assert_status(200);

    change(PASSWORD, "a brand new secret", "a brand new secret").await.assert_redirect_to("/");
    laptop.get("/").await.assert_contains("密码已修改");
    phone.get("/account").await.assert_redirect_to("/login?next=%2Faccount");
    app.client().login("sec@example.org", PASSWORD).await.assert_status(401);
    app.client().login("sec@example.org", "a brand new secret").await.assert_redirect_to("/");
}

#[tokio::test]
async fn a_password_set_by_an_administrator_must_be_replaced_first() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_account(Role::Member, "wang@example.org").await;
    let member = app.client();
    member.login("wang@example.org", PASSWORD).await.assert_redirect_to("/");

    admin
        .post(
            &format!("/admin/accounts/{id}/password"),
            &[("password", "temporary pass 1"), ("password_confirm", "temporary pass 1")],
        )
        .await
        .assert_redirect_to(&format!("/admin/accounts/{id}"));
    // The reset ended the member's session.
    member.get("/account").await.assert_redirect_to("/login?next=%2Faccount");

    member.login("wang@example.org", "temporary pass 1").await.assert_redirect_to("/account/password");
    member.get("/").await.assert_redirect_to("/account/password");
    member.get("/account").await.assert_redirect_to("/account/password");
    member.get("/account/password").await.assert_status(200).assert_contains("请先设置您自己的新密码");
    member
        .post(
            "/account/password",
            &[
                ("current_password", "temporary pass 1"),
                ("password", "my own pass 2026"),
                ("password_confirm", "my own pass 2026"),
            ],
        )
        .await
        .assert_redirect_to("/");
    member.get("/account").await.assert_status(200);
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_account(Role::Member, "gone@example.org").await;
    let member = app.client();
    member.login("gone@example.org", PASSWORD).await.assert_redirect_to("/");

    admin
        .post(&format!("/admin/accounts/{id}/disable"), &[])
        .await
        .assert_redirect_to(&format!("/admin/accounts/{id}"));
    member.get("/account").await.assert_redirect_to("/login?next=%2Faccount");
    member.login("gone@example.org", PASSWORD).await.assert_status(403).assert_contains("该账户已停用");
    // A wrong password still gets the ordinary answer: being disabled is told only to the holder.
    member.login("gone@example.org", "wrong password!").await.assert_status(401);

    admin.post(&format!("/admin/accounts/{id}/enable"), &[]).await.assert_redirect_to(&format!("/admin/accounts/{id}"));
    member.login("gone@example.org", PASSWORD).await.assert_redirect_to("/");
}

#[tokio::test]
async fn cookies_are_secure_when_served_over_https() {
    let app = TestApp::spawn_with("[app]\nbase_url = \"https://party.example.org\"").await;
    app.create_account(Role::Member, "s@example.org").await;
    // A client without a cookie jar: Secure cookies are not sent back over plain http otherwise.
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = Client::read(http.get(format!("{}/login", app.base)).send().await.unwrap()).await;
    let csrf_cookie = page.set_cookie("pd_csrf").unwrap();
    assert!(csrf_cookie.contains("; Secure"), "{csrf_cookie}");
    let token = page.csrf_token().unwrap();
    let resp = http
        .post(format!("{}/login", app.base))
        .header("cookie", csrf_cookie.split(';').next().unwrap())
        .form(&[("email", "s@example.org"), ("password", PASSWORD), ("_csrf", &token)])
        .send()
        .await
        .unwrap();
    let resp = Client::read(resp).await;
    resp.assert_redirect_to("/");
    assert!(resp.set_cookie("pd_session").unwrap().contains("; Secure"));
}

#[tokio::test]
async fn housekeeping_removes_expired_sessions_and_stale_failures() {
    use partyday::accounts::{
        entity::{login_failure, session},
        service::{sessions, throttle},
    };
    use sea_orm::{EntityTrait, PaginatorTrait};
    let app = TestApp::spawn().await;
    let db = &app.state.db;
    let c = app.login_as(Role::Member).await;
    c.login("member-nobody@example.org", "wrong password").await.assert_status(401);
    assert_eq!(session::Entity::find().count(db).await.unwrap(), 1);
    assert_eq!(login_failure::Entity::find().count(db).await.unwrap(), 2, "one per email, one per address");

    // Nothing is due yet.
    assert_eq!(sessions::purge_expired(db, app.state.now()).await.unwrap(), 0);
    assert_eq!(throttle::purge(db, app.state.login_policy().window, app.state.now()).await.unwrap(), 0);
    app.clock.advance(Duration::hours(13));
    assert_eq!(sessions::purge_expired(db, app.state.now()).await.unwrap(), 1);
    assert_eq!(throttle::purge(db, app.state.login_policy().window, app.state.now()).await.unwrap(), 2);
    assert_eq!(session::Entity::find().count(db).await.unwrap(), 0);
}
