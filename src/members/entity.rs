//! Tables of the members domain.

pub mod member {
    use sea_orm::entity::prelude::*;

    use crate::members::rules::{MembershipState, PoliticalStatus};

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "members")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub branch_id: i64,
        pub group_id: Option<i64>,
        pub name: String,
        pub gender: Option<String>,
        pub birth_date: Option<Date>,
        #[sea_orm(unique)]
        pub phone: Option<String>,
        #[sea_orm(unique)]
        pub email: Option<String>,
        pub unit: Option<String>,
        pub post: Option<String>,
        pub political_status: PoliticalStatus,
        pub joined_party_on: Option<Date>,
        pub full_member_on: Option<Date>,
        pub state: MembershipState,
        pub state_reason: Option<String>,
        pub locale: Option<String>,
        pub notes: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        #[sea_orm(belongs_to, from = "branch_id", to = "id")]
        pub branch: BelongsTo<crate::branches::entity::branch::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A stretch of time a member belonged to a branch: [from_on, until_on). The roster of a
/// branch on a day is the members with a period covering that day.
pub mod period {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "member_periods")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub member_id: i64,
        pub branch_id: i64,
        pub from_on: Date,
        pub until_on: Option<Date>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// Dated changes shown on a member's profile.
pub mod history {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "member_history")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub member_id: i64,
        /// joined | status | transfer | state | group
        pub kind: String,
        pub effective_on: Date,
        pub from_value: Option<String>,
        pub to_value: Option<String>,
        pub note: Option<String>,
        pub account_id: Option<i64>,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
