//! Who saw and exported members' personal data: one row per viewing of a member's record, export,
//! import, account change and administrator's sign-in, with snapshots of the names (entries
//! outlive the accounts and members they name) and the branch the entry concerns (secretaries
//! see their branches' entries). Deleted after `privacy.audit_keep_years` by housekeeping.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditEntries {
    Table,
    Id,
    At,
    Kind,
    ActorId,
    Actor,
    MemberId,
    MemberName,
    BranchId,
    Detail,
    Rows,
    Format,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        use AuditEntries as A;
        m.create_table(
            Table::create()
                .table(A::Table)
                .col(big_pk_auto(A::Id))
                .col(timestamp_with_time_zone(A::At))
                .col(string_len(A::Kind, 32))
                .col(big_integer_null(A::ActorId))
                .col(string_len(A::Actor, 400))
                .col(big_integer_null(A::MemberId))
                .col(string_len_null(A::MemberName, 200))
                .col(big_integer_null(A::BranchId))
                .col(string_len(A::Detail, 1000))
                .col(big_integer_null(A::Rows))
                .col(string_len_null(A::Format, 8))
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_audit_entries_at", A::At),
            ("idx_audit_entries_member", A::MemberId),
            ("idx_audit_entries_branch", A::BranchId),
            ("idx_audit_entries_actor", A::ActorId),
        ] {
            m.create_index(Index::create().name(name).table(A::Table).col(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditEntries::Table).to_owned()).await
    }
}
