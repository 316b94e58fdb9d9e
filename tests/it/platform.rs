//! The server itself: health, static files, headers, error pages, hostile requests, and the
//! database it was asked to use.
use partyday::accounts::Role;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::helpers::{Client, TestApp, is_error_page};

#[tokio::test]
async fn health_follows_the_database() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let ok = c.get("/healthz").await;
    ok.assert_status(200);
    assert_eq!(ok.body.trim(), "ok");
    app.state.db.close_by_ref().await.unwrap();
    c.get("/healthz").await.assert_status(503);
}

#[tokio::test]
async fn an_internal_failure_shows_the_500_page_and_nothing_of_the_cause() {
    let app = TestApp::spawn().await;
    let c = app.client();
    c.get("/login").await;
    // Break the database under the running app: the login throttle's table disappears.
    app.state.db.execute_unprepared("DROP TABLE login_failures").await.unwrap();
    let r = c.login("someone@example.org", "whatever password").await;
    r.assert_status(500).assert_contains("系统出现问题，已记录，未做任何更改");
    for leak in ["login_failures", "no such table", "does not exist", "SQL", "DbErr"] {
        r.assert_lacks(leak);
    }
}

#[tokio::test]
async fn the_requested_database_is_the_one_in_use() {
    let app = TestApp::spawn().await;
    let backend = app.state.db.get_database_backend();
    match std::env::var("PARTYDAY_TEST_EXPECT").as_deref() {
        Ok("postgres") => {
            assert!(app.db.is_postgres(), "PARTYDAY_TEST_EXPECT=postgres but TEST_DATABASE_URL is not set");
            assert_eq!(backend, DbBackend::Postgres);
        }
        Ok("sqlite") => assert_eq!(backend, DbBackend::Sqlite),
        _ => {}
    }
    if backend == DbBackend::Sqlite {
        // WAL, enforced foreign keys and a busy timeout on every connection.
        let pragma = |name: &'static str| {
            let db = app.state.db.clone();
            async move {
                let row = db
                    .query_one_raw(Statement::from_string(DbBackend::Sqlite, format!("PRAGMA {name}")))
                    .await
                    .unwrap()
                    .unwrap();
                row.try_get_by_index::<String>(0)
                    .or_else(|_| row.try_get_by_index::<i64>(0).map(|n| n.to_string()))
                    .unwrap()
            }
        };
        assert_eq!(pragma("journal_mode").await, "wal");
        assert_eq!(pragma("foreign_keys").await, "1");
        assert_eq!(pragma("busy_timeout").await, "10000");
    }
}

#[tokio::test]
async fn static_files_and_security_headers() {
    let app = TestApp::spawn().await;
    let c = app.client();
    let css = c.get("/static/app.css").await;
    css.assert_status(200);
    assert!(css.headers["content-type"].to_str().unwrap().starts_with("text/css"));
    assert!(css.body.contains(".topbar"));
    assert_eq!(c.get("/static/secret.key").await.status, 404);
    // Paths that climb out of the static folder, sent exactly as written (an HTTP client would
    // tidy `..` away before sending): none reaches a file of the project or the data folder.
    for path in
        ["/static/../Cargo.toml", "/static/%2e%2e/Cargo.toml", "/static/..%2fCargo.toml", "/static/..%5cCargo.toml"]
    {
        let answer = raw_get(&app.base, path).await;
        let status_line = answer.lines().next().unwrap_or_default().to_owned();
        assert!(status_line.contains(" 404 "), "{path}: {status_line}");
        assert!(!answer.contains("[package]") && !answer.contains("[workspace]"), "{path} served a file");
    }
    let page = c.get("/login").await;
    for (header, value) in
        [("x-frame-options", "DENY"), ("x-content-type-options", "nosniff"), ("cache-control", "no-store")]
    {
        assert_eq!(page.headers[header], value);
    }
    assert!(page.headers["content-security-policy"].to_str().unwrap().contains("frame-ancestors 'none'"));
    page.assert_contains("name=\"viewport\"").assert_contains("/static/app.css");
}

#[tokio::test]
async fn hostile_or_malformed_requests_never_reach_a_500() {
    let app = TestApp::spawn().await;
    let admin = app.login_as(Role::Admin).await;
    let token = admin.csrf_token().await;
    let http = &admin.http;
    let url = |p: &str| admin.url(p);
    let same_origin =
        |r: reqwest::RequestBuilder| r.header("x-csrf-token", token.clone()).header("origin", admin.base.clone());
    let big = "x".repeat(3 * 1024 * 1024);
    let requests: Vec<(&str, reqwest::RequestBuilder, u16)> = vec![
        ("bad percent-encoding in the query", http.get(url("/admin/accounts?q=%ZZ&page=%FF")), 200),
        ("array syntax in the query", http.get(url("/admin/accounts?page[]=1&q[x]=2")), 200),
        ("id that is not a number", http.get(url("/admin/accounts/abc")), 400),
        (
            "JSON where a form is expected",
            same_origin(
                http.post(url("/admin/accounts")).header("content-type", "application/json").body("{\"email\":1}"),
            ),
            415,
        ),
        ("no content type", same_origin(http.post(url("/admin/accounts")).body("email=a")), 415),
        (
            "garbage form body",
            same_origin(
                http.post(url("/admin/accounts"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("%%%=&&==%"),
            ),
            422,
        ),
        (
            "non-UTF-8 form body",
            same_origin(
                http.post(url("/account")).header("content-type", "application/x-www-form-urlencoded").body(vec![
                    b'd', b'i', b's', b'p', b'l', b'a', b'y', b'_', b'n', b'a', b'm', b'e', b'=', 0xff, 0xfe,
                ]),
            ),
            400,
        ),
        (
            "percent-encoded non-UTF-8",
            same_origin(
                http.post(url("/account"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body("display_name=%FF%FE&locale="),
            ),
            400,
        ),
        (
            "body over the limit",
            same_origin(
                http.post(url("/admin/accounts"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("email={big}")),
            ),
            413,
        ),
        ("unknown method on a route", same_origin(http.delete(url("/admin/accounts"))), 405),
        ("GET on a POST-only route", http.get(url("/logout")), 405),
    ];
    for (what, request, expected) in requests {
        let resp = Client::read(request.send().await.unwrap()).await;
        assert_eq!(resp.status, expected, "{what}: {}", resp.body);
        // (A 422 is the form itself, re-rendered with its errors.)
        if expected >= 400 && expected != 422 {
            assert!(is_error_page(&resp), "{what}: no error page");
            resp.assert_lacks("Failed to deserialize").assert_lacks("serde");
        }
    }
    // Still healthy, still signed in.
    admin.get("/admin/accounts").await.assert_status(200);
}

/// A GET sent as raw bytes on a new connection, returning the whole answer.
async fn raw_get(base: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}
