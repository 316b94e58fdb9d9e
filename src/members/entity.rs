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

    impl From<&Model> for crate::members::rules::MemberForm {
        /// The form as the edit page shows it for a member.
        fn from(m: &Model) -> Self {
            use crate::forms::Choice;
            let text = |o: &Option<String>| o.clone().unwrap_or_default();
            let date = |d: &Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
            Self {
                branch_id: m.branch_id.to_string(),
                group_id: m.group_id.map(|g| g.to_string()).unwrap_or_default(),
                name: m.name.clone(),
                gender: text(&m.gender),
                birth_date: date(&m.birth_date),
                phone: text(&m.phone),
                email: text(&m.email),
                unit: text(&m.unit),
                post: text(&m.post),
                political_status: m.political_status.key().to_owned(),
                joined_party_on: date(&m.joined_party_on),
                full_member_on: date(&m.full_member_on),
                locale: text(&m.locale),
                notes: text(&m.notes),
            }
        }
    }
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

/// A member's new email address waiting for its confirmation (`service::email`).
pub mod email_change {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "email_changes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub member_id: i64,
        pub new_email: String,
        pub created_at: DateTimeUtc,
        /// SHA-256 of the link's token, made when the message is sent.
        pub token_hash: Option<String>,
        pub expires_at: Option<DateTimeUtc>,
        pub used_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
