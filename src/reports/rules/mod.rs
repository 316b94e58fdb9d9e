//! The rules of activity reports (活动报道): their states and review, the edit form, what a
//! regeneration offers; the draft's words are [`writer`]'s.
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::forms::FieldErrors;

pub mod writer;
pub use writer::{Draft, Facts, GuestFact, Host, ItemFact, NonVoting, PartOfDay, draft};

/// Where a report stands: drafted by Partyday, submitted for review, published on the
/// Activities page, or withdrawn from it (kept on record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum ReportState {
    #[sea_orm(string_value = "draft")]
    Draft,
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
}

impl ReportState {
    pub fn label_key(self) -> &'static str {
        match self {
            ReportState::Draft => "report_state.draft",
            ReportState::Submitted => "report_state.submitted",
            ReportState::Published => "report_state.published",
            ReportState::Withdrawn => "report_state.withdrawn",
        }
    }
}

/// Who publishes a report on the Activities page (`reports.publish_by`): an administrator who
/// reviews what secretaries submit, or the branch secretary directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishBy {
    Admin,
    Secretary,
}

impl PublishBy {
    pub fn parse(s: &str) -> Option<PublishBy> {
        match s.trim() {
            "admin" => Some(PublishBy::Admin),
            "secretary" => Some(PublishBy::Secretary),
            _ => None,
        }
    }
}

/// A step of the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A writer asks for review.
    Submit,
    /// The reviewer sends a submitted report back, with a comment.
    Return,
    /// Onto the public page (a draft directly, where the publisher is its writer; or again after
    /// a withdrawal).
    Publish,
    /// Off the public page, with a reason; kept on record.
    Withdraw,
}

impl Step {
    /// Whether the step may be taken from `state` by a writer of the report (`publisher`: one who
    /// may also publish it).
    pub fn allowed(self, state: ReportState, publisher: bool) -> bool {
        use ReportState::*;
        match self {
            Step::Submit => state == Draft && !publisher,
            Step::Return => publisher && state == Submitted,
            Step::Publish => publisher && matches!(state, Draft | Submitted | Withdrawn),
            Step::Withdraw => publisher && state == Published,
        }
    }

    /// Where the step leads.
    pub fn to(self) -> ReportState {
        match self {
            Step::Submit => ReportState::Submitted,
            Step::Return => ReportState::Draft,
            Step::Publish => ReportState::Published,
            Step::Withdraw => ReportState::Withdrawn,
        }
    }

    pub fn log_kind(self) -> LogKind {
        match self {
            Step::Submit => LogKind::Submitted,
            Step::Return => LogKind::Returned,
            Step::Publish => LogKind::Published,
            Step::Withdraw => LogKind::Withdrawn,
        }
    }

    /// Return and withdraw say why.
    pub fn needs_note(self) -> bool {
        matches!(self, Step::Return | Step::Withdraw)
    }
}

/// Whether a writer may change the words and photos: a submitted report waits for its reviewer.
pub fn may_edit(state: ReportState, publisher: bool) -> bool {
    state != ReportState::Submitted || publisher
}

/// What the report's log records: the review's steps, and every change once it was public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LogKind {
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "returned")]
    Returned,
    #[sea_orm(string_value = "published")]
    Published,
    #[sea_orm(string_value = "withdrawn")]
    Withdrawn,
    /// The words changed after the first publication.
    #[sea_orm(string_value = "edited")]
    Edited,
    #[sea_orm(string_value = "regenerated")]
    Regenerated,
    #[sea_orm(string_value = "photo_added")]
    PhotoAdded,
    #[sea_orm(string_value = "photo_removed")]
    PhotoRemoved,
}

impl LogKind {
    pub fn label_key(self) -> &'static str {
        match self {
            LogKind::Submitted => "report_log.submitted",
            LogKind::Returned => "report_log.returned",
            LogKind::Published => "report_log.published",
            LogKind::Withdrawn => "report_log.withdrawn",
            LogKind::Edited => "report_log.edited",
            LogKind::Regenerated => "report_log.regenerated",
            LogKind::PhotoAdded => "report_log.photo_added",
            LogKind::PhotoRemoved => "report_log.photo_removed",
        }
    }
}

pub const MAX_TITLE: usize = 200;
pub const MAX_AUTHOR: usize = 100;
pub const MAX_SUMMARY: usize = 1_000;
pub const MAX_BODY: usize = 50_000;
pub const MAX_NOTE: usize = 500;
pub const MAX_CAPTION: usize = 200;

/// The words of a report as its writers set them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub title: String,
    pub author_department: Option<String>,
    pub shown_on: NaiveDate,
    pub summary: String,
    pub body: String,
}

/// The edit form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EditForm {
    pub title: String,
    pub author_department: String,
    pub shown_on: String,
    pub summary: String,
    pub body: String,
    pub revision: String,
    /// "preview" shows the body rendered without saving.
    pub op: String,
}

impl EditForm {
    pub fn of(
        title: &str,
        author: Option<&str>,
        shown_on: NaiveDate,
        summary: &str,
        body: &str,
        revision: i32,
    ) -> Self {
        EditForm {
            title: title.to_owned(),
            author_department: author.unwrap_or_default().to_owned(),
            shown_on: shown_on.to_string(),
            summary: summary.to_owned(),
            body: body.to_owned(),
            revision: revision.to_string(),
            op: String::new(),
        }
    }

    pub fn parse(&self) -> Result<Edit, FieldErrors> {
        use crate::forms::{optional_multiline, optional_text, parse_date, required_text};
        let mut e = FieldErrors::default();
        let title = e.check("title", required_text(&self.title, MAX_TITLE));
        let author_department = e.check("author_department", optional_text(&self.author_department, MAX_AUTHOR));
        let shown_on = e.check("shown_on", parse_date(&self.shown_on).and_then(|d| d.ok_or("field.required")));
        let summary = e.check("summary", optional_multiline(&self.summary, MAX_SUMMARY));
        let body = e.check("body", optional_multiline(&self.body, MAX_BODY));
        match (title, author_department, shown_on, summary, body) {
            (Some(title), Some(author_department), Some(shown_on), Some(summary), Some(body)) if e.is_empty() => {
                Ok(Edit {
                    title,
                    author_department,
                    shown_on,
                    summary: summary.unwrap_or_default(),
                    body: body.unwrap_or_default(),
                })
            }
            _ => Err(e),
        }
    }
}

/// A generated part the signed minutes would now write differently: as it stands, as it would
/// become, and whether a person edited it since it was generated (then it changes only when they
/// ask).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// "title", "summary" or "body": the form's field.
    pub field: &'static str,
    pub now: String,
    pub fresh: String,
    pub edited: bool,
}

/// The parts a regeneration would change: those the new draft writes differently from the last
/// one, and that do not already read so. `current` is the report's title, summary and body.
pub fn regeneration(current: [&str; 3], last: &Draft, fresh: &Draft) -> Vec<Part> {
    let parts =
        [("title", &last.title, &fresh.title), ("summary", &last.lead, &fresh.lead), ("body", &last.body, &fresh.body)];
    parts
        .into_iter()
        .zip(current)
        .filter(|((_, last, fresh), now)| last != fresh && now != fresh)
        .map(|((field, last, fresh), now)| Part {
            field,
            now: now.to_owned(),
            fresh: fresh.clone(),
            edited: now != last.as_str(),
        })
        .collect()
}

/// The first `max` characters of a text on one line, for excerpts and descriptions.
pub fn excerpt(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn who_takes_which_step_from_which_state() {
        use ReportState::*;
        let states = [Draft, Submitted, Published, Withdrawn];
        let table = |step: Step, publisher: bool| -> Vec<ReportState> {
            states.iter().copied().filter(|s| step.allowed(*s, publisher)).collect()
        };
        // A secretary where an administrator reviews: submits a draft, nothing else.
        assert_eq!(table(Step::Submit, false), vec![Draft]);
        for step in [Step::Return, Step::Publish, Step::Withdraw] {
            assert!(table(step, false).is_empty(), "{step:?}");
        }
        // A publisher: returns what is submitted, publishes what is not public, withdraws what is.
        assert!(table(Step::Submit, true).is_empty());
        assert_eq!(table(Step::Return, true), vec![Submitted]);
        assert_eq!(table(Step::Publish, true), vec![Draft, Submitted, Withdrawn]);
        assert_eq!(table(Step::Withdraw, true), vec![Published]);
        // A submitted report waits for its reviewer.
        assert!(!may_edit(Submitted, false) && may_edit(Submitted, true));
        assert!(states.iter().filter(|s| **s != Submitted).all(|s| may_edit(*s, false)));
    }

    #[test]
    fn regeneration_offers_what_changed_and_marks_hand_edits() {
        let d =
            |title: &str, lead: &str, body: &str| Draft { title: title.into(), lead: lead.into(), body: body.into() };
        let last = d("标题", "导语", "正文");
        // Nothing new in the minutes: nothing offered, edited or not.
        assert!(regeneration(["我的标题", "导语", "正文"], &last, &last).is_empty());
        let fresh = d("标题", "导语", "正文，加上发言");
        let parts = regeneration(["标题", "导语", "正文"], &last, &fresh);
        assert_eq!(parts.len(), 1);
        assert_eq!((parts[0].field, parts[0].edited, parts[0].fresh.as_str()), ("body", false, "正文，加上发言"));
        let edited = regeneration(["标题", "导语", "正文和我写的"], &last, &fresh);
        assert!(edited[0].edited && edited[0].now == "正文和我写的");
        // Already reading as the new draft would: nothing to do.
        assert!(regeneration(["标题", "导语", "正文，加上发言"], &last, &fresh).is_empty());
    }

    #[test]
    fn the_edit_form_refuses_bad_fields_one_by_one() {
        let ok = EditForm::of(
            "标题",
            Some("党群服务与组织管理"),
            NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            "导语",
            "正文",
            3,
        );
        let edit = ok.parse().unwrap();
        assert_eq!((edit.title.as_str(), edit.author_department.as_deref()), ("标题", Some("党群服务与组织管理")));
        let bad =
            EditForm { title: String::new(), shown_on: "2026-02-30".into(), body: "x".repeat(MAX_BODY + 1), ..ok };
        let errors = bad.parse().unwrap_err();
        assert!(errors.get("title").is_some() && errors.get("shown_on").is_some() && errors.get("body").is_some());
        assert!(errors.get("summary").is_none());
        assert_eq!(excerpt("一 二\n\n三", 3), "一 二…");
    }
}
