//! Page structs of the attendance domain.
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use super::service::history::{HistoryRow, Person, Summary};
use crate::{
    events::{
        entity::{event, invitation},
        rules::{EventState, non_voting::NonVotingForm},
        views::local,
    },
    forms::{Choice, FieldErrors},
    invitations::log,
    web::Ctx,
};

/// What the event page shows about attendance.
pub struct EventBox {
    /// The viewer's own invitation, and whether they may still answer.
    pub mine: Option<invitation::Model>,
    pub can_answer: bool,
    /// Organisers, host and recorder: the summary, and the QR code while check-in is open.
    pub summary: Option<Summary>,
    /// The people the summary's groups point into.
    pub people: Vec<Person>,
    pub qr: Option<(String, String)>,
}

impl EventBox {
    /// Catalogue key of the viewer's answer as they read it (checked in: attending).
    pub fn my_answer(&self) -> Option<&'static str> {
        self.mine.as_ref().map(|i| super::service::history::shown_answer(i.answer, i.checked_in_at.is_some()))
    }

    pub fn my_outcome(&self) -> Option<crate::invitations::Outcome> {
        self.mine.as_ref().and_then(|i| i.outcome)
    }
}

/// Attendance's section of an event's page: the viewer's own answer, and for those who take
/// attendance the summary, the QR code and the links to the roster and sheet.
#[derive(Template)]
#[template(path = "attendance/event_section.html")]
pub struct EventSection<'a> {
    pub ctx: &'a Ctx,
    pub event: &'a event::Model,
    pub state: EventState,
    pub tz: Tz,
    pub attendance: EventBox,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    /// all | leave | waitlist | absent | makeup | awaiting
    pub show: String,
    pub q: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "attendance/manage.html")]
pub struct ManagePage {
    pub ctx: Ctx,
    pub event: event::Model,
    pub tz: Tz,
    pub people: Vec<Person>,
    pub summary: Summary,
    pub shown: Vec<usize>,
    pub more: usize,
    pub params: ListParams,
    /// May decide leave, answers and corrections (secretaries).
    pub decides: bool,
    pub finalised: bool,
    pub today: String,
    pub log: Vec<log::Model>,
    /// Names of the accounts in the log.
    pub accounts: Vec<(i64, String)>,
    pub members: Vec<(i64, String)>,
    /// The non-voting head count as the form shows it.
    pub non_voting: NonVotingForm,
}

impl ManagePage {
    const FILTERS: [&'static str; 6] = ["all", "leave", "waitlist", "awaiting", "absent", "makeup"];

    fn name_of(&self, invitation_id: &i64) -> &str {
        self.people.iter().find(|p| p.id == *invitation_id).map_or("—", |p| p.name.as_str())
    }

    /// A log line's old or new value as people read it: answers and outcomes by their labels,
    /// dates as they are.
    fn value_label(&self, v: &Option<String>) -> String {
        let Some(v) = v.as_deref() else { return "—".to_owned() };
        if let Some(a) = crate::invitations::Answer::parse(v) {
            return self.ctx.tr(a.label_key()).to_owned();
        }
        if let Some(o) = crate::invitations::Outcome::parse(v) {
            return self.ctx.tr(o.label_key()).to_owned();
        }
        match v {
            "left_early" => self.ctx.tr("outcome.left_early").to_owned(),
            "stayed" => self.ctx.tr("outcome.stayed").to_owned(),
            _ => v.to_owned(),
        }
    }

    /// A log line's note: the check-in method or a walk-in by its label, else the text typed.
    fn note_label(&self, note: &str) -> String {
        if let Some(m) = super::rules::Method::parse(note) {
            return self.ctx.tr(m.label_key()).to_owned();
        }
        match note {
            "walk_in" => self.ctx.tr("walk_in.label").to_owned(),
            _ => note.to_owned(),
        }
    }

    fn account_name(&self, id: i64) -> &str {
        self.accounts.iter().find(|(a, _)| *a == id).map_or("—", |(_, n)| n.as_str())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "attendance/roster.html")]
pub struct RosterPage {
    pub ctx: Ctx,
    pub event: event::Model,
    pub people: Vec<Person>,
    pub summary: Summary,
    pub open: bool,
    pub qr: Option<(String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "attendance/sheet.html")]
pub struct SheetPage {
    pub ctx: Ctx,
    pub event: event::Model,
    pub tz: Tz,
    pub branch_name: String,
    pub host: Option<String>,
    pub people: Vec<Person>,
    pub summary: Summary,
}

#[derive(Template, WebTemplate)]
#[template(path = "attendance/checkin.html")]
pub struct CheckinPage {
    pub ctx: Ctx,
    pub event: event::Model,
    pub tz: Tz,
    pub token: String,
    /// Checked in already (at this time).
    pub done: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct HistoryParams {
    pub page: String,
    pub open: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "attendance/history.html")]
pub struct HistoryPage {
    pub ctx: Ctx,
    pub linked: bool,
    pub open_tasks: Vec<HistoryRow>,
    pub rows: Vec<HistoryRow>,
    pub page: u64,
    pub more: bool,
    pub open_only: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/answer.html")]
pub struct AnswerPage {
    pub ctx: Ctx,
    pub token: String,
    /// The answer the followed link stands for ("" for none): shown first, to confirm.
    pub choice: String,
    pub invitation: invitation::Model,
    pub event: event::Model,
    pub tz: Tz,
    /// Answers are still taken.
    pub open: bool,
    /// Check-in with this link is open and not done yet.
    pub checkin: bool,
    pub reason: String,
    pub errors: FieldErrors,
    /// The organising branch, the host and the agenda: the facts a guest has no other page for.
    pub organiser: String,
    pub host: Option<String>,
    pub agenda: Vec<crate::events::entity::agenda::Model>,
}

impl AnswerPage {
    /// Invited as a guest: accept or decline, no leave.
    pub fn guest(&self) -> bool {
        self.invitation.member_id.is_none()
    }

    pub fn closes(&self) -> String {
        local(&super::service::closes_at(&self.event), self.tz)
    }

    pub fn when(&self) -> String {
        let zone = crate::events::views::zone_note(self.tz, self.ctx.locale);
        format!("{} – {}{zone}", local(&self.event.starts_at, self.tz), local(&self.event.ends_at, self.tz))
    }

    pub fn answer_key(&self) -> &'static str {
        super::service::history::shown_answer(self.invitation.answer, self.invitation.checked_in_at.is_some())
    }
}
