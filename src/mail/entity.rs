//! The outbox (one row per message to send) and the answer-link tokens.
pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub kind: crate::mail::service::Kind,
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
        pub state: crate::mail::service::State,
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
