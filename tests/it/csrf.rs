//! Cross-site request forgery: a forged state change gets a clear 403 page and changes nothing.
use partyday::accounts::Role;

use crate::helpers::{Client, TestApp};

type Fields<'a> = Vec<(&'a str, &'a str)>;

async fn account_exists(admin: &Client, email: &str) -> bool {
    admin.get(&format!("/admin/accounts?q={email}")).await.body.contains(&format!(">{email}<"))
}

fn new_account<'a>(email: &'a str, token: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("email", email),
        ("display_name", "伪造"),
        ("role", "admin"),
        ("password", "forged password 1"),
        ("password_confirm", "forged password 1"),
        ("_csrf", token),
    ]
}

#[tokio::test]
async fn forged_requests_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    let token = admin.csrf_token().await;
    let evil = "https://evil.example";
    let cases: Vec<(&str, Fields, Fields)> = vec![
        ("another site's origin", new_account("a@x.org", &token), vec![("origin", evil)]),
        ("cross-site fetch metadata", new_account("b@x.org", &token), vec![("sec-fetch-site", "cross-site")]),
        ("sibling-site fetch metadata", new_account("c@x.org", &token), vec![("sec-fetch-site", "same-site")]),
        ("opaque origin", new_account("d@x.org", &token), vec![("origin", "null")]),
        ("no token, no headers (old browser)", new_account("e@x.org", "")[..5].to_vec(), vec![]),
        ("wrong token", new_account("f@x.org", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), vec![]),
    ];
    for (what, fields, headers) in &cases {
        let r = admin.post_raw("/admin/accounts", fields, headers).await;
        assert_eq!(r.status, 403, "{what}: {}", r.body);
        r.assert_contains("表单已过期或来自其他网站");
        assert!(!account_exists(&admin, fields[0].1).await, "{what}: the account was created");
    }
    // The same form from our own page goes through.
    admin
        .post_raw("/admin/accounts", &new_account("ok@x.org", &token), &[("origin", &admin.base)])
        .await
        .assert_status(303);
    assert!(account_exists(&admin, "ok@x.org").await);
}

#[tokio::test]
async fn a_token_from_another_browser_does_not_fit() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    let attacker = app.client();
    let foreign = attacker.csrf_token().await;
    let r = admin.post_raw("/admin/accounts", &new_account("g@x.org", &foreign), &[]).await;
    r.assert_status(403);
    assert!(!account_exists(&admin, "g@x.org").await);
}

#[tokio::test]
async fn the_token_may_come_in_a_header() {
    let app = TestApp::spawn().await;
    let c = app.login_as(Role::Member).await;
    let token = c.csrf_token().await;
    let fields = [("display_name", "经由请求头"), ("locale", "")];
    c.post_raw("/account", &fields, &[("x-csrf-token", &token)]).await.assert_redirect_to("/account");
    c.get("/account").await.assert_contains("经由请求头");
}

#[tokio::test]
async fn login_itself_needs_the_token() {
    let app = TestApp::spawn().await;
    app.create_account(Role::Member, "m@example.org").await;
    // A fresh browser that never loaded the login page (a forged login form elsewhere).
    let c = app.client();
    let r = c.post_raw("/login", &[("email", "m@example.org"), ("password", crate::helpers::PASSWORD)], &[]).await;
    r.assert_status(403);
    assert!(r.set_cookie("pd_session").is_none());
}
