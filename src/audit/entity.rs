//! The audit domain's table.
use sea_orm::entity::prelude::*;

/// What an entry records. Stored as its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Kind {
    /// A member's roster record (`/members/{id}`): phone, birth date, political status.
    #[sea_orm(string_value = "member_viewed")]
    MemberViewed,
    /// A member's participation record (`/records/members/{id}`).
    #[sea_orm(string_value = "record_viewed")]
    RecordViewed,
    #[sea_orm(string_value = "members_exported")]
    MembersExported,
    /// A participation table, an attendance sheet or a ledger as a file.
    #[sea_orm(string_value = "records_exported")]
    RecordsExported,
    #[sea_orm(string_value = "members_imported")]
    MembersImported,
    #[sea_orm(string_value = "account_created")]
    AccountCreated,
    #[sea_orm(string_value = "account_role_changed")]
    AccountRoleChanged,
    /// An administrator changed the address an account signs in with.
    #[sea_orm(string_value = "account_email_changed")]
    AccountEmailChanged,
    #[sea_orm(string_value = "account_disabled")]
    AccountDisabled,
    #[sea_orm(string_value = "account_enabled")]
    AccountEnabled,
    /// A password set by an administrator, or by its owner through a reset link.
    #[sea_orm(string_value = "password_reset")]
    PasswordReset,
    #[sea_orm(string_value = "invitation_sent")]
    InvitationSent,
    #[sea_orm(string_value = "admin_signed_in")]
    AdminSignedIn,
    /// This log as a file.
    #[sea_orm(string_value = "audit_exported")]
    AuditExported,
}

impl Kind {
    /// Catalogue key of the kind's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Kind::MemberViewed => "audit.kind_member_viewed",
            Kind::RecordViewed => "audit.kind_record_viewed",
            Kind::MembersExported => "audit.kind_members_exported",
            Kind::RecordsExported => "audit.kind_records_exported",
            Kind::MembersImported => "audit.kind_members_imported",
            Kind::AccountCreated => "audit.kind_account_created",
            Kind::AccountRoleChanged => "audit.kind_account_role_changed",
            Kind::AccountEmailChanged => "audit.kind_account_email_changed",
            Kind::AccountDisabled => "audit.kind_account_disabled",
            Kind::AccountEnabled => "audit.kind_account_enabled",
            Kind::PasswordReset => "audit.kind_password_reset",
            Kind::InvitationSent => "audit.kind_invitation_sent",
            Kind::AdminSignedIn => "audit.kind_admin_signed_in",
            Kind::AuditExported => "audit.kind_audit_exported",
        }
    }
}

pub mod entry {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_entries")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub at: DateTimeUtc,
        pub kind: super::Kind,
        /// The account that acted (none: the operator's command line).
        pub actor_id: Option<i64>,
        /// Its name and address when it acted.
        pub actor: String,
        /// The member concerned, with their name then.
        pub member_id: Option<i64>,
        pub member_name: Option<String>,
        /// The branch the entry concerns: a member's branch, an export's or import's branch.
        pub branch_id: Option<i64>,
        /// The page or file asked for, with its filter (a local path and query), or what changed.
        pub detail: String,
        pub rows: Option<i64>,
        /// csv | xlsx | docx
        pub format: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
