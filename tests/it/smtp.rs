//! A small SMTP server for the tests, on loopback: it speaks enough ESMTP for lettre (EHLO, MAIL,
//! RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), keeps what it received, and can be told to
//! refuse: with a temporary 451 for the next N messages, or a permanent 550 for everything.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// One message as received: the envelope and the raw data.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct Behaviour {
    temporary_failures: usize,
    permanent: bool,
    /// Connections opened before this instant wait this long before the greeting.
    stall: Option<(std::time::Instant, Duration)>,
    /// Stalled sessions not over yet.
    stalled_open: usize,
}

#[derive(Clone, Default)]
pub struct SmtpServer {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    behaviour: Arc<Mutex<Behaviour>>,
}

impl SmtpServer {
    pub async fn start() -> SmtpServer {
        Self::start_on(0).await
    }

    /// A port nobody listens on (yet).
    pub async fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
    }

    pub async fn start_on(port: u16) -> SmtpServer {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let server = SmtpServer { port: listener.local_addr().unwrap().port(), ..Default::default() };
        let s = server.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let s = s.clone();
                tokio::spawn(async move {
                    let _ = s.session(socket).await;
                });
            }
        });
        server
    }

    /// The app's configuration that sends here.
    pub fn config(&self) -> String {
        Self::config_for(self.port)
    }

    pub fn config_for(port: u16) -> String {
        format!(
            "[mail]\ntransport = \"smtp\"\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsmtp_security = \"none\"\nretry_base_seconds = 1\nfrom = \"党支部 <party@hma.example.org>\"\n",
            port
        )
    }

    pub fn fail_next(&self, n: usize) {
        self.behaviour.lock().unwrap().temporary_failures = n;
    }

    /// For the next `window`, every new connection hangs for `delay` before the server greets it
    /// (an overloaded server); a client that gives up meanwhile delivers nothing through it.
    pub fn stall_new_connections(&self, window: Duration, delay: Duration) {
        self.behaviour.lock().unwrap().stall = Some((std::time::Instant::now() + window, delay));
    }

    pub fn refuse_all(&self, yes: bool) {
        self.behaviour.lock().unwrap().permanent = yes;
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) until at least `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..150 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} messages, the SMTP server got {}", self.received().len());
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let stall = {
            let mut b = self.behaviour.lock().unwrap();
            let stall = b.stall.filter(|(until, _)| std::time::Instant::now() < *until);
            b.stalled_open += usize::from(stall.is_some());
            stall
        };
        let Some((_, delay)) = stall else { return self.converse(socket).await };
        tokio::time::sleep(delay).await;
        let result = self.converse(socket).await;
        self.behaviour.lock().unwrap().stalled_open -= 1;
        result
    }

    /// Waits (up to 15 s) until every stalled session is over: whatever they were going to
    /// deliver has arrived by then.
    pub async fn stalls_over(&self) {
        for _ in 0..150 {
            if self.behaviour.lock().unwrap().stalled_open == 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("stalled SMTP sessions still open");
    }

    async fn converse(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read);
        write.write_all(b"220 test.localhost ESMTP\r\n").await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let verb = command.split(' ').next().unwrap_or("").to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-test.localhost\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n",
                "HELO" | "NOOP" => b"250 OK\r\n",
                "RSET" => {
                    (from, to) = (String::new(), Vec::new());
                    b"250 OK\r\n"
                }
                "MAIL" => {
                    from = address(&command);
                    b"250 OK\r\n"
                }
                "RCPT" => {
                    let mut b = self.behaviour.lock().unwrap();
                    if b.permanent {
                        b"550 5.1.1 mailbox unavailable\r\n"
                    } else if b.temporary_failures > 0 {
                        b.temporary_failures -= 1;
                        b"451 4.3.0 try again later\r\n"
                    } else {
                        to.push(address(&command));
                        b"250 OK\r\n"
                    }
                }
                "DATA" => {
                    write.write_all(b"354 go ahead\r\n").await?;
                    let mut data = String::new();
                    loop {
                        line.clear();
                        if lines.read_line(&mut line).await? == 0 {
                            return Ok(());
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    }
                    let envelope = Received { from: from.clone(), to: std::mem::take(&mut to), data };
                    self.received.lock().unwrap().push(envelope);
                    b"250 OK queued\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => b"502 command not implemented\r\n",
            };
            write.write_all(reply).await?;
        }
    }
}

fn address(command: &str) -> String {
    command.split(['<', '>']).nth(1).unwrap_or_default().to_owned()
}

/// The decoded parts of a MIME message, by content type (without parameters), with the full
/// Content-Type header value as the second element.
pub fn parts(data: &str) -> HashMap<String, (String, String)> {
    let mut out = HashMap::new();
    let boundaries: Vec<String> = data
        .match_indices("boundary=\"")
        .map(|(i, m)| data[i + m.len()..].split('"').next().unwrap().to_owned())
        .collect();
    let mut chunks = vec![data.to_owned()];
    for b in &boundaries {
        let marker = format!("--{b}");
        chunks = chunks.iter().flat_map(|c| c.split(marker.as_str()).map(str::to_owned).collect::<Vec<_>>()).collect();
    }
    for chunk in chunks {
        let Some((head, body)) = chunk.split_once("\r\n\r\n") else { continue };
        let header = |name: &str| {
            head.lines()
                .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
                .map(|l| l[name.len() + 1..].trim().to_owned())
        };
        let Some(content_type) = header("Content-Type") else { continue };
        if content_type.starts_with("multipart/") {
            continue;
        }
        let body = body.trim_end_matches("--\r\n").trim_end();
        let decoded = match header("Content-Transfer-Encoding").as_deref() {
            Some("base64") => {
                let compact: String = body.split_whitespace().collect();
                String::from_utf8(base64::engine::general_purpose::STANDARD.decode(compact).unwrap()).unwrap()
            }
            Some("quoted-printable") => quoted_printable(body),
            _ => body.to_owned(),
        };
        let kind = content_type.split(';').next().unwrap().trim().to_owned();
        out.insert(kind, (decoded, content_type));
    }
    out
}

fn quoted_printable(s: &str) -> String {
    let mut bytes = Vec::new();
    let raw = s.replace("=\r\n", "");
    let b = raw.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'='
            && i + 2 < b.len()
            && let Ok(v) = u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or(""), 16)
        {
            bytes.push(v);
            i += 3;
            continue;
        }
        bytes.push(b[i]);
        i += 1;
    }
    String::from_utf8(bytes).unwrap()
}

/// The value of a header of the message's top part, unfolded, with RFC 2047 words decoded.
pub fn header(data: &str, name: &str) -> Option<String> {
    let head = data.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let raw = unfolded
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with(&format!("{}:", name.to_ascii_lowercase())))
        .map(|l| l[name.len() + 1..].trim().to_owned())?;
    Some(
        raw.split(' ')
            .map(|word| match word.strip_prefix("=?utf-8?b?").or(word.strip_prefix("=?UTF-8?B?")) {
                Some(rest) => {
                    let b64 = rest.trim_end_matches("?=");
                    String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap()
                }
                None => format!("{word} "),
            })
            .collect::<String>()
            .trim()
            .to_owned(),
    )
}
