//! Tables of the events domain.

pub mod event {
    use sea_orm::entity::prelude::*;

    use crate::events::rules::{AudienceKind, EventKind, EventState};

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The organising branch (it is also in `event_units`, with the co-organisers).
        pub branch_id: i64,
        pub kind: EventKind,
        pub title: String,
        pub topic: Option<String>,
        /// Markdown, rendered safely on the event page.
        pub description: String,
        pub starts_at: DateTimeUtc,
        pub ends_at: DateTimeUtc,
        pub location: Option<String>,
        pub host_member_id: Option<i64>,
        pub host_guest_name: Option<String>,
        pub recorder_member_id: Option<i64>,
        pub audience_kind: AudienceKind,
        pub audience_group_id: Option<i64>,
        /// Political status keys, comma-separated.
        pub audience_statuses: String,
        pub capacity: Option<i32>,
        pub answer_deadline: Option<DateTimeUtc>,
        pub state: EventState,
        pub cancel_reason: Option<String>,
        pub series_id: Option<i64>,
        /// Changed by itself: series edits leave it alone.
        pub edited_by_hand: bool,
        /// The iCalendar SEQUENCE: raised by every change of a scheduled event.
        pub sequence: i32,
        /// Raised by every write of this row (`service::save`): edit forms carry it back.
        pub revision: i32,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// When the event clock ended the event and settled its attendance (once).
        pub finalised_at: Option<DateTimeUtc>,
        /// Non-voting attendees (列席) counted rather than named: how many, whether the number is
        /// approximate ("50余人"), and who they were ("各会员单位党务工作者").
        pub non_voting_count: Option<i32>,
        pub non_voting_approx: bool,
        pub non_voting_note: Option<String>,
        #[sea_orm(belongs_to, from = "branch_id", to = "id")]
        pub branch: BelongsTo<crate::branches::entity::branch::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A branch holding an event: its organiser, or a co-organiser.
pub mod unit {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_units")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub branch_id: i64,
        pub organiser: bool,
        /// False while a co-organiser named by someone who does not manage it has not accepted:
        /// it holds nothing yet (no invitations, no access for its secretaries beyond answering).
        pub accepted: bool,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A member picked by hand for an event's audience.
pub mod pick {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_picks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: i64,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod guest {
    use sea_orm::entity::prelude::*;

    use crate::events::rules::GuestRole;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_guests")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: i64,
        pub name: String,
        pub organisation: Option<String>,
        pub title: Option<String>,
        pub email: Option<String>,
        pub phone: Option<String>,
        pub role: GuestRole,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod agenda {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "agenda_items")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: i64,
        pub position: i32,
        pub title: String,
        pub presenter: Option<String>,
        pub minutes: Option<i32>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod attachment {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_attachments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: i64,
        pub file_name: String,
        pub content_type: String,
        pub size: i64,
        /// The file's name under the data directory: random, never derived from the upload.
        pub stored_name: String,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// Who changed a scheduled event, when, and how.
pub mod change {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_changes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: i64,
        /// scheduled | time | place | audience | details | cancelled
        pub kind: String,
        pub summary: String,
        pub sequence: i32,
        pub account_id: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod series {
    use sea_orm::entity::prelude::*;

    use crate::events::rules::EventKind;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_series")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub branch_id: i64,
        /// [`crate::events::rules::series::SeriesRule`] in its stored form.
        pub rule: String,
        pub kind: EventKind,
        pub title: String,
        pub topic: Option<String>,
        pub description: String,
        /// Local start time, "HH:MM", in the branch's zone.
        pub start_time: String,
        pub minutes: i32,
        pub location: Option<String>,
        pub audience_statuses: String,
        pub created_by: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// One row per invitee per event (a member, or one of the event's guests). Answers and
/// attendance extend it.
pub mod invitation {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "invitations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub event_id: i64,
        pub member_id: Option<i64>,
        pub guest_id: Option<i64>,
        pub role: crate::invitations::Role,
        pub answer: crate::invitations::Answer,
        pub answered_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        /// Why the invitee asks for leave.
        pub leave_reason: Option<String>,
        /// The secretary's note on the leave decision, who decided and when.
        pub leave_note: Option<String>,
        pub leave_decided_by: Option<i64>,
        pub leave_decided_at: Option<DateTimeUtc>,
        /// Added at the event, not invited beforehand.
        pub walk_in: bool,
        pub checked_in_at: Option<DateTimeUtc>,
        /// roster | qr | link
        pub checkin_method: Option<String>,
        /// Empty until checked in or finalised.
        pub outcome: Option<crate::invitations::Outcome>,
        pub left_early: bool,
        pub makeup_required: bool,
        pub makeup_done_on: Option<Date>,
        pub makeup_note: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    /// The join from an invitation to its event (`.rev()` from the event to its invitations).
    pub fn to_event() -> RelationDef {
        Entity::belongs_to(super::event::Entity).from(Column::EventId).to(super::event::Column::Id).into()
    }

    /// The join from an invitation to its member.
    pub fn to_member() -> RelationDef {
        Entity::belongs_to(crate::members::entity::member::Entity)
            .from(Column::MemberId)
            .to(crate::members::entity::member::Column::Id)
            .into()
    }
}

/// A private calendar subscription: a member's events, or a branch's.
pub mod feed {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "calendar_feeds")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub token_hash: String,
        pub member_id: Option<i64>,
        pub branch_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
