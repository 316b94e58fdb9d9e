//! Accounts by invitation (issue 30 §1): a secretary invites their branch's members in one click;
//! each gets a link that opens a password form and signs them in, linked to their record; the
//! link works once and for a week; a double click sends nothing twice; an expired link offers a
//! new one to the address on record; an address used by another account is refused; an invited
//! secretary keeps the secretary's scope.
use chrono::Duration;
use partyday::{
    accounts::{Role, entity::account},
    outbox::entity::outbox,
};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::{
    helpers::{Client, TestApp},
    smtp::{SmtpServer, parts},
};

const CHOSEN: &str = "my-own-password-2026";

async fn invitations(app: &TestApp) -> u64 {
    outbox::Entity::find().filter(outbox::Column::Kind.eq("account_invitation")).count(&app.state.db).await.unwrap()
}

async fn account_of(app: &TestApp, member: i64) -> Option<account::Model> {
    account::Entity::find().filter(account::Column::MemberId.eq(member)).one(&app.state.db).await.unwrap()
}

/// The link of the message received `n`-th.
async fn link_in(smtp: &SmtpServer, n: usize) -> String {
    let got = smtp.wait_for(n).await;
    let text = parts(&got[n - 1].data).remove("text/plain").expect("a text part").0;
    let start = text.find("/welcome/").unwrap_or_else(|| panic!("no link in {text}"));
    text[start..].split_whitespace().next().unwrap().to_owned()
}

async fn without_email(app: &TestApp, branch: i64, name: &str) -> i64 {
    let id = app.add_member(branch, name).await;
    let db = &app.state.db;
    use sea_orm::{ActiveModelTrait, Set};
    let m = partyday::members::entity::member::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    let mut am: partyday::members::entity::member::ActiveModel = m.into();
    am.email = Set(None);
    am.update(db).await.unwrap();
    id
}

#[tokio::test]
async fn a_branch_invited_in_one_click_opens_its_accounts_from_the_links() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(&smtp.config()).await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    let (zhang, li) = (app.add_member(tree.a, "张三").await, app.add_member(tree.a, "李四").await);
    let nobody = without_email(&app, tree.a, "王五").await;
    let elsewhere = app.add_member(tree.b, "赵六").await;

    let page = secretary.get(&format!("/branches/{}", tree.a)).await;
    page.assert_status(200).assert_contains("党员账户").assert_contains("邀请未开通账户的党员");
    let invite = format!("/branches/{}/invite-accounts", tree.a);
    secretary.post(&invite, &[]).await.assert_redirect_to(&format!("/branches/{}#accounts", tree.a));
    // Both with an email and no account (the secretary has one); the one without an email counted.
    assert_eq!(invitations(&app).await, 2);
    let after = secretary.get(&format!("/branches/{}", tree.a)).await;
    assert!(after.body.contains("已发送 2 份开通邀请") && after.body.contains("无邮箱 1 人"), "{}", after.body);
    // A second click within the pass adds nothing.
    secretary.post(&invite, &[]).await.assert_status(303);
    assert_eq!(invitations(&app).await, 2, "a double click sends nothing twice");
    // Another branch's members and branch are not this secretary's.
    secretary.post(&format!("/members/{elsewhere}/invite-account"), &[]).await.assert_status(404);
    secretary.post(&format!("/branches/{}/invite-accounts", tree.b), &[]).await.assert_status(404);
    assert_eq!(invitations(&app).await, 2);
    let _ = nobody;

    // 张三 opens the link: a password form, then signed in, as a member linked to the record.
    let first = link_in(&smtp, 1).await;
    let second = link_in(&smtp, 2).await;
    let guest = app.client();
    let form = guest.get(&first).await;
    form.assert_status(200);
    let invited = if form.body.contains("张三") { zhang } else { li };
    let weak = guest.post(&first, &[("password", "short"), ("password_confirm", "short")]).await;
    weak.assert_status(422).assert_contains("error-summary");
    assert!(account_of(&app, invited).await.is_none(), "nothing made");
    guest.post(&first, &[("password", CHOSEN), ("password_confirm", CHOSEN)]).await.assert_redirect_to("/");
    let made = account_of(&app, invited).await.expect("an account");
    assert_eq!(made.role, Role::Member);
    let other = if invited == zhang { li } else { zhang };
    let (has, hasnt) =
        (secretary.get(&format!("/members/{invited}")).await, secretary.get(&format!("/members/{other}")).await);
    assert!(
        !has.body.contains("/invite-account") && hasnt.body.contains("/invite-account"),
        "offered only without one"
    );
    guest.get("/me").await.assert_status(200);
    // Once only.
    app.client().get(&first).await.assert_status(410).assert_contains("已失效");
    let again = app.client();
    again.login(&made.email, CHOSEN).await.assert_redirect_to("/");

    // The other link expires after a week; the page offers a new one, sent to the address on record.
    app.clock.advance(Duration::days(8));
    let late = app.client();
    let gone = late.get(&second).await;
    gone.assert_status(410).assert_contains("重新发送邀请");
    late.post(&format!("{second}/renew"), &[]).await.assert_status(200).assert_contains("新的邀请已发送");
    assert_eq!(invitations(&app).await, 3);
    let renewed = link_in(&smtp, 3).await;
    let other_email =
        partyday::members::service::find_by_id(&app.state.db, other).await.unwrap().unwrap().email.unwrap();
    assert_eq!(smtp.received()[2].to, vec![other_email], "to the address on record");
    late.get(&renewed).await.assert_status(200);
}

#[tokio::test]
async fn an_address_used_by_another_account_is_refused_and_an_invited_secretary_keeps_the_scope() {
    let smtp = SmtpServer::start().await;
    let app = TestApp::spawn_with(&smtp.config()).await;
    let tree = app.seed_tree().await;
    let admin = app.login_as(Role::Admin).await;
    // A secretary without an account yet, invited by an administrator from the member's page.
    let s = crate::attendance::staff(&app, tree.b, "吴书记").await;
    drop(s);
    let chosen = app.add_member(tree.a, "钱书记").await;
    app.appoint(tree.a, chosen, partyday::branches::OfficerRole::Secretary).await;
    admin
        .post(&format!("/members/{chosen}/invite-account"), &[])
        .await
        .assert_redirect_to(&format!("/members/{chosen}"));
    let link = link_in(&smtp, 1).await;
    let c = Client::new(&app.base);
    c.get(&link).await.assert_status(200);
    c.post(&link, &[("password", CHOSEN), ("password_confirm", CHOSEN)]).await.assert_redirect_to("/");
    c.get(&format!("/branches/{}", tree.a)).await.assert_status(200).assert_contains("党员账户");

    // A member whose address is already another account's sign-in cannot open one with it.
    let taken = app.add_member(tree.a, "孙七").await;
    let email = partyday::members::service::find_by_id(&app.state.db, taken).await.unwrap().unwrap().email.unwrap();
    app.create_account(Role::Member, &email).await;
    admin.post(&format!("/members/{taken}/invite-account"), &[]).await.assert_status(303);
    let link = link_in(&smtp, 2).await;
    let refused = app.client().post(&link, &[("password", CHOSEN), ("password_confirm", CHOSEN)]).await;
    refused.assert_status(409).assert_contains("另一个账户");
    assert!(account_of(&app, taken).await.is_none());

    // A link works only while the member still has the address it went to.
    let moved = app.add_member(tree.a, "周八").await;
    admin.post(&format!("/members/{moved}/invite-account"), &[]).await.assert_status(303);
    let link = link_in(&smtp, 3).await;
    {
        use sea_orm::{ActiveModelTrait, Set};
        let m = partyday::members::entity::member::Entity::find_by_id(moved).one(&app.state.db).await.unwrap().unwrap();
        let mut am: partyday::members::entity::member::ActiveModel = m.into();
        am.email = Set(Some("someone-else@test.example.org".to_owned()));
        am.update(&app.state.db).await.unwrap();
    }
    app.client().get(&link).await.assert_status(410);
    let late = app.client().post(&link, &[("password", CHOSEN), ("password_confirm", CHOSEN)]).await;
    late.assert_status(410);
    assert!(account_of(&app, moved).await.is_none(), "no account at an address the invitation never reached");
}

#[tokio::test]
async fn the_member_lists_filter_invites_all_its_pages_in_scope_only() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    for n in 0..3 {
        app.add_member(tree.b, &format!("乙支部党员{n}")).await;
    }
    app.add_member(tree.a, "甲支部党员").await;
    let admin = app.login_as(Role::Admin).await;
    let list = admin.get(&format!("/members?branch={}", tree.b)).await;
    list.assert_contains("邀请这 3 位党员中未开通账户的人");
    let invite = format!("/members/invite-accounts?branch={}", tree.b);
    admin.post(&invite, &[]).await.assert_redirect_to(&format!("/members?branch={}", tree.b));
    assert_eq!(invitations(&app).await, 3, "the filtered branch only");
    // A secretary's filter never reaches another branch, whatever the query says.
    let secretary = app.secretary_of(tree.a).await;
    secretary.post(&invite, &[]).await;
    assert_eq!(invitations(&app).await, 3);
}
