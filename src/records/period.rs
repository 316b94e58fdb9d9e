//! The period a records page shows: a month, quarter, half-year or year named by one choice
//! (`2026-11`, `2026-q1`, `2026-h1`, `2026`), or from–to; the days of the association's zone.
use chrono::{Datelike, NaiveDate};

use crate::forms::FieldErrors;

/// The longest from–to period.
pub const MAX_YEARS: i32 = 5;

/// What a period is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Month,
    Quarter,
    Half,
    Year,
    Range,
}

impl PeriodKind {
    pub const ALL: [PeriodKind; 5] =
        [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Half, PeriodKind::Year, PeriodKind::Range];

    pub fn key(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Half => "half",
            PeriodKind::Year => "year",
            PeriodKind::Range => "range",
        }
    }

    pub fn label_key(self) -> &'static str {
        match self {
            PeriodKind::Month => "records.period_month",
            PeriodKind::Quarter => "records.period_quarter",
            PeriodKind::Half => "records.period_half",
            PeriodKind::Year => "records.period_year",
            PeriodKind::Range => "records.period_range",
        }
    }
}

/// Days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The years a period can be in (those a document can print).
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;

impl Period {
    pub fn year_of(today: NaiveDate) -> Period {
        let (from, to) = year_bounds(today.year());
        Period { kind: PeriodKind::Year, from, to }
    }

    /// The month, quarter (`n` 1–4), half (`n` 1–2) or year of `year`; None for a number out of
    /// its range or a year out of [`YEARS`].
    pub fn part(kind: PeriodKind, year: i32, n: u32) -> Option<Period> {
        if !YEARS.contains(&year) {
            return None;
        }
        let (count, months) = match kind {
            PeriodKind::Month => (12, 1),
            PeriodKind::Quarter => (4, 3),
            PeriodKind::Half => (2, 6),
            PeriodKind::Year => (1, 12),
            PeriodKind::Range => return None,
        };
        if !(1..=count).contains(&n) {
            return None;
        }
        let (from, to) = month_bounds(year, (n - 1) * months + 1, months)?;
        Some(Period { kind, from, to })
    }

    /// The half-year `day` is in.
    pub fn half_of(day: NaiveDate) -> Period {
        Period::part(PeriodKind::Half, day.year(), (day.month() - 1) / 6 + 1).unwrap_or_else(|| Period::year_of(day))
    }

    /// The period's number in its year: month 1–12, quarter 1–4, half 1–2; 1 for a year, 0 for a
    /// range.
    pub fn number(&self) -> u32 {
        let m = self.from.month();
        match self.kind {
            PeriodKind::Month => m,
            PeriodKind::Quarter => (m - 1) / 3 + 1,
            PeriodKind::Half => (m - 1) / 6 + 1,
            PeriodKind::Year => 1,
            PeriodKind::Range => 0,
        }
    }

    /// The picker's value for the period: `2026-11`, `2026-q4`, `2026-h2`, `2026`, or `range`
    /// (its dates travel beside it).
    pub fn key(&self) -> String {
        let y = self.from.year();
        match self.kind {
            PeriodKind::Month => format!("{y}-{:02}", self.number()),
            PeriodKind::Quarter => format!("{y}-q{}", self.number()),
            PeriodKind::Half => format!("{y}-h{}", self.number()),
            PeriodKind::Year => y.to_string(),
            PeriodKind::Range => "range".to_owned(),
        }
    }

    /// The period a picker value names (see [`Period::key`]; not `range`).
    pub fn of_key(key: &str) -> Option<Period> {
        let (y, rest) = match key.split_once('-') {
            Some((y, rest)) => (y, Some(rest)),
            None => (key, None),
        };
        if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        let number = |s: &str| if s.bytes().all(|b| b.is_ascii_digit()) { s.parse::<u32>().ok() } else { None };
        match rest.map(str::to_ascii_lowercase) {
            None => Period::part(PeriodKind::Year, year, 1),
            Some(r) => match (r.strip_prefix('q'), r.strip_prefix('h')) {
                (Some(q), _) => Period::part(PeriodKind::Quarter, year, number(q)?),
                (_, Some(h)) => Period::part(PeriodKind::Half, year, number(h)?),
                _ => Period::part(PeriodKind::Month, year, number(&r)?),
            },
        }
    }

    /// The first day after the period.
    pub fn end(&self) -> NaiveDate {
        self.to.succ_opt().unwrap_or(self.to)
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// The smallest period holding both.
    pub fn union(&self, o: &Period) -> Period {
        Period { kind: PeriodKind::Range, from: self.from.min(o.from), to: self.to.max(o.to) }
    }

    /// The months the period touches, as (year, month).
    pub fn months(&self) -> Vec<(i32, u32)> {
        let mut out = Vec::new();
        let (mut y, mut m) = (self.from.year(), self.from.month());
        while (y, m) <= (self.to.year(), self.to.month()) {
            out.push((y, m));
            (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        }
        out
    }
}

/// The periods the picker offers by name, newest first and only those begun by `today`: the
/// months of this year and the last, the quarters and halves of the last three years, the last
/// six years. Anything else is a from–to range (or an address that names it).
pub fn offered(today: NaiveDate) -> Vec<(PeriodKind, Vec<Period>)> {
    let y = today.year();
    let of = |kind: PeriodKind, years: i32, count: u32| -> Vec<Period> {
        (0..years)
            .flat_map(|back| (1..=count).rev().filter_map(move |n| Period::part(kind, y - back, n)))
            .filter(|p| p.from <= today)
            .collect()
    };
    vec![
        (PeriodKind::Month, of(PeriodKind::Month, 2, 12)),
        (PeriodKind::Quarter, of(PeriodKind::Quarter, 3, 4)),
        (PeriodKind::Half, of(PeriodKind::Half, 3, 2)),
        (PeriodKind::Year, of(PeriodKind::Year, 6, 1)),
    ]
}

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    (from, to)
}

fn month_bounds(year: i32, first: u32, months: u32) -> Option<(NaiveDate, NaiveDate)> {
    let from = NaiveDate::from_ymd_opt(year, first, 1)?;
    let last = first + months - 1;
    let next =
        if last == 12 { NaiveDate::from_ymd_opt(year + 1, 1, 1)? } else { NaiveDate::from_ymd_opt(year, last + 1, 1)? };
    Some((from, next.pred_opt()?))
}

/// The period form of every records page, as typed (query string): one choice `p` (a named
/// period, or `range` with `from` and `to`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct PeriodForm {
    /// A named period ([`Period::key`]) or `range`.
    pub p: String,
    pub from: String,
    pub to: String,
    /// The picker of before (`period=month&year=2026&n=11`): still read, as addresses that were
    /// bookmarked or sent carry it.
    pub period: String,
    pub year: String,
    /// The month (1–12), quarter (1–4) or half (1–2) of `year`, in the picker of before.
    pub n: String,
}

impl PeriodForm {
    /// The period asked for; this year when nothing is asked. Errors name `p` (the choice), or
    /// `from` and `to` for a range.
    pub fn parse(&self, today: NaiveDate) -> Result<Period, FieldErrors> {
        let p = self.p.trim();
        if p == "range" || (p.is_empty() && self.period.trim() == "range") {
            return self.range();
        }
        if !p.is_empty() {
            return Period::of_key(p).ok_or_else(|| FieldErrors::single("p", "records.period_invalid"));
        }
        self.legacy(today)
    }

    fn range(&self) -> Result<Period, FieldErrors> {
        use crate::forms::parse_date;
        let mut e = FieldErrors::default();
        let from = e.check("from", parse_date(&self.from).and_then(|d| d.ok_or("field.required")));
        let to = e.check("to", parse_date(&self.to).and_then(|d| d.ok_or("field.required")));
        let (Some(from), Some(to)) = (from, to) else { return Err(e) };
        if to < from {
            return Err(FieldErrors::single("to", "records.range_backwards"));
        }
        if to >= from.with_year(from.year() + MAX_YEARS).unwrap_or(NaiveDate::MAX) {
            return Err(FieldErrors::single("to", "records.range_too_long"));
        }
        Ok(Period { kind: PeriodKind::Range, from, to })
    }

    /// The picker of before: a kind, a year and a number. A blank year is this year's and a blank
    /// number the part of the year today is in (the first, for another year), as it was: the
    /// page now names the period it shows.
    fn legacy(&self, today: NaiveDate) -> Result<Period, FieldErrors> {
        let kind = match self.period.trim() {
            "" => PeriodKind::Year,
            k => match PeriodKind::ALL.into_iter().find(|p| p.key() == k) {
                Some(kind) => kind,
                None => return Err(FieldErrors::single("p", "records.period_invalid")),
            },
        };
        let year = match self.year.trim() {
            "" => today.year(),
            y => match y.parse::<i32>() {
                Ok(y) if YEARS.contains(&y) => y,
                _ => return Err(FieldErrors::single("p", "records.year_invalid")),
            },
        };
        let months = match kind {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Half => 6,
            // A year's number, if any, was never read.
            _ => {
                return Period::part(PeriodKind::Year, year, 1)
                    .ok_or_else(|| FieldErrors::single("p", "records.year_invalid"));
            }
        };
        let current = if year == today.year() { (today.month() - 1) / months + 1 } else { 1 };
        let n = match self.n.trim() {
            "" => current,
            n => n.parse::<u32>().map_err(|_| FieldErrors::single("p", "records.period_invalid"))?,
        };
        Period::part(kind, year, n).ok_or_else(|| FieldErrors::single("p", "records.period_invalid"))
    }

    /// The form for a period (to draw the period picker and links that keep it).
    pub fn of(p: &Period) -> PeriodForm {
        PeriodForm { p: p.key(), from: p.from.to_string(), to: p.to.to_string(), ..PeriodForm::default() }
    }

    /// The query string of this period.
    pub fn query(&self) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("p", &self.p);
        if self.p == "range" {
            q.append_pair("from", &self.from).append_pair("to", &self.to);
        }
        q.finish()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn form(period: &str, year: &str, n: &str) -> PeriodForm {
        PeriodForm { period: period.into(), year: year.into(), n: n.into(), ..Default::default() }
    }

    fn chosen(p: &str) -> PeriodForm {
        PeriodForm { p: p.into(), ..Default::default() }
    }

    #[test]
    fn periods_are_whole_months_quarters_halves_and_years() {
        let today = day(2026, 12, 3);
        assert_eq!(
            PeriodForm::default().parse(today).unwrap(),
            Period { kind: PeriodKind::Year, from: day(2026, 1, 1), to: day(2026, 12, 31) }
        );
        let feb = chosen("2024-02").parse(today).unwrap();
        assert_eq!((feb.kind, feb.from, feb.to), (PeriodKind::Month, day(2024, 2, 1), day(2024, 2, 29)));
        let q4 = chosen("2026-q4").parse(today).unwrap();
        assert_eq!(
            (q4.kind, q4.from, q4.to, q4.number()),
            (PeriodKind::Quarter, day(2026, 10, 1), day(2026, 12, 31), 4)
        );
        let h1 = chosen("2025-H1").parse(today).unwrap();
        assert_eq!((h1.from, h1.to, h1.months().len()), (day(2025, 1, 1), day(2025, 6, 30), 6));
        assert_eq!(chosen("2025").parse(today).unwrap(), Period::year_of(day(2025, 5, 5)));
        for p in [feb, q4, h1, Period::year_of(today)] {
            assert_eq!(PeriodForm::of(&p).parse(today).unwrap(), p, "the form of a period gives it back");
            assert_eq!(Period::of_key(&p.key()), Some(p));
        }
        let range =
            PeriodForm { p: "range".into(), from: "2026-01-05".into(), to: "2026-03-15".into(), ..Default::default() };
        let r = range.parse(today).unwrap();
        assert_eq!(PeriodForm::of(&r).query(), "p=range&from=2026-01-05&to=2026-03-15");
        assert_eq!(PeriodForm::of(&feb).query(), "p=2024-02");
    }

    #[test]
    fn addresses_of_the_picker_of_before_still_name_their_period() {
        let today = day(2026, 12, 3);
        let q = form("quarter", "2026", "").parse(today).unwrap();
        assert_eq!((q.from, q.to), (day(2026, 10, 1), day(2026, 12, 31)), "this quarter by default, as before");
        let nov = form("month", "2026", "11").parse(today).unwrap();
        assert_eq!(nov, chosen("2026-11").parse(today).unwrap());
        assert_eq!(form("half", "2025", "2").parse(today).unwrap().key(), "2025-h2");
        assert_eq!(form("year", "2024", "7").parse(today).unwrap().key(), "2024", "a year's number was never read");
        let old_range = PeriodForm {
            period: "range".into(),
            from: "2026-01-05".into(),
            to: "2026-03-15".into(),
            ..Default::default()
        };
        assert_eq!(old_range.parse(today).unwrap().kind, PeriodKind::Range);
    }

    #[test]
    fn bad_periods_name_their_field() {
        let today = day(2026, 12, 3);
        let err = |f: PeriodForm| f.parse(today).unwrap_err();
        for bad in ["2026-13", "2026-00", "2026-q5", "2026-h3", "decade", "26-11", "2026-1x", "99999", "1899"] {
            assert_eq!(err(chosen(bad)).get("p").unwrap().key, "records.period_invalid", "{bad}");
        }
        assert_eq!(err(form("decade", "", "")).get("p").unwrap().key, "records.period_invalid");
        assert_eq!(err(form("year", "20x6", "")).get("p").unwrap().key, "records.year_invalid");
        assert!(err(form("month", "2026", "13")).get("p").is_some());
        let range = |from: &str, to: &str| PeriodForm {
            p: "range".into(),
            from: from.into(),
            to: to.into(),
            ..Default::default()
        };
        assert_eq!(err(range("2026-05-01", "2026-04-01")).get("to").unwrap().key, "records.range_backwards");
        assert_eq!(err(range("2020-01-01", "2025-01-01")).get("to").unwrap().key, "records.range_too_long");
        assert!(err(range("2026-02-30", "")).get("from").is_some());
        let ok = range("2021-01-02", "2025-12-31").parse(today).unwrap();
        assert_eq!(ok.months().len(), 60);
    }

    #[test]
    fn the_picker_offers_named_periods_begun_newest_first() {
        let offered = offered(day(2026, 11, 20));
        let keys = |kind: PeriodKind| -> Vec<String> {
            offered.iter().find(|(k, _)| *k == kind).unwrap().1.iter().map(Period::key).collect()
        };
        let months = keys(PeriodKind::Month);
        assert_eq!((months.len(), months[0].as_str(), months[22].as_str()), (23, "2026-11", "2025-01"));
        assert_eq!(keys(PeriodKind::Quarter)[..2], ["2026-q4", "2026-q3"]);
        assert_eq!(keys(PeriodKind::Half)[..3], ["2026-h2", "2026-h1", "2025-h2"]);
        assert_eq!(keys(PeriodKind::Year), ["2026", "2025", "2024", "2023", "2022", "2021"]);
    }
}
