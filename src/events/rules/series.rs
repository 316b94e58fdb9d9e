//! Monthly series rules and their dates.
//!
//! A series is a recurring theme party day ("the 24th of every month", "the last Friday"). Rules are
//! stored as short stable strings (`day:24`, `weekday:last:fri`) so the database does not depend on
//! Rust enum layouts, and dates are computed here as plain calendar dates: the time of day and the
//! branch's zone are applied afterwards with [`local_to_utc`].
use chrono::{DateTime, Datelike, Days, LocalResult, Months, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};

/// Which occurrence of a weekday in a month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nth {
    First,
    Second,
    Third,
    Fourth,
    /// The last one, whether the month has four or five of that weekday.
    Last,
}

impl Nth {
    fn key(self) -> &'static str {
        match self {
            Nth::First => "1",
            Nth::Second => "2",
            Nth::Third => "3",
            Nth::Fourth => "4",
            Nth::Last => "last",
        }
    }

    fn from_key(s: &str) -> Option<Nth> {
        match s {
            "1" => Some(Nth::First),
            "2" => Some(Nth::Second),
            "3" => Some(Nth::Third),
            "4" => Some(Nth::Fourth),
            "last" => Some(Nth::Last),
            _ => None,
        }
    }
}

/// The rule a monthly series follows to find its date in each month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeriesRule {
    /// A fixed day of the month (1..=31); months without that day are skipped, not moved.
    DayOfMonth(u32),
    /// The nth (or last) given weekday of the month.
    Weekday { nth: Nth, weekday: Weekday },
}

fn weekday_key(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "mon",
        Weekday::Tue => "tue",
        Weekday::Wed => "wed",
        Weekday::Thu => "thu",
        Weekday::Fri => "fri",
        Weekday::Sat => "sat",
        Weekday::Sun => "sun",
    }
}

fn weekday_from_key(s: &str) -> Option<Weekday> {
    match s {
        "mon" => Some(Weekday::Mon),
        "tue" => Some(Weekday::Tue),
        "wed" => Some(Weekday::Wed),
        "thu" => Some(Weekday::Thu),
        "fri" => Some(Weekday::Fri),
        "sat" => Some(Weekday::Sat),
        "sun" => Some(Weekday::Sun),
        _ => None,
    }
}

/// How far [`SeriesRule::occurrences`] looks ahead, in months after the starting month.
const MAX_MONTHS_AHEAD: u32 = 48;

impl SeriesRule {
    /// Stable text form stored in the database: "day:24", "weekday:last:fri", "weekday:2:mon" (parse and to_db
    /// round-trip).
    pub fn to_db(&self) -> String {
        match self {
            SeriesRule::DayOfMonth(day) => format!("day:{day}"),
            SeriesRule::Weekday { nth, weekday } => format!("weekday:{}:{}", nth.key(), weekday_key(*weekday)),
        }
    }

    /// Parses the form written by [`SeriesRule::to_db`]; `None` for anything else, including a day outside 1..=31.
    ///
    /// Deliberately strict (lower case, no spaces): the string is only ever written by `to_db`, so anything else
    /// means a corrupted row rather than user input to be forgiving about.
    pub fn from_db(s: &str) -> Option<SeriesRule> {
        let mut parts = s.split(':');
        let rule = match (parts.next()?, parts.next()?, parts.next()) {
            ("day", day, None) => {
                if day.is_empty() || !day.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let day: u32 = day.parse().ok()?;
                if !(1..=31).contains(&day) {
                    return None;
                }
                SeriesRule::DayOfMonth(day)
            }
            ("weekday", nth, Some(weekday)) => {
                SeriesRule::Weekday { nth: Nth::from_key(nth)?, weekday: weekday_from_key(weekday)? }
            }
            _ => return None,
        };
        match parts.next() {
            Some(_) => None,
            None => Some(rule),
        }
    }

    /// The rule's date in one month, if that month has one (DayOfMonth(31) has none in April).
    pub fn date_in(&self, year: i32, month: u32) -> Option<NaiveDate> {
        match *self {
            SeriesRule::DayOfMonth(day) => NaiveDate::from_ymd_opt(year, month, day),
            SeriesRule::Weekday { nth, weekday } => {
                let first = NaiveDate::from_ymd_opt(year, month, 1)?;
                let index = match nth {
                    Nth::First => 0,
                    Nth::Second => 1,
                    Nth::Third => 2,
                    Nth::Fourth => 3,
                    Nth::Last => {
                        let last = first.checked_add_months(Months::new(1))?.pred_opt()?;
                        let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
                        return last.checked_sub_days(Days::new(u64::from(back)));
                    }
                };
                let ahead = (7 + weekday.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
                let date = first.checked_add_days(Days::new(u64::from(ahead + 7 * index)))?;
                // Every month has at least four of each weekday, but keep the guard cheap and explicit.
                (date.month() == month).then_some(date)
            }
        }
    }

    /// The first `count` dates on or after `from`, in order; looks at most 48 months ahead, so a rule that
    /// yields nothing (there is none with valid input, but guard anyway) returns fewer or none.
    pub fn occurrences(&self, from: NaiveDate, count: usize) -> Vec<NaiveDate> {
        let mut dates = Vec::with_capacity(count.min(64));
        let Some(month_start) = from.with_day(1) else {
            return dates;
        };
        for ahead in 0..=MAX_MONTHS_AHEAD {
            if dates.len() >= count {
                break;
            }
            let Some(month) = month_start.checked_add_months(Months::new(ahead)) else {
                break;
            };
            if let Some(date) = self.date_in(month.year(), month.month())
                && date >= from
            {
                dates.push(date);
            }
        }
        dates
    }
}

/// Why a wall-clock time in a zone does not name exactly one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LocalTimeError {
    /// The time is skipped when clocks go forward (DST gap).
    #[error("this time does not exist in the time zone (clocks go forward)")]
    Nonexistent,
    /// The time happens twice when clocks go back (DST end).
    #[error("this time happens twice in the time zone (clocks go back)")]
    Ambiguous,
}

/// A wall-clock time in a zone as an instant: Err(Nonexistent) when it falls in a DST gap, Err(Ambiguous) when it
/// happens twice (DST end): callers show these as field errors.
///
/// Time-zone policy: we never guess (no "first of the two", no shifting out of the gap), because a party day
/// announced an hour off is worse than asking the secretary to pick another time.
pub fn local_to_utc(tz: chrono_tz::Tz, local: NaiveDateTime) -> Result<DateTime<Utc>, LocalTimeError> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(dt) => Ok(dt.with_timezone(&Utc)),
        LocalResult::None => Err(LocalTimeError::Nonexistent),
        LocalResult::Ambiguous(_, _) => Err(LocalTimeError::Ambiguous),
    }
}

/// The first instant of a local day: its midnight; where midnight falls in a DST gap (clocks jump
/// from 00:00 to 01:00, as in Havana), the first instant after the gap, when the day's clocks
/// start; where midnight happens twice, the first. Lists and calendars cut days with it.
pub fn start_of_day(tz: chrono_tz::Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_time(chrono::NaiveTime::MIN);
    // Zone transitions fall on whole minutes and gaps last at most a few hours.
    (0..=24 * 60)
        .find_map(|m| tz.from_local_datetime(&(midnight + chrono::Duration::minutes(m))).earliest())
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {

    #[test]
    fn a_day_starts_at_its_first_instant_even_when_midnight_is_skipped() {
        let havana = chrono_tz::America::Havana;
        // 2026-03-08: Cuba's clocks go from 00:00 to 01:00 (UTC-5 to UTC-4).
        let day = date(2026, 3, 8);
        assert!(havana.from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap()).earliest().is_none());
        assert_eq!(start_of_day(havana, day), Utc.with_ymd_and_hms(2026, 3, 8, 5, 0, 0).unwrap());
        assert_eq!(start_of_day(havana, date(2026, 3, 9)), Utc.with_ymd_and_hms(2026, 3, 9, 4, 0, 0).unwrap());
        let shanghai = chrono_tz::Asia::Shanghai;
        assert_eq!(start_of_day(shanghai, date(2026, 12, 2)), Utc.with_ymd_and_hms(2026, 12, 1, 16, 0, 0).unwrap());
    }
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        date(y, m, d).and_hms_opt(h, min, 0).unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(&at(y, m, d, h, min))
    }

    #[test]
    fn the_24th_every_month() {
        let rule = SeriesRule::DayOfMonth(24);
        assert_eq!(rule.date_in(2026, 2), Some(date(2026, 2, 24)));
        assert_eq!(
            rule.occurrences(date(2026, 11, 1), 4),
            vec![date(2026, 11, 24), date(2026, 12, 24), date(2027, 1, 24), date(2027, 2, 24)]
        );
    }

    #[test]
    fn the_31st_skips_short_months() {
        let rule = SeriesRule::DayOfMonth(31);
        assert_eq!(rule.date_in(2026, 4), None);
        assert_eq!(rule.date_in(2026, 2), None);
        assert_eq!(
            rule.occurrences(date(2026, 1, 1), 4),
            vec![date(2026, 1, 31), date(2026, 3, 31), date(2026, 5, 31), date(2026, 7, 31)]
        );
    }

    #[test]
    fn the_29th_of_february_only_in_leap_years() {
        let rule = SeriesRule::DayOfMonth(29);
        assert_eq!(rule.date_in(2027, 2), None);
        assert_eq!(rule.date_in(2028, 2), Some(date(2028, 2, 29)));
    }

    #[test]
    fn last_friday() {
        let rule = SeriesRule::Weekday { nth: Nth::Last, weekday: Weekday::Fri };
        // February 2027 has four Fridays: 5, 12, 19, 26.
        assert_eq!(rule.date_in(2027, 2), Some(date(2027, 2, 26)));
        // January 2027 has five: 1, 8, 15, 22, 29.
        assert_eq!(rule.date_in(2027, 1), Some(date(2027, 1, 29)));
        // The last day of the month is itself a Friday (July 2026 ends on Friday the 31st).
        assert_eq!(rule.date_in(2026, 7), Some(date(2026, 7, 31)));
        // December crosses the year boundary when looking for the month's end.
        assert_eq!(rule.date_in(2026, 12), Some(date(2026, 12, 25)));
    }

    #[test]
    fn nth_weekdays() {
        let second_monday = SeriesRule::Weekday { nth: Nth::Second, weekday: Weekday::Mon };
        // November 2026 starts on a Sunday: Mondays are 2, 9, 16, ...
        assert_eq!(second_monday.date_in(2026, 11), Some(date(2026, 11, 9)));
        // June 2026 starts on a Monday: the first Monday is the 1st itself.
        assert_eq!(second_monday.date_in(2026, 6), Some(date(2026, 6, 8)));
        let first_sunday = SeriesRule::Weekday { nth: Nth::First, weekday: Weekday::Sun };
        assert_eq!(first_sunday.date_in(2026, 11), Some(date(2026, 11, 1)));
        let fourth_thursday = SeriesRule::Weekday { nth: Nth::Fourth, weekday: Weekday::Thu };
        assert_eq!(fourth_thursday.date_in(2026, 11), Some(date(2026, 11, 26)));
        let third_wednesday = SeriesRule::Weekday { nth: Nth::Third, weekday: Weekday::Wed };
        assert_eq!(third_wednesday.date_in(2027, 2), Some(date(2027, 2, 17)));
    }

    #[test]
    fn every_weekday_rule_has_a_date_in_every_month() {
        let nths = [Nth::First, Nth::Second, Nth::Third, Nth::Fourth, Nth::Last];
        let weekdays =
            [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];
        for nth in nths {
            for weekday in weekdays {
                let rule = SeriesRule::Weekday { nth, weekday };
                for month in 1..=12 {
                    let d = rule.date_in(2026, month).unwrap();
                    assert_eq!((d.month(), d.weekday()), (month, weekday), "{rule:?}");
                }
            }
        }
    }

    #[test]
    fn occurrences_start_on_or_after_from() {
        let rule = SeriesRule::DayOfMonth(24);
        // After this month's date: starts next month.
        assert_eq!(rule.occurrences(date(2026, 11, 25), 2), vec![date(2026, 12, 24), date(2027, 1, 24)]);
        // On the date itself: included.
        assert_eq!(rule.occurrences(date(2026, 11, 24), 1), vec![date(2026, 11, 24)]);
        // Before it, mid-month: this month's date first.
        assert_eq!(rule.occurrences(date(2026, 11, 10), 1), vec![date(2026, 11, 24)]);

        let last_friday = SeriesRule::Weekday { nth: Nth::Last, weekday: Weekday::Fri };
        assert_eq!(
            last_friday.occurrences(date(2026, 11, 28), 3),
            vec![date(2026, 12, 25), date(2027, 1, 29), date(2027, 2, 26)]
        );
        assert!(rule.occurrences(date(2026, 11, 1), 0).is_empty());
    }

    #[test]
    fn occurrences_are_bounded() {
        // A rule with no valid dates (only reachable by constructing it by hand) gives up after 48 months.
        assert!(SeriesRule::DayOfMonth(32).occurrences(date(2026, 1, 1), 3).is_empty());
        // A large count is cut off by the horizon: the starting month plus 48 more.
        assert_eq!(SeriesRule::DayOfMonth(1).occurrences(date(2026, 1, 1), 1000).len(), 49);
        // February 30 never exists, but the 30th does in the other months.
        let thirtieth = SeriesRule::DayOfMonth(30).occurrences(date(2026, 1, 1), 12);
        assert_eq!(thirtieth.len(), 12);
        assert!(thirtieth.iter().all(|d| d.month() != 2 && d.day() == 30));
        assert!(thirtieth.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn db_form_round_trips() {
        let cases = [
            (SeriesRule::DayOfMonth(24), "day:24"),
            (SeriesRule::DayOfMonth(1), "day:1"),
            (SeriesRule::DayOfMonth(31), "day:31"),
            (SeriesRule::Weekday { nth: Nth::Last, weekday: Weekday::Fri }, "weekday:last:fri"),
            (SeriesRule::Weekday { nth: Nth::Second, weekday: Weekday::Mon }, "weekday:2:mon"),
            (SeriesRule::Weekday { nth: Nth::First, weekday: Weekday::Sun }, "weekday:1:sun"),
            (SeriesRule::Weekday { nth: Nth::Third, weekday: Weekday::Wed }, "weekday:3:wed"),
            (SeriesRule::Weekday { nth: Nth::Fourth, weekday: Weekday::Sat }, "weekday:4:sat"),
            (SeriesRule::Weekday { nth: Nth::Fourth, weekday: Weekday::Tue }, "weekday:4:tue"),
            (SeriesRule::Weekday { nth: Nth::Fourth, weekday: Weekday::Thu }, "weekday:4:thu"),
        ];
        for (rule, text) in cases {
            assert_eq!(rule.to_db(), text);
            assert_eq!(SeriesRule::from_db(text), Some(rule), "{text}");
        }
    }

    #[test]
    fn junk_is_rejected() {
        for junk in [
            "",
            "day",
            "day:",
            "day:0",
            "day:32",
            "day:-1",
            "day:+5",
            "day: 5",
            "day:5:",
            "day:4294967296",
            "DAY:5",
            "weekday",
            "weekday:last",
            "weekday:last:",
            "weekday:5:fri",
            "weekday:0:fri",
            "weekday:last:friday",
            "weekday:Last:Fri",
            "weekday:last:fri:extra",
            "week:last:fri",
            " day:5",
            "day:5 ",
        ] {
            assert_eq!(SeriesRule::from_db(junk), None, "{junk:?}");
        }
    }

    #[test]
    fn local_times_in_a_zone_without_dst() {
        let shanghai = chrono_tz::Asia::Shanghai;
        assert_eq!(local_to_utc(shanghai, at(2026, 11, 24, 14, 30)), Ok(utc(2026, 11, 24, 6, 30)));
        assert_eq!(local_to_utc(shanghai, at(2026, 1, 1, 2, 0)), Ok(utc(2025, 12, 31, 18, 0)));
    }

    #[test]
    fn local_times_around_berlin_dst() {
        let berlin = chrono_tz::Europe::Berlin;
        // Clocks go from 02:00 to 03:00 on 2026-03-29.
        assert_eq!(local_to_utc(berlin, at(2026, 3, 29, 2, 30)), Err(LocalTimeError::Nonexistent));
        assert_eq!(local_to_utc(berlin, at(2026, 3, 29, 1, 59)), Ok(utc(2026, 3, 29, 0, 59)));
        assert_eq!(local_to_utc(berlin, at(2026, 3, 29, 3, 0)), Ok(utc(2026, 3, 29, 1, 0)));
        // Clocks go from 03:00 back to 02:00 on 2026-10-25.
        assert_eq!(local_to_utc(berlin, at(2026, 10, 25, 2, 30)), Err(LocalTimeError::Ambiguous));
        assert_eq!(local_to_utc(berlin, at(2026, 10, 25, 3, 0)), Ok(utc(2026, 10, 25, 2, 0)));
        assert_eq!(local_to_utc(berlin, at(2026, 7, 1, 19, 0)), Ok(utc(2026, 7, 1, 17, 0)));
        assert_eq!(local_to_utc(berlin, at(2026, 12, 1, 19, 0)), Ok(utc(2026, 12, 1, 18, 0)));
    }
}
