//! The meetings the rules require: the rules themselves, the compliance grid, exemptions from a
//! stretch (and their withdrawal), and what a secretary's units still owe.
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{
    Condition, ConnectionTrait, DbErr, QueryOrder, QuerySelect, TransactionSession, TransactionTrait,
    entity::prelude::*,
};

use super::{RecordsError, require_admin, require_manager, start_of};
use crate::{
    branches::{BranchKind, Scope, entity::branch},
    events::{
        entity::{event, unit},
        rules::{EventKind, EventState},
    },
    records::{
        entity::{exemption, setting, withdrawal},
        rules::{Compliance, Meeting, RecordRules, standing, stretches},
    },
};

/// One row of the compliance grid: a unit and its standing per stretch (month, quarter or year),
/// with the reasons of its exemptions.
pub struct ComplianceRow {
    pub id: i64,
    pub name: String,
    pub cells: Vec<Compliance>,
    pub exemptions: Vec<exemption::Model>,
}

impl ComplianceRow {
    /// The reason of one of the row's exemptions.
    pub fn reason(&self, id: &i64) -> &str {
        self.exemptions.iter().find(|e| e.id == *id).map_or("", |e| e.reason.as_str())
    }
}

/// The rules as administrators set them (defaults where they did not).
pub async fn rules(db: &impl ConnectionTrait) -> Result<RecordRules, DbErr> {
    let rows = setting::Entity::find().all(db).await?;
    Ok(RecordRules::from_settings(rows.iter().map(|r| (r.key.as_str(), r.value.as_str()))))
}

/// Stores the rules (administrators only), all at once. `based_on` is the version of the rules
/// the form showed ([`RecordRules::version`]): when they changed since, nothing is written and
/// the rules as they are now come back (a stale form would silently undo another's change).
pub async fn save_rules(
    db: &impl TransactionTrait,
    scope: &Scope,
    rules: &RecordRules,
    based_on: &str,
    now: DateTime<Utc>,
) -> Result<(), RecordsError> {
    require_admin(scope)?;
    let txn = crate::db::write_txn(db).await?;
    // SQLite: the write transaction already runs alone. PostgreSQL: the rules' own lock, held
    // until commit, so that two saves read and write one after the other.
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended('records.rules', 7))",
        ))
        .await?;
    }
    let current = self::rules(&txn).await?;
    if current.version() != based_on {
        txn.rollback().await?;
        return Err(RecordsError::Stale(Box::new(current)));
    }
    // Every key is written each time, as an upsert (rows missing before are inserted).
    let rows = rules.to_settings().into_iter().map(|(key, value)| setting::ActiveModel {
        key: sea_orm::Set(key),
        value: sea_orm::Set(value),
        updated_at: sea_orm::Set(now),
    });
    let upsert = sea_orm::sea_query::OnConflict::column(setting::Column::Key)
        .update_columns([setting::Column::Value, setting::Column::UpdatedAt])
        .to_owned();
    setting::Entity::insert_many(rows).on_conflict(upsert).exec_without_returning(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Whether each unit the scope covers (of `only`, when given) held the required meeting of `kind`
/// in each stretch of `year`: events it organised or co-organised (accepted) that ended count,
/// cancelled ones never; an exemption excuses a stretch with nothing held; a scheduled event marks
/// it planned. Party group meetings are the groups'; every other type the branches'. None: the
/// type is not required.
#[allow(clippy::too_many_arguments)]
pub async fn compliance(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    kind: EventKind,
    year: i32,
    only: Option<&[i64]>,
    today: NaiveDate,
    tz: Tz,
) -> Result<Option<(Vec<(NaiveDate, NaiveDate)>, Vec<ComplianceRow>)>, RecordsError> {
    require_manager(scope)?;
    let Some(months) = rules.every(kind) else { return Ok(None) };
    let cuts = stretches(year, months);
    let unit_kind = if kind == EventKind::PartyGroupMeeting { BranchKind::Group } else { BranchKind::Branch };
    let mut q = branch::Entity::find().filter(branch::Column::Kind.eq(unit_kind)).order_by_asc(branch::Column::Code);
    if let Some(ids) = only {
        q = q.filter(branch::Column::Id.is_in(ids.iter().copied()));
    }
    let units: Vec<branch::Model> = q.all(db).await?.into_iter().filter(|b| scope.covers(b.id)).collect();
    let (from, to) = (cuts.first().map(|c| c.0), cuts.last().map(|c| c.1));
    let (Some(from), Some(to)) = (from, to) else { return Ok(Some((cuts, Vec::new()))) };
    let mut q = event::Entity::find()
        .select_only()
        .columns([event::Column::Id, event::Column::BranchId, event::Column::State, event::Column::StartsAt])
        .filter(event::Column::Kind.eq(kind))
        .filter(event::Column::State.is_in([EventState::Scheduled, EventState::Ended]))
        .filter(event::Column::StartsAt.gte(start_of(from, tz)))
        .filter(event::Column::StartsAt.lt(start_of(to + Duration::days(1), tz)))
        .order_by_asc(event::Column::StartsAt);
    if only.is_some() {
        // A few units: their own events, and those they co-organise.
        let ids: Vec<i64> = units.iter().map(|u| u.id).collect();
        let co = sea_orm::sea_query::Query::select()
            .column(unit::Column::EventId)
            .from(unit::Entity)
            .and_where(unit::Column::BranchId.is_in(ids.clone()))
            .to_owned();
        q = q.filter(Condition::any().add(event::Column::BranchId.is_in(ids)).add(event::Column::Id.in_subquery(co)));
    }
    let events: Vec<(i64, i64, EventState, DateTime<Utc>)> = q.into_tuple().all(db).await?;
    // Co-organisers by event, read per stretch of event ids (no statement grows with the year).
    let mut co: std::collections::HashSet<(i64, i64)> = std::collections::HashSet::new();
    for chunk in events.chunks(500) {
        let rows: Vec<(i64, i64)> = unit::Entity::find()
            .select_only()
            .columns([unit::Column::EventId, unit::Column::BranchId])
            .filter(unit::Column::EventId.is_in(chunk.iter().map(|e| e.0)))
            .filter(unit::Column::Accepted.eq(true))
            .into_tuple()
            .all(db)
            .await?;
        co.extend(rows);
    }
    let mut exempt: HashMap<i64, Vec<exemption::Model>> = HashMap::new();
    for e in exemption::Entity::find()
        .filter(exemption::Column::Kind.eq(kind))
        .filter(exemption::Column::StartsOn.between(from, to))
        .all(db)
        .await?
    {
        exempt.entry(e.branch_id).or_default().push(e);
    }
    let rows = units
        .into_iter()
        .map(|u| {
            let founded = u.created_at.with_timezone(&tz).date_naive();
            let exemptions = exempt.remove(&u.id).unwrap_or_default();
            let meetings: Vec<Meeting> = events
                .iter()
                .filter(|e| e.1 == u.id || co.contains(&(e.0, u.id)))
                .map(|e| Meeting { id: e.0, day: e.3.with_timezone(&tz).date_naive(), held: e.2 == EventState::Ended })
                .collect();
            let excused: Vec<(i64, NaiveDate)> = exemptions.iter().map(|x| (x.id, x.starts_on)).collect();
            let cells = cuts.iter().map(|s| standing(*s, &meetings, &excused, founded, today)).collect();
            ComplianceRow { id: u.id, name: u.name, cells, exemptions }
        })
        .collect();
    Ok(Some((cuts, rows)))
}

/// Excuses a unit from the meeting of `kind` required in the stretch starting `starts_on`, with
/// a reason (administrators, and the secretaries of the unit).
#[allow(clippy::too_many_arguments)]
pub async fn exempt(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    unit_id: i64,
    kind: EventKind,
    starts_on: NaiveDate,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, RecordsError> {
    require_manager(scope)?;
    if !scope.covers(unit_id) || branch::Entity::find_by_id(unit_id).one(db).await?.is_none() {
        return Err(RecordsError::NotFound);
    }
    let mut e = crate::forms::FieldErrors::default();
    let starts = rules.every(kind).map(|m| stretches(starts_on.year(), m)).unwrap_or_default();
    if !starts.iter().any(|(a, _)| *a == starts_on) {
        e.add("starts_on", "records.exempt_stretch_invalid");
    }
    let reason = e.check("reason", crate::forms::required_text(reason, 200));
    let Some(reason) = reason.filter(|_| e.is_empty()) else {
        return Err(RecordsError::Invalid(e));
    };
    let row = exemption::ActiveModel {
        branch_id: sea_orm::Set(unit_id),
        kind: sea_orm::Set(kind),
        starts_on: sea_orm::Set(starts_on),
        reason: sea_orm::Set(reason),
        account_id: sea_orm::Set(scope.account_id()),
        created_at: sea_orm::Set(now),
        ..Default::default()
    };
    let done = exemption::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                exemption::Column::BranchId,
                exemption::Column::Kind,
                exemption::Column::StartsOn,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec(db)
        .await;
    match done {
        Ok(r) => Ok(r.last_insert_id),
        Err(DbErr::RecordNotInserted) => {
            Err(RecordsError::Invalid(crate::forms::FieldErrors::single("starts_on", "records.exempt_exists")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Withdraws an exemption, keeping it with who withdrew it and when; returns it (its unit, type
/// and stretch: where to go back to).
pub async fn unexempt(
    db: &impl TransactionTrait,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<exemption::Model, RecordsError> {
    require_manager(scope)?;
    let txn = crate::db::write_txn(db).await?;
    let x = exemption::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(RecordsError::NotFound)?;
    if !scope.covers(x.branch_id) {
        return Err(RecordsError::NotFound);
    }
    withdrawal::ActiveModel {
        branch_id: sea_orm::Set(x.branch_id),
        kind: sea_orm::Set(x.kind),
        starts_on: sea_orm::Set(x.starts_on),
        reason: sea_orm::Set(x.reason.clone()),
        granted_by: sea_orm::Set(x.account_id),
        granted_at: sea_orm::Set(x.created_at),
        withdrawn_by: sea_orm::Set(scope.account_id()),
        withdrawn_at: sea_orm::Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    exemption::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(x)
}

/// The exemption recorded for a unit's stretch (the stretch's first day), if any.
pub async fn exemption_of(
    db: &impl ConnectionTrait,
    scope: &Scope,
    unit_id: i64,
    kind: EventKind,
    starts_on: NaiveDate,
) -> Result<Option<exemption::Model>, RecordsError> {
    require_manager(scope)?;
    if !scope.covers(unit_id) {
        return Err(RecordsError::NotFound);
    }
    Ok(exemption::Entity::find()
        .filter(exemption::Column::BranchId.eq(unit_id))
        .filter(exemption::Column::Kind.eq(kind))
        .filter(exemption::Column::StartsOn.eq(starts_on))
        .one(db)
        .await?)
}

/// The withdrawn exemptions of a unit's stretch, newest first, with the name of who withdrew each.
pub async fn withdrawals(
    db: &impl ConnectionTrait,
    scope: &Scope,
    unit_id: i64,
    kind: EventKind,
    starts_on: NaiveDate,
) -> Result<Vec<(withdrawal::Model, String)>, RecordsError> {
    require_manager(scope)?;
    if !scope.covers(unit_id) {
        return Err(RecordsError::NotFound);
    }
    let rows = withdrawal::Entity::find()
        .filter(withdrawal::Column::BranchId.eq(unit_id))
        .filter(withdrawal::Column::Kind.eq(kind))
        .filter(withdrawal::Column::StartsOn.eq(starts_on))
        .order_by_desc(withdrawal::Column::WithdrawnAt)
        .all(db)
        .await?;
    let names = crate::accounts::service::display_names(db, rows.iter().filter_map(|r| r.withdrawn_by)).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let who =
                names.iter().find(|(id, _)| Some(*id) == r.withdrawn_by).map(|(_, n)| n.clone()).unwrap_or_default();
            (r, who)
        })
        .collect())
}

/// What a secretary's branches still owe in the stretch today is in: per required type, the
/// units with nothing held and no exemption yet (a planned event is named).
pub struct DueNow {
    pub kind: EventKind,
    pub unit: String,
    pub unit_id: i64,
    /// The stretch's last day.
    pub by: NaiveDate,
    pub planned: Option<i64>,
}

pub async fn due_now(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    units: &[i64],
    today: NaiveDate,
    tz: Tz,
) -> Result<Vec<DueNow>, RecordsError> {
    let mut out = Vec::new();
    if units.is_empty() {
        return Ok(out);
    }
    for kind in rules.required() {
        let Some((cuts, rows)) = compliance(db, scope, rules, kind, today.year(), Some(units), today, tz).await? else {
            continue;
        };
        let Some(i) = cuts.iter().position(|(a, b)| *a <= today && today <= *b) else { continue };
        for r in rows {
            let planned = match r.cells[i] {
                Compliance::Due => None,
                Compliance::Planned(e) => Some(e),
                _ => continue,
            };
            out.push(DueNow { kind, unit: r.name, unit_id: r.id, by: cuts[i].1, planned });
        }
    }
    Ok(out)
}

/// Erases, to "—", the reasons of exemptions (granted or withdrawn) whose stretch began before
/// `before` (`privacy.reasons_keep_years`). Returns how many changed.
pub async fn erase_reasons(db: &impl ConnectionTrait, before: NaiveDate) -> Result<u64, DbErr> {
    let granted = Condition::all().add(exemption::Column::StartsOn.lt(before));
    let withdrawn = Condition::all().add(withdrawal::Column::StartsOn.lt(before));
    Ok(crate::db::erase::<exemption::Entity>(db, exemption::Column::Reason, granted).await?
        + crate::db::erase::<withdrawal::Entity>(db, withdrawal::Column::Reason, withdrawn).await?)
}
