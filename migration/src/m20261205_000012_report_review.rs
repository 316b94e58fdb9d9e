//! Activity reports, edited and reviewed: a revision number against silent overwrites, a cover
//! photo, the log of every step (submitted, returned, published, withdrawn, edited after
//! publication), the photos (stored resized, without their EXIF, in the database so that a
//! report and its pictures change in one transaction), and the author department and language of
//! reports as settings of the branch.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    State,
    BranchId,
    PublishedAt,
    UpdatedAt,
    Revision,
    CoverPhotoId,
}

#[derive(DeriveIden)]
enum ReportLog {
    Table,
    Id,
    ReportId,
    At,
    AccountId,
    Kind,
    Note,
}

#[derive(DeriveIden)]
enum ReportPhotos {
    Table,
    Id,
    ReportId,
    Caption,
    Width,
    Height,
    Image,
    Thumb,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Branches {
    Table,
    ReportAuthor,
    Locale,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds them one at a time.
        for col in [integer(Reports::Revision).default(0).to_owned(), big_integer_null(Reports::CoverPhotoId)] {
            m.alter_table(Table::alter().table(Reports::Table).add_column(col).to_owned()).await?;
        }
        for col in [string_len_null(Branches::ReportAuthor, 100), string_len_null(Branches::Locale, 8)] {
            m.alter_table(Table::alter().table(Branches::Table).add_column(col).to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(ReportLog::Table)
                .col(big_pk_auto(ReportLog::Id))
                .col(big_integer(ReportLog::ReportId))
                .col(timestamp_with_time_zone(ReportLog::At))
                .col(big_integer_null(ReportLog::AccountId))
                .col(string_len(ReportLog::Kind, 16))
                .col(text_null(ReportLog::Note))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_report_log_report")
                        .from(ReportLog::Table, ReportLog::ReportId)
                        .to(Reports::Table, Reports::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("idx_report_log_report").table(ReportLog::Table).col(ReportLog::ReportId).to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReportPhotos::Table)
                .col(big_pk_auto(ReportPhotos::Id))
                .col(big_integer(ReportPhotos::ReportId))
                .col(string_len_null(ReportPhotos::Caption, 200))
                .col(integer(ReportPhotos::Width))
                .col(integer(ReportPhotos::Height))
                .col(blob(ReportPhotos::Image))
                .col(blob(ReportPhotos::Thumb))
                .col(timestamp_with_time_zone(ReportPhotos::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_report_photos_report")
                        .from(ReportPhotos::Table, ReportPhotos::ReportId)
                        .to(Reports::Table, Reports::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_report_photos_report")
                .table(ReportPhotos::Table)
                .col(ReportPhotos::ReportId)
                .to_owned(),
        )
        .await?;
        // The public page's validator (the newest change among public reports) and its branch filter.
        m.create_index(
            Index::create()
                .name("idx_reports_state_updated")
                .table(Reports::Table)
                .col(Reports::State)
                .col(Reports::UpdatedAt)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_reports_state_branch_published")
                .table(Reports::Table)
                .col(Reports::State)
                .col(Reports::BranchId)
                .col(Reports::PublishedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ReportPhotos::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ReportLog::Table).to_owned()).await?;
        for idx in ["idx_reports_state_updated", "idx_reports_state_branch_published"] {
            m.drop_index(Index::drop().name(idx).table(Reports::Table).to_owned()).await?;
        }
        for col in [Branches::ReportAuthor, Branches::Locale] {
            m.alter_table(Table::alter().table(Branches::Table).drop_column(col).to_owned()).await?;
        }
        for col in [Reports::Revision, Reports::CoverPhotoId] {
            m.alter_table(Table::alter().table(Reports::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
