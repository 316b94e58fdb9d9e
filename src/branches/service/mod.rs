//! Branch rules that need the database: who may manage which units (the scope), the tree, and
//! officer terms. Every function takes a [`Scope`], which only [`scope_of`] can make.

pub mod cache;
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbErr, PaginatorTrait, QueryOrder, QuerySelect, Set, SqlErr,
    TransactionSession, TransactionTrait, entity::prelude::*,
};

use super::{
    entity::{branch, officer},
    rules::{Appointment, BranchData, BranchKind},
};
use crate::actor::{Actor, Role};

/// The units an actor may see and manage. Administrators: all. Secretary accounts: the
/// branches whose current secretary or deputy secretary is their linked member, with those
/// branches' party groups. Anyone else: none.
#[derive(Debug, Clone)]
pub struct Scope {
    all: bool,
    units: BTreeSet<i64>,
    actor: Actor,
}

impl Scope {
    pub fn is_all(&self) -> bool {
        self.all
    }

    pub fn covers(&self, unit_id: i64) -> bool {
        self.all || self.units.contains(&unit_id)
    }

    /// The units of a limited scope (`None` for all).
    pub fn units(&self) -> Option<&BTreeSet<i64>> {
        (!self.all).then_some(&self.units)
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.units.is_empty()
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// The account changes are recorded against (none for the operator's command line).
    pub fn account_id(&self) -> Option<i64> {
        (self.actor.account_id > 0).then_some(self.actor.account_id)
    }

    /// Everything, for commands the operator runs on the server (`partyday import-members`):
    /// shell access to the server already grants it.
    pub fn operator() -> Scope {
        Scope { all: true, units: BTreeSet::new(), actor: Actor { account_id: 0, role: Role::Admin, member_id: None } }
    }

    /// Lists of units and members are for administrators and secretaries only.
    pub fn require_manager(&self) -> Result<(), BranchError> {
        if self.actor.role == Role::Member { Err(BranchError::Forbidden) } else { Ok(()) }
    }

    fn require_all(&self) -> Result<(), BranchError> {
        if self.all { Ok(()) } else { Err(BranchError::Forbidden) }
    }
}

pub async fn scope_of(db: &impl ConnectionTrait, actor: &Actor, today: NaiveDate) -> Result<Scope, DbErr> {
    let mut scope = Scope { all: actor.role == Role::Admin, units: BTreeSet::new(), actor: actor.clone() };
    let (Role::Secretary, Some(member_id)) = (actor.role, actor.member_id) else { return Ok(scope) };
    let terms = officer::Entity::find().filter(officer::Column::MemberId.eq(member_id)).all(db).await?;
    let managed: Vec<i64> =
        terms.iter().filter(|t| t.role.manages() && t.serves_on(today)).map(|t| t.branch_id).collect();
    if managed.is_empty() {
        return Ok(scope);
    }
    let groups: Vec<i64> = branch::Entity::find()
        .select_only()
        .column(branch::Column::Id)
        .filter(branch::Column::ParentId.is_in(managed.clone()))
        .filter(branch::Column::Kind.eq(BranchKind::Group))
        .into_tuple()
        .all(db)
        .await?;
    scope.units.extend(managed);
    scope.units.extend(groups);
    Ok(scope)
}

#[derive(Debug, thiserror::Error)]
pub enum BranchError {
    #[error("branch not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("code already in use")]
    CodeTaken,
    #[error("this kind of unit cannot sit there")]
    BadPlacement,
    #[error("a unit cannot move under itself or its own descendant")]
    UnderOwnDescendant,
    #[error("the unit is closed")]
    Closed,
    #[error("the unit still has members")]
    HasMembers,
    #[error("the unit still has open units under it")]
    HasOpenChildren,
    #[error("the unit has history and cannot be deleted")]
    HasHistory,
    #[error("the member does not belong to this unit")]
    MemberNotHere,
    #[error("the role does not fit this kind of unit")]
    RoleDoesNotFit,
    #[error("the term cannot end before it starts")]
    EndBeforeStart,
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn map_unique(e: DbErr) -> BranchError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => BranchError::CodeTaken,
        _ => BranchError::Db(e),
    }
}

async fn find(db: &impl ConnectionTrait, id: i64) -> Result<branch::Model, BranchError> {
    unit(db, id).await?.ok_or(BranchError::NotFound)
}

/// A unit by id, for other domains reading the units of their own rows (they checked the
/// caller's access to those).
pub async fn unit(db: &impl ConnectionTrait, id: i64) -> Result<Option<branch::Model>, DbErr> {
    branch::Entity::find_by_id(id).one(db).await
}

/// Units by id, by code.
pub async fn units(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = i64>) -> Result<Vec<branch::Model>, DbErr> {
    let ids: Vec<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    branch::Entity::find().filter(branch::Column::Id.is_in(ids)).order_by_asc(branch::Column::Code).all(db).await
}

/// A branch's party groups, open or closed.
pub async fn groups_of(db: &impl ConnectionTrait, id: i64) -> Result<Vec<branch::Model>, DbErr> {
    branch::Entity::find()
        .filter(branch::Column::ParentId.eq(id))
        .filter(branch::Column::Kind.eq(BranchKind::Group))
        .all(db)
        .await
}

/// One unit, if the scope covers it; otherwise "not found" (its existence is not told).
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<branch::Model, BranchError> {
    if !scope.covers(id) {
        return Err(BranchError::NotFound);
    }
    find(db, id).await
}

/// A unit in tree order, with its depth for indentation.
#[derive(Debug, Clone)]
pub struct TreeRow {
    pub branch: branch::Model,
    pub depth: usize,
}

/// Every unit the scope covers, parents before children, siblings by code.
pub async fn tree(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<TreeRow>, DbErr> {
    let all = branch::Entity::find().order_by_asc(branch::Column::Code).all(db).await?;
    let mut children: HashMap<Option<i64>, Vec<branch::Model>> = HashMap::new();
    for b in all {
        children.entry(b.parent_id).or_default().push(b);
    }
    let mut out = Vec::new();
    let mut stack: Vec<(branch::Model, usize)> =
        children.remove(&None).unwrap_or_default().into_iter().rev().map(|b| (b, 0)).collect();
    while let Some((b, depth)) = stack.pop() {
        if let Some(kids) = children.remove(&Some(b.id)) {
            stack.extend(kids.into_iter().rev().map(|k| (k, depth + 1)));
        }
        if scope.covers(b.id) {
            out.push(TreeRow { branch: b, depth });
        }
    }
    Ok(out)
}

/// What a select box needs of a unit (no timestamps to decode: list pages load all of them).
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct UnitOption {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: BranchKind,
    pub name: String,
    pub code: String,
}

/// The time zone a unit's events are held in (the configured one for an unknown unit).
pub async fn zone_of(db: &impl ConnectionTrait, id: i64) -> Result<chrono_tz::Tz, DbErr> {
    let name: Option<String> =
        branch::Entity::find_by_id(id).select_only().column(branch::Column::Timezone).into_tuple().one(db).await?;
    Ok(super::rules::zone(name.as_deref().unwrap_or_default()))
}

/// One unit as a select box shows it, with the time zone its events are held in.
pub async fn unit_with_zone(db: &impl ConnectionTrait, id: i64) -> Result<Option<(UnitOption, chrono_tz::Tz)>, DbErr> {
    Ok(branch::Entity::find_by_id(id).one(db).await?.map(|b| {
        let tz = b.tz();
        (UnitOption { id: b.id, parent_id: b.parent_id, kind: b.kind, name: b.name, code: b.code }, tz)
    }))
}

/// Every open unit, by code, for select boxes (callers keep those their scope covers; names of
/// units are not members' data). Read through [`super::cache::UnitCache`].
pub async fn open_units(db: &impl ConnectionTrait) -> Result<Vec<UnitOption>, DbErr> {
    branch::Entity::find()
        .select_only()
        .columns([
            branch::Column::Id,
            branch::Column::ParentId,
            branch::Column::Kind,
            branch::Column::Name,
            branch::Column::Code,
        ])
        .filter(branch::Column::ClosedAt.is_null())
        .order_by_asc(branch::Column::Code)
        .into_model::<UnitOption>()
        .all(db)
        .await
}

/// Every open unit that holds members, whatever the scope: the places a member can be
/// transferred to (names of units are not members' data).
pub async fn transfer_targets(db: &impl ConnectionTrait) -> Result<Vec<branch::Model>, DbErr> {
    branch::Entity::find()
        .filter(branch::Column::Kind.ne(BranchKind::Group))
        .filter(branch::Column::ClosedAt.is_null())
        .order_by_asc(branch::Column::Code)
        .all(db)
        .await
}

pub async fn find_by_code(db: &impl ConnectionTrait, scope: &Scope, code: &str) -> Result<branch::Model, BranchError> {
    let b = branch::Entity::find()
        .filter(branch::Column::Code.eq(code.trim()))
        .one(db)
        .await?
        .ok_or(BranchError::NotFound)?;
    if scope.covers(b.id) { Ok(b) } else { Err(BranchError::NotFound) }
}

/// Checks that `kind` may sit under `parent` (an open unit), and returns the parent.
async fn check_placement(
    db: &impl ConnectionTrait,
    kind: BranchKind,
    parent: Option<i64>,
) -> Result<Option<branch::Model>, BranchError> {
    let parent = match parent {
        Some(id) => Some(find(db, id).await.map_err(|e| match e {
            BranchError::NotFound => BranchError::BadPlacement,
            other => other,
        })?),
        None => None,
    };
    if !kind.may_sit_under(parent.as_ref().map(|p| p.kind)) {
        return Err(BranchError::BadPlacement);
    }
    if parent.as_ref().is_some_and(|p| p.closed_at.is_some()) {
        return Err(BranchError::Closed);
    }
    Ok(parent)
}

pub async fn create(
    db: &impl ConnectionTrait,
    scope: &Scope,
    kind: BranchKind,
    parent: Option<i64>,
    data: BranchData,
    now: DateTime<Utc>,
) -> Result<branch::Model, BranchError> {
    scope.require_all()?;
    check_placement(db, kind, parent).await?;
    branch::ActiveModel {
        parent_id: Set(parent),
        kind: Set(kind),
        name: Set(data.name),
        code: Set(data.code),
        timezone: Set(data.timezone),
        contact_person: Set(data.contact_person),
        contact_phone: Set(data.contact_phone),
        contact_email: Set(data.contact_email),
        address: Set(data.address),
        report_author: Set(data.report_author),
        locale: Set(data.locale),
        closed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(map_unique)
}

/// Renames or changes the details of a unit.
pub async fn update(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    data: BranchData,
    now: DateTime<Utc>,
) -> Result<branch::Model, BranchError> {
    scope.require_all()?;
    let mut am: branch::ActiveModel = find(db, id).await?.into();
    am.name = Set(data.name);
    am.code = Set(data.code);
    am.timezone = Set(data.timezone);
    am.contact_person = Set(data.contact_person);
    am.contact_phone = Set(data.contact_phone);
    am.contact_email = Set(data.contact_email);
    am.address = Set(data.address);
    am.report_author = Set(data.report_author);
    am.locale = Set(data.locale);
    am.updated_at = Set(now);
    am.update(db).await.map_err(map_unique)
}

/// Moves a unit (with everything under it) to another parent.
pub async fn move_to<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    id: i64,
    new_parent: Option<i64>,
    now: DateTime<Utc>,
) -> Result<branch::Model, BranchError> {
    scope.require_all()?;
    let txn = crate::db::write_txn(db).await?;
    let unit = find(&txn, id).await?;
    // Walk up from the new parent: meeting the unit itself means a cycle.
    let mut cursor = new_parent;
    while let Some(ancestor) = cursor {
        if ancestor == id {
            return Err(BranchError::UnderOwnDescendant);
        }
        cursor = find(&txn, ancestor).await?.parent_id;
    }
    check_placement(&txn, unit.kind, new_parent).await?;
    let mut am: branch::ActiveModel = unit.into();
    am.parent_id = Set(new_parent);
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// The serving secretaries and deputies (member ids) of `units`. Terms are dated in the zone of
/// `zone_of` (a branch): between midnight there and midnight UTC the UTC date would miss a
/// secretary appointed from today (bench/soak found it).
pub async fn serving_managers(
    db: &impl ConnectionTrait,
    zone_of: i64,
    units: &[i64],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    let zone: Option<String> =
        branch::Entity::find_by_id(zone_of).select_only().column(branch::Column::Timezone).into_tuple().one(db).await?;
    let today = now.with_timezone(&super::rules::zone(zone.as_deref().unwrap_or_default())).date_naive();
    let mut ids: Vec<i64> = managers_on(db, Some(units), today).await?.into_iter().map(|(m, _)| m).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// The secretaries and deputies serving on `today`, as (member, unit), of `units` (None: every
/// unit).
pub async fn managers_on(
    db: &impl ConnectionTrait,
    units: Option<&[i64]>,
    today: NaiveDate,
) -> Result<Vec<(i64, i64)>, DbErr> {
    let mut terms = officer::Entity::find().filter(officer::Column::FromOn.lte(today));
    if let Some(units) = units {
        terms = terms.filter(officer::Column::BranchId.is_in(units.iter().copied()));
    }
    Ok(terms
        .all(db)
        .await?
        .into_iter()
        .filter(|t| t.role.manages() && t.serves_on(today))
        .map(|t| (t.member_id, t.branch_id))
        .collect())
}

/// Each group's parent branch.
pub async fn group_parents(db: &impl ConnectionTrait) -> Result<HashMap<i64, Option<i64>>, DbErr> {
    let rows: Vec<(i64, Option<i64>)> = branch::Entity::find()
        .select_only()
        .columns([branch::Column::Id, branch::Column::ParentId])
        .filter(branch::Column::Kind.eq(BranchKind::Group))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// What the members domain keeps in a unit, counted in the transaction that closes or deletes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    /// Members of the unit who are active or exempt.
    pub active: u64,
    /// Members ever in the unit, and membership terms there.
    pub ever: u64,
}

/// Counts what a unit holds (`members::service::held_in`): branches close and delete units
/// without reading the members' tables, which sit above them.
pub type Holdings = for<'a> fn(&'a DatabaseTransaction, i64) -> crate::db::BoxFuture<'a, Result<Held, DbErr>>;

/// Where a member is, as the members domain tells: their branch and their group.
pub type Placement = (i64, Option<i64>);

/// Closes a unit that no longer has members or open units under it.
pub async fn close(
    db: &DatabaseConnection,
    scope: &Scope,
    id: i64,
    holdings: Holdings,
    now: DateTime<Utc>,
) -> Result<branch::Model, BranchError> {
    scope.require_all()?;
    let txn = crate::db::write_txn(db).await?;
    let unit = find(&txn, id).await?;
    if holdings(&txn, id).await?.active > 0 {
        return Err(BranchError::HasMembers);
    }
    let open_children = branch::Entity::find()
        .filter(branch::Column::ParentId.eq(id))
        .filter(branch::Column::ClosedAt.is_null())
        .count(&txn)
        .await?;
    if open_children > 0 {
        return Err(BranchError::HasOpenChildren);
    }
    let mut am: branch::ActiveModel = unit.into();
    am.closed_at = Set(Some(now));
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn reopen(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    now: DateTime<Utc>,
) -> Result<branch::Model, BranchError> {
    scope.require_all()?;
    let unit = find(db, id).await?;
    check_placement(db, unit.kind, unit.parent_id).await?;
    let mut am: branch::ActiveModel = unit.into();
    am.closed_at = Set(None);
    am.updated_at = Set(now);
    Ok(am.update(db).await?)
}

/// Deletes a unit created by mistake: only one that never had members, officers or units
/// under it. Anything with history is closed instead.
pub async fn delete(db: &DatabaseConnection, scope: &Scope, id: i64, holdings: Holdings) -> Result<(), BranchError> {
    scope.require_all()?;
    let txn = crate::db::write_txn(db).await?;
    find(&txn, id).await?;
    let children = branch::Entity::find().filter(branch::Column::ParentId.eq(id)).count(&txn).await?;
    let members = holdings(&txn, id).await?.ever;
    let officers = officer::Entity::find().filter(officer::Column::BranchId.eq(id)).count(&txn).await?;
    if children + members + officers > 0 {
        return Err(BranchError::HasHistory);
    }
    branch::Entity::delete_by_id(id).exec(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// An officer term with the member's name.
#[derive(Debug, Clone)]
pub struct OfficerRow {
    pub term: officer::Model,
    pub member_name: String,
}

/// Current and past officers of a unit, named by `names` (the members domain's
/// `members::service::names`): current first, then by start date, newest first.
pub async fn officers<F, Fut>(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    names: F,
) -> Result<Vec<OfficerRow>, BranchError>
where
    F: FnOnce(Vec<i64>) -> Fut,
    Fut: Future<Output = Result<HashMap<i64, String>, DbErr>>,
{
    get(db, scope, id).await?;
    let rows = officer::Entity::find()
        .filter(officer::Column::BranchId.eq(id))
        .order_by_desc(officer::Column::FromOn)
        .order_by_desc(officer::Column::Id)
        .all(db)
        .await?;
    let names = names(rows.iter().map(|t| t.member_id).collect()).await?;
    let mut out: Vec<OfficerRow> = rows
        .into_iter()
        .map(|term| OfficerRow { member_name: names.get(&term.member_id).cloned().unwrap_or_default(), term })
        .collect();
    // Open terms first, by rank of the role; then past terms, newest first (the query's order).
    out.sort_by_key(|r| (r.term.until_on.is_some(), if r.term.until_on.is_none() { r.term.role as u8 } else { 0 }));
    Ok(out)
}

/// Appoints a member of the unit (`placed`: where the members domain says they are, None when
/// there is no such member) to a role for a term.
pub async fn appoint(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    appointment: Appointment,
    placed: Option<Placement>,
    now: DateTime<Utc>,
) -> Result<officer::Model, BranchError> {
    let unit = get(db, scope, id).await?;
    if unit.closed_at.is_some() {
        return Err(BranchError::Closed);
    }
    if !appointment.role.fits(unit.kind) {
        return Err(BranchError::RoleDoesNotFit);
    }
    let (branch_id, group_id) = placed.ok_or(BranchError::MemberNotHere)?;
    let belongs = if unit.kind == BranchKind::Group { group_id == Some(id) } else { branch_id == id };
    if !belongs {
        return Err(BranchError::MemberNotHere);
    }
    Ok(officer::ActiveModel {
        branch_id: Set(id),
        member_id: Set(appointment.member_id),
        role: Set(appointment.role),
        from_on: Set(appointment.from_on),
        until_on: Set(appointment.until_on),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Ends a term on the given day (kept in the history).
pub async fn end_term(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    term_id: i64,
    on: NaiveDate,
) -> Result<officer::Model, BranchError> {
    get(db, scope, id).await?;
    let term = officer::Entity::find_by_id(term_id)
        .filter(officer::Column::BranchId.eq(id))
        .one(db)
        .await?
        .ok_or(BranchError::NotFound)?;
    if on < term.from_on {
        return Err(BranchError::EndBeforeStart);
    }
    let mut am: officer::ActiveModel = term.into();
    am.until_on = Set(Some(on));
    Ok(am.update(db).await?)
}
