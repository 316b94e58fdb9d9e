//! Who may do what: every route, for every kind of visitor. Later issues add their routes here.
use partyday::accounts::Role;

use crate::helpers::{Client, TestApp, is_error_page};

/// A route and the status each kind of visitor gets. `{account}` stands for an existing member
/// account. POSTs are sent with an empty form: allowed visitors get past the permission check
/// to the validation (422), forbidden ones are stopped before it (403), anonymous ones are sent
/// to the login page (303).
struct Case {
    method: &'static str,
    path: &'static str,
    anonymous: u16,
    member: u16,
    secretary: u16,
    admin: u16,
}

const fn case(
    method: &'static str,
    path: &'static str,
    anonymous: u16,
    member: u16,
    secretary: u16,
    admin: u16,
) -> Case {
    Case { method, path, anonymous, member, secretary, admin }
}

const ROUTES: &[Case] = &[
    case("GET", "/", 200, 200, 200, 200),
    case("GET", "/healthz", 200, 200, 200, 200),
    case("GET", "/static/app.css", 200, 200, 200, 200),
    case("GET", "/login", 200, 303, 303, 303),
    case("POST", "/login", 422, 422, 422, 422),
    case("POST", "/locale", 400, 400, 400, 400),
    case("GET", "/account", 303, 200, 200, 200),
    case("POST", "/account", 303, 422, 422, 422),
    case("GET", "/account/password", 303, 200, 200, 200),
    case("POST", "/account/password", 303, 422, 422, 422),
    case("GET", "/admin/accounts", 303, 403, 403, 200),
    case("POST", "/admin/accounts", 303, 403, 403, 422),
    case("GET", "/admin/accounts/new", 303, 403, 403, 200),
    case("GET", "/admin/accounts/{account}", 303, 403, 403, 200),
    case("POST", "/admin/accounts/{account}", 303, 403, 403, 422),
    case("POST", "/admin/accounts/{account}/password", 303, 403, 403, 422),
    case("GET", "/admin/accounts/{account}/disable", 303, 403, 403, 200),
    case("POST", "/admin/accounts/{account}/disable", 303, 403, 403, 303),
    case("POST", "/admin/accounts/{account}/enable", 303, 403, 403, 303),
    case("GET", "/admin/accounts/999999999", 303, 403, 403, 404),
    case("GET", "/no/such/page", 404, 404, 404, 404),
    // Last: it ends the session the rows above use.
    case("POST", "/logout", 303, 303, 303, 303),
];

#[tokio::test]
async fn every_route_for_every_role() {
    let app = TestApp::spawn().await;
    let target = app.create_account(Role::Member, "target@example.org").await;
    let visitors: Vec<(&str, Client)> = vec![
        ("anonymous", app.client()),
        ("member", app.login_as(Role::Member).await),
        ("secretary", app.login_as(Role::Secretary).await),
        ("admin", app.login_as(Role::Admin).await),
    ];
    let mut failures = Vec::new();
    for (who, client) in &visitors {
        for case in ROUTES {
            let path = case.path.replace("{account}", &target.to_string());
            let expected = match *who {
                "anonymous" => case.anonymous,
                "member" => case.member,
                "secretary" => case.secretary,
                _ => case.admin,
            };
            let resp = match case.method {
                "GET" => client.get(&path).await,
                _ => client.post(&path, &[]).await,
            };
            if resp.status != expected {
                failures.push(format!("{who} {} {path}: expected {expected}, got {}", case.method, resp.status));
            }
            if expected == 303 && case.anonymous == 303 && *who == "anonymous" && !resp.location().starts_with("/login")
            {
                failures.push(format!(
                    "{who} {} {path}: redirected to {} instead of the login page",
                    case.method,
                    resp.location()
                ));
            }
            if expected == 403 && !is_error_page(&resp) {
                failures.push(format!("{who} {} {path}: 403 without the error page", case.method));
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
