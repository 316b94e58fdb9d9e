//! Page structs of the minutes domain, and the record as a Word document.
pub mod docx;

use askama::Template;
use askama_web::WebTemplate;

use super::{
    entity::LogKind,
    rules::{Action, Body, DiffLine, MinutesState, Resolution, Speech, SpeechRole},
    service::{Entry, Rights, Roll},
};
use crate::{
    events::rules::EventKind,
    forms::{Choice, FieldErrors},
    markdown,
    web::Ctx,
};

/// Names of a group of the roll, each with its note (a reason, an organisation) or "late", joined
/// as the reader's language joins a list: built once, not name by name in the template (a
/// meeting may have thousands).
pub fn join_names(entries: &[Entry], tr: impl Fn(&'static str) -> &'static str) -> String {
    let (open, close, sep, late) =
        (tr("minutes.paren_open"), tr("minutes.paren_close"), tr("minutes.list_sep"), tr("outcome.late"));
    let mut out = String::with_capacity(entries.len() * 16);
    for (i, e) in entries.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&e.name);
        let note = e.note.as_deref().or(e.late.then_some(late));
        if let Some(n) = note {
            out.push_str(open);
            out.push_str(n);
            out.push_str(close);
        }
    }
    out
}

/// The roll's 列席 line: the non-voting attendees counted ("各会员单位党务工作者50余人") beside
/// those named; empty when there are none.
pub fn non_voting_line(roll: &Roll, locale: crate::i18n::Locale) -> String {
    let tr = |k: &'static str| crate::i18n::t(locale, k);
    let mut parts = Vec::new();
    if let Some(c) = &roll.counted {
        parts.push(c.shown(locale));
    }
    if !roll.others.is_empty() {
        parts.push(join_names(&roll.others, tr));
    }
    parts.join(tr("minutes.list_sep"))
}

/// The record's header: facts of the event, never typed again.
pub struct Header {
    pub event_id: i64,
    pub title: String,
    pub kind: EventKind,
    /// Start – end in the branch's zone.
    pub when: String,
    pub place: Option<String>,
    pub organiser: String,
    pub co_organisers: Vec<String>,
    pub host: Option<String>,
    pub host_post: Option<String>,
    pub recorder: Option<String>,
}

pub struct Signature {
    /// Who signed (the account's name).
    pub name: String,
    pub at: String,
    /// A signature on behalf (代签): whom it was given for.
    pub signed_for: Option<String>,
}

impl Signature {
    /// As the record shows it: the signer and the time, or, signed on behalf, the holder first
    /// and who signed for them ("王某（由李某代签，2026-12-07 10:05）"): never the signer's name
    /// alone as the holder's signature.
    pub fn shown(&self, locale: impl std::borrow::Borrow<crate::i18n::Locale>) -> String {
        let locale = *locale.borrow();
        match &self.signed_for {
            Some(holder) => crate::i18n::fill(
                crate::i18n::t(locale, "minutes.signed_on_behalf"),
                &[("holder", holder), ("by", &self.name), ("at", &self.at)],
            ),
            None => format!("{} {}", self.name, self.at),
        }
    }
}

/// The form naming the event's host and recorder on the record's page.
pub struct PeopleForm {
    /// Members of the holding branches (id, name).
    pub choices: Vec<(i64, String)>,
    pub host_member_id: Option<i64>,
    pub host_guest_name: String,
    pub recorder_member_id: Option<i64>,
}

/// An amendment in progress beside the signed record, as its writers' pages say it.
pub struct AmendmentView {
    /// The page shows the signed record (else the amendment).
    pub signed_shown: bool,
    pub signed_revision: i32,
    /// The day the signed revision was locked, in the branch's zone.
    pub signed_on: String,
    pub revision: i32,
    pub state: MinutesState,
}

/// Sent back to its writers and not submitted since: the comment, who and when.
pub struct ReturnedView {
    pub comment: String,
    pub who: String,
    pub at: String,
}

pub struct LogRow {
    pub at: String,
    pub who: String,
    pub kind: LogKind,
    pub revision: i32,
    pub note: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "minutes/show.html")]
pub struct MinutesPage {
    pub ctx: Ctx,
    pub header: Header,
    pub state: MinutesState,
    pub revision: i32,
    pub body: Body,
    pub roll: std::sync::Arc<Roll>,
    pub rights: Rights,
    pub may_submit: bool,
    pub host_signature: Option<Signature>,
    pub recorder_signature: Option<Signature>,
    /// Naming the host and recorder (None: not for this viewer, or the record is locked).
    pub people: Option<PeopleForm>,
    pub log: Vec<LogRow>,
    pub previous: Option<i64>,
    pub revisions: usize,
    /// Of the send-back form.
    pub errors: FieldErrors,
    /// An amendment in progress, for its writers.
    pub amendment: Option<AmendmentView>,
    /// Sent back and not submitted since, for its writers.
    pub returned: Option<ReturnedView>,
}

impl MinutesPage {
    /// The query that keeps the version shown on the print view and the Word file ("" by
    /// default: the signed record there).
    /// The state the page names: returned (sent back and not submitted since), or the record's.
    pub fn state_label(&self) -> &'static str {
        if self.returned.is_some() { "minutes.returned_title" } else { self.state.label_key() }
    }

    /// What the amendment's page says of the signed record beside it.
    pub fn amendment_note(&self, a: &AmendmentView) -> String {
        let msg = crate::i18n::Msg::new("minutes.amendment_note").arg("n", a.signed_revision).arg("date", &a.signed_on);
        self.ctx.msg(&msg)
    }

    /// The signed record is shown beside an amendment in progress (it is not edited: the
    /// amendment is).
    pub fn signed_shown(&self) -> bool {
        self.amendment.as_ref().is_some_and(|a| a.signed_shown)
    }

    pub fn version_query(&self) -> &'static str {
        match &self.amendment {
            Some(a) if !a.signed_shown => "?version=amendment",
            _ => "",
        }
    }
}

/// What the record's page and its print show alike: names joined, the line of those attending
/// without a vote, Markdown.
pub trait RecordView {
    fn context(&self) -> &Ctx;
    fn the_roll(&self) -> &Roll;

    fn names(&self, entries: &[Entry]) -> String {
        join_names(entries, |k| self.context().tr(k))
    }

    fn non_voting(&self) -> String {
        non_voting_line(self.the_roll(), self.context().locale)
    }

    fn md(&self, text: &str) -> String {
        markdown::render(text)
    }
}

impl RecordView for MinutesPage {
    fn context(&self) -> &Ctx {
        &self.ctx
    }
    fn the_roll(&self) -> &Roll {
        &self.roll
    }
}

impl RecordView for PrintPage {
    fn context(&self) -> &Ctx {
        &self.ctx
    }
    fn the_roll(&self) -> &Roll {
        &self.roll
    }
}

/// The record of an event that has not started yet: when it opens.
#[derive(Template, WebTemplate)]
#[template(path = "minutes/not_yet.html")]
pub struct NotYetPage {
    pub ctx: Ctx,
    pub event_id: i64,
    pub title: String,
    /// The event's start, in its branch's zone.
    pub opens: String,
}

/// The event page's section on its minutes.
#[derive(Template)]
#[template(path = "minutes/event_section.html")]
pub struct EventSection<'a> {
    pub ctx: &'a Ctx,
    pub event_id: i64,
    /// None: not written yet.
    pub state: Option<MinutesState>,
    pub writes: bool,
    /// Signed and being amended (for its writers).
    pub amending: bool,
}

/// The printable record (会议记录), on A4.
#[derive(Template, WebTemplate)]
#[template(path = "minutes/print.html")]
pub struct PrintPage {
    pub ctx: Ctx,
    pub header: Header,
    pub state: MinutesState,
    /// An amendment not signed yet (its writers' print of it).
    pub amending: bool,
    pub body: Body,
    pub roll: std::sync::Arc<Roll>,
    pub host_signature: Option<Signature>,
    pub recorder_signature: Option<Signature>,
}

/// An item of the edit form, with the form-wide numbers of its rows (errors are keyed by them).
pub struct FormItem {
    pub index: usize,
    pub title: String,
    pub speeches: Vec<(usize, Speech)>,
    pub resolutions: Vec<(usize, Resolution)>,
    pub actions: Vec<(usize, Action)>,
}

pub fn form_items(body: &Body) -> Vec<FormItem> {
    let (mut j, mut k, mut l) = (0, 0, 0);
    let number = |n: &mut usize| {
        *n += 1;
        *n - 1
    };
    body.items
        .iter()
        .enumerate()
        .map(|(index, item)| FormItem {
            index,
            title: item.title.clone(),
            speeches: item.speeches.iter().map(|s| (number(&mut j), s.clone())).collect(),
            resolutions: item.resolutions.iter().map(|r| (number(&mut k), r.clone())).collect(),
            actions: item.actions.iter().map(|a| (number(&mut l), a.clone())).collect(),
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "minutes/form.html")]
pub struct FormPage {
    pub ctx: Ctx,
    pub header: Header,
    pub revision: i32,
    pub items: Vec<FormItem>,
    /// Select-box value and how the option names the person.
    pub speakers: Vec<(String, String)>,
    pub errors: FieldErrors,
    /// The record is locked: saving is an amendment and needs a reason.
    pub amending: bool,
    pub reason: String,
    /// After a refused stale save: the record as saved meanwhile, as lines.
    pub saved_now: Option<Vec<String>>,
    /// Full members present (who may vote).
    pub voters: usize,
}

impl FormPage {
    pub fn roles(&self) -> &'static [SpeechRole] {
        SpeechRole::ALL
    }

    pub fn speaker_choice(&self, s: &Speech) -> String {
        s.speaker.as_ref().map(|p| p.choice()).unwrap_or_default()
    }

    pub fn named_name(&self, s: &Speech) -> String {
        match &s.speaker {
            Some(super::rules::Speaker::Named { name }) => name.clone(),
            _ => String::new(),
        }
    }

    pub fn votes(&self, r: &Resolution) -> [String; 3] {
        match r.votes {
            Some(v) => [v.in_favour.to_string(), v.against.to_string(), v.abstaining.to_string()],
            None => Default::default(),
        }
    }
}

pub struct YearRow {
    pub event_id: i64,
    pub when: String,
    pub title: String,
    pub kind: EventKind,
    /// Locked while an amendment is in progress: the signed revision stays the record.
    pub state: MinutesState,
    pub amending: bool,
}

/// A branch's minutes of a year.
#[derive(Template, WebTemplate)]
#[template(path = "minutes/year.html")]
pub struct YearPage {
    pub ctx: Ctx,
    pub branch_id: i64,
    pub branch_name: String,
    pub year: i32,
    pub rows: Vec<YearRow>,
}

impl YearPage {
    pub fn locked(&self) -> usize {
        self.rows.iter().filter(|r| r.state == MinutesState::Locked).count()
    }
}

pub struct RevisionRow {
    pub revision: i32,
    pub at: String,
    pub who: String,
    pub reason: Option<String>,
    /// The day it was signed and locked, in the branch's zone (None: never).
    pub signed_on: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "minutes/revisions.html")]
pub struct RevisionsPage {
    pub ctx: Ctx,
    pub header: Header,
    pub rows: Vec<RevisionRow>,
    /// The two revisions compared, and their lines side by side (None: too long to compare).
    pub compared: Option<(i32, i32, Option<Vec<DiffLine>>)>,
    /// One revision shown whole, when asked for (`?show=N`).
    pub shown: Option<(i32, Vec<String>)>,
}
