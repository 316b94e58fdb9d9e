//! The words and the document of minutes: states, speech roles, the body (items with speeches,
//! resolutions and action items) with its form, the vote rule, templates per event type, and the
//! line comparison of two revisions.
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    events::rules::EventKind,
    forms::{Choice, FieldErrors},
    forms::{optional_multiline, optional_text},
};

mod compare;
pub use compare::{COMPARE_MAX_BYTES, COMPARE_MAX_LINES, DiffLine, compare};

/// Where a record stands. A locked record that is amended goes back to draft (it keeps its
/// frozen attendance) and needs both signatures again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum MinutesState {
    #[sea_orm(string_value = "draft")]
    Draft,
    /// Submitted for the host's and the recorder's signatures; its attendance is frozen.
    #[sea_orm(string_value = "submitted")]
    Submitted,
    /// Signed by both: filed.
    #[sea_orm(string_value = "locked")]
    Locked,
}

impl MinutesState {
    /// A locked record changes only by amendment, which gives its reason.
    pub fn needs_reason(self) -> bool {
        self == MinutesState::Locked
    }

    pub fn label_key(self) -> &'static str {
        match self {
            MinutesState::Draft => "minutes_state.draft",
            MinutesState::Submitted => "minutes_state.submitted",
            MinutesState::Locked => "minutes_state.locked",
        }
    }
}

/// What a speech was (领学, 交流发言, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpeechRole {
    LeadStudy,
    Exchange,
    Report,
    LeaderSpeech,
    Summary,
    Discussion,
}

impl Choice for SpeechRole {
    const ALL: &'static [Self] = &[
        SpeechRole::LeadStudy,
        SpeechRole::Exchange,
        SpeechRole::Report,
        SpeechRole::LeaderSpeech,
        SpeechRole::Summary,
        SpeechRole::Discussion,
    ];
    fn key(self) -> &'static str {
        match self {
            SpeechRole::LeadStudy => "lead_study",
            SpeechRole::Exchange => "exchange",
            SpeechRole::Report => "report",
            SpeechRole::LeaderSpeech => "leader_speech",
            SpeechRole::Summary => "summary",
            SpeechRole::Discussion => "discussion",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            SpeechRole::LeadStudy => "speech_role.lead_study",
            SpeechRole::Exchange => "speech_role.exchange",
            SpeechRole::Report => "speech_role.report",
            SpeechRole::LeaderSpeech => "speech_role.leader_speech",
            SpeechRole::Summary => "speech_role.summary",
            SpeechRole::Discussion => "speech_role.discussion",
        }
    }
}

/// Who spoke: a member or a guest of the event (by id, with the name as it stood), or a person
/// named by the recorder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Speaker {
    Member { id: i64, name: String },
    Guest { id: i64, name: String },
    Named { name: String },
}

impl Speaker {
    pub fn name(&self) -> &str {
        match self {
            Speaker::Member { name, .. } | Speaker::Guest { name, .. } | Speaker::Named { name } => name,
        }
    }

    /// The value of the speaker select box.
    pub fn choice(&self) -> String {
        match self {
            Speaker::Member { id, .. } => format!("m:{id}"),
            Speaker::Guest { id, .. } => format!("g:{id}"),
            Speaker::Named { .. } => "named".to_owned(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Speech {
    /// None only in a blank row of the form.
    pub speaker: Option<Speaker>,
    /// The speaker's post or title as it stood that day.
    pub post: String,
    pub role: SpeechRole,
    /// Markdown.
    pub summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Votes {
    pub in_favour: u32,
    pub against: u32,
    pub abstaining: u32,
}

impl Votes {
    pub fn cast(&self) -> u32 {
        self.in_favour + self.against + self.abstaining
    }

    /// A resolution carries with more than half of the full members expected in favour.
    pub fn carries(&self, full_expected: usize) -> bool {
        self.in_favour as usize * 2 > full_expected
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resolution {
    pub text: String,
    /// None when no vote was taken.
    pub votes: Option<Votes>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Action {
    pub what: String,
    pub who: String,
    pub due: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Item {
    pub title: String,
    #[serde(default)]
    pub speeches: Vec<Speech>,
    #[serde(default)]
    pub resolutions: Vec<Resolution>,
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// The body of a record: its items in agenda order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Body {
    pub items: Vec<Item>,
}

/// How many rows of each kind a body may hold (a form cannot grow without bound).
pub const MAX_ITEMS: usize = 50;
pub const MAX_ROWS: usize = 200;
const TITLE_MAX: usize = 200;
const NAME_MAX: usize = 100;
const POST_MAX: usize = 100;
const SUMMARY_MAX: usize = 20_000;
/// A whole record: ten times the longest real 会议记录 we have seen, and a bound on what every
/// revision stores and every comparison reads.
pub const RECORD_MAX: usize = 200_000;
const RESOLUTION_MAX: usize = 5_000;
const ACTION_MAX: usize = 500;
const VOTES_MAX: u32 = 100_000;

/// Who may be named as a speaker: the event's members and guests, by select-box value, with
/// name and post.
pub struct Speakers(pub Vec<(String, String, String)>);

impl Speakers {
    fn find(&self, choice: &str) -> Option<&(String, String, String)> {
        self.0.iter().find(|(c, _, _)| c == choice)
    }
}

/// What the edit form asks besides saving: a blank row more somewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Save,
    AddItem,
    AddSpeech(usize),
    AddResolution(usize),
    AddAction(usize),
}

impl Op {
    pub fn parse(raw: &str) -> Option<Op> {
        let (what, at) = raw.split_once(':').unwrap_or((raw, ""));
        let at = at.parse::<usize>().ok().filter(|i| *i < MAX_ITEMS);
        match (what, at) {
            ("save", _) => Some(Op::Save),
            ("add_item", _) => Some(Op::AddItem),
            ("add_speech", Some(i)) => Some(Op::AddSpeech(i)),
            ("add_resolution", Some(i)) => Some(Op::AddResolution(i)),
            ("add_action", Some(i)) => Some(Op::AddAction(i)),
            _ => None,
        }
    }
}

impl Body {
    /// The items' titles, joined with `sep`: the record's topics (议题).
    pub fn topics(&self, sep: &str) -> String {
        self.items.iter().map(|i| i.title.as_str()).collect::<Vec<_>>().join(sep)
    }
}

impl Body {
    /// Adds a blank row where the form asked for one.
    pub fn grow(&mut self, op: Op) {
        let rows = self.rows();
        match op {
            Op::AddItem if self.items.len() < MAX_ITEMS => self.items.push(Item::default()),
            Op::AddSpeech(i) if rows < MAX_ROWS => {
                if let Some(item) = self.items.get_mut(i) {
                    item.speeches.push(Speech {
                        speaker: None,
                        post: String::new(),
                        role: SpeechRole::Exchange,
                        summary: String::new(),
                    });
                }
            }
            Op::AddResolution(i) if rows < MAX_ROWS => {
                if let Some(item) = self.items.get_mut(i) {
                    item.resolutions.push(Resolution { text: String::new(), votes: None });
                }
            }
            Op::AddAction(i) if rows < MAX_ROWS => {
                if let Some(item) = self.items.get_mut(i) {
                    item.actions.push(Action { what: String::new(), who: String::new(), due: None });
                }
            }
            _ => {}
        }
    }

    /// Characters typed into the record (titles, names, posts, summaries, resolutions, actions).
    pub fn chars(&self) -> usize {
        let n = |s: &str| s.chars().count();
        self.items
            .iter()
            .map(|i| {
                n(&i.title)
                    + i.speeches
                        .iter()
                        .map(|s| s.speaker.as_ref().map_or(0, |p| n(p.name())) + n(&s.post) + n(&s.summary))
                        .sum::<usize>()
                    + i.resolutions.iter().map(|r| n(&r.text)).sum::<usize>()
                    + i.actions.iter().map(|a| n(&a.what) + n(&a.who)).sum::<usize>()
            })
            .sum()
    }

    fn rows(&self) -> usize {
        self.items.iter().map(|i| i.speeches.len() + i.resolutions.len() + i.actions.len()).sum()
    }

    pub fn speeches(&self) -> impl Iterator<Item = &Speech> {
        self.items.iter().flat_map(|i| &i.speeches)
    }

    /// The record as lines of text, for comparing two revisions.
    pub fn lines(&self, tr: impl Fn(&str) -> String) -> Vec<String> {
        let mut out = Vec::new();
        for (n, item) in self.items.iter().enumerate() {
            out.push(format!("{}. {}", n + 1, item.title));
            for s in &item.speeches {
                let who = s.speaker.as_ref().map_or("", Speaker::name);
                let post = if s.post.is_empty() { String::new() } else { format!(" ({})", s.post) };
                out.push(format!("  [{}] {who}{post}", tr(s.role.label_key())));
                out.extend(s.summary.lines().map(|l| format!("    {l}")));
            }
            for r in &item.resolutions {
                out.push(format!("  {}: {}", tr("minutes.resolution"), r.text));
                if let Some(v) = r.votes {
                    out.push(format!(
                        "    {} {} · {} {} · {} {}",
                        tr("minutes.votes_for"),
                        v.in_favour,
                        tr("minutes.votes_against"),
                        v.against,
                        tr("minutes.votes_abstaining"),
                        v.abstaining
                    ));
                }
            }
            for a in &item.actions {
                let due = a.due.map(|d| format!(" · {d}")).unwrap_or_default();
                out.push(format!("  {}: {} · {}{due}", tr("minutes.action"), a.what, a.who));
            }
        }
        out
    }
}

/// The parallel lists of the edit form, in document order; each row names its item by index.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct BodyForm {
    pub item_title: Vec<String>,
    pub sp_item: Vec<String>,
    pub sp_speaker: Vec<String>,
    pub sp_name: Vec<String>,
    pub sp_post: Vec<String>,
    pub sp_role: Vec<String>,
    pub sp_summary: Vec<String>,
    pub res_item: Vec<String>,
    pub res_text: Vec<String>,
    pub res_for: Vec<String>,
    pub res_against: Vec<String>,
    pub res_abstain: Vec<String>,
    pub act_item: Vec<String>,
    pub act_what: Vec<String>,
    pub act_who: Vec<String>,
    pub act_due: Vec<String>,
}

impl BodyForm {
    /// From the form's pairs (repeated names, in order).
    pub fn from_pairs(pairs: &[(String, String)]) -> BodyForm {
        let mut f = BodyForm::default();
        for (k, v) in pairs {
            let list = match k.as_str() {
                "item_title" => &mut f.item_title,
                "sp_item" => &mut f.sp_item,
                "sp_speaker" => &mut f.sp_speaker,
                "sp_name" => &mut f.sp_name,
                "sp_post" => &mut f.sp_post,
                "sp_role" => &mut f.sp_role,
                "sp_summary" => &mut f.sp_summary,
                "res_item" => &mut f.res_item,
                "res_text" => &mut f.res_text,
                "res_for" => &mut f.res_for,
                "res_against" => &mut f.res_against,
                "res_abstain" => &mut f.res_abstain,
                "act_item" => &mut f.act_item,
                "act_what" => &mut f.act_what,
                "act_who" => &mut f.act_who,
                "act_due" => &mut f.act_due,
                _ => continue,
            };
            list.push(v.clone());
        }
        f
    }
}

fn at(list: &[String], i: usize) -> &str {
    list.get(i).map_or("", String::as_str)
}

fn count(raw: &str) -> Result<u32, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(0);
    }
    s.parse::<u32>().ok().filter(|n| *n <= VOTES_MAX).ok_or("minutes.votes_invalid")
}

/// Reads the edit form into a body, keeping what was typed: the body comes back with the
/// errors (field names `item.N`, `speech.N`, `resolution.N`, `action.N`, counted in form order)
/// so that the form can be shown again as it was. Blank rows are dropped. Votes are checked
/// against `voters` (the full members present).
pub fn parse_body(form: &BodyForm, speakers: &Speakers, voters: usize) -> (Body, FieldErrors) {
    read_body(form, speakers, voters, false)
}

/// [`parse_body`] keeping the blank rows, for the form shown again with a row more: a blank row
/// added before is still there when another is added.
pub fn parse_body_keeping_blanks(form: &BodyForm, speakers: &Speakers, voters: usize) -> (Body, FieldErrors) {
    read_body(form, speakers, voters, true)
}

fn read_body(form: &BodyForm, speakers: &Speakers, voters: usize, keep_blank: bool) -> (Body, FieldErrors) {
    let mut errors = FieldErrors::default();
    let n_items = form.item_title.len().min(MAX_ITEMS);
    let mut items: Vec<Item> = (0..n_items)
        .map(|i| {
            let raw = at(&form.item_title, i);
            let title = match optional_text(raw, TITLE_MAX) {
                Ok(t) => t.unwrap_or_default(),
                Err(key) => {
                    errors.add(&format!("item.{i}"), key);
                    raw.chars().take(TITLE_MAX).collect()
                }
            };
            Item { title, ..Item::default() }
        })
        .collect();
    if form.item_title.len() > MAX_ITEMS || form.sp_item.len() + form.res_item.len() + form.act_item.len() > MAX_ROWS {
        errors.add("form", "minutes.too_many_rows");
    }
    let item_of = |raw: &str| raw.trim().parse::<usize>().ok().filter(|i| *i < n_items);

    for j in 0..form.sp_item.len().min(MAX_ROWS) {
        let field = format!("speech.{j}");
        let Some(i) = item_of(at(&form.sp_item, j)) else {
            errors.add(&field, "minutes.item_unknown");
            continue;
        };
        let (choice, typed_name) = (at(&form.sp_speaker, j).trim(), at(&form.sp_name, j));
        let post_raw = at(&form.sp_post, j);
        let summary_raw = at(&form.sp_summary, j);
        let role = SpeechRole::parse(at(&form.sp_role, j));
        if choice.is_empty()
            && typed_name.trim().is_empty()
            && post_raw.trim().is_empty()
            && summary_raw.trim().is_empty()
        {
            if keep_blank {
                let role = role.unwrap_or(SpeechRole::Exchange);
                items[i].speeches.push(Speech { speaker: None, post: String::new(), role, summary: String::new() });
            }
            continue;
        }
        let mut problem = None;
        let speaker = match choice {
            "" => {
                problem = Some("minutes.speaker_required");
                None
            }
            "named" => match optional_text(typed_name, NAME_MAX) {
                Ok(Some(name)) => Some(Speaker::Named { name }),
                Ok(None) => {
                    problem = Some("minutes.speaker_name_required");
                    None
                }
                Err(key) => {
                    problem = Some(key);
                    None
                }
            },
            c => match speakers.find(c) {
                Some((value, name, _)) => {
                    let id = value[2..].parse::<i64>().unwrap_or_default();
                    Some(if value.starts_with("g:") {
                        Speaker::Guest { id, name: name.clone() }
                    } else {
                        Speaker::Member { id, name: name.clone() }
                    })
                }
                None => {
                    problem = Some("minutes.speaker_unknown");
                    None
                }
            },
        };
        let post = optional_text(post_raw, POST_MAX).unwrap_or_else(|key| {
            problem = problem.or(Some(key));
            None
        });
        // A speaker chosen from the list brings their post unless one was typed.
        let post = post.or_else(|| speakers.find(choice).map(|(_, _, post)| post.clone()).filter(|p| !p.is_empty()));
        let summary = optional_multiline(summary_raw, SUMMARY_MAX).unwrap_or_else(|key| {
            problem = problem.or(Some(key));
            None
        });
        if role.is_none() {
            problem = problem.or(Some("field.choose_one"));
        }
        if let Some(key) = problem {
            errors.add(&field, key);
        }
        items[i].speeches.push(Speech {
            speaker,
            post: post.unwrap_or_else(|| post_raw.trim().chars().take(POST_MAX).collect()),
            role: role.unwrap_or(SpeechRole::Exchange),
            summary: summary.unwrap_or_else(|| summary_raw.chars().take(SUMMARY_MAX).collect()),
        });
    }

    for k in 0..form.res_item.len().min(MAX_ROWS) {
        let field = format!("resolution.{k}");
        let Some(i) = item_of(at(&form.res_item, k)) else {
            errors.add(&field, "minutes.item_unknown");
            continue;
        };
        let text_raw = at(&form.res_text, k);
        let raw_votes = [at(&form.res_for, k), at(&form.res_against, k), at(&form.res_abstain, k)];
        let voted = raw_votes.iter().any(|v| !v.trim().is_empty());
        if text_raw.trim().is_empty() && !voted {
            if keep_blank {
                items[i].resolutions.push(Resolution { text: String::new(), votes: None });
            }
            continue;
        }
        let mut problem = None;
        let text = match optional_multiline(text_raw, RESOLUTION_MAX) {
            Ok(Some(t)) => t,
            Ok(None) => {
                problem = Some("minutes.resolution_text_required");
                String::new()
            }
            Err(key) => {
                problem = Some(key);
                text_raw.chars().take(RESOLUTION_MAX).collect()
            }
        };
        let votes = if voted {
            match (count(raw_votes[0]), count(raw_votes[1]), count(raw_votes[2])) {
                (Ok(in_favour), Ok(against), Ok(abstaining)) => {
                    let v = Votes { in_favour, against, abstaining };
                    if v.cast() as usize > voters {
                        problem = problem.or(Some("minutes.votes_exceed"));
                    }
                    Some(v)
                }
                _ => {
                    problem = problem.or(Some("minutes.votes_invalid"));
                    Some(Votes { in_favour: 0, against: 0, abstaining: 0 })
                }
            }
        } else {
            None
        };
        if let Some(key) = problem {
            errors.add(&field, key);
        }
        items[i].resolutions.push(Resolution { text, votes });
    }

    for l in 0..form.act_item.len().min(MAX_ROWS) {
        let field = format!("action.{l}");
        let Some(i) = item_of(at(&form.act_item, l)) else {
            errors.add(&field, "minutes.item_unknown");
            continue;
        };
        let (what_raw, who_raw, due_raw) = (at(&form.act_what, l), at(&form.act_who, l), at(&form.act_due, l));
        if what_raw.trim().is_empty() && who_raw.trim().is_empty() && due_raw.trim().is_empty() {
            if keep_blank {
                items[i].actions.push(Action { what: String::new(), who: String::new(), due: None });
            }
            continue;
        }
        let mut problem = None;
        let what = match optional_text(what_raw, ACTION_MAX) {
            Ok(Some(w)) => w,
            Ok(None) => {
                problem = Some("minutes.action_what_required");
                String::new()
            }
            Err(key) => {
                problem = Some(key);
                what_raw.chars().take(ACTION_MAX).collect()
            }
        };
        let who = optional_text(who_raw, NAME_MAX).unwrap_or_else(|key| {
            problem = problem.or(Some(key));
            None
        });
        let due = crate::forms::parse_date(due_raw).unwrap_or_else(|key| {
            problem = problem.or(Some(key));
            None
        });
        if let Some(key) = problem {
            errors.add(&field, key);
        }
        items[i].actions.push(Action { what, who: who.unwrap_or_default(), due });
    }

    for (i, item) in items.iter().enumerate() {
        let empty = item.speeches.is_empty() && item.resolutions.is_empty() && item.actions.is_empty();
        if item.title.is_empty() && !empty && errors.get(&format!("item.{i}")).is_none() {
            errors.add(&format!("item.{i}"), "minutes.item_title_required");
        }
    }
    if !keep_blank {
        items.retain(|i| {
            !(i.title.is_empty() && i.speeches.is_empty() && i.resolutions.is_empty() && i.actions.is_empty())
        });
    }
    let body = Body { items };
    if body.chars() > RECORD_MAX {
        errors.add("form", "minutes.record_too_long");
    }
    (body, errors)
}

/// A new record's items when the event has no agenda: the usual order of each type of meeting,
/// as catalogue keys of item titles with the speeches they usually hold.
pub fn template(kind: EventKind) -> Vec<(&'static str, Vec<SpeechRole>)> {
    use SpeechRole::*;
    match kind {
        EventKind::ThemePartyDay => vec![
            ("minutes_template.oath", vec![]),
            ("minutes_template.lead_study", vec![LeadStudy]),
            ("minutes_template.exchange", vec![Exchange, Exchange]),
            ("minutes_template.summary", vec![Summary]),
        ],
        EventKind::BranchCommitteeMeeting | EventKind::BranchGeneralMeeting | EventKind::PartyGroupMeeting => vec![
            ("minutes_template.last_minutes", vec![]),
            ("minutes_template.topics", vec![Report, Discussion]),
            ("minutes_template.summary", vec![Summary]),
        ],
        EventKind::PartyLecture => vec![("minutes_template.lecture", vec![Report])],
        EventKind::OrganisationalLifeMeeting => vec![
            ("minutes_template.committee_report", vec![Report]),
            ("minutes_template.criticism", vec![Discussion]),
            ("minutes_template.appraisal", vec![]),
            ("minutes_template.summary", vec![Summary]),
        ],
        _ => vec![("minutes_template.proceedings", vec![Discussion]), ("minutes_template.summary", vec![Summary])],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> BodyForm {
        BodyForm::from_pairs(&pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect::<Vec<_>>())
    }

    fn speakers() -> Speakers {
        Speakers(vec![("m:7".into(), "张三".into(), "主任".into()), ("g:2".into(), "王局长".into(), "局长".into())])
    }

    fn speech(item: &str, speaker: &str, name: &str, summary: &str) -> Vec<(&'static str, String)> {
        vec![
            ("sp_item", item.to_owned()),
            ("sp_speaker", speaker.to_owned()),
            ("sp_name", name.to_owned()),
            ("sp_post", String::new()),
            ("sp_role", "exchange".to_owned()),
            ("sp_summary", summary.to_owned()),
        ]
    }

    fn with(base: &[(&str, &str)], rows: Vec<Vec<(&'static str, String)>>) -> BodyForm {
        let mut pairs: Vec<(String, String)> = base.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        for r in rows {
            pairs.extend(r.into_iter().map(|(k, v)| (k.to_owned(), v)));
        }
        BodyForm::from_pairs(&pairs)
    }

    #[test]
    fn speakers_are_members_guests_or_named_and_blank_rows_go() {
        let f = with(
            &[("item_title", "交流发言"), ("item_title", "")],
            vec![
                speech("0", "m:7", "", "谈体会"),
                speech("0", "g:2", "", "讲话"),
                speech("0", "named", "李老师", ""),
                speech("0", "", "", ""),
            ],
        );
        let (body, errors) = parse_body(&f, &speakers(), 10);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(body.items.len(), 1, "the empty item is dropped");
        let names: Vec<&str> = body.speeches().map(|s| s.speaker.as_ref().map_or("", Speaker::name)).collect();
        assert_eq!(names, ["张三", "王局长", "李老师"]);
        assert_eq!(body.items[0].speeches[1].speaker, Some(Speaker::Guest { id: 2, name: "王局长".into() }));
        assert_eq!(body.items[0].speeches[0].post, "主任", "the post comes with the speaker unless typed");
    }

    #[test]
    fn unknown_speakers_over_long_text_and_bad_rows_are_field_errors_that_keep_the_text() {
        let long = "长".repeat(SUMMARY_MAX + 1);
        let f = with(
            &[("item_title", "议题")],
            vec![
                speech("0", "m:999", "", "说了什么"),
                speech("0", "named", "", "无名"),
                speech("0", "m:7", "", &long),
                speech("5", "m:7", "", "no such item"),
            ],
        );
        let (body, errors) = parse_body(&f, &speakers(), 10);
        assert_eq!(errors.get("speech.0").map(|m| m.key.as_str()), Some("minutes.speaker_unknown"));
        assert_eq!(errors.get("speech.1").map(|m| m.key.as_str()), Some("minutes.speaker_name_required"));
        assert_eq!(errors.get("speech.2").map(|m| m.key.as_str()), Some("field.too_long"));
        assert_eq!(errors.get("speech.3").map(|m| m.key.as_str()), Some("minutes.item_unknown"));
        assert_eq!(body.items[0].speeches[0].summary, "说了什么", "typed text is kept");
    }

    #[test]
    fn votes_are_counts_within_the_full_members_present() {
        let f = form(&[
            ("item_title", "议题"),
            ("res_item", "0"),
            ("res_text", "同意"),
            ("res_for", "5"),
            ("res_against", "1"),
            ("res_abstain", ""),
            ("res_item", "0"),
            ("res_text", "超了"),
            ("res_for", "9"),
            ("res_against", "2"),
            ("res_abstain", "0"),
            ("res_item", "0"),
            ("res_text", "负数"),
            ("res_for", "-1"),
            ("res_against", ""),
            ("res_abstain", ""),
            ("res_item", "0"),
            ("res_text", "无表决"),
            ("res_for", ""),
            ("res_against", ""),
            ("res_abstain", ""),
        ]);
        let (body, errors) = parse_body(&f, &speakers(), 10);
        assert!(errors.get("resolution.0").is_none());
        assert_eq!(errors.get("resolution.1").map(|m| m.key.as_str()), Some("minutes.votes_exceed"));
        assert_eq!(errors.get("resolution.2").map(|m| m.key.as_str()), Some("minutes.votes_invalid"));
        let r = &body.items[0].resolutions;
        assert_eq!(r[0].votes, Some(Votes { in_favour: 5, against: 1, abstaining: 0 }));
        assert_eq!(r[3].votes, None);
        let votes = r[0].votes.expect("a vote");
        assert!(votes.carries(9), "5 of 9 full members expected");
        assert!(!votes.carries(10), "5 of 10 is not more than half");
    }

    #[test]
    fn an_item_with_content_needs_a_title_and_actions_need_what() {
        let f = form(&[
            ("item_title", ""),
            ("act_item", "0"),
            ("act_what", ""),
            ("act_who", "张三"),
            ("act_due", "2026-13-01"),
        ]);
        let (_, errors) = parse_body(&f, &speakers(), 10);
        assert_eq!(errors.get("item.0").map(|m| m.key.as_str()), Some("minutes.item_title_required"));
        let first_action = format!("{}.0", "action");
        assert_eq!(errors.get(&first_action).map(|m| m.key.as_str()), Some("minutes.action_what_required"));
    }

    #[test]
    fn a_record_over_its_length_is_refused() {
        let long = "长".repeat(SUMMARY_MAX);
        let rows: Vec<_> = (0..11).map(|_| speech("0", "m:7", "", &long)).collect();
        let (body, errors) = parse_body(&with(&[("item_title", "交流发言")], rows), &speakers(), 10);
        assert!(body.chars() > RECORD_MAX);
        assert_eq!(errors.get("form").map(|m| m.key.as_str()), Some("minutes.record_too_long"));
        let rows: Vec<_> = (0..9).map(|_| speech("0", "m:7", "", &long)).collect();
        let (_, errors) = parse_body(&with(&[("item_title", "交流发言")], rows), &speakers(), 10);
        assert!(errors.get("form").is_none(), "{errors:?}");
    }

    #[test]
    fn form_operations_are_bounded() {
        assert_eq!(Op::parse("add_speech:2"), Some(Op::AddSpeech(2)));
        assert_eq!(Op::parse("add_speech:x"), None);
        assert_eq!(Op::parse("add_speech:999"), None);
        let mut body = Body { items: vec![Item::default()] };
        body.grow(Op::AddSpeech(0));
        body.grow(Op::AddSpeech(5));
        body.grow(Op::AddItem);
        assert_eq!((body.items.len(), body.items[0].speeches.len()), (2, 1));
    }
}
