//! The organisation tree, its officers, the member roster with membership periods and history,
//! the account ↔ member link, and member search indexes (FTS5 trigram on SQLite, pg_trgm on
//! PostgreSQL).
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Branches {
    Table,
    Id,
    ParentId,
    Kind,
    Name,
    Code,
    Timezone,
    ContactPerson,
    ContactPhone,
    ContactEmail,
    Address,
    ClosedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    BranchId,
    GroupId,
    Name,
    Gender,
    BirthDate,
    Phone,
    Email,
    Unit,
    Post,
    PoliticalStatus,
    JoinedPartyOn,
    FullMemberOn,
    State,
    StateReason,
    Locale,
    Notes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MemberPeriods {
    Table,
    Id,
    MemberId,
    BranchId,
    FromOn,
    UntilOn,
}

#[derive(DeriveIden)]
enum MemberHistory {
    Table,
    Id,
    MemberId,
    Kind,
    EffectiveOn,
    FromValue,
    ToValue,
    Note,
    AccountId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum BranchOfficers {
    Table,
    Id,
    BranchId,
    MemberId,
    Role,
    FromOn,
    UntilOn,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
    MemberId,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).to_owned()
}

async fn index(m: &SchemaManager<'_>, name: &str, table: impl IntoIden, cols: Vec<impl IntoIden>) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for c in cols {
        stmt.col(c);
    }
    m.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let backend = m.get_database_backend();
        m.create_table(
            Table::create()
                .table(Branches::Table)
                .col(big_pk_auto(Branches::Id))
                .col(big_integer_null(Branches::ParentId))
                .col(string_len(Branches::Kind, 16))
                .col(string_len(Branches::Name, 100))
                .col(string_len_uniq(Branches::Code, 32))
                .col(string_len(Branches::Timezone, 64))
                .col(string_len_null(Branches::ContactPerson, 50))
                .col(string_len_null(Branches::ContactPhone, 20))
                .col(string_len_null(Branches::ContactEmail, 254))
                .col(string_len_null(Branches::Address, 200))
                .col(timestamp_with_time_zone_null(Branches::ClosedAt))
                .col(timestamp_with_time_zone(Branches::CreatedAt))
                .col(timestamp_with_time_zone(Branches::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_branches_parent",
                    (Branches::Table, Branches::ParentId),
                    (Branches::Table, Branches::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "idx_branches_parent", Branches::Table, vec![Branches::ParentId]).await?;

        // Names compare by code point on both databases ("C" collation on PostgreSQL), so that
        // a surname prefix is an index range and keyset paging agrees with the order.
        let mut name_col = string_len(Members::Name, 50);
        if backend == DbBackend::Postgres {
            name_col.extra("COLLATE \"C\"");
        }
        m.create_table(
            Table::create()
                .table(Members::Table)
                .col(big_pk_auto(Members::Id))
                .col(big_integer(Members::BranchId))
                .col(big_integer_null(Members::GroupId))
                .col(name_col)
                .col(string_len_null(Members::Gender, 8))
                .col(date_null(Members::BirthDate))
                .col(string_len_null(Members::Phone, 20).unique_key())
                .col(string_len_null(Members::Email, 254).unique_key())
                .col(string_len_null(Members::Unit, 100))
                .col(string_len_null(Members::Post, 100))
                .col(string_len(Members::PoliticalStatus, 16))
                .col(date_null(Members::JoinedPartyOn))
                .col(date_null(Members::FullMemberOn))
                .col(string_len(Members::State, 16))
                .col(string_len_null(Members::StateReason, 200))
                .col(string_len_null(Members::Locale, 8))
                .col(text_null(Members::Notes))
                .col(timestamp_with_time_zone(Members::CreatedAt))
                .col(timestamp_with_time_zone(Members::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_members_branch",
                    (Members::Table, Members::BranchId),
                    (Branches::Table, Branches::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_members_group",
                    (Members::Table, Members::GroupId),
                    (Branches::Table, Branches::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "idx_members_name", Members::Table, vec![Members::Name, Members::Id]).await?;
        index(m, "idx_members_branch_name", Members::Table, vec![Members::BranchId, Members::Name, Members::Id])
            .await?;
        index(m, "idx_members_updated", Members::Table, vec![Members::UpdatedAt, Members::Id]).await?;
        index(m, "idx_members_group", Members::Table, vec![Members::GroupId]).await?;

        m.create_table(
            Table::create()
                .table(MemberPeriods::Table)
                .col(big_pk_auto(MemberPeriods::Id))
                .col(big_integer(MemberPeriods::MemberId))
                .col(big_integer(MemberPeriods::BranchId))
                .col(date(MemberPeriods::FromOn))
                .col(date_null(MemberPeriods::UntilOn))
                .foreign_key(
                    fk(
                        "fk_periods_member",
                        (MemberPeriods::Table, MemberPeriods::MemberId),
                        (Members::Table, Members::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(&mut fk(
                    "fk_periods_branch",
                    (MemberPeriods::Table, MemberPeriods::BranchId),
                    (Branches::Table, Branches::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "idx_periods_branch", MemberPeriods::Table, vec![MemberPeriods::BranchId, MemberPeriods::FromOn])
            .await?;
        index(m, "idx_periods_member", MemberPeriods::Table, vec![MemberPeriods::MemberId]).await?;

        m.create_table(
            Table::create()
                .table(MemberHistory::Table)
                .col(big_pk_auto(MemberHistory::Id))
                .col(big_integer(MemberHistory::MemberId))
                .col(string_len(MemberHistory::Kind, 16))
                .col(date(MemberHistory::EffectiveOn))
                .col(string_len_null(MemberHistory::FromValue, 200))
                .col(string_len_null(MemberHistory::ToValue, 200))
                .col(string_len_null(MemberHistory::Note, 500))
                .col(big_integer_null(MemberHistory::AccountId))
                .col(timestamp_with_time_zone(MemberHistory::CreatedAt))
                .foreign_key(
                    fk(
                        "fk_history_member",
                        (MemberHistory::Table, MemberHistory::MemberId),
                        (Members::Table, Members::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    fk(
                        "fk_history_account",
                        (MemberHistory::Table, MemberHistory::AccountId),
                        (Accounts::Table, Accounts::Id),
                    )
                    .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        index(m, "idx_history_member", MemberHistory::Table, vec![MemberHistory::MemberId, MemberHistory::EffectiveOn])
            .await?;

        m.create_table(
            Table::create()
                .table(BranchOfficers::Table)
                .col(big_pk_auto(BranchOfficers::Id))
                .col(big_integer(BranchOfficers::BranchId))
                .col(big_integer(BranchOfficers::MemberId))
                .col(string_len(BranchOfficers::Role, 24))
                .col(date(BranchOfficers::FromOn))
                .col(date_null(BranchOfficers::UntilOn))
                .col(timestamp_with_time_zone(BranchOfficers::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_officers_branch",
                    (BranchOfficers::Table, BranchOfficers::BranchId),
                    (Branches::Table, Branches::Id),
                ))
                .foreign_key(
                    fk(
                        "fk_officers_member",
                        (BranchOfficers::Table, BranchOfficers::MemberId),
                        (Members::Table, Members::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "idx_officers_branch", BranchOfficers::Table, vec![BranchOfficers::BranchId]).await?;
        index(m, "idx_officers_member", BranchOfficers::Table, vec![BranchOfficers::MemberId]).await?;

        m.alter_table(
            Table::alter()
                .table(Accounts::Table)
                .add_column(ColumnDef::new(Accounts::MemberId).big_integer().null())
                .to_owned(),
        )
        .await?;
        // A unique index rather than a constraint: SQLite cannot add constraints to a table.
        m.create_index(
            Index::create()
                .name("idx_accounts_member")
                .table(Accounts::Table)
                .col(Accounts::MemberId)
                .unique()
                .to_owned(),
        )
        .await?;

        let db = m.get_connection();
        match backend {
            DbBackend::Sqlite => {
                db.execute_unprepared(
                    "CREATE VIRTUAL TABLE members_fts USING fts5(name, phone, email, unit, \
                     content='members', content_rowid='id', tokenize='trigram');
                     CREATE TRIGGER members_fts_ai AFTER INSERT ON members BEGIN
                       INSERT INTO members_fts(rowid, name, phone, email, unit) VALUES (new.id, new.name, new.phone, new.email, new.unit);
                     END;
                     CREATE TRIGGER members_fts_ad AFTER DELETE ON members BEGIN
                       INSERT INTO members_fts(members_fts, rowid, name, phone, email, unit) VALUES ('delete', old.id, old.name, old.phone, old.email, old.unit);
                     END;
                     CREATE TRIGGER members_fts_au AFTER UPDATE OF name, phone, email, unit ON members BEGIN
                       INSERT INTO members_fts(members_fts, rowid, name, phone, email, unit) VALUES ('delete', old.id, old.name, old.phone, old.email, old.unit);
                       INSERT INTO members_fts(rowid, name, phone, email, unit) VALUES (new.id, new.name, new.phone, new.email, new.unit);
                     END;",
                )
                .await?;
            }
            DbBackend::Postgres => {
                // A stored column rather than an expression index: the planner then estimates and
                // counts from the trigram index instead of evaluating the expression on every row
                // (6.5 ms → 1 ms for a term matching 9% of 20,000 members).
                db.execute_unprepared(
                    "CREATE EXTENSION IF NOT EXISTS pg_trgm;
                     ALTER TABLE members ADD COLUMN search_text text GENERATED ALWAYS AS \
                     (lower(name || ' ' || coalesce(phone, '') || ' ' || coalesce(email, '') || ' ' || coalesce(unit, ''))) STORED;
                     CREATE INDEX idx_members_search_trgm ON members USING gin (search_text gin_trgm_ops);",
                )
                .await?;
            }
            _ => {}
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        if m.get_database_backend() == DbBackend::Sqlite {
            db.execute_unprepared("DROP TABLE IF EXISTS members_fts").await?;
        }
        m.drop_index(Index::drop().name("idx_accounts_member").table(Accounts::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Accounts::Table).drop_column(Accounts::MemberId).to_owned()).await?;
        for table in ["branch_officers", "member_history", "member_periods", "members", "branches"] {
            db.execute_unprepared(&format!("DROP TABLE {table}")).await?;
        }
        Ok(())
    }
}
