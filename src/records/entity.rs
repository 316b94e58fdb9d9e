//! The records domain's tables: settings administrators change, exemptions from required
//! meetings, and the months whose streak digest was queued.

/// A setting of the records (the meetings required per type, the streak thresholds): rows
/// override the defaults.
pub mod setting {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "record_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub value: String,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A branch excused from a required meeting for one stretch of the grid (the stretch's first day).
pub mod exemption {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "compliance_exemptions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub branch_id: i64,
        pub kind: crate::events::rules::EventKind,
        pub starts_on: Date,
        pub reason: String,
        pub account_id: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// An exemption as it was when withdrawn, with who withdrew it and when.
pub mod withdrawal {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "exemption_withdrawals")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub branch_id: i64,
        pub kind: crate::events::rules::EventKind,
        pub starts_on: Date,
        pub reason: String,
        pub granted_by: Option<i64>,
        pub granted_at: DateTimeUtc,
        pub withdrawn_by: Option<i64>,
        pub withdrawn_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A month whose streak digest was queued.
pub mod digest_run {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "digest_runs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: String,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
