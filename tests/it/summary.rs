//! The error summary of a refused form (issue 29): at the top of the page, announced (role
//! "alert") and focusable, one line per error, each linked to an element of the page that holds
//! the field. Checked on forms of several domains by reading the page's tags.
use chrono::Duration;
use partyday::accounts::Role;

use crate::{
    attendance::{setup, staff},
    events::{form, post, with},
    helpers::{Client, Resp, TestApp, mid_month},
    minutes::{body_form, revision_in, send},
};

/// A start tag: its name, its attributes (values with character references decoded) and where it
/// starts in the page.
#[derive(Debug)]
pub(crate) struct Tag {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub at: usize,
}

impl Tag {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

fn decode(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').filter(|e| *e <= 8);
        let c = end.and_then(|e| match &after[..e] {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16).ok().and_then(char::from_u32),
            n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        });
        match (c, end) {
            (Some(c), Some(e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every start tag of a page, in order (comments, end tags, and the insides of scripts skipped).
pub(crate) fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let at = i + off;
        if html[at..].starts_with("<!--") {
            i = html[at..].find("-->").map_or(html.len(), |e| at + e + 3);
            continue;
        }
        let mut j = at + 1;
        if !bytes.get(j).is_some_and(u8::is_ascii_alphabetic) {
            i = j;
            continue;
        }
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-') {
            j += 1;
        }
        let name = html[at + 1..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < bytes.len() && (bytes[j].is_ascii_whitespace() || bytes[j] == b'/') {
                j += 1;
            }
            if j >= bytes.len() || bytes[j] == b'>' {
                break;
            }
            let start = j;
            while j < bytes.len() && !matches!(bytes[j], b'=' | b'>' | b'/') && !bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            let key = html[start..j].to_ascii_lowercase();
            let mut value = String::new();
            if bytes.get(j) == Some(&b'=') {
                j += 1;
                match bytes.get(j) {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        let end = html[j + 1..].find(q as char).map_or(html.len(), |e| j + 1 + e);
                        value = decode(&html[j + 1..end]);
                        j = end + 1;
                    }
                    _ => {
                        let start = j;
                        while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>' {
                            j += 1;
                        }
                        value = decode(&html[start..j]);
                    }
                }
            }
            attrs.push((key, value));
        }
        i = j + 1;
        if name == "script" || name == "style" {
            let close = format!("</{name}");
            i = html[i.min(html.len())..].find(&close).map_or(html.len(), |e| i + e);
        }
        out.push(Tag { name, attrs, at });
    }
    out
}

/// The summary of a refused page, checked: exactly one, announced and focusable, above the first
/// field's own message, each link leading to an element of the page (there once). Returns the
/// links' targets (without '#') and the number of lines.
#[track_caller]
pub(crate) fn summary_of(resp: &Resp) -> (Vec<String>, usize) {
    let html = &resp.body;
    let all = tags(html);
    let summaries: Vec<&Tag> = all.iter().filter(|t| t.attr("id") == Some("error-summary")).collect();
    assert_eq!(summaries.len(), 1, "one summary on the page ({}):\n{html}", resp.status);
    let s = summaries[0];
    assert_eq!(s.attr("role"), Some("alert"), "announced");
    assert_eq!(s.attr("tabindex"), Some("-1"), "focusable by the script");
    let end = html[s.at..].find("</div>").map(|e| s.at + e).expect("the summary is closed");
    if let Some(first_error) = html.find("class=\"field-error\"") {
        assert!(s.at < first_error, "the summary comes before the fields' messages");
    }
    let inside: Vec<&Tag> = all.iter().filter(|t| t.at > s.at && t.at < end).collect();
    let lines = inside.iter().filter(|t| t.name == "li").count();
    let mut targets = Vec::new();
    for a in inside.iter().filter(|t| t.name == "a") {
        let href = a.attr("href").expect("a link has an address");
        let id = href.strip_prefix('#').unwrap_or_else(|| panic!("{href} leads off the page"));
        let holders = all.iter().filter(|t| t.attr("id") == Some(id)).count();
        assert_eq!(holders, 1, "#{id} is held by one element of the page:\n{html}");
        targets.push(id.to_owned());
    }
    assert!(
        all.iter().any(|t| t.name == "script" && t.attr("src") == Some("/static/forms.js")),
        "the script that focuses it is loaded"
    );
    (targets, lines)
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[tokio::test]
async fn refused_event_member_and_branch_forms_list_each_error_linked_to_its_field() {
    let (app, tree, s) = setup("吴书记").await;
    let client: &Client = &s.client;

    // Events: the event form, with two mistakes.
    let bad = with(form(tree.a), &[("title", ""), ("ends_at", "明天")]);
    let resp = post(client, "/events", &bad).await;
    resp.assert_status(422);
    let (targets, lines) = summary_of(&resp);
    assert_eq!(lines, 2, "{}", resp.body);
    assert!(targets.contains(&"f-title".to_owned()) && targets.contains(&"f-ends_at".to_owned()), "{targets:?}");
    assert!(resp.body.contains("请修改以下 2 处："), "the heading counts them");
    assert!(
        resp.body.contains("活动名称：此项为必填项。") || resp.body.contains("：此项为必填项。"),
        "label and message"
    );

    // The event page's two small forms share field names: each has ids of its own.
    let id = crate::events::id_from(post(client, "/events", &form(tree.a)).await.assert_status(303).location());
    let resp = client.post(&format!("/events/{id}/agenda"), &[("title", ""), ("minutes", "x")]).await;
    resp.assert_status(422);
    let (targets, lines) = summary_of(&resp);
    assert_eq!((targets.len(), lines), (2, 2), "{targets:?}");
    assert!(targets.iter().all(|t| t.starts_with("f-agenda-")), "{targets:?}");
    let resp =
        client.post(&format!("/events/{id}/guests"), &[("name", ""), ("email", "nobody"), ("role", "leader")]).await;
    resp.assert_status(422);
    let (targets, _) = summary_of(&resp);
    assert_eq!(targets, ["f-guest-name", "f-guest-email"]);

    // Members: a new member with a bad email and no name.
    let a = tree.a.to_string();
    let resp = client
        .post("/members", &[("branch_id", a.as_str()), ("name", ""), ("email", "x"), ("political_status", "full")])
        .await;
    resp.assert_status(422);
    let (targets, _) = summary_of(&resp);
    assert_eq!(targets, ["f-name", "f-email"]);

    // The member page's three dated changes: the refused one's fields.
    let member = app.add_member(tree.a, "张三").await;
    let resp = client.post(&format!("/members/{member}/status"), &[("to", "full"), ("effective_on", "昨天")]).await;
    resp.assert_status(422);
    assert_eq!(summary_of(&resp).0, ["f-status-effective_on"]);

    // Branches: appointing nobody on no date.
    let admin = app.login_as(Role::Admin).await;
    let resp = admin
        .post(&format!("/branches/{}/officers", tree.a), &[("member_id", ""), ("role", "secretary"), ("from_on", "x")])
        .await;
    resp.assert_status(422);
    let (targets, _) = summary_of(&resp);
    assert_eq!(targets, ["f-officer-member_id", "f-officer-from_on"]);

    // Accounts, in English: a form-wide error has its line and no link.
    let visitor = app.client();
    visitor.get("/locale?locale=en&next=/login").await;
    let resp = visitor.login("nobody@example.org", "wrong").await;
    resp.assert_status(401);
    let (targets, lines) = summary_of(&resp);
    assert_eq!((targets.len(), lines), (0, 1));
    assert!(resp.body.contains("Please correct 1 field:"), "{}", resp.body);
}

#[tokio::test]
async fn refused_minutes_report_and_records_forms_list_each_error_linked_to_its_field() {
    let (app, tree, s) = setup("吴书记").await;
    // Minutes: rows of the long form have composite keys ("speech.0", "resolution.0").
    let member = app.add_member(tree.a, "张三").await;
    let id = crate::attendance::scheduled(&app, &s.client, tree.a, (Duration::hours(1), 120), &[]).await;
    let starts = crate::attendance::event_row(&app, id).await.starts_at;
    crate::attendance::move_to(&app, starts + Duration::minutes(10));
    let path = format!("/events/{id}/minutes");
    let rev = revision_in(&s.client.get(&format!("{path}/edit")).await.body);
    let resp = send(&s.client, &path, &body_form(&rev, "m:abc", ("-1", "", ""))).await;
    resp.assert_status(422);
    let (targets, lines) = summary_of(&resp);
    assert_eq!(targets, ["f-speech-0", "f-resolution-0"]);
    assert_eq!(lines, 2);
    assert!(resp.body.contains("第 1 条发言："), "a row is named by its number");
    let _ = member;

    // Records: the rules, with a threshold that is not a number.
    let admin = app.login_as(Role::Admin).await;
    let page = admin.get("/records/rules").await;
    let version = page.body.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap();
    let resp =
        admin.post("/records/rules", &[("version", &*decode(version)), ("t1", "1"), ("t2", "两"), ("t3", "6")]).await;
    resp.assert_status(422);
    let (targets, _) = summary_of(&resp);
    assert!(targets.contains(&"f-t2".to_owned()), "{targets:?}\n{}", resp.body);

    // Reports: the edit form without a title.
    let app = TestApp::spawn_with("[reports]\npublish_by = \"secretary\"").await;
    let tree = app.seed_tree().await;
    let s = staff(&app, tree.a, "吴书记").await;
    let id = crate::reports::reported(&app, &s, tree.a, &[], &[]).await;
    let r = crate::reports::report_of(&app, id).await;
    let rev = r.revision.to_string();
    let resp = s
        .client
        .post(
            &format!("/events/{id}/report"),
            &[("revision", &*rev), ("op", "save"), ("title", ""), ("shown_on", "x"), ("body", "正文")],
        )
        .await;
    resp.assert_status(422);
    let (targets, _) = summary_of(&resp);
    assert_eq!(targets, ["f-title", "f-shown_on"]);
}

#[tokio::test]
async fn the_held_form_names_the_roster_lines_and_rows_in_its_summary() {
    let app = TestApp::spawn_at(mid_month(), "").await;
    let tree = app.seed_tree().await;
    let s = staff(&app, tree.a, "吴书记").await;
    let zhang = app.add_member(tree.a, "张三").await;
    // Everyone on the rolls since 2024, so that a day of 2025 has them.
    use sea_orm::{EntityTrait, sea_query::Expr};
    partyday::members::entity::period::Entity::update_many()
        .col_expr(
            partyday::members::entity::period::Column::FromOn,
            Expr::value(chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()),
        )
        .exec(&app.state.db)
        .await
        .unwrap();
    let a = tree.a.to_string();
    let me = format!("att_{}", s.member);
    let fields = fields(&[
        ("branch_id", &a),
        ("kind", "theme_party_day"),
        ("title", "十一月主题党日"),
        ("starts_at", "2025-11-20T14:30"),
        ("ends_at", "2025-11-20T16:30"),
        ("statuses", "full"),
        ("statuses", "probationary"),
        (&me, "present"),
        ("guest_organisation", "区卫健委"),
    ]);
    let resp = post(&s.client, "/events/held", &fields).await;
    resp.assert_status(422);
    let (targets, _) = summary_of(&resp);
    assert!(targets.contains(&format!("f-att_{zhang}")), "the unmarked line: {targets:?}");
    assert!(targets.contains(&"f-guest_0".to_owned()), "the guest row: {targets:?}");
    assert!(resp.body.contains("张三：请选择出勤情况。"), "named by the person: {}", resp.body);
}
