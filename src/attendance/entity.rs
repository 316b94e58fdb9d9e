//! The attendance log: every answer, leave decision, check-in and correction, with who and when.
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
