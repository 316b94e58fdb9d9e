#!/usr/bin/env python3
"""The load and the checks of bench/soak (read that script's header first). Standard library only;
the database is read with psql. All traffic goes to 127.0.0.1.

  soak.py load  STATE_DIR   sets up the soak's events through the web, then runs the load until
                            $SOAK_LOAD_UNTIL (unix time); writes STATE_DIR/plan.json and
                            STATE_DIR/journal.jsonl (one line per request)
  soak.py settle STATE_DIR  waits (bounded) until the outbox is empty and the ended events are
                            finalised and drafted, with both instances up and nothing killed
  soak.py check STATE_DIR   reads everything back and prints the summary; exit status 1 on any
                            failed check

Environment (set by bench/soak): SOAK_URLS (space-separated base URLs of the instances),
SOAK_PSQL_URL (postgres://… of the soak's database), SOAK_SINK_RECORD (the SMTP sink's record),
SOAK_EVENTS_LOG (kill and restart times), SOAK_MEM_LOG (memory samples), SOAK_LOGS (instance logs),
SOAK_LOAD_UNTIL, SOAK_RATE (load multiplier, default 1), SOAK_MEM_BUDGET_MB (150), SOAK_BATCH
(mail.batch), SOAK_RESEND_PER_KILL (re-sends allowed per kill, mail.batch by default),
SOAK_SETTLE_SECONDS.
"""
import html
import html.parser
import http.client
import json
import os
import random
import re
import select
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone

ADMIN = ("admin@demo.partyday.org", "partyday-demo")
SHANGHAI = timezone(timedelta(hours=8))  # the generated association's zone (no daylight saving)
URLS = os.environ.get("SOAK_URLS", "http://127.0.0.1:18301 http://127.0.0.1:18302").split()
PSQL_URL = os.environ.get("SOAK_PSQL_URL", "")
RATE = float(os.environ.get("SOAK_RATE", "1"))


# ---------------------------------------------------------------------------------------------
# Database reads (psql) and small helpers


def psql(sql):
    """Rows of a query as lists of strings (tab-separated by psql)."""
    out = subprocess.run(
        ["psql", "-X", "-Atq", "-F", "\t", "-v", "ON_ERROR_STOP=1", PSQL_URL, "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line.split("\t") for line in out.splitlines() if line != ""]


def psql_one(sql):
    rows = psql(sql)
    return rows[0][0] if rows else None


def local(dt):
    """A time as the event form takes it: local (Asia/Shanghai), to the minute."""
    return dt.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


def say(*parts):
    print("soak:", *parts, flush=True)


class Fields(html.parser.HTMLParser):
    """The named inputs and textareas of a page (the first of each name), unescaped."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.values = {}
        self._area = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("name") and a["name"] not in self.values:
            self.values[a["name"]] = a.get("value") or ""
        elif tag == "textarea" and a.get("name"):
            self._area = a["name"]
            self.values.setdefault(self._area, "")

    def handle_data(self, data):
        if self._area:
            self.values[self._area] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._area:
            # A textarea's first newline is not part of its value.
            v = self.values[self._area]
            self.values[self._area] = v[1:] if v.startswith("\n") else v
            self._area = None


def form(pairs):
    from urllib.parse import urlencode

    return urlencode(pairs, doseq=True)


# ---------------------------------------------------------------------------------------------
# HTTP: one keep-alive connection per instance per worker, every request journaled


class ConnError(Exception):
    def __init__(self, kind, detail):
        super().__init__(detail)
        self.kind = kind  # "refused": never reached the server; "broken": sent, no answer
        self.detail = detail


class Client:
    def __init__(self, name, journal):
        self.name = name
        self.journal = journal
        self.conns = {}
        self.used = {}
        self.down_until = [0.0] * len(URLS)
        self.turn = random.randrange(len(URLS))

    def pick(self):
        """The next instance in turn, skipping one that failed in the last two seconds."""
        now = time.time()
        for _ in range(len(URLS)):
            self.turn = (self.turn + 1) % len(URLS)
            if self.down_until[self.turn] <= now:
                return self.turn
        return self.turn

    def raw(self, inst, method, path, body=None, headers=None):
        """One request on this worker's connection to instance `inst`. A connection the server
        closed while it sat idle (a kill, a restart) is noticed before it is used, as HTTP
        clients do, and replaced: only a request under way when the server died is "broken"."""
        host, port = URLS[inst].split("://", 1)[1].split(":")
        conn = self.conns.get(inst)
        if conn is not None and (time.time() - self.used.get(inst, 0) > 20 or dropped(conn)):
            conn.close()
            conn = None
        if conn is None:
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            try:
                conn.connect()
            except OSError as e:
                self.conns.pop(inst, None)
                raise ConnError("refused", f"{type(e).__name__}: {e}")
            self.conns[inst] = conn
        try:
            conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            self.conns.pop(inst, None)
            raise ConnError("broken", f"{type(e).__name__}: {e}")
        self.used[inst] = time.time()
        if resp.will_close:
            conn.close()
            self.conns.pop(inst, None)
        return resp.status, resp.headers, data

    def call(self, op, method, path, body=None, headers=None, target=None, marker=None, inst=None, ok=(200, 303)):
        """One journaled request. Returns (outcome, status, body); outcome is ok, refused (a 4xx
        the caller may expect), unexpected (another 4xx), server_error (5xx), conn_refused or
        conn_broken."""
        if inst is None:
            inst = self.pick()
        started = time.time()
        entry = {"t": round(started, 3), "w": self.name, "i": inst, "op": op, "path": path}
        if target is not None:
            entry["target"] = target
        if marker is not None:
            entry["marker"] = marker
        try:
            status, _, data = self.raw(inst, method, path, body, headers)
        except ConnError as e:
            self.down_until[inst] = time.time() + 2
            entry.update(outcome="conn_" + e.kind, detail=e.detail, end=round(time.time(), 3))
            self.journal.append(entry)
            return entry["outcome"], None, b""
        entry["status"] = status
        entry["end"] = round(time.time(), 3)
        if status in ok:
            entry["outcome"] = "ok"
        elif status >= 500:
            entry["outcome"] = "server_error"
            entry["detail"] = data[:300].decode("utf-8", "replace")
        elif status in (409, 422):
            entry["outcome"] = "refused"
            entry["detail"] = refusal(data)
        else:
            entry["outcome"] = "unexpected"
            entry["detail"] = data[:300].decode("utf-8", "replace")
        self.journal.append(entry)
        return entry["outcome"], status, data


def dropped(conn):
    """Whether an idle keep-alive connection was closed by the server (readable means EOF)."""
    if conn.sock is None:
        return True
    readable, _, _ = select.select([conn.sock], [], [], 0)
    return bool(readable)


def refusal(data):
    """The message of a refusal page (or JSON), short."""
    text = data.decode("utf-8", "replace")
    m = re.search(r'"error"\s*:\s*"([^"]*)"', text) or re.search(r'class="(?:error|flash[^"]*)"[^>]*>([^<]*)<', text)
    if m:
        return m.group(1)[:120]
    m = re.search(r"<h1>([^<]*)</h1>", text)
    return (m.group(1) if m else text[:120]).strip()


class Session:
    """The administrator's cookies (one login serves both instances: sessions are in the
    database and the instances share app.secret) and an anonymous visitor's CSRF pair."""

    def __init__(self):
        c = Client("setup", [])
        status, headers, data = c.raw(0, "GET", "/login")
        csrf_cookie = cookie_of(headers, "pd_csrf")
        token = csrf_field(data)
        body = form({"_csrf": token, "email": ADMIN[0], "password": ADMIN[1]})
        status, headers, data = c.raw(
            0,
            "POST",
            "/login",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"pd_csrf={csrf_cookie}"},
        )
        session = cookie_of(headers, "pd_session")
        if status != 303 or not session:
            raise SystemExit(f"soak: could not sign in as the administrator ({status})")
        self.admin_cookie = f"pd_csrf={csrf_cookie}; pd_session={session}"
        self.anon_cookie = f"pd_csrf={csrf_cookie}"
        self.csrf = token

    def admin(self, extra=None):
        h = {"Cookie": self.admin_cookie, "Content-Type": "application/x-www-form-urlencoded"}
        h.update(extra or {})
        return h

    def anon(self):
        return {"Cookie": self.anon_cookie, "Content-Type": "application/x-www-form-urlencoded"}


def cookie_of(headers, name):
    for v in headers.get_all("Set-Cookie") or []:
        k, _, rest = v.partition("=")
        if k.strip() == name:
            return rest.split(";", 1)[0]
    return None


def csrf_field(data):
    m = re.search(rb'name="_csrf" value="([^"]*)"', data)
    if not m:
        raise SystemExit("soak: no CSRF field on the page")
    return m.group(1).decode()


# ---------------------------------------------------------------------------------------------
# Answer-link tokens, read from the SMTP sink's record as the mail arrives


class Tokens:
    """The newest answer-link token of each invitation, from the messages the sink accepted
    (Message-IDs name the invitation: kind.INVITATION[.suffix].eEVENT@host)."""

    def __init__(self, path):
        self.path = path
        self.offset = 0
        self.by_inv = {}
        self.lock = threading.Lock()

    def refresh(self):
        try:
            with open(self.path, encoding="utf-8") as f:
                f.seek(self.offset)
                chunk = f.read()
        except FileNotFoundError:
            return
        end = chunk.rfind("\n") + 1
        self.offset += len(chunk[:end].encode("utf-8"))
        with self.lock:
            for line in chunk[:end].splitlines():
                parts = line.split("\t")
                if len(parts) < 4 or parts[3] == "-":
                    continue
                inv = inv_of(parts[1])
                if inv is not None:
                    self.by_inv[inv] = parts[3]

    def get(self, inv):
        with self.lock:
            return self.by_inv.get(inv)


def inv_of(message_id):
    stem = message_id.split("@", 1)[0].split(".")
    if len(stem) >= 3 and stem[0] in ("invitation", "update", "reminder", "deadline_reminder", "answer_copy", "notice"):
        try:
            return int(stem[1])
        except ValueError:
            return None
    return None


# ---------------------------------------------------------------------------------------------
# Setup: events through the web, as an administrator would make them


def create_event(c, s, branch, kind, title, starts, ends, picks=None, host=None):
    pairs = [
        ("_csrf", s.csrf),
        ("branch_id", branch),
        ("kind", kind),
        ("title", title),
        ("topic", "学习贯彻党的二十届四中全会精神"),
        ("description", "soak"),
        ("starts_at", local(starts)),
        ("ends_at", local(ends)),
        ("location", "党员活动室"),
    ]
    if host:
        pairs += [("host_member_id", host[0]), ("recorder_member_id", host[1])]
    if picks:
        pairs.append(("audience_kind", "members"))
        pairs += [("picks", p) for p in picks]
    else:
        pairs.append(("audience_kind", "branches"))
        pairs += [("statuses", st) for st in ("full", "probationary", "candidate", "activist", "applicant", "non_party")]
    status, headers, data = c.raw(0, "POST", "/events", form(pairs), s.admin())
    loc = headers.get("Location", "")
    m = re.match(r"^/events/(\d+)$", loc)
    if status != 303 or not m:
        raise SystemExit(f"soak: creating an event answered {status} {loc}: {refusal(data)}")
    event = int(m.group(1))
    status, _, data = c.raw(1 % len(URLS), "POST", f"/events/{event}/schedule", form({"_csrf": s.csrf}), s.admin())
    if status != 303:
        raise SystemExit(f"soak: scheduling event {event} answered {status}: {refusal(data)}")
    return event


def setup(state):
    short = os.environ.get("SOAK_SHORT") == "1"
    until = float(os.environ["SOAK_LOAD_UNTIL"])
    load_from = float(os.environ["SOAK_LOAD_FROM"])
    s = Session()
    c = Client("setup", [])
    branches = psql("SELECT id, code FROM branches WHERE code LIKE 'BIG-%' ORDER BY code")
    ids = [int(b[0]) for b in branches]
    if len(ids) < 8:
        raise SystemExit("soak: the generated association needs at least 8 branches")
    members = defaultdict(list)
    for m, b in psql("SELECT id, branch_id FROM members ORDER BY id"):
        members[int(b)].append(int(m))
    now = datetime.now(timezone.utc)
    plan = {"db_start": psql_one("SELECT now()"), "started": time.time(), "load_from": load_from, "until": until}
    # What the run adds is told by id (generate-bench dates some rows ahead, e.g. cancellations).
    plan["before"] = {
        t: int(psql_one(f"SELECT COALESCE(MAX(id), 0) FROM {t}"))
        for t in ("outbox", "attendance_log", "minutes_revisions", "reports")
    }

    # Answer events: whole branches, three days ahead; answered by link, with leave requests.
    n_answer = 2 if short else 4
    plan["answer_events"] = []
    for k in range(n_answer):
        b = ids[1 + k]
        e = create_event(c, s, b, "theme_party_day", f"soak 作答 {k + 1}", now + timedelta(days=3), now + timedelta(days=3, hours=2))
        plan["answer_events"].append(e)

    # Clock events: under way (started ten minutes ago, so check-in is open), each ending at a
    # minute boundary during the load, two per boundary: a theme party day (its report is
    # drafted when it ends) and a branch committee meeting (not drafted by default). Their
    # organising branch gets a secretary (with an email) to be told of the drafts.
    clock_branch = ids[1 + n_answer]
    secretary = members[clock_branch][0]
    status, _, data = c.raw(
        0,
        "POST",
        f"/branches/{clock_branch}/officers",
        # From yesterday (local): the draft notices find serving secretaries by the UTC date.
        form({"_csrf": s.csrf, "member_id": secretary, "role": "secretary", "from_on": (now.astimezone(SHANGHAI) - timedelta(days=1)).strftime("%Y-%m-%d")}),
        s.admin(),
    )
    if status != 303:
        raise SystemExit(f"soak: appointing a secretary answered {status}: {refusal(data)}")
    # The draft notice links to a page behind sign-in: only a secretary with an account is told.
    status, headers, data = c.raw(
        0,
        "POST",
        "/admin/accounts",
        form({"_csrf": s.csrf, "email": "soak-secretary@bench.example.org", "display_name": "soak secretary",
              "role": "secretary", "password": "soak-password-2026", "password_confirm": "soak-password-2026"}),
        s.admin(),
    )
    if status != 303:
        raise SystemExit(f"soak: creating the secretary's account answered {status}: {refusal(data)}")
    account_path = headers["Location"].split("?")[0]
    status, _, data = c.raw(0, "POST", f"{account_path}/member", form({"_csrf": s.csrf, "member": psql_one(f"SELECT email FROM members WHERE id = {secretary}")}), s.admin())
    if status != 303:
        raise SystemExit(f"soak: linking the secretary's account answered {status}: {refusal(data)}")
    boundaries = []
    t = (int(load_from) // 60 + 1) * 60
    while t <= until - 8:
        if t >= load_from + 10:
            boundaries.append(t)
        t += 60
    if not boundaries:
        raise SystemExit("soak: no minute boundary falls within the load: run it longer")
    pool = members[clock_branch][1:]
    per_event = 12 if short else 16
    plan["clock_events"] = []
    for n, end in enumerate(boundaries):
        for j, kind in enumerate(("theme_party_day", "branch_committee_meeting")):
            start = now - timedelta(minutes=10)
            picks = [pool[(n * 2 * per_event + j * per_event + i) % len(pool)] for i in range(per_event)]
            e = create_event(
                c,
                s,
                clock_branch,
                kind,
                f"soak 结束 {n + 1}.{j + 1}",
                start,
                datetime.fromtimestamp(end, timezone.utc),
                picks=picks,
                host=(secretary, pool[0]),
            )
            plan["clock_events"].append({"id": e, "ends": end, "kind": kind})

    # Minutes: the last ended events of BIG-001 (created by generate-bench), saved over and over.
    n_minutes = 2 if short else 4
    plan["minutes_events"] = [
        int(r[0])
        for r in psql(
            f"SELECT id FROM events WHERE branch_id = {ids[0]} AND state = 'ended' "
            f"AND id NOT IN (SELECT event_id FROM reports) ORDER BY ends_at DESC LIMIT {n_minutes}"
        )
    ]
    # Reports: the drafts the first start drafted (generated events that ended this week).
    plan["report_events"] = [int(r[0]) for r in psql("SELECT event_id FROM reports WHERE state = 'draft' ORDER BY event_id LIMIT 4")]
    invs = psql(
        "SELECT id, event_id FROM invitations WHERE event_id IN ("
        + ",".join(str(e) for e in plan["answer_events"] + [x["id"] for x in plan["clock_events"]])
        + ") ORDER BY id"
    )
    plan["invitations"] = {int(i): int(e) for i, e in invs}
    first_free = 2 + n_answer
    plan["schedule_branches"] = ids[first_free:]
    plan["admin_account"] = int(psql_one(f"SELECT id FROM accounts WHERE email = '{ADMIN[0]}'"))
    plan["session"] = {"admin": s.admin_cookie, "anon": s.anon_cookie, "csrf": s.csrf}
    plan["reports_before"] = {
        r[0]: {"revision": int(r[1])} for r in psql("SELECT event_id, revision FROM reports ORDER BY event_id")
    }
    with open(os.path.join(state, "plan.json"), "w") as f:
        json.dump(plan, f)
    say(
        f"set up {len(plan['answer_events'])} events to answer, {len(plan['clock_events'])} ending during the load "
        f"(at {', '.join(datetime.fromtimestamp(b).strftime('%H:%M') for b in boundaries)}), "
        f"{len(plan['minutes_events'])} minutes and {len(plan['report_events'])} reports to edit, "
        f"{len(invs)} invitations"
    )
    return plan, s


# ---------------------------------------------------------------------------------------------
# The load: workers, each owning its targets (so that its writes to one target are in order)


class Worker(threading.Thread):
    interval = 1.0

    def __init__(self, name, plan, session, tokens, until, stop):
        super().__init__(name=name, daemon=True)
        self.plan = plan
        self.s = session
        self.tokens = tokens
        self.until = until
        self.stop = stop
        self.journal = []
        self.c = Client(name, self.journal)
        self.seq = 0
        self.error = None

    def marker(self, letter):
        self.seq += 1
        return f"soak-{letter}{self.name[-1]}{self.seq:06d}"

    def run(self):
        try:
            while time.time() < self.until and not self.stop.is_set():
                started = time.time()
                self.step()
                pause = self.interval / RATE - (time.time() - started)
                if pause > 0:
                    self.stop.wait(min(pause, max(0, self.until - time.time())))
        except Exception as e:  # a bug in the soak itself: reported, fails the run
            self.error = f"{type(e).__name__}: {e}"
            import traceback

            traceback.print_exc()

    def step(self):
        raise NotImplementedError


def my_targets(invs, events, part, parts):
    return sorted(i for i, e in invs.items() if e in events and i % parts == part)


class Answers(Worker):
    """Accept or decline by the email's link, again and again (each answer is a write and a
    copy by email). Invitations with id % 4 != 0 of the answer events, shared by id."""

    interval = 0.3

    def __init__(self, k, n, *a):
        super().__init__(f"answers{k}", *a)
        events = set(self.plan["answer_events"])
        self.targets = [i for i, e in sorted(self.plan["invitations"].items()) if e in events and i % 4 and i // 4 % n == k]
        self.n = 0

    def step(self):
        ready = [i for i in self.targets if self.tokens.get(i)]
        if not ready:
            return
        inv = ready[self.n % len(ready)]
        self.n += 1
        answer = random.choice(("accept", "accept", "decline"))
        self.c.call(
            "answer",
            "POST",
            f"/answer/{self.tokens.get(inv)}",
            form({"_csrf": self.s.csrf, "answer": answer}),
            self.s.anon(),
            target=inv,
        )


class Leave(Worker):
    """Asks for leave by link (the reason carries a marker), then the administrator approves or
    rejects it (the note carries a marker). Invitations with id % 4 == 0 of the answer events."""

    interval = 0.6

    def __init__(self, *a):
        super().__init__("leave0", *a)
        invs = self.plan["invitations"]
        self.targets = [i for i, e in sorted(invs.items()) if e in set(self.plan["answer_events"]) and i % 4 == 0]
        self.n = 0
        self.pending = None

    def step(self):
        if self.pending:
            inv, event = self.pending
            self.pending = None
            mk = self.marker("D")
            decision = random.choice(("approve", "reject"))
            self.c.call(
                "leave_decision",
                "POST",
                f"/events/{event}/attendance/{inv}/leave",
                form({"_csrf": self.s.csrf, "decision": decision, "note": mk}),
                self.s.admin(),
                target=inv,
                marker=mk,
            )
            return
        ready = [i for i in self.targets if self.tokens.get(i)]
        if not ready:
            return
        inv = ready[self.n % len(ready)]
        self.n += 1
        mk = self.marker("L")
        outcome, _, _ = self.c.call(
            "leave_request",
            "POST",
            f"/answer/{self.tokens.get(inv)}",
            form({"_csrf": self.s.csrf, "answer": "leave", "reason": mk}),
            self.s.anon(),
            target=inv,
            marker=mk,
        )
        # Decided whatever the outcome: after a broken request, the decision may be refused
        # (no request to decide) or decide it.
        self.pending = (inv, self.plan["invitations"][inv])


class Roster(Worker):
    """Taps on the roster as the administrator: present, then undo, in turn, with a marker as the
    note (after the event ends these are corrections). Even invitations of the clock events."""

    interval = 0.3

    def __init__(self, k, n, *a):
        super().__init__(f"roster{k}", *a)
        clock = {x["id"] for x in self.plan["clock_events"]}
        self.targets = [i for i in my_targets(self.plan["invitations"], clock, 2 * k, 2 * n)]
        self.n = 0
        self.present = set()

    def step(self):
        if not self.targets:
            return
        inv = self.targets[self.n % len(self.targets)]
        self.n += 1
        event = self.plan["invitations"][inv]
        mark = "undo" if inv in self.present else "present"
        mk = self.marker("R")
        outcome, _, _ = self.c.call(
            "roster_mark",
            "POST",
            f"/events/{event}/attendance/{inv}/mark",
            form({"_csrf": self.s.csrf, "mark": mark, "note": mk}),
            self.s.admin({"Accept": "application/json"}),
            target=inv,
            marker=mk,
        )
        if outcome == "ok":
            self.present ^= {inv}


class LinkCheckins(Worker):
    """Checks in once by the invitation link (guests' and members' way), for the odd invitations
    of the clock events; after the event ended the link answers 409, which is expected."""

    interval = 0.7

    def __init__(self, *a):
        super().__init__("checkin0", *a)
        clock = {x["id"] for x in self.plan["clock_events"]}
        self.todo = [i for i in my_targets(self.plan["invitations"], clock, 1, 2)]
        self.tries = Counter()

    def step(self):
        for inv in self.todo:
            token = self.tokens.get(inv)
            if token:
                break
        else:
            return
        self.tries[inv] += 1
        outcome, _, _ = self.c.call(
            "link_checkin",
            "POST",
            f"/answer/{token}/checkin",
            form({"_csrf": self.s.csrf}),
            self.s.anon(),
            target=inv,
        )
        if outcome in ("ok", "refused") or self.tries[inv] >= 3:
            self.todo.remove(inv)


class Minutes(Worker):
    """Saves minutes: reads the edit form's revision, saves a body whose item title is a marker.
    A 409 (a broken save that was applied after all) is expected: read again."""

    interval = 0.8

    def __init__(self, *a):
        super().__init__("minutes0", *a)
        self.events = self.plan["minutes_events"]
        self.n = 0

    def step(self):
        if not self.events:
            return
        event = self.events[self.n % len(self.events)]
        self.n += 1
        outcome, _, data = self.c.call("minutes_edit", "GET", f"/events/{event}/minutes/edit", headers=self.s.admin(), ok=(200,))
        if outcome != "ok":
            return
        revision = Fields(data.decode("utf-8", "replace")).values.get("revision")
        mk = self.marker("M")
        self.c.call(
            "minutes_save",
            "POST",
            f"/events/{event}/minutes",
            form({"_csrf": self.s.csrf, "op": "save", "revision": revision, "item_title": mk}),
            self.s.admin(),
            target=event,
            marker=mk,
        )


class Reports(Worker):
    """Edits activity report drafts: reads the form, appends a marker line to the text, saves."""

    interval = 0.8

    def __init__(self, *a):
        super().__init__("reports0", *a)
        self.events = self.plan["report_events"]
        self.n = 0

    def step(self):
        if not self.events:
            return
        event = self.events[self.n % len(self.events)]
        self.n += 1
        outcome, _, data = self.c.call("report_edit", "GET", f"/events/{event}/report/edit", headers=self.s.admin(), ok=(200,))
        if outcome != "ok":
            return
        v = Fields(data.decode("utf-8", "replace")).values
        mk = self.marker("P")
        body = (v.get("body", "").rstrip() + "\n\n" + mk).strip()
        pairs = {
            "_csrf": self.s.csrf,
            "op": "save",
            "revision": v.get("revision", ""),
            "title": v.get("title", ""),
            "author_department": v.get("author_department", ""),
            "shown_on": v.get("shown_on", ""),
            "summary": v.get("summary", ""),
            "body": body,
        }
        self.c.call("report_save", "POST", f"/events/{event}/report", form(pairs), self.s.admin(), target=event, marker=mk)


class Scheduler(Worker):
    """A secretary's work meanwhile: creates an event for a whole branch a week ahead (its title a
    marker) and schedules it, which queues an invitation to each member at once: bursts for the
    dispatcher, so that kills find it in the middle of a batch."""

    interval = 10.0

    def __init__(self, *a):
        super().__init__("schedule0", *a)
        self.branches = self.plan["schedule_branches"]
        self.n = 0

    def step(self):
        branch = self.branches[self.n % len(self.branches)]
        self.n += 1
        mk = self.marker("S")
        start = datetime.now(timezone.utc) + timedelta(days=7)
        pairs = [
            ("_csrf", self.s.csrf),
            ("branch_id", branch),
            ("kind", "study_session"),
            ("title", mk),
            ("starts_at", local(start)),
            ("ends_at", local(start + timedelta(hours=2))),
            ("audience_kind", "branches"),
        ] + [("statuses", st) for st in ("full", "probationary", "candidate", "activist", "applicant", "non_party")]
        outcome, status, _ = self.c.call("event_create", "POST", "/events", form(pairs), self.s.admin(), target=branch, marker=mk, ok=(303,))
        if outcome != "ok":
            return
        event = psql_one(f"SELECT id FROM events WHERE title = '{mk}'")
        if event:
            self.c.call("event_schedule", "POST", f"/events/{event}/schedule", form({"_csrf": self.s.csrf}), self.s.admin(), target=int(event), marker=mk)


class Reader(Worker):
    """Reads pages as people do meanwhile: event pages, the roster, minutes, the public
    activities, an invitee's own page; every answer must be 200 (or a connection error)."""

    interval = 0.4

    def __init__(self, name, *a):
        super().__init__(name, *a)
        self.n = 0

    def step(self):
        p = self.plan
        clock = [x["id"] for x in p["clock_events"]]
        pages = [
            ("/healthz", None),
            (f"/events/{random.choice(p['answer_events'])}", "admin"),
            (f"/events/{random.choice(clock)}", "admin"),
            (f"/events/{random.choice(clock)}/roster", "admin"),
            ("/", "admin"),
            ("/activities", None),
            ("/admin/mail", "admin"),
        ]
        if p["minutes_events"]:
            pages.append((f"/events/{random.choice(p['minutes_events'])}/minutes", "admin"))
        if p["report_events"]:
            pages.append((f"/events/{random.choice(p['report_events'])}/report", "admin"))
        inv = random.choice(list(p["invitations"]))
        token = self.tokens.get(inv)
        if token:
            pages.append((f"/answer/{token}", None))
        path, who = pages[self.n % len(pages)]
        self.n += 1
        headers = self.s.admin() if who == "admin" else {}
        # An invitee's page of an event that ended answers 409: expected.
        self.c.call("read", "GET", path, headers=headers, ok=(200,))


def load(state):
    plan, s = setup(state)
    until = plan["until"]
    tokens = Tokens(os.environ["SOAK_SINK_RECORD"])
    tokens.refresh()
    stop = threading.Event()
    args = (plan, s, tokens, until, stop)
    workers = [Answers(k, 4, *args) for k in range(4)]
    workers += [Leave(*args), Roster(0, 2, *args), Roster(1, 2, *args), LinkCheckins(*args), Minutes(*args), Reports(*args)]
    workers += [Scheduler(*args), Reader("reader0", *args), Reader("reader1", *args)]
    # The kills start with the load (bench/soak's clock): wait for it.
    while time.time() < plan["load_from"]:
        tokens.refresh()
        time.sleep(0.2)
    say(f"load: {len(workers)} workers until {datetime.fromtimestamp(until).strftime('%H:%M:%S')}")
    for w in workers:
        w.start()
    last = 0
    while any(w.is_alive() for w in workers):
        tokens.refresh()
        time.sleep(0.5)
        if time.time() - last >= 30:
            last = time.time()
            n = sum(len(w.journal) for w in workers)
            say(f"load: {n} requests so far")
    for w in workers:
        w.join()
    with open(os.path.join(state, "journal.jsonl"), "w") as f:
        for w in workers:
            for e in w.journal:
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
    with open(os.path.join(state, "workers.json"), "w") as f:
        json.dump({w.name: w.error for w in workers}, f)
    say(f"load done: {sum(len(w.journal) for w in workers)} requests")


# ---------------------------------------------------------------------------------------------
# Settling: the work the load left (mail, the clock) finishes with both instances up


def settle(state):
    plan = json.load(open(os.path.join(state, "plan.json")))
    limit = time.time() + float(os.environ.get("SOAK_SETTLE_SECONDS", "240"))
    clock = ",".join(str(x["id"]) for x in plan["clock_events"])
    while True:
        queued = int(psql_one("SELECT COUNT(*) FROM outbox WHERE state = 'queued'"))
        unfinalised = int(psql_one(f"SELECT COUNT(*) FROM events WHERE id IN ({clock}) AND finalised_at IS NULL AND ends_at <= now()"))
        undrafted = int(
            psql_one(
                f"SELECT COUNT(*) FROM events e WHERE e.id IN ({clock}) AND e.kind = 'theme_party_day' "
                "AND e.finalised_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM reports r WHERE r.event_id = e.id)"
            )
        )
        if queued == 0 and unfinalised == 0 and undrafted == 0:
            say(f"settled in {time.time() - plan['until']:.0f} s after the load")
            return
        if time.time() > limit:
            say(f"not settled: {queued} messages queued, {unfinalised} events not finalised, {undrafted} not drafted")
            return
        time.sleep(2)


# ---------------------------------------------------------------------------------------------
# The checks


def read_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


def check(state):
    plan = json.load(open(os.path.join(state, "plan.json")))
    journal = [json.loads(l) for l in read_lines(os.path.join(state, "journal.jsonl"))]
    workers = json.load(open(os.path.join(state, "workers.json")))
    db_start = plan["db_start"]
    before = plan["before"]
    admin = plan["admin_account"]
    results = []  # (check, figure, ok)
    notes = []

    def row(name, figure, ok):
        results.append((name, figure, ok))

    # Kill windows: from the kill to the restarted instance answering /healthz, per instance.
    windows = defaultdict(list)
    kills = []
    opened = {}
    for line in read_lines(os.environ["SOAK_EVENTS_LOG"]):
        t, inst, what = line.split("\t")[:3]
        t, inst = float(t), int(inst)
        if what == "kill":
            opened[inst] = t
            kills.append(t)
        elif what == "up" and inst in opened:
            windows[inst].append((opened.pop(inst), t))
    for inst, t in opened.items():
        windows[inst].append((t, float("inf")))

    def in_window(e):
        return any(a - 1 <= e["t"] and e["t"] <= b + 1 for a, b in windows[e["i"]])

    # --- HTTP answers ------------------------------------------------------------------------
    outcomes = Counter(e["outcome"] for e in journal)
    errors5 = [e for e in journal if e["outcome"] == "server_error"]
    unexpected = [e for e in journal if e["outcome"] == "unexpected"]
    conn = [e for e in journal if e["outcome"].startswith("conn_")]
    stray = [e for e in conn if not in_window(e)]
    # Refusals the soak expects: stale saves after a broken one, a check-in after the end or twice,
    # a leave decision whose request was not applied, an invitee's page of an ended event.
    expected_refusals = {"minutes_save", "report_save", "link_checkin", "leave_decision", "read"}
    odd_refusals = [e for e in journal if e["outcome"] == "refused" and e["op"] not in expected_refusals]
    refused = Counter(e["op"] for e in journal if e["outcome"] == "refused")
    row(
        "requests",
        f"{len(journal)} ({outcomes['ok']} answered as expected, {outcomes['refused']} refused 409/422"
        + (": " + ", ".join(f"{k} {v}" for k, v in sorted(refused.items())) if refused else "")
        + ")",
        True,
    )
    row("5xx answers", str(len(errors5)), not errors5)
    row("other unexpected answers (4xx)", str(len(unexpected) + len(odd_refusals)), not unexpected and not odd_refusals)
    row(
        "connection errors",
        f"{len(conn)} ({sum(1 for e in conn if e['outcome'] == 'conn_broken')} broken mid-request), "
        f"{len(stray)} outside a kill",
        not stray,
    )
    for e in (errors5 + unexpected + odd_refusals + stray)[:10]:
        notes.append(f"{e['op']} {e['path']} on instance {e['i']}: {e.get('status', e['outcome'])} {e.get('detail', '')[:160]}")

    # --- writes: every write answered 2xx/303 in the database exactly once -------------------
    lost_total = 0
    doubled_total = 0

    def tally(name, acked, maybe, found):
        """acked: Counter of targets/markers answered ok; maybe: broken (may or may not have
        been applied); found: Counter of what the database holds for them."""
        nonlocal lost_total, doubled_total
        lost = sum(max(0, acked[k] - found.get(k, 0)) for k in acked)
        doubled = sum(max(0, found[k] - acked.get(k, 0) - maybe.get(k, 0)) for k in found)
        lost_total += lost
        doubled_total += doubled
        row(
            f"{name}",
            f"{sum(acked.values())} answered ok, {sum(maybe.values())} broken; in the database {sum(found.values())}: "
            f"lost {lost}, doubled {doubled}",
            lost == 0 and doubled == 0,
        )

    def by(op, key):
        acked, maybe = Counter(), Counter()
        for e in journal:
            if e["op"] != op:
                continue
            if e["outcome"] == "ok":
                acked[e[key]] += 1
            elif e["outcome"] == "conn_broken":
                maybe[e[key]] += 1
        return acked, maybe

    # Answers by link (accept/decline): one attendance_log 'answer' row by the invitee per answer.
    acked, maybe = by("answer", "target")
    targets = set(acked) | set(maybe)
    found = Counter()
    if targets:
        for inv, n in psql(
            "SELECT invitation_id, COUNT(*) FROM attendance_log WHERE what = 'answer' AND by_account IS NULL "
            f"AND id > {before['attendance_log']} AND invitation_id IN ({','.join(map(str, targets))}) AND note IS NULL GROUP BY 1"
        ):
            found[int(inv)] = int(n)
    tally("answers by link (accept, decline)", acked, maybe, found)

    # Each answer by link queues one copy to the invitee.
    copies = Counter()
    if targets:
        for inv, n in psql(
            f"SELECT invitation_id, COUNT(*) FROM outbox WHERE kind = 'answer_copy' AND id > {before['outbox']} "
            f"AND invitation_id IN ({','.join(map(str, targets))}) GROUP BY 1"
        ):
            copies[int(inv)] = int(n)
    answered_copies = sum(found.values())
    row("answer copies queued, one per answer", f"{sum(copies.values())} for {answered_copies} answers", copies == found)

    def by_marker(op, sql):
        acked, maybe = Counter(), Counter()
        for e in journal:
            if e["op"] == op and e["outcome"] == "ok":
                acked[e["marker"]] += 1
            elif e["op"] == op and e["outcome"] == "conn_broken":
                maybe[e["marker"]] += 1
        found = Counter({m: int(n) for m, n in psql(sql)})
        return acked, maybe, found

    tally(
        "leave requests by link",
        *by_marker(
            "leave_request",
            f"SELECT note, COUNT(*) FROM attendance_log WHERE what = 'answer' AND note LIKE 'soak-L%' AND id > {before['attendance_log']} GROUP BY 1",
        ),
    )
    tally(
        "leave decisions",
        *by_marker(
            "leave_decision",
            f"SELECT note, COUNT(*) FROM attendance_log WHERE what = 'leave' AND note LIKE 'soak-D%' AND id > {before['attendance_log']} GROUP BY 1",
        ),
    )
    tally(
        "roster marks (check-in, corrections)",
        *by_marker(
            "roster_mark",
            "SELECT note, COUNT(*) FROM attendance_log WHERE what IN ('checkin', 'outcome') AND note LIKE 'soak-R%' "
            f"AND by_account = {admin} AND id > {before['attendance_log']} GROUP BY 1",
        ),
    )
    acked, maybe = by("link_checkin", "target")
    found = Counter(
        {
            int(i): int(n)
            for i, n in psql(
                "SELECT invitation_id, COUNT(*) FROM attendance_log WHERE what = 'checkin' AND note = 'link' "
                f"AND id > {before['attendance_log']} GROUP BY 1"
            )
        }
    )
    # A check-in by link is once only (a second is refused): at most one row per invitation.
    tally("check-ins by link", Counter({k: 1 for k in acked}), Counter({k: 1 for k in maybe}), found)
    tally(
        "minutes saves",
        *by_marker(
            "minutes_save",
            "SELECT substring(r.body from 'soak-M[0-9]{7}'), COUNT(*) FROM minutes_revisions r "
            f"WHERE r.id > {before['minutes_revisions']} AND r.body ~ 'soak-M' GROUP BY 1",
        ),
    )
    # Minutes revisions are numbered without gaps or repeats.
    gaps = psql(
        "SELECT m.event_id FROM minutes m JOIN minutes_revisions r ON r.minutes_id = m.id GROUP BY m.event_id, m.revision "
        "HAVING COUNT(*) <> m.revision OR COUNT(DISTINCT r.revision) <> COUNT(*)"
    )
    row("minutes revisions numbered 1..n, one row each", f"{len(gaps)} records out of order", not gaps)
    # Report saves: each save appended its marker to the text read just before, so the final text
    # holds every save that was answered ok exactly once.
    report_found = Counter()
    revisions_ok = True
    for ev in plan["report_events"]:
        rev = psql_one(f"SELECT revision FROM reports WHERE event_id = {ev}")
        if rev is None:
            continue
        rev = int(rev)
        # The text has several lines: its markers are read out by the database, in order.
        marks = [r[0] for r in psql(f"SELECT m[1] FROM reports, regexp_matches(body, '(soak-P[0-9]{{7}})', 'g') AS m WHERE event_id = {ev}")]
        report_found.update(marks)
        was = plan["reports_before"].get(str(ev), {}).get("revision", 0)
        if rev - was != len(marks):
            revisions_ok = False
            notes.append(f"report of event {ev}: revision {was} → {rev}, {len(marks)} saves in its text")
    acked, maybe = Counter(), Counter()
    for e in journal:
        if e["op"] == "report_save" and e["outcome"] == "ok":
            acked[e["marker"]] += 1
        elif e["op"] == "report_save" and e["outcome"] == "conn_broken":
            maybe[e["marker"]] += 1
    tally("report edits", acked, maybe, report_found)
    row("report revisions = saves in the text", "yes" if revisions_ok else "no", revisions_ok)

    # Events made and scheduled meanwhile: one event per create answered 303 (its title is the
    # marker), one 'scheduled' change per schedule answered 303, one invitation per member.
    tally(
        "events created",
        *by_marker("event_create", "SELECT title, COUNT(*) FROM events WHERE title LIKE 'soak-S%' GROUP BY 1"),
    )
    tally(
        "events scheduled",
        *by_marker(
            "event_schedule",
            "SELECT e.title, COUNT(*) FROM event_changes c JOIN events e ON e.id = c.event_id "
            "WHERE c.kind = 'scheduled' AND e.title LIKE 'soak-S%' GROUP BY 1",
        ),
    )
    twice_invited = psql_one(
        "SELECT COUNT(*) FROM (SELECT 1 FROM invitations WHERE member_id IS NOT NULL "
        "GROUP BY event_id, member_id HAVING COUNT(*) > 1) d"
    )
    short_invited = psql(
        "SELECT e.id FROM events e WHERE e.title LIKE 'soak-S%' AND e.state = 'scheduled' AND "
        "(SELECT COUNT(*) FROM invitations i WHERE i.event_id = e.id) <> "
        "(SELECT COUNT(*) FROM members m WHERE m.branch_id = e.branch_id AND m.state = 'active')"
    )
    row(
        "one invitation per member (every event; whole branches for those scheduled meanwhile)",
        f"{twice_invited} invited twice, {len(short_invited)} events with another count",
        twice_invited == "0" and not short_invited,
    )
    doubled_total += int(twice_invited)

    # --- the event clock ---------------------------------------------------------------------
    clock = plan["clock_events"]
    ids = ",".join(str(x["id"]) for x in clock)
    rows = {
        int(r[0]): r
        for r in psql(
            "SELECT e.id, e.state, e.finalised_at IS NOT NULL, e.kind, "
            "(SELECT COUNT(*) FROM reports r WHERE r.event_id = e.id), "
            "(SELECT COUNT(*) FROM invitations i WHERE i.event_id = e.id AND i.member_id IS NOT NULL AND i.role = 'member' AND i.outcome IS NULL), "
            "(SELECT COUNT(*) FROM invitations i WHERE i.event_id = e.id AND i.checked_in_at IS NULL AND i.outcome NOT IN ('absent', 'excused')), "
            f"EXTRACT(EPOCH FROM e.finalised_at - e.ends_at) FROM events e WHERE e.id IN ({ids})"
        )
    }
    drafting = {"theme_party_day"}
    ended = [x for x in clock if x["ends"] <= time.time()]
    not_final = [x["id"] for x in ended if rows[x["id"]][1] != "ended" or rows[x["id"]][2] != "t"]
    unsettled = [x["id"] for x in ended if int(rows[x["id"]][5]) or int(rows[x["id"]][6])]
    drafts_wrong = [
        x["id"] for x in ended if int(rows[x["id"]][4]) != (1 if x["kind"] in drafting else 0)
    ]
    lag = [float(rows[x["id"]][7]) for x in ended if rows[x["id"]][7]]
    # Finalising and drafting are counted in the instances' logs ("events ended …", "activity
    # reports drafted"): the sum over both instances and all restarts must match the database.
    logged_final = logged_drafts = 0
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    for path in os.environ.get("SOAK_LOGS", "").split():
        for line in read_lines(path):
            line = ansi.sub("", line)
            m = re.search(r"events ended and attendance settled events=(\d+)", line)
            if m:
                logged_final += int(m.group(1))
            m = re.search(r"activity reports drafted reports=(\d+)", line)
            if m:
                logged_drafts += int(m.group(1))
    final_db = int(psql_one(f"SELECT COUNT(*) FROM events WHERE finalised_at >= '{db_start}'"))
    drafts_db = int(psql_one(f"SELECT COUNT(*) FROM reports WHERE id > {before['reports']}"))
    row(
        "events ended during the load",
        f"{len(ended)} ({sum(1 for x in ended if x['kind'] in drafting)} that publish); "
        f"finalised {len(ended) - len(not_final)}, after their end by {min(lag, default=0):.0f}-{max(lag, default=0):.0f} s",
        not not_final,
    )
    row("attendance settled (no member without an outcome)", f"{len(unsettled)} events unsettled", not unsettled)
    row(
        "finalised once (instances' logs vs database)",
        f"logged {logged_final}, in the database {final_db}: doubled {max(0, logged_final - final_db)}",
        logged_final <= final_db,
    )
    row(
        "drafted once (one report per event that publishes, none otherwise)",
        f"{len(drafts_wrong)} wrong; logged {logged_drafts}, in the database {drafts_db}",
        not drafts_wrong and logged_drafts <= drafts_db,
    )
    doubled_total += max(0, logged_final - final_db) + max(0, logged_drafts - drafts_db)
    # Each draft tells the organising branch's secretary once (a notice per event and secretary).
    drafted = [x["id"] for x in ended if x["kind"] in drafting]
    notices = Counter(
        {
            int(e): int(n)
            for e, n in psql(
                f"SELECT event_id, COUNT(*) FROM outbox WHERE kind = 'report_draft' AND event_id IN ({ids}) GROUP BY 1"
            )
        }
    )
    wrong = [e for e in drafted if notices.get(e, 0) != 1]
    row("draft notices: one per drafted event to its secretary", f"{sum(notices.values())} for {len(drafted)} drafts", not wrong)
    if not_final or unsettled or drafts_wrong:
        notes.append(f"events: not finalised {not_final}, unsettled {unsettled}, drafts wrong {drafts_wrong}")

    # --- mail: every message queued during the run delivered exactly once, counted at the sink -
    outbox = {
        r[0]: {"kind": r[1], "state": r[2], "inv": r[3], "recipient": r[4], "event": r[5]}
        for r in psql(
            "SELECT message_id, kind, state, COALESCE(invitation_id::text, ''), recipient, COALESCE(event_id::text, '') "
            f"FROM outbox WHERE id > {before['outbox']}"
        )
    }
    older = {r[0] for r in psql(f"SELECT message_id FROM outbox WHERE id <= {before['outbox']}")}
    deliveries = defaultdict(list)
    start_t = plan["started"] - 5
    for line in read_lines(os.environ["SOAK_SINK_RECORD"]):
        parts = line.split("\t")
        if len(parts) < 4 or float(parts[0]) < start_t:
            continue
        # (accepted, data ended): the sink may accept a message a moment after its sender died.
        deliveries[parts[1].split("@", 1)[0]].append((float(parts[0]), float(parts[4]) if len(parts) > 4 else float(parts[0])))
    raw = sum(len(v) for v in deliveries.values())
    not_sent = [m for m, o in outbox.items() if o["state"] != "sent"]
    lost_mail = [m for m in outbox if m not in deliveries]
    foreign = [m for m in deliveries if m not in outbox and m not in older]
    resent = explained = 0
    unexplained = []
    for m, times in deliveries.items():
        times.sort()
        for (_, a), (b, _) in zip(times, times[1:]):
            resent += 1
            # Explained: a kill after its data had reached the sink (two seconds of slack for the
            # sink's own delay) and before the message came again.
            if any(a - 2 <= k <= b for k in kills):
                explained += 1
            else:
                unexplained.append(m)
    # Two different messages for one purpose: once-only kinds per invitation (or secretary).
    purpose = Counter()
    for m, o in outbox.items():
        if o["kind"] in ("invitation", "reminder", "deadline_reminder", "cancellation"):
            purpose[(o["kind"], o["inv"])] += 1
        elif o["kind"] == "report_draft":
            purpose[(o["kind"], o["event"], o["recipient"])] += 1
    twice = sum(n - 1 for n in purpose.values() if n > 1)
    kinds = Counter(o["kind"] for o in outbox.values())
    row(
        "messages queued during the run",
        ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())) or "none",
        True,
    )
    row(
        "mail delivered (distinct Message-IDs at the sink / raw deliveries)",
        f"{sum(1 for m in deliveries if m in outbox)} / {sum(len(v) for m, v in deliveries.items() if m in outbox)}; "
        f"queued {len(outbox)}, not sent at the end {len(not_sent)}"
        + (f" (and {sum(1 for m in deliveries if m in older)} queued before the run)" if any(m in older for m in deliveries) else ""),
        not not_sent,
    )
    batch = int(os.environ.get("SOAK_BATCH", "100"))
    # At most a batch per kill: the dispatcher marks a batch's deliveries when the whole batch is
    # done. SOAK_RESEND_PER_KILL tightens the bound (to mail.concurrency once deliveries are
    # marked as they complete).
    per_kill = int(os.environ.get("SOAK_RESEND_PER_KILL", str(batch)))
    row(
        "mail lost (queued, never reached the sink)",
        str(len(lost_mail)),
        not lost_mail,
    )
    row(
        "mail doubled (same Message-ID twice with no kill between; two messages for one purpose; unknown)",
        f"{len(unexplained)} + {twice} + {len(foreign)}",
        not unexplained and not twice and not foreign,
    )
    row(
        "mail re-sent after a kill (same Message-ID: accepted by SMTP, not yet marked sent)",
        f"{explained} over {len(kills)} kills (bound: {per_kill} per kill)",
        explained <= per_kill * max(1, len(kills)),
    )
    doubled_total += len(unexplained) + twice + len(foreign)
    lost_total += len(lost_mail)
    for m in (lost_mail + unexplained + foreign)[:10]:
        notes.append(f"mail {m}: {outbox.get(m, {}).get('state', 'not in the outbox')}, deliveries {len(deliveries.get(m, []))}")

    # --- memory --------------------------------------------------------------------------------
    budget = float(os.environ.get("SOAK_MEM_BUDGET_MB", "150"))
    peak = defaultdict(float)
    samples = 0
    for line in read_lines(os.environ["SOAK_MEM_LOG"]):
        parts = line.split("\t")
        if len(parts) >= 4:
            samples += 1
            peak[int(parts[1])] = max(peak[int(parts[1])], int(parts[3]) / 1024)
    for inst in range(len(URLS)):
        row(
            f"instance {'AB'[inst]} peak RssAnon",
            f"{peak[inst]:.1f} MB (budget {budget:.0f} MB)",
            0 < peak[inst] < budget,
        )

    bad_workers = {k: v for k, v in workers.items() if v}
    if bad_workers:
        row("soak workers", f"failed: {bad_workers}", False)

    # --- summary -------------------------------------------------------------------------------
    width = max(len(r[0]) for r in results)
    print()
    print(f"| {'check'.ljust(width)} | figure | |")
    print(f"|{'-' * (width + 2)}|---|---|")
    for name, figure, ok in results:
        print(f"| {name.ljust(width)} | {figure} | {'ok' if ok else 'FAILED'} |")
    print()
    for n in notes:
        print("  note:", n)
    failed = [r for r in results if not r[2]]
    per = Counter(e["op"] for e in journal if e["outcome"] == "ok")
    downtimes = [b - a for w in windows.values() for a, b in w if b != float("inf")]
    span = (max((e["end"] for e in journal), default=0) - min((e["t"] for e in journal), default=0)) or 1
    print(
        f"Answered ok: {', '.join(f'{k} {v}' for k, v in sorted(per.items()))} "
        f"({len(journal) / span:.0f} requests/s over {span:.0f} s); kills {len(kills)}, each instance answering "
        f"/healthz again {min(downtimes, default=0):.1f}-{max(downtimes, default=0):.1f} s after it; memory samples {samples}."
    )
    print(f"lost {lost_total}, doubled {doubled_total}, re-sent after a kill {explained}, 5xx {len(errors5)}: "
          + ("all checks passed" if not failed else f"{len(failed)} checks FAILED"))
    return 1 if failed else 0


if __name__ == "__main__":
    cmd, state = sys.argv[1], sys.argv[2]
    if cmd == "load":
        load(state)
    elif cmd == "settle":
        settle(state)
    elif cmd == "check":
        sys.exit(check(state))
    else:
        sys.exit(f"soak.py: unknown command {cmd}")
