//! Parsed event types and forms: kinds, states, audience, guests, agenda items, and the
//! event form with its time rules.
use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use sea_orm::entity::prelude::*;

pub mod attachments;
pub mod held;
pub mod non_voting;
mod people;
pub mod series;

pub use people::{People, parse_people};

pub use crate::invitations::GuestRole;
use crate::{
    forms::{Choice, FieldErrors, optional_multiline, optional_text, parse_choice, required_text},
    forms::{parse_optional_email, parse_phone},
    members::rules::PoliticalStatus,
};
use series::{LocalTimeError, SeriesRule, local_to_utc};

/// Kinds of event: the monthly theme party day, the "three meetings and one lesson", and more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum EventKind {
    #[sea_orm(string_value = "theme_party_day")]
    ThemePartyDay,
    #[sea_orm(string_value = "branch_general_meeting")]
    BranchGeneralMeeting,
    #[sea_orm(string_value = "branch_committee_meeting")]
    BranchCommitteeMeeting,
    #[sea_orm(string_value = "party_group_meeting")]
    PartyGroupMeeting,
    #[sea_orm(string_value = "party_lecture")]
    PartyLecture,
    #[sea_orm(string_value = "study_session")]
    StudySession,
    #[sea_orm(string_value = "organisational_life_meeting")]
    OrganisationalLifeMeeting,
    #[sea_orm(string_value = "joint_conference")]
    JointConference,
    #[sea_orm(string_value = "volunteer_service")]
    VolunteerService,
    #[sea_orm(string_value = "other")]
    Other,
}

impl Choice for EventKind {
    const ALL: &'static [Self] = &[
        EventKind::ThemePartyDay,
        EventKind::BranchGeneralMeeting,
        EventKind::BranchCommitteeMeeting,
        EventKind::PartyGroupMeeting,
        EventKind::PartyLecture,
        EventKind::StudySession,
        EventKind::OrganisationalLifeMeeting,
        EventKind::JointConference,
        EventKind::VolunteerService,
        EventKind::Other,
    ];
    fn key(self) -> &'static str {
        match self {
            EventKind::ThemePartyDay => "theme_party_day",
            EventKind::BranchGeneralMeeting => "branch_general_meeting",
            EventKind::BranchCommitteeMeeting => "branch_committee_meeting",
            EventKind::PartyGroupMeeting => "party_group_meeting",
            EventKind::PartyLecture => "party_lecture",
            EventKind::StudySession => "study_session",
            EventKind::OrganisationalLifeMeeting => "organisational_life_meeting",
            EventKind::JointConference => "joint_conference",
            EventKind::VolunteerService => "volunteer_service",
            EventKind::Other => "other",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            EventKind::ThemePartyDay => "event_kind.theme_party_day",
            EventKind::BranchGeneralMeeting => "event_kind.branch_general_meeting",
            EventKind::BranchCommitteeMeeting => "event_kind.branch_committee_meeting",
            EventKind::PartyGroupMeeting => "event_kind.party_group_meeting",
            EventKind::PartyLecture => "event_kind.party_lecture",
            EventKind::StudySession => "event_kind.study_session",
            EventKind::OrganisationalLifeMeeting => "event_kind.organisational_life_meeting",
            EventKind::JointConference => "event_kind.joint_conference",
            EventKind::VolunteerService => "event_kind.volunteer_service",
            EventKind::Other => "event_kind.other",
        }
    }
}

impl EventKind {
    /// Who a kind of event is for, unless the organiser chooses otherwise: party members at
    /// meetings; development candidates and activists at lectures and study; everyone at a
    /// volunteer service.
    pub fn default_statuses(self) -> Vec<PoliticalStatus> {
        use PoliticalStatus::*;
        match self {
            EventKind::PartyLecture | EventKind::StudySession => vec![Full, Probationary, Candidate, Activist],
            EventKind::VolunteerService => PoliticalStatus::ALL.to_vec(),
            _ => vec![Full, Probationary],
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EventState {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    #[sea_orm(string_value = "ended")]
    Ended,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl EventState {
    /// The state as people should see it: a scheduled event whose end has passed is ended, even
    /// before the event clock has recorded it.
    pub fn seen_at(self, ends_at: DateTime<Utc>, now: DateTime<Utc>) -> EventState {
        if self == EventState::Scheduled && ends_at <= now { EventState::Ended } else { self }
    }
}

impl Choice for EventState {
    const ALL: &'static [Self] = &[EventState::Draft, EventState::Scheduled, EventState::Ended, EventState::Cancelled];
    fn key(self) -> &'static str {
        match self {
            EventState::Draft => "draft",
            EventState::Scheduled => "scheduled",
            EventState::Ended => "ended",
            EventState::Cancelled => "cancelled",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            EventState::Draft => "event_state.draft",
            EventState::Scheduled => "event_state.scheduled",
            EventState::Ended => "event_state.ended",
            EventState::Cancelled => "event_state.cancelled",
        }
    }
}

/// Who is invited: the holding branches' members, one party group, or members picked by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AudienceKind {
    #[sea_orm(string_value = "branches")]
    Branches,
    #[sea_orm(string_value = "group")]
    Group,
    #[sea_orm(string_value = "members")]
    Members,
}

impl Choice for AudienceKind {
    const ALL: &'static [Self] = &[AudienceKind::Branches, AudienceKind::Group, AudienceKind::Members];
    fn key(self) -> &'static str {
        match self {
            AudienceKind::Branches => "branches",
            AudienceKind::Group => "group",
            AudienceKind::Members => "members",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            AudienceKind::Branches => "audience.branches",
            AudienceKind::Group => "audience.group",
            AudienceKind::Members => "audience.members",
        }
    }
}

/// A submitted form as its name/value pairs, for forms with repeated fields (checkbox lists).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(transparent)]
pub struct Pairs(pub Vec<(String, String)>);

impl Pairs {
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.0.iter().filter(move |(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str, value: impl AsRef<str>) -> bool {
        self.all(name).any(|v| v == value.as_ref())
    }
}

pub const TITLE_MAX: usize = 200;
pub const DESCRIPTION_MAX: usize = 20_000;

/// Political statuses as stored: keys joined by commas, in the canonical order.
pub fn statuses_to_db(statuses: &[PoliticalStatus]) -> String {
    PoliticalStatus::ALL.iter().filter(|s| statuses.contains(s)).map(|s| s.key()).collect::<Vec<_>>().join(",")
}

pub fn statuses_from_db(s: &str) -> Vec<PoliticalStatus> {
    s.split(',').filter_map(PoliticalStatus::parse).collect()
}

/// A wall-clock time typed in a form ("2026-11-24T14:30", as `<input type=datetime-local>`
/// sends it, or with a space) in the branch's zone, as an instant.
pub fn parse_local(raw: &str, tz: Tz) -> Result<Option<DateTime<Utc>>, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let s = s.replacen(' ', "T", 1);
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&s, f).ok())
        .ok_or("field.datetime_invalid")?;
    let local = local.date().and_time(whole_minute(local.time()).ok_or("field.datetime_invalid")?);
    if !(2000..=2200).contains(&chrono::Datelike::year(&local)) {
        return Err("field.datetime_invalid");
    }
    match local_to_utc(tz, local) {
        Ok(t) => Ok(Some(t)),
        Err(LocalTimeError::Nonexistent) => Err("event.time_nonexistent"),
        Err(LocalTimeError::Ambiguous) => Err("event.time_ambiguous"),
    }
}

/// The time of day of a series ("14:30").
pub fn parse_time_of_day(raw: &str) -> Result<NaiveTime, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("field.required");
    }
    let time =
        ["%H:%M", "%H:%M:%S"].iter().find_map(|f| NaiveTime::parse_from_str(s, f).ok()).ok_or("field.time_invalid")?;
    whole_minute(time).ok_or("field.time_invalid")
}

/// Times are kept to the minute, as the forms show them. Second 60 (which chrono reads as a leap
/// second) is refused: stored, it reads back as no time at all in SQLite (`unixepoch` is NULL).
fn whole_minute(t: NaiveTime) -> Option<NaiveTime> {
    use chrono::Timelike;
    if t.nanosecond() >= 1_000_000_000 {
        return None;
    }
    NaiveTime::from_hms_opt(t.hour(), t.minute(), 0)
}

fn parse_optional_count(raw: &str, max: i32) -> Result<Option<i32>, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<i64>() {
        Ok(n) if n < 1 => Err("field.must_be_positive"),
        Ok(n) if n > i64::from(max) => Err("field.too_large"),
        Ok(n) => Ok(Some(n as i32)),
        Err(_) => Err("field.number_invalid"),
    }
}

fn parse_id(raw: &str) -> Option<i64> {
    raw.trim().parse::<i64>().ok().filter(|n| *n > 0)
}

/// A chosen id from a select: empty is none; anything else must be an id (a tampered or broken
/// form is told so, not read as "none").
fn optional_id(raw: &str) -> Result<Option<i64>, &'static str> {
    if raw.trim().is_empty() { Ok(None) } else { parse_id(raw).map(Some).ok_or("field.choose_one") }
}

/// More ids than any branch has members: a list past it was not made by the form.
pub const MAX_CHOSEN: usize = 5_000;

/// The ids ticked in a list of check boxes, each once, in the order given.
fn id_list<'a>(raw: impl Iterator<Item = &'a str>) -> Result<Vec<i64>, &'static str> {
    let mut seen = BTreeSet::new();
    let mut ids = Vec::new();
    for (n, value) in raw.enumerate() {
        if n >= 2 * MAX_CHOSEN {
            return Err("field.too_many_chosen");
        }
        let id = parse_id(value).ok_or("field.choose_one")?;
        if seen.insert(id) {
            ids.push(id);
        }
    }
    if ids.len() > MAX_CHOSEN { Err("field.too_many_chosen") } else { Ok(ids) }
}

/// The audience of an event as chosen in the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    pub kind: AudienceKind,
    pub group_id: Option<i64>,
    pub picks: Vec<i64>,
    pub statuses: Vec<PoliticalStatus>,
}

/// The longest an event may last; lists find running events through their start within this.
pub const MAX_DAYS: i64 = 31;

/// An event's own fields, as created or edited (the organising branch is chosen apart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventData {
    pub kind: EventKind,
    pub title: String,
    pub topic: Option<String>,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: Option<String>,
    pub host_member_id: Option<i64>,
    pub host_guest_name: Option<String>,
    pub recorder_member_id: Option<i64>,
    pub co_organisers: Vec<i64>,
    pub audience: Audience,
    pub capacity: Option<i32>,
    pub answer_deadline: Option<DateTime<Utc>>,
}

impl EventData {
    /// Parses the event form; times are read in the organising branch's zone.
    pub fn parse(form: &Pairs, tz: Tz) -> Result<EventData, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = e.check("kind", parse_choice::<EventKind>(form.get("kind")));
        let title = e.check("title", required_text(form.get("title"), TITLE_MAX));
        let topic = e.check("topic", optional_text(form.get("topic"), TITLE_MAX));
        let description = e.check("description", optional_multiline(form.get("description"), DESCRIPTION_MAX));
        let starts_at =
            e.check("starts_at", parse_local(form.get("starts_at"), tz).and_then(|t| t.ok_or("field.required")));
        let ends_at = e.check("ends_at", parse_local(form.get("ends_at"), tz).and_then(|t| t.ok_or("field.required")));
        if let (Some(s), Some(end)) = (starts_at, ends_at)
            && end <= s
        {
            e.add("ends_at", "event.end_before_start");
        }
        if let (Some(s), Some(end)) = (starts_at, ends_at)
            && end - s > chrono::Duration::days(MAX_DAYS)
        {
            e.add("ends_at", "event.too_long");
        }
        let location = e.check("location", optional_text(form.get("location"), TITLE_MAX));
        let host_guest_name = e.check("host_guest_name", optional_text(form.get("host_guest_name"), 100));
        let host_member_id = e.check("host_member_id", optional_id(form.get("host_member_id"))).flatten();
        if host_member_id.is_some() && host_guest_name.as_ref().is_some_and(Option::is_some) {
            e.add("host_guest_name", "event.host_one_of");
        }
        let recorder_member_id = e.check("recorder_member_id", optional_id(form.get("recorder_member_id"))).flatten();
        let co_organisers = e.check("co_organisers", id_list(form.all("co_organisers"))).unwrap_or_default();
        let audience_kind = e.check("audience_kind", parse_choice::<AudienceKind>(form.get("audience_kind")));
        let group_id = e.check("audience_group_id", optional_id(form.get("audience_group_id"))).flatten();
        let picks = e.check("picks", id_list(form.all("picks"))).unwrap_or_default();
        let statuses: Vec<PoliticalStatus> = form.all("statuses").filter_map(PoliticalStatus::parse).collect();
        match audience_kind {
            Some(AudienceKind::Group) if group_id.is_none() && e.get("audience_group_id").is_none() => {
                e.add("audience_group_id", "field.required");
            }
            Some(AudienceKind::Members) if picks.is_empty() && e.get("picks").is_none() => {
                e.add("picks", "event.pick_someone");
            }
            Some(AudienceKind::Branches | AudienceKind::Group) if statuses.is_empty() => {
                e.add("statuses", "event.pick_a_status");
            }
            _ => {}
        }
        let capacity = e.check("capacity", parse_optional_count(form.get("capacity"), 100_000));
        let answer_deadline = e.check("answer_deadline", parse_local(form.get("answer_deadline"), tz));
        if let (Some(Some(d)), Some(s)) = (answer_deadline, starts_at)
            && d > s
        {
            e.add("answer_deadline", "event.deadline_after_start");
        }
        if !e.is_empty() {
            return Err(e);
        }
        let (Some(kind), Some(title), Some(topic), Some(description), Some(starts_at), Some(ends_at)) =
            (kind, title, topic, description, starts_at, ends_at)
        else {
            return Err(e);
        };
        let (Some(location), Some(host_guest_name), Some(audience_kind), Some(capacity), Some(answer_deadline)) =
            (location, host_guest_name, audience_kind, capacity, answer_deadline)
        else {
            return Err(e);
        };
        Ok(EventData {
            kind,
            title,
            topic,
            description: description.unwrap_or_default(),
            starts_at,
            ends_at,
            location,
            host_member_id,
            host_guest_name,
            recorder_member_id,
            co_organisers,
            audience: Audience { kind: audience_kind, group_id, picks, statuses },
            capacity,
            answer_deadline,
        })
    }
}

/// A guest of an event: a person outside the roster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestData {
    pub name: String,
    pub organisation: Option<String>,
    pub title: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub role: GuestRole,
}

impl GuestData {
    pub fn parse(form: &Pairs) -> Result<GuestData, FieldErrors> {
        let mut e = FieldErrors::default();
        let name = e.check("name", required_text(form.get("name"), 50));
        let organisation = e.check("organisation", optional_text(form.get("organisation"), 100));
        let title = e.check("title", optional_text(form.get("title"), 100));
        let email = e.check("email", parse_optional_email(form.get("email")));
        let phone = e.check("phone", parse_phone(form.get("phone")));
        let role = e.check("role", parse_choice::<GuestRole>(form.get("role")));
        match (name, organisation, title, email, phone, role) {
            (Some(name), Some(organisation), Some(title), Some(email), Some(phone), Some(role)) if e.is_empty() => {
                Ok(GuestData { name, organisation, title, email, phone, role })
            }
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaData {
    pub title: String,
    pub presenter: Option<String>,
    pub minutes: Option<i32>,
}

impl AgendaData {
    pub fn parse(form: &Pairs) -> Result<AgendaData, FieldErrors> {
        let mut e = FieldErrors::default();
        let title = e.check("title", required_text(form.get("title"), TITLE_MAX));
        let presenter = e.check("presenter", optional_text(form.get("presenter"), 100));
        let minutes = e.check("minutes", parse_optional_count(form.get("minutes"), 24 * 60));
        match (title, presenter, minutes) {
            (Some(title), Some(presenter), Some(minutes)) => Ok(AgendaData { title, presenter, minutes }),
            _ => Err(e),
        }
    }
}

/// A monthly series: the rule, the time of day and length, and the fields each occurrence
/// starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesData {
    pub rule: SeriesRule,
    pub start_time: NaiveTime,
    pub minutes: i32,
    pub kind: EventKind,
    pub title: String,
    pub topic: Option<String>,
    pub description: String,
    pub location: Option<String>,
    pub statuses: Vec<PoliticalStatus>,
    /// No occurrence after this date (none: the next twelve).
    pub until: Option<NaiveDate>,
}

impl SeriesData {
    pub fn parse(form: &Pairs) -> Result<SeriesData, FieldErrors> {
        let mut e = FieldErrors::default();
        let rule = match form.get("rule_kind") {
            "day" => match form.get("day").trim().parse::<u32>() {
                Ok(d) if (1..=31).contains(&d) => SeriesRule::from_db(&format!("day:{d}")),
                _ => None,
            },
            "weekday" => SeriesRule::from_db(&format!("weekday:{}:{}", form.get("nth"), form.get("weekday"))),
            _ => None,
        };
        if rule.is_none() {
            e.add("rule_kind", "series.rule_invalid");
        }
        let start_time = e.check("start_time", parse_time_of_day(form.get("start_time")));
        let minutes = e.check(
            "minutes",
            parse_optional_count(form.get("minutes"), 24 * 60).and_then(|m| m.ok_or("field.required")),
        );
        let kind = e.check("kind", parse_choice::<EventKind>(form.get("kind")));
        let title = e.check("title", required_text(form.get("title"), TITLE_MAX));
        let topic = e.check("topic", optional_text(form.get("topic"), TITLE_MAX));
        let description = e.check("description", optional_multiline(form.get("description"), DESCRIPTION_MAX));
        let location = e.check("location", optional_text(form.get("location"), TITLE_MAX));
        let statuses: Vec<PoliticalStatus> = form.all("statuses").filter_map(PoliticalStatus::parse).collect();
        if statuses.is_empty() {
            e.add("statuses", "event.pick_a_status");
        }
        let until = e.check("until", crate::forms::parse_date(form.get("until")));
        match (until, rule, start_time, minutes, kind, title, topic, description, location) {
            (
                Some(until),
                Some(rule),
                Some(start_time),
                Some(minutes),
                Some(kind),
                Some(title),
                Some(topic),
                Some(description),
                Some(location),
            ) if e.is_empty() => Ok(SeriesData {
                rule,
                start_time,
                minutes,
                kind,
                title,
                topic,
                description: description.unwrap_or_default(),
                location,
                statuses,
                until,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Pairs {
        Pairs(list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect())
    }

    fn event_form(extra: &[(&str, &str)]) -> Pairs {
        let mut p = pairs(&[
            ("kind", "theme_party_day"),
            ("title", "主题党日"),
            ("starts_at", "2026-12-24T14:30"),
            ("ends_at", "2026-12-24T16:30"),
            ("audience_kind", "branches"),
            ("statuses", "full"),
            ("statuses", "probationary"),
        ]);
        for (k, v) in extra {
            p.0.retain(|(key, _)| key != k);
            p.0.push(((*k).to_owned(), (*v).to_owned()));
        }
        p
    }

    #[test]
    fn an_event_form_reads_times_in_the_branch_zone() {
        let data = EventData::parse(&event_form(&[]), chrono_tz::Asia::Shanghai).expect("valid");
        assert_eq!(data.starts_at.to_rfc3339(), "2026-12-24T06:30:00+00:00");
        assert_eq!(data.audience.statuses, vec![PoliticalStatus::Full, PoliticalStatus::Probationary]);
    }

    #[test]
    fn bad_event_forms_name_the_field() {
        let tz = chrono_tz::Europe::Berlin;
        for (extra, field, key) in [
            (vec![("ends_at", "2026-12-24T14:00")], "ends_at", "event.end_before_start"),
            (vec![("ends_at", "2027-01-25T14:00")], "ends_at", "event.too_long"),
            (
                vec![("starts_at", "2026-03-29T02:30"), ("ends_at", "2026-03-29T04:00")],
                "starts_at",
                "event.time_nonexistent",
            ),
            (
                vec![("starts_at", "2026-10-25T02:30"), ("ends_at", "2026-10-25T04:00")],
                "starts_at",
                "event.time_ambiguous",
            ),
            (vec![("starts_at", "tomorrow")], "starts_at", "field.datetime_invalid"),
            (vec![("title", " ")], "title", "field.required"),
            (vec![("capacity", "-3")], "capacity", "field.must_be_positive"),
            (vec![("kind", "party")], "kind", "field.choose_one"),
            (vec![("audience_kind", "group")], "audience_group_id", "field.required"),
            (vec![("answer_deadline", "2026-12-25T10:00")], "answer_deadline", "event.deadline_after_start"),
        ] {
            let errors = EventData::parse(&event_form(&extra), tz).expect_err("invalid");
            assert_eq!(errors.get(field).map(|m| m.key.as_str()), Some(key), "{extra:?}");
        }
    }

    #[test]
    fn a_guest_needs_a_name() {
        let errors = GuestData::parse(&pairs(&[("name", ""), ("role", "leader")])).expect_err("invalid");
        assert!(errors.get("name").is_some());
        let g = GuestData::parse(&pairs(&[("name", "李局长"), ("role", "leader"), ("email", "li@example.org")]))
            .expect("valid");
        assert_eq!(g.role, GuestRole::Leader);
    }
}
