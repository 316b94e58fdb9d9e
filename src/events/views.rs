//! Page structs of the events domain.
use askama::Template;
use askama_web::WebTemplate;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{
    entity::{agenda, change, event, guest},
    list::EventRow,
    rules::{AudienceKind, EventKind, EventState, GuestRole, Pairs},
    service::{Access, Invitee},
};
use crate::{
    branches::service::UnitOption,
    members::{
        entity::member,
        rules::{Choice, PoliticalStatus},
    },
    web::{Ctx, forms::FieldErrors},
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

/// A time in a zone, as shown on pages and in forms.
pub fn local(t: &DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// The value of a datetime-local input.
pub fn input(t: &DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
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
    pub choices: Choices,
}

impl EventShowPage {
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
