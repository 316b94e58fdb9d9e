//! Account rules that need the database: authentication, administration, own settings.
//! Every function that acts for someone takes the acting [`Actor`] (or a capability that only
//! a permission check can produce) and checks what that actor may do.

pub mod reset;
pub mod sessions;
pub mod throttle;
pub mod welcome;
use std::sync::OnceLock;

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash},
};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, PaginatorTrait, QueryOrder, QuerySelect, Set, SqlErr, TransactionSession, TransactionTrait,
    entity::prelude::*, sea_query::Func,
};

use super::{
    entity::account,
    rules::{AccountUpdate, NewAccount, Password, ProfileUpdate},
};
use crate::{
    actor::{Actor, Role},
    forms::Page,
};

/// Proof that the actor may administer accounts; only [`administer`] makes one.
#[derive(Debug)]
pub struct AccountsAdmin {
    actor: Actor,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("account not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    #[error("email already in use")]
    EmailTaken,
    #[error("current password is wrong")]
    WrongPassword,
    #[error("the last active administrator cannot be disabled or demoted")]
    LastAdmin,
    #[error("an administrator cannot disable their own account")]
    OwnAccount,
    #[error("no member has this email or phone")]
    MemberNotFound,
    #[error("the member is linked to another account")]
    MemberLinked,
    #[error("too many members at once: {0}")]
    TooMany(usize),
    #[error("password hashing failed: {0}")]
    Hashing(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

pub fn administer(actor: &Actor) -> Result<AccountsAdmin, AccountError> {
    if actor.is_admin() { Ok(AccountsAdmin { actor: actor.clone() }) } else { Err(AccountError::Forbidden) }
}

// ---- passwords ----------------------------------------------------------------------------

/// Hashing takes 19 MiB and a core for its whole run: no more run at once than there are cores,
/// whatever number of logins arrive together (the others wait their turn).
async fn hashing_turn() -> tokio::sync::SemaphorePermit<'static> {
    static TURNS: OnceLock<tokio::sync::Semaphore> = OnceLock::new();
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let turns = TURNS.get_or_init(|| tokio::sync::Semaphore::new(cores));
    // The semaphore is never closed.
    turns.acquire().await.unwrap_or_else(|_| unreachable!("the hashing semaphore is never closed"))
}

/// Hashes with argon2id (OWASP parameters: 19 MiB, 2 passes), off the async threads.
pub async fn hash_password(password: &Password) -> Result<String, AccountError> {
    let plain = password.expose().to_owned();
    let _turn = hashing_turn().await;
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(plain.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hashing(e.to_string()))
    })
    .await
    .map_err(|e| AccountError::Hashing(e.to_string()))?
}

async fn verify_password(hash: Option<String>, plain: &str) -> bool {
    // With no account, check against a fixed hash anyway so the answer takes as long and an
    // unknown address cannot be told from a wrong password by timing.
    static DUMMY: OnceLock<String> = OnceLock::new();
    let plain = plain.to_owned();
    let known = hash.is_some();
    let _turn = hashing_turn().await;
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| {
            DUMMY
                .get_or_init(|| {
                    Argon2::default()
                        .hash_password(b"partyday timing equaliser")
                        .map(|h| h.to_string())
                        .unwrap_or_default()
                })
                .clone()
        });
        let ok =
            PasswordHash::new(&hash).is_ok_and(|h| Argon2::default().verify_password(plain.as_bytes(), &h).is_ok());
        ok && known
    })
    .await
    .unwrap_or(false)
}

// ---- login ---------------------------------------------------------------------------------

/// Limits on failed logins.
#[derive(Debug, Clone, Copy)]
pub struct LoginPolicy {
    pub max_per_email: u32,
    pub max_per_address: u32,
    pub window: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Unknown email or wrong password: deliberately one answer for both.
    #[error("invalid credentials")]
    Invalid,
    #[error("too many failed attempts")]
    Throttled { retry_at: DateTime<Utc> },
    #[error("account disabled")]
    Disabled,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Checks an email and password, with throttling per email and per client address.
pub async fn authenticate(
    db: &(impl ConnectionTrait + TransactionTrait),
    email: &str,
    password: &str,
    client_addr: &str,
    policy: LoginPolicy,
    now: DateTime<Utc>,
) -> Result<account::Model, LoginError> {
    let email = email.trim().to_lowercase();
    let email_key = throttle::email_key(&email);
    let addr_key = throttle::address_key(client_addr);
    let keys = [(email_key.as_str(), policy.max_per_email), (addr_key.as_str(), policy.max_per_address)];
    // While refused, the password is not even checked: guessing stops, not just slows. The
    // attempt counts as a failure from here until its password proves right.
    let attempt = match throttle::admit(db, &keys, policy.window, now).await? {
        Ok(attempt) => attempt,
        Err(retry_at) => return Err(LoginError::Throttled { retry_at }),
    };
    let account = account::Entity::find().filter(account::Column::Email.eq(&email)).one(db).await?;
    if !verify_password(account.as_ref().map(|a| a.password_hash.clone()), password).await {
        return Err(LoginError::Invalid);
    }
    let account = account.ok_or(LoginError::Invalid)?;
    throttle::forget(db, attempt).await?;
    // Told only to someone who knows the password, so it reveals nothing to a guesser.
    if account.disabled_at.is_some() {
        return Err(LoginError::Disabled);
    }
    throttle::clear(db, &email_key).await?;
    account::Entity::update_many()
        .col_expr(account::Column::LastLoginAt, Expr::value(now))
        .filter(account::Column::Id.eq(account.id))
        .exec(db)
        .await?;
    Ok(account)
}

// ---- administration ------------------------------------------------------------------------

fn map_unique(e: DbErr) -> AccountError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => AccountError::EmailTaken,
        _ => AccountError::Db(e),
    }
}

async fn email_in_use(db: &impl ConnectionTrait, email: &str, except: Option<i64>) -> Result<bool, DbErr> {
    let mut q = account::Entity::find().filter(account::Column::Email.eq(email));
    if let Some(id) = except {
        q = q.filter(account::Column::Id.ne(id));
    }
    Ok(q.count(db).await? > 0)
}

/// Creates an account with no permission check: for the operator's command line and the demo.
/// `must_change_password` asks the person to choose their own password at first login.
pub async fn create_unchecked(
    db: &impl ConnectionTrait,
    new: NewAccount,
    must_change_password: bool,
    now: DateTime<Utc>,
) -> Result<account::Model, AccountError> {
    if email_in_use(db, new.email.as_str(), None).await? {
        return Err(AccountError::EmailTaken);
    }
    let hash = hash_password(&new.password).await?;
    account::ActiveModel {
        email: Set(new.email.into_inner()),
        display_name: Set(new.display_name.into_inner()),
        password_hash: Set(hash),
        role: Set(new.role),
        locale: Set(None),
        must_change_password: Set(must_change_password),
        member_id: Set(None),
        disabled_at: Set(None),
        last_login_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(map_unique)
}

/// Links an account to a member with no permission check: for the demo and operator tools.
pub async fn set_member_unchecked(db: &impl ConnectionTrait, id: i64, member_id: Option<i64>) -> Result<(), DbErr> {
    account::Entity::update_many()
        .col_expr(account::Column::MemberId, Expr::value(member_id))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// An administrator creates an account; its holder must change the password at first login.
pub async fn create(
    db: &impl ConnectionTrait,
    _admin: &AccountsAdmin,
    new: NewAccount,
    now: DateTime<Utc>,
) -> Result<account::Model, AccountError> {
    create_unchecked(db, new, true, now).await
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountState {
    Active,
    Disabled,
}

#[derive(Debug, Clone, Default)]
pub struct AccountQuery {
    /// Part of an email or name.
    pub q: String,
    pub role: Option<Role>,
    pub state: Option<AccountState>,
    pub page: u64,
}

pub const ACCOUNTS_PER_PAGE: u64 = 50;

pub async fn list(
    db: &impl ConnectionTrait,
    _admin: &AccountsAdmin,
    query: &AccountQuery,
) -> Result<Page<account::Model>, AccountError> {
    let mut select = account::Entity::find();
    let q = query.q.trim().to_lowercase();
    if !q.is_empty() {
        use sea_orm::ExprTrait as _;
        // The typed text is matched literally: % and _ lose their LIKE meaning.
        let pattern = || crate::db::like_containing(&q);
        select =
            select.filter(account::Column::Email.like(pattern()).or(
                Expr::expr(Func::lower(Expr::col((account::Entity, account::Column::DisplayName)))).like(pattern()),
            ));
    }
    if let Some(role) = query.role {
        select = select.filter(account::Column::Role.eq(role));
    }
    select = match query.state {
        Some(AccountState::Active) => select.filter(account::Column::DisabledAt.is_null()),
        Some(AccountState::Disabled) => select.filter(account::Column::DisabledAt.is_not_null()),
        None => select,
    };
    let paginator = select.order_by_asc(account::Column::Email).paginate(db, ACCOUNTS_PER_PAGE);
    let total = paginator.num_items().await?;
    let page = query.page.max(1);
    let items = paginator.fetch_page(page - 1).await?;
    Ok(Page { items, total, page, per_page: ACCOUNTS_PER_PAGE })
}

pub async fn get(db: &impl ConnectionTrait, _admin: &AccountsAdmin, id: i64) -> Result<account::Model, AccountError> {
    find(db, id).await
}

async fn find(db: &impl ConnectionTrait, id: i64) -> Result<account::Model, AccountError> {
    account::Entity::find_by_id(id).one(db).await?.ok_or(AccountError::NotFound)
}

fn active_admins() -> Select<account::Entity> {
    account::Entity::find().filter(account::Column::Role.eq(Role::Admin)).filter(account::Column::DisabledAt.is_null())
}

/// The administrators' accounts that are not disabled (the monthly digest's alert goes to them).
pub async fn administrators(db: &impl ConnectionTrait) -> Result<Vec<account::Model>, DbErr> {
    active_admins().order_by_asc(account::Column::Id).all(db).await
}

/// Changes email, name and role. The last active administrator keeps the administrator role.
pub async fn update<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    _admin: &AccountsAdmin,
    id: i64,
    update: AccountUpdate,
    now: DateTime<Utc>,
) -> Result<(account::Model, account::Model), AccountError> {
    let txn = crate::db::write_txn(db).await?;
    let current = find(&txn, id).await?;
    let before = current.clone();
    if email_in_use(&txn, update.email.as_str(), Some(id)).await? {
        return Err(AccountError::EmailTaken);
    }
    if current.role == Role::Admin
        && update.role != Role::Admin
        && current.disabled_at.is_none()
        && active_admins().count(&txn).await? <= 1
    {
        return Err(AccountError::LastAdmin);
    }
    let role_changed = current.role != update.role;
    let mut am: account::ActiveModel = current.into();
    am.email = Set(update.email.into_inner());
    am.display_name = Set(update.display_name.into_inner());
    am.role = Set(update.role);
    am.updated_at = Set(now);
    let saved = am.update(&txn).await.map_err(map_unique)?;
    // A change of role takes effect at once: open sessions of the account end.
    if role_changed {
        sessions::end_all(&txn, id, None).await?;
    }
    txn.commit().await?;
    Ok((saved, before))
}

/// Sets a new password chosen by an administrator; the holder must replace it at next login.
pub async fn reset_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    _admin: &AccountsAdmin,
    id: i64,
    password: &Password,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let hash = hash_password(password).await?;
    let txn = crate::db::write_txn(db).await?;
    let account = find(&txn, id).await?;
    let email_key = throttle::email_key(&account.email);
    let mut am: account::ActiveModel = account.into();
    am.password_hash = Set(hash);
    am.must_change_password = Set(true);
    am.updated_at = Set(now);
    am.update(&txn).await?;
    // The new password works at once, even if someone had locked the account by guessing.
    throttle::clear(&txn, &email_key).await?;
    sessions::end_all(&txn, id, None).await?;
    txn.commit().await?;
    Ok(())
}

/// Disables (ending its sessions) or re-enables an account.
pub async fn set_disabled<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    admin: &AccountsAdmin,
    id: i64,
    disabled: bool,
    now: DateTime<Utc>,
) -> Result<account::Model, AccountError> {
    let txn = crate::db::write_txn(db).await?;
    let current = find(&txn, id).await?;
    if disabled {
        if id == admin.actor.account_id {
            return Err(AccountError::OwnAccount);
        }
        if current.role == Role::Admin && current.disabled_at.is_none() && active_admins().count(&txn).await? <= 1 {
            return Err(AccountError::LastAdmin);
        }
    }
    let mut am: account::ActiveModel = current.clone().into();
    am.disabled_at = Set(if disabled { current.disabled_at.or(Some(now)) } else { None });
    am.updated_at = Set(now);
    let saved = am.update(&txn).await?;
    if disabled {
        sessions::end_all(&txn, id, None).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// Links an account to a member record (the caller found it by email or phone), or unlinks it
/// (`None`). A member has at most one account. The change applies at the holder's next request.
pub async fn link_member(
    db: &impl ConnectionTrait,
    _admin: &AccountsAdmin,
    id: i64,
    member_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<account::Model, AccountError> {
    let account = find(db, id).await?;
    if let Some(m) = member_id {
        let taken = account::Entity::find()
            .filter(account::Column::MemberId.eq(m))
            .filter(account::Column::Id.ne(id))
            .count(db)
            .await?;
        if taken > 0 {
            return Err(AccountError::MemberLinked);
        }
    }
    let mut am: account::ActiveModel = account.into();
    am.member_id = Set(member_id);
    am.updated_at = Set(now);
    Ok(am.update(db).await?)
}

// ---- own account ---------------------------------------------------------------------------

pub async fn own(db: &impl ConnectionTrait, actor: &Actor) -> Result<account::Model, AccountError> {
    find(db, actor.account_id).await
}

/// Changes the actor's own password after checking the current one; every other session of the
/// account ends, the one making the change (`current_session`) stays.
pub async fn change_own_password<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    current_password: &str,
    new: &Password,
    current_session: &str,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let account = find(db, actor.account_id).await?;
    if !verify_password(Some(account.password_hash.clone()), current_password).await {
        return Err(AccountError::WrongPassword);
    }
    let hash = hash_password(new).await?;
    let txn = crate::db::write_txn(db).await?;
    let mut am: account::ActiveModel = account.into();
    am.password_hash = Set(hash);
    am.must_change_password = Set(false);
    am.updated_at = Set(now);
    am.update(&txn).await?;
    sessions::end_all(&txn, actor.account_id, Some(current_session)).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn update_profile(
    db: &impl ConnectionTrait,
    actor: &Actor,
    update: ProfileUpdate,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let mut am: account::ActiveModel = find(db, actor.account_id).await?.into();
    am.display_name = Set(update.display_name.into_inner());
    am.locale = Set(update.locale.map(|l| l.tag().to_owned()));
    am.updated_at = Set(now);
    am.update(db).await?;
    Ok(())
}

/// The display names of accounts, for logs that record who acted.
pub async fn display_names(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<Vec<(i64, String)>, DbErr> {
    Ok(account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a.display_name))
        .collect())
}

/// A member's confirmed new address becomes their account's sign-in, when the account signed in
/// with the old one and no other account uses the new one.
pub async fn follow_member_email(
    db: &impl ConnectionTrait,
    member_id: i64,
    old: &str,
    new: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let new = new.trim().to_lowercase();
    if email_in_use(db, &new, None).await? {
        return Ok(());
    }
    account::Entity::update_many()
        .col_expr(account::Column::Email, Expr::value(new))
        .col_expr(account::Column::UpdatedAt, Expr::value(now))
        .filter(account::Column::MemberId.eq(member_id))
        .filter(account::Column::Email.eq(old.trim().to_lowercase()))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes a member's confirmed new address theirs (`members::service::email::confirm_in`) and, in
/// the same transaction, their account's sign-in when that was the old address.
pub async fn confirm_member_email(
    db: &(impl ConnectionTrait + TransactionTrait),
    token: &str,
    now: DateTime<Utc>,
) -> Result<crate::members::entity::member::Model, crate::members::service::email::ConfirmError> {
    let txn = crate::db::write_txn(db).await?;
    let (saved, old) = crate::members::service::email::confirm_in(&txn, token, now).await?;
    if let (Some(old), Some(new)) = (old, saved.email.as_deref()) {
        follow_member_email(&txn, saved.id, &old, new, now).await?;
    }
    txn.commit().await?;
    Ok(saved)
}

/// Which of these members can sign in (have an account that is not disabled).
pub async fn members_with_accounts(
    db: &impl ConnectionTrait,
    member_ids: &[i64],
) -> Result<std::collections::HashSet<i64>, DbErr> {
    let ids: Vec<Option<i64>> = account::Entity::find()
        .select_only()
        .column(account::Column::MemberId)
        .filter(account::Column::MemberId.is_in(member_ids.iter().copied()))
        .filter(account::Column::DisabledAt.is_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}

/// Whether a member can sign in (has an account that is not disabled).
pub async fn member_has_account(db: &impl ConnectionTrait, member_id: i64) -> Result<bool, DbErr> {
    Ok(account::Entity::find()
        .filter(account::Column::MemberId.eq(member_id))
        .filter(account::Column::DisabledAt.is_null())
        .one(db)
        .await?
        .is_some())
}

pub async fn has_admin(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(account::Entity::find().filter(account::Column::Role.eq(Role::Admin)).count(db).await? > 0)
}
