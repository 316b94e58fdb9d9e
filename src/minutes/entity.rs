//! Tables of the minutes domain.

/// One record per event (created when someone who may write it first opens it).
pub mod minutes {
    use sea_orm::entity::prelude::*;

    use crate::minutes::rules::MinutesState;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "minutes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub event_id: i64,
        pub state: MinutesState,
        /// Raised by every save: edit forms carry it back, and a save based on an older one is refused.
        pub revision: i32,
        /// The body as JSON (`rules::Body`).
        pub body: String,
        /// The attendance roll as JSON (`service::Roll`), frozen when first submitted; live until then.
        pub roll: Option<String>,
        pub host_signed_by: Option<i64>,
        pub host_signed_at: Option<DateTimeUtc>,
        pub recorder_signed_by: Option<i64>,
        pub recorder_signed_at: Option<DateTimeUtc>,
        /// A signature on behalf (代签): the host it was given for, by name as it stood; the
        /// signer is `host_signed_by`. None: the host's own signature (or none yet).
        pub host_signed_for: Option<String>,
        /// Likewise for the recorder.
        pub recorder_signed_for: Option<String>,
        /// When it was last locked (kept through an amendment: the roll stays frozen).
        pub locked_at: Option<DateTimeUtc>,
        /// While an amendment is in progress: the revision last signed and locked, which stays the
        /// record (for members, print, Word, the year's archive, mail and reports) until the
        /// amendment is signed and locked, with its body and signatures as they were (the
        /// `signed_*` columns). None otherwise: a locked record is its own signed revision.
        pub signed_revision: Option<i32>,
        pub signed_body: Option<String>,
        pub signed_host_by: Option<i64>,
        pub signed_host_at: Option<DateTimeUtc>,
        pub signed_host_for: Option<String>,
        pub signed_recorder_by: Option<i64>,
        pub signed_recorder_at: Option<DateTimeUtc>,
        pub signed_recorder_for: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every saved revision of a record's body, with who saved it and, for amendments, why.
pub mod revision {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "minutes_revisions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub minutes_id: i64,
        pub revision: i32,
        pub body: String,
        pub reason: Option<String>,
        pub by_account: Option<i64>,
        pub at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// The workflow of a record: submitted, returned (with the comment), signed, locked, amended, sent.
pub mod log {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "minutes_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub minutes_id: i64,
        pub kind: super::LogKind,
        pub revision: i32,
        pub note: Option<String>,
        pub by_account: Option<i64>,
        pub at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

use sea_orm::entity::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum LogKind {
    #[sea_orm(string_value = "submitted")]
    Submitted,
    #[sea_orm(string_value = "returned")]
    Returned,
    #[sea_orm(string_value = "signed_host")]
    SignedHost,
    #[sea_orm(string_value = "signed_recorder")]
    SignedRecorder,
    /// Signed for the host by someone else (a secretary), marked as such; the note names the host.
    #[sea_orm(string_value = "signed_host_for")]
    SignedHostFor,
    #[sea_orm(string_value = "signed_rec_for")]
    SignedRecorderFor,
    #[sea_orm(string_value = "locked")]
    Locked,
    #[sea_orm(string_value = "amended")]
    Amended,
    #[sea_orm(string_value = "sent")]
    Sent,
}

impl LogKind {
    pub fn label_key(self) -> &'static str {
        match self {
            LogKind::Submitted => "minutes_log.submitted",
            LogKind::Returned => "minutes_log.returned",
            LogKind::SignedHost => "minutes_log.signed_host",
            LogKind::SignedRecorder => "minutes_log.signed_recorder",
            LogKind::SignedHostFor => "minutes_log.signed_host_for",
            LogKind::SignedRecorderFor => "minutes_log.signed_recorder_for",
            LogKind::Locked => "minutes_log.locked",
            LogKind::Amended => "minutes_log.amended",
            LogKind::Sent => "minutes_log.sent",
        }
    }
}
