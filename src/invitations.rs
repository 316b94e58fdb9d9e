//! The words of invitations, below events and attendance: answers, outcomes, the roles people
//! are invited in, the log of every change to an invitation, and the pure rules on them. The
//! entities of events store them; the seats (capacity, waitlist) and the log's writing are in
//! `events::service::seats`, which attendance calls too.

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;

use crate::forms::Choice;

/// An invitee's answer. Leave requests are decided by a secretary; acceptances beyond the
/// capacity wait in order for a seat.
/// Stored as its key; a value the database holds that is none of these fails to read rather than
/// passing for another answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    #[sea_orm(string_value = "pending")]
    Pending,
    #[sea_orm(string_value = "accepted")]
    Accepted,
    #[sea_orm(string_value = "declined")]
    Declined,
    #[sea_orm(string_value = "leave_requested")]
    LeaveRequested,
    #[sea_orm(string_value = "leave_approved")]
    LeaveApproved,
    #[sea_orm(string_value = "leave_rejected")]
    LeaveRejected,
    #[sea_orm(string_value = "waitlisted")]
    Waitlisted,
}

impl Choice for Answer {
    const ALL: &'static [Self] = &[
        Answer::Pending,
        Answer::Accepted,
        Answer::Declined,
        Answer::LeaveRequested,
        Answer::LeaveApproved,
        Answer::LeaveRejected,
        Answer::Waitlisted,
    ];
    fn key(self) -> &'static str {
        match self {
            Answer::Pending => "pending",
            Answer::Accepted => "accepted",
            Answer::Declined => "declined",
            Answer::LeaveRequested => "leave_requested",
            Answer::LeaveApproved => "leave_approved",
            Answer::LeaveRejected => "leave_rejected",
            Answer::Waitlisted => "waitlisted",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            Answer::Pending => "answer.state_pending",
            Answer::Accepted => "answer.state_accepted",
            Answer::Declined => "answer.state_declined",
            Answer::LeaveRequested => "answer.state_leave_requested",
            Answer::LeaveApproved => "answer.state_leave_approved",
            Answer::LeaveRejected => "answer.state_leave_rejected",
            Answer::Waitlisted => "answer.state_waitlisted",
        }
    }
}

impl Answer {
    /// A leave request, whether decided or not.
    pub fn is_leave(self) -> bool {
        matches!(self, Answer::LeaveRequested | Answer::LeaveApproved | Answer::LeaveRejected)
    }
}

/// How the attendance of an event turned out for one person.
/// Stored as its key, like [`Answer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[sea_orm(string_value = "present")]
    Present,
    #[sea_orm(string_value = "late")]
    Late,
    #[sea_orm(string_value = "excused")]
    Excused,
    #[sea_orm(string_value = "absent")]
    Absent,
}

impl Choice for Outcome {
    const ALL: &'static [Self] = &[Outcome::Present, Outcome::Late, Outcome::Excused, Outcome::Absent];
    fn key(self) -> &'static str {
        match self {
            Outcome::Present => "present",
            Outcome::Late => "late",
            Outcome::Excused => "excused",
            Outcome::Absent => "absent",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            Outcome::Present => "outcome.present",
            Outcome::Late => "outcome.late",
            Outcome::Excused => "outcome.excused",
            Outcome::Absent => "outcome.absent",
        }
    }
}

impl Outcome {
    /// Came (on time or late).
    pub fn attended(self) -> bool {
        matches!(self, Outcome::Present | Outcome::Late)
    }
}

/// Why someone is on an event's list: a member of its audience (expected, 应到), or a guest in
/// one of the guest roles (members of other branches who walk in come as non-voting attendees).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    #[sea_orm(string_value = "member")]
    Member,
    #[sea_orm(string_value = "non_voting")]
    NonVoting,
    #[sea_orm(string_value = "guest_speaker")]
    GuestSpeaker,
    #[sea_orm(string_value = "leader")]
    Leader,
}

impl Choice for Role {
    const ALL: &'static [Self] = &[Role::Member, Role::NonVoting, Role::GuestSpeaker, Role::Leader];
    fn key(self) -> &'static str {
        match self {
            Role::Member => "member",
            Role::NonVoting => GuestRole::NonVoting.key(),
            Role::GuestSpeaker => GuestRole::GuestSpeaker.key(),
            Role::Leader => GuestRole::Leader.key(),
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            Role::Member => "sheet.role_member",
            Role::NonVoting => GuestRole::NonVoting.label_key(),
            Role::GuestSpeaker => GuestRole::GuestSpeaker.label_key(),
            Role::Leader => GuestRole::Leader.label_key(),
        }
    }
}

impl From<GuestRole> for Role {
    fn from(r: GuestRole) -> Role {
        match r {
            GuestRole::NonVoting => Role::NonVoting,
            GuestRole::GuestSpeaker => Role::GuestSpeaker,
            GuestRole::Leader => Role::Leader,
        }
    }
}

/// The role a guest (not a member) is invited in: 列席 (non-voting), a speaker, a leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum GuestRole {
    /// 列席
    #[sea_orm(string_value = "non_voting")]
    NonVoting,
    #[sea_orm(string_value = "guest_speaker")]
    GuestSpeaker,
    #[sea_orm(string_value = "leader")]
    Leader,
}

impl Choice for GuestRole {
    const ALL: &'static [Self] = &[GuestRole::NonVoting, GuestRole::GuestSpeaker, GuestRole::Leader];
    fn key(self) -> &'static str {
        match self {
            GuestRole::NonVoting => "non_voting",
            GuestRole::GuestSpeaker => "guest_speaker",
            GuestRole::Leader => "leader",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            GuestRole::NonVoting => "guest_role.non_voting",
            GuestRole::GuestSpeaker => "guest_role.guest_speaker",
            GuestRole::Leader => "guest_role.leader",
        }
    }
}

/// The log of invitations: every answer, leave decision, check-in and correction, with who and when.
pub mod log {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attendance_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub invitation_id: i64,
        /// answer | leave | checkin | outcome | makeup
        pub what: String,
        pub old_value: Option<String>,
        pub new_value: Option<String>,
        pub note: Option<String>,
        /// The account that made the change; none when the invitee did it through their link.
        pub by_account: Option<i64>,
        pub at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// Answers are taken until the deadline, or the start when there is none.
pub fn closes_at(answer_deadline: Option<DateTime<Utc>>, starts_at: DateTime<Utc>) -> DateTime<Utc> {
    answer_deadline.unwrap_or(starts_at)
}

/// Catalogue key of an answer as people read it: whoever checked in is attending, whatever
/// they answered before.
pub fn shown_answer(answer: Answer, checked_in: bool) -> &'static str {
    if checked_in { "answer.checked_in" } else { answer.label_key() }
}
