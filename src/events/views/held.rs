//! The page of an activity recorded after it took place (补录).
use askama::Template;
use askama_web::WebTemplate;

use super::Choices;
use crate::{
    branches::service::UnitOption,
    events::rules::{
        Pairs,
        held::{Attended, mark_field, reason_field},
    },
    forms::{Choice, FieldErrors},
    members::entity::member,
    web::Ctx,
};

/// Why the held form was shown with values already typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Opened from the events list: nothing to explain.
    Plain,
    /// A new event was typed with a time that has passed.
    PastNew,
    /// A draft whose time has passed was to be scheduled.
    PastDraft,
}

#[derive(Template, WebTemplate)]
#[template(path = "events/held.html")]
pub struct HeldFormPage {
    pub ctx: Ctx,
    pub branch: UnitOption,
    pub branch_zone: String,
    /// The draft being recorded as held, if any.
    pub draft: Option<i64>,
    pub offer: Offer,
    pub form: Pairs,
    pub errors: FieldErrors,
    pub co_organiser_choices: Vec<UnitOption>,
    /// Who may be named host or recorder: today's members and that day's roster.
    pub people: Vec<member::Model>,
    /// That day's roster (None until a valid date is typed).
    pub roster: Option<Vec<member::Model>>,
    /// The day of the roster, as shown.
    pub day: String,
    /// The earliest day that may be recorded, as shown.
    pub earliest: String,
    pub guest_rows: usize,
    pub agenda_rows: usize,
    pub choices: Choices,
}

impl HeldFormPage {
    pub fn attended(&self) -> &'static [Attended] {
        Attended::ALL
    }

    /// The mark chosen for a member of the roster.
    pub fn mark(&self, member_id: &i64) -> &str {
        self.form.get(&mark_field(*member_id))
    }

    pub fn reason(&self, member_id: &i64) -> &str {
        self.form.get(&reason_field(*member_id))
    }

    pub fn mark_error(&self, member_id: &i64) -> Option<String> {
        self.errors.get(&mark_field(*member_id)).map(|m| self.ctx.msg(m))
    }

    pub fn reason_error(&self, member_id: &i64) -> Option<String> {
        self.errors.get(&reason_field(*member_id)).map(|m| self.ctx.msg(m))
    }

    /// The value of the `i`-th row of a repeated field (guests, agenda).
    pub fn nth(&self, name: &str, i: &usize) -> &str {
        self.form.all(name).nth(*i).unwrap_or("")
    }

    /// The roster's fields in the error summary: each person's marks under their name.
    pub fn summary_names(&self) -> Vec<(String, String)> {
        let reason = self.ctx.tr("held.leave_reason");
        let colon = self.ctx.tr("report.colon");
        self.roster
            .iter()
            .flatten()
            .flat_map(|p| {
                [(mark_field(p.id), p.name.clone()), (reason_field(p.id), format!("{}{colon}{reason}", p.name))]
            })
            .collect()
    }

    pub fn row_error(&self, prefix: &str, i: &usize) -> Option<String> {
        self.errors.get(&format!("{prefix}_{i}")).map(|m| self.ctx.msg(m))
    }
}
