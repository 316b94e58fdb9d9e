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
        /// First published (kept through a withdrawal and republication: the page's order).
        pub published_at: Option<DateTimeUtc>,
        /// Saves so far: a save based on an older revision is refused.
        pub revision: i32,
        pub cover_photo_id: Option<i64>,
        /// The version the public pages show, as last published (None before the first
        /// publication): an edit waits beside it until it is published.
        pub published_title: Option<String>,
        pub published_author_department: Option<String>,
        pub published_shown_on: Option<Date>,
        pub published_summary: Option<String>,
        pub published_body: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// What happened to a report: the review's steps and every change after publication.
pub mod log {
    use sea_orm::entity::prelude::*;

    use crate::reports::rules::LogKind;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        pub at: DateTimeUtc,
        pub account_id: Option<i64>,
        pub kind: LogKind,
        /// The reviewer's comment, the reason of a withdrawal.
        pub note: Option<String>,
    }

    impl ActiveModelBehavior for ActiveModel {}
}

/// A report's photos, as stored: resized JPEG and thumbnail, no EXIF.
pub mod photo {
    use sea_orm::entity::prelude::*;

    #[sea_orm::model]
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "report_photos")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        pub caption: Option<String>,
        pub width: i32,
        pub height: i32,
        pub image: Vec<u8>,
        pub thumb: Vec<u8>,
        pub created_at: DateTimeUtc,
    }

    impl ActiveModelBehavior for ActiveModel {}
}
