//! Activity reports (活动报道): one per event that publishes, drafted by the event clock when the
//! event ends (the unique event makes that exactly once, across restarts and instances). The
//! generated parts are kept beside what people edit, so that a later draft can show what changed.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Reports {
    Table,
    Id,
    EventId,
    BranchId,
    State,
    Title,
    AuthorDepartment,
    ShownOn,
    Summary,
    Body,
    Generated,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Branches {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Reports::Table)
                .col(big_pk_auto(Reports::Id))
                .col(big_integer_uniq(Reports::EventId))
                .col(big_integer(Reports::BranchId))
                .col(string_len(Reports::State, 16))
                .col(string_len(Reports::Title, 200))
                .col(string_len_null(Reports::AuthorDepartment, 100))
                .col(date(Reports::ShownOn))
                .col(text(Reports::Summary))
                .col(text(Reports::Body))
                .col(text(Reports::Generated))
                .col(timestamp_with_time_zone(Reports::CreatedAt))
                .col(timestamp_with_time_zone(Reports::UpdatedAt))
                .col(timestamp_with_time_zone_null(Reports::PublishedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_reports_event")
                        .from(Reports::Table, Reports::EventId)
                        .to(Events::Table, Events::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_reports_branch")
                        .from(Reports::Table, Reports::BranchId)
                        .to(Branches::Table, Branches::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        // The public page lists published reports newest first.
        m.create_index(
            Index::create()
                .name("idx_reports_state_published")
                .table(Reports::Table)
                .col(Reports::State)
                .col(Reports::PublishedAt)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Reports::Table).to_owned()).await
    }
}
