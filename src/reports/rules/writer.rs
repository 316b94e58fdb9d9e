//! The words of an activity report (活动报道): the draft Partyday writes from the event, its
//! attendance and its minutes, in the house style of an association's "Activities" post (a
//! title naming the organiser and the occasion; a lead paragraph with the date and part of the
//! day, the organisers, the place, who took part and who presided; a paragraph per speech with
//! the speaker's post; the resolutions). Every sentence comes from the catalogue, so a draft is
//! written in the holding branch's language. Absentees and leave reasons are never facts here.
use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};

use crate::{
    events::rules::{EventKind, GuestRole},
    forms::Choice,
    i18n::{Locale, fill, t},
    minutes::rules::{Speech, SpeechRole},
};

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

/// A guest who came, as the report names them: organisation, title and name, and in which role
/// (a superior leader is named before the delegates and is never 列席).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestFact {
    pub name: String,
    pub unit: Option<String>,
    pub title: Option<String>,
    pub role: GuestRole,
}

/// Who presided: name and, where there is one, post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub name: String,
    pub post: Option<String>,
}

/// The non-voting attendees (列席) counted rather than named: how many, whether approximately
/// ("50余人"), and who they were ("各会员单位党务工作者").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NonVoting<'a> {
    pub count: Option<(u32, bool)>,
    pub note: Option<&'a str>,
}

/// An agenda item as the signed minutes hold it: its title, speeches in order, and the
/// resolutions it adopted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemFact {
    pub title: String,
    pub speeches: Vec<Speech>,
    pub resolutions: Vec<String>,
}

/// What a draft is written from. Only people who came are here.
#[derive(Debug, Clone)]
pub struct Facts<'a> {
    /// The event's own name ("“党建+医疗质量”联建共建座谈会", "11月主题党日").
    pub title: &'a str,
    /// The occasion ("学习贯彻……精神"), where the event has one.
    pub topic: Option<&'a str>,
    pub kind: EventKind,
    /// When it began, in the holding branch's zone.
    pub starts: NaiveDateTime,
    pub organiser: &'a str,
    pub co_organisers: &'a [String],
    pub place: Option<&'a str>,
    /// Members of every holding branch expected (exempt members excluded) and present (late
    /// included).
    pub expected: usize,
    pub present: usize,
    pub non_voting: NonVoting<'a>,
    pub guests: &'a [GuestFact],
    pub host: Option<Host>,
    /// The minutes' items in agenda order (none without minutes).
    pub items: &'a [ItemFact],
}

/// The generated parts of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub title: String,
    /// The lead paragraph: the post's first paragraph, its excerpt on the Activities page, in
    /// the feed and in the page's description.
    pub lead: String,
    /// The post after the lead, as Markdown: the items in agenda order.
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

/// How a title that names its meeting is held ("召开……座谈会", "举办……论坛"), or None when the
/// title names an occasion (then the house style says what kind of activity it was).
fn held_as(title: &str) -> Option<&'static str> {
    let t = title.trim().trim_end_matches(['”', '"', '」', '’', '》', ')', '）']);
    let lower = t.to_lowercase();
    if ["论坛", "讲座", "培训班", "沙龙", "报告会", "分享会", "读书会"].iter().any(|s| t.ends_with(s))
    {
        Some("report_draft.held.hold")
    } else if t.ends_with('会')
        || t.ends_with("会议")
        || ["conference", "forum", "meeting", "seminar", "symposium", "lecture", "workshop"]
            .iter()
            .any(|w| lower.split(|c: char| !c.is_alphanumeric()).any(|word| word == *w || word == format!("{w}s")))
    {
        Some("report_draft.held.convene")
    } else {
        None
    }
}

/// Whether the kind is a meeting (会议) rather than an activity (活动).
fn is_meeting(kind: EventKind) -> bool {
    matches!(
        kind,
        EventKind::BranchGeneralMeeting
            | EventKind::BranchCommitteeMeeting
            | EventKind::PartyGroupMeeting
            | EventKind::OrganisationalLifeMeeting
            | EventKind::JointConference
    )
}

/// Words a summary may begin with that already say how the speaker spoke ("强调……", "对……提出
/// 了要求"): the report's own verb is then left out, never "表示：……表示".
const OWN_VERBS_ZH: &[&str] = &[
    "表示", "指出", "强调", "认为", "提出", "要求", "希望", "介绍", "汇报", "领学", "传达", "围绕", "总结", "回顾",
    "分享", "谈了", "结合", "就", "对",
];
const OWN_VERBS_EN: &[&str] = &[
    "said",
    "stressed",
    "pointed",
    "noted",
    "reported",
    "led",
    "summed",
    "introduced",
    "called",
    "emphasised",
    "emphasized",
    "shared",
    "reviewed",
];

/// A speech's summary without the speaker's name it may begin with, and whether it then begins
/// with a verb of its own.
fn own_words<'s>(locale: Locale, names: &[&str], summary: &'s str) -> (&'s str, bool) {
    let mut s = summary.trim();
    for name in names {
        if let Some(rest) = s.strip_prefix(name.trim()).filter(|_| !name.trim().is_empty()) {
            s = rest.trim_start_matches("同志").trim_start_matches([',', '，', ' ']);
            break;
        }
    }
    let own = match locale {
        // "对于……" opens a clause, not a verb phrase.
        Locale::ZhCn => OWN_VERBS_ZH.iter().any(|v| s.starts_with(v) && !(*v == "对" && s.starts_with("对于"))),
        Locale::En => {
            let first = s.split(|c: char| !c.is_alphabetic()).next().unwrap_or_default().to_lowercase();
            OWN_VERBS_EN.contains(&first.as_str())
        }
    };
    (s, own)
}

/// One sentence of the body: a speech (or speeches of several people who said the same), an
/// item without speeches, a resolution.
enum Line<'a> {
    Speech { speakers: Vec<&'a Speech>, summary: &'a str },
    Item(&'a str),
    Resolution(&'a str),
}

/// The sentences of an item in order: its speeches (consecutive ones of the same role with the
/// same summary said together), then its resolutions; a title alone when it has neither.
fn lines(item: &ItemFact) -> Vec<Line<'_>> {
    let mut out: Vec<Line<'_>> = Vec::new();
    for s in item.speeches.iter().filter(|s| s.speaker.is_some()) {
        let summary = s.summary.trim();
        if let Some(Line::Speech { speakers, summary: same }) = out.last_mut()
            && !summary.is_empty()
            && *same == summary
            && speakers[0].role == s.role
        {
            speakers.push(s);
            continue;
        }
        out.push(Line::Speech { speakers: vec![s], summary });
    }
    let end_stops: &[char] = &['。', '.', '；', ';', '，', ','];
    out.extend(
        item.resolutions
            .iter()
            .map(|r| r.trim().trim_end_matches(end_stops))
            .filter(|r| !r.is_empty())
            .map(Line::Resolution),
    );
    let title = item.title.trim().trim_end_matches(end_stops);
    if out.is_empty() && !title.is_empty() {
        out.push(Line::Item(title));
    }
    out
}

/// An item held after the meeting ("会后参观……"): its title without the words that say so.
fn after_meeting(title: &str) -> Option<&str> {
    let rest = title
        .strip_prefix("会后")
        .or_else(|| title.get(..17).filter(|p| p.eq_ignore_ascii_case("after the meeting")).map(|_| &title[17..]))?;
    Some(rest.trim_start_matches([',', '，', ':', '：', '、', ' ']))
}

/// Writes a line, with the connector a writer would open it with (None: it runs on).
fn write_line(locale: Locale, line: &Line<'_>, connector: Option<&str>) -> Vec<String> {
    let open = |text: String| match connector {
        Some(key) => format!("{}{text}", t(locale, key)),
        None => text,
    };
    match line {
        Line::Item(title) => match after_meeting(title) {
            Some(rest) => vec![format!(
                "{}{}",
                t(locale, "report_draft.connector.after"),
                fill(t(locale, "report_draft.item_after"), &[("title", rest)])
            )],
            None => vec![open(fill(t(locale, "report_draft.item"), &[("title", title)]))],
        },
        Line::Resolution(text) => vec![open(fill(t(locale, "report_draft.resolution"), &[("text", text)]))],
        Line::Speech { speakers, summary } => {
            let s = speakers[0];
            let names: Vec<&str> = speakers.iter().filter_map(|s| s.speaker.as_ref()).map(|p| p.name()).collect();
            let who: Vec<String> = speakers
                .iter()
                .filter_map(|s| s.speaker.as_ref().map(|p| named(locale, p.name(), Some(s.post.as_str()))))
                .collect();
            let (who, group) = match who.as_slice() {
                [one] => (one.clone(), ""),
                many => (
                    match locale {
                        Locale::ZhCn => many.join("、"),
                        Locale::En => list(locale, many),
                    },
                    "_group",
                ),
            };
            let key = verb_key(s.role);
            let verb = t(locale, &key);
            // The summary's first paragraph continues the speaker's sentence; the rest follow it.
            let (first, more) = summary.split_once("\n\n").map_or((*summary, ""), |(a, b)| (a.trim(), b.trim()));
            let (first, own) = own_words(locale, &names, first);
            let line = if first.is_empty() {
                fill(t(locale, &format!("report_draft.speech_bare{group}")), &[("who", &who), ("verb", verb)])
            } else if own {
                fill(t(locale, &format!("report_draft.speech_own{group}")), &[("who", &who), ("summary", first)])
            } else {
                fill(
                    t(locale, &format!("report_draft.speech{group}")),
                    &[("who", &who), ("verb", verb), ("summary", first)],
                )
            };
            let mut out = vec![open(line)];
            if !more.is_empty() {
                out.push(more.to_owned());
            }
            out
        }
    }
}

/// Writes the draft.
pub fn draft(locale: Locale, f: &Facts<'_>) -> Draft {
    let organiser = f.organiser.trim();
    // "医院管理党支部主题党日" by 医院管理党支部: the organiser is said once.
    let strip = |text: &str| -> String {
        let text = text.trim();
        text.strip_prefix(organiser).map(str::trim_start).filter(|t| !t.is_empty()).unwrap_or(text).to_owned()
    };
    let name = strip(f.title);
    let topic = f.topic.map(str::trim).filter(|t| !t.is_empty()).map(strip);
    let held = held_as(&name);
    let meeting = held.is_some() || is_meeting(f.kind);
    let gathering =
        t(locale, if meeting { "report_draft.gathering.meeting" } else { "report_draft.gathering.activity" });
    let occasion = match held {
        Some(verb) => fill(t(locale, verb), &[("title", &name)]),
        None => occasion(locale, f.kind, topic.as_deref().unwrap_or(&name)),
    };
    let title = fill(t(locale, "report_draft.title"), &[("organiser", organiser), ("occasion", &occasion)]);
    let organisers = if f.co_organisers.is_empty() {
        organiser.to_owned()
    } else {
        fill(t(locale, "report_draft.with_co"), &[("organiser", organiser), ("co", &list(locale, f.co_organisers))])
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
    // The theme, unless the meeting's name says it already.
    if let (Some(_), Some(topic)) = (held, topic.as_deref().filter(|t| !name.contains(*t))) {
        sentences.push(fill(t(locale, "report_draft.theme"), &[("topic", topic)]));
    }
    if f.present > 0 {
        // Joint activities count the members of every holding branch, named.
        let (joint, branches) = if f.co_organisers.is_empty() {
            ("", String::new())
        } else {
            let all: Vec<String> =
                std::iter::once(organiser.to_owned()).chain(f.co_organisers.iter().cloned()).collect();
            ("_joint", list(locale, &all))
        };
        let args = [("n", f.present.to_string()), ("branches", branches), ("gathering", gathering.to_owned())];
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let key = if f.present >= f.expected { "all_members" } else { "members" };
        sentences.push(fill(t(locale, &format!("report_draft.{key}{joint}")), &args));
    }
    // Superior leaders first, then the delegates and guest speakers; never 列席.
    for (role, key) in [(GuestRole::Leader, "report_draft.leaders"), (GuestRole::GuestSpeaker, "report_draft.guests")] {
        let named: Vec<String> = f.guests.iter().filter(|g| g.role == role).map(|g| guest(locale, g)).collect();
        if !named.is_empty() {
            sentences.push(fill(t(locale, key), &[("guests", &list(locale, &named)), ("gathering", gathering)]));
        }
    }
    let non_voting_key = if meeting { "report_draft.non_voting.meeting" } else { "report_draft.non_voting.activity" };
    let named_non_voting: Vec<&GuestFact> = f.guests.iter().filter(|g| g.role == GuestRole::NonVoting).collect();
    let note = f.non_voting.note.map(str::trim).filter(|n| !n.is_empty());
    let non_voting = match (f.non_voting.count, note) {
        (Some((n, approx)), note) => {
            let key = if approx { "report_draft.about" } else { "report_draft.exactly" };
            let amount = fill(t(locale, key), &[("n", &n.to_string())]);
            Some(match note {
                Some(note) => fill(t(locale, "report_draft.counted"), &[("who", note), ("amount", &amount)]),
                None => fill(t(locale, "report_draft.counted_bare"), &[("amount", &amount)]),
            })
        }
        (None, Some(note)) => Some(note.to_owned()),
        (None, None) if named_non_voting.len() > 5 => Some(fill(
            t(locale, "report_draft.counted_bare"),
            &[("amount", &fill(t(locale, "report_draft.exactly"), &[("n", &named_non_voting.len().to_string())]))],
        )),
        (None, None) if !named_non_voting.is_empty() => {
            let names: Vec<String> = named_non_voting.iter().map(|g| guest(locale, g)).collect();
            Some(list(locale, &names))
        }
        (None, None) => None,
    };
    if let Some(who) = non_voting {
        sentences.push(fill(t(locale, non_voting_key), &[("who", &who)]));
    }
    if let Some(h) = &f.host {
        sentences.push(fill(
            t(locale, "report_draft.presided"),
            &[("who", &named(locale, &h.name, h.post.as_deref())), ("gathering", gathering)],
        ));
    }
    let lead = sentences.join(run_on(locale, " "));

    // The body: the items in agenda order, each opened as a writer would ("会上，" "随后，"
    // "最后，"), speeches of one item running on.
    let items: Vec<Vec<Line<'_>>> = f.items.iter().map(lines).filter(|l| !l.is_empty()).collect();
    let mut paragraphs = Vec::new();
    let last = items.len().saturating_sub(1);
    for (i, item) in items.iter().enumerate() {
        for (j, line) in item.iter().enumerate() {
            let connector = match (i, j) {
                (0, 0) => Some("report_draft.connector.first"),
                (i, 0) if i == last && last >= 2 => Some("report_draft.connector.last"),
                (_, 0) => Some("report_draft.connector.next"),
                _ => None,
            };
            paragraphs.extend(write_line(locale, line, connector));
        }
    }
    Draft { title, lead, body: paragraphs.join("\n\n") }
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

    fn item(title: &str, speeches: Vec<Speech>, resolutions: &[&str]) -> ItemFact {
        ItemFact {
            title: title.to_owned(),
            speeches,
            resolutions: resolutions.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    fn guest_fact(name: &str, unit: &str, title: &str, role: GuestRole) -> GuestFact {
        GuestFact { name: name.into(), unit: Some(unit.into()), title: Some(title.into()), role }
    }

    /// The seed post of our first user (../shared/seeds/000_8433893753bd2d20.txt): a theme party
    /// day on the morning of 24 August 2023, every member came with the staff, the spirit studied
    /// together, two exchange speeches with posts, the secretary's lecture.
    fn seed_items() -> Vec<ItemFact> {
        vec![
            item("集体学习习近平总书记来川视察重要指示精神", vec![], &[]),
            item(
                "交流发言",
                vec![
                    speech(
                        "龙桂英",
                        "科技与学科建设服务部部长兼医疗质量控制部主任",
                        SpeechRole::Exchange,
                        "在今后的工作中，要充分发挥高校和专家优势。",
                    ),
                    speech("辛娟", "学术活动服务部部长", SpeechRole::Exchange, "将学术交流与实践紧密结合。"),
                ],
                &[],
            ),
            item(
                "专题党课",
                vec![speech(
                    "曾斌",
                    "学会党支部书记",
                    SpeechRole::Summary,
                    "曾斌强调，要把学习宣传贯彻重要指示精神作为重要政治任务。\n\n坚定拥护“两个确立”。",
                )],
                &[],
            ),
        ]
    }

    fn seed_facts<'a>(items: &'a [ItemFact], guests: &'a [GuestFact], co: &'a [String]) -> Facts<'a> {
        Facts {
            title: "学习贯彻习近平总书记来川视察重要指示精神主题党日活动",
            topic: Some("学习贯彻习近平总书记来川视察重要指示精神"),
            kind: EventKind::ThemePartyDay,
            starts: NaiveDate::from_ymd_opt(2023, 8, 24).unwrap().and_hms_opt(9, 0, 0).unwrap(),
            organiser: "成都高新医学会党支部",
            co_organisers: co,
            place: Some("学会三楼会议室"),
            expected: 12,
            present: 12,
            non_voting: NonVoting { count: None, note: Some("学会职工") },
            guests,
            host: Some(Host { name: "曾斌".into(), post: Some("党支部书记".into()) }),
            items,
        }
    }

    #[test]
    fn the_seed_post_is_drafted_with_every_fact_in_its_order() {
        let items = seed_items();
        let d = draft(Locale::ZhCn, &seed_facts(&items, &[], &[]));
        assert_eq!(d.title, "成都高新医学会党支部开展学习贯彻习近平总书记来川视察重要指示精神主题党日活动");
        assert_eq!(
            d.lead,
            "2023年8月24日上午，成都高新医学会党支部在学会三楼会议室开展学习贯彻习近平总书记来川视察重要指示精神主题党日活动。\
             支部全体党员参加活动。学会职工一同参加活动。活动由党支部书记曾斌主持。"
        );
        let paragraphs: Vec<&str> = d.body.split("\n\n").collect();
        assert_eq!(
            paragraphs,
            [
                "会上，集体学习习近平总书记来川视察重要指示精神。",
                "随后，科技与学科建设服务部部长兼医疗质量控制部主任龙桂英交流发言表示：在今后的工作中，要充分发挥高校和专家优势。",
                "学术活动服务部部长辛娟交流发言表示：将学术交流与实践紧密结合。",
                "最后，学会党支部书记曾斌强调，要把学习宣传贯彻重要指示精神作为重要政治任务。",
                "坚定拥护“两个确立”。",
            ],
            "the lead is not repeated in the body; a summary that names its speaker and verb is not doubled"
        );
    }

    /// The demo's joint conference: two holding branches, a leader of a superior body, a
    /// hospital's director as guest speaker, delegates of both branches who said the same, a
    /// counted non-voting audience, a resolution in its agenda place and an item after the
    /// meeting.
    #[test]
    fn a_joint_conference_names_its_meeting_its_people_by_role_and_follows_the_agenda() {
        let guests = [
            guest_fact("陈国栋", "高新区卫生健康委员会", "党组书记、主任", GuestRole::Leader),
            guest_fact("林海峰", "高新区人民医院", "院长", GuestRole::GuestSpeaker),
            guest_fact("孙悦", "高新区人民医院党委办公室", "干事", GuestRole::NonVoting),
        ];
        let co = ["医疗质控党支部".to_owned()];
        // Their own verb: "先后结合……", never "交流发言表示：结合……".
        let same = "结合本岗位介绍了以党建促质控的做法。";
        let items = vec![
            item("介绍与会领导和嘉宾", vec![], &[]),
            item(
                "专题发言",
                vec![speech(
                    "林海峰",
                    "高新区人民医院院长",
                    SpeechRole::Report,
                    "林海峰对以质控数据驱动医疗质量持续改进作了介绍。",
                )],
                &[],
            ),
            item(
                "两支部党员代表交流发言",
                vec![
                    speech("徐静", "", SpeechRole::Exchange, same),
                    speech("郑霞", "", SpeechRole::Exchange, same),
                    speech("谢超", "", SpeechRole::Exchange, same),
                ],
                &[],
            ),
            item("签订支部联建共建协议", vec![], &["同意签订支部联建共建协议。"]),
            item(
                "区卫健委领导讲话",
                vec![speech("陈国栋", "区卫健委主任", SpeechRole::LeaderSpeech, "对两支部联建共建提出了要求。")],
                &[],
            ),
            item("会后参观质控数据中心", vec![], &[]),
        ];
        let mut f = seed_facts(&items, &guests, &co);
        f.title = "“党建+医疗质量”联建共建座谈会";
        f.topic = Some("以“党建联建”推动医疗质量安全持续改进");
        f.kind = EventKind::JointConference;
        f.organiser = "医院管理党支部";
        f.place = Some("市第一人民医院行政楼三楼会议室");
        f.starts = f.starts.with_hour(14).unwrap();
        f.expected = 30;
        f.present = 28;
        f.non_voting = NonVoting { count: Some((50, true)), note: Some("各会员单位党务工作者") };
        f.host = Some(Host { name: "周志强".into(), post: Some("医院管理党支部书记".into()) });
        let d = draft(Locale::ZhCn, &f);
        assert_eq!(d.title, "医院管理党支部召开“党建+医疗质量”联建共建座谈会", "the meeting's own name");
        assert_eq!(
            d.lead,
            "2023年8月24日下午，医院管理党支部与医疗质控党支部联合在市第一人民医院行政楼三楼会议室召开“党建+医疗质量”联建共建座谈会。\
             会议主题为“以‘党建联建’推动医疗质量安全持续改进”。\
             医院管理党支部和医疗质控党支部党员共28人参加会议。\
             高新区卫生健康委员会党组书记、主任陈国栋出席会议。\
             高新区人民医院院长林海峰应邀参加会议。\
             各会员单位党务工作者50余人列席会议。\
             会议由医院管理党支部书记周志强主持。"
        );
        assert!(!d.lead.contains("列席会议。高新区人民医院党委办公室"), "the count stands for the non-voting audience");
        let paragraphs: Vec<&str> = d.body.split("\n\n").collect();
        assert_eq!(
            paragraphs,
            [
                "会上，介绍与会领导和嘉宾。",
                "随后，高新区人民医院院长林海峰对以质控数据驱动医疗质量持续改进作了介绍。",
                "随后，徐静、郑霞、谢超先后结合本岗位介绍了以党建促质控的做法。",
                "随后，会议作出决议：同意签订支部联建共建协议。",
                "随后，区卫健委主任陈国栋对两支部联建共建提出了要求。",
                "会后，与会人员参观质控数据中心。",
            ]
        );
        // Every holding branch's members, not the organiser's alone; all of them when all came.
        f.present = 30;
        assert!(draft(Locale::ZhCn, &f).lead.contains("医院管理党支部和医疗质控党支部全体党员参加会议。"));

        let en = draft(Locale::En, &f);
        assert!(en.title.starts_with("医院管理党支部 held “党建+医疗质量”"), "{}", en.title);
        assert!(en.lead.contains("More than 50 各会员单位党务工作者 attended without a vote."), "{}", en.lead);
        assert!(en.body.contains("徐静, 郑霞 and 谢超 said in turn: "), "{}", en.body);
        assert!(en.body.starts_with("At the meeting, "), "{}", en.body);
    }

    #[test]
    fn the_english_draft_reads_like_the_seed() {
        let items = vec![item(
            "Exchange",
            vec![speech(
                "Long Guiying",
                "Director of Medical Quality Control",
                SpeechRole::Exchange,
                "We should give full play to experts.",
            )],
            &[],
        )];
        let mut f = seed_facts(&items, &[], &[]);
        f.host = Some(Host { name: "Zeng Bin".into(), post: Some("Secretary of the Party Branch".into()) });
        f.title = "Studying the spirit of the instructions";
        f.topic = None;
        f.organiser = "the Party Branch of Chengdu High-tech Medical Association";
        f.place = None;
        f.non_voting = NonVoting::default();
        let d = draft(Locale::En, &f);
        assert_eq!(
            d.lead,
            "On the morning of August 24, 2023, the Party Branch of Chengdu High-tech Medical Association held a \
             theme Party day activity: Studying the spirit of the instructions. All Party members of the branch took \
             part in the activity. Zeng Bin, Secretary of the Party Branch, presided over the activity."
        );
        assert_eq!(
            d.body,
            "At the meeting, Long Guiying, Director of Medical Quality Control, said: We should give full play to experts."
        );
    }

    #[test]
    fn counts_and_named_guests_when_no_count_was_taken() {
        let guests = [
            guest_fact("李明", "区卫健委", "副主任", GuestRole::Leader),
            GuestFact {
                name: "王芳".into(),
                unit: Some("市第三人民医院".into()),
                title: None,
                role: GuestRole::NonVoting,
            },
        ];
        let mut f = seed_facts(&[], &guests, &[]);
        f.present = 9;
        f.non_voting = NonVoting::default();
        f.host = None;
        f.starts = f.starts.with_hour(19).unwrap();
        let d = draft(Locale::ZhCn, &f);
        assert_eq!(
            d.lead,
            "2023年8月24日晚上，成都高新医学会党支部在学会三楼会议室开展学习贯彻习近平总书记来川视察重要指示精神主题党日活动。\
             支部党员9人参加活动。区卫健委副主任李明出席活动。市第三人民医院王芳一同参加活动。"
        );
        assert_eq!(d.body, "", "no minutes: the lead alone");
        f.non_voting = NonVoting { count: Some((12, false)), note: None };
        assert!(draft(Locale::ZhCn, &f).lead.contains("另有12人一同参加活动。"));
        let en = draft(Locale::En, &f);
        assert!(
            en.lead
                .contains("9 Party members took part in the activity. 李明 (区卫健委, 副主任) attended the activity."),
            "{}",
            en.lead
        );
        assert!(en.lead.contains("12 others also took part."), "{}", en.lead);
    }

    #[test]
    fn titles_say_the_organiser_and_the_kind_once_and_text_is_filled_once() {
        let items = [item(
            "学习",
            vec![speech("张三", "", SpeechRole::LeadStudy, "领学了{date}的讲话")],
            &["同意接收李四为预备党员", "  "],
        )];
        let mut f = seed_facts(&items, &[], &[]);
        f.title = "11月主题党日";
        f.topic = None;
        f.starts = f.starts.with_hour(14).unwrap();
        let d = draft(Locale::ZhCn, &f);
        assert_eq!(d.title, "成都高新医学会党支部开展11月主题党日");
        f.title = "成都高新医学会党支部主题党日";
        assert_eq!(draft(Locale::ZhCn, &f).title, "成都高新医学会党支部开展主题党日", "the organiser is said once");
        f.title = "2026年度组织生活会";
        f.kind = EventKind::OrganisationalLifeMeeting;
        assert_eq!(draft(Locale::ZhCn, &f).title, "成都高新医学会党支部召开2026年度组织生活会");
        f.title = "医疗质量安全论坛";
        f.kind = EventKind::Other;
        assert_eq!(draft(Locale::ZhCn, &f).title, "成都高新医学会党支部举办医疗质量安全论坛");
        // A topic never makes a meeting's title: "召开探索……新模式联席会议" is not Chinese a branch
        // would publish.
        f.title = "联席会议";
        f.topic = Some("探索党建引领新模式");
        f.kind = EventKind::JointConference;
        assert_eq!(draft(Locale::ZhCn, &f).title, "成都高新医学会党支部召开联席会议");
        assert!(draft(Locale::ZhCn, &f).lead.contains("会议主题为“探索党建引领新模式”。"));
        f.title = "深入贯彻中央八项规定精神学习教育专题报告会";
        f.topic = Some("深入贯彻中央八项规定精神学习教育");
        let named = draft(Locale::ZhCn, &f);
        assert_eq!(named.title, "成都高新医学会党支部举办深入贯彻中央八项规定精神学习教育专题报告会");
        assert!(!named.lead.contains("会议主题"), "the name says the theme already: {}", named.lead);
        assert!(d.lead.starts_with("2023年8月24日下午，"), "{}", d.lead);
        let paragraphs: Vec<&str> = d.body.split("\n\n").collect();
        assert_eq!(
            paragraphs,
            ["会上，张三领学了{date}的讲话", "会议作出决议：同意接收李四为预备党员。"],
            "a summary's braces stay as typed, its verb is not doubled, a blank resolution is left out"
        );
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
}
