//! Participation records read at a glance (issue 29): one period choice with named periods that
//! the pages and file names repeat, addresses of the picker of before, the association's
//! heading, exemption reasons under the grid, the ledger's halves, and XLSX cells that are
//! numbers, rates and dates (read back from the file's own XML).
use std::collections::HashMap;
use std::io::Read;

use chrono::{Datelike, Duration, NaiveDate};
use partyday::accounts::Role;

use crate::{
    attendance::{event_row, inv_of, move_to, scheduled, setup, tap},
    helpers::Client,
};

/// The file name a download is offered under (its UTF-8 form).
fn file_name(resp: &crate::helpers::Resp) -> String {
    let header = resp.headers.get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or("");
    let encoded = header.split("filename*=UTF-8''").nth(1).unwrap_or_else(|| panic!("no UTF-8 name: {header}"));
    let bytes: Vec<u8> = percent_decode(encoded);
    String::from_utf8(bytes).unwrap()
}

fn percent_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[tokio::test]
async fn the_period_is_one_choice_of_named_periods_that_the_page_and_its_exports_name() {
    let (app, tree, s) = setup("吴书记").await;
    let today = app.state.today();
    let (y, m) = (today.year(), today.month());
    let branch = format!("/records/branches/{}", tree.a);

    let page = s.client.get(&format!("{branch}?p={y}-{m:02}")).await;
    page.assert_status(200)
        .assert_contains(&format!("<option value=\"{y}-{m:02}\" selected>{y}年{m}月</option>"))
        .assert_contains(&format!("<option value=\"{y}-q1\">{y}年一季度</option>"))
        .assert_contains(&format!("<option value=\"{y}-h1\">{y}年上半年</option>"))
        .assert_contains(&format!("<option value=\"{}\">{}年</option>", y - 1, y - 1))
        .assert_contains("<option value=\"range\">自定义起止日期</option>")
        .assert_contains(&format!("<span class=\"h1-period\">{y}年{m}月</span>"))
        .assert_contains(&format!("<title>第一党支部 · {y}年{m}月 · "));
    // One field to choose with; a range's two dates beside it. No number to type, no jargon.
    for gone in ["序号", "name=\"n\"", "name=\"year\"", "name=\"period\""] {
        assert!(!page.body.contains(gone), "{gone}: {}", page.body);
    }
    assert_eq!(page.body.matches("class=\"field for-range").count(), 2);
    let range = s.client.get(&format!("{branch}?p=range&from={y}-01-05&to={y}-03-15")).await;
    range
        .assert_status(200)
        .assert_contains("<option value=\"range\" selected>")
        .assert_contains(&format!("<span class=\"h1-period\">{y}年1月5日至{y}年3月15日</span>"));

    // Addresses of the picker of before (bookmarked, sent by mail) show the same period, named.
    for (old, named) in [
        (format!("period=month&year={y}&n={m}"), format!("{y}年{m}月")),
        ("period=quarter&year=2025&n=1".to_owned(), "2025年一季度".to_owned()),
        ("period=half&year=2025&n=2".to_owned(), "2025年下半年".to_owned()),
        ("period=year&year=2024".to_owned(), "2024年".to_owned()),
        (format!("period=range&from={y}-01-05&to={y}-03-15"), format!("{y}年1月5日至{y}年3月15日")),
    ] {
        let resp = s.client.get(&format!("{branch}?{old}")).await;
        resp.assert_status(200).assert_contains(&format!("<span class=\"h1-period\">{named}</span>"));
    }
    // An older month than the list offers is still shown as the choice.
    s.client
        .get(&format!("{branch}?p=2019-03"))
        .await
        .assert_contains("<option value=\"2019-03\" selected>2019年3月</option>");

    // Bad input: its field says why, nothing is shown as if it were a period, never a 500.
    for (query, field, message) in [
        (format!("p={y}-13"), "p", "请从列表中选择期间"),
        ("p=2026-q5".to_owned(), "p", "请从列表中选择期间"),
        ("period=month&year=2026&n=13".to_owned(), "p", "请从列表中选择期间"),
        ("p=range&from=2026-05-01&to=2026-04-01".to_owned(), "to", "结束日期早于开始日期"),
        ("p=range&from=2026-13-01&to=2026-04-01".to_owned(), "from", "日期"),
    ] {
        let resp = s.client.get(&format!("{branch}?{query}")).await;
        resp.assert_status(422).assert_contains(&format!("<p class=\"field-error\" id=\"e-{field}\">"));
        assert!(resp.body.contains(message), "{query}: {}", resp.body);
        assert!(resp.body.contains("期间有误，未显示统计"), "{query}");
        assert!(!resp.body.contains("class=\"figures\"") && !resp.body.contains("h1-period"), "{query}: {}", resp.body);
    }
    let admin = app.login_as(Role::Admin).await;
    admin.get(&format!("/records?p={y}-13")).await.assert_status(422).assert_contains("id=\"e-p\"");
    admin.get("/records/members?p=2026-13&format=csv").await.assert_status(400);

    // Exports are named by what they hold and their period.
    assert_eq!(
        named(&s.client, format!("{branch}?p={y}-{m:02}&format=csv")).await,
        format!("参与记录_第一党支部_{y}年{m}月.csv")
    );
    assert_eq!(named(&admin, "/records?p=2025-h1&format=xlsx".to_owned()).await, "参与记录_各支部_2025年上半年.xlsx");
    assert_eq!(
        named(&admin, "/records/members?p=2025-q3&format=csv".to_owned()).await,
        "参与记录_全部党员_2025年三季度.csv"
    );
    assert_eq!(
        named(&s.client, format!("/records/members/{}?p=2025&format=xlsx", s.member)).await,
        "参与记录_吴书记_2025年.xlsx"
    );
    assert_eq!(
        named(&s.client, format!("{branch}/ledger?p=2025-h2&format=csv")).await,
        "半年考勤公示表_第一党支部_2025年下半年.csv"
    );
    assert_eq!(
        named(&s.client, "/records/compliance?kind=theme_party_day&year=2025&format=csv".to_owned()).await,
        "组织生活落实情况_主题党日_2025年.csv"
    );

    // The association's own totals are all branches', not a "plenary session".
    admin.get("/records").await.assert_contains("<h2>全部支部</h2>").assert_lacks("全会");

    // The ledger's halves by name, from new and old addresses; a quarter is no ledger.
    s.client
        .get(&format!("{branch}/ledger?year=2025&n=2"))
        .await
        .assert_status(200)
        .assert_contains("<h1>第一党支部 2025年下半年考勤公示</h1>")
        .assert_lacks("第2半年");
    s.client
        .get(&format!("{branch}/ledger?p=2025-h1"))
        .await
        .assert_contains("<h1>第一党支部 2025年上半年考勤公示</h1>")
        .assert_contains("<option value=\"2025-h1\" selected>2025年上半年</option>");
    s.client.get(&format!("{branch}/ledger?p=2025-q1")).await.assert_status(400);
    s.client.get(&format!("{branch}?p=2025-q2")).await.assert_contains(&format!("href=\"{branch}/ledger?p=2025-h1\""));

    // In English: the same choices, named as English readers name them.
    s.client.post("/locale", &[("locale", "en"), ("next", "/")]).await.assert_status(303);
    let month = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ][m as usize - 1];
    s.client
        .get(&format!("{branch}?p={y}-{m:02}"))
        .await
        .assert_contains(&format!("<option value=\"{y}-{m:02}\" selected>{month} {y}</option>"))
        .assert_contains(&format!("<option value=\"{y}-q1\">Q1 {y}</option>"))
        .assert_contains(&format!("<option value=\"{y}-h1\">H1 {y}</option>"))
        .assert_contains(&format!("<span class=\"h1-period\">{month} {y}</span>"));
    s.client
        .get(&format!("{branch}/ledger?p=2025-h2"))
        .await
        .assert_contains("<h1>第一党支部: attendance ledger, second half of 2025</h1>");
    assert_eq!(
        named(&s.client, format!("{branch}?p=2025-q1&format=xlsx")).await,
        "Participation records_第一党支部_Q1 2025.xlsx"
    );
    admin.post("/locale", &[("locale", "en"), ("next", "/")]).await.assert_status(303);
    admin.get("/records").await.assert_contains("<h2>All branches</h2>");
}

/// A stored XLSX sheet: each cell's XML by its reference (B2), and the number format of each
/// cell style.
struct Stored {
    cells: HashMap<String, String>,
    formats: Vec<String>,
}

impl Stored {
    fn read(xlsx: &[u8]) -> Stored {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
        let mut part = |name: &str| {
            let mut text = String::new();
            zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
            text
        };
        let (sheet, styles) = (part("xl/worksheets/sheet1.xml"), part("xl/styles.xml"));
        let attr = |el: &str, name: &str| -> Option<String> {
            let start = el.find(&format!(" {name}=\""))? + name.len() + 3;
            Some(el[start..start + el[start..].find('"')?].to_owned())
        };
        let cells = sheet
            .split("<c ")
            .skip(1)
            .map(|c| {
                let end = c.find("</c>").or_else(|| c.find("/>")).unwrap();
                let el = format!(" {}", &c[..end]);
                (attr(&el, "r").unwrap(), el)
            })
            .collect();
        let custom: HashMap<String, String> = styles
            .split("<numFmt ")
            .skip(1)
            .map(|f| {
                let el = format!(" {f}");
                (attr(&el, "numFmtId").unwrap(), attr(&el, "formatCode").unwrap())
            })
            .collect();
        let xfs = styles.split("<cellXfs").nth(1).unwrap().split("</cellXfs>").next().unwrap();
        let formats = xfs
            .split("<xf ")
            .skip(1)
            .map(|xf| {
                let id = attr(&format!(" {xf}"), "numFmtId").unwrap_or_else(|| "0".into());
                custom.get(&id).cloned().unwrap_or(id)
            })
            .collect();
        Stored { cells, formats }
    }

    /// A number cell's value and its number format; panics on a text cell.
    fn number(&self, at: &str) -> (f64, String) {
        let el = self.cells.get(at).unwrap_or_else(|| panic!("no cell {at}"));
        assert!(!el.contains(" t=\""), "{at} is stored as text: {el}");
        let v = el.split("<v>").nth(1).and_then(|v| v.split("</v>").next()).unwrap_or_else(|| panic!("{at}: {el}"));
        let style = el.split(" s=\"").nth(1).and_then(|s| s.split('"').next()).map_or(0, |s| s.parse().unwrap());
        (v.parse().unwrap(), self.formats[style].clone())
    }

    fn is_text(&self, at: &str) -> bool {
        self.cells.get(at).is_some_and(|el| el.contains(" t=\"s\"") || el.contains(" t=\"inlineStr\""))
    }
}

#[tokio::test]
async fn xlsx_exports_store_numbers_rates_and_dates_not_text() {
    let (app, tree, s) = setup("吴书记").await;
    app.add_member(tree.a, "张三").await;
    let id = scheduled(&app, &s.client, tree.a, (Duration::hours(1), 60), &[]).await;
    let event = event_row(&app, id).await;
    move_to(&app, event.starts_at + Duration::minutes(5));
    assert_eq!(tap(&s.client, id, inv_of(&app, id, s.member).await.id, "present").await.0, 200);
    move_to(&app, event.ends_at + Duration::minutes(1));
    partyday::attendance::service::finalise_due(&app.state.db, app.state.now()).await.unwrap();
    let day: NaiveDate = event.starts_at.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let p = format!("p={}", day.format("%Y-%m"));

    // The branch: a row per member (吴书记 came, 张三 did not), sorted by name.
    let (status, _, book) = s.client.download(&format!("/records/branches/{}?{p}&format=xlsx", tree.a)).await;
    assert_eq!(status, 200);
    let sheet = Stored::read(&book);
    assert!(sheet.is_text("A1") && sheet.is_text("A2") && sheet.is_text("B1"), "names and headers are text");
    // Columns: member, expected, present, late, on leave, absent, make-up owed, make-up done,
    // attendance, leave and make-up rates.
    for (col, value) in [("B", 1.0), ("C", 1.0), ("D", 0.0), ("E", 0.0), ("F", 0.0), ("G", 0.0), ("H", 0.0)] {
        assert_eq!(sheet.number(&format!("{col}2")), (value, "0".to_owned()), "{col}2 of 吴书记");
    }
    assert_eq!(sheet.number("I2"), (1.0, "0.0%".to_owned()), "a rate is a number in a percent format");
    assert_eq!(sheet.number("J2"), (0.0, "0.0%".to_owned()));
    assert!(sheet.is_text("K2"), "nothing owed: the make-up rate is a dash");
    assert_eq!(sheet.number("F3"), (1.0, "0".to_owned()), "张三 was absent");
    assert_eq!(sheet.number("I3"), (0.0, "0.0%".to_owned()));
    // The same as a CSV: as the page shows it.
    let (_, _, csv) = s.client.download(&format!("/records/branches/{}?{p}&format=csv", tree.a)).await;
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.contains("吴书记,1,1,0,0,0,0,0,100.0%,0.0%,—"), "{csv}");

    // A member's events: the day is a date.
    let (_, _, book) = s.client.download(&format!("/records/members/{}?{p}&format=xlsx", s.member)).await;
    let sheet = Stored::read(&book);
    let (serial, format) = sheet.number("A2");
    assert_eq!(format, "yyyy-mm-dd");
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap();
    assert_eq!(epoch + Duration::days(serial as i64), day, "the event's day as Excel counts days");
    assert!(sheet.is_text("B2"), "the title is text");
    // Read by a spreadsheet library, the same: a date, not a string.
    {
        use calamine::{Data, Reader};
        let mut xlsx = calamine::Xlsx::new(std::io::Cursor::new(book)).unwrap();
        let range = xlsx.worksheet_range_at(0).unwrap().unwrap();
        match range.get_value((1, 0)) {
            Some(Data::DateTime(d)) => assert_eq!(d.as_datetime().map(|t| t.date()), Some(day)),
            other => panic!("a date, not {other:?}"),
        }
    }

    // The association's branches and every member: counts and rates are numbers too.
    let admin = app.login_as(Role::Admin).await;
    let (_, _, book) = admin.download(&format!("/records?{p}&format=xlsx")).await;
    let sheet = Stored::read(&book);
    assert!(sheet.is_text("A2"));
    assert_eq!(sheet.number("B2"), (1.0, "0".to_owned()), "events held");
    assert_eq!(sheet.number("C2"), (2.0, "0".to_owned()), "expected");
    assert_eq!(sheet.number("J2"), (0.5, "0.0%".to_owned()), "attendance rate");
    let (_, _, book) = admin.download(&format!("/records/members?{p}&format=xlsx")).await;
    let sheet = Stored::read(&book);
    assert_eq!(sheet.number("C2").1, "0");
    assert_eq!(sheet.number("J2").1, "0.0%");
    // The ledger's totals are numbers; its marks are text.
    let (_, _, book) =
        s.client.download(&format!("/records/branches/{}/ledger?p={}&format=xlsx", tree.a, half(day))).await;
    let sheet = Stored::read(&book);
    assert!(sheet.is_text("B2"), "the mark √");
    assert_eq!(sheet.number("C2").1, "0", "the present count");
}

/// The name a download is offered under.
async fn named(c: &Client, path: String) -> String {
    let resp = c.get(&path).await;
    resp.assert_status(200);
    file_name(&resp)
}

/// The picker value of the half-year a day is in.
fn half(day: NaiveDate) -> String {
    format!("{}-h{}", day.year(), if day.month() <= 6 { 1 } else { 2 })
}
