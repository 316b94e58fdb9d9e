//! Events: the event itself, the branches that hold it, its audience, guests, agenda,
//! attachments and change log; monthly series; invitations (one row per invitee per event, which
//! the invitation and attendance work extends); and calendar feed tokens.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Branches {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum EventSeries {
    Table,
    Id,
    BranchId,
    Rule,
    Kind,
    Title,
    Topic,
    Description,
    StartTime,
    Minutes,
    Location,
    AudienceStatuses,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    BranchId,
    Kind,
    Title,
    Topic,
    Description,
    StartsAt,
    EndsAt,
    Location,
    HostMemberId,
    HostGuestName,
    RecorderMemberId,
    AudienceKind,
    AudienceGroupId,
    AudienceStatuses,
    Capacity,
    AnswerDeadline,
    State,
    CancelReason,
    SeriesId,
    EditedByHand,
    Sequence,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum EventUnits {
    Table,
    EventId,
    BranchId,
    Organiser,
}

#[derive(DeriveIden)]
enum EventPicks {
    Table,
    EventId,
    MemberId,
}

#[derive(DeriveIden)]
enum EventGuests {
    Table,
    Id,
    EventId,
    Name,
    Organisation,
    Title,
    Email,
    Phone,
    Role,
}

#[derive(DeriveIden)]
enum AgendaItems {
    Table,
    Id,
    EventId,
    Position,
    Title,
    Presenter,
    Minutes,
}

#[derive(DeriveIden)]
enum EventAttachments {
    Table,
    Id,
    EventId,
    FileName,
    ContentType,
    Size,
    StoredName,
    CreatedAt,
}

#[derive(DeriveIden)]
enum EventChanges {
    Table,
    Id,
    EventId,
    Kind,
    Summary,
    Sequence,
    AccountId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    EventId,
    MemberId,
    GuestId,
    Role,
    Answer,
    AnsweredAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CalendarFeeds {
    Table,
    Id,
    TokenHash,
    MemberId,
    BranchId,
    CreatedAt,
    RevokedAt,
}

fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).to_owned()
}

/// A foreign key to the event that goes with it.
fn owned_by_event(name: &str, from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    fk(name, from, (Events::Table, Events::Id)).on_delete(ForeignKeyAction::Cascade).to_owned()
}

async fn index(
    m: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<impl IntoIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create().name(name).table(table).to_owned();
    for c in cols {
        stmt.col(c);
    }
    if unique {
        stmt.unique();
    }
    m.create_index(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(EventSeries::Table)
                .col(big_pk_auto(EventSeries::Id))
                .col(big_integer(EventSeries::BranchId))
                .col(string_len(EventSeries::Rule, 32))
                .col(string_len(EventSeries::Kind, 32))
                .col(string_len(EventSeries::Title, 200))
                .col(string_len_null(EventSeries::Topic, 200))
                .col(text(EventSeries::Description))
                .col(string_len(EventSeries::StartTime, 5))
                .col(integer(EventSeries::Minutes))
                .col(string_len_null(EventSeries::Location, 200))
                .col(string_len(EventSeries::AudienceStatuses, 120))
                .col(big_integer_null(EventSeries::CreatedBy))
                .col(timestamp_with_time_zone(EventSeries::CreatedAt))
                .col(timestamp_with_time_zone(EventSeries::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_series_branch",
                    (EventSeries::Table, EventSeries::BranchId),
                    (Branches::Table, Branches::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_series_account",
                    (EventSeries::Table, EventSeries::CreatedBy),
                    (Accounts::Table, Accounts::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(Events::Table)
                .col(big_pk_auto(Events::Id))
                .col(big_integer(Events::BranchId))
                .col(string_len(Events::Kind, 32))
                .col(string_len(Events::Title, 200))
                .col(string_len_null(Events::Topic, 200))
                .col(text(Events::Description))
                .col(timestamp_with_time_zone(Events::StartsAt))
                .col(timestamp_with_time_zone(Events::EndsAt))
                .col(string_len_null(Events::Location, 200))
                .col(big_integer_null(Events::HostMemberId))
                .col(string_len_null(Events::HostGuestName, 100))
                .col(big_integer_null(Events::RecorderMemberId))
                .col(string_len(Events::AudienceKind, 16))
                .col(big_integer_null(Events::AudienceGroupId))
                .col(string_len(Events::AudienceStatuses, 120))
                .col(integer_null(Events::Capacity))
                .col(timestamp_with_time_zone_null(Events::AnswerDeadline))
                .col(string_len(Events::State, 16))
                .col(string_len_null(Events::CancelReason, 500))
                .col(big_integer_null(Events::SeriesId))
                .col(boolean(Events::EditedByHand).default(false))
                .col(integer(Events::Sequence).default(0))
                .col(big_integer_null(Events::CreatedBy))
                .col(timestamp_with_time_zone(Events::CreatedAt))
                .col(timestamp_with_time_zone(Events::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_events_branch",
                    (Events::Table, Events::BranchId),
                    (Branches::Table, Branches::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_events_host",
                    (Events::Table, Events::HostMemberId),
                    (Members::Table, Members::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_events_recorder",
                    (Events::Table, Events::RecorderMemberId),
                    (Members::Table, Members::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_events_group",
                    (Events::Table, Events::AudienceGroupId),
                    (Branches::Table, Branches::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_events_series",
                    (Events::Table, Events::SeriesId),
                    (EventSeries::Table, EventSeries::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_events_account",
                    (Events::Table, Events::CreatedBy),
                    (Accounts::Table, Accounts::Id),
                ))
                .to_owned(),
        )
        .await?;
        // The lists: everything by time (administrators), and by type.
        index(m, "idx_events_starts", Events::Table, vec![Events::StartsAt, Events::Id], false).await?;
        index(m, "idx_events_kind_starts", Events::Table, vec![Events::Kind, Events::StartsAt, Events::Id], false)
            .await?;
        index(m, "idx_events_series", Events::Table, vec![Events::SeriesId], false).await?;
        index(m, "idx_events_host", Events::Table, vec![Events::HostMemberId, Events::StartsAt], false).await?;
        index(m, "idx_events_location", Events::Table, vec![Events::Location, Events::StartsAt], false).await?;

        // Every branch that holds an event: the organiser and the co-organisers.
        m.create_table(
            Table::create()
                .table(EventUnits::Table)
                .col(big_integer(EventUnits::EventId))
                .col(big_integer(EventUnits::BranchId))
                .col(boolean(EventUnits::Organiser))
                .primary_key(Index::create().col(EventUnits::EventId).col(EventUnits::BranchId))
                .foreign_key(&mut owned_by_event("fk_event_units_event", (EventUnits::Table, EventUnits::EventId)))
                .foreign_key(&mut fk(
                    "fk_event_units_branch",
                    (EventUnits::Table, EventUnits::BranchId),
                    (Branches::Table, Branches::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "idx_event_units_branch", EventUnits::Table, vec![EventUnits::BranchId, EventUnits::EventId], false)
            .await?;

        m.create_table(
            Table::create()
                .table(EventPicks::Table)
                .col(big_integer(EventPicks::EventId))
                .col(big_integer(EventPicks::MemberId))
                .primary_key(Index::create().col(EventPicks::EventId).col(EventPicks::MemberId))
                .foreign_key(&mut owned_by_event("fk_event_picks_event", (EventPicks::Table, EventPicks::EventId)))
                .foreign_key(&mut fk(
                    "fk_event_picks_member",
                    (EventPicks::Table, EventPicks::MemberId),
                    (Members::Table, Members::Id),
                ))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table(EventGuests::Table)
                .col(big_pk_auto(EventGuests::Id))
                .col(big_integer(EventGuests::EventId))
                .col(string_len(EventGuests::Name, 50))
                .col(string_len_null(EventGuests::Organisation, 100))
                .col(string_len_null(EventGuests::Title, 100))
                .col(string_len_null(EventGuests::Email, 254))
                .col(string_len_null(EventGuests::Phone, 20))
                .col(string_len(EventGuests::Role, 16))
                .foreign_key(&mut owned_by_event("fk_guests_event", (EventGuests::Table, EventGuests::EventId)))
                .to_owned(),
        )
        .await?;
        index(m, "idx_guests_event", EventGuests::Table, vec![EventGuests::EventId], false).await?;

        m.create_table(
            Table::create()
                .table(AgendaItems::Table)
                .col(big_pk_auto(AgendaItems::Id))
                .col(big_integer(AgendaItems::EventId))
                .col(integer(AgendaItems::Position))
                .col(string_len(AgendaItems::Title, 200))
                .col(string_len_null(AgendaItems::Presenter, 100))
                .col(integer_null(AgendaItems::Minutes))
                .foreign_key(&mut owned_by_event("fk_agenda_event", (AgendaItems::Table, AgendaItems::EventId)))
                .to_owned(),
        )
        .await?;
        index(m, "idx_agenda_event", AgendaItems::Table, vec![AgendaItems::EventId, AgendaItems::Position], false)
            .await?;

        m.create_table(
            Table::create()
                .table(EventAttachments::Table)
                .col(big_pk_auto(EventAttachments::Id))
                .col(big_integer(EventAttachments::EventId))
                .col(string_len(EventAttachments::FileName, 200))
                .col(string_len(EventAttachments::ContentType, 100))
                .col(big_integer(EventAttachments::Size))
                .col(string_len_uniq(EventAttachments::StoredName, 64))
                .col(timestamp_with_time_zone(EventAttachments::CreatedAt))
                .foreign_key(&mut owned_by_event(
                    "fk_attachments_event",
                    (EventAttachments::Table, EventAttachments::EventId),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "idx_attachments_event", EventAttachments::Table, vec![EventAttachments::EventId], false).await?;

        m.create_table(
            Table::create()
                .table(EventChanges::Table)
                .col(big_pk_auto(EventChanges::Id))
                .col(big_integer(EventChanges::EventId))
                .col(string_len(EventChanges::Kind, 16))
                .col(string_len(EventChanges::Summary, 1000))
                .col(integer(EventChanges::Sequence))
                .col(big_integer_null(EventChanges::AccountId))
                .col(timestamp_with_time_zone(EventChanges::CreatedAt))
                .foreign_key(&mut owned_by_event("fk_changes_event", (EventChanges::Table, EventChanges::EventId)))
                .foreign_key(&mut fk(
                    "fk_changes_account",
                    (EventChanges::Table, EventChanges::AccountId),
                    (Accounts::Table, Accounts::Id),
                ))
                .to_owned(),
        )
        .await?;
        index(m, "idx_changes_event", EventChanges::Table, vec![EventChanges::EventId], false).await?;

        // One row per invitee per event: a member, or a guest of the event.
        m.create_table(
            Table::create()
                .table(Invitations::Table)
                .col(big_pk_auto(Invitations::Id))
                .col(big_integer(Invitations::EventId))
                .col(big_integer_null(Invitations::MemberId))
                .col(big_integer_null(Invitations::GuestId))
                .col(string_len(Invitations::Role, 16))
                .col(string_len(Invitations::Answer, 16))
                .col(timestamp_with_time_zone_null(Invitations::AnsweredAt))
                .col(timestamp_with_time_zone(Invitations::CreatedAt))
                .foreign_key(&mut owned_by_event("fk_invitations_event", (Invitations::Table, Invitations::EventId)))
                .foreign_key(&mut fk(
                    "fk_invitations_member",
                    (Invitations::Table, Invitations::MemberId),
                    (Members::Table, Members::Id),
                ))
                .foreign_key(
                    fk(
                        "fk_invitations_guest",
                        (Invitations::Table, Invitations::GuestId),
                        (EventGuests::Table, EventGuests::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "idx_invitations_member", Invitations::Table, vec![Invitations::MemberId, Invitations::EventId], true)
            .await?;
        index(
            m,
            "idx_invitations_event_member",
            Invitations::Table,
            vec![Invitations::EventId, Invitations::MemberId],
            true,
        )
        .await?;
        index(m, "idx_invitations_guest", Invitations::Table, vec![Invitations::GuestId], true).await?;

        m.create_table(
            Table::create()
                .table(CalendarFeeds::Table)
                .col(big_pk_auto(CalendarFeeds::Id))
                .col(string_len_uniq(CalendarFeeds::TokenHash, 64))
                .col(big_integer_null(CalendarFeeds::MemberId))
                .col(big_integer_null(CalendarFeeds::BranchId))
                .col(timestamp_with_time_zone(CalendarFeeds::CreatedAt))
                .col(timestamp_with_time_zone_null(CalendarFeeds::RevokedAt))
                .foreign_key(
                    fk(
                        "fk_feeds_member",
                        (CalendarFeeds::Table, CalendarFeeds::MemberId),
                        (Members::Table, Members::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    fk(
                        "fk_feeds_branch",
                        (CalendarFeeds::Table, CalendarFeeds::BranchId),
                        (Branches::Table, Branches::Id),
                    )
                    .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let db = m.get_connection();
        for table in [
            "calendar_feeds",
            "invitations",
            "event_changes",
            "event_attachments",
            "agenda_items",
            "event_guests",
            "event_picks",
            "event_units",
            "events",
            "event_series",
        ] {
            db.execute_unprepared(&format!("DROP TABLE {table}")).await?;
        }
        Ok(())
    }
}
