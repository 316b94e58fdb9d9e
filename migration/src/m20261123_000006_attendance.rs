//! Attendance: on each invitation the leave decision, the check-in (time, method), the outcome
//! and the make-up study; on each event the moment it was finalised (claimed once); and a log
//! of every answer, leave decision, check-in and correction with who and when.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    EventId,
    Answer,
    AnsweredAt,
    LeaveNote,
    LeaveDecidedBy,
    LeaveDecidedAt,
    WalkIn,
    CheckedInAt,
    CheckinMethod,
    Outcome,
    LeftEarly,
    MakeupRequired,
    MakeupDoneOn,
    MakeupNote,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    FinalisedAt,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AttendanceLog {
    Table,
    Id,
    InvitationId,
    What,
    OldValue,
    NewValue,
    Note,
    ByAccount,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement.
        let columns = [
            string_len_null(Invitations::LeaveNote, 500),
            big_integer_null(Invitations::LeaveDecidedBy),
            timestamp_with_time_zone_null(Invitations::LeaveDecidedAt),
            boolean(Invitations::WalkIn).default(false).to_owned(),
            timestamp_with_time_zone_null(Invitations::CheckedInAt),
            string_len_null(Invitations::CheckinMethod, 16),
            string_len_null(Invitations::Outcome, 16),
            boolean(Invitations::LeftEarly).default(false).to_owned(),
            boolean(Invitations::MakeupRequired).default(false).to_owned(),
            date_null(Invitations::MakeupDoneOn),
            string_len_null(Invitations::MakeupNote, 500),
        ];
        for mut c in columns {
            m.alter_table(Table::alter().table(Invitations::Table).add_column(&mut c).to_owned()).await?;
        }
        m.alter_table(
            Table::alter()
                .table(Events::Table)
                .add_column(timestamp_with_time_zone_null(Events::FinalisedAt))
                .to_owned(),
        )
        .await?;
        // Seats taken and the waitlist's order are read by answer.
        m.create_index(
            Index::create()
                .name("idx_invitations_event_answer")
                .table(Invitations::Table)
                .col(Invitations::EventId)
                .col(Invitations::Answer)
                .col(Invitations::AnsweredAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AttendanceLog::Table)
                .col(big_pk_auto(AttendanceLog::Id))
                .col(big_integer(AttendanceLog::InvitationId))
                .col(string_len(AttendanceLog::What, 16))
                .col(string_len_null(AttendanceLog::OldValue, 32))
                .col(string_len_null(AttendanceLog::NewValue, 32))
                .col(string_len_null(AttendanceLog::Note, 500))
                .col(big_integer_null(AttendanceLog::ByAccount))
                .col(timestamp_with_time_zone(AttendanceLog::At))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_attendance_log_invitation")
                        .from(AttendanceLog::Table, AttendanceLog::InvitationId)
                        .to(Invitations::Table, Invitations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_attendance_log_account")
                        .from(AttendanceLog::Table, AttendanceLog::ByAccount)
                        .to(Accounts::Table, Accounts::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_attendance_log_invitation")
                .table(AttendanceLog::Table)
                .col(AttendanceLog::InvitationId)
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AttendanceLog::Table).to_owned()).await?;
        m.drop_index(Index::drop().name("idx_invitations_event_answer").table(Invitations::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Events::Table).drop_column(Events::FinalisedAt).to_owned()).await?;
        for c in [
            Invitations::LeaveNote,
            Invitations::LeaveDecidedBy,
            Invitations::LeaveDecidedAt,
            Invitations::WalkIn,
            Invitations::CheckedInAt,
            Invitations::CheckinMethod,
            Invitations::Outcome,
            Invitations::LeftEarly,
            Invitations::MakeupRequired,
            Invitations::MakeupDoneOn,
            Invitations::MakeupNote,
        ] {
            m.alter_table(Table::alter().table(Invitations::Table).drop_column(c).to_owned()).await?;
        }
        Ok(())
    }
}
