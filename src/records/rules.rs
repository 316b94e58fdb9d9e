//! The words of participation records: the figures of an attendance ledger, absence streaks and
//! the meetings the rules require per type (the period asked for is in `period`).
use chrono::NaiveDate;

use super::charts::OutcomeMark;
pub use super::period::{MAX_YEARS, Period, PeriodForm, PeriodKind, offered};
use crate::{
    events::rules::EventKind,
    forms::{Choice, FieldErrors},
    invitations::Outcome,
};

/// An attendance ledger's figures: what happened to the expected (members invited as members to
/// events that ended), late counted among the present, make-up among those who owed it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Figures {
    pub expected: u32,
    pub present: u32,
    pub late: u32,
    pub on_leave: u32,
    pub absent: u32,
    pub makeup_owed: u32,
    pub makeup_done: u32,
}

impl Figures {
    pub fn add(&mut self, outcome: Outcome, makeup_required: bool, makeup_done: bool) {
        self.expected += 1;
        match outcome {
            Outcome::Present => self.present += 1,
            Outcome::Late => {
                self.present += 1;
                self.late += 1;
            }
            Outcome::Excused => self.on_leave += 1,
            Outcome::Absent => self.absent += 1,
        }
        if makeup_required {
            self.makeup_owed += 1;
            self.makeup_done += u32::from(makeup_done);
        }
    }

    pub fn merge(&mut self, o: &Figures) {
        self.expected += o.expected;
        self.present += o.present;
        self.late += o.late;
        self.on_leave += o.on_leave;
        self.absent += o.absent;
        self.makeup_owed += o.makeup_owed;
        self.makeup_done += o.makeup_done;
    }

    /// Takes back figures counted for the wrong branch (a member who moved).
    pub fn remove(&mut self, o: &Figures) {
        self.expected = self.expected.saturating_sub(o.expected);
        self.present = self.present.saturating_sub(o.present);
        self.late = self.late.saturating_sub(o.late);
        self.on_leave = self.on_leave.saturating_sub(o.on_leave);
        self.absent = self.absent.saturating_sub(o.absent);
        self.makeup_owed = self.makeup_owed.saturating_sub(o.makeup_owed);
        self.makeup_done = self.makeup_done.saturating_sub(o.makeup_done);
    }

    /// One outcome's figures.
    pub fn one(outcome: Outcome, makeup_required: bool, makeup_done: bool) -> Figures {
        let mut f = Figures::default();
        f.add(outcome, makeup_required, makeup_done);
        f
    }

    fn rate(part: u32, whole: u32) -> Option<f64> {
        (whole > 0).then(|| f64::from(part) / f64::from(whole))
    }

    /// Present ÷ expected.
    pub fn attendance_rate(&self) -> Option<f64> {
        Self::rate(self.present, self.expected)
    }

    pub fn leave_rate(&self) -> Option<f64> {
        Self::rate(self.on_leave, self.expected)
    }

    pub fn makeup_rate(&self) -> Option<f64> {
        Self::rate(self.makeup_done, self.makeup_owed)
    }
}

/// A rate as people read it: "92.5%", or a dash when nothing was expected.
pub fn percent(rate: Option<f64>) -> String {
    rate.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// One month of a member's record for streaks: whether they were expected at anything, and
/// whether they missed something without leave and without making it up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonthMark {
    pub expected: bool,
    pub unexcused: bool,
}

/// The current streak: consecutive months, newest first, with an unexcused absence not made up.
/// Months in which the member was expected at nothing neither count nor break it.
pub fn streak(months_newest_first: &[MonthMark]) -> u32 {
    let mut n = 0;
    for m in months_newest_first.iter().filter(|m| m.expected) {
        if !m.unexcused {
            break;
        }
        n += 1;
    }
    n
}

/// How often the rules require a meeting of a type by default: theme party day, branch committee
/// and party group meetings monthly; the branch general meeting and the party lecture quarterly;
/// the organisational life meeting yearly. None: no requirement.
fn default_every(kind: EventKind) -> Option<u32> {
    match kind {
        EventKind::ThemePartyDay | EventKind::BranchCommitteeMeeting | EventKind::PartyGroupMeeting => Some(1),
        EventKind::BranchGeneralMeeting | EventKind::PartyLecture => Some(3),
        EventKind::OrganisationalLifeMeeting => Some(12),
        _ => None,
    }
}

/// The periods a requirement can have, in months (0: not required).
pub const EVERY_CHOICES: [u32; 5] = [0, 1, 3, 6, 12];

/// Default absence streak thresholds: a reminder talk, criticism and education, and the rules'
/// six months without reason (an alert; never an automatic change).
pub const DEFAULT_THRESHOLDS: [u32; 3] = [2, 4, 6];

/// The longest threshold (the streak is counted over the twelve months up to today's).
pub const THRESHOLD_MAX: u32 = 12;

/// The rules the records apply, as administrators set them (settings rows override defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordRules {
    /// Months between required meetings per type (0: not required), for every type.
    every: Vec<(EventKind, u32)>,
    /// Streak lengths that call for a talk, criticism and education, and the alert.
    pub thresholds: [u32; 3],
}

impl Default for RecordRules {
    fn default() -> Self {
        RecordRules {
            every: EventKind::ALL.iter().map(|k| (*k, default_every(*k).unwrap_or(0))).collect(),
            thresholds: DEFAULT_THRESHOLDS,
        }
    }
}

const THRESHOLDS_KEY: &str = "streak_thresholds";

fn every_key(kind: EventKind) -> String {
    format!("every.{}", kind.key())
}

fn parse_thresholds(text: &str) -> Option<[u32; 3]> {
    let parts: Vec<u32> = text.split(',').map(|p| p.trim().parse().ok()).collect::<Option<_>>()?;
    let t: [u32; 3] = parts.try_into().ok()?;
    (t[0] >= 1 && t[0] < t[1] && t[1] < t[2] && t[2] <= THRESHOLD_MAX).then_some(t)
}

impl RecordRules {
    /// How often a meeting of `kind` is required, in months; None: not required.
    pub fn every(&self, kind: EventKind) -> Option<u32> {
        self.every.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n).filter(|n| *n > 0)
    }

    /// The types with a requirement, in the catalogue's order.
    pub fn required(&self) -> Vec<EventKind> {
        self.every.iter().filter(|(_, n)| *n > 0).map(|(k, _)| *k).collect()
    }

    /// The highest threshold a streak of `months` reached.
    pub fn threshold_of(&self, months: u32) -> Option<u32> {
        self.thresholds.iter().copied().filter(|t| months >= *t).max()
    }

    /// The rules from stored settings; a row that does not read keeps its default.
    pub fn from_settings<'a>(rows: impl IntoIterator<Item = (&'a str, &'a str)>) -> RecordRules {
        let mut rules = RecordRules::default();
        for (key, value) in rows {
            if key == THRESHOLDS_KEY {
                if let Some(t) = parse_thresholds(value) {
                    rules.thresholds = t;
                }
            } else if let Some(slot) = rules.every.iter_mut().find(|(k, _)| every_key(*k) == key)
                && let Ok(n) = value.parse::<u32>()
                && EVERY_CHOICES.contains(&n)
            {
                slot.1 = n;
            }
        }
        rules
    }

    /// The rules as settings rows.
    pub fn to_settings(&self) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self.every.iter().map(|(k, n)| (every_key(*k), n.to_string())).collect();
        let t = self.thresholds;
        rows.push((THRESHOLDS_KEY.to_owned(), format!("{},{},{}", t[0], t[1], t[2])));
        rows
    }

    /// What a form of these rules is based on: a save from a form of other rules is refused.
    pub fn version(&self) -> String {
        self.to_settings().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(";")
    }

    /// The rules as submitted on the settings page: `every.<type>` per type, `t1`..`t3`.
    pub fn parse_form(form: &crate::events::rules::Pairs) -> Result<RecordRules, FieldErrors> {
        let mut e = FieldErrors::default();
        let mut rules = RecordRules::default();
        for (kind, n) in &mut rules.every {
            match form.get(&every_key(*kind)).trim().parse::<u32>() {
                Ok(v) if EVERY_CHOICES.contains(&v) => *n = v,
                _ => e.add(&every_key(*kind), "field.choose_one"),
            }
        }
        let mut t = [0u32; 3];
        for (i, slot) in t.iter_mut().enumerate() {
            let field = format!("t{}", i + 1);
            match form.get(&field).trim().parse::<u32>() {
                Ok(v) if (1..=THRESHOLD_MAX).contains(&v) => *slot = v,
                _ => e.add(&field, "records.threshold_invalid"),
            }
        }
        if e.is_empty() {
            if !(t[0] < t[1] && t[1] < t[2]) {
                e.add("t2", "records.thresholds_order");
            }
            rules.thresholds = t;
        }
        if e.is_empty() { Ok(rules) } else { Err(e) }
    }

    /// Every type with its period, for the settings page.
    pub fn rows(&self) -> &[(EventKind, u32)] {
        &self.every
    }
}

/// Where a branch stands for one stretch of the compliance grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compliance {
    /// Events that ended in it (the first one's id, and how many).
    Held(i64, usize),
    /// Nothing held yet, something scheduled.
    Planned(i64),
    /// Excused (the exemption's id; its reason is on the row).
    Exempted(i64),
    /// Over, nothing held.
    Missed,
    /// Not over, nothing held or planned.
    Due,
    /// Before the unit existed.
    NotApplicable,
}

/// How a line shows on the heatmap and in the ledger.
pub fn mark_of(outcome: Outcome, makeup_done: bool) -> OutcomeMark {
    match outcome {
        Outcome::Present => OutcomeMark::Present,
        Outcome::Late => OutcomeMark::Late,
        Outcome::Excused if makeup_done => OutcomeMark::MadeUp,
        Outcome::Excused => OutcomeMark::Leave,
        Outcome::Absent if makeup_done => OutcomeMark::MadeUp,
        Outcome::Absent => OutcomeMark::Absent,
    }
}

/// The stretches of a year for a requirement every `months` months: (first day, last day).
pub fn stretches(year: i32, months: u32) -> Vec<(NaiveDate, NaiveDate)> {
    (0..12 / months.max(1))
        .filter_map(|i| {
            let from = NaiveDate::from_ymd_opt(year, i * months + 1, 1)?;
            let next = if (i + 1) * months >= 12 {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(year, (i + 1) * months + 1, 1)?
            };
            Some((from, next.pred_opt()?))
        })
        .collect()
}

/// A meeting of a required type as the compliance grid sees it: its event, its day in the
/// association's zone, and whether it was held (ended) or is only scheduled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    pub id: i64,
    pub day: NaiveDate,
    pub held: bool,
}

/// Where a unit stands for one stretch (first day, last day) of the compliance grid, from its
/// meetings of the type (in time order), its exemptions (id, the first day of the stretch they
/// excuse), the day it was founded and today. A meeting held in the stretch counts whatever
/// else; an exemption excuses a stretch with nothing held; a scheduled meeting marks it planned;
/// a stretch over before the unit existed is not applicable; else it is missed once over (due
/// until then, today included).
pub fn standing(
    stretch: (NaiveDate, NaiveDate),
    meetings: &[Meeting],
    exemptions: &[(i64, NaiveDate)],
    founded: NaiveDate,
    today: NaiveDate,
) -> Compliance {
    let (first, last) = stretch;
    let inside: Vec<&Meeting> = meetings.iter().filter(|m| first <= m.day && m.day <= last).collect();
    let held: Vec<&&Meeting> = inside.iter().filter(|m| m.held).collect();
    if let Some(m) = held.first() {
        Compliance::Held(m.id, held.len())
    } else if let Some((id, _)) = exemptions.iter().find(|(_, from)| *from == first) {
        Compliance::Exempted(*id)
    } else if let Some(m) = inside.first() {
        Compliance::Planned(m.id)
    } else if last < founded {
        Compliance::NotApplicable
    } else if last < today {
        Compliance::Missed
    } else {
        Compliance::Due
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn figures_count_late_as_present_and_make_up_among_those_who_owed_it() {
        let mut f = Figures::default();
        f.add(Outcome::Present, false, false);
        f.add(Outcome::Late, false, false);
        f.add(Outcome::Excused, true, true);
        f.add(Outcome::Absent, true, false);
        assert_eq!((f.expected, f.present, f.late, f.on_leave, f.absent), (4, 2, 1, 1, 1));
        assert_eq!((percent(f.attendance_rate()), percent(f.makeup_rate())), ("50.0%".into(), "50.0%".into()));
        assert_eq!(percent(Figures::default().attendance_rate()), "—");
    }

    #[test]
    fn a_streak_counts_months_with_unexcused_absences_and_skips_months_without_meetings() {
        let (miss, came, none) = (
            MonthMark { expected: true, unexcused: true },
            MonthMark { expected: true, unexcused: false },
            MonthMark { expected: false, unexcused: false },
        );
        assert_eq!(streak(&[miss, none, miss, came, miss]), 2);
        assert_eq!(streak(&[came, miss, miss]), 0);
        assert_eq!(streak(&[none, none]), 0);
        assert_eq!(streak(&[miss; 7]), 7);
    }

    #[test]
    fn rules_read_back_what_they_store_and_keep_defaults_for_what_does_not_read() {
        let mut rules = RecordRules::default();
        assert_eq!(rules.every(EventKind::ThemePartyDay), Some(1));
        assert_eq!(rules.every(EventKind::StudySession), None);
        assert_eq!(rules.threshold_of(5), Some(4));
        assert_eq!(rules.threshold_of(1), None);
        rules.every.iter_mut().for_each(|(k, n)| {
            if *k == EventKind::StudySession {
                *n = 6;
            }
        });
        rules.thresholds = [3, 5, 9];
        let stored = rules.to_settings();
        let back = RecordRules::from_settings(stored.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        assert_eq!(back, rules);
        let junk = [("every.theme_party_day", "7"), ("streak_thresholds", "4,2,6"), ("unknown", "1")];
        assert_eq!(RecordRules::from_settings(junk), RecordRules::default());
    }

    #[test]
    fn the_rules_form_names_each_bad_field() {
        use crate::events::rules::Pairs;
        let mut pairs: Vec<(String, String)> =
            RecordRules::default().to_settings().into_iter().filter(|(k, _)| k.starts_with("every.")).collect();
        pairs.extend([("t1".into(), "2".into()), ("t2".into(), "4".into()), ("t3".into(), "6".into())]);
        assert_eq!(RecordRules::parse_form(&Pairs(pairs.clone())).unwrap(), RecordRules::default());
        let mut bad = pairs.clone();
        bad[0].1 = "2".into();
        bad.retain(|(k, _)| k != "t3");
        let e = RecordRules::parse_form(&Pairs(bad)).unwrap_err();
        assert!(e.get("every.theme_party_day").is_some() && e.get("t3").is_some());
        let mut backwards = pairs;
        backwards.iter_mut().for_each(|(k, v)| {
            if k == "t2" {
                *v = "1".into();
            }
        });
        assert_eq!(
            RecordRules::parse_form(&Pairs(backwards)).unwrap_err().get("t2").unwrap().key,
            "records.thresholds_order"
        );
    }

    #[test]
    fn stretches_cover_the_year_without_gaps_for_every_period() {
        let months = stretches(2024, 1);
        assert_eq!(months.len(), 12);
        assert_eq!(months[1], (day(2024, 2, 1), day(2024, 2, 29)), "a leap February ends on the 29th");
        assert_eq!(stretches(2025, 1)[1].1, day(2025, 2, 28));
        assert_eq!(
            stretches(2026, 3),
            vec![
                (day(2026, 1, 1), day(2026, 3, 31)),
                (day(2026, 4, 1), day(2026, 6, 30)),
                (day(2026, 7, 1), day(2026, 9, 30)),
                (day(2026, 10, 1), day(2026, 12, 31)),
            ]
        );
        assert_eq!(stretches(2026, 6), vec![(day(2026, 1, 1), day(2026, 6, 30)), (day(2026, 7, 1), day(2026, 12, 31))]);
        assert_eq!(stretches(2026, 12), vec![(day(2026, 1, 1), day(2026, 12, 31))]);
        for every in [1, 3, 6, 12] {
            let s = stretches(2026, every);
            assert!(s.windows(2).all(|w| w[0].1.succ_opt() == Some(w[1].0)), "every {every}: no gap, no overlap");
        }
    }

    #[test]
    fn a_mark_shows_a_make_up_over_leave_and_absence_but_not_over_attendance() {
        assert_eq!(mark_of(Outcome::Present, false), OutcomeMark::Present);
        assert_eq!(mark_of(Outcome::Present, true), OutcomeMark::Present);
        assert_eq!(mark_of(Outcome::Late, true), OutcomeMark::Late);
        assert_eq!(mark_of(Outcome::Excused, false), OutcomeMark::Leave);
        assert_eq!(mark_of(Outcome::Excused, true), OutcomeMark::MadeUp);
        assert_eq!(mark_of(Outcome::Absent, false), OutcomeMark::Absent);
        assert_eq!(mark_of(Outcome::Absent, true), OutcomeMark::MadeUp);
    }

    fn held(id: i64, d: NaiveDate) -> Meeting {
        Meeting { id, day: d, held: true }
    }

    fn planned(id: i64, d: NaiveDate) -> Meeting {
        Meeting { id, day: d, held: false }
    }

    #[test]
    fn a_stretch_counts_the_meetings_held_from_its_first_day_to_its_last() {
        let march = (day(2026, 3, 1), day(2026, 3, 31));
        let (founded, today) = (day(2020, 1, 1), day(2026, 6, 15));
        let at = |meetings: &[Meeting]| standing(march, meetings, &[], founded, today);
        assert_eq!(at(&[held(1, day(2026, 3, 1))]), Compliance::Held(1, 1), "the first day counts");
        assert_eq!(at(&[held(2, day(2026, 3, 31))]), Compliance::Held(2, 1), "the last day counts");
        assert_eq!(at(&[held(3, day(2026, 2, 28)), held(4, day(2026, 4, 1))]), Compliance::Missed, "outside: not");
        assert_eq!(
            at(&[planned(5, day(2026, 3, 2)), held(6, day(2026, 3, 10)), held(7, day(2026, 3, 20))]),
            Compliance::Held(6, 2),
            "the first held names the cell, and how many were held"
        );
    }

    #[test]
    fn an_exemption_excuses_its_own_stretch_only_and_never_over_a_meeting_held() {
        let march = (day(2026, 3, 1), day(2026, 3, 31));
        let (founded, today) = (day(2020, 1, 1), day(2026, 3, 15));
        let excused = [(9, day(2026, 3, 1))];
        assert_eq!(standing(march, &[], &excused, founded, today), Compliance::Exempted(9));
        assert_eq!(
            standing(march, &[planned(1, day(2026, 3, 20))], &excused, founded, today),
            Compliance::Exempted(9),
            "excused: the meeting planned no longer matters"
        );
        assert_eq!(standing(march, &[held(2, day(2026, 3, 5))], &excused, founded, today), Compliance::Held(2, 1));
        let february = [(8, day(2026, 2, 1))];
        assert_eq!(standing(march, &[], &february, founded, today), Compliance::Due, "another stretch's exemption");
        let mid_march = [(7, day(2026, 3, 15))];
        assert_eq!(standing(march, &[], &mid_march, founded, today), Compliance::Due, "only the stretch's first day");
    }

    #[test]
    fn with_nothing_held_a_stretch_is_planned_due_missed_or_before_the_unit() {
        let march = (day(2026, 3, 1), day(2026, 3, 31));
        let old = day(2020, 1, 1);
        assert_eq!(standing(march, &[planned(1, day(2026, 3, 31))], &[], old, day(2026, 4, 2)), Compliance::Planned(1));
        assert_eq!(standing(march, &[], &[], old, day(2026, 3, 31)), Compliance::Due, "due through its last day");
        assert_eq!(standing(march, &[], &[], old, day(2026, 4, 1)), Compliance::Missed, "missed the day after");
        assert_eq!(
            standing(march, &[], &[], day(2026, 4, 1), day(2026, 6, 1)),
            Compliance::NotApplicable,
            "over before the unit was founded"
        );
        assert_eq!(
            standing(march, &[], &[], day(2026, 3, 31), day(2026, 6, 1)),
            Compliance::Missed,
            "founded on its last day: it counts"
        );
    }
}
