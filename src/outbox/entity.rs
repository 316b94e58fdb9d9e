//! The outbox (one row per message to send) and the answer-link tokens.
//! The kinds and states of messages live here, beside the columns that hold them (`crate::outbox`
//! re-exports them).
use sea_orm::entity::prelude::*;

/// What a message tells its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Kind {
    #[sea_orm(string_value = "invitation")]
    Invitation,
    #[sea_orm(string_value = "update")]
    Update,
    #[sea_orm(string_value = "cancellation")]
    Cancellation,
    /// Before the start, to those who accepted or have not answered.
    #[sea_orm(string_value = "reminder")]
    Reminder,
    /// Before the answer deadline, to those who have not answered.
    #[sea_orm(string_value = "deadline_reminder")]
    DeadlineReminder,
    /// A copy of the answer an invitee just gave.
    #[sea_orm(string_value = "answer_copy")]
    AnswerCopy,
    /// What a secretary decided (leave approved or rejected, an answer changed for them), or a
    /// seat given from the waitlist.
    #[sea_orm(string_value = "notice")]
    Notice,
    /// An event's locked minutes, to those who were present.
    #[sea_orm(string_value = "minutes")]
    Minutes,
    /// To the secretaries of the holding branches: Partyday drafted the event's activity report.
    #[sea_orm(string_value = "report_draft")]
    ReportDraft,
    /// The month's absence streaks, to secretaries and administrators (no event: its contents
    /// are on the row).
    #[sea_orm(string_value = "digest")]
    Digest,
    /// To those who write the minutes or the report: sent back, published, withdrawn, or
    /// minutes still unwritten (what it says is on the row).
    #[sea_orm(string_value = "work")]
    Work,
    /// A forgotten password's link, to the account's address (its token is made when sent).
    #[sea_orm(string_value = "password_reset")]
    PasswordReset,
    /// An invitation to open an account, to a member's address (its token is made when sent).
    #[sea_orm(string_value = "account_invitation")]
    AccountInvitation,
    /// The link that confirms a member's new address, to that address (made when sent).
    #[sea_orm(string_value = "email_confirm")]
    EmailConfirm,
    /// To a member's old address: a change of address was asked (its payload: the new one, masked).
    #[sea_orm(string_value = "email_changed")]
    EmailChanged,
}

impl Kind {
    /// A message to one person about their account or address, with no event
    /// (`mail::service::dispatch::personal` builds it).
    pub fn is_personal(self) -> bool {
        matches!(self, Kind::PasswordReset | Kind::AccountInvitation | Kind::EmailConfirm | Kind::EmailChanged)
    }

    /// Catalogue key of the kind's name, for the organisers' and administrators' pages.
    pub fn label_key(self) -> &'static str {
        match self {
            Kind::Invitation => "mail_kind.invitation",
            Kind::Update => "mail_kind.update",
            Kind::Cancellation => "mail_kind.cancellation",
            Kind::Reminder => "mail_kind.reminder",
            Kind::DeadlineReminder => "mail_kind.deadline_reminder",
            Kind::AnswerCopy => "mail_kind.answer_copy",
            Kind::Notice => "mail_kind.notice",
            Kind::Minutes => "mail_kind.minutes",
            Kind::ReportDraft => "mail_kind.report_draft",
            Kind::Digest => "mail_kind.digest",
            Kind::Work => "mail_kind.work",
            Kind::PasswordReset => "mail_kind.password_reset",
            Kind::AccountInvitation => "mail_kind.account_invitation",
            Kind::EmailConfirm => "mail_kind.email_confirm",
            Kind::EmailChanged => "mail_kind.email_changed",
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Kind::Invitation => "invitation",
            Kind::Update => "update",
            Kind::Cancellation => "cancellation",
            Kind::Reminder => "reminder",
            Kind::DeadlineReminder => "deadline_reminder",
            Kind::AnswerCopy => "answer_copy",
            Kind::Notice => "notice",
            Kind::Minutes => "minutes",
            Kind::ReportDraft => "report_draft",
            Kind::Digest => "digest",
            Kind::Work => "work",
            Kind::PasswordReset => "password_reset",
            Kind::AccountInvitation => "account_invitation",
            Kind::EmailConfirm => "email_confirm",
            Kind::EmailChanged => "email_changed",
        }
    }
}

/// Where a message stands. Stored as its key; a value that is none of these fails to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum State {
    /// Waiting to be sent (again, after a temporary failure).
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "sent")]
    Sent,
    /// Failed for good, or after the last attempt.
    #[sea_orm(string_value = "failed")]
    Failed,
}

impl State {
    /// Catalogue key of the state's name.
    pub fn label_key(self) -> &'static str {
        match self {
            State::Queued => "delivery.state_queued",
            State::Sent => "delivery.state_sent",
            State::Failed => "delivery.state_failed",
        }
    }
}

pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: crate::outbox::entity::Kind,
        pub event_id: Option<i64>,
        pub invitation_id: Option<i64>,
        pub recipient: String,
        pub recipient_name: String,
        pub locale: String,
        /// The event's iCalendar sequence when the message was queued.
        pub sequence: i32,
        /// (kind, invitation, sequence): a second row for the same message is never written.
        #[sea_orm(unique)]
        pub dedupe_key: String,
        #[sea_orm(unique)]
        pub message_id: String,
        pub state: crate::outbox::entity::State,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        /// A dispatcher's claim: until then no other dispatcher takes the row.
        pub claimed_until: Option<DateTimeUtc>,
        pub claim_token: Option<String>,
        pub sent_at: Option<DateTimeUtc>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
        /// What a message that speaks of no event says (the streak digest), as JSON.
        pub payload: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A token of an invitee's answer links, as its SHA-256: one per message that carries links.
pub mod invitation_token {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "invitation_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub invitation_id: i64,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
