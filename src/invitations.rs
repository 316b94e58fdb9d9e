//! What events and attendance share about invitations, so that neither imports the other: the
//! answer and outcome words, the log of every change to an invitation, and the seats (capacity and
//! waitlist). Events change the capacity, attendance takes the answers; both fill free seats here.
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, QueryOrder, QuerySelect, Set, entity::prelude::*};

use crate::{
    events::{
        entity::{event, invitation},
        rules::GuestRole,
    },
    forms::Choice,
    mail::service as outbox,
};

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

/// Seats taken at an event (accepted answers), not counting the invitation `except`.
pub async fn seats_taken(db: &impl ConnectionTrait, event_id: i64, except: i64) -> Result<u64, DbErr> {
    invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event_id))
        .filter(invitation::Column::Answer.eq(Answer::Accepted))
        .filter(invitation::Column::Id.ne(except))
        .count(db)
        .await
}

/// Writes a line of an invitation's log.
pub async fn write_log(
    db: &impl ConnectionTrait,
    invitation_id: i64,
    what: &str,
    (old, new): (Option<&str>, Option<&str>),
    note: Option<&str>,
    by: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    log::ActiveModel {
        invitation_id: Set(invitation_id),
        what: Set(what.to_owned()),
        old_value: Set(old.map(str::to_owned)),
        new_value: Set(new.map(str::to_owned)),
        note: Set(note.map(|n| n.chars().take(500).collect())),
        by_account: Set(by),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Gives free seats to the waitlist in order and tells those promoted. Call with the event's
/// lock held (in the transaction that freed the seat or raised the capacity).
pub async fn promote(txn: &impl ConnectionTrait, e: &event::Model, now: DateTime<Utc>) -> Result<u64, DbErr> {
    let free = match e.capacity {
        Some(c) => (c.max(0) as u64).saturating_sub(seats_taken(txn, e.id, 0).await?),
        None => u64::MAX,
    };
    if free == 0 {
        return Ok(0);
    }
    let waiting = invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(e.id))
        .filter(invitation::Column::Answer.eq(Answer::Waitlisted))
        .order_by_asc(invitation::Column::AnsweredAt)
        .order_by_asc(invitation::Column::Id)
        .limit(free.min(10_000))
        .all(txn)
        .await?;
    let promoted = waiting.len() as u64;
    for inv in waiting {
        let mut m: invitation::ActiveModel = inv.clone().into();
        m.answer = Set(Answer::Accepted);
        m.update(txn).await?;
        let (old, new) = (Some(Answer::Waitlisted.key()), Some(Answer::Accepted.key()));
        write_log(txn, inv.id, "answer", (old, new), None, None, now).await?;
        outbox::queue_notice(txn, e, &inv, now).await?;
    }
    Ok(promoted)
}
