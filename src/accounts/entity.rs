//! Tables of the accounts domain, as sea-orm entities. Behaviour lives in `service.rs`.

pub mod account {
    use sea_orm::entity::prelude::*;

    use crate::actor::Role;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "accounts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub email: String,
        pub display_name: String,
        pub password_hash: String,
        pub role: Role,
        pub locale: Option<String>,
        pub must_change_password: bool,
        pub member_id: Option<i64>,
        pub disabled_at: Option<DateTimeUtc>,
        pub last_login_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        #[sea_orm(has_many)]
        pub sessions: HasMany<super::session::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}

    /// The edit form as it opens for an account.
    impl From<&Model> for crate::accounts::rules::AccountUpdateForm {
        fn from(a: &Model) -> Self {
            Self { email: a.email.clone(), display_name: a.display_name.clone(), role: a.role.as_str().to_owned() }
        }
    }
}

pub mod session {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        /// SHA-256 (hex) of the session cookie's token.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub account_id: i64,
        pub created_at: DateTimeUtc,
        pub last_seen_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        #[sea_orm(belongs_to, from = "account_id", to = "id")]
        pub account: BelongsTo<super::account::Entity>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod login_failure {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "login_failures")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub scope_key: String,
        pub failed_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A forgotten password's one-use link, by the SHA-256 of its token.
pub mod password_reset {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "password_resets")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub token_hash: String,
        pub account_id: i64,
        pub created_at: DateTimeUtc,
        pub expires_at: DateTimeUtc,
        pub used_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// An invitation of a member to open their account (`service::welcome`).
pub mod invitation {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "account_invitations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub member_id: i64,
        /// The address invited: the link works only while it is still the member's.
        pub email: String,
        pub invited_by: Option<i64>,
        pub created_at: DateTimeUtc,
        /// SHA-256 of the link's token, made when the message is sent.
        pub token_hash: Option<String>,
        pub expires_at: Option<DateTimeUtc>,
        pub used_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
