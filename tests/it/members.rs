//! The roster: adding and editing members, dated changes, search and paging, members' own
//! records, and linking accounts to members.
use partyday::accounts::Role;

use crate::helpers::{Client, TestApp};

fn form<'a>(branch: &'a str, overrides: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("branch_id", branch),
        ("name", "王小明"),
        ("gender", "male"),
        ("birth_date", "1985-03-08"),
        ("phone", "138 0013 8000"),
        ("email", "Wang.XM@Hospital.example.cn"),
        ("unit", "市第一人民医院"),
        ("post", "医疗质量控制科主任"),
        ("political_status", "probationary"),
        ("joined_party_on", "2025-07-01"),
        ("full_member_on", ""),
        ("notes", ""),
    ];
    for (k, v) in overrides {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(slot) => slot.1 = v,
            None => fields.push((k, v)),
        }
    }
    fields
}

#[tokio::test]
async fn a_secretary_adds_and_edits_a_member() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    let a = tree.a.to_string();
    let group = tree.a_group.to_string();
    let r = secretary.post("/members", &form(&a, &[("group_id", &group)])).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = secretary.get(r.location()).await;
    page.assert_contains("已添加党员王小明")
        .assert_contains("13800138000")
        .assert_contains("wang.xm@hospital.example.cn")
        .assert_contains("第一党小组")
        .assert_contains("预备党员")
        .assert_contains("录入名册");
    let id = r.location().trim_start_matches("/members/").to_owned();

    let edit = secretary.get(&format!("/members/{id}/edit")).await;
    edit.assert_contains("value=\"王小明\"").assert_contains("value=\"2025-07-01\"");
    let r = secretary.post(&format!("/members/{id}"), &form(&a, &[("unit", "市第二人民医院"), ("group_id", "")])).await;
    r.assert_redirect_to(&format!("/members/{id}"));
    secretary.get(&format!("/members/{id}")).await.assert_contains("市第二人民医院").assert_contains("调整党小组");
}

#[tokio::test]
async fn bad_members_are_refused_field_by_field_and_change_nothing() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let admin = app.login_as(Role::Admin).await;
    let a = tree.a.to_string();
    let b_group =
        app.add_unit(partyday::branches::BranchKind::Group, Some(tree.b), "乙小组", "T-B-G").await.to_string();
    admin
        .post("/members", &form(&a, &[("email", "taken@example.org"), ("phone", "13911112222")]))
        .await
        .assert_status(303);
    let before = app.member_count().await;
    let long = "名".repeat(51);
    let cases: Vec<(&str, &str, &str, &str)> = vec![
        ("name", "  ", "name", "此项为必填项。"),
        ("name", &long, "name", "内容过长。"),
        ("email", "not-an-email", "email", "请输入有效的电子邮箱地址，例如 name@example.org。"),
        ("email", "TAKEN@example.org", "email", "该邮箱已被另一名党员使用。"),
        ("phone", "12ab", "phone", "请输入有效的电话号码，例如 13800138000。"),
        ("phone", "139 1111 2222", "phone", "该手机号已被另一名党员使用。"),
        ("birth_date", "2099-01-01", "birth_date", "日期不能晚于今天。"),
        ("birth_date", "1985-02-30", "birth_date", "请输入有效日期，格式 YYYY-MM-DD。"),
        ("joined_party_on", "2099-07-01", "joined_party_on", "日期不能晚于今天。"),
        ("joined_party_on", "1980-07-01", "joined_party_on", "入党日期必须晚于出生日期。"),
        ("full_member_on", "2024-07-01", "full_member_on", "转正日期不能早于入党日期。"),
        ("group_id", &b_group, "group_id", "所选党小组不属于该党员所在支部。"),
        ("political_status", "emperor", "political_status", "请从列表中选择。"),
        ("branch_id", "", "branch_id", "此项为必填项。"),
        ("branch_id", "424242", "branch_id", "该组织不能接收党员（已撤销、不存在或是党小组）。"),
        ("gender", "x", "gender", "请从列表中选择。"),
    ];
    for (field, value, error_field, message) in cases {
        let r = admin.post("/members", &form(&a, &[(field, value)])).await;
        assert_eq!(r.status, 422, "{field}={value:?}");
        assert_eq!(r.field_error(error_field).as_deref(), Some(message), "{field}={value:?}");
        if field != "name" {
            r.assert_contains("value=\"王小明\"");
        }
    }
    assert_eq!(app.member_count().await, before);
}

#[tokio::test]
async fn status_state_and_transfer_are_dated_changes() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let admin = app.login_as(Role::Admin).await;
    let id = app.add_member(tree.a, "预备转正").await;
    let today = app.state.today().to_string();
    let path = format!("/members/{id}");
    let post = |what: &'static str, fields: Vec<(&'static str, String)>| {
        let admin = &admin;
        let path = path.clone();
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            admin.post(&format!("{path}/{what}"), &fields).await
        }
    };
    // Same status: nothing to record; future dates and unknown values refused.
    let r = post("status", vec![("to", "full".into()), ("effective_on", today.clone())]).await;
    assert_eq!(r.field_error("to").as_deref(), Some("与当前情况相同，无需变更。"));
    let r = post("status", vec![("to", "probationary".into()), ("effective_on", "2099-01-01".into())]).await;
    assert_eq!(r.field_error("status-effective_on").as_deref(), Some("日期不能晚于今天。"));
    let r = post("state", vec![("to", "exempt".into()), ("effective_on", today.clone())]).await;
    assert_eq!(r.field_error("state-note").as_deref(), Some("免参加组织生活须写明原因。"));
    let r = post("transfer", vec![("to", tree.a.to_string()), ("effective_on", today.clone())]).await;
    assert_eq!(r.field_error("to").as_deref(), Some("该党员已在这个支部。"));
    let r = post("transfer", vec![("to", tree.a_group.to_string()), ("effective_on", today.clone())]).await;
    assert_eq!(r.field_error("to").as_deref(), Some("该组织不能接收党员（已撤销、不存在或是党小组）。"));
    let r = post("transfer", vec![("to", tree.b.to_string()), ("effective_on", "2000-01-01".into())]).await;
    assert_eq!(r.field_error("transfer-effective_on").as_deref(), Some("日期早于该党员本次在支部的起始日期。"));
    admin.get(&path).await.assert_lacks("政治面貌变更</td>");

    post("state", vec![("to", "exempt".into()), ("effective_on", today.clone()), ("note", "援外医疗队".into())])
        .await
        .assert_redirect_to(&path);
    post("transfer", vec![("to", tree.b.to_string()), ("effective_on", today.clone())]).await.assert_redirect_to(&path);
    let page = admin.get(&path).await;
    page.assert_contains("免参加组织生活")
        .assert_contains("援外医疗队")
        .assert_contains("第二党支部")
        .assert_contains("组织关系转接");
}

/// Collects every member name by following the list's next links from `start`.
async fn walk(client: &Client, start: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut url = start.to_owned();
    for _ in 0..100 {
        let page = client.get(&url).await;
        page.assert_status(200);
        for chunk in page.body.split("<td><a href=\"/members/").skip(1) {
            names.push(chunk.split('>').nth(1).unwrap().split('<').next().unwrap().to_owned());
        }
        match page.body.split("rel=\"next\" href=\"").nth(1) {
            Some(rest) => url = rest.split('"').next().unwrap().replace("&#38;", "&"),
            None => return names,
        }
    }
    panic!("paging never ended");
}

#[tokio::test]
async fn search_answers_surnames_substrings_and_filters() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let admin = app.login_as(Role::Admin).await;
    for name in ["王小明", "王芳", "李王", "张三丰"] {
        app.add_member(tree.a, name).await;
    }
    let odd = app.add_member(tree.b, "赵_%").await;
    let count = |q: &'static str| {
        let admin = &admin;
        async move { admin.get(&format!("/members?q={q}")).await }
    };
    // One or two characters: the start of the name (a surname).
    count("%E7%8E%8B")
        .await
        .assert_contains("共 2 人")
        .assert_contains("王小明")
        .assert_contains("王芳")
        .assert_lacks("李王");
    count("%E7%8E%8B%E5%B0%8F").await.assert_contains("共 1 人");
    // Three or more: anywhere in name, phone, email or unit.
    count("%E5%BC%A0%E4%B8%89%E4%B8%B0").await.assert_contains("共 1 人");
    count("%E6%B5%8B%E8%AF%95%E5%8C%BB%E9%99%A2").await.assert_contains("共 5 人");
    count("1390000").await.assert_contains("共 5 人");
    count("MEMBER").await.assert_contains("共 5 人");
    count("%22%22%22").await.assert_status(200).assert_contains("共 0 人");
    count("_%25x").await.assert_contains("共 0 人");
    admin.get(&format!("/members?branch={}", tree.b)).await.assert_contains("共 1 人").assert_contains("赵_%");
    admin.get("/members?status=probationary").await.assert_contains("共 0 人");
    admin.get("/members?state=active&status=full").await.assert_contains("共 5 人");
    admin
        .get("/members?page=garbage&sort=nonsense&branch=x&status=y")
        .await
        .assert_status(200)
        .assert_contains("共 5 人");
    admin.get(&format!("/members/{odd}")).await.assert_contains("赵_%");
}

#[tokio::test]
async fn pages_follow_by_key_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let admin = app.login_as(Role::Admin).await;
    let mut expected = Vec::new();
    for i in 0..123 {
        // Some names repeat: the id breaks ties.
        let name = format!("党员{:03}", i % 100);
        app.add_member(tree.a, &name).await;
        expected.push(name);
    }
    expected.sort();
    let forward = walk(&admin, "/members").await;
    assert_eq!(forward, expected);
    let mut backward = walk(&admin, "/members?sort=-name").await;
    backward.reverse();
    assert_eq!(backward, expected);
    assert_eq!(walk(&admin, "/members?sort=-updated").await.len(), 123);

    // Previous links lead back to the same pages.
    let first = admin.get("/members").await;
    let next =
        first.body.split("rel=\"next\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    let second = admin.get(&next).await;
    second.assert_contains("第 2 页").assert_contains("/ 3");
    let prev =
        second.body.split("rel=\"prev\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&#38;", "&");
    let back = admin.get(&prev).await;
    let names = |body: &str| {
        body.split("<td><a href=\"/members/")
            .skip(1)
            .map(|c| c.split('<').next().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&back.body), names(&first.body));
    assert!(!back.body.contains("rel=\"prev\""));
}

#[tokio::test]
async fn members_keep_their_own_contact_details() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let id = app.add_member(tree.a, "自助党员").await;
    let other = app.add_member(tree.a, "同支部党员").await;
    let member = app.login_linked(Role::Member, id).await;
    member.get("/").await.assert_contains("我的信息");
    member.get("/me").await.assert_contains("自助党员").assert_contains("第一党支部").assert_contains("正式党员");
    let r = member.post("/me", &[("phone", "abc"), ("email", "me@"), ("locale", "fr")]).await;
    r.assert_status(422);
    assert!(r.field_error("phone").is_some() && r.field_error("email").is_some() && r.field_error("locale").is_some());
    member
        .post("/me", &[("phone", "+86 139 9999 0000"), ("email", "Self@Example.org"), ("locale", "en")])
        .await
        .assert_redirect_to("/me");
    member
        .get("/me")
        .await
        .assert_contains("+8613999990000")
        .assert_contains("self@example.org")
        .assert_contains("selected lang=\"en\"");
    // Only their own record, and only those fields.
    member.get(&format!("/members/{other}")).await.assert_status(404);
    member.get("/members").await.assert_status(403);
    member.post(&format!("/members/{id}"), &[("name", "改名")]).await.assert_status(404);
}

#[tokio::test]
async fn an_administrator_links_an_account_to_a_member() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let admin = app.login_as(Role::Admin).await;
    let member = app.add_member(tree.a, "待关联").await;
    let email = {
        use sea_orm::EntityTrait;
        partyday::members::entity::member::Entity::find_by_id(member)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .email
            .unwrap()
    };
    let account = app.create_account(Role::Member, "holder@example.org").await;
    let other = app.create_account(Role::Member, "second@example.org").await;
    let link = |account: i64, value: String| {
        let admin = &admin;
        async move { admin.post(&format!("/admin/accounts/{account}/member"), &[("member", &value)]).await }
    };
    let r = link(account, "nobody@example.org".into()).await;
    assert_eq!(r.field_error("member").as_deref(), Some("没有使用该邮箱或手机号的党员。"));
    link(account, email.to_uppercase()).await.assert_redirect_to(&format!("/admin/accounts/{account}"));
    admin.get(&format!("/admin/accounts/{account}")).await.assert_contains("已关联党员").assert_contains("待关联");
    let r = link(other, email.clone()).await;
    assert_eq!(r.field_error("member").as_deref(), Some("该党员已关联其他账户。"));
    let holder = app.client();
    holder.login("holder@example.org", crate::helpers::PASSWORD).await;
    holder.get("/me").await.assert_contains("待关联");
    link(account, String::new()).await.assert_redirect_to(&format!("/admin/accounts/{account}"));
    holder.get("/me").await.assert_contains("还没有关联党员信息");
}

/// Makes every insert into `table` fail, as a full disk or a lost connection would.
async fn fail_inserts_into(app: &TestApp, table: &str) {
    use sea_orm::ConnectionTrait;
    let db = &app.state.db;
    if app.db.is_postgres() {
        db.execute_unprepared(
            "CREATE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$",
        )
        .await
        .unwrap();
        db.execute_unprepared(&format!(
            "CREATE TRIGGER injected BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION injected_failure()"
        ))
        .await
        .unwrap();
    } else {
        db.execute_unprepared(&format!(
            "CREATE TRIGGER injected BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        ))
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn a_member_is_added_whole_or_not_at_all() {
    use partyday::members::entity::period;
    use sea_orm::{EntityTrait, PaginatorTrait};
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    let (members, periods) = (app.member_count().await, period::Entity::find().count(&app.state.db).await.unwrap());
    // The history line is written last: when it fails, the member and their period go too.
    fail_inserts_into(&app, "member_history").await;
    let a = tree.a.to_string();
    let r = secretary.post("/members", &form(&a, &[])).await;
    r.assert_status(500);
    assert_eq!(app.member_count().await, members, "no member without a period and history");
    assert_eq!(period::Entity::find().count(&app.state.db).await.unwrap(), periods);
    secretary.get("/members").await.assert_lacks("王小明");
}

#[tokio::test]
async fn a_member_edit_is_saved_whole_or_not_at_all() {
    use partyday::members::entity::member;
    use sea_orm::EntityTrait;
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    let a = tree.a.to_string();
    let r = secretary.post("/members", &form(&a, &[])).await;
    r.assert_status(303);
    let id: i64 = r.location().trim_start_matches("/members/").parse().unwrap();
    // A move into the party group writes a history line; when that fails, the move is undone.
    fail_inserts_into(&app, "member_history").await;
    let group = tree.a_group.to_string();
    let r = secretary.post(&format!("/members/{id}"), &form(&a, &[("group_id", &group), ("post", "院长")])).await;
    r.assert_status(500);
    let m = member::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap();
    assert_eq!((m.group_id, m.post.as_deref()), (None, Some("医疗质量控制科主任")));
}
