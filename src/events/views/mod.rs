//! Page structs of the events domain.
pub mod held;
pub mod ical;

use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use super::format::{change_summary, input, local, zone_note};
use super::{
    entity::{agenda, change, event, guest},
    rules::{AudienceKind, EventKind, EventState, GuestRole, Pairs},
    service::{Access, Invitee, list::EventRow},
};
use crate::{
    branches::service::UnitOption,
    forms::{Choice, FieldErrors},
    members::{entity::member, rules::PoliticalStatus},
    web::Ctx,
};

/// Choices for select boxes and checkboxes.
pub struct Choices;

impl Choices {
    pub fn kinds(&self) -> &'static [EventKind] {
        EventKind::ALL
    }
    pub fn states(&self) -> &'static [EventState] {
        EventState::ALL
    }
    pub fn audiences(&self) -> &'static [AudienceKind] {
        AudienceKind::ALL
    }
    pub fn statuses(&self) -> &'static [PoliticalStatus] {
        PoliticalStatus::ALL
    }
    pub fn guest_roles(&self) -> &'static [GuestRole] {
        GuestRole::ALL
    }
}

/// The counted non-voting attendees as a line says them ("各会员单位党务工作者50余人"), or None
/// when nobody counted them.
pub fn non_voting_text(locale: crate::i18n::Locale, e: &event::Model) -> Option<String> {
    use crate::i18n::{fill, t};
    let c = super::rules::non_voting::NonVotingCount::of(e);
    let amount = c.count.map(|n| {
        let key = if c.approx { "non_voting.about" } else { "non_voting.exactly" };
        fill(t(locale, key), &[("n", &n.to_string())])
    });
    match (c.note, amount) {
        (None, None) => None,
        (Some(note), None) => Some(note),
        (None, Some(amount)) => Some(amount),
        (Some(note), Some(amount)) => {
            Some(fill(t(locale, "non_voting.who_amount"), &[("who", &note), ("amount", &amount)]))
        }
    }
}

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListParams {
    pub when: String,
    pub branch: String,
    pub kind: String,
    pub state: String,
    pub from: String,
    pub to: String,
    pub after: String,
}

impl ListParams {
    pub fn query_with(&self, after: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("when", &self.when),
            ("branch", &self.branch),
            ("kind", &self.kind),
            ("state", &self.state),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if !after.is_empty() {
            q.append_pair("after", after);
        }
        q.finish()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/list.html")]
pub struct EventsListPage {
    pub ctx: Ctx,
    pub params: ListParams,
    pub units: Vec<UnitOption>,
    pub rows: Vec<EventRow>,
    pub next: Option<String>,
    pub now: DateTime<Utc>,
    pub can_create: bool,
    pub choices: Choices,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/mine.html")]
pub struct MyEventsPage {
    pub ctx: Ctx,
    pub rows: Vec<EventRow>,
    pub now: DateTime<Utc>,
    /// The member's answer per event (catalogue key), where invited.
    pub answers: std::collections::HashMap<i64, &'static str>,
}

impl MyEventsPage {
    pub fn answer_of(&self, event_id: &i64) -> &'static str {
        self.answers.get(event_id).copied().unwrap_or("event.not_invited")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/form.html")]
pub struct EventFormPage {
    pub ctx: Ctx,
    /// None for a new event.
    pub event_id: Option<i64>,
    pub branch: UnitOption,
    pub branch_zone: String,
    pub form: Pairs,
    pub errors: FieldErrors,
    pub co_organiser_choices: Vec<UnitOption>,
    pub groups: Vec<UnitOption>,
    pub people: Vec<member::Model>,
    pub choices: Choices,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/show.html")]
pub struct EventShowPage {
    pub ctx: Ctx,
    pub event: event::Model,
    pub state: EventState,
    pub access: Access,
    pub tz: Tz,
    pub branch_name: String,
    pub co_organiser_names: Vec<String>,
    /// Branches asked to co-organise that have not answered.
    pub asked_names: Vec<String>,
    /// Of those, the ones the viewer answers for (id, name).
    pub to_answer: Vec<(i64, String)>,
    pub host: Option<String>,
    pub recorder: Option<String>,
    pub description_html: String,
    pub agenda: Vec<agenda::Model>,
    pub guests: Vec<guest::Model>,
    pub invitees: Vec<Invitee>,
    pub invitees_preview: bool,
    pub changes: Vec<change::Model>,
    pub guest_errors: FieldErrors,
    pub guest_form: Pairs,
    pub agenda_errors: FieldErrors,
    pub agenda_form: Pairs,
    pub attachments: Vec<super::entity::attachment::Model>,
    pub conflicts: Vec<ConflictView>,
    /// For organisers of a scheduled (or past) event.
    pub delivery: Option<crate::mail::service::Delivery>,
    /// Other domains' sections (given to the events router), as HTML they rendered.
    pub sections_html: String,
    /// Who recorded the activity afterwards (补录), and when.
    pub recorded: Option<(String, DateTime<Utc>)>,
    pub choices: Choices,
}

/// A booking that overlaps the event's room or host.
pub struct ConflictView {
    /// Only for events the viewer may open.
    pub id: Option<i64>,
    pub title: Option<String>,
    pub when: String,
    pub same_place: bool,
    pub same_host: bool,
}

/// "1.2 MB", "340 KB".
pub fn file_size(bytes: &i64) -> String {
    let b = *bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MB", b / 1024.0 / 1024.0)
    } else {
        format!("{:.0} KB", (b / 1024.0).ceil())
    }
}

impl EventShowPage {
    /// Catalogue key of a change log line's kind (as `service::log` records it).
    pub fn change_label(&self, kind: &str) -> &'static str {
        match kind {
            "scheduled" => "change.scheduled",
            "cancelled" => "change.cancelled",
            "time" => "change.time",
            "place" => "change.place",
            "audience" => "change.audience",
            "details" => "change.details",
            "host" => "change.host",
            "recorder" => "change.recorder",
            "guests" => "change.guests",
            "agenda" => "change.agenda",
            "co_accepted" => "change.co_accepted",
            "co_declined" => "change.co_declined",
            "recorded" => "change.recorded",
            "non_voting" => "change.non_voting",
            _ => "change.other",
        }
    }

    pub fn manages(&self) -> bool {
        self.access == Access::Manager
    }
    pub fn changeable(&self) -> bool {
        self.manages() && matches!(self.state, EventState::Draft | EventState::Scheduled)
    }
    pub fn statuses(&self) -> Vec<PoliticalStatus> {
        super::rules::statuses_from_db(&self.event.audience_statuses)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/confirm.html")]
pub struct EventConfirmPage {
    pub ctx: Ctx,
    pub event: event::Model,
    /// "schedule", "cancel" or "delete"
    pub action: &'static str,
    pub invitees: usize,
    pub guests: usize,
    pub errors: FieldErrors,
    pub reason: String,
}

/// One day of the month calendar.
pub struct CalendarDay {
    pub date: chrono::NaiveDate,
    /// The day of the month.
    pub number: u32,
    pub in_month: bool,
    pub today: bool,
    /// Indexes into the page's `events`.
    pub events: Vec<usize>,
    /// Events starting that day that are not shown.
    pub more: usize,
}

/// An event in the month calendar (on every day it touches), its labels worked out once.
pub struct CalendarEvent {
    pub row: EventRow,
    /// The start's time of day ("09:30") in the calendar's zone.
    pub time: String,
    /// Its state now (a class name).
    pub state: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/calendar.html")]
pub struct CalendarPage {
    pub ctx: Ctx,
    pub month: chrono::NaiveDate,
    pub prev: String,
    pub next: String,
    pub branch: String,
    pub units: Vec<UnitOption>,
    pub weeks: Vec<Vec<CalendarDay>>,
    pub events: Vec<CalendarEvent>,
    pub now: DateTime<Utc>,
    pub tz: Tz,
    pub manager: bool,
}

impl CalendarPage {
    /// "2026年11月" / "November 2026".
    pub fn title(&self) -> String {
        use chrono::Datelike;
        match self.ctx.locale {
            crate::i18n::Locale::ZhCn => format!("{}年{}月", self.month.year(), self.month.month()),
            crate::i18n::Locale::En => self.month.format("%B %Y").to_string(),
        }
    }

    pub fn link(&self, month: &str) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("month", month);
        if !self.branch.is_empty() {
            q.append_pair("branch", &self.branch);
        }
        format!("/events/calendar?{}", q.finish())
    }

    /// The organisers' list of one day (where "+N more" leads).
    pub fn day_link(&self, day: &chrono::NaiveDate) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("when", if *day < self.now.with_timezone(&self.tz).date_naive() { "past" } else { "upcoming" });
        q.append_pair("from", &day.to_string());
        q.append_pair("to", &day.to_string());
        if !self.branch.is_empty() {
            q.append_pair("branch", &self.branch);
        }
        format!("/events?{}", q.finish())
    }

    /// The branch filter chose this unit.
    pub fn chosen(&self, unit: &i64) -> bool {
        self.branch.parse() == Ok(*unit)
    }
}

/// A subscription on the subscriptions page: the member's own (owner "member"), or a branch's.
pub struct FeedRow {
    pub owner: String,
    pub name: String,
    /// The section heading this entry opens.
    pub heading: Option<&'static str>,
    /// None: no live address yet.
    pub url: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/feeds.html")]
pub struct FeedsPage {
    pub ctx: Ctx,
    /// The member's own first (when the account is a member), then live branch subscriptions.
    pub entries: Vec<FeedRow>,
    pub branch_choices: Vec<UnitOption>,
    /// The owner and action ("renew" or "revoke") waiting for confirmation.
    pub confirm: Option<(String, &'static str)>,
}

impl FeedsPage {
    /// The same address for calendar apps that open webcal:// links.
    pub fn webcal(&self, url: &str) -> String {
        url.replacen("https://", "webcal://", 1).replacen("http://", "webcal://", 1)
    }

    pub fn has_branch_feeds(&self) -> bool {
        self.entries.iter().any(|e| e.owner != "member")
    }

    /// Whether the owner's entry awaits confirmation: Some(true) to renew, Some(false) to revoke.
    pub fn confirming(&self, owner: &str) -> Option<bool> {
        self.confirm.as_ref().filter(|(o, _)| o == owner).map(|(_, a)| *a == "renew")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/series.html")]
pub struct SeriesPage {
    pub ctx: Ctx,
    /// None while planning a new series.
    pub series: Option<super::entity::series::Model>,
    pub branch: UnitOption,
    pub tz: Tz,
    pub form: Pairs,
    pub errors: FieldErrors,
    pub occurrences: Vec<event::Model>,
    pub now: DateTime<Utc>,
    pub choices: Choices,
}

impl SeriesPage {
    pub const NTHS: [&'static str; 5] = ["1", "2", "3", "4", "last"];
    pub const WEEKDAYS: [&'static str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// The rule in words: "每月 24 日", "The last Friday of every month".
    pub fn rule_text(&self) -> String {
        use crate::i18n::Msg;
        let Some(s) = &self.series else { return String::new() };
        let mut parts = s.rule.split(':');
        let msg = match (parts.next(), parts.next(), parts.next()) {
            (Some("weekday"), Some(nth), Some(day)) => Msg::new("series.rule_weekday")
                .arg("nth", self.ctx.tr(&format!("series.nth_{nth}")))
                .arg("weekday", self.ctx.tr(&format!("weekday.{day}"))),
            (_, Some(day), _) => Msg::new("series.rule_day").arg("day", day),
            _ => Msg::new("series.rule_invalid"),
        };
        self.ctx.msg(&msg)
    }

    pub fn when(&self, e: &event::Model) -> String {
        local(&e.starts_at, self.tz)
    }

    pub fn state_of(&self, e: &event::Model) -> EventState {
        super::service::effective_state(e, self.now)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "events/delivery.html")]
pub struct DeliveryPage {
    pub ctx: Ctx,
    pub event: event::Model,
    pub rows: Vec<crate::mail::service::InviteeDelivery>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
}

impl DeliveryPage {
    pub fn answer_key(&self, answer: crate::invitations::Answer) -> &'static str {
        answer.label_key()
    }
}
