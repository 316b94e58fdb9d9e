//! Charts drawn on the server as SVG: no script, no library from a CDN, Chinese labels in the
//! page's own font, a `<title>` on every bar and cell (what a pointer or a screen reader reads).
//! Every chart has a table beside or behind it on its page; the SVG is `aria-hidden`.
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

/// One bar: its label under the axis, its value (a rate, None: nothing expected), its title.
pub struct Bar {
    pub label: String,
    pub rate: Option<f64>,
    pub title: String,
}

/// Bars of rates from 0 to 100 %, with lines at 50 % and 100 %. Scales to the width of its box.
pub fn bars(bars: &[Bar], caption: &str) -> String {
    let (w, h, left, bottom, top) = (640.0_f64, 220.0_f64, 36.0, 28.0, 10.0);
    let plot = h - bottom - top;
    let n = bars.len().max(1) as f64;
    let step = (w - left) / n;
    let bar = (step * 0.7).max(1.0);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(caption)
    );
    for pct in [0, 50, 100] {
        let y = top + plot * (1.0 - f64::from(pct) / 100.0);
        let _ = write!(
            s,
            r#"<line x1="{left}" y1="{y:.1}" x2="{w}" y2="{y:.1}" class="grid"/><text x="{:.1}" y="{:.1}" class="axis" text-anchor="end">{pct}%</text>"#,
            left - 4.0,
            y + 4.0
        );
    }
    // Labels thin out when there are many bars (every other, every third...).
    let every = (bars.len() / 12).max(1);
    for (i, b) in bars.iter().enumerate() {
        let x = left + step * i as f64 + (step - bar) / 2.0;
        let rate = b.rate.unwrap_or(0.0).clamp(0.0, 1.0);
        let bh = plot * rate;
        let class = if b.rate.is_none() { "bar none" } else { "bar" };
        let _ = write!(
            s,
            r#"<rect x="{x:.1}" y="{:.1}" width="{bar:.1}" height="{:.1}" class="{class}"><title>{}</title></rect>"#,
            top + plot - bh.max(if b.rate.is_none() { 0.0 } else { 1.0 }),
            bh.max(if b.rate.is_none() { 0.0 } else { 1.0 }),
            esc(&b.title)
        );
        if i % every == 0 {
            let _ = write!(
                s,
                r#"<text x="{:.1}" y="{:.1}" class="axis" text-anchor="middle">{}</text>"#,
                x + bar / 2.0,
                h - 8.0,
                esc(&b.label)
            );
        }
    }
    s.push_str("</svg>");
    s
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

/// A year as weeks (columns, Monday first) by weekdays (rows); days with an event are coloured
/// by their mark and titled with the date, the mark and the events. `month_label` names months.
pub fn heatmap(
    year: i32,
    days: &HashMap<NaiveDate, (OutcomeMark, String)>,
    month_label: impl Fn(u32) -> String,
    caption: &str,
) -> String {
    let Some(first) = NaiveDate::from_ymd_opt(year, 1, 1) else { return String::new() };
    let start = first - Duration::days(i64::from(first.weekday().num_days_from_monday()));
    let (cell, gap, left, top) = (11.0_f64, 2.0_f64, 4.0_f64, 16.0_f64);
    let weeks = 54;
    let w = left + f64::from(weeks) * (cell + gap);
    let h = top + 7.0 * (cell + gap);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart heatmap" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(caption)
    );
    let mut day = start;
    let mut week = 0;
    while day.year() <= year && week < weeks {
        let x = left + f64::from(week) * (cell + gap);
        if day.weekday() == Weekday::Mon {
            // A month's name over the week its first day falls in.
            let first_of_month = (0..7).map(|i| day + Duration::days(i)).find(|d| d.day() == 1 && d.year() == year);
            if let Some(d) = first_of_month {
                let _ = write!(s, r#"<text x="{x:.1}" y="11" class="axis">{}</text>"#, esc(&month_label(d.month())));
            }
        }
        if day.year() == year {
            let y = top + f64::from(day.weekday().num_days_from_monday()) * (cell + gap);
            match days.get(&day) {
                Some((mark, title)) => {
                    let _ = write!(
                        s,
                        r#"<rect x="{x:.1}" y="{y:.1}" width="{cell}" height="{cell}" class="day {}"><title>{} {}</title></rect>"#,
                        mark.class(),
                        day,
                        esc(title)
                    );
                }
                None => {
                    let _ = write!(
                        s,
                        r#"<rect x="{x:.1}" y="{y:.1}" width="{cell}" height="{cell}" class="day"><title>{day}</title></rect>"#
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_their_text_and_title_every_bar() {
        let svg = bars(
            &[
                Bar { label: "1月".into(), rate: Some(0.5), title: "<b>&".into() },
                Bar { label: "2月".into(), rate: None, title: "—".into() },
            ],
            "趋势",
        );
        assert_eq!(svg.matches("<title>").count(), 2);
        assert!(svg.contains("&lt;b&gt;&amp;") && !svg.contains("<b>"));
        assert!(svg.contains(">1月<") && svg.contains(r#"aria-label="趋势""#));
    }

    #[test]
    fn a_heatmap_has_a_cell_per_day_and_colours_the_days_with_events() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        let days = HashMap::from([(day, (OutcomeMark::Absent, "党日".to_owned()))]);
        let svg = heatmap(2024, &days, |m| format!("{m}月"), "x");
        assert_eq!(svg.matches("<rect").count(), 366, "2024 is a leap year");
        assert_eq!(svg.matches("day absent").count(), 1);
        assert!(svg.contains("<title>2024-03-05 党日</title>"));
        assert_eq!(svg.matches(">1月<").count(), 1);
        assert_eq!(OutcomeMark::Present.worse(OutcomeMark::Absent), OutcomeMark::Absent);
    }
}
