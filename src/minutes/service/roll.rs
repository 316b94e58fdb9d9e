//! The attendance part of a record: live from attendance until the record is submitted, frozen
//! (and kept parsed) from then on; and what the record says for the report and the message.
use super::*;

/// One person of the roll: name and, where there is one, the reason (leave, absence) or the
/// organisation and title (guests).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub name: String,
    pub note: Option<String>,
    #[serde(default)]
    pub late: bool,
}

/// The attendance part of a record (应到, 实到, 请假, 缺席, 列席), in the figures of the
/// event's attendance summary.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roll {
    pub expected: usize,
    pub expected_full: usize,
    pub expected_probationary: usize,
    pub present: Vec<Entry>,
    /// Full members present: who may vote.
    pub present_full: usize,
    pub late: usize,
    pub on_leave: Vec<Entry>,
    pub absent: Vec<Entry>,
    /// Not checked in yet (before the event was finalised).
    pub awaiting: Vec<Entry>,
    /// Non-voting attendees and guests who did not decline.
    pub others: Vec<Entry>,
    pub finalised: bool,
}

impl Roll {
    /// Whether a resolution's vote carried, counted against this roll (None: no vote was taken).
    pub fn carries(&self, r: &crate::minutes::rules::Resolution) -> Option<bool> {
        r.votes.map(|v| v.carries(self.expected_full))
    }

    /// The roll of attendance's summary, with the names: counted once, by attendance.
    pub fn of(people: &[attendance::Person], finalised: bool) -> Roll {
        let s = attendance::Summary::of(people, finalised);
        let entry = |&n: &usize, note: Option<String>| Entry { name: people[n].name.clone(), note, late: false };
        let with_reason = |n: &usize| entry(n, people[*n].leave_reason.clone());
        Roll {
            expected: s.expected,
            expected_full: s.expected_full,
            expected_probationary: s.expected_probationary,
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
            others: s
                .others
                .iter()
                .filter(|n| people[**n].answer() != Answer::Declined)
                .map(|n| {
                    let p = &people[*n];
                    let note = [p.unit.as_deref(), p.title.as_deref()].into_iter().flatten().collect::<Vec<_>>();
                    entry(n, (!note.is_empty()).then(|| note.join(" · ")))
                })
                .collect(),
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
}

pub struct SaidItem {
    pub title: String,
    pub speeches: Vec<Speech>,
    pub adopted: Vec<String>,
}

/// The record of an event as [`Said`], or None when it has none. `now`: the event's attendance
/// as it stands, which counts for a record not submitted yet (the caller has read it already).
pub async fn said(
    db: &impl ConnectionTrait,
    event: &event::Model,
    now: &attendance::Summary,
) -> Result<Option<Said>, DbErr> {
    let Some(m) = minutes::Entity::find().filter(minutes::Column::EventId.eq(event.id)).one(db).await? else {
        return Ok(None);
    };
    let body = body_of(&m)?;
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
    Ok(Some(Said { items }))
}

/// [`crate::mail::EventDocuments`] for minutes: an event's locked record as lines (the roll's
/// figures, then the body), for the message that sends it to those who were present.
pub fn mail_document<'a>(
    db: &'a DatabaseConnection,
    e: &'a event::Model,
    locale: Locale,
) -> crate::db::BoxFuture<'a, Result<Option<Vec<String>>, DbErr>> {
    Box::pin(async move {
        let Some(m) = minutes::Entity::find()
            .filter(minutes::Column::EventId.eq(e.id))
            .filter(minutes::Column::State.eq(MinutesState::Locked))
            .one(db)
            .await?
        else {
            return Ok(None);
        };
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
        lines.extend(body_of(&m)?.lines(tr));
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

pub(super) async fn live_roll(db: &impl ConnectionTrait, e: &event::Model) -> Result<Roll, DbErr> {
    let people = attendance::people(db, e.id).await?;
    Ok(Roll::of(&people, e.finalised_at.is_some()))
}
