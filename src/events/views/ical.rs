//! iCalendar (RFC 5545) output for events.
//!
//! Written by hand rather than with a builder crate because the parts that matter to calendar clients are few but
//! subtle: TEXT escaping, folding long lines (our text is mostly Chinese, three octets a character) without
//! splitting a character, and a VTIMEZONE that matches the tz database so that clients show the branch's local
//! time even when their own zone rules differ.
use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

/// The iTIP method of a calendar (RFC 5546): how a receiving client should treat it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// A feed or a download: add or update, no reply expected.
    Publish,
    /// An invitation: the event needs an ORGANIZER, and clients offer accept/decline.
    Request,
    /// The event is called off: send the same UID with a higher SEQUENCE and `cancelled: true`.
    Cancel,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Publish => "PUBLISH",
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
        }
    }
}

/// One event as written into a calendar. Texts are plain (not escaped); empty optional texts are left out.
#[derive(Debug, Clone)]
pub struct IcalEvent<'a> {
    /// Globally unique and stable across updates, e.g. "event-42@partyday.example.org".
    pub uid: &'a str,
    /// Incremented on each significant change (time, place, cancellation) so clients replace their copy.
    pub sequence: i32,
    /// When this version of the calendar data was created.
    pub dtstamp: DateTime<Utc>,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The branch's zone: DTSTART/DTEND are written as local times with TZID= (UTC zones as …Z times).
    pub tz: Tz,
    pub summary: &'a str,
    /// Plain text, may contain newlines.
    pub description: &'a str,
    pub location: &'a str,
    /// One category, e.g. the translated event type.
    pub categories: &'a str,
    /// Written as ORGANIZER;CN="…"; left out with the e-mail address empty.
    pub organizer_name: &'a str,
    pub organizer_email: &'a str,
    pub url: Option<&'a str>,
    /// STATUS:CANCELLED, else STATUS:CONFIRMED.
    pub cancelled: bool,
}

/// A whole VCALENDAR: PRODID "-//Partyday//Partyday//EN", VERSION 2.0, CALSCALE GREGORIAN, METHOD when given,
/// X-WR-CALNAME when a name is given, one VTIMEZONE per distinct zone used, then one VEVENT each.
///
/// Lines end in CRLF and are folded at 75 octets. Each VTIMEZONE lists the zone's real offset changes (from the
/// tz database) in the years the events of that zone span, so it is only valid for those years: regenerate
/// rather than reuse it for other events.
pub fn calendar(name: Option<&str>, method: Option<Method>, events: &[IcalEvent<'_>]) -> String {
    let mut out = Lines::default();
    out.push("BEGIN:VCALENDAR");
    out.push("PRODID:-//Partyday//Partyday//EN");
    out.push("VERSION:2.0");
    out.push("CALSCALE:GREGORIAN");
    if let Some(method) = method {
        out.push(&format!("METHOD:{}", method.as_str()));
    }
    if let Some(name) = name {
        out.push(&format!("X-WR-CALNAME:{}", escape_text(name)));
    }
    for (tz, years) in zones_used(events) {
        push_vtimezone(&mut out, tz, &years);
    }
    for event in events {
        push_vevent(&mut out, event);
    }
    out.push("END:VCALENDAR");
    out.text
}

fn push_vevent(out: &mut Lines, event: &IcalEvent<'_>) {
    out.push("BEGIN:VEVENT");
    out.push(&format!("UID:{}", escape_text(event.uid)));
    out.push(&format!("SEQUENCE:{}", event.sequence));
    out.push(&format!("DTSTAMP:{}", utc_form(event.dtstamp)));
    out.push(&date_time_property("DTSTART", event.start, event.tz));
    out.push(&date_time_property("DTEND", event.end, event.tz));
    out.push(&format!("SUMMARY:{}", escape_text(event.summary)));
    for (property, text) in
        [("DESCRIPTION", event.description), ("LOCATION", event.location), ("CATEGORIES", event.categories)]
    {
        if !text.is_empty() {
            out.push(&format!("{property}:{}", escape_text(text)));
        }
    }
    if !event.organizer_email.is_empty() {
        let name = if event.organizer_name.is_empty() {
            String::new()
        } else {
            format!(";CN={}", quoted_param(event.organizer_name))
        };
        out.push(&format!("ORGANIZER{name}:mailto:{}", uri_value(event.organizer_email)));
    }
    if let Some(url) = event.url.filter(|url| !url.is_empty()) {
        out.push(&format!("URL:{}", uri_value(url)));
    }
    out.push(if event.cancelled { "STATUS:CANCELLED" } else { "STATUS:CONFIRMED" });
    out.push("END:VEVENT");
}

/// Output as CRLF-terminated content lines, folded at 75 octets (RFC 5545 3.1).
#[derive(Default)]
struct Lines {
    text: String,
}

impl Lines {
    const MAX_OCTETS: usize = 75;

    fn push(&mut self, line: &str) {
        let mut rest = line;
        // Continuation lines start with a space, which counts towards their 75 octets.
        let mut limit = Self::MAX_OCTETS;
        while rest.len() > limit {
            let mut cut = limit;
            // Never split a UTF-8 character; a character is at most 4 octets, so `cut` stays well above 0.
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            self.text.push_str(&rest[..cut]);
            self.text.push_str("\r\n ");
            rest = &rest[cut..];
            limit = Self::MAX_OCTETS - 1;
        }
        self.text.push_str(rest);
        self.text.push_str("\r\n");
    }
}

/// A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line breaks as `\n`, and other control
/// characters (which TEXT cannot hold) dropped.
fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// A quoted parameter value (RFC 5545 3.2): it cannot contain `"` (there is no escape), so that becomes `'`;
/// control characters become spaces.
fn quoted_param(value: &str) -> String {
    let inner: String = value
        .chars()
        .map(|c| match c {
            '"' => '\'',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("\"{inner}\"")
}

/// A URI or CAL-ADDRESS value: not escaped (backslashes would be taken literally), but control characters, which
/// would end or corrupt the content line, are dropped.
fn uri_value(value: &str) -> String {
    value.chars().filter(|c| !c.is_control()).collect()
}

fn utc_form(at: DateTime<Utc>) -> String {
    at.format("%Y%m%dT%H%M%SZ").to_string()
}

fn local_form(at: NaiveDateTime) -> String {
    at.format("%Y%m%dT%H%M%S").to_string()
}

/// Zones whose times we write in UTC form, with no VTIMEZONE.
fn is_utc(tz: Tz) -> bool {
    matches!(tz.name(), "UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Universal" | "Etc/Universal" | "Zulu" | "Etc/Zulu")
}

/// `NAME;TZID=zone:local` or, for UTC zones, `NAME:…Z`.
fn date_time_property(name: &str, at: DateTime<Utc>, tz: Tz) -> String {
    if is_utc(tz) {
        return format!("{name}:{}", utc_form(at));
    }
    let local = at.with_timezone(&tz).naive_local();
    // Time-zone policy: a local time that happens twice (DST end) means its first occurrence (RFC 5545 3.3.5), so
    // an instant in the second one is written in UTC form to keep it exact.
    if let LocalResult::Ambiguous(first, _) = tz.from_local_datetime(&local)
        && first.with_timezone(&Utc) != at
    {
        return format!("{name}:{}", utc_form(at));
    }
    format!("{name};TZID={}:{}", tz.name(), local_form(local))
}

/// The zones the events use (UTC aside), in order of first use, each with the local years its events touch.
fn zones_used(events: &[IcalEvent<'_>]) -> Vec<(Tz, BTreeSet<i32>)> {
    let mut zones: Vec<(Tz, BTreeSet<i32>)> = Vec::new();
    for event in events.iter().filter(|event| !is_utc(event.tz)) {
        let start = event.start.with_timezone(&event.tz).year();
        let end = event.end.with_timezone(&event.tz).year();
        let years = start.min(end)..=start.max(end);
        match zones.iter_mut().find(|(tz, _)| *tz == event.tz) {
            Some((_, known)) => known.extend(years),
            None => zones.push((event.tz, years.collect())),
        }
    }
    zones
}

/// A zone's observance at one instant: what VTIMEZONE components describe.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Observance {
    /// Seconds east of UTC.
    offset: i32,
    dst: bool,
    name: String,
}

impl Observance {
    fn at(tz: Tz, utc: NaiveDateTime) -> Observance {
        let offset = tz.offset_from_utc_datetime(&utc);
        let seconds = offset.fix().local_minus_utc();
        let name = offset.abbreviation().map_or_else(|| utc_offset(seconds), str::to_owned);
        Observance { offset: seconds, dst: !offset.dst_offset().is_zero(), name }
    }

    /// Whether a change to `other` needs a new component (a change of abbreviation alone does not).
    fn same_rules(&self, other: &Observance) -> bool {
        self.offset == other.offset && self.dst == other.dst
    }
}

/// A UTC-OFFSET value: `+HHMM`, or `+HHMMSS` for historical offsets with seconds; never `-0000`.
fn utc_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let abs = seconds.unsigned_abs();
    let (h, m, s) = (abs / 3600, abs / 60 % 60, abs % 60);
    if s == 0 { format!("{sign}{h:02}{m:02}") } else { format!("{sign}{h:02}{m:02}{s:02}") }
}

/// One STANDARD or DAYLIGHT component: from its onset on, the zone observes `to`.
struct ZoneComponent {
    /// The onset as local time in the offset before it, as RFC 5545 3.6.5 wants DTSTART.
    local_onset: NaiveDateTime,
    offset_from: i32,
    to: Observance,
}

fn push_vtimezone(out: &mut Lines, tz: Tz, years: &BTreeSet<i32>) {
    out.push("BEGIN:VTIMEZONE");
    out.push(&format!("TZID:{}", tz.name()));
    for component in zone_components(tz, years) {
        let kind = if component.to.dst { "DAYLIGHT" } else { "STANDARD" };
        out.push(&format!("BEGIN:{kind}"));
        out.push(&format!("DTSTART:{}", local_form(component.local_onset)));
        out.push(&format!("TZOFFSETFROM:{}", utc_offset(component.offset_from)));
        out.push(&format!("TZOFFSETTO:{}", utc_offset(component.to.offset)));
        out.push(&format!("TZNAME:{}", escape_text(&component.to.name)));
        out.push(&format!("END:{kind}"));
    }
    out.push("END:VTIMEZONE");
}

/// The components describing `tz` throughout `years`: the observance at the start of the first year (from 1970,
/// the customary onset for a zone's "since forever" rule), then one per offset change found in those years.
///
/// chrono-tz has no public list of transitions, so they are found by probing: the observance is sampled once a
/// day and each change is bisected to the second. Zones do not change twice within a day.
fn zone_components(tz: Tz, years: &BTreeSet<i32>) -> Vec<ZoneComponent> {
    let mut components: Vec<ZoneComponent> = Vec::new();
    for (first, last) in year_runs(years) {
        // A day's margin either side covers every local year start, whatever the zone's offset.
        let (Some(window_start), Some(window_end)) = (year_start(first, -1), year_start(last.saturating_add(1), 1))
        else {
            continue;
        };
        let initial = Observance::at(tz, window_start);
        match components.last() {
            None => {
                let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
                let window_local = window_start + Duration::seconds(i64::from(initial.offset));
                let local_onset = epoch.filter(|epoch| *epoch < window_local).unwrap_or(window_local);
                components.push(ZoneComponent { local_onset, offset_from: initial.offset, to: initial.clone() });
            }
            // Between runs of years the zone may have changed its rules: say so at the start of this run.
            Some(previous) if !previous.to.same_rules(&initial) => {
                let offset_from = previous.to.offset;
                let local_onset = window_start + Duration::seconds(i64::from(offset_from));
                components.push(ZoneComponent { local_onset, offset_from, to: initial.clone() });
            }
            Some(_) => {}
        }
        components.extend(transitions(tz, window_start, window_end, initial));
    }
    components
}

/// Consecutive years grouped as (first, last) runs.
fn year_runs(years: &BTreeSet<i32>) -> Vec<(i32, i32)> {
    let mut runs: Vec<(i32, i32)> = Vec::new();
    for &year in years {
        match runs.last_mut() {
            Some((_, last)) if last.checked_add(1) == Some(year) => *last = year,
            _ => runs.push((year, year)),
        }
    }
    runs
}

/// January 1st of `year`, 00:00 UTC, moved by `days`.
fn year_start(year: i32, days: i64) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(year, 1, 1)?.and_hms_opt(0, 0, 0)?.checked_add_signed(Duration::days(days))
}

/// The offset changes in `[start, end)` (UTC), given the observance at `start`.
fn transitions(tz: Tz, start: NaiveDateTime, end: NaiveDateTime, initial: Observance) -> Vec<ZoneComponent> {
    let mut found = Vec::new();
    let mut current = initial;
    let mut day = start;
    while day < end {
        let Some(next_day) = day.checked_add_signed(Duration::days(1)) else {
            break;
        };
        let next = Observance::at(tz, next_day);
        if !next.same_rules(&current) {
            // Invariant: `before` observes `current`, `after` does not.
            let (mut before, mut after) = (day, next_day);
            while after - before > Duration::seconds(1) {
                let middle = before + (after - before) / 2;
                if Observance::at(tz, middle).same_rules(&current) {
                    before = middle;
                } else {
                    after = middle;
                }
            }
            let to = Observance::at(tz, after);
            let local_onset = after + Duration::seconds(i64::from(current.offset));
            found.push(ZoneComponent { local_onset, offset_from: current.offset, to: to.clone() });
            current = to;
        }
        // Two changes within one day (never seen in the tz database) would leave us out of step: resynchronise,
        // missing the inner change rather than emitting a wrong offset from here on.
        if !next.same_rules(&current) {
            current = next;
        }
        day = next_day;
    }
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use icalendar::parser::{Component, Parameter, Property, read_calendar, unfold};

    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn event(tz: Tz, start: DateTime<Utc>) -> IcalEvent<'static> {
        IcalEvent {
            uid: "event-42@partyday.example.org",
            sequence: 3,
            dtstamp: utc(2026, 11, 1, 8, 15),
            start,
            end: start + Duration::hours(2),
            tz,
            summary: "主题党日：学习党章, 讨论; 总结\\展望",
            description: "第一项：学习\n第二项：讨论\r\n第三项：总结",
            location: "党员活动室, 3楼",
            categories: "主题党日",
            organizer_name: "第一支部 \"书记\"",
            organizer_email: "secretary@partyday.example.org",
            url: Some("https://partyday.example.org/events/42"),
            cancelled: false,
        }
    }

    /// The calendar's own properties and its components, parsed by an independent implementation.
    fn parse(text: &str) -> (Vec<Property<'static>>, Vec<Component<'static>>) {
        let unfolded = unfold(text);
        let calendar = read_calendar(&unfolded).unwrap();
        (
            calendar.properties.into_iter().map(owned_property).collect(),
            calendar.components.into_iter().map(owned_component).collect(),
        )
    }

    fn owned_property(p: Property<'_>) -> Property<'static> {
        Property {
            name: p.name.into_owned(),
            val: p.val.into_owned(),
            params: p
                .params
                .into_iter()
                .map(|param| Parameter { key: param.key.into_owned(), val: param.val.map(|v| v.into_owned()) })
                .collect(),
        }
    }

    fn owned_component(c: Component<'_>) -> Component<'static> {
        Component {
            name: c.name.into_owned(),
            properties: c.properties.into_iter().map(owned_property).collect(),
            components: c.components.into_iter().map(owned_component).collect(),
        }
    }

    fn value<'c>(component: &'c Component<'_>, name: &str) -> &'c str {
        component.find_prop(name).unwrap_or_else(|| panic!("no {name} in {}", component.name.as_str())).val.as_str()
    }

    fn param<'c>(property: &'c Property<'_>, key: &str) -> Option<&'c str> {
        property.params.iter().find(|p| p.key.as_str() == key).and_then(|p| p.val.as_ref()).map(|v| v.as_str())
    }

    fn calendar_value<'c>(properties: &'c [Property<'_>], name: &str) -> Option<&'c str> {
        properties.iter().find(|p| p.name.as_str() == name).map(|p| p.val.as_str())
    }

    fn by_name<'c>(components: &'c [Component<'static>], name: &str) -> Vec<&'c Component<'static>> {
        components.iter().filter(|c| c.name.as_str() == name).collect()
    }

    /// (kind, DTSTART, TZOFFSETFROM, TZOFFSETTO, TZNAME) of each component of a VTIMEZONE.
    fn observances(vtimezone: &Component<'_>) -> Vec<(String, String, String, String, String)> {
        vtimezone
            .components
            .iter()
            .map(|c| {
                (
                    c.name.as_str().to_owned(),
                    value(c, "DTSTART").to_owned(),
                    value(c, "TZOFFSETFROM").to_owned(),
                    value(c, "TZOFFSETTO").to_owned(),
                    value(c, "TZNAME").to_owned(),
                )
            })
            .collect()
    }

    fn obs(kind: &str, start: &str, from: &str, to: &str, name: &str) -> (String, String, String, String, String) {
        (kind.to_owned(), start.to_owned(), from.to_owned(), to.to_owned(), name.to_owned())
    }

    #[test]
    fn an_event_in_shanghai_round_trips_through_a_parser() {
        let shanghai = chrono_tz::Asia::Shanghai;
        // 14:30 in Shanghai.
        let text =
            calendar(Some("第一支部, 活动"), Some(Method::Request), &[event(shanghai, utc(2026, 11, 24, 6, 30))]);
        let (properties, components) = parse(&text);

        assert_eq!(calendar_value(&properties, "PRODID"), Some("-//Partyday//Partyday//EN"));
        assert_eq!(calendar_value(&properties, "VERSION"), Some("2.0"));
        assert_eq!(calendar_value(&properties, "CALSCALE"), Some("GREGORIAN"));
        assert_eq!(calendar_value(&properties, "METHOD"), Some("REQUEST"));
        assert_eq!(calendar_value(&properties, "X-WR-CALNAME"), Some("第一支部, 活动"));
        assert!(text.contains("\r\nX-WR-CALNAME:第一支部\\, 活动\r\n"), "{text}");

        let zones = by_name(&components, "VTIMEZONE");
        assert_eq!(zones.len(), 1);
        assert_eq!(value(zones[0], "TZID"), "Asia/Shanghai");
        assert_eq!(observances(zones[0]), vec![obs("STANDARD", "19700101T000000", "+0800", "+0800", "CST")]);

        let events = by_name(&components, "VEVENT");
        assert_eq!(events.len(), 1);
        let vevent = events[0];
        assert_eq!(value(vevent, "UID"), "event-42@partyday.example.org");
        assert_eq!(value(vevent, "SEQUENCE"), "3");
        assert_eq!(value(vevent, "DTSTAMP"), "20261101T081500Z");
        let dtstart = vevent.find_prop("DTSTART").unwrap();
        assert_eq!(dtstart.val.as_str(), "20261124T143000");
        assert_eq!(param(dtstart, "TZID"), Some("Asia/Shanghai"));
        let dtend = vevent.find_prop("DTEND").unwrap();
        assert_eq!(dtend.val.as_str(), "20261124T163000");
        assert_eq!(param(dtend, "TZID"), Some("Asia/Shanghai"));
        // The parser unescapes TEXT values: what we escaped comes back as typed.
        assert_eq!(value(vevent, "SUMMARY"), "主题党日：学习党章, 讨论; 总结\\展望");
        assert_eq!(value(vevent, "DESCRIPTION"), "第一项：学习\n第二项：讨论\n第三项：总结");
        assert_eq!(value(vevent, "LOCATION"), "党员活动室, 3楼");
        let organizer = vevent.find_prop("ORGANIZER").unwrap();
        assert_eq!(organizer.val.as_str(), "mailto:secretary@partyday.example.org");
        assert_eq!(param(organizer, "CN"), Some("第一支部 '书记'"));
        assert_eq!(value(vevent, "URL"), "https://partyday.example.org/events/42");
        assert_eq!(value(vevent, "STATUS"), "CONFIRMED");
        assert!(vevent.find_prop("CATEGORIES").is_some());
    }

    #[test]
    fn text_is_escaped_on_the_wire() {
        let text = calendar(None, None, &[event(chrono_tz::Asia::Shanghai, utc(2026, 11, 24, 6, 30))]);
        let unfolded = unfold(&text);
        assert!(unfolded.contains("\r\nSUMMARY:主题党日：学习党章\\, 讨论\\; 总结\\\\展望\r\n"), "{unfolded}");
        assert!(unfolded.contains("\r\nDESCRIPTION:第一项：学习\\n第二项：讨论\\n第三项：总结\r\n"), "{unfolded}");
        assert!(unfolded.contains("\r\nCATEGORIES:主题党日\r\n"), "{unfolded}");
        assert!(
            unfolded.contains("\r\nORGANIZER;CN=\"第一支部 '书记'\":mailto:secretary@partyday.example.org\r\n"),
            "{unfolded}"
        );
        assert!(!unfolded.contains("METHOD"), "{unfolded}");
        assert!(!unfolded.contains("X-WR-CALNAME"), "{unfolded}");
    }

    #[test]
    fn lines_end_in_crlf_and_fold_at_75_octets_between_characters() {
        let long_summary =
            "关于召开二〇二六年度组织生活会和开展民主评议党员工作的通知，请全体党员准时参加并做好准备。".repeat(3);
        let long_description = "abc, def; ".repeat(40);
        let mut e = event(chrono_tz::Asia::Shanghai, utc(2026, 11, 24, 6, 30));
        e.summary = &long_summary;
        e.description = &long_description;
        let text = calendar(Some("x"), Some(Method::Publish), &[e]);

        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "bare LF in output");
        assert!(!text.replace("\r\n", "").contains('\r'), "bare CR in output");
        let lines: Vec<&str> = text.strip_suffix("\r\n").unwrap().split("\r\n").collect();
        assert!(lines.iter().all(|line| line.len() <= 75), "a line is longer than 75 octets");
        // The long lines were folded, with nearly full physical lines (a 3-octet character may not fit).
        let continuations: Vec<&&str> = lines.iter().filter(|line| line.starts_with(' ')).collect();
        assert!(continuations.len() >= 10, "{}", continuations.len());
        assert!(lines.iter().any(|line| line.starts_with("SUMMARY:") && line.len() >= 73));
        // Each physical line is valid UTF-8 by itself: no character was split.
        assert!(lines.iter().all(|line| std::str::from_utf8(line.as_bytes()).is_ok()));

        let (_, components) = parse(&text);
        let vevent = by_name(&components, "VEVENT")[0];
        assert_eq!(value(vevent, "SUMMARY"), long_summary);
        assert_eq!(value(vevent, "DESCRIPTION"), long_description);
    }

    #[test]
    fn folding_cuts_at_character_boundaries() {
        let mut lines = Lines::default();
        // "SUMMARY:" is 8 octets; 22 three-octet characters reach 74, and a 23rd would not fit in 75. Continuation
        // lines hold 24 (a space and 72 octets).
        lines.push(&format!("SUMMARY:{}", "党".repeat(60)));
        let physical: Vec<&str> = lines.text.strip_suffix("\r\n").unwrap().split("\r\n").collect();
        assert_eq!(physical[0].len(), 8 + 22 * 3);
        assert_eq!(physical[1].len(), 1 + 24 * 3);
        assert_eq!(physical[2], format!(" {}", "党".repeat(14)));
        assert_eq!(physical.len(), 3);

        let mut exact = Lines::default();
        exact.push(&"a".repeat(75));
        assert_eq!(exact.text, format!("{}\r\n", "a".repeat(75)));
        let mut one_more = Lines::default();
        one_more.push(&"a".repeat(76));
        assert_eq!(one_more.text, format!("{}\r\n a\r\n", "a".repeat(75)));
    }

    #[test]
    fn berlin_has_its_real_dst_transitions() {
        let berlin = chrono_tz::Europe::Berlin;
        // Summer and winter events in 2026: 19:00 local either way.
        let summer = event(berlin, utc(2026, 7, 1, 17, 0));
        let mut winter = event(berlin, utc(2026, 12, 1, 18, 0));
        winter.uid = "event-43@partyday.example.org";
        let text = calendar(None, Some(Method::Publish), &[summer, winter]);
        let (_, components) = parse(&text);

        let zones = by_name(&components, "VTIMEZONE");
        assert_eq!(zones.len(), 1, "one VTIMEZONE per zone, however many events");
        assert_eq!(value(zones[0], "TZID"), "Europe/Berlin");
        assert_eq!(
            observances(zones[0]),
            vec![
                obs("STANDARD", "19700101T000000", "+0100", "+0100", "CET"),
                obs("DAYLIGHT", "20260329T020000", "+0100", "+0200", "CEST"),
                obs("STANDARD", "20261025T030000", "+0200", "+0100", "CET"),
            ]
        );
        let events = by_name(&components, "VEVENT");
        assert_eq!(value(events[0], "DTSTART"), "20260701T190000");
        assert_eq!(value(events[1], "DTSTART"), "20261201T190000");
        assert_eq!(param(events[1].find_prop("DTEND").unwrap(), "TZID"), Some("Europe/Berlin"));
    }

    #[test]
    fn new_york_over_two_years() {
        let new_york = chrono_tz::America::New_York;
        let mut e = event(new_york, utc(2026, 12, 31, 23, 0));
        // Ends in 2027 local time (an all-night party), so 2027's transitions are listed too.
        e.end = utc(2027, 1, 1, 6, 0);
        let (_, components) = parse(&calendar(None, None, &[e]));
        let zones = by_name(&components, "VTIMEZONE");
        assert_eq!(
            observances(zones[0]),
            vec![
                obs("STANDARD", "19700101T000000", "-0500", "-0500", "EST"),
                obs("DAYLIGHT", "20260308T020000", "-0500", "-0400", "EDT"),
                obs("STANDARD", "20261101T020000", "-0400", "-0500", "EST"),
                obs("DAYLIGHT", "20270314T020000", "-0500", "-0400", "EDT"),
                obs("STANDARD", "20271107T020000", "-0400", "-0500", "EST"),
            ]
        );
        let vevent = by_name(&components, "VEVENT")[0];
        assert_eq!(value(vevent, "DTSTART"), "20261231T180000");
        assert_eq!(value(vevent, "DTEND"), "20270101T010000");
    }

    #[test]
    fn southern_hemisphere_starts_the_year_in_daylight_time() {
        let sydney = chrono_tz::Australia::Sydney;
        let (_, components) = parse(&calendar(None, None, &[event(sydney, utc(2026, 6, 1, 8, 0))]));
        let zones = by_name(&components, "VTIMEZONE");
        assert_eq!(
            observances(zones[0]),
            vec![
                obs("DAYLIGHT", "19700101T000000", "+1100", "+1100", "AEDT"),
                obs("STANDARD", "20260405T030000", "+1100", "+1000", "AEST"),
                obs("DAYLIGHT", "20261004T020000", "+1000", "+1100", "AEDT"),
            ]
        );
    }

    #[test]
    fn separate_years_and_zones() {
        let berlin = chrono_tz::Europe::Berlin;
        let shanghai = chrono_tz::Asia::Shanghai;
        let events = [
            event(shanghai, utc(2026, 3, 1, 6, 0)),
            event(berlin, utc(2024, 6, 1, 17, 0)),
            event(berlin, utc(2026, 6, 1, 17, 0)),
            event(shanghai, utc(2027, 3, 1, 6, 0)),
        ];
        let (_, components) = parse(&calendar(None, None, &events));
        let zones = by_name(&components, "VTIMEZONE");
        let ids: Vec<&str> = zones.iter().map(|z| value(z, "TZID")).collect();
        assert_eq!(ids, ["Asia/Shanghai", "Europe/Berlin"]);
        assert_eq!(observances(zones[0]).len(), 1);
        let berlin_starts: Vec<String> = observances(zones[1]).into_iter().map(|o| o.1).collect();
        assert_eq!(
            berlin_starts,
            ["19700101T000000", "20240331T020000", "20241027T030000", "20260329T020000", "20261025T030000"]
        );
        assert_eq!(by_name(&components, "VEVENT").len(), 4);
    }

    #[test]
    fn utc_events_need_no_vtimezone() {
        let text = calendar(None, None, &[event(chrono_tz::UTC, utc(2026, 11, 24, 6, 30))]);
        let (_, components) = parse(&text);
        assert!(by_name(&components, "VTIMEZONE").is_empty());
        let vevent = by_name(&components, "VEVENT")[0];
        let dtstart = vevent.find_prop("DTSTART").unwrap();
        assert_eq!(dtstart.val.as_str(), "20261124T063000Z");
        assert_eq!(param(dtstart, "TZID"), None);
        assert_eq!(value(vevent, "DTEND"), "20261124T083000Z");
    }

    #[test]
    fn the_second_of_two_equal_local_times_is_written_in_utc() {
        let berlin = chrono_tz::Europe::Berlin;
        // 02:30 local happens twice on 2026-10-25: at 00:30 UTC (CEST) and at 01:30 UTC (CET).
        let first = calendar(None, None, &[event(berlin, utc(2026, 10, 25, 0, 30))]);
        assert!(first.contains("\r\nDTSTART;TZID=Europe/Berlin:20261025T023000\r\n"), "{first}");
        let second = calendar(None, None, &[event(berlin, utc(2026, 10, 25, 1, 30))]);
        assert!(second.contains("\r\nDTSTART:20261025T013000Z\r\n"), "{second}");
    }

    #[test]
    fn cancellation() {
        let mut e = event(chrono_tz::Asia::Shanghai, utc(2026, 11, 24, 6, 30));
        e.cancelled = true;
        e.sequence = 4;
        e.url = None;
        e.description = "";
        let (properties, components) = parse(&calendar(None, Some(Method::Cancel), &[e]));
        assert_eq!(calendar_value(&properties, "METHOD"), Some("CANCEL"));
        let vevent = by_name(&components, "VEVENT")[0];
        assert_eq!(value(vevent, "STATUS"), "CANCELLED");
        assert_eq!(value(vevent, "SEQUENCE"), "4");
        assert!(vevent.find_prop("URL").is_none());
        assert!(vevent.find_prop("DESCRIPTION").is_none());
    }

    #[test]
    fn organizer_without_name_or_email() {
        let mut e = event(chrono_tz::Asia::Shanghai, utc(2026, 11, 24, 6, 30));
        e.organizer_name = "";
        let text = calendar(None, None, &[e.clone()]);
        assert!(text.contains("\r\nORGANIZER:mailto:secretary@partyday.example.org\r\n"), "{text}");
        e.organizer_email = "";
        let text = calendar(None, None, &[e]);
        assert!(!text.contains("ORGANIZER"), "{text}");
    }

    #[test]
    fn an_empty_calendar_is_still_valid() {
        let text = calendar(Some("空"), Some(Method::Publish), &[]);
        assert_eq!(
            text,
            "BEGIN:VCALENDAR\r\nPRODID:-//Partyday//Partyday//EN\r\nVERSION:2.0\r\nCALSCALE:GREGORIAN\r\n\
             METHOD:PUBLISH\r\nX-WR-CALNAME:空\r\nEND:VCALENDAR\r\n"
        );
        let (properties, components) = parse(&text);
        assert_eq!(calendar_value(&properties, "VERSION"), Some("2.0"));
        assert!(components.is_empty());
    }

    #[test]
    fn escaping_and_offsets() {
        assert_eq!(escape_text("a\\b;c,d\ne\r\nf\rg\u{7}h\ti"), "a\\\\b\\;c\\,d\\ne\\nf\\ngh\ti");
        assert_eq!(quoted_param("a\"b\nc"), "\"a'b c\"");
        assert_eq!(uri_value("mailto:a@b\r\nX-EVIL:1"), "mailto:a@bX-EVIL:1");
        assert_eq!(utc_offset(8 * 3600), "+0800");
        assert_eq!(utc_offset(-5 * 3600), "-0500");
        assert_eq!(utc_offset(0), "+0000");
        assert_eq!(utc_offset(5 * 3600 + 45 * 60), "+0545");
        assert_eq!(utc_offset(-(3600 + 58 * 60 + 45)), "-015845");
    }
}
