//! Forgotten passwords (issue 30 §2): the same answer for any address, a link by email that works
//! once and for 30 minutes, a newer link ending an older one, every session ended, throttled.
use chrono::Duration;
use partyday::{accounts::Role, outbox::entity::outbox};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    helpers::{Client, PASSWORD, TestApp},
    smtp::{SmtpServer, parts},
};

const NEW: &str = "a-new-password-2026";

async fn resets(app: &TestApp) -> u64 {
    outbox::Entity::find().filter(outbox::Column::Kind.eq("password_reset")).count(&app.state.db).await.unwrap()
}

async fn ask(c: &Client, email: &str) -> crate::helpers::Resp {
    c.get("/password/forgot").await.assert_status(200);
    c.post("/password/forgot", &[("email", email)]).await
}

/// The reset link of the `n`-th message received.
async fn link_in(smtp: &SmtpServer, n: usize) -> String {
    let got = smtp.wait_for(n).await;
    let text = parts(&got[n - 1].data).remove("text/plain").expect("a text part").0;
    let start = text.find("/password/reset/").unwrap_or_else(|| panic!("no link in {text}"));
    text[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn a_forgotten_password_link_works_once_and_signs_the_account_out_everywhere() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(&smtp.config()).await;
    let email = "forgetful@test.example.org";
    app.create_account(Role::Member, email).await;
    let elsewhere = app.client();
    elsewhere.login(email, PASSWORD).await.assert_redirect_to("/");
    app.client().get("/login").await.assert_contains("/password/forgot");

    // The same page for an unknown address and a known one; only the known one is mailed.
    let anonymous = app.client();
    let unknown = ask(&anonymous, "nobody@test.example.org").await;
    unknown.assert_status(200).assert_contains("如果该邮箱对应一个账户");
    assert_eq!(resets(&app).await, 0);
    let known = ask(&anonymous, "  Forgetful@Test.example.org ").await;
    known.assert_status(200);
    let answer = |body: &str| {
        body[body.find("<main").unwrap()..]
            .replace("Forgetful@Test.example.org", "")
            .replace("nobody@test.example.org", "")
    };
    assert_eq!(answer(&unknown.body), answer(&known.body), "no difference tells that an account exists");
    assert_eq!(resets(&app).await, 1);
    ask(&anonymous, "not an address").await.assert_status(422).assert_contains("有效的电子邮箱");

    // A newer link ends the older one.
    let first = link_in(&smtp, 1).await;
    ask(&anonymous, email).await.assert_status(200);
    let second = link_in(&smtp, 2).await;
    assert_ne!(first, second);
    anonymous.get(&first).await.assert_status(410).assert_contains("已失效");

    let form = anonymous.get(&second).await;
    form.assert_status(200).assert_contains(email);
    let weak = anonymous.post(&second, &[("password", "short"), ("password_confirm", "short")]).await;
    weak.assert_status(422);
    assert!(weak.field_error("password").is_some(), "{}", weak.body);
    anonymous.post(&second, &[("password", NEW), ("password_confirm", NEW)]).await.assert_redirect_to("/login");
    // Used: it works no more; every session of the account ended; the new password signs in.
    anonymous.get(&second).await.assert_status(410);
    anonymous.post(&second, &[("password", NEW), ("password_confirm", NEW)]).await.assert_status(410);
    assert_eq!(elsewhere.get("/account").await.status, 303, "signed out elsewhere");
    let again = app.client();
    assert_eq!(again.login(email, PASSWORD).await.status, 401, "the old password");
    again.login(email, NEW).await.assert_redirect_to("/");

    // Thirty minutes after it was sent, a link works no more.
    ask(&app.client(), email).await.assert_status(200);
    let third = link_in(&smtp, 3).await;
    app.clock.advance(Duration::minutes(31));
    app.client().get(&third).await.assert_status(410);
}

#[tokio::test]
async fn asking_too_often_for_one_address_or_from_one_client_is_refused_the_same_for_any_address() {
    let app = TestApp::spawn_with("[security]\nlogin_max_failures = 3\nlogin_max_failures_per_address = 6").await;
    app.create_account(Role::Member, "often@test.example.org").await;
    let c = app.client();
    for email in ["often@test.example.org", "ghost@test.example.org"] {
        for _ in 0..3 {
            ask(&c, email).await.assert_status(200);
        }
        let refused = ask(&c, email).await;
        refused.assert_status(429).assert_contains("分钟后再试");
    }
    assert_eq!(resets(&app).await, 3, "three messages to the account, none beyond");
    // The client itself is over its limit now, whatever address it types.
    ask(&c, "third@test.example.org").await.assert_status(429);
}

#[tokio::test]
async fn a_new_email_address_is_used_only_once_confirmed_from_it_and_the_old_one_is_told() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(&smtp.config()).await;
    let tree = app.seed_tree().await;
    let member = app.add_member(tree.a, "换邮箱的党员").await;
    let member_of = || async { partyday::members::service::find_by_id(&app.state.db, member).await.unwrap().unwrap() };
    let old = member_of().await.email.unwrap();
    // Their account signs in with the same address.
    let account = app.create_account(Role::Member, &old).await;
    partyday::accounts::service::set_member_unchecked(&app.state.db, account, Some(member)).await.unwrap();
    let c = app.client();
    c.login(&old, PASSWORD).await.assert_redirect_to("/");

    let new = "new-address@test.example.org";
    c.get("/me").await.assert_status(200);
    c.post("/me", &[("phone", ""), ("email", new), ("locale", "")]).await.assert_redirect_to("/me");
    c.get("/me").await.assert_contains("需要确认");
    c.get("/me").await.assert_contains("email-waiting").assert_contains(new);
    assert_eq!(member_of().await.email.as_deref(), Some(old.as_str()), "not used before it is confirmed");
    let got = smtp.wait_for(2).await;
    let to_new = got.iter().find(|m| m.to == vec![new.to_owned()]).expect("a confirmation to the new address");
    let to_old = got.iter().find(|m| m.to == vec![old.clone()]).expect("a notice to the old address");
    let notice = parts(&to_old.data).remove("text/plain").unwrap().0;
    assert!(notice.contains("ne***@test.example.org") && !notice.contains(new), "{notice}");
    let text = parts(&to_new.data).remove("text/plain").unwrap().0;
    let start = text.find("/me/email/").expect("a link");
    let link = text[start..].split_whitespace().next().unwrap().to_owned();

    // Opening the link changes nothing (a mail scanner may open it); the button confirms.
    let anyone = app.client();
    anyone.get(&link).await.assert_status(200).assert_contains(new);
    assert_eq!(member_of().await.email.as_deref(), Some(old.as_str()));
    anyone.post(&link, &[]).await.assert_status(200).assert_contains("已确认");
    assert_eq!(member_of().await.email.as_deref(), Some(new));
    app.client().login(new, PASSWORD).await.assert_redirect_to("/");
    anyone.get(&link).await.assert_status(410);
}
