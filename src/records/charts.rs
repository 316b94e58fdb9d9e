//! Charts drawn on the server: no script, no library from a CDN, Chinese labels in the page's
//! own font. Bars are rows of HTML (label and value as text at the page's size, at any width)
//! with an SVG bar each; the member's year is an SVG heatmap drawn at its natural size (its text
//! never shrinks), in a box that scrolls on a phone and opens at its latest month. A `<title>`
//! on every heatmap cell is what a pointer reads; every chart has its table under it.
use std::{collections::HashMap, fmt::Write};

use chrono::{Datelike, Duration, NaiveDate, Weekday};

/// Text for SVG: `&`, `<`, `>` and quotes escaped.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar of a chart drawn as HTML rows: its label, its rate (None: nothing expected), and
/// what it counted (such as "6/11").
pub struct Bar {
    pub label: String,
    pub rate: Option<f64>,
    pub detail: String,
}

impl Bar {
    /// The bar's length in percent of the row (an SVG attribute: the CSP forbids inline styles).
    pub fn width(&self) -> String {
        format!("{:.1}", self.rate.unwrap_or(0.0).clamp(0.0, 1.0) * 100.0)
    }

    /// The rate as people read it ("54.5%", or a dash).
    pub fn value(&self) -> String {
        super::rules::percent(self.rate)
    }
}

/// A small bar per month, for a row of a table (its figures are in the row itself).
pub fn spark(rates: &[(Option<f64>, String)]) -> String {
    let (w, h) = (rates.len().max(1) as f64 * 6.0, 20.0_f64);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="spark" viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-hidden="true" xmlns="http://www.w3.org/2000/svg">"#
    );
    for (i, (rate, title)) in rates.iter().enumerate() {
        let bh = rate.map_or(0.0, |r| (r.clamp(0.0, 1.0) * (h - 1.0)).max(1.0));
        let _ = write!(
            s,
            r#"<rect x="{}" y="{:.1}" width="5" height="{bh:.1}" class="bar"><title>{}</title></rect>"#,
            i * 6,
            h - bh,
            esc(title)
        );
    }
    s.push_str("</svg>");
    s
}

/// How an expected member's outcome shows: a day of their heatmap, a cell of the ledger (not an
/// attendance mark a secretary gives, `attendance::rules::Mark`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutcomeMark {
    Present,
    Late,
    Leave,
    Absent,
    MadeUp,
}

impl OutcomeMark {
    pub const ALL: [OutcomeMark; 5] =
        [OutcomeMark::Present, OutcomeMark::Late, OutcomeMark::Leave, OutcomeMark::Absent, OutcomeMark::MadeUp];

    pub fn class(self) -> &'static str {
        match self {
            OutcomeMark::Present => "present",
            OutcomeMark::Late => "late",
            OutcomeMark::Leave => "leave",
            OutcomeMark::Absent => "absent",
            OutcomeMark::MadeUp => "madeup",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            OutcomeMark::Present => "records.mark_present",
            OutcomeMark::Late => "records.mark_late",
            OutcomeMark::Leave => "records.mark_leave",
            OutcomeMark::Absent => "records.mark_absent",
            OutcomeMark::MadeUp => "records.mark_madeup",
        }
    }

    /// The worse of two marks of one day (an absence shows over an attendance the same day).
    fn rank(self) -> u8 {
        match self {
            OutcomeMark::Present => 0,
            OutcomeMark::Late => 1,
            OutcomeMark::MadeUp => 2,
            OutcomeMark::Leave => 3,
            OutcomeMark::Absent => 4,
        }
    }

    pub fn worse(self, other: OutcomeMark) -> OutcomeMark {
        if other.rank() > self.rank() { other } else { self }
    }
}

/// The heatmap's geometry, in CSS pixels: it is drawn at this size, never scaled, so that its
/// month names keep their 12 px on a phone (the box around it scrolls instead).
const CELL: f64 = 14.0;
const GAP: f64 = 3.0;
const LEFT: f64 = 4.0;
const TOP: f64 = 18.0;

/// A year up to `last` (the latest month to show: the end of the year, or of this month in the
/// current one) as weeks (columns, Monday first) by weekdays (rows); days with an event are
/// coloured by their mark and titled with the date, the mark and the events. `month_label`
/// names months; the latest one's label is marked `latest`.
pub fn heatmap(
    year: i32,
    last: NaiveDate,
    days: &HashMap<NaiveDate, (OutcomeMark, String)>,
    month_label: impl Fn(u32) -> String,
    caption: &str,
) -> String {
    let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else { return String::new() };
    let last = last.max(first);
    let start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let weeks = (last - start).num_days() / 7 + 1;
    let w = LEFT + weeks as f64 * (CELL + GAP);
    let h = TOP + 7.0 * (CELL + GAP);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="heatmap" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(caption)
    );
    let mut day = start;
    let mut week = 0;
    while day <= last {
        let x = LEFT + f64::from(week) * (CELL + GAP);
        if day.weekday() == Weekday::Mon {
            // A month's name over the week its first day falls in.
            let first_of_month = (0..7).map(|i| day + Duration::days(i)).find(|d| d.day() == 1 && d.year() == year);
            if let Some(d) = first_of_month {
                let latest = if d.month() == last.month() { " latest" } else { "" };
                let _ = write!(
                    s,
                    r#"<text x="{x:.1}" y="13" font-size="12" class="axis month{latest}">{}</text>"#,
                    esc(&month_label(d.month()))
                );
            }
        }
        if day.year() == year {
            let y = TOP + f64::from(day.weekday().num_days_from_monday()) * (CELL + GAP);
            match days.get(&day) {
                Some((mark, title)) => {
                    let _ = write!(
                        s,
                        r#"<rect x="{x:.1}" y="{y:.1}" width="{CELL}" height="{CELL}" class="day {}"><title>{} {}</title></rect>"#,
                        mark.class(),
                        day,
                        esc(title)
                    );
                }
                None => {
                    let _ = write!(
                        s,
                        r#"<rect x="{x:.1}" y="{y:.1}" width="{CELL}" height="{CELL}" class="day"><title>{day}</title></rect>"#
                    );
                }
            }
        }
        day += Duration::days(1);
        if day.weekday() == Weekday::Mon {
            week += 1;
        }
    }
    s.push_str("</svg>");
    s
}

/// The last day a year's heatmap shows: the end of the month `today` is in for the current
/// year (the months after it hold nothing yet), else the year's end.
pub fn heatmap_end(year: i32, today: NaiveDate) -> NaiveDate {
    let dec = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today);
    if year != today.year() {
        return dec;
    }
    let next = if today.month() == 12 { None } else { NaiveDate::from_ymd_opt(year, today.month() + 1, 1) };
    next.and_then(|d| d.pred_opt()).unwrap_or(dec)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_is_as_long_as_its_rate_and_says_it() {
        let bar = |rate| Bar { label: "1月".into(), rate, detail: "6/11".into() };
        assert_eq!((bar(Some(6.0 / 11.0)).width(), bar(Some(6.0 / 11.0)).value()), ("54.5".into(), "54.5%".into()));
        assert_eq!((bar(None).width(), bar(None).value()), ("0.0".into(), "—".into()));
        assert_eq!(bar(Some(1.5)).width(), "100.0");
    }

    #[test]
    fn a_heatmap_has_a_cell_per_day_and_colours_the_days_with_events() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        let days = HashMap::from([(day, (OutcomeMark::Absent, "党日".to_owned()))]);
        let dec = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
        let svg = heatmap(2024, dec, &days, |m| format!("{m}月"), "x");
        assert_eq!(svg.matches("<rect").count(), 366, "2024 is a leap year");
        assert_eq!(svg.matches("day absent").count(), 1);
        assert!(svg.contains("<title>2024-03-05 党日</title>"));
        assert_eq!(svg.matches(">1月<").count(), 1);
        assert!(svg.contains(r#"class="axis month latest">12月<"#), "{svg}");
        assert!(svg.contains(r#"width="905""#), "drawn at its natural size: 53 weeks of 17 px");
        // This year: up to the end of this month, which is the latest.
        let today = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        assert_eq!(heatmap_end(2024, today), NaiveDate::from_ymd_opt(2024, 3, 31).unwrap());
        assert_eq!(heatmap_end(2023, today), NaiveDate::from_ymd_opt(2023, 12, 31).unwrap());
        let march = heatmap(2024, heatmap_end(2024, today), &days, |m| format!("{m}月"), "x");
        assert_eq!(march.matches("<rect").count(), 31 + 29 + 31);
        assert!(march.contains(r#"class="axis month latest">3月<"#) && !march.contains(">4月<"), "{march}");
        assert_eq!(OutcomeMark::Present.worse(OutcomeMark::Absent), OutcomeMark::Absent);
    }
}
