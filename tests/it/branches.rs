//! The organisation tree, officers and the secretary's scope, as an administrator and
//! secretaries use them.
use partyday::accounts::Role;

use crate::helpers::TestApp;

type Fields<'a> = Vec<(&'a str, &'a str)>;

fn unit<'a>(kind: &'a str, parent: &'a str, name: &'a str, code: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![("kind", kind), ("parent_id", parent), ("name", name), ("code", code), ("timezone", "Asia/Shanghai")]
}

async fn unit_count(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    partyday::branches::entity::branch::Entity::find().count(&app.state.db).await.unwrap()
}

#[tokio::test]
async fn an_administrator_builds_the_tree_and_bad_input_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    admin.get("/branches").await.assert_contains("还没有组织");
    let r = admin.post("/branches", &unit("committee", "", "医学会党委", "HMA")).await;
    assert_eq!(r.status, 303);
    let committee = r.location().trim_start_matches("/branches/").to_owned();
    let r = admin.post("/branches", &unit("branch", &committee, "机关党支部", "HMA-01")).await;
    let branch = r.location().trim_start_matches("/branches/").to_owned();
    admin.post("/branches", &unit("group", &branch, "第一党小组", "HMA-01-G1")).await.assert_status(303);
    admin.get("/branches").await.assert_contains("医学会党委").assert_contains("class=\"depth-2\"");

    let before = unit_count(&app).await;
    let long = "名".repeat(101);
    let cases: Vec<(Fields, &str, &str)> = vec![
        (unit("branch", &committee, "", "X1"), "name", "此项为必填项。"),
        (unit("branch", &committee, &long, "X1"), "name", "内容过长。"),
        (unit("branch", &committee, "X", "第一"), "code", "编码只能包含字母、数字、连字符和下划线，最多 32 个字符。"),
        (unit("branch", &committee, "X", "HMA-01"), "code", "该编码已被其他组织使用。"),
        (
            unit("group", &committee, "X", "X1"),
            "parent_id",
            "这一级组织不能设在所选上级之下（党委 → 党总支 → 党支部 → 党小组）。",
        ),
        (
            unit("branch", "", "X", "X1"),
            "parent_id",
            "这一级组织不能设在所选上级之下（党委 → 党总支 → 党支部 → 党小组）。",
        ),
        (
            unit("branch", "999999", "X", "X1"),
            "parent_id",
            "这一级组织不能设在所选上级之下（党委 → 党总支 → 党支部 → 党小组）。",
        ),
        (unit("kingdom", &committee, "X", "X1"), "kind", "请从列表中选择。"),
        (
            vec![("kind", "branch"), ("parent_id", &committee), ("name", "X"), ("code", "X1"), ("timezone", "Beijing")],
            "timezone",
            "请输入 IANA 时区，例如 Asia/Shanghai。",
        ),
        (
            vec![
                ("kind", "branch"),
                ("parent_id", &committee),
                ("name", "X"),
                ("code", "X1"),
                ("timezone", "Asia/Shanghai"),
                ("contact_email", "nope"),
            ],
            "contact_email",
            "请输入有效的电子邮箱地址，例如 name@example.org。",
        ),
    ];
    for (fields, field, message) in cases {
        let r = admin.post("/branches", &fields).await;
        assert_eq!(r.status, 422, "{fields:?}");
        assert_eq!(r.field_error(field).as_deref(), Some(message), "{fields:?}");
    }
    assert_eq!(unit_count(&app).await, before);
}

#[tokio::test]
async fn moving_follows_the_nesting_rules() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let admin = app.login_as(Role::Admin).await;
    let general =
        app.add_unit(partyday::branches::BranchKind::GeneralBranch, Some(tree.committee), "党总支", "T-GB").await;
    let moved = |id: i64, parent: String| {
        let admin = &admin;
        async move { admin.post(&format!("/branches/{id}/move"), &[("parent_id", &parent)]).await }
    };
    // Under its own party group, under itself: refused with the reason next to the field.
    let r = moved(tree.a, tree.a_group.to_string()).await;
    r.assert_status(422);
    assert_eq!(r.field_error("parent_id").as_deref(), Some("不能把组织调整到它自己或它的下级组织之下。"));
    moved(tree.a, tree.a.to_string()).await.assert_status(422);
    assert!(moved(tree.a, String::new()).await.field_error("parent_id").is_some(), "a branch cannot be at the top");
    assert!(moved(tree.committee, tree.a.to_string()).await.field_error("parent_id").is_some());
    // A branch under the general branch; a group to the other branch.
    moved(tree.a, general.to_string()).await.assert_redirect_to(&format!("/branches/{}", tree.a));
    moved(tree.a_group, tree.b.to_string()).await.assert_status(303);
    let page = admin.get(&format!("/branches/{}", tree.b)).await;
    page.assert_contains("第一党小组");
    admin
        .get(&format!("/branches/{}", tree.a))
        .await
        .assert_contains(&format!("<a href=\"/branches/{general}\">党总支</a>"));
}

#[tokio::test]
async fn closing_needs_an_empty_unit_and_deleting_a_unit_without_history() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let admin = app.login_as(Role::Admin).await;
    let member = app.add_member(tree.b, "待转出").await;
    let b = format!("/branches/{}", tree.b);
    admin.get(&format!("{b}/close")).await.assert_status(200).assert_contains("确定撤销“第二党支部”吗");
    admin.post(&format!("{b}/close"), &[]).await.assert_redirect_to(&b);
    admin.get(&b).await.assert_contains("该组织还有在册党员").assert_lacks("tag tag-off");

    // Once the member has moved on, the branch closes; then it takes no one, until reopened.
    admin
        .post(
            &format!("/members/{member}/transfer"),
            &[("to", &tree.a.to_string()), ("effective_on", &app.state.today().to_string())],
        )
        .await;
    admin.post(&format!("{b}/close"), &[]).await.assert_redirect_to(&b);
    admin.get(&b).await.assert_contains("已撤销“第二党支部”").assert_contains("tag tag-off");
    let r = admin
        .post("/members", &[("branch_id", &tree.b.to_string()), ("name", "新人"), ("political_status", "full")])
        .await;
    assert_eq!(r.field_error("branch_id").as_deref(), Some("该组织不能接收党员（已撤销、不存在或是党小组）。"));
    admin.post(&format!("{b}/reopen"), &[]).await.assert_redirect_to(&b);
    admin.get(&b).await.assert_contains("已恢复");

    // A unit with history is closed, not deleted; an empty one created by mistake is deleted.
    admin.post(&format!("{b}/delete"), &[]).await;
    admin.get(&b).await.assert_status(200).assert_contains("不能删除");
    let typo = app.add_unit(partyday::branches::BranchKind::Branch, Some(tree.committee), "打错的支部", "T-TYPO").await;
    admin.get(&format!("/branches/{typo}/delete")).await.assert_contains("确定删除“打错的支部”吗");
    admin.post(&format!("/branches/{typo}/delete"), &[]).await.assert_redirect_to("/branches");
    admin.get(&format!("/branches/{typo}")).await.assert_status(404);
}

#[tokio::test]
async fn officers_are_appointed_from_the_unit_and_keep_their_history() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let secretary = app.secretary_of(tree.a).await;
    let deputy = app.add_member(tree.a, "副书记候选").await;
    let outsider = app.add_member(tree.b, "外支部党员").await;
    let a = format!("/branches/{}", tree.a);
    let appoint = |member: i64, role: &'static str, from: &'static str, until: &'static str| {
        let secretary = &secretary;
        let a = a.clone();
        async move {
            secretary
                .post(
                    &format!("{a}/officers"),
                    &[("member_id", &member.to_string()), ("role", role), ("from_on", from), ("until_on", until)],
                )
                .await
        }
    };
    let r = appoint(outsider, "organisation", "2025-01-01", "").await;
    assert_eq!(r.field_error("member_id").as_deref(), Some("只能任命本组织的党员。"));
    let r = appoint(deputy, "group_leader", "2025-01-01", "").await;
    assert_eq!(r.field_error("role").as_deref(), Some("该职务不适用于这一级组织（党小组只设组长）。"));
    let r = appoint(deputy, "deputy_secretary", "2025-01-01", "2024-01-01").await;
    assert_eq!(r.field_error("officer-until_on").as_deref(), Some("任期结束日期不能早于开始日期。"));
    let r = appoint(deputy, "deputy_secretary", "2025-13-01", "").await;
    assert_eq!(r.field_error("officer-from_on").as_deref(), Some("请输入有效日期，格式 YYYY-MM-DD。"));
    appoint(deputy, "deputy_secretary", "2025-01-01", "").await.assert_redirect_to(&a);

    let page = secretary.get(&a).await;
    page.assert_contains("副书记候选").assert_contains("现任");
    let term_id = {
        use partyday::branches::entity::officer;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        officer::Entity::find()
            .filter(officer::Column::MemberId.eq(deputy))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    secretary.post(&format!("{a}/officers/{term_id}/end"), &[("until_on", "2024-06-01")]).await;
    secretary.get(&a).await.assert_contains("任期结束日期不能早于开始日期。");
    secretary.post(&format!("{a}/officers/{term_id}/end"), &[("until_on", "2025-12-31")]).await.assert_redirect_to(&a);
    // The ended term stays on record.
    secretary.get(&a).await.assert_contains("2025-01-01 – 2025-12-31").assert_contains("副书记候选");
}

#[tokio::test]
async fn a_secretary_manages_only_their_own_branch() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let mine = app.add_member(tree.a, "本支部党员").await;
    let theirs = app.add_member(tree.b, "他支部党员").await;
    let secretary = app.secretary_of(tree.a).await;

    secretary
        .get("/branches")
        .await
        .assert_contains("第一党支部")
        .assert_contains("第一党小组")
        .assert_lacks("第二党支部")
        .assert_lacks("测试党委");
    secretary.get("/members").await.assert_contains("本支部党员").assert_lacks("他支部党员");
    secretary.get("/members?q=%E4%BB%96%E6%94%AF%E9%83%A8").await.assert_contains("共 0 人");
    secretary.get(&format!("/members?branch={}", tree.b)).await.assert_contains("共 0 人");
    secretary.get(&format!("/members/{mine}")).await.assert_status(200);
    for path in [format!("/members/{theirs}"), format!("/branches/{}", tree.b), format!("/branches/{}/roster", tree.b)]
    {
        secretary.get(&path).await.assert_status(404).assert_lacks("他支部党员");
    }
    // Nor can they write there, or put members there.
    let r = secretary.post(&format!("/members/{theirs}"), &[("name", "改名")]).await;
    r.assert_status(404);
    let r = secretary
        .post("/members", &[("branch_id", &tree.b.to_string()), ("name", "偷偷加入"), ("political_status", "full")])
        .await;
    assert_eq!(r.field_error("branch_id").as_deref(), Some("您不能在该支部添加党员。"));
    let export = secretary.download("/members/export?format=csv").await;
    let text = String::from_utf8(export.2).unwrap();
    assert!(text.contains("本支部党员") && !text.contains("他支部党员"));

    // The scope follows the term: when it ends, so does the access.
    let term_id = {
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
    let yesterday = (app.state.today() - chrono::Duration::days(1)).to_string();
    secretary.post(&format!("/branches/{}/officers/{term_id}/end", tree.a), &[("until_on", &yesterday)]).await;
    secretary.get(&format!("/members/{mine}")).await.assert_status(404);
    secretary.get("/branches").await.assert_contains("您目前不是任何支部的现任书记或副书记");
}

#[tokio::test]
async fn the_roster_on_a_past_day_comes_from_the_history() {
    let app = TestApp::spawn().await;
    let tree = app.seed_tree().await;
    let day0 = app.state.today();
    let member = app.add_member(tree.a, "流动党员").await;
    app.add_member(tree.a, "留守党员").await;
    app.clock.advance(chrono::Duration::days(30));
    let admin = app.login_as(Role::Admin).await;
    let d = |n: i64| (day0 + chrono::Duration::days(n)).to_string();
    // Transferred to B from day 10, left the Party on day 20 (recorded later, dated back).
    admin
        .post(&format!("/members/{member}/transfer"), &[("to", &tree.b.to_string()), ("effective_on", &d(10))])
        .await
        .assert_status(303);
    admin
        .post(&format!("/members/{member}/state"), &[("to", "left"), ("effective_on", &d(20)), ("note", "去世")])
        .await
        .assert_status(303);
    let roster = |branch: i64, day: String| {
        let admin = &admin;
        async move { admin.get(&format!("/branches/{branch}/roster?on={day}")).await }
    };
    roster(tree.a, d(5)).await.assert_contains("流动党员").assert_contains("共 2 人");
    roster(tree.a, d(10)).await.assert_lacks("流动党员").assert_contains("共 1 人");
    roster(tree.b, d(9)).await.assert_lacks("流动党员");
    roster(tree.b, d(15)).await.assert_contains("流动党员");
    roster(tree.b, d(20)).await.assert_lacks("流动党员");
    roster(tree.a, d(-1)).await.assert_contains("共 0 人");
    roster(tree.a, "2026-02-30".to_owned()).await.assert_status(422).assert_contains("请输入有效日期");
    // The profile shows the dated history.
    let profile = admin.get(&format!("/members/{member}")).await;
    profile
        .assert_contains("组织关系转接")
        .assert_contains("第二党支部")
        .assert_contains(&d(10))
        .assert_contains("已离开")
        .assert_contains("去世");
}
