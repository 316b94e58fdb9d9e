//! The attendance part of a record: live from attendance until the record is submitted, frozen
//! (and kept parsed) from then on; and what the record says for the report and the message.
use super::*;
use crate::invitations::Role;

/// One person of the roll: name and, where there is one, the reason (leave, absence) or the
/// organisation and title (guests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub note: Option<String>,
    #[serde(default)]
    pub late: bool,
}

/// Non-voting attendees counted rather than named (the event's head count): "各会员单位党务工作者
/// 50余人" is 50, approximately, with its description; a description may stand alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counted {
    pub count: Option<i32>,
    pub approx: bool,
    pub note: Option<String>,
}

impl Counted {
    /// The event's head count, when it has one (a count, or a description).
    pub fn of(e: &event::Model) -> Option<Counted> {
        let count = e.non_voting_count.filter(|n| *n > 0);
        let note = e.non_voting_note.clone().filter(|n| !n.trim().is_empty());
        (count.is_some() || note.is_some()).then_some(Counted { count, approx: e.non_voting_approx, note })
    }

    /// As the record's 列席 line says it: "各会员单位党务工作者50余人", "12人".
    pub fn shown(&self, locale: Locale) -> String {
        let Some(n) = self.count else { return self.note.clone().unwrap_or_default() };
        let key = match (self.approx, self.note.is_some()) {
            (true, true) => "minutes.counted_approx",
            (true, false) => "minutes.counted_approx_bare",
            (false, true) => "minutes.counted_exact",
            (false, false) => "minutes.counted_exact_bare",
        };
        let n = n.to_string();
        crate::i18n::fill(crate::i18n::t(locale, key), &[("n", &n), ("note", self.note.as_deref().unwrap_or(""))])
    }
}

/// The attendance part of a record (应到, 实到, 请假, 缺席; 出席领导, 嘉宾及代表, 列席), in the
/// figures of the event's attendance summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roll {
    pub expected: usize,
    pub expected_full: usize,
    pub expected_probationary: usize,
    /// Every part of `expected` by political status, as (status key, how many), in the statuses'
    /// order, those with none left out ("unknown": no status recorded). Empty in a roll frozen
    /// before it was counted so.
    #[serde(default)]
    pub expected_by_status: Vec<(String, usize)>,
    pub present: Vec<Entry>,
    /// Full members present: who may vote.
    pub present_full: usize,
    pub late: usize,
    pub on_leave: Vec<Entry>,
    pub absent: Vec<Entry>,
    /// Not checked in yet (before the event was finalised).
    pub awaiting: Vec<Entry>,
    /// Non-voting attendees (列席) named, who did not decline. (A roll frozen before guests had
    /// their own lines holds every guest here.)
    pub others: Vec<Entry>,
    /// Leaders of superior bodies attending (出席领导), with organisation and title.
    #[serde(default)]
    pub leaders: Vec<Entry>,
    /// Guest speakers and delegates (嘉宾及代表), with organisation and title.
    #[serde(default)]
    pub guest_speakers: Vec<Entry>,
    /// Non-voting attendees counted (the event's head count), beside those named.
    #[serde(default)]
    pub counted: Option<Counted>,
    pub finalised: bool,
}

/// The key of those expected without a political status recorded.
const UNKNOWN_STATUS: &str = "unknown";

impl Roll {
    /// The parts of `expected` by political status as the record says them ("正式党员 4 · 预备党员 1
    /// · 发展对象 2"): every part, adding up to the whole, or nothing when they cannot be told (a
    /// roll frozen before they were counted, with others besides full and probationary members).
    pub fn expected_parts(&self, locale: impl std::borrow::Borrow<Locale>) -> String {
        use crate::{forms::Choice, members::rules::PoliticalStatus};
        let locale = *locale.borrow();
        let counted: Vec<(String, usize)> = if !self.expected_by_status.is_empty() {
            self.expected_by_status.clone()
        } else if self.expected == self.expected_full + self.expected_probationary {
            vec![
                (PoliticalStatus::Full.key().to_owned(), self.expected_full),
                (PoliticalStatus::Probationary.key().to_owned(), self.expected_probationary),
            ]
        } else {
            return String::new();
        };
        counted
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(key, n)| {
                let label = PoliticalStatus::ALL
                    .iter()
                    .find(|p| p.key() == key)
                    .map_or("minutes.status_unknown", |p| p.label_key());
                format!("{} {n}", crate::i18n::t(locale, label))
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }

    /// Whether a resolution's vote carried, counted against this roll (None: no vote was taken).
    pub fn carries(&self, r: &crate::minutes::rules::Resolution) -> Option<bool> {
        r.votes.map(|v| v.carries(self.expected_full))
    }

    /// The roll of attendance's summary, with the names: counted once, by attendance.
    pub fn of(people: &[attendance::Person], finalised: bool) -> Roll {
        let s = attendance::Summary::of(people, finalised);
        let entry = |&n: &usize, note: Option<String>| Entry { name: people[n].name.clone(), note, late: false };
        let with_reason = |n: &usize| entry(n, people[*n].leave_reason.clone());
        // Guests who did not decline, in their role's line, with organisation and title; members
        // of other branches who walked in are non-voting attendees.
        let guests = |role: Role| {
            s.others
                .iter()
                .filter(|n| people[**n].answer() != Answer::Declined && people[**n].role == role)
                .map(|n| {
                    let p = &people[*n];
                    let note = [p.unit.as_deref(), p.title.as_deref()].into_iter().flatten().collect::<Vec<_>>();
                    entry(n, (!note.is_empty()).then(|| note.join(" · ")))
                })
                .collect::<Vec<_>>()
        };
        let expected_by_status = {
            use crate::{forms::Choice, members::rules::PoliticalStatus};
            let mut counted: Vec<(String, usize)> = PoliticalStatus::ALL
                .iter()
                .map(|p| p.key())
                .chain([UNKNOWN_STATUS])
                .map(|k| (k.to_owned(), 0))
                .collect();
            for n in s.present.iter().chain(&s.on_leave).chain(&s.absent).chain(&s.awaiting) {
                let key = people[*n].political_status.map_or(UNKNOWN_STATUS, |p| p.key());
                if let Some((_, count)) = counted.iter_mut().find(|(k, _)| k == key) {
                    *count += 1;
                }
            }
            counted.retain(|(_, n)| *n > 0);
            counted
        };
        Roll {
            expected: s.expected,
            expected_full: s.expected_full,
            expected_probationary: s.expected_probationary,
            expected_by_status,
            present: s
                .present
                .iter()
                .map(|n| Entry { late: people[*n].outcome() == Some(Outcome::Late), ..entry(n, None) })
                .collect(),
            present_full: s.present_full,
            late: s.late,
            on_leave: s.on_leave.iter().map(with_reason).collect(),
            absent: s.absent.iter().map(with_reason).collect(),
            awaiting: s.awaiting.iter().map(|n| entry(n, None)).collect(),
            others: guests(Role::NonVoting),
            leaders: guests(Role::Leader),
            guest_speakers: guests(Role::GuestSpeaker),
            counted: None,
            finalised,
        }
    }
}

/// What an event's record says, for its activity report: its items in agenda order, each with
/// its speeches and the resolutions adopted (carried, or adopted without a vote) as the record
/// counts them, against the roll it froze when it was submitted (the attendance as it stands
/// before).
pub struct Said {
    pub items: Vec<SaidItem>,
    /// Signed and locked: its items are what took place (a draft's may be its template).
    pub locked: bool,
}

pub struct SaidItem {
    pub title: String,
    pub speeches: Vec<Speech>,
    pub adopted: Vec<String>,
}

/// The record of an event as [`Said`], or None when it has none: while an amendment is in
/// progress, the signed revision (the record until the amendment is signed). `now`: the event's
/// attendance as it stands, which counts for a record not submitted yet (the caller has read it
/// already).
pub async fn said(
    db: &impl ConnectionTrait,
    event: &event::Model,
    now: &attendance::Summary,
) -> Result<Option<Said>, DbErr> {
    let Some(m) = minutes::Entity::find().filter(minutes::Column::EventId.eq(event.id)).one(db).await? else {
        return Ok(None);
    };
    let (body, locked) = match as_signed(&m)? {
        Some((_, signed)) => (signed, true),
        None => (body_of(&m)?, m.state == MinutesState::Locked),
    };
    let expected_full = match m.roll.as_deref().and_then(parse_roll) {
        Some(frozen) => frozen.expected_full,
        None => now.expected_full,
    };
    let items = body
        .items
        .into_iter()
        .map(|i| SaidItem {
            adopted: i
                .resolutions
                .iter()
                .filter(|r| r.votes.is_none_or(|v| v.carries(expected_full)))
                .map(|r| r.text.clone())
                .collect(),
            title: i.title,
            speeches: i.speeches,
        })
        .collect();
    Ok(Some(Said { items, locked }))
}

/// [`crate::mail::EventDocuments`] for minutes: an event's signed record as lines (the roll's
/// figures, then the body; while it is amended, the signed revision), for the message that sends
/// it to those who were present.
pub fn mail_document<'a>(
    db: &'a DatabaseConnection,
    e: &'a event::Model,
    locale: Locale,
) -> crate::db::BoxFuture<'a, Result<Option<Vec<String>>, DbErr>> {
    Box::pin(async move {
        let Some(m) = minutes::Entity::find().filter(minutes::Column::EventId.eq(e.id)).one(db).await? else {
            return Ok(None);
        };
        let Some((_, body)) = signed_record(&m)? else { return Ok(None) };
        let tr = |k: &str| crate::i18n::t(locale, k).to_owned();
        let roll = m.roll.as_deref().and_then(parse_roll).unwrap_or_default();
        let mut lines = vec![format!(
            "{} {} · {} {} · {} {} · {} {}",
            tr("minutes.expected"),
            roll.expected,
            tr("minutes.present"),
            roll.present.len(),
            tr("minutes.on_leave"),
            roll.on_leave.len(),
            tr("minutes.absent"),
            roll.absent.len()
        )];
        lines.push(String::new());
        lines.extend(body.lines(tr));
        Ok(Some(lines))
    })
}

/// Frozen rolls as parsed, by record, with the time the record was last written and the roll's
/// length (held in the application's state, beside its other caches). A roll holds an entry per
/// invitee (thousands): reading its text (80 kB for 2,000) and parsing it were much of the record
/// page's work. A frozen roll changes only with a write of the record (submitted, sent back),
/// which moves `updated_at`; then it is read and parsed again.
#[derive(Default)]
pub struct Rolls(std::sync::Mutex<HashMap<i64, ParsedRoll>>);
/// When the record was written, the roll's length in bytes, and what it parsed to.
type ParsedRoll = (DateTime<Utc>, i64, Arc<Roll>);

impl Rolls {
    /// Records whose parsed roll is kept (a few MB at most).
    const KEPT: usize = 64;

    fn kept(&self, m: &minutes::Model, len: i64) -> Option<Arc<Roll>> {
        let kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        kept.get(&m.id).filter(|(at, l, _)| *at == m.updated_at && *l == len).map(|(_, _, roll)| roll.clone())
    }

    fn keep(&self, m: &minutes::Model, text: &str, len: i64) -> Option<Arc<Roll>> {
        let roll = Arc::new(parse_roll(text)?);
        let mut kept = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if kept.len() >= Self::KEPT {
            kept.clear();
        }
        kept.insert(m.id, (m.updated_at, len, roll.clone()));
        Some(roll)
    }
}

/// A frozen roll's text as a roll. Written only by this module from a `Roll`; an unreadable one
/// counts as not frozen.
fn parse_roll(text: &str) -> Option<Roll> {
    serde_json::from_str::<Roll>(text).ok()
}

/// The frozen roll of a record read without it: kept, or read and parsed now.
pub(super) async fn frozen_by_length(
    db: &impl ConnectionTrait,
    rolls: &Rolls,
    m: &minutes::Model,
    len: i64,
) -> Result<Option<Arc<Roll>>, DbErr> {
    if let Some(roll) = rolls.kept(m, len) {
        return Ok(Some(roll));
    }
    let text: Option<Option<String>> =
        minutes::Entity::find_by_id(m.id).select_only().column(minutes::Column::Roll).into_tuple().one(db).await?;
    Ok(text.flatten().and_then(|t| rolls.keep(m, &t, len)))
}

/// The record's roll: frozen once submitted, else computed now from attendance.
pub async fn roll(db: &impl ConnectionTrait, opened: &Opened) -> Result<Arc<Roll>, DbErr> {
    match &opened.frozen {
        Some(roll) => Ok(roll.clone()),
        None => Ok(Arc::new(live_roll(db, &opened.loaded.event).await?)),
    }
}

/// The roll as attendance stands, with the event's head count of non-voting attendees.
pub(super) async fn live_roll(db: &impl ConnectionTrait, e: &event::Model) -> Result<Roll, DbErr> {
    let people = attendance::people(db, e.id).await?;
    Ok(Roll { counted: Counted::of(e), ..Roll::of(&people, e.finalised_at.is_some()) })
}
