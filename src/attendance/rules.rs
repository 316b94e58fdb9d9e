//! The words of attendance: answers, outcomes, check-in methods, and what the roster can mark.
use crate::forms::Choice;

/// What an invitee chooses (from the email's link or the web), or a secretary for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choose {
    Accept,
    Decline,
    Leave(String),
}

impl Choose {
    /// Reads a form's answer and reason; Err(field error key) for a leave without a reason.
    pub fn from_form(answer: &str, reason: &str) -> Result<Option<Choose>, &'static str> {
        Ok(match answer {
            "accept" => Some(Choose::Accept),
            "decline" => Some(Choose::Decline),
            "leave" => Some(Choose::Leave(leave_reason(reason)?)),
            _ => None,
        })
    }
}

/// A leave reason: one line of at most 500 characters (it is shown in lists, the sign-in sheet
/// and its CSV). Line breaks typed in the box become spaces; other control characters (NUL,
/// escape) are refused.
pub fn leave_reason(raw: &str) -> Result<String, &'static str> {
    if raw.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err("field.invalid_characters");
    }
    let line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.is_empty() || line.chars().count() > 500 { Err("answer.reason_required") } else { Ok(line) }
}

/// How a check-in was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Marked on the roster by the host, recorder or a secretary (walk-ins too).
    Roster,
    /// Scanned the event's QR code.
    Qr,
    /// Through the invitation's email link.
    Link,
}

impl Choice for Method {
    const ALL: &'static [Self] = &[Method::Roster, Method::Qr, Method::Link];
    fn key(self) -> &'static str {
        match self {
            Method::Roster => "roster",
            Method::Qr => "qr",
            Method::Link => "link",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            Method::Roster => "checkin.method_roster",
            Method::Qr => "checkin.method_qr",
            Method::Link => "checkin.method_link",
        }
    }
}

/// One tap on the roster. Excused and absent are corrections after the event was finalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Present,
    Late,
    LeftEarly,
    Excused,
    Absent,
    /// Takes a check-in back.
    Undo,
}

impl Mark {
    pub fn parse(s: &str) -> Option<Mark> {
        Some(match s {
            "present" => Mark::Present,
            "late" => Mark::Late,
            "left_early" => Mark::LeftEarly,
            "excused" => Mark::Excused,
            "absent" => Mark::Absent,
            "undo" => Mark::Undo,
            _ => return None,
        })
    }
}
