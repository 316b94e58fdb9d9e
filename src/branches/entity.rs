//! Tables of the branches domain.

pub mod branch {
    use sea_orm::entity::prelude::*;

    use crate::branches::rules::BranchKind;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "branches")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub parent_id: Option<i64>,
        pub kind: BranchKind,
        pub name: String,
        #[sea_orm(unique)]
        pub code: String,
        pub timezone: String,
        pub contact_person: Option<String>,
        pub contact_phone: Option<String>,
        pub contact_email: Option<String>,
        pub address: Option<String>,
        /// "Author:" on the branch's activity reports (e.g. 党群服务与组织管理).
        pub report_author: Option<String>,
        /// The language its activity reports are drafted in (None: the association's default).
        pub locale: Option<String>,
        pub closed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// The branch's time zone: wall-clock times of its events are in it.
        pub fn tz(&self) -> chrono_tz::Tz {
            crate::branches::rules::zone(&self.timezone)
        }
    }
}

pub mod officer {
    use sea_orm::entity::prelude::*;

    use crate::branches::rules::OfficerRole;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "branch_officers")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub branch_id: i64,
        pub member_id: i64,
        pub role: OfficerRole,
        pub from_on: Date,
        pub until_on: Option<Date>,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}

    impl Model {
        /// Whether the term covers `day` (the last day of a term still counts).
        pub fn serves_on(&self, day: Date) -> bool {
            self.from_on <= day && self.until_on.is_none_or(|u| u >= day)
        }
    }
}
