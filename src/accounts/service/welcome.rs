//! Accounts by invitation. A secretary (their branches) or an administrator (any) invites members
//! who have an email address and no account; each gets a message whose link opens a form to
//! choose a password, which makes their account (linked to them: the member role, or the
//! secretary's for a serving secretary or deputy, whom the officer rule gives their branches) and
//! signs them in. The link's token is made when the message is sent (`issue`) and kept only as its SHA-256;
//! it works once, for `security.invitation_days`, and a newer invitation ends an older one. A
//! second invitation of the same member within [`AGAIN_AFTER`] adds nothing (a double click).
use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, ExprTrait, PaginatorTrait, QueryFilter, QuerySelect, Set, TransactionSession,
    TransactionTrait, entity::prelude::*,
};

use super::{AccountError, hash_password, map_unique};
use crate::{
    accounts::{
        entity::{account, invitation},
        rules::Password,
    },
    actor::Role,
    branches::Scope,
    crypto,
    members::{entity::member, rules::MembershipState},
};

/// The most members one click invites (a real branch has far fewer; a whole association is
/// invited branch by branch).
pub const MAX_AT_ONCE: usize = 2_000;

/// A member invited again within this long gets no second message.
pub const AGAIN_AFTER: Duration = Duration::minutes(10);

/// What an invitation of some members did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Invited {
    /// The members sent an invitation: id, name and branch.
    pub sent: Vec<(i64, String, i64)>,
    pub queued: usize,
    pub without_email: usize,
    pub with_account: usize,
    /// Invited less than [`AGAIN_AFTER`] before.
    pub just_invited: usize,
    /// No longer an active member (left, transferred out, deceased).
    pub inactive: usize,
}

/// A branch's members and their accounts.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub members: u64,
    pub with_account: u64,
    /// Invited, the link not yet used nor expired.
    pub waiting: u64,
    pub without_email: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum WelcomeError {
    /// Used, expired or superseded; the member it was for (to send a new one), if known.
    #[error("the link no longer works")]
    Gone(Option<i64>),
    /// The member's address is another account's sign-in.
    #[error("the email is used by another account")]
    EmailTaken,
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Members among `ids` with an account (any state: a disabled one is not made again).
async fn with_accounts(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashSet<i64>, DbErr> {
    let found: Vec<Option<i64>> = account::Entity::find()
        .select_only()
        .column(account::Column::MemberId)
        .filter(account::Column::MemberId.is_in(ids.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().flatten().collect())
}

/// Invites the members `ids` (each in `scope`, else `Forbidden`): those with an email and no
/// account, not invited in the last [`AGAIN_AFTER`], get a message, in one transaction.
pub async fn invite(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: &Scope,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<Invited, AccountError> {
    if ids.len() > MAX_AT_ONCE {
        return Err(AccountError::TooMany(MAX_AT_ONCE));
    }
    let txn = crate::db::write_txn(db).await?;
    let people = member::Entity::find().filter(member::Column::Id.is_in(ids.iter().copied())).all(&txn).await?;
    if people.len() != ids.len() || people.iter().any(|m| !scope.covers(m.branch_id)) {
        return Err(AccountError::Forbidden);
    }
    let having = with_accounts(&txn, ids).await?;
    let recent: HashSet<i64> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::MemberId)
        .filter(invitation::Column::MemberId.is_in(ids.iter().copied()))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::CreatedAt.gt(now - AGAIN_AFTER))
        .into_tuple::<i64>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let mut done = Invited::default();
    for m in &people {
        if !matches!(m.state, MembershipState::Active | MembershipState::Exempt) {
            done.inactive += 1;
        } else if m.email.as_deref().is_none_or(|e| e.trim().is_empty()) {
            done.without_email += 1;
        } else if having.contains(&m.id) {
            done.with_account += 1;
        } else if recent.contains(&m.id) {
            done.just_invited += 1;
        } else {
            // A newer invitation ends the older ones.
            invitation::Entity::delete_many()
                .filter(invitation::Column::MemberId.eq(m.id))
                .filter(invitation::Column::UsedAt.is_null())
                .exec(&txn)
                .await?;
            let row = invitation::ActiveModel {
                member_id: Set(m.id),
                email: Set(m.email.clone().unwrap_or_default().trim().to_lowercase()),
                invited_by: Set(scope.account_id()),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let to = crate::members::service::addressee(m, m.email.as_deref().unwrap_or_default());
            crate::outbox::queue_account_invitation(&txn, &to, row.id, now).await?;
            done.queued += 1;
            done.sent.push((m.id, m.name.clone(), m.branch_id));
        }
    }
    txn.commit().await?;
    Ok(done)
}

/// Invites every active member of a unit in `scope` (see [`invite`]).
pub async fn invite_unit(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: &Scope,
    unit: i64,
    now: DateTime<Utc>,
) -> Result<Invited, AccountError> {
    if !scope.covers(unit) {
        return Err(AccountError::NotFound);
    }
    let ids = unit_members(db, unit).await?;
    invite(db, scope, &ids, now).await
}

async fn unit_members(db: &impl ConnectionTrait, unit: i64) -> Result<Vec<i64>, DbErr> {
    member::Entity::find()
        .select_only()
        .column(member::Column::Id)
        .filter(member::Column::BranchId.eq(unit).or(member::Column::GroupId.eq(unit)))
        .filter(member::Column::State.is_in([MembershipState::Active, MembershipState::Exempt]))
        .into_tuple()
        .all(db)
        .await
}

/// How a unit's active members stand: with an account, invited and waiting, without an email.
pub async fn counts(db: &impl ConnectionTrait, unit: i64, now: DateTime<Utc>) -> Result<Counts, DbErr> {
    let ids = unit_members(db, unit).await?;
    if ids.is_empty() {
        return Ok(Counts::default());
    }
    let with_account = with_accounts(db, &ids).await?;
    let without_email = member::Entity::find()
        .filter(member::Column::Id.is_in(ids.iter().copied()))
        .filter(member::Column::Email.is_null())
        .count(db)
        .await?;
    let waiting: HashSet<i64> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::MemberId)
        .filter(invitation::Column::MemberId.is_in(ids.iter().copied()))
        .filter(invitation::Column::UsedAt.is_null())
        .filter(invitation::Column::ExpiresAt.is_null().or(invitation::Column::ExpiresAt.gt(now)))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .filter(|m| !with_account.contains(m))
        .collect();
    Ok(Counts {
        members: ids.len() as u64,
        with_account: with_account.len() as u64,
        waiting: waiting.len() as u64,
        without_email,
    })
}

/// Makes the link of an invitation being sent, in one statement; None when it was used or
/// superseded meanwhile.
pub async fn issue(
    db: &impl ConnectionTrait,
    invitation_id: i64,
    valid: Duration,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let token = crypto::random_token();
    let done = invitation::Entity::update_many()
        .col_expr(invitation::Column::TokenHash, Expr::value(crypto::token_hash(&token)))
        .col_expr(invitation::Column::ExpiresAt, Expr::value(now + valid))
        .filter(invitation::Column::Id.eq(invitation_id))
        .filter(invitation::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok((done.rows_affected == 1).then_some(token))
}

/// The member still has the address they were invited at, and is still an active member: a link
/// that went to an old or mistyped address, or to someone who left, makes no account.
fn still_invited(m: &member::Model, row: &invitation::Model) -> bool {
    matches!(m.state, MembershipState::Active | MembershipState::Exempt)
        && m.email.as_deref().is_some_and(|e| e.trim().eq_ignore_ascii_case(&row.email))
}

/// The member a link is for, while it works.
pub async fn member_of(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<member::Model, WelcomeError> {
    let row = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(crypto::token_hash(token)))
        .one(db)
        .await?
        .ok_or(WelcomeError::Gone(None))?;
    if row.used_at.is_some() || row.expires_at.is_none_or(|e| e <= now) {
        return Err(WelcomeError::Gone(Some(row.member_id)));
    }
    let m = member::Entity::find_by_id(row.member_id).one(db).await?.ok_or(WelcomeError::Gone(None))?;
    if !still_invited(&m, &row) {
        return Err(WelcomeError::Gone(Some(m.id)));
    }
    if !with_accounts(db, &[m.id]).await?.is_empty() {
        return Err(WelcomeError::Gone(None));
    }
    Ok(m)
}

/// Makes the account of the member a link is for, with the password they chose, and uses the
/// link up. Two uses at once: one wins, the other finds it used.
pub async fn accept(
    db: &(impl ConnectionTrait + TransactionTrait),
    token: &str,
    password: &Password,
    now: DateTime<Utc>,
) -> Result<account::Model, WelcomeError> {
    let hash = hash_password(password).await?;
    let txn = crate::db::write_txn(db).await?;
    let row = invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(crypto::token_hash(token)))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(WelcomeError::Gone(None))?;
    if row.used_at.is_some() || row.expires_at.is_none_or(|e| e <= now) {
        return Err(WelcomeError::Gone(Some(row.member_id)));
    }
    let m = member::Entity::find_by_id(row.member_id).one(&txn).await?.ok_or(WelcomeError::Gone(None))?;
    if !still_invited(&m, &row) {
        return Err(WelcomeError::Gone(Some(m.id)));
    }
    let email = row.email.clone();
    if !with_accounts(&txn, &[m.id]).await?.is_empty() {
        return Err(WelcomeError::Gone(None));
    }
    if super::email_in_use(&txn, &email, None).await? {
        return Err(WelcomeError::EmailTaken);
    }
    let role = if serves_as_secretary(&txn, &m, now).await? { Role::Secretary } else { Role::Member };
    let made = account::ActiveModel {
        email: Set(email),
        display_name: Set(m.name.chars().take(100).collect()),
        password_hash: Set(hash),
        role: Set(role),
        locale: Set(m.locale.clone()),
        must_change_password: Set(false),
        member_id: Set(Some(m.id)),
        disabled_at: Set(None),
        last_login_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(|e| match map_unique(e) {
        AccountError::EmailTaken => WelcomeError::EmailTaken,
        other => WelcomeError::Account(other),
    })?;
    let mut used: invitation::ActiveModel = row.into();
    used.used_at = Set(Some(now));
    used.update(&txn).await?;
    txn.commit().await?;
    Ok(made)
}

/// Whether the member serves today (in their branch's zone) as a secretary or deputy: their
/// account gets the secretary's role, and the officer rule gives it their branches.
async fn serves_as_secretary(db: &impl ConnectionTrait, m: &member::Model, now: DateTime<Utc>) -> Result<bool, DbErr> {
    use crate::branches::entity::{branch, officer};
    let zone: Option<String> = branch::Entity::find_by_id(m.branch_id)
        .select_only()
        .column(branch::Column::Timezone)
        .into_tuple()
        .one(db)
        .await?;
    let today = now.with_timezone(&crate::branches::rules::zone(zone.as_deref().unwrap_or_default())).date_naive();
    let terms = officer::Entity::find().filter(officer::Column::MemberId.eq(m.id)).all(db).await?;
    Ok(terms.iter().any(|t| t.role.manages() && t.serves_on(today)))
}

/// A new invitation for the member of a link that no longer works, to the address on record (no
/// address is ever typed in); nothing when they have an account or were just invited.
pub async fn renew(
    db: &(impl ConnectionTrait + TransactionTrait),
    member_id: i64,
    now: DateTime<Utc>,
) -> Result<Invited, AccountError> {
    invite(db, &Scope::operator(), &[member_id], now).await
}

/// The member whose (ended) link this is.
pub async fn member_of_any(db: &impl ConnectionTrait, token: &str) -> Result<Option<i64>, DbErr> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::TokenHash.eq(crypto::token_hash(token)))
        .one(db)
        .await?
        .map(|r| r.member_id))
}
