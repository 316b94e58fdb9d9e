//! Who is acting, and with which role: every service that acts for someone takes an [`Actor`] and
//! checks what it may do. The accounts domain signs people in and stores the role; the domains
//! below it (branches, members) check permissions with these types without knowing accounts.
use sea_orm::entity::prelude::*;

/// What an account may do. Secretaries are scoped to branches (see the branches domain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, serde::Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "lowercase")]
pub enum Role {
    #[sea_orm(string_value = "admin")]
    Admin,
    #[sea_orm(string_value = "secretary")]
    Secretary,
    #[sea_orm(string_value = "member")]
    Member,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Secretary, Role::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Secretary => "secretary",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Catalogue key of the role's name.
    pub fn label_key(self) -> &'static str {
        match self {
            Role::Admin => "role.admin",
            Role::Secretary => "role.secretary",
            Role::Member => "role.member",
        }
    }
}

/// Who is acting: the logged-in account and its role.
#[derive(Debug, Clone)]
pub struct Actor {
    pub account_id: i64,
    pub role: Role,
    /// The member record linked to the account, if any (secretaries manage through it).
    pub member_id: Option<i64>,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}
