//! Member rules that need the database. Reads and changes are limited to the caller's
//! [`Scope`]: a member outside it is "not found". Status, branch and state change only through
//! dated changes, which keep the history and the membership periods the past rosters come from.

pub mod email;
pub mod import;
pub mod search;
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    Condition, ConnectionTrait, DbErr, PaginatorTrait, QueryOrder, QuerySelect, Set, SqlErr, TransactionSession,
    TransactionTrait, entity::prelude::*,
};

use super::{
    entity::{history, member, period},
    rules::{Change, MembershipState, NewMember, OwnContact, PoliticalStatus, Profile},
};
use crate::{
    actor::Actor,
    branches::{BranchKind, Scope, entity::branch},
    forms::Choice,
};

#[derive(Debug, thiserror::Error)]
pub enum MemberError {
    #[error("member not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("email already used by another member")]
    EmailTaken,
    #[error("phone already used by another member")]
    PhoneTaken,
    #[error("the party group is not one of the member's branch")]
    GroupNotOfBranch,
    #[error("the branch does not take members (closed, unknown or a party group)")]
    BranchUnavailable,
    #[error("the member is already in that branch")]
    SameBranch,
    #[error("the change is dated before the member's current membership began")]
    BeforeCurrentPeriod,
    #[error("a reason is required")]
    ReasonRequired,
    #[error("nothing would change")]
    NoChange,
    #[error(transparent)]
    Db(#[from] DbErr),
}

fn map_unique(e: DbErr) -> MemberError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(detail)) if detail.contains("phone") => MemberError::PhoneTaken,
        Some(SqlErr::UniqueConstraintViolation(_)) => MemberError::EmailTaken,
        _ => MemberError::Db(e),
    }
}

async fn find(db: &impl ConnectionTrait, id: i64) -> Result<member::Model, MemberError> {
    member::Entity::find_by_id(id).one(db).await?.ok_or(MemberError::NotFound)
}

/// A member the scope covers; any other is "not found", never shown.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<member::Model, MemberError> {
    let m = find(db, id).await?;
    if scope.covers(m.branch_id) { Ok(m) } else { Err(MemberError::NotFound) }
}

/// An open unit that holds members.
async fn member_branch(db: &impl ConnectionTrait, id: i64) -> Result<branch::Model, MemberError> {
    match crate::branches::service::unit(db, id).await? {
        Some(b) if b.kind.holds_members() && b.closed_at.is_none() => Ok(b),
        _ => Err(MemberError::BranchUnavailable),
    }
}

async fn check_group(db: &impl ConnectionTrait, branch_id: i64, group_id: Option<i64>) -> Result<(), MemberError> {
    let Some(group_id) = group_id else { return Ok(()) };
    match crate::branches::service::unit(db, group_id).await? {
        Some(g) if g.kind == BranchKind::Group && g.parent_id == Some(branch_id) && g.closed_at.is_none() => Ok(()),
        _ => Err(MemberError::GroupNotOfBranch),
    }
}

/// Emails and phones identify members (imports match on them), so each belongs to one member.
pub async fn check_unique(
    db: &impl ConnectionTrait,
    email: Option<&str>,
    phone: Option<&str>,
    except: Option<i64>,
) -> Result<(), MemberError> {
    for (value, column, err) in [
        (email, member::Column::Email, MemberError::EmailTaken),
        (phone, member::Column::Phone, MemberError::PhoneTaken),
    ] {
        let Some(value) = value else { continue };
        let mut q = member::Entity::find().filter(column.eq(value));
        if let Some(id) = except {
            q = q.filter(member::Column::Id.ne(id));
        }
        if q.count(db).await? > 0 {
            return Err(err);
        }
    }
    Ok(())
}

/// One line of a member's history.
struct Entry {
    kind: &'static str,
    on: NaiveDate,
    from: Option<String>,
    to: Option<String>,
    note: Option<String>,
}

fn record(member_id: i64, e: Entry, scope: &Scope, now: DateTime<Utc>) -> history::ActiveModel {
    history::ActiveModel {
        member_id: Set(member_id),
        kind: Set(e.kind.to_owned()),
        effective_on: Set(e.on),
        from_value: Set(e.from),
        to_value: Set(e.to),
        note: Set(e.note),
        account_id: Set(scope.account_id()),
        created_at: Set(now),
        ..Default::default()
    }
}

fn profile_into(am: &mut member::ActiveModel, p: Profile) {
    am.name = Set(p.name);
    am.gender = Set(p.gender.map(|g| g.key().to_owned()));
    am.birth_date = Set(p.birth_date);
    am.phone = Set(p.phone);
    am.email = Set(p.email);
    am.unit = Set(p.unit);
    am.post = Set(p.post);
    am.group_id = Set(p.group_id);
    am.joined_party_on = Set(p.joined_party_on);
    am.full_member_on = Set(p.full_member_on);
    am.locale = Set(p.locale.map(|l| l.tag().to_owned()));
    am.notes = Set(p.notes);
}

/// Adds a member to a branch of the scope; their membership period starts `today`. The member,
/// the period and the history line are written together or not at all.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    new: NewMember,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<member::Model, MemberError> {
    if !scope.covers(new.branch_id) {
        return Err(MemberError::Forbidden);
    }
    let txn = crate::db::write_txn(db).await?;
    member_branch(&txn, new.branch_id).await?;
    check_group(&txn, new.branch_id, new.profile.group_id).await?;
    check_unique(&txn, new.profile.email.as_deref(), new.profile.phone.as_deref(), None).await?;
    let mut am = member::ActiveModel {
        branch_id: Set(new.branch_id),
        political_status: Set(new.political_status),
        state: Set(new.state),
        state_reason: Set(new.state_reason),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    profile_into(&mut am, new.profile);
    let saved = am.insert(&txn).await.map_err(map_unique)?;
    if saved.state.is_member() {
        period::ActiveModel {
            member_id: Set(saved.id),
            branch_id: Set(saved.branch_id),
            from_on: Set(today),
            until_on: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    record(
        saved.id,
        Entry { kind: "joined", on: today, from: None, to: Some(saved.branch_id.to_string()), note: None },
        scope,
        now,
    )
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(saved)
}

/// Changes profile fields (not status, branch or state: those are dated changes), with the
/// history line of a group change, in one transaction.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    id: i64,
    profile: Profile,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<member::Model, MemberError> {
    let txn = crate::db::write_txn(db).await?;
    get(&txn, scope, id).await?;
    // Read again under the row's lock: the group change is worked out from what is stored now.
    let current = member::Entity::find_by_id(id).lock_exclusive().one(&txn).await?.ok_or(MemberError::NotFound)?;
    check_group(&txn, current.branch_id, profile.group_id).await?;
    check_unique(&txn, profile.email.as_deref(), profile.phone.as_deref(), Some(id)).await?;
    let group_change = (current.group_id != profile.group_id).then_some((current.group_id, profile.group_id));
    let mut am: member::ActiveModel = current.into();
    profile_into(&mut am, profile);
    am.updated_at = Set(now);
    let saved = am.update(&txn).await.map_err(map_unique)?;
    if let Some((from, to)) = group_change {
        let id_text = |g: Option<i64>| g.map(|g| g.to_string());
        record(id, Entry { kind: "group", on: today, from: id_text(from), to: id_text(to), note: None }, scope, now)
            .insert(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// A dated change of political status (e.g. probationary → full member on the day of
/// conversion). Joining and full-membership dates are filled in when they were empty.
pub async fn change_status<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    id: i64,
    change: Change<PoliticalStatus>,
    now: DateTime<Utc>,
) -> Result<member::Model, MemberError> {
    let txn = crate::db::write_txn(db).await?;
    let current = get(&txn, scope, id).await?;
    if current.political_status == change.to {
        return Err(MemberError::NoChange);
    }
    let from = current.political_status;
    let mut am: member::ActiveModel = current.clone().into();
    am.political_status = Set(change.to);
    if change.to == PoliticalStatus::Full && current.full_member_on.is_none() {
        am.full_member_on = Set(Some(change.effective_on));
    }
    if matches!(change.to, PoliticalStatus::Full | PoliticalStatus::Probationary) && current.joined_party_on.is_none() {
        am.joined_party_on = Set(Some(change.effective_on));
    }
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    let (from, to) = (Some(from.key().to_owned()), Some(change.to.key().to_owned()));
    record(id, Entry { kind: "status", on: change.effective_on, from, to, note: change.note }, scope, now)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    Ok(saved)
}

async fn open_period(db: &impl ConnectionTrait, member_id: i64) -> Result<Option<period::Model>, DbErr> {
    period::Entity::find()
        .filter(period::Column::MemberId.eq(member_id))
        .filter(period::Column::UntilOn.is_null())
        .one(db)
        .await
}

/// Ends the open period on `on` (which must not precede its start).
async fn close_period(db: &impl ConnectionTrait, member_id: i64, on: NaiveDate) -> Result<(), MemberError> {
    if let Some(p) = open_period(db, member_id).await? {
        if on < p.from_on {
            return Err(MemberError::BeforeCurrentPeriod);
        }
        let mut am: period::ActiveModel = p.into();
        am.until_on = Set(Some(on));
        am.update(db).await?;
    }
    Ok(())
}

async fn start_period(db: &impl ConnectionTrait, member_id: i64, branch_id: i64, on: NaiveDate) -> Result<(), DbErr> {
    period::ActiveModel {
        member_id: Set(member_id),
        branch_id: Set(branch_id),
        from_on: Set(on),
        until_on: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Moves a member to another branch (any open one: the receiving branch need not be in the
/// scope) from a date on; their party group is cleared.
pub async fn transfer<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    id: i64,
    change: Change<i64>,
    now: DateTime<Utc>,
) -> Result<member::Model, MemberError> {
    let txn = crate::db::write_txn(db).await?;
    let current = get(&txn, scope, id).await?;
    if current.branch_id == change.to {
        return Err(MemberError::SameBranch);
    }
    member_branch(&txn, change.to).await?;
    if current.state.is_member() {
        close_period(&txn, id, change.effective_on).await?;
        start_period(&txn, id, change.to, change.effective_on).await?;
    }
    let from = current.branch_id;
    let mut am: member::ActiveModel = current.into();
    am.branch_id = Set(change.to);
    am.group_id = Set(None);
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    let (from, to) = (Some(from.to_string()), Some(change.to.to_string()));
    record(id, Entry { kind: "transfer", on: change.effective_on, from, to, note: change.note }, scope, now)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    Ok(saved)
}

/// A dated change of membership state; leaving (transferred out, left) ends the membership
/// period, coming back starts a new one. Exemption needs a reason.
pub async fn change_state<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    id: i64,
    change: Change<MembershipState>,
    now: DateTime<Utc>,
) -> Result<member::Model, MemberError> {
    if change.to == MembershipState::Exempt && change.note.is_none() {
        return Err(MemberError::ReasonRequired);
    }
    let txn = crate::db::write_txn(db).await?;
    let current = get(&txn, scope, id).await?;
    if current.state == change.to {
        return Err(MemberError::NoChange);
    }
    match (current.state.is_member(), change.to.is_member()) {
        (true, false) => close_period(&txn, id, change.effective_on).await?,
        (false, true) => {
            // Coming back: the new period may not start inside the last one.
            let last = period::Entity::find()
                .filter(period::Column::MemberId.eq(id))
                .order_by_desc(period::Column::FromOn)
                .one(&txn)
                .await?;
            if last.and_then(|p| p.until_on).is_some_and(|until| change.effective_on < until) {
                return Err(MemberError::BeforeCurrentPeriod);
            }
            start_period(&txn, id, current.branch_id, change.effective_on).await?;
        }
        _ => {}
    }
    let from = current.state;
    let mut am: member::ActiveModel = current.into();
    am.state = Set(change.to);
    am.state_reason = Set(change.note.clone());
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    let (from, to) = (Some(from.key().to_owned()), Some(change.to.key().to_owned()));
    record(id, Entry { kind: "state", on: change.effective_on, from, to, note: change.note }, scope, now)
        .insert(&txn)
        .await?;
    txn.commit().await?;
    Ok(saved)
}

/// The members of a branch on a past (or present) day, from the membership periods.
pub async fn roster_on(
    db: &impl ConnectionTrait,
    scope: &Scope,
    branch_id: i64,
    day: NaiveDate,
) -> Result<Vec<member::Model>, MemberError> {
    if !scope.covers(branch_id) {
        return Err(MemberError::NotFound);
    }
    let ids: Vec<i64> = period::Entity::find()
        .filter(period::Column::BranchId.eq(branch_id))
        .filter(period::Column::FromOn.lte(day))
        .filter(Condition::any().add(period::Column::UntilOn.is_null()).add(period::Column::UntilOn.gt(day)))
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.member_id)
        .collect();
    Ok(member::Entity::find()
        .filter(member::Column::Id.is_in(ids))
        .order_by_asc(member::Column::Name)
        .order_by_asc(member::Column::Id)
        .all(db)
        .await?)
}

/// Current members of a unit (a branch, or a party group), for choosing officers.
pub async fn of_unit(
    db: &impl ConnectionTrait,
    scope: &Scope,
    unit: &branch::Model,
) -> Result<Vec<member::Model>, MemberError> {
    if !scope.covers(unit.id) {
        return Err(MemberError::NotFound);
    }
    let column = if unit.kind == BranchKind::Group { member::Column::GroupId } else { member::Column::BranchId };
    Ok(member::Entity::find()
        .filter(column.eq(unit.id))
        .filter(member::Column::State.is_in([MembershipState::Active, MembershipState::Exempt]))
        .order_by_asc(member::Column::Name)
        .all(db)
        .await?)
}

/// A line of a member's history, with branch and group ids already turned into names.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub entry: history::Model,
    pub from_name: Option<String>,
    pub to_name: Option<String>,
}

/// Everything the profile page shows.
pub struct MemberProfile {
    pub member: member::Model,
    pub branch: branch::Model,
    pub group: Option<branch::Model>,
    pub history: Vec<HistoryRow>,
}

pub async fn profile(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<MemberProfile, MemberError> {
    let member = get(db, scope, id).await?;
    let entries = history::Entity::find()
        .filter(history::Column::MemberId.eq(id))
        .order_by_desc(history::Column::EffectiveOn)
        .order_by_desc(history::Column::Id)
        .all(db)
        .await?;
    let mut unit_ids: Vec<i64> = vec![member.branch_id];
    unit_ids.extend(member.group_id);
    for e in entries.iter().filter(|e| matches!(e.kind.as_str(), "joined" | "transfer" | "group")) {
        unit_ids.extend([&e.from_value, &e.to_value].into_iter().flatten().filter_map(|v| v.parse::<i64>().ok()));
    }
    let units: HashMap<i64, branch::Model> =
        crate::branches::service::units(db, unit_ids).await?.into_iter().map(|b| (b.id, b)).collect();
    let name_of = |v: &Option<String>| {
        v.as_ref().and_then(|v| v.parse::<i64>().ok()).and_then(|id| units.get(&id)).map(|b| b.name.clone())
    };
    let history = entries
        .into_iter()
        .map(|entry| {
            let names = matches!(entry.kind.as_str(), "joined" | "transfer" | "group");
            HistoryRow {
                from_name: if names { name_of(&entry.from_value) } else { None },
                to_name: if names { name_of(&entry.to_value) } else { None },
                entry,
            }
        })
        .collect();
    let branch = units.get(&member.branch_id).cloned().ok_or(MemberError::NotFound)?;
    let group = member.group_id.and_then(|g| units.get(&g).cloned());
    Ok(MemberProfile { member, branch, group, history })
}

/// The member record linked to the actor's account, if any.
pub async fn own(db: &impl ConnectionTrait, actor: &Actor) -> Result<Option<member::Model>, MemberError> {
    match actor.member_id {
        Some(id) => Ok(member::Entity::find_by_id(id).one(db).await?),
        None => Ok(None),
    }
}

/// The actor's own member record with its branch.
pub async fn own_with_branch(
    db: &impl ConnectionTrait,
    actor: &Actor,
) -> Result<Option<(member::Model, Option<branch::Model>)>, MemberError> {
    let Some(id) = actor.member_id else { return Ok(None) };
    Ok(member::Entity::find_by_id(id).find_also_related(branch::Entity).one(db).await?)
}

/// A member changes their own phone, email and language; nothing else.
/// Saves the member's own phone and language; a new email address waits for its confirmation
/// (`email::ask`: the old one stays until then), and is returned as waiting. Removing the
/// address takes effect at once.
pub async fn update_own_contact(
    db: &(impl ConnectionTrait + TransactionTrait),
    actor: &Actor,
    contact: OwnContact,
    now: DateTime<Utc>,
) -> Result<(member::Model, Option<String>), MemberError> {
    let txn = crate::db::write_txn(db).await?;
    let current = own(&txn, actor).await?.ok_or(MemberError::NotFound)?;
    check_unique(&txn, contact.email.as_deref(), contact.phone.as_deref(), Some(current.id)).await?;
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let waiting = match (&contact.email, &current.email) {
        (Some(new), Some(old)) if same(new, old) => None,
        (Some(new), _) => Some(new.clone()),
        (None, _) => None,
    };
    if let Some(new) = &waiting {
        email::ask(&txn, &current, new, now).await?;
    }
    let mut am: member::ActiveModel = current.clone().into();
    am.phone = Set(contact.phone);
    if waiting.is_none() {
        am.email = Set(contact.email);
    }
    am.locale = Set(contact.locale.map(|l| l.tag().to_owned()));
    am.updated_at = Set(now);
    let saved = am.update(&txn).await.map_err(map_unique)?;
    txn.commit().await?;
    Ok((saved, waiting))
}

/// A member by id, whatever the scope (for an administrator's account page).
pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<member::Model>, DbErr> {
    member::Entity::find_by_id(id).one(db).await
}

/// A member as a message's addressee at `email` (their address, or a new one to confirm).
pub fn addressee<'a>(m: &'a member::Model, email: &'a str) -> crate::outbox::Addressee<'a> {
    crate::outbox::Addressee { email, name: &m.name, locale: m.locale.as_deref() }
}

/// The members with these ids, by id.
pub async fn with_ids(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<member::Model>, DbErr> {
    member::Entity::find()
        .filter(member::Column::Id.is_in(ids.iter().copied()))
        .order_by_asc(member::Column::Id)
        .all(db)
        .await
}

/// Members' names by id (a unit's officers).
pub async fn names(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, String>, DbErr> {
    let rows: Vec<(i64, String)> = member::Entity::find()
        .select_only()
        .columns([member::Column::Id, member::Column::Name])
        .filter(member::Column::Id.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Where a member is, for an appointment: their branch and group (None: no such member).
pub async fn placement(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<crate::branches::service::Placement>, DbErr> {
    Ok(find_by_id(db, id).await?.map(|m| (m.branch_id, m.group_id)))
}

/// What a unit holds of members, in the transaction that closes or deletes it
/// (`branches::service::Holdings`): members active or exempt there, and members and membership
/// terms ever there.
pub fn held_in(
    txn: &sea_orm::DatabaseTransaction,
    unit: i64,
) -> crate::db::BoxFuture<'_, Result<crate::branches::service::Held, DbErr>> {
    Box::pin(async move {
        let in_unit = || Condition::any().add(member::Column::BranchId.eq(unit)).add(member::Column::GroupId.eq(unit));
        let active = member::Entity::find()
            .filter(in_unit())
            .filter(member::Column::State.is_in([MembershipState::Active, MembershipState::Exempt]))
            .count(txn)
            .await?;
        let members = member::Entity::find().filter(in_unit()).count(txn).await?;
        let periods = period::Entity::find().filter(period::Column::BranchId.eq(unit)).count(txn).await?;
        Ok(crate::branches::service::Held { active, ever: members + periods })
    })
}

/// The posts (职务) of members, where recorded: what minutes prefill under a speaker's name.
pub async fn posts(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, String>, DbErr> {
    let rows: Vec<(i64, Option<String>)> = member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .column(member::Column::Post)
        .filter(member::Column::Id.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(id, post)| Some((id, post?))).collect())
}

/// The first member with exactly this name (for the demo's account links).
pub async fn find_by_name(db: &impl ConnectionTrait, name: &str) -> Result<Option<member::Model>, DbErr> {
    member::Entity::find().filter(member::Column::Name.eq(name)).order_by_asc(member::Column::Id).one(db).await
}

/// The member with this email or phone (for linking an account), whatever the scope.
pub async fn find_by_contact(db: &impl ConnectionTrait, email_or_phone: &str) -> Result<Option<member::Model>, DbErr> {
    let s = email_or_phone.trim();
    member::Entity::find()
        .filter(
            Condition::any()
                .add(member::Column::Email.eq(s.to_lowercase()))
                .add(member::Column::Phone.eq(s.replace(' ', ""))),
        )
        .one(db)
        .await
}

/// Erases, to "—", the reasons given when members were exempted (their state changed to exempt)
/// before `before` (`privacy.reasons_keep_years`), in their history; the change and its date stay,
/// and so does the reason on the record of a member still exempt. Returns how many changed.
pub async fn erase_exemption_reasons(db: &impl ConnectionTrait, before: NaiveDate) -> Result<u64, DbErr> {
    let exempted = Condition::all()
        .add(history::Column::Kind.eq("state"))
        .add(history::Column::ToValue.eq(MembershipState::Exempt.key()))
        .add(history::Column::EffectiveOn.lt(before));
    crate::db::erase::<history::Entity>(db, history::Column::Note, exempted).await
}
