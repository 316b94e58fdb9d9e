//! The test harness, for every later issue too: `TestApp::spawn()`, a cookie-keeping `Client`
//! that fills in the CSRF token, `login_as(role)`, and helpers to read pages.
use std::sync::{
    Arc, Mutex,
    atomic::{AtomicU32, Ordering},
};

use chrono::{DateTime, Utc};
use partyday::{
    accounts::{
        Role,
        rules::{DisplayName, Email, NewAccount, Password},
        service,
    },
    app::{self, AppState},
    branches::{
        self, BranchKind, OfficerRole, Scope,
        rules::{Appointment, BranchData},
    },
    clock::ShiftedClock,
    config::Config,
    members::{
        self,
        rules::{MembershipState, NewMember, PoliticalStatus, Profile},
    },
};
use sea_orm::{ConnectionTrait, Database};
use tokio::{net::TcpListener, sync::oneshot};

/// Password of every account the harness creates.
pub const PASSWORD: &str = "test-password-2026";

/// 10:00 in Beijing on Wednesday 13 May 2026, mid-month and mid-quarter: what a test plans hours
/// or days ahead stays in the month and quarter of its "now" (`TestApp::spawn_at`).
pub fn mid_month() -> DateTime<Utc> {
    "2026-05-13T10:00:00+08:00".parse().unwrap()
}

/// A database for one test: a temp SQLite file, or a fresh PostgreSQL database on the server
/// TEST_DATABASE_URL points at (dropped again when this value is dropped).
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

static DB_COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    pub async fn new() -> TestDb {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                let mut url = url::Url::parse(&server).expect("TEST_DATABASE_URL is not a URL");
                let base = url.path().trim_start_matches('/').to_owned();
                let base = if base.is_empty() { "partyday_test".to_owned() } else { base };
                let name = format!("{base}_{}_{}", std::process::id(), DB_COUNTER.fetch_add(1, Ordering::SeqCst));
                let admin = Database::connect(server.as_str()).await.expect("cannot connect to TEST_DATABASE_URL");
                admin.execute_unprepared(&format!("CREATE DATABASE \"{name}\"")).await.expect("CREATE DATABASE");
                admin.close().await.ok();
                url.set_path(&name);
                TestDb { url: url.to_string(), _dir: None, postgres: Some((server, name)) }
            }
            _ => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDb { url, _dir: Some(dir), postgres: None }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// The SQLite database `file` in `dir` (one a command wrote, e.g. a restore), kept with it.
    pub fn sqlite_in(dir: tempfile::TempDir, file: &str) -> TestDb {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join(file).display());
        TestDb { url, _dir: Some(dir), postgres: None }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = self.postgres.take() {
            // Drop runs outside async: use a runtime of its own on a thread of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async {
                    if let Ok(admin) = Database::connect(server.as_str()).await {
                        let _ =
                            admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await;
                        let _ = admin.close().await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running Partyday.
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub clock: ShiftedClock,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Declared last: dropped after the server has stopped.
    pub db: Arc<TestDb>,
    pub data_dir: Arc<tempfile::TempDir>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with("").await
    }

    /// Starts with extra configuration (TOML) laid over the test defaults.
    pub async fn spawn_with(extra_toml: &str) -> TestApp {
        let db = Arc::new(TestDb::new().await);
        let data_dir = Arc::new(tempfile::tempdir().unwrap());
        Self::start(db, data_dir, extra_toml).await
    }

    /// Starts on an existing database (e.g. one a CLI command prepared).
    pub async fn spawn_on(db: Arc<TestDb>) -> TestApp {
        Self::start(db, Arc::new(tempfile::tempdir().unwrap()), "").await
    }

    /// A second instance on the same database and data directory (a restart, or a second
    /// instance behind a load balancer).
    pub async fn sibling(&self) -> TestApp {
        self.sibling_with("").await
    }

    /// A sibling with extra configuration.
    pub async fn sibling_with(&self, extra_toml: &str) -> TestApp {
        Self::start(self.db.clone(), self.data_dir.clone(), extra_toml).await
    }

    /// Starts with the test clock at `start` (it runs on from there), for tests whose expectations
    /// depend on the month or quarter "now" is in: on the wall clock, an event a few hours ahead
    /// is in the next month during the last hours of each month (Beijing time).
    pub async fn spawn_at(start: DateTime<Utc>, extra_toml: &str) -> TestApp {
        let clock = ShiftedClock::default();
        clock.advance(start - Utc::now());
        let data_dir = Arc::new(tempfile::tempdir().unwrap());
        Self::start_with_clock(Arc::new(TestDb::new().await), data_dir, extra_toml, clock).await
    }

    /// Starts on a database and data directory (a restart, when the previous instance has stopped).
    pub async fn start(db: Arc<TestDb>, data_dir: Arc<tempfile::TempDir>, extra_toml: &str) -> TestApp {
        Self::start_with_clock(db, data_dir, extra_toml, ShiftedClock::default()).await
    }

    async fn start_with_clock(
        db: Arc<TestDb>,
        data_dir: Arc<tempfile::TempDir>,
        extra_toml: &str,
        clock: ShiftedClock,
    ) -> TestApp {
        // Server logs go with the test's output (shown for failing tests); RUST_LOG tunes them.
        let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
        let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let base = format!("http://{addr}");
        // The event clock is driven by the tests, a pass at a time (`finalise_due`, `draft_due`):
        // running on its own every 30 s it would take their passes' work first. Tests of the
        // clock itself switch it on.
        let toml = format!(
            "[server]\naddr = \"{addr}\"\n[database]\nurl = \"{}\"\nmax_connections = 5\n[app]\nbase_url = \"{base}\"\ndata_dir = \"{}\"\n[workers]\nevent_clock = false\n",
            db.url,
            data_dir.path().display()
        );
        let settings = Config::from_toml(&[&toml, extra_toml]).expect("test configuration");
        let state = AppState::init(settings, Arc::new(clock.clone())).await.expect("app starts");
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn({
            let state = state.clone();
            async move {
                app::serve(state, listener, async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
            }
        });
        TestApp { base, state, clock, stop: Some(stop), server: Some(server), db, data_dir }
    }

    /// Stops the server and waits for it (graceful shutdown).
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// Creates an account directly through the service (test set-up, not under test).
    pub async fn create_account(&self, role: Role, email: &str) -> i64 {
        let new = NewAccount {
            email: Email::parse(email).unwrap(),
            display_name: DisplayName::parse(&format!("{} {}", role.as_str(), email.split('@').next().unwrap()))
                .unwrap(),
            role,
            password: Password::parse(PASSWORD, None).unwrap(),
        };
        service::create_unchecked(&self.state.db, new, false, self.state.now()).await.unwrap().id
    }

    /// Id of the account with this email.
    pub async fn account_id(&self, email: &str) -> i64 {
        use partyday::accounts::entity::account;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        account::Entity::find().filter(account::Column::Email.eq(email)).one(&self.state.db).await.unwrap().unwrap().id
    }

    /// A client signed in with a new account of the given role.
    pub async fn login_as(&self, role: Role) -> Client {
        static N: AtomicU32 = AtomicU32::new(0);
        let email = format!("{}{}@test.example.org", role.as_str(), N.fetch_add(1, Ordering::SeqCst));
        self.create_account(role, &email).await;
        let client = self.client();
        client.login(&email, PASSWORD).await.assert_redirect_to("/");
        client
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// A small organisation for tests: a committee with branches A (with a party group) and B.
pub struct Tree {
    pub committee: i64,
    pub a: i64,
    pub a_group: i64,
    pub b: i64,
}

impl TestApp {
    fn unit_data(name: &str, code: &str) -> BranchData {
        BranchData {
            name: name.to_owned(),
            code: code.to_owned(),
            timezone: "Asia/Shanghai".to_owned(),
            contact_person: None,
            contact_phone: None,
            contact_email: None,
            address: None,
            report_author: None,
            locale: None,
        }
    }

    /// Creates a unit directly through the service (test set-up).
    pub async fn add_unit(&self, kind: BranchKind, parent: Option<i64>, name: &str, code: &str) -> i64 {
        branches::service::create(
            &self.state.db,
            &Scope::operator(),
            kind,
            parent,
            Self::unit_data(name, code),
            self.state.now(),
        )
        .await
        .unwrap()
        .id
    }

    pub async fn seed_tree(&self) -> Tree {
        let committee = self.add_unit(BranchKind::Committee, None, "测试党委", "T").await;
        let a = self.add_unit(BranchKind::Branch, Some(committee), "第一党支部", "T-A").await;
        let a_group = self.add_unit(BranchKind::Group, Some(a), "第一党小组", "T-A-G").await;
        let b = self.add_unit(BranchKind::Branch, Some(committee), "第二党支部", "T-B").await;
        Tree { committee, a, a_group, b }
    }

    /// Adds a member (full member, active) to a branch, with a phone and an email of their own.
    pub async fn add_member(&self, branch: i64, name: &str) -> i64 {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let mut new = new_member(branch, name);
        new.profile.phone = Some(format!("1390000{n:04}"));
        new.profile.email = Some(format!("member{n}@test.example.org"));
        new.profile.unit = Some("测试医院".to_owned());
        members::service::create(&self.state.db, &Scope::operator(), new, self.state.today(), self.state.now())
            .await
            .unwrap()
            .id
    }

    /// Appoints `member` to `role` in `branch`, serving since 2020 (test set-up).
    pub async fn appoint(&self, branch: i64, member: i64, role: OfficerRole) {
        let appointment = Appointment {
            member_id: member,
            role,
            from_on: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            until_on: None,
        };
        let placed = members::service::placement(&self.state.db, member).await.unwrap();
        branches::service::appoint(&self.state.db, &Scope::operator(), branch, appointment, placed, self.state.now())
            .await
            .unwrap();
    }

    /// A client signed in as the (linked) current secretary of `branch`.
    pub async fn secretary_of(&self, branch: i64) -> Client {
        let member = self.add_member(branch, "书记").await;
        self.appoint(branch, member, OfficerRole::Secretary).await;
        self.login_linked(Role::Secretary, member).await
    }

    /// A client signed in with an account of `role` linked to `member`.
    pub async fn login_linked(&self, role: Role, member: i64) -> Client {
        static N: AtomicU32 = AtomicU32::new(0);
        let email = format!("linked{}@test.example.org", N.fetch_add(1, Ordering::SeqCst));
        let account = self.create_account(role, &email).await;
        service::set_member_unchecked(&self.state.db, account, Some(member)).await.unwrap();
        let client = self.client();
        client.login(&email, PASSWORD).await.assert_redirect_to("/");
        client
    }

    pub async fn member_count(&self) -> u64 {
        use sea_orm::{EntityTrait, PaginatorTrait};
        members::entity::member::Entity::find().count(&self.state.db).await.unwrap()
    }
}

/// A new full member, active, of `branch`, with nothing but a name.
pub fn new_member(branch: i64, name: &str) -> NewMember {
    NewMember {
        branch_id: branch,
        profile: Profile {
            name: name.to_owned(),
            gender: None,
            birth_date: None,
            phone: None,
            email: None,
            unit: None,
            post: None,
            group_id: None,
            joined_party_on: None,
            full_member_on: None,
            locale: None,
            notes: None,
        },
        political_status: PoliticalStatus::Full,
        state: MembershipState::Active,
        state_reason: None,
    }
}

/// An HTTP response, read whole.
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Resp {
    pub fn location(&self) -> &str {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "unexpected status; body:\n{}", self.body);
        self
    }

    /// A 303 See Other to `to` (a path, optionally followed by a query).
    #[track_caller]
    pub fn assert_redirect_to(&self, to: &str) -> &Self {
        assert_eq!(self.status, 303, "expected a redirect to {to}; body:\n{}", self.body);
        assert_eq!(self.location(), to);
        self
    }

    #[track_caller]
    pub fn assert_contains(&self, text: &str) -> &Self {
        assert!(self.body.contains(text), "page does not contain {text:?}:\n{}", self.body);
        self
    }

    #[track_caller]
    pub fn assert_lacks(&self, text: &str) -> &Self {
        assert!(!self.body.contains(text), "page should not contain {text:?}:\n{}", self.body);
        self
    }

    /// Every Set-Cookie header value.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect()
    }

    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies().into_iter().find(|c| c.starts_with(&format!("{name}=")))
    }

    /// Text of the field error shown under input `name`, if any.
    pub fn field_error(&self, name: &str) -> Option<String> {
        let start = self.body.find(&format!("id=\"e-{name}\">"))? + name.len() + 8;
        let end = self.body[start..].find('<')? + start;
        Some(self.body[start..end].to_owned())
    }

    /// Value of the `_csrf` hidden field of the page.
    pub fn csrf_token(&self) -> Option<String> {
        let start = self.body.find("name=\"_csrf\" value=\"")? + 20;
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }
}

/// A browser-like client: keeps cookies, does not follow redirects, sends the CSRF token.
pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    csrf: Mutex<Option<String>>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let http =
            reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Client { http, base: base.to_owned(), csrf: Mutex::new(None) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn read(resp: reqwest::Response) -> Resp {
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.unwrap();
        Resp { status, headers, body }
    }

    pub async fn get(&self, path: &str) -> Resp {
        let resp = Self::read(self.http.get(self.url(path)).send().await.unwrap()).await;
        if let Some(token) = resp.csrf_token() {
            *self.csrf.lock().unwrap() = Some(token);
        }
        resp
    }

    /// A GET with extra request headers (conditional requests).
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        let mut req = self.http.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::read(req.send().await.unwrap()).await
    }

    /// The CSRF token of this client's cookie, fetched from a page the first time.
    pub async fn csrf_token(&self) -> String {
        if let Some(t) = self.csrf.lock().unwrap().clone() {
            return t;
        }
        self.get("/login").await.csrf_token().expect("the login page has a CSRF token")
    }

    /// Submits a form as the page would: with the CSRF token and same-origin headers.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let token = self.csrf_token().await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("_csrf", &token));
        self.post_raw(path, &form, &[("sec-fetch-site", "same-origin"), ("origin", &self.base)]).await
    }

    /// Posts exactly these fields and headers (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Resp {
        let mut req = self.http.post(self.url(path)).form(fields);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        Self::read(req.send().await.unwrap()).await
    }

    /// Uploads a file to the member import, as the import page's form does.
    pub async fn upload(&self, branch: i64, file_name: &str, bytes: Vec<u8>) -> Resp {
        self.upload_to("/members/import", &[("branch_id", &branch.to_string())], file_name, bytes).await
    }

    /// Posts a multipart form with some text fields and one file named "file", the CSRF token in
    /// the query string as the app's upload forms carry it.
    pub async fn upload_to(&self, path: &str, fields: &[(&str, &str)], file_name: &str, bytes: Vec<u8>) -> Resp {
        let token = self.csrf_token().await;
        let mut body = Vec::new();
        let boundary = "partydayboundary7MA4YWxkTrZu0gW";
        for (name, value) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n")
                .as_bytes(),
        );
        body.extend(bytes);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let url = format!("{}?_csrf={}", self.url(path), token);
        let req = self
            .http
            .post(url)
            .header("content-type", format!("multipart/form-data; boundary={boundary}"))
            .header("origin", &self.base)
            .body(body);
        Self::read(req.send().await.unwrap()).await
    }

    /// GET returning the raw bytes (downloads).
    pub async fn download(&self, path: &str) -> (u16, String, Vec<u8>) {
        let resp = self.http.get(self.url(path)).send().await.unwrap();
        let status = resp.status().as_u16();
        let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        (status, content_type, resp.bytes().await.unwrap().to_vec())
    }

    pub async fn login(&self, email: &str, password: &str) -> Resp {
        self.post("/login", &[("email", email), ("password", password)]).await
    }
}

/// Whether python3 can import `module`, for the checks that read a document back with a real
/// reader (python-docx, feedparser). When it cannot, the check is skipped with a notice naming
/// `package`, unless PARTYDAY_TEST_TOOLS=required (as in CI, which installs them).
pub fn python_has(module: &str, package: &str) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("PARTYDAY_TEST_TOOLS").as_deref() != Ok("required"),
            "PARTYDAY_TEST_TOOLS=required but python3 cannot import {module} (python3 -m pip install {package})"
        );
        eprintln!("{package} check skipped: python3 cannot import {module} (python3 -m pip install {package})");
    }
    found
}

/// The statuses a page can answer, for tables of expectations.
pub fn is_error_page(resp: &Resp) -> bool {
    resp.body.contains("class=\"error-code\"")
}
