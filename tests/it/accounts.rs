//! Account administration and own settings, with every kind of bad input.
use partyday::accounts::Role;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::helpers::{PASSWORD, TestApp};

async fn account_count(app: &TestApp) -> u64 {
    partyday::accounts::entity::account::Entity::find().count(&app.state.db).await.unwrap()
}

#[tokio::test]
async fn an_administrator_creates_an_account_whose_holder_then_signs_in() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    admin.get("/admin/accounts/new").await.assert_status(200).assert_contains("新建账户");
    let resp = admin
        .post(
            "/admin/accounts",
            &[
                ("email", "Zhang.Min@Hospital.example.cn"),
                ("display_name", "张敏"),
                ("role", "secretary"),
                ("password", "first pass 2026"),
                ("password_confirm", "first pass 2026"),
            ],
        )
        .await;
    assert_eq!(resp.status, 303);
    let show = resp.location().to_owned();
    assert!(show.starts_with("/admin/accounts/"));
    admin
        .get(&show)
        .await
        .assert_contains("账户 zhang.min@hospital.example.cn 已创建")
        .assert_contains("张敏")
        .assert_contains("等待持有人设置新密码");
    admin.get("/admin/accounts").await.assert_contains("zhang.min@hospital.example.cn").assert_contains("支部书记");

    let holder = app.client();
    holder.login("zhang.min@hospital.example.cn", "first pass 2026").await.assert_redirect_to("/account/password");
    holder
        .post(
            "/account/password",
            &[
                ("current_password", "first pass 2026"),
                ("password", "min's own secret"),
                ("password_confirm", "min's own secret"),
            ],
        )
        .await
        .assert_redirect_to("/");
    holder.get("/").await.assert_contains("欢迎，张敏").assert_contains("您的角色：支部书记");
}

#[tokio::test]
async fn bad_new_accounts_are_refused_field_by_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    app.create_account(Role::Member, "taken@example.org").await;
    let before = account_count(&app).await;
    let long_name = "名".repeat(101);
    let long_email = format!("{}@example.org", "a".repeat(250));
    let long_password = "long enough! ".repeat(10);
    let good = [
        ("email", "new@example.org"),
        ("display_name", "李明"),
        ("role", "member"),
        ("password", "a decent secret"),
        ("password_confirm", "a decent secret"),
    ];
    let cases: Vec<(&str, &str, &str, &str)> = vec![
        ("email", "", "email", "此项为必填项。"),
        ("email", "not-an-email", "email", "请输入有效的电子邮箱地址，例如 name@example.org。"),
        ("email", "TAKEN@example.org", "email", "该邮箱已被其他账户使用。"),
        ("email", &long_email, "email", "请输入有效的电子邮箱地址，例如 name@example.org。"),
        ("display_name", "   ", "display_name", "此项为必填项。"),
        ("display_name", &long_name, "display_name", "内容过长。"),
        ("role", "root", "role", "请从列表中选择。"),
        ("password", "short", "password", "密码至少需要 10 个字符。"),
        ("password", &long_password, "password", "密码不能超过 128 个字符。"),
        ("password", "password123", "password", "这是常见密码，容易被猜到，请换一个。"),
        ("password", "aaaaaaaaaaaa", "password", "密码过于简单，请使用更多不同的字符。"),
        ("password_confirm", "a different one", "password_confirm", "两次输入的密码不一致。"),
    ];
    for (field, value, error_field, message) in cases {
        let fields: Vec<(&str, &str)> =
            good.iter().map(|&(k, v)| if k == field { (k, value) } else { (k, v) }).collect();
        let r = admin.post("/admin/accounts", &fields).await;
        assert_eq!(r.status, 422, "{field}={value:?}");
        assert_eq!(r.field_error(error_field).as_deref(), Some(message), "{field}={value:?}");
        // What was typed is kept, except passwords.
        r.assert_lacks("a decent secret");
        if field != "display_name" {
            r.assert_contains("value=\"李明\"");
        }
        if field != "email" {
            r.assert_contains("value=\"new@example.org\"");
        }
    }
    assert_eq!(account_count(&app).await, before);
}

#[tokio::test]
async fn an_administrator_edits_an_account() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_account(Role::Member, "liu@example.org").await;
    app.create_account(Role::Member, "other@example.org").await;
    let path = format!("/admin/accounts/{id}");
    let member = app.client();
    member.login("liu@example.org", PASSWORD).await;

    let r = admin.post(&path, &[("email", "other@example.org"), ("display_name", "刘洋"), ("role", "member")]).await;
    r.assert_status(422);
    assert_eq!(r.field_error("email").as_deref(), Some("该邮箱已被其他账户使用。"));
    let r = admin.post(&path, &[("email", "bad@"), ("display_name", ""), ("role", "")]).await;
    r.assert_status(422);
    assert!(
        r.field_error("email").is_some() && r.field_error("display_name").is_some() && r.field_error("role").is_some()
    );
    admin.get(&path).await.assert_contains("value=\"liu@example.org\"");
    member.get("/account").await.assert_status(200);

    admin
        .post(&path, &[("email", "Liu.Yang@example.org"), ("display_name", "刘洋"), ("role", "secretary")])
        .await
        .assert_redirect_to(&path);
    admin
        .get(&path)
        .await
        .assert_contains("已保存")
        .assert_contains("value=\"liu.yang@example.org\"")
        .assert_contains("刘洋");
    // A change of role ends the holder's sessions, so the new role applies at once.
    member.get("/account").await.assert_redirect_to("/login?next=%2Faccount");
    member.login("liu.yang@example.org", PASSWORD).await.assert_redirect_to("/");
    member.get("/").await.assert_contains("您的角色：支部书记");
}

#[tokio::test]
async fn the_last_administrator_stays() {
    let app = TestApp::spawn().await;
    app.create_account(Role::Admin, "only@example.org").await;
    let admin = app.client();
    admin.login("only@example.org", PASSWORD).await;
    let own_id = app.account_id("only@example.org").await;
    let path = format!("/admin/accounts/{own_id}");
    let r = admin.post(&path, &[("email", "only@example.org"), ("display_name", "Only"), ("role", "member")]).await;
    r.assert_status(422);
    assert_eq!(r.field_error("role").as_deref(), Some("这是最后一个可用的管理员账户，不能停用或取消其管理员角色。"));
    admin.post(&format!("{path}/disable"), &[]).await.assert_redirect_to(&path);
    admin.get(&path).await.assert_contains("不能停用自己的账户").assert_contains("正常");

    // With a second administrator, one may step down; then the other is the last one.
    let second = app.create_account(Role::Admin, "second@example.org").await;
    admin
        .post(&path, &[("email", "only@example.org"), ("display_name", "Only"), ("role", "member")])
        .await
        .assert_redirect_to(&path);
    let other = app.client();
    other.login("second@example.org", PASSWORD).await;
    let r = other
        .post(
            &format!("/admin/accounts/{second}"),
            &[("email", "second@example.org"), ("display_name", "S"), ("role", "member")],
        )
        .await;
    r.assert_status(422);
}

#[tokio::test]
async fn the_account_list_searches_filters_and_pages() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    for i in 0..55 {
        app.create_account(
            if i % 5 == 0 { Role::Secretary } else { Role::Member },
            &format!("user{i:02}@list.example.org"),
        )
        .await;
    }
    app.create_account(Role::Member, "percent_odd@example.org").await;
    let page1 = admin.get("/admin/accounts").await;
    page1.assert_contains("共 57 个账户").assert_contains("第 1 页").assert_contains("/ 2");
    assert_eq!(page1.body.matches("<tr>").count() - 1, 50);
    let page2 = admin.get("/admin/accounts?page=2").await;
    assert_eq!(page2.body.matches("<tr>").count() - 1, 7);
    page2.assert_contains("rel=\"prev\"").assert_lacks("rel=\"next\"");

    admin.get("/admin/accounts?q=USER0").await.assert_contains("共 10 个账户");
    admin.get("/admin/accounts?q=%E6%88%91").await.assert_contains("共 0 个账户").assert_contains("没有符合条件的账户");
    admin.get("/admin/accounts?role=secretary&q=list").await.assert_contains("共 11 个账户");
    admin.get("/admin/accounts?state=disabled").await.assert_contains("共 0 个账户");
    // LIKE wildcards typed by the user match literally.
    admin.get("/admin/accounts?q=%25").await.assert_contains("共 0 个账户");
    admin.get("/admin/accounts?q=_").await.assert_contains("共 1 个账户").assert_contains("percent_odd@example.org");
    // Filters survive paging; odd parameters fall back to defaults.
    let filtered = admin.get("/admin/accounts?q=user&page=1").await;
    filtered.assert_contains("/admin/accounts?q=user&#38;page=2");
    admin
        .get("/admin/accounts?page=abc&role=king&state=zombie")
        .await
        .assert_status(200)
        .assert_contains("共 57 个账户");
    admin.get("/admin/accounts?page=999").await.assert_status(200).assert_contains("没有符合条件的账户");
}

#[tokio::test]
async fn unknown_or_malformed_ids() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    admin.get("/admin/accounts/424242").await.assert_status(404).assert_contains("页面不存在");
    admin.post("/admin/accounts/424242/disable", &[]).await.assert_status(404);
    admin
        .post("/admin/accounts/424242", &[("email", "x@example.org"), ("display_name", "X"), ("role", "member")])
        .await
        .assert_status(404);
    admin
        .post(
            "/admin/accounts/424242/password",
            &[("password", "whatever pass 1"), ("password_confirm", "whatever pass 1")],
        )
        .await
        .assert_status(404);
    admin.get("/admin/accounts/abc").await.assert_status(400).assert_contains("请求有误");
    admin.get("/admin/accounts/99999999999999999999").await.assert_status(400);
    admin.get("/admin/accounts/-1").await.assert_status(404);
}

#[tokio::test]
async fn disabling_asks_for_confirmation_first() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.create_account(Role::Member, "careful@example.org").await;
    let confirm = admin.get(&format!("/admin/accounts/{id}/disable")).await;
    confirm
        .assert_status(200)
        .assert_contains("确定停用 careful@example.org 吗")
        .assert_contains(&format!("action=\"/admin/accounts/{id}/disable\""));
    // Opening the confirmation changed nothing.
    app.client().login("careful@example.org", PASSWORD).await.assert_redirect_to("/");
    admin.post(&format!("/admin/accounts/{id}/disable"), &[]).await;
    admin
        .get(&format!("/admin/accounts/{id}"))
        .await
        .assert_contains("已停用 careful@example.org")
        .assert_contains("启用账户");
    admin.get("/admin/accounts?state=disabled").await.assert_contains("careful@example.org");
}

#[tokio::test]
async fn everyone_edits_their_own_name_and_language() {
    let app = TestApp::spawn().await;
    let member = app.login_as(Role::Member).await;
    let r = member.post("/account", &[("display_name", ""), ("locale", "fr")]).await;
    r.assert_status(422);
    assert_eq!(r.field_error("display_name").as_deref(), Some("此项为必填项。"));
    assert_eq!(r.field_error("locale").as_deref(), Some("请从列表中选择。"));
    let long = "x".repeat(101);
    assert_eq!(
        member
            .post("/account", &[("display_name", &long), ("locale", "")])
            .await
            .field_error("display_name")
            .as_deref(),
        Some("内容过长。")
    );

    member.post("/account", &[("display_name", "赵丽"), ("locale", "en")]).await.assert_redirect_to("/account");
    let page = member.get("/account").await;
    page.assert_contains("<html lang=\"en\">").assert_contains("Saved.").assert_contains("value=\"赵丽\"");
    member.post("/account", &[("display_name", "赵丽"), ("locale", "")]).await;
    member.get("/account").await.assert_contains("<html lang=\"zh-CN\">");
}

#[tokio::test]
async fn output_is_escaped() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    let evil = "<script>alert(1)</script>";
    admin
        .post(
            "/admin/accounts",
            &[
                ("email", "x@example.org"),
                ("display_name", evil),
                ("role", "member"),
                ("password", "an ok secret 1"),
                ("password_confirm", "an ok secret 1"),
            ],
        )
        .await
        .assert_status(303);
    let list = admin.get("/admin/accounts").await;
    list.assert_lacks(evil).assert_contains("&#60;script&#62;alert(1)&#60;/script&#62;");
    admin.get("/login?next=%22%3E%3Cscript%3E").await;
    let login = app.client().get("/login?next=%22%3E%3Cscript%3E").await;
    login.assert_lacks("\"><script>");
}
