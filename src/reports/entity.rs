//! Tables of the reports domain.

/// One report per event that publishes, drafted when the event ends.
pub mod report {
    use sea_orm::entity::prelude::*;

    use crate::reports::rules::ReportState;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reports")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub event_id: i64,
        /// The organising branch (the Activities page filters by it).
        pub branch_id: i64,
        pub state: ReportState,
        pub title: String,
        /// "Author:" on the post (a setting of the branch, editable per report).
        pub author_department: Option<String>,
        /// "Addtime:" on the post: the event's day in its branch's zone.
        pub shown_on: Date,
        /// The lead: the excerpt on the Activities page.
        pub summary: String,
        /// Markdown.
        pub body: String,
        /// The generated parts as last generated (`rules::Draft` as JSON).
        pub generated: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
