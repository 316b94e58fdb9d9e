//! Demo data for trying Partyday out (`partyday serve --demo`). Loading it twice changes nothing.
use chrono::{DateTime, Utc};
use sea_orm::ConnectionTrait;

use crate::accounts::{
    AccountError, Role,
    rules::{DisplayName, Email, NewAccount, Password},
    service,
};

/// The password of every demo account.
pub const PASSWORD: &str = "partyday-demo";

/// Email, name and role of each demo account.
pub const ACCOUNTS: [(&str, &str, Role); 3] = [
    ("admin@demo.partyday.org", "系统管理员", Role::Admin),
    ("secretary@demo.partyday.org", "李建华", Role::Secretary),
    ("member@demo.partyday.org", "王晓梅", Role::Member),
];

pub async fn load(db: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<()> {
    for (email, name, role) in ACCOUNTS {
        let new = NewAccount {
            email: Email::parse(email).map_err(anyhow::Error::msg)?,
            display_name: DisplayName::parse(name).map_err(anyhow::Error::msg)?,
            role,
            password: Password::parse(PASSWORD, None).map_err(anyhow::Error::msg)?,
        };
        match service::create_unchecked(db, new, false, now).await {
            Ok(_) | Err(AccountError::EmailTaken) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
