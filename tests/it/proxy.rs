//! Behind a reverse proxy (issue 30 §6): the README's nginx example (`deploy/nginx-partyday.conf`,
//! its addresses replaced) runs in front of a test server. Clients from two addresses count apart
//! at the login throttle although every connection comes from nginx, and a client cannot pass
//! for another by writing `X-Forwarded-For` itself. Skipped without nginx, unless
//! PARTYDAY_TEST_TOOLS=required (as in CI, which installs it).
use std::{net::IpAddr, process::Command};

use crate::helpers::TestApp;

fn nginx() -> Option<String> {
    let found = ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| std::path::Path::new(p).exists());
    if found.is_none() {
        assert!(
            std::env::var("PARTYDAY_TEST_TOOLS").as_deref() != Ok("required"),
            "PARTYDAY_TEST_TOOLS=required but nginx is not installed (apt-get install nginx)"
        );
        eprintln!("proxy check skipped: nginx is not installed (apt-get install nginx)");
    }
    found.map(str::to_owned)
}

/// The example configuration, listening on `listen` and proxying to `app`, in a main file of
/// its own whose files all live in `dir`.
fn configuration(dir: &std::path::Path, listen: u16, app: u16) -> String {
    let example = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/nginx-partyday.conf")).unwrap();
    let site: String = example
        .lines()
        .filter(|l| !l.contains("ssl_certificate") && !l.trim_start().starts_with("server_name"))
        .map(|l| {
            l.replace("listen 443 ssl;", &format!("listen 127.0.0.1:{listen};"))
                .replace("server 127.0.0.1:8080;", &format!("server 127.0.0.1:{app};"))
        })
        .collect::<Vec<_>>()
        .join("\n");
    let d = dir.display();
    format!(
        "daemon off;\nworker_processes 1;\nuser root;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\naccess_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n{site}\n}}\n"
    )
}

/// A running nginx, stopped (workers too) when dropped, also when an assertion fails.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        // SIGTERM: the master stops its workers (SIGKILL would leave them running).
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

/// A browser at `from` talking to the proxy.
struct Browser {
    http: reqwest::Client,
    proxy: String,
    origin: String,
}

impl Browser {
    fn at(from: &str, proxy: &str, origin: &str) -> Browser {
        let http = reqwest::Client::builder()
            .local_address(from.parse::<IpAddr>().unwrap())
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Browser { http, proxy: proxy.to_owned(), origin: origin.to_owned() }
    }

    /// A failed login (an unknown address and a wrong password); `claim` is written into
    /// `X-Forwarded-For` by the client itself. The answer's status.
    async fn fail_login(&self, claim: Option<&str>) -> u16 {
        let page = self.http.get(format!("{}/login", self.proxy)).send().await.unwrap().text().await.unwrap();
        let start = page.find("name=\"_csrf\" value=\"").expect("a CSRF token") + 20;
        let token = &page[start..start + page[start..].find('"').unwrap()];
        let fields = [("_csrf", token), ("email", "ghost@example.org"), ("password", "password-spray-1")];
        let mut req = self
            .http
            .post(format!("{}/login", self.proxy))
            .form(&fields)
            .header("origin", &self.origin)
            .header("sec-fetch-site", "same-origin");
        if let Some(claim) = claim {
            req = req.header("x-forwarded-for", claim);
        }
        req.send().await.unwrap().status().as_u16()
    }
}

#[tokio::test]
async fn behind_the_example_nginx_each_client_counts_at_its_own_address_and_cannot_pose_as_another() {
    let Some(nginx) = nginx() else { return };
    let limits = "[server]\ntrust_forwarded_for = true\n[security]\nlogin_max_failures_per_address = 3\nlogin_max_failures = 100\n";
    let app = TestApp::spawn_with(limits).await;
    let app_port: u16 = app.base.rsplit(':').next().unwrap().parse().unwrap();
    let listen = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("nginx.conf"), configuration(dir.path(), listen, app_port)).unwrap();
    let _nginx = Running(
        Command::new(&nginx)
            .args(["-p", &dir.path().display().to_string(), "-c", &dir.path().join("nginx.conf").display().to_string()])
            .spawn()
            .unwrap(),
    );
    let proxy = format!("http://127.0.0.1:{listen}");
    let probe = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if probe.get(format!("{proxy}/healthz")).send().await.is_ok_and(|r| r.status() == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let log = || std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
    assert!(up, "nginx did not come up:\n{}", log());

    let (a, b) = (Browser::at("127.0.0.2", &proxy, &app.base), Browser::at("127.0.0.3", &proxy, &app.base));
    for _ in 0..3 {
        assert_eq!(a.fail_login(None).await, 401);
    }
    // Every connection comes from nginx, yet the second client is not refused for the first one's
    // failures: the proxy named each.
    assert_eq!(a.fail_login(None).await, 429, "the first client is refused");
    assert_eq!(b.fail_login(None).await, 401, "the second client counts apart");
    // Writing the header itself does not make the first client someone else: nginx appends the
    // address it came from, and Partyday reads that last entry.
    assert_eq!(a.fail_login(Some("203.0.113.7")).await, 429);
}
