//! The non-voting attendees (列席) of an activity counted rather than named: how many, whether
//! the number is approximate ("50余人") or exact ("12人"), and who they were ("各会员单位党务
//! 工作者"), as those who run it record them on the attendance page.
use std::fmt;

use serde::Deserialize;

use crate::{
    events::entity::event,
    forms::{FieldErrors, optional_text},
};

/// More than any hall holds: a count beyond it is a typing error.
pub const MAX_COUNT: u32 = 100_000;
pub const NOTE_MAX: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NonVotingCount {
    /// None: not counted.
    pub count: Option<u32>,
    /// "50余人": at least this many.
    pub approx: bool,
    pub note: Option<String>,
}

impl NonVotingCount {
    pub fn of(e: &event::Model) -> Self {
        NonVotingCount {
            count: e.non_voting_count.and_then(|n| u32::try_from(n).ok()),
            approx: e.non_voting_approx,
            note: e.non_voting_note.clone(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.count.is_none() && self.note.is_none()
    }
}

/// For the event's history, in either language: "各会员单位党务工作者 · 50+".
impl fmt::Display for NonVotingCount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.count.map(|n| format!("{n}{}", if self.approx { "+" } else { "" }));
        let parts: Vec<&str> = [self.note.as_deref(), count.as_deref()].into_iter().flatten().collect();
        if parts.is_empty() { f.write_str("—") } else { f.write_str(&parts.join(" · ")) }
    }
}

/// The form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NonVotingForm {
    pub non_voting_count: String,
    /// A checkbox: "1" when ticked.
    pub non_voting_approx: String,
    pub non_voting_note: String,
}

impl NonVotingForm {
    pub fn of(c: &NonVotingCount) -> Self {
        NonVotingForm {
            non_voting_count: c.count.map(|n| n.to_string()).unwrap_or_default(),
            non_voting_approx: if c.approx { "1".to_owned() } else { String::new() },
            non_voting_note: c.note.clone().unwrap_or_default(),
        }
    }

    pub fn parse(&self) -> Result<NonVotingCount, FieldErrors> {
        let mut e = FieldErrors::default();
        let count = match self.non_voting_count.trim() {
            "" => Some(None),
            s => match s.parse::<u32>() {
                Ok(n) if n <= MAX_COUNT => Some(Some(n)),
                _ => {
                    e.add("non_voting_count", "non_voting.count_invalid");
                    None
                }
            },
        };
        let note = e.check("non_voting_note", optional_text(&self.non_voting_note, NOTE_MAX));
        match (count, note) {
            (Some(count), Some(note)) if e.is_empty() => {
                Ok(NonVotingCount { count, approx: count.is_some() && !self.non_voting_approx.is_empty(), note })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn form(count: &str, approx: &str, note: &str) -> NonVotingForm {
        NonVotingForm { non_voting_count: count.into(), non_voting_approx: approx.into(), non_voting_note: note.into() }
    }

    #[test]
    fn counts_parse_with_their_note_and_bad_ones_say_which_field() {
        let c = form(" 50 ", "1", " 各会员单位党务工作者 ").parse().unwrap();
        assert_eq!(c, NonVotingCount { count: Some(50), approx: true, note: Some("各会员单位党务工作者".into()) });
        assert_eq!(c.to_string(), "各会员单位党务工作者 · 50+");
        assert_eq!(NonVotingForm::of(&c).parse().unwrap(), c, "the form shows what was saved");
        let none = form("", "1", "").parse().unwrap();
        assert!(none.is_empty() && !none.approx, "no count, nothing approximate");
        for bad in ["-1", "5.5", "五十", "100001"] {
            let errors = form(bad, "", "").parse().unwrap_err();
            assert!(errors.get("non_voting_count").is_some(), "{bad}");
        }
        let errors = form("3", "", &"字".repeat(NOTE_MAX + 1)).parse().unwrap_err();
        assert!(errors.get("non_voting_note").is_some() && errors.get("non_voting_count").is_none());
    }
}
