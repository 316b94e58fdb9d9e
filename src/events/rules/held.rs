//! The form of an activity recorded after it took place (补录): the event form's own fields (read
//! by [`EventData::parse`]) with a date in the past, the attendance of that day's roster, the
//! guests, the agenda and the non-voting head count, all on one page.
use chrono::{DateTime, Months, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{
    AgendaData, EventData, GuestData, MAX_CHOSEN, Pairs,
    non_voting::{NonVotingCount, NonVotingForm},
};
use crate::{
    forms::{Choice, FieldErrors, optional_text},
    i18n::Msg,
};

/// How a member of the roster took part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attended {
    Present,
    Late,
    /// On leave: excused, with a reason.
    Leave,
    Absent,
}

impl Choice for Attended {
    const ALL: &'static [Self] = &[Attended::Present, Attended::Late, Attended::Leave, Attended::Absent];
    fn key(self) -> &'static str {
        match self {
            Attended::Present => "present",
            Attended::Late => "late",
            Attended::Leave => "leave",
            Attended::Absent => "absent",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            Attended::Present => "outcome.present",
            Attended::Late => "outcome.late",
            Attended::Leave => "outcome.excused",
            Attended::Absent => "outcome.absent",
        }
    }
}

/// One member's line of the attendance grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridLine {
    pub member_id: i64,
    pub attended: Attended,
    /// Why they were on leave (only with [`Attended::Leave`]).
    pub reason: Option<String>,
}

/// An activity that took place, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldData {
    pub event: EventData,
    pub marks: Vec<GridLine>,
    pub guests: Vec<GuestData>,
    pub agenda: Vec<AgendaData>,
    /// Non-voting attendees counted rather than named, as on the attendance page.
    pub non_voting: NonVotingCount,
}

/// As many guests as an event page would sensibly hold; a longer list was not typed by hand.
pub const MAX_GUESTS: usize = 200;
pub const MAX_AGENDA: usize = 50;
pub const LEAVE_REASON_MAX: usize = 200;

/// The field of a member's line in the grid, and of their leave reason.
pub fn mark_field(member_id: i64) -> String {
    format!("att_{member_id}")
}

pub fn reason_field(member_id: i64) -> String {
    format!("reason_{member_id}")
}

/// The earliest day an activity may be recorded for: `years` before today (in the branch's zone).
pub fn earliest_day(now: DateTime<Utc>, tz: Tz, years: u32) -> NaiveDate {
    let today = now.with_timezone(&tz).date_naive();
    today.checked_sub_months(Months::new(years.saturating_mul(12))).unwrap_or(NaiveDate::MIN)
}

/// The i-th values of the repeated fields `names` (rows of guests or agenda items), as the pairs a
/// one-row form would send; rows left wholly empty are skipped.
fn rows(form: &Pairs, names: &[(&str, &str)]) -> Vec<(usize, Pairs)> {
    let columns: Vec<Vec<&str>> = names.iter().map(|(n, _)| form.all(n).collect()).collect();
    let count = columns.iter().map(Vec::len).max().unwrap_or(0);
    (0..count)
        .map(|i| {
            let pairs = names
                .iter()
                .zip(&columns)
                .map(|((_, field), col)| ((*field).to_owned(), col.get(i).copied().unwrap_or("").to_owned()))
                .collect::<Vec<_>>();
            (i, Pairs(pairs))
        })
        .filter(|(_, p)| p.0.iter().any(|(k, v)| k != "role" && !v.trim().is_empty()))
        .collect()
}

/// The guest fields of the held form, one value per row.
pub const GUEST_FIELDS: &[(&str, &str)] =
    &[("guest_name", "name"), ("guest_organisation", "organisation"), ("guest_title", "title"), ("guest_role", "role")];

/// The agenda fields of the held form, one value per row.
pub const AGENDA_FIELDS: &[(&str, &str)] =
    &[("agenda_title", "title"), ("agenda_presenter", "presenter"), ("agenda_minutes", "minutes")];

impl HeldData {
    /// Parses the held form. Times are read in the organising branch's zone; the activity must
    /// be over by `now` and start no earlier than `back_years` ago. Which members may be marked
    /// (that day's roster) is the service's check.
    pub fn parse(form: &Pairs, tz: Tz, now: DateTime<Utc>, back_years: u32) -> Result<HeldData, FieldErrors> {
        // The event form's fields, with the audience fixed to the holding branches (the roster is
        // theirs) and nothing about answers: nobody is asked anything.
        let mut event_form = Pairs(
            form.0
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "audience_kind" | "capacity" | "answer_deadline"))
                .cloned()
                .collect(),
        );
        event_form.0.push(("audience_kind".into(), "branches".into()));
        let mut e = FieldErrors::default();
        let event = EventData::parse(&event_form, tz).map_err(|errors| e.merge(errors)).ok();
        if let Some(ev) = &event {
            if ev.ends_at > now {
                e.add("ends_at", "held.not_over");
            }
            let earliest = earliest_day(now, tz, back_years);
            if ev.starts_at.with_timezone(&tz).date_naive() < earliest {
                e.add_msg("starts_at", Msg::new("held.too_old").arg("years", back_years));
            }
        }
        let mut marks = Vec::new();
        for (key, value) in &form.0 {
            let Some(id) = key.strip_prefix("att_") else { continue };
            if marks.len() >= MAX_CHOSEN {
                e.add("form", "field.too_many_chosen");
                break;
            }
            let Some(member_id) = id.parse::<i64>().ok().filter(|n| *n > 0) else {
                e.add("form", "held.not_on_roster");
                continue;
            };
            if marks.iter().any(|m: &GridLine| m.member_id == member_id) {
                continue;
            }
            let Some(attended) = Attended::parse(value) else {
                e.add(&mark_field(member_id), "field.choose_one");
                continue;
            };
            let reason = match optional_text(form.get(&reason_field(member_id)), LEAVE_REASON_MAX) {
                Ok(r) => r,
                Err(key) => {
                    e.add(&reason_field(member_id), key);
                    continue;
                }
            };
            let reason = if attended == Attended::Leave { reason } else { None };
            if attended == Attended::Leave && reason.is_none() {
                e.add(&reason_field(member_id), "held.reason_required");
            }
            marks.push(GridLine { member_id, attended, reason });
        }
        let guest_rows = rows(form, GUEST_FIELDS);
        if guest_rows.len() > MAX_GUESTS {
            e.add_msg("guests", Msg::new("held.too_many_rows").arg("max", MAX_GUESTS));
        }
        let mut guests = Vec::new();
        for (i, row) in guest_rows.iter().take(MAX_GUESTS) {
            match GuestData::parse(row) {
                Ok(g) => guests.push(g),
                Err(errors) => {
                    let first = ["name", "organisation", "title", "role"].iter().find_map(|f| errors.get(f));
                    e.add_msg(&format!("guest_{i}"), first.cloned().unwrap_or_else(|| Msg::new("field.required")));
                }
            }
        }
        let agenda_rows = rows(form, AGENDA_FIELDS);
        if agenda_rows.len() > MAX_AGENDA {
            e.add_msg("agenda", Msg::new("held.too_many_rows").arg("max", MAX_AGENDA));
        }
        let mut agenda = Vec::new();
        for (i, row) in agenda_rows.iter().take(MAX_AGENDA) {
            match AgendaData::parse(row) {
                Ok(a) => agenda.push(a),
                Err(errors) => {
                    let first = ["title", "presenter", "minutes"].iter().find_map(|f| errors.get(f));
                    e.add_msg(&format!("agenda_{i}"), first.cloned().unwrap_or_else(|| Msg::new("field.required")));
                }
            }
        }
        let non_voting = NonVotingForm {
            non_voting_count: form.get("non_voting_count").to_owned(),
            non_voting_approx: form.get("non_voting_approx").to_owned(),
            non_voting_note: form.get("non_voting_note").to_owned(),
        }
        .parse()
        .map_err(|errors| e.merge(errors))
        .ok();
        match (event, non_voting) {
            (Some(event), Some(non_voting)) if e.is_empty() => {
                Ok(HeldData { event, marks, guests, agenda, non_voting })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(extra: &[(&str, &str)]) -> Pairs {
        let mut p: Vec<(String, String)> = [
            ("kind", "branch_general_meeting"),
            ("title", "支部党员大会"),
            ("starts_at", "2025-06-24T14:30"),
            ("ends_at", "2025-06-24T16:30"),
            ("statuses", "full"),
            ("att_7", "present"),
            ("att_8", "leave"),
            ("reason_8", "出差"),
            ("att_9", "absent"),
            ("reason_9", "ignored"),
            ("guest_name", "王局长"),
            ("guest_organisation", "卫健委"),
            ("guest_title", "副局长"),
            ("guest_role", "leader"),
            ("guest_name", ""),
            ("guest_organisation", ""),
            ("guest_title", ""),
            ("guest_role", "non_voting"),
            ("agenda_title", "学习"),
            ("agenda_presenter", ""),
            ("agenda_minutes", "30"),
            ("non_voting_count", "50"),
            ("non_voting_approx", "1"),
            ("non_voting_note", "各会员单位党务工作者"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            p.retain(|(key, _)| key != k);
            p.push(((*k).to_owned(), (*v).to_owned()));
        }
        Pairs(p)
    }

    fn now() -> DateTime<Utc> {
        "2026-12-07T04:00:00Z".parse().expect("an instant")
    }

    #[test]
    fn a_held_form_reads_marks_guests_agenda_and_the_count() {
        let d = HeldData::parse(&form(&[]), chrono_tz::Asia::Shanghai, now(), 10).expect("valid");
        assert_eq!(d.marks.len(), 3);
        assert_eq!(d.marks[1], GridLine { member_id: 8, attended: Attended::Leave, reason: Some("出差".into()) });
        assert_eq!(d.marks[2].reason, None, "only leave keeps a reason");
        assert_eq!(d.guests.len(), 1, "an empty guest row is skipped");
        assert_eq!(d.agenda[0].minutes, Some(30));
        assert_eq!(
            d.non_voting,
            NonVotingCount { count: Some(50), approx: true, note: Some("各会员单位党务工作者".into()) }
        );
        assert_eq!(d.event.audience.kind, super::super::AudienceKind::Branches);
    }

    #[test]
    fn bad_held_forms_name_the_field() {
        let tz = chrono_tz::Asia::Shanghai;
        for (extra, field, key) in [
            (vec![("starts_at", "2026-12-24T14:30"), ("ends_at", "2026-12-24T16:30")], "ends_at", "held.not_over"),
            (vec![("starts_at", "2016-12-06T14:30"), ("ends_at", "2016-12-06T16:30")], "starts_at", "held.too_old"),
            (vec![("reason_8", " ")], "reason_8", "held.reason_required"),
            (vec![("att_7", "maybe")], "att_7", "field.choose_one"),
            (vec![("att_x", "present")], "form", "held.not_on_roster"),
            (vec![("guest_name", "")], "guest_0", "field.required"),
            (vec![("agenda_minutes", "-1")], "agenda_0", "field.must_be_positive"),
            (vec![("non_voting_count", "五十")], "non_voting_count", "non_voting.count_invalid"),
            (vec![("non_voting_note", &"人".repeat(101))], "non_voting_note", "field.too_long"),
        ] {
            let errors = HeldData::parse(&form(&extra), tz, now(), 10).expect_err("invalid");
            assert_eq!(errors.get(field).map(|m| m.key.as_str()), Some(key), "{extra:?}");
        }
        // Ten years back to the day is allowed.
        let ok = [("starts_at", "2016-12-07T09:00"), ("ends_at", "2016-12-07T10:00")];
        assert!(HeldData::parse(&form(&ok), tz, now(), 10).is_ok());
    }
}
