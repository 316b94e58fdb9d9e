#!/usr/bin/env python3
"""Every page, before and after: crawls two Partyday binaries over copies of one demo database and
compares what they serve, byte for byte after a short, explicit list of normalisations.

Run through bench/pages (which owns the temporary directory and cleans up); see its header.
Python 3.11 standard library only.

How the two sides are made alike, so that almost nothing needs normalising:
- one data directory (SQLite database with the demo, calendar feeds and sent invitations,
  secret.key, mail folder) is made once by the OLD binary (make_seed) and copied for each side:
  same rows, same ids, same tokens, same signing secret;
- both servers get the same public address (app.base_url), so absolute links, check-in QR codes
  and feed addresses are the same although the ports differ;
- every client sends the same pd_csrf cookie, so the form tokens (an HMAC of that cookie under
  the shared secret) are the same on both sides without being masked;
- background workers are off while crawling (no mail sent, no event ended, no session purged);
- each page is requested from both servers at the same moment (two threads), so pages showing
  something derived from "now" (today's date, "in 2 days", the current month) agree; a page that
  still differs is fetched again once, and only a difference that persists counts (those that
  went away are listed as "flaky").
"""
from __future__ import annotations

import argparse
import difflib
import email
import email.policy
import glob
import hashlib
import html
import html.parser
import http.client
import io
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

BASE_URL = "http://partyday.test"  # the public address both servers are told they have
BASE_NETLOC = "partyday.test"
CSRF_COOKIE = "bench-pages-" + "0" * 31  # 43 characters: what csrf::plausible_cookie accepts
PASSWORD = "partyday-demo"
IDENTITIES = [
    ("visitor", None),
    ("admin", "admin@demo.partyday.org"),
    ("secretary", "secretary@demo.partyday.org"),
    ("secretary2", "secretary2@demo.partyday.org"),
    ("member", "member@demo.partyday.org"),
]
LANGS = ["zh-CN", "en"]
# Links never followed: /logout is a state change (POST anyway); GET /locale is the visitors'
# language switch, which would change the crawler's language cookie in the middle of a crawl.
SKIP_PATHS = {"/logout", "/locale"}
# Response headers that are part of a page's output (Date, Set-Cookie, Content-Length are not).
KEPT_HEADERS = ["content-type", "content-disposition", "location", "cache-control", "etag", "last-modified"]
# At most this many query strings per path: the calendar's "next month" link alone is an endless
# chain, and list filters multiply; the first ones in crawl order are kept.
QUERIES_PER_PATH = int(os.environ.get("PAGES_QUERIES_PER_PATH", "30"))
TIMEOUT = 180  # seconds per request: a debug build is slow on some pages

STOP = threading.Event()


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---- servers ---------------------------------------------------------------------------------


class Server:
    """One `partyday serve` on a data directory, on a port the system picks (server.addr :0)."""

    live: list["Server"] = []
    pidfile: str | None = None

    def __init__(self, binary: str, data_dir: str, name: str, demo: bool = False, dispatcher: bool = False):
        self.name = name
        self.log_path = os.path.join(os.path.dirname(data_dir), f"{name}.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PARTYDAY")}
        env.update(
            PARTYDAY__SERVER__ADDR="127.0.0.1:0",
            PARTYDAY__APP__BASE_URL=BASE_URL,
            PARTYDAY__APP__DATA_DIR=data_dir,
            PARTYDAY__DATABASE__URL=f"sqlite://{data_dir}/partyday.db?mode=rwc",
            PARTYDAY__WORKERS__DISPATCHER=str(dispatcher).lower(),
            PARTYDAY__WORKERS__EVENT_CLOCK="false",
            PARTYDAY__WORKERS__HOUSEKEEPING="false",
            RUST_LOG="warn",
        )
        args = [binary, "serve"] + (["--demo"] if demo else [])
        self.logf = open(self.log_path, "wb")
        # Started in the data directory, which has no config/ of its own: only the built-in
        # defaults and the variables above apply.
        self.proc = subprocess.Popen(
            args, cwd=data_dir, env=env, stdout=self.logf, stderr=subprocess.STDOUT, start_new_session=True
        )
        Server.live.append(self)
        Server.write_pidfile()
        self.port = self._wait_port()
        self._wait_health()

    @classmethod
    def write_pidfile(cls) -> None:
        if cls.pidfile:
            with open(cls.pidfile + ".tmp", "w") as f:
                f.write("".join(f"{s.proc.pid}\n" for s in cls.live))
            os.replace(cls.pidfile + ".tmp", cls.pidfile)

    def _fail(self, why: str) -> None:
        with open(self.log_path, "rb") as f:
            tail = f.read()[-3000:].decode("utf-8", "replace")
        raise RuntimeError(f"{self.name}: {why}\n--- {self.log_path} ---\n{tail}")

    def _wait_port(self) -> int:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and not STOP.is_set():
            with open(self.log_path, "rb") as f:
                m = re.search(rb"listening on 127\.0\.0\.1:(\d+)", f.read())
            if m:
                return int(m.group(1))
            if self.proc.poll() is not None:
                self._fail(f"exited with {self.proc.returncode} before listening")
            time.sleep(0.2)
        self._fail("did not start listening")
        raise AssertionError

    def _wait_health(self) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not STOP.is_set():
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self._fail("/healthz did not answer 200")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        if self in Server.live:
            Server.live.remove(self)
        Server.write_pidfile()

    @classmethod
    def stop_all(cls) -> None:
        for s in list(cls.live):
            s.stop()


# ---- HTTP ------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class Client:
    """A browser of one person on one server: keep-alive connection and a cookie jar."""

    def __init__(self, port: int):
        self.port = port
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {"pd_csrf": CSRF_COOKIE}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        headers = {"User-Agent": "partyday-bench-pages", "Accept": "*/*"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in sorted(self.cookies.items()))
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"  # the address used (csrf::origin_allowed)
        for attempt in range(3):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
                self.conn.request(method, path, body=body, headers=headers)
                r = self.conn.getresponse()
                data = r.read()
                break
            except (http.client.HTTPException, ConnectionError, OSError):
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                if attempt == 2:
                    raise
                time.sleep(0.5)
        for raw in r.msg.get_all("Set-Cookie") or []:
            pair, _, attrs = raw.partition(";")
            name, _, value = pair.strip().partition("=")
            if not value or re.search(r"(?i)max-age=0\b", attrs):
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        kept = {h: r.getheader(h) for h in KEPT_HEADERS if r.getheader(h) is not None}
        return Response(r.status, kept, data)


class Pair:
    """The same person on the old and on the new server; every request goes to both at once."""

    def __init__(self, old_port: int, new_port: int, pool: ThreadPoolExecutor):
        self.old = Client(old_port)
        self.new = Client(new_port)
        self.pool = pool

    def both(self, method: str, path: str, form=None) -> tuple[Response, Response]:
        fo = self.pool.submit(self.old.request, method, path, form)
        fn = self.pool.submit(self.new.request, method, path, form)
        return fo.result(), fn.result()


# ---- links -----------------------------------------------------------------------------------


class LinkParser(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("href", "src") and v:
                self.links.append(v)


# The public address written out as text: the check-in QR code's address under the code, links in
# the messages of the mail folder.
ABSOLUTE = re.compile(re.escape(BASE_URL) + r"/[^\s\"'<>()\[\]]*")


def links_of(page_path: str, resp: Response) -> set[str]:
    """Same-origin GET links (href and src, and our address as text) of an HTML page, as
    path?query, fragments dropped."""
    if not resp.content_type.startswith("text/html"):
        return set()
    text = resp.body.decode("utf-8", "replace")
    p = LinkParser()
    try:
        p.feed(text)
        p.close()
    except Exception:  # a broken page is reported by the comparison, not here
        pass
    return same_origin(page_path, p.links + [html.unescape(u) for u in ABSOLUTE.findall(text)])


def same_origin(page_path: str, links: list[str]) -> set[str]:
    out = set()
    here = BASE_URL + page_path
    for raw in links:
        raw = raw.strip()
        if raw.startswith("webcal://"):  # a calendar feed's "open in the calendar app" link
            raw = "http://" + raw[len("webcal://") :]
        u = urllib.parse.urlsplit(urllib.parse.urljoin(here, raw))
        if u.scheme not in ("http", "https") or u.netloc != BASE_NETLOC:
            continue
        if u.path in SKIP_PATHS:
            continue
        out.add(u.path + (f"?{u.query}" if u.query else ""))
    return out


# ---- normalisation ---------------------------------------------------------------------------

# The whole list. Everything else must be byte-identical.
# 1. iCalendar DTSTAMP: RFC 5545 wants the time the object was made, and every calendar download
#    (an event's event.ics, the calendar feeds: events::service::feeds::calendar_of) stamps each
#    VEVENT with the request's "now", to the second.
DTSTAMP = re.compile(rb"^DTSTAMP:\d{8}T\d{6}Z\r?$", re.M)
# 2. XLSX/DOCX are zip packages: compared entry by entry (name and content), not as the zip's
#    bytes, and docProps/core.xml's creation/modification times, which rust_xlsxwriter sets to
#    the time the file was written, are masked.
CORE_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)")


def normalise(resp: Response) -> bytes:
    head = [f"HTTP {resp.status}"] + [f"{h}: {resp.headers[h]}" for h in KEPT_HEADERS if h in resp.headers]
    body = resp.body
    ct = resp.content_type
    if ct.startswith("text/calendar"):
        body = DTSTAMP.sub(b"DTSTAMP:<now>", body)
    elif body.startswith(b"PK\x03\x04"):
        body = unzip_listing(body)
    return ("\n".join(head) + "\n\n").encode() + body


def unzip_listing(data: bytes) -> bytes:
    out = io.BytesIO()
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return data
    for info in z.infolist():
        content = z.read(info)
        if info.filename == "docProps/core.xml":
            content = CORE_TIMES.sub(rb"\1<now>\2", content)
        out.write(f"=== zip entry {info.filename} ({len(content)} bytes) ===\n".encode())
        out.write(content if is_text(content) else f"<binary sha256 {hashlib.sha256(content).hexdigest()}>".encode())
        out.write(b"\n")
    return out.getvalue()


def is_text(b: bytes) -> bool:
    if b"\x00" in b:
        return False
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def escape_path(path: str) -> str:
    name = urllib.parse.quote(path, safe="")
    if len(name) > 180:
        name = name[:140] + "~" + hashlib.sha1(path.encode()).hexdigest()[:16]
    return name


# ---- crawl -----------------------------------------------------------------------------------


@dataclass
class Result:
    identity: str
    lang: str
    pages: int = 0
    differ: list[str] = field(default_factory=list)
    flaky: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    capped: bool = False


class Crawl:
    def __init__(self, out_dir: str, cap: int):
        self.out_dir = out_dir
        self.cap = cap
        self.diff_text: list[str] = []

    def record(self, res: Result, label: str, pair: Pair, method: str, path: str, form=None):
        """Requests `path` on both sides, saves both, compares; returns both responses."""
        ro, rn = pair.both(method, path, form)
        a, b = normalise(ro), normalise(rn)
        if a != b and method == "GET":
            # A second or minute boundary between the two answers: asked again at once, from both.
            ro2, rn2 = pair.both(method, path, form)
            a2, b2 = normalise(ro2), normalise(rn2)
            if a2 == b2:
                res.flaky.append(label)
                ro, rn, a, b = ro2, rn2, a2, b2
        name = escape_path(label)
        for side, data in (("old", a), ("new", b)):
            d = os.path.join(self.out_dir, side, res.identity, res.lang)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
        res.pages += 1
        res.statuses[ro.status] = res.statuses.get(ro.status, 0) + 1
        if a != b:
            res.differ.append(label)
            self.diff_text.extend(diff_lines(f"{res.identity}/{res.lang}{label}", a, b))
        return ro, rn

    def sign_in(self, res: Result, pair: Pair, address: str) -> None:
        ro, rn = self.record(res, "/login", pair, "GET", "/login")
        token = form_token(ro.body)
        # Signed in on both at the same time (and not in a minute's last seconds): the account's
        # "last login", shown to the minute, is then the same on both sides.
        while time.localtime().tm_sec >= 55:
            time.sleep(0.5)
        form = {"_csrf": token, "email": address, "password": PASSWORD, "next": "/"}
        ro, rn = self.record(res, "POST /login", pair, "POST", "/login", form)
        for side, r, c in (("old", ro, pair.old), ("new", rn, pair.new)):
            if r.status != 303 or "pd_session" not in c.cookies:
                raise RuntimeError(f"{side}: signing in as {address} failed: HTTP {r.status} {r.headers}")

    def switch_language(self, res: Result, pair: Pair, lang: str, signed_in: bool) -> None:
        if signed_in:
            # The account's language (which wins over the cookie): a form with its token.
            ro, _ = pair.both("GET", "/")
            form = {"_csrf": form_token(ro.body), "locale": lang, "next": "/"}
            self.record(res, "POST /locale", pair, "POST", "/locale", form)
        else:
            self.record(res, f"/locale?locale={lang}&next=/", pair, "GET", f"/locale?locale={lang}&next=%2F")
        for side, c in (("old", pair.old), ("new", pair.new)):
            if signed_in or c.cookies.get("pd_lang") == lang:
                continue
            raise RuntimeError(f"{side}: the language switch to {lang} did not set pd_lang")

    def crawl(self, res: Result, pair: Pair, roots: list[str]) -> None:
        """Breadth-first from /, each level in sorted order, links of both sides followed."""
        level = ["/"] + [r for r in roots if r != "/"]
        seen = set(level)
        queries: dict[str, int] = {}
        while level:
            nxt: set[str] = set()
            for path in level:
                if STOP.is_set():
                    raise KeyboardInterrupt
                if res.pages >= self.cap:
                    res.capped = True
                    return
                ro, rn = self.record(res, path, pair, "GET", path)
                for link in links_of(path, ro) | links_of(path, rn):
                    if link not in seen:
                        seen.add(link)
                        nxt.add(link)
            level = []
            for link in sorted(nxt):
                base, query = link.split("?", 1) if "?" in link else (link, "")
                if query:
                    queries[base] = queries.get(base, 0) + 1
                    if queries[base] > QUERIES_PER_PATH:
                        continue
                level.append(link)


def diff_lines(label: str, a: bytes, b: bytes) -> list[str]:
    if is_text(a) and is_text(b):
        return list(
            difflib.unified_diff(
                a.decode().splitlines(),
                b.decode().splitlines(),
                f"old/{label}",
                f"new/{label}",
                n=2,
                lineterm="",
            )
        )
    ha, hb = hashlib.sha256(a).hexdigest()[:16], hashlib.sha256(b).hexdigest()[:16]
    return [f"--- old/{label}", f"+++ new/{label}", f"binary: {len(a)} bytes sha256 {ha}… vs {len(b)} bytes sha256 {hb}…"]


# ---- main ------------------------------------------------------------------------------------


def make_seed(binary: str, work: str) -> tuple[str, list[str]]:
    """The data directory both sides copy: `serve --demo` until it answers, with two additions
    made once, here, so that both sides serve them alike:
    - a calendar feed of each demo account and of one branch each (the demo has none), for
      /feeds/TOKEN.ics;
    - the mail dispatcher sends the demo's queued invitations into the mail folder (DATA_DIR/mail,
      the default transport): their answer links (/answer/TOKEN) are the visitors' way in to the
      answer page. Returns those links: one invitation per event (the lowest outbox id).
    Then SIGTERM, once no new message has been written for 3 seconds."""
    seed = os.path.join(work, "seed")
    os.makedirs(seed)
    t = time.monotonic()
    server = Server(binary, seed, "seed", demo=True, dispatcher=True)
    feeds = 0
    for _, email_address in IDENTITIES:
        if not email_address:
            continue
        c = Client(server.port)
        token = form_token(c.request("GET", "/login").body)
        r = c.request("POST", "/login", {"_csrf": token, "email": email_address, "password": PASSWORD, "next": "/"})
        if r.status != 303 or "pd_session" not in c.cookies:
            raise RuntimeError(f"seed: signing in as {email_address} failed: HTTP {r.status}")
        page = c.request("GET", "/calendar/feeds").body
        owners = sorted(set(re.findall(rb'name="owner" value="(member)"', page)))
        owners += re.findall(rb'<option value="(branch:\d+)"', page)[:1]
        for owner in owners:
            r = c.request("POST", "/calendar/feeds/renew", {"_csrf": form_token(page), "owner": owner.decode()})
            if r.status != 303:
                raise RuntimeError(f"seed: {email_address}: making the {owner.decode()} feed failed: HTTP {r.status}")
            feeds += 1
    mail_dir = os.path.join(seed, "mail")
    count, stable_since, deadline = -1, time.monotonic(), time.monotonic() + 300
    while time.monotonic() < deadline and not STOP.is_set():
        n = len(os.listdir(mail_dir)) if os.path.isdir(mail_dir) else 0
        if n != count:
            count, stable_since = n, time.monotonic()
        elif time.monotonic() - stable_since >= 3:
            break
        time.sleep(0.5)
    server.stop()
    links = mail_links(mail_dir)
    log(
        f"pages: demo data, {feeds} calendar feeds and {count} messages made in {time.monotonic() - t:.1f} s;"
        f" {len(links)} links from the messages"
    )
    return seed, links


def mail_links(mail_dir: str) -> list[str]:
    """Our links in one invitation per event (files are KIND.OUTBOX_ID.eEVENT_ID.eml)."""
    first: dict[int, tuple[int, str]] = {}
    for path in glob.glob(os.path.join(mail_dir, "invitation.*.e*.eml")):
        m = re.fullmatch(r"invitation\.(\d+)\.e(\d+)\.eml", os.path.basename(path))
        if m:
            outbox_id, event_id = int(m.group(1)), int(m.group(2))
            if event_id not in first or outbox_id < first[event_id][0]:
                first[event_id] = (outbox_id, path)
    found: set[str] = set()
    for _, path in first.values():
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                text = part.get_content()
                found |= same_origin("/", [html.unescape(u) for u in ABSOLUTE.findall(text)])
    return sorted(found)


def form_token(page: bytes) -> str:
    m = re.search(rb'name="_csrf" value="([^"]*)"', page)
    if not m:
        raise RuntimeError("no _csrf field on the page")
    return m.group(1).decode()


def mutate_for_selftest(data_dir: str) -> str:
    """The --selftest change on the new side: one branch's name, which pages show."""
    db = sqlite3.connect(os.path.join(data_dir, "partyday.db"))
    with db:
        # The branch of the newest published activity report: visitors see it too.
        row = db.execute(
            "SELECT b.id, b.name FROM branches b JOIN reports r ON r.branch_id = b.id "
            "WHERE r.state = 'published' ORDER BY r.published_at DESC, r.id DESC LIMIT 1"
        ).fetchone() or db.execute("SELECT id, name FROM branches ORDER BY id LIMIT 1").fetchone()
        db.execute("UPDATE branches SET name = name || ' SELFTEST' WHERE id = ?", (row[0],))
    db.close()
    return f"branch {row[0]} {row[1]!r} renamed {row[1] + ' SELFTEST'!r} on the new side"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--work", required=True, help="scratch directory (owned by bench/pages)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--cap", type=int, default=int(os.environ.get("PAGES_CAP", "2000")))
    ap.add_argument("--selftest", action="store_true", help="change a branch name on the new side: must differ")
    args = ap.parse_args()
    Server.pidfile = os.path.join(args.work, "pids")

    def on_signal(signum, _frame):
        STOP.set()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    started = time.monotonic()
    # Copies of the binaries: a build into the same target directory cannot swap them mid-run.
    bins = {}
    for side, path in (("old", args.old), ("new", args.new)):
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            log(f"pages: {path} is not an executable file")
            return 2
    bins["old"] = os.path.join(args.work, "partyday-old")
    shutil.copy2(args.old, bins["old"])
    if os.path.samefile(args.old, args.new):
        bins["new"] = bins["old"]
    else:
        bins["new"] = os.path.join(args.work, "partyday-new")
        shutil.copy2(args.new, bins["new"])

    seed, mail_links = make_seed(bins["old"], args.work)
    dirs = {}
    for side in ("old", "new"):
        dirs[side] = os.path.join(args.work, f"data-{side}")
        shutil.copytree(seed, dirs[side])
    note = mutate_for_selftest(dirs["new"]) if args.selftest else None
    if note:
        log(f"pages: selftest: {note}")

    if os.path.exists(args.out):
        for side in ("old", "new"):
            shutil.rmtree(os.path.join(args.out, side), ignore_errors=True)
    os.makedirs(args.out, exist_ok=True)
    servers = {side: Server(bins[side], dirs[side], f"server-{side}") for side in ("old", "new")}
    log(f"pages: old on port {servers['old'].port}, new on port {servers['new'].port}")

    crawl = Crawl(args.out, args.cap)
    results: list[Result] = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for identity, address in IDENTITIES:
            pair = Pair(servers["old"].port, servers["new"].port, pool)
            signed_in = False
            for lang in LANGS:
                res = Result(identity, lang)
                t = time.monotonic()
                if address and not signed_in:
                    crawl.sign_in(res, pair, address)
                    signed_in = True
                crawl.switch_language(res, pair, lang, bool(address))
                crawl.crawl(res, pair, mail_links if identity == "visitor" else [])
                results.append(res)
                log(
                    f"pages: {identity:<10} {lang:<5} {res.pages:4d} pages, {len(res.differ)} differ"
                    f" ({time.monotonic() - t:.0f} s)"
                )
    Server.stop_all()

    # ---- summary
    lines = [f"bench/pages: {args.old} (old) vs {args.new} (new)"]
    if note:
        lines.append(f"selftest: {note}")
    lines.append("")
    lines.append(f"{'identity':<11}{'lang':<7}{'pages':>6}{'differ':>8}{'flaky':>7}  statuses")
    total = differ = 0
    for r in results:
        st = " ".join(f"{k}:{v}" for k, v in sorted(r.statuses.items()))
        cap = "  (cap reached)" if r.capped else ""
        lines.append(f"{r.identity:<11}{r.lang:<7}{r.pages:>6}{len(r.differ):>8}{len(r.flaky):>7}  {st}{cap}")
        total += r.pages
        differ += len(r.differ)
    lines.append(f"{'total':<18}{total:>6}{differ:>8}{sum(len(r.flaky) for r in results):>7}")
    lines.append(f"time: {time.monotonic() - started:.0f} s; pages saved under {args.out}/{{old,new}}/IDENTITY/LANG/")
    flaky = [f"{r.identity}/{r.lang}{p}" for r in results for p in r.flaky]
    if flaky:
        lines.append("differed once, the same when fetched again at once (a time boundary between the two?):")
        lines.extend(f"  {p}" for p in flaky)
    differing = [f"{r.identity}/{r.lang}{p}" for r in results for p in r.differ]
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write("\n".join(lines + ["", "differing pages:"] + [f"  {p}" for p in differing]) + "\n")
    with open(os.path.join(args.out, "diff.txt"), "w") as f:
        f.write("\n".join(crawl.diff_text) + ("\n" if crawl.diff_text else ""))
    if differing:
        lines += ["", f"differing pages ({len(differing)}; all in {args.out}/summary.txt):"]
        lines += [f"  {p}" for p in differing[:30]] + (["  ..."] if len(differing) > 30 else [])
        lines += ["", f"unified diff, first 200 lines (all {len(crawl.diff_text)} in {args.out}/diff.txt):"]
        lines += crawl.diff_text[:200]
    print("\n".join(lines))
    if args.selftest:
        # Passes when the renamed branch shows: in differences, and only there.
        marked = sum(1 for line in crawl.diff_text if line.startswith("+") and "SELFTEST" in line)
        if differ and marked:
            print(f"\nSELFTEST PASSED: the change shows on {differ} of {total} pages ({marked} diff lines)")
            return 0
        print(f"\nSELFTEST FAILED: {differ} pages differ, {marked} diff lines show the change")
        return 1
    if differ:
        print(f"\nDIFFERENT: {differ} of {total} pages differ")
        return 1
    print(f"\nSAME: all {total} pages are identical")
    return 0


if __name__ == "__main__":
    try:
        code = main()
    except KeyboardInterrupt:
        log("pages: interrupted")
        code = 130
    except RuntimeError as e:
        log(f"pages: {e}")
        code = 2
    finally:
        Server.stop_all()
    sys.exit(code)
