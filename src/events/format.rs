//! How events' times and changes read, on pages and in messages: written out here, below the
//! pages and the mail that both show them.
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// A time in a zone, as shown on pages and in forms ("2026-11-24 14:30"; lists show fifty, so
/// written out directly rather than through a format string parsed each time).
pub fn local(t: &DateTime<Utc>, tz: Tz) -> String {
    minutes(t, tz, ' ')
}

/// What follows a time of a branch in `tz`: nothing in the association's own zone (everyone
/// reads its times so), else the zone's name in the reader's brackets ("（Asia/Tokyo）").
pub fn zone_note(tz: Tz, locale: crate::i18n::Locale) -> String {
    if crate::branches::rules::is_default_zone(tz) {
        return String::new();
    }
    let t = |k| crate::i18n::t(locale, k);
    format!("{}{}{}", t("punct.lparen"), tz.name(), t("punct.rparen"))
}

/// The value of a datetime-local input.
pub fn input(t: &DateTime<Utc>, tz: Tz) -> String {
    minutes(t, tz, 'T')
}

fn minutes(t: &DateTime<Utc>, tz: Tz, sep: char) -> String {
    use chrono::{Datelike, Timelike};
    let l = t.with_timezone(&tz);
    format!("{:04}-{:02}-{:02}{sep}{:02}:{:02}", l.year(), l.month(), l.day(), l.hour(), l.minute())
}

/// A change log line's summary as people read it: a change of time, stored as instants
/// ("start – end → start – end" in RFC 3339), in the branch's zone; others as recorded.
pub fn change_summary(kind: &str, summary: &str, tz: Tz) -> String {
    let when = |pair: &str| -> Option<String> {
        let (a, b) = pair.split_once(" – ")?;
        let (a, b) = (DateTime::parse_from_rfc3339(a.trim()).ok()?, DateTime::parse_from_rfc3339(b.trim()).ok()?);
        let (a, b) = (a.with_timezone(&Utc), b.with_timezone(&Utc));
        let same_day = a.with_timezone(&tz).date_naive() == b.with_timezone(&tz).date_naive();
        let end = if same_day { local(&b, tz)[11..].to_owned() } else { local(&b, tz) };
        Some(format!("{} – {end}", local(&a, tz)))
    };
    if kind == "time"
        && let Some((old, new)) = summary.split_once(" → ")
        && let (Some(old), Some(new)) = (when(old), when(new))
    {
        return format!("{old} → {new}");
    }
    summary.to_owned()
}
