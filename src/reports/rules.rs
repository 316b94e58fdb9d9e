//! The words of an activity report (活动报道): the draft Partyday writes from the event, its
//! attendance and its minutes, in the house style of an association's "Activities" post (a
//! title naming the organiser and the occasion; a lead paragraph with the date and part of the
//! day, the organisers, the place, who took part and who presided; a paragraph per speech with
//! the speaker's post; the resolutions). Every sentence comes from the catalogue, so a draft is
//! written in the holding branch's language. Absentees and leave reasons are never facts here.
use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    events::rules::EventKind,
    forms::{Choice, FieldErrors},
    i18n::{Locale, fill, t},
    minutes::rules::{Speech, SpeechRole},
};

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

/// The part of the day an event began in, as the house style names it (上午, 下午, 晚上).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartOfDay {
    Morning,
    Afternoon,
    Evening,
}

impl PartOfDay {
    pub fn of(hour: u32) -> PartOfDay {
        match hour {
            0..=11 => PartOfDay::Morning,
            12..=17 => PartOfDay::Afternoon,
            _ => PartOfDay::Evening,
        }
    }

    fn key(self) -> &'static str {
        match self {
            PartOfDay::Morning => "report_draft.part.morning",
            PartOfDay::Afternoon => "report_draft.part.afternoon",
            PartOfDay::Evening => "report_draft.part.evening",
        }
    }
}

/// A guest who came, as the report names them: organisation, title and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFact {
    pub name: String,
    pub unit: Option<String>,
    pub title: Option<String>,
}

/// Who presided: name and, where there is one, post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub post: Option<String>,
}

/// What a draft is written from. Only people who came are here.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The occasion ("学习贯彻……精神"): the event's topic, or its title.
    pub title: &'a str,
    pub kind: EventKind,
    /// When it began, in the holding branch's zone.
    pub starts: NaiveDateTime,
    pub organiser: &'a str,
    pub co_organisers: &'a [String],
    pub place: Option<&'a str>,
    /// Members expected (exempt members excluded) and members present (late included).
    pub expected: usize,
    pub present: usize,
    /// Non-voting attendees who came, counted (not named).
    pub non_voting: usize,
    pub guests: &'a [GuestFact],
    pub host: Option<Host>,
    /// The minutes' speeches, in order.
    pub speeches: &'a [Speech],
    /// Resolutions that carried or were adopted without a vote, in order.
    pub resolutions: &'a [String],
}

/// The generated parts of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub title: String,
    /// The lead paragraph (also the excerpt on the Activities page).
    pub lead: String,
    /// The post as Markdown: the lead, a paragraph per speech, the resolutions.
    pub body: String,
}

fn date(locale: Locale, at: NaiveDateTime) -> String {
    let key = format!("report_draft.month.{}", at.month());
    let month = t(locale, &key);
    fill(
        t(locale, "report_draft.date"),
        &[("year", &at.year().to_string()), ("month", month), ("day", &at.day().to_string())],
    )
}

/// Chinese runs sentences (and a guest's organisation and title) together; English separates
/// them with `en`.
fn run_on(locale: Locale, en: &'static str) -> &'static str {
    match locale {
        Locale::ZhCn => "",
        Locale::En => en,
    }
}

/// "A, B and C" in the reader's language.
fn list(locale: Locale, items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => {
            format!("{}{}{last}", init.join(t(locale, "report_draft.list_sep")), t(locale, "report_draft.list_and"))
        }
    }
}

fn verb_key(role: SpeechRole) -> String {
    format!("report_draft.verb.{}", role.key())
}

/// A person as the report names them: post and name (房产科科长张三; Zhang San, head of …).
fn named(locale: Locale, name: &str, post: Option<&str>) -> String {
    match post.map(str::trim).filter(|p| !p.is_empty()) {
        Some(post) => fill(t(locale, "report_draft.with_post"), &[("name", name), ("post", post)]),
        None => name.to_owned(),
    }
}

fn guest(locale: Locale, g: &GuestFact) -> String {
    let about: Vec<&str> = [g.unit.as_deref(), g.title.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if about.is_empty() {
        return g.name.clone();
    }
    fill(t(locale, "report_draft.guest"), &[("name", &g.name), ("about", &about.join(run_on(locale, ", ")))])
}

/// The event's occasion as the title and the lead say it ("开展……主题党日活动"): the title's own
/// words when it already names its kind, so "主题党日" is never said twice.
fn occasion(locale: Locale, kind: EventKind, title: &str) -> String {
    let kind_name = t(locale, kind.label_key());
    let key = if title.to_lowercase().contains(&kind_name.to_lowercase()) {
        "report_draft.occasion_plain".to_owned()
    } else {
        format!("report_draft.occasion.{}", kind.key())
    };
    fill(t(locale, &key), &[("title", title.trim())])
}

/// Writes the draft.
pub fn draft(locale: Locale, f: &Facts<'_>) -> Draft {
    // "医院管理党支部主题党日" by 医院管理党支部: the organiser is said once.
    let own = f.title.trim().strip_prefix(f.organiser.trim()).map(str::trim_start).filter(|t| !t.is_empty());
    let occasion = occasion(locale, f.kind, own.unwrap_or(f.title));
    let title = fill(t(locale, "report_draft.title"), &[("organiser", f.organiser), ("occasion", &occasion)]);
    let organisers = if f.co_organisers.is_empty() {
        f.organiser.to_owned()
    } else {
        fill(t(locale, "report_draft.with_co"), &[("organiser", f.organiser), ("co", &list(locale, f.co_organisers))])
    };
    let at = match f.place.map(str::trim).filter(|p| !p.is_empty()) {
        Some(place) => fill(t(locale, "report_draft.at"), &[("place", place)]),
        None => String::new(),
    };
    let mut sentences = vec![fill(
        t(locale, "report_draft.lead"),
        &[
            ("date", &date(locale, f.starts)),
            ("part", t(locale, PartOfDay::of(f.starts.hour()).key())),
            ("organisers", &organisers),
            ("at", &at),
            ("occasion", &occasion),
        ],
    )];
    if f.present > 0 {
        sentences.push(if f.present >= f.expected {
            t(locale, "report_draft.all_members").to_owned()
        } else {
            fill(t(locale, "report_draft.members"), &[("n", &f.present.to_string())])
        });
    }
    if !f.guests.is_empty() {
        let guests: Vec<String> = f.guests.iter().map(|g| guest(locale, g)).collect();
        sentences.push(fill(t(locale, "report_draft.guests"), &[("guests", &list(locale, &guests))]));
    }
    if f.non_voting > 0 {
        sentences.push(fill(t(locale, "report_draft.non_voting"), &[("n", &f.non_voting.to_string())]));
    }
    if let Some(h) = &f.host {
        sentences
            .push(fill(t(locale, "report_draft.presided"), &[("who", &named(locale, &h.name, h.post.as_deref()))]));
    }
    let lead = sentences.join(run_on(locale, " "));

    let mut paragraphs = vec![lead.clone()];
    for s in f.speeches {
        let Some(speaker) = &s.speaker else { continue };
        let post = Some(s.post.as_str());
        let who = named(locale, speaker.name(), post);
        let key = verb_key(s.role);
        let verb = t(locale, &key);
        let summary = s.summary.trim();
        // The summary's first paragraph continues the speaker's sentence; the rest follow it.
        let (first, more) = summary.split_once("\n\n").map_or((summary, ""), |(a, b)| (a.trim(), b.trim()));
        let line = if first.is_empty() {
            fill(t(locale, "report_draft.speech_bare"), &[("who", &who), ("verb", verb)])
        } else {
            fill(t(locale, "report_draft.speech"), &[("who", &who), ("verb", verb), ("summary", first)])
        };
        paragraphs.push(line);
        if !more.is_empty() {
            paragraphs.push(more.to_owned());
        }
    }
    let end_stops: &[char] = &['。', '.', '；', ';', '，', ','];
    for r in f.resolutions.iter().map(|r| r.trim().trim_end_matches(end_stops)).filter(|r| !r.is_empty()) {
        paragraphs.push(fill(t(locale, "report_draft.resolution"), &[("text", r)]));
    }
    Draft { title, lead, body: paragraphs.join("\n\n") }
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
    use crate::minutes::rules::Speaker;

    fn speech(name: &str, post: &str, role: SpeechRole, summary: &str) -> Speech {
        Speech {
            speaker: Some(Speaker::Member { id: 1, name: name.to_owned() }),
            post: post.to_owned(),
            role,
            summary: summary.to_owned(),
        }
    }

    /// The seed post of our first user: a theme party day on the morning of 24 August 2023,
    /// everyone expected came, two exchange speeches with posts, the secretary's lecture.
    fn seed_speeches() -> Vec<Speech> {
        vec![
            speech(
                "龙桂英",
                "科技与学科建设服务部部长",
                SpeechRole::Exchange,
                "在今后的工作中，要充分发挥高校和专家优势。",
            ),
            speech("辛娟", "学术活动服务部部长", SpeechRole::Exchange, "将学术交流与实践紧密结合。"),
            speech(
                "曾斌",
                "学会党支部书记",
                SpeechRole::Summary,
                "要把学习宣传贯彻重要指示精神作为重要政治任务。\n\n坚定拥护“两个确立”。",
            ),
        ]
    }

    fn seed_facts<'a>(speeches: &'a [Speech], guests: &'a [GuestFact], co: &'a [String]) -> Facts<'a> {
        Facts {
            title: "学习贯彻习近平总书记来川视察重要指示精神",
            kind: EventKind::ThemePartyDay,
            starts: NaiveDate::from_ymd_opt(2023, 8, 24).unwrap().and_hms_opt(9, 0, 0).unwrap(),
            organiser: "成都高新医学会党支部",
            co_organisers: co,
            place: Some("学会三楼会议室"),
            expected: 12,
            present: 12,
            non_voting: 0,
            guests,
            host: Some(Host { name: "曾斌".into(), post: Some("党支部书记".into()) }),
            speeches,
            resolutions: &[],
        }
    }

    #[test]
    fn the_seed_post_is_drafted_with_every_fact() {
        let speeches = seed_speeches();
        let d = draft(Locale::ZhCn, &seed_facts(&speeches, &[], &[]));
        assert_eq!(d.title, "成都高新医学会党支部开展学习贯彻习近平总书记来川视察重要指示精神主题党日活动");
        assert_eq!(
            d.lead,
            "2023年8月24日上午，成都高新医学会党支部在学会三楼会议室开展学习贯彻习近平总书记来川视察重要指示精神主题党日活动。\
             支部全体党员参加活动。活动由党支部书记曾斌主持。"
        );
        let paragraphs: Vec<&str> = d.body.split("\n\n").collect();
        assert_eq!(paragraphs[0], d.lead);
        assert_eq!(
            paragraphs[1],
            "科技与学科建设服务部部长龙桂英交流发言表示：在今后的工作中，要充分发挥高校和专家优势。"
        );
        assert_eq!(paragraphs[2], "学术活动服务部部长辛娟交流发言表示：将学术交流与实践紧密结合。");
        assert_eq!(paragraphs[3], "学会党支部书记曾斌作总结讲话并强调：要把学习宣传贯彻重要指示精神作为重要政治任务。");
        assert_eq!(paragraphs[4], "坚定拥护“两个确立”。");
        assert_eq!(paragraphs.len(), 5);
    }

    #[test]
    fn the_english_draft_reads_like_the_seed() {
        let speeches = vec![speech(
            "Long Guiying",
            "Director of Medical Quality Control",
            SpeechRole::Exchange,
            "We should give full play to experts.",
        )];
        let mut f = seed_facts(&speeches, &[], &[]);
        f.host = Some(Host { name: "Zeng Bin".into(), post: Some("Secretary of the Party Branch".into()) });
        f.title = "Studying the spirit of the instructions";
        f.organiser = "the Party Branch of Chengdu High-tech Medical Association";
        f.place = None;
        let d = draft(Locale::En, &f);
        assert_eq!(
            d.lead,
            "On the morning of August 24, 2023, the Party Branch of Chengdu High-tech Medical Association held a \
             theme Party day activity: Studying the spirit of the instructions. All Party members of the branch took \
             part. Zeng Bin, Secretary of the Party Branch, presided."
        );
        assert!(
            d.body.ends_with(
                "Long Guiying, Director of Medical Quality Control, said: We should give full play to experts."
            ),
            "{}",
            d.body
        );
    }

    #[test]
    fn head_counts_guests_non_voting_and_co_organisers() {
        let guests = [
            GuestFact { name: "李明".into(), unit: Some("区卫健委".into()), title: Some("副主任".into()) },
            GuestFact { name: "王芳".into(), unit: Some("市第三人民医院".into()), title: None },
        ];
        let co = ["医院党委第一支部".to_owned(), "医院党委第二支部".to_owned()];
        let speeches = [];
        let mut f = seed_facts(&speeches, &guests, &co);
        f.present = 9;
        f.non_voting = 2;
        f.host = None;
        f.starts = f.starts.with_hour(19).unwrap();
        let d = draft(Locale::ZhCn, &f);
        assert_eq!(
            d.lead,
            "2023年8月24日晚上，成都高新医学会党支部与医院党委第一支部和医院党委第二支部联合在学会三楼会议室开展\
             学习贯彻习近平总书记来川视察重要指示精神主题党日活动。支部党员9人参加活动。区卫健委副主任李明和\
             市第三人民医院王芳应邀出席。另有2名同志列席。"
        );
        assert_eq!(d.body, d.lead, "no speeches, no resolutions: the lead alone");
        let en = draft(Locale::En, &f);
        assert!(en.lead.contains("9 Party members took part"), "{}", en.lead);
        assert!(
            en.lead.contains("李明 (区卫健委, 副主任) and 王芳 (市第三人民医院) attended as guests"),
            "{}",
            en.lead
        );
    }

    #[test]
    fn a_title_that_names_its_kind_is_not_doubled_and_text_is_filled_once() {
        let speeches = [speech("张三", "", SpeechRole::LeadStudy, "学习{date}的讲话")];
        let resolutions = ["同意接收李四为预备党员".to_owned(), "  ".to_owned()];
        let mut f = seed_facts(&speeches, &[], &[]);
        f.title = "11月主题党日";
        f.resolutions = &resolutions;
        f.starts = f.starts.with_hour(14).unwrap();
        let d = draft(Locale::ZhCn, &f);
        assert_eq!(d.title, "成都高新医学会党支部开展11月主题党日");
        f.title = "成都高新医学会党支部主题党日";
        assert_eq!(draft(Locale::ZhCn, &f).title, "成都高新医学会党支部开展主题党日", "the organiser is said once");
        assert!(d.lead.starts_with("2023年8月24日下午，"), "{}", d.lead);
        let paragraphs: Vec<&str> = d.body.split("\n\n").collect();
        assert_eq!(paragraphs[1], "张三领学：学习{date}的讲话", "a summary's braces stay as typed");
        assert_eq!(paragraphs[2], "会议作出决议：同意接收李四为预备党员。");
        assert_eq!(paragraphs.len(), 3, "a blank resolution is left out");
    }

    #[test]
    fn every_kind_and_role_has_its_words_in_both_languages() {
        for locale in [Locale::ZhCn, Locale::En] {
            let keys: Vec<&str> = crate::i18n::keys(locale).collect();
            for kind in EventKind::ALL {
                let key = format!("report_draft.occasion.{}", kind.key());
                assert!(keys.contains(&key.as_str()), "{} {key}", locale.tag());
            }
            for role in SpeechRole::ALL {
                assert!(keys.contains(&verb_key(*role).as_str()), "{} {role:?}", locale.tag());
            }
            for m in 1..=12 {
                assert!(keys.contains(&format!("report_draft.month.{m}").as_str()));
            }
        }
    }

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
