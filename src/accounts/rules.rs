//! Parsed account types: a value of these types has passed every rule, so services take them
//! instead of raw strings. Parse functions report field errors in translatable form.
use crate::{
    actor::Role,
    forms::{FieldErrors, parse_email, parse_optional_locale},
    i18n::Locale,
};

pub const NAME_MAX: usize = 100;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

/// A syntactically valid email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        parse_email(raw).map(Email)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A person's display name: 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(raw: &str) -> Result<DisplayName, &'static str> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("field.required");
        }
        if s.chars().count() > NAME_MAX {
            return Err("field.too_long");
        }
        if s.chars().any(char::is_control) {
            return Err("field.invalid_characters");
        }
        Ok(DisplayName(s.to_owned()))
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// A password that meets the policy. It is never logged or shown (no Debug of the content).
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// Passwords that appear at the top of every leaked-password list, plus this app's own name.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "12345678910",
    "0123456789",
    "1111111111",
    "0000000000",
    "1234567890a",
    "qwertyuiop",
    "qwertyuiop123",
    "1q2w3e4r5t",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "iloveyou123",
    "abcdefghij",
    "abc1234567",
    "a123456789",
    "qazwsxedcr",
    "1qaz2wsx3edc",
    "zaq12wsxcde",
    "asdfghjkl1",
    "welcome123",
    "admin12345",
    "administrator",
    "letmein123",
    "woaini1314",
    "woaini520",
    "5201314520",
    "partyday123",
    "partyday2026",
    "changeme123",
];

impl Password {
    /// Length 10–128 characters, at least 5 different characters, not a well-known password,
    /// and not containing the account's email name.
    pub fn parse(raw: &str, email: Option<&str>) -> Result<Password, &'static str> {
        let len = raw.chars().count();
        if len == 0 {
            return Err("field.required");
        }
        if len < PASSWORD_MIN {
            return Err("password.too_short");
        }
        if len > PASSWORD_MAX {
            return Err("password.too_long");
        }
        let mut distinct: Vec<char> = raw.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 5 {
            return Err("password.too_simple");
        }
        let lower = raw.to_lowercase();
        if COMMON_PASSWORDS.contains(&lower.as_str()) {
            return Err("password.common");
        }
        if let Some(local) = email.and_then(|e| e.split('@').next()).filter(|l| l.chars().count() >= 4)
            && lower.contains(&local.to_lowercase())
        {
            return Err("password.contains_email");
        }
        Ok(Password(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// An account to create, as an administrator entered it.
#[derive(Debug)]
pub struct NewAccount {
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
    pub password: Password,
}

/// A new password and its confirmation, checked together; errors go to `password` and
/// `password_confirm`.
fn new_password(errors: &mut FieldErrors, password: &str, confirm: &str, email: Option<&str>) -> Option<Password> {
    let parsed = errors.check("password", Password::parse(password, email))?;
    if password != confirm {
        errors.add("password_confirm", "password.mismatch");
        return None;
    }
    Some(parsed)
}

/// Raw form of the "new account" page.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct NewAccountForm {
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password: String,
    pub password_confirm: String,
}

impl NewAccountForm {
    pub fn parse(&self) -> Result<NewAccount, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&self.email));
        let display_name = errors.check("display_name", DisplayName::parse(&self.display_name));
        let role = errors.check("role", Role::parse(&self.role).ok_or("field.choose_one"));
        let password =
            new_password(&mut errors, &self.password, &self.password_confirm, email.as_ref().map(Email::as_str));
        match (email, display_name, role, password) {
            (Some(email), Some(display_name), Some(role), Some(password)) if errors.is_empty() => {
                Ok(NewAccount { email, display_name, role, password })
            }
            _ => Err(errors),
        }
    }
}

/// Changes an administrator makes to an account's profile.
#[derive(Debug)]
pub struct AccountUpdate {
    pub email: Email,
    pub display_name: DisplayName,
    pub role: Role,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct AccountUpdateForm {
    pub email: String,
    pub display_name: String,
    pub role: String,
}

impl AccountUpdateForm {
    pub fn parse(&self) -> Result<AccountUpdate, FieldErrors> {
        let mut errors = FieldErrors::default();
        let email = errors.check("email", Email::parse(&self.email));
        let display_name = errors.check("display_name", DisplayName::parse(&self.display_name));
        let role = errors.check("role", Role::parse(&self.role).ok_or("field.choose_one"));
        match (email, display_name, role) {
            (Some(email), Some(display_name), Some(role)) => Ok(AccountUpdate { email, display_name, role }),
            _ => Err(errors),
        }
    }
}

/// A new password typed twice (own change, or an administrator's reset).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct NewPasswordForm {
    pub current_password: String,
    pub password: String,
    pub password_confirm: String,
}

impl NewPasswordForm {
    /// Checks the new password against the policy and its confirmation.
    pub fn parse_new(&self, email: &str) -> Result<Password, FieldErrors> {
        let mut errors = FieldErrors::default();
        new_password(&mut errors, &self.password, &self.password_confirm, Some(email)).ok_or(errors)
    }
}

/// Own profile settings: name and preferred language (empty = follow the browser).
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub display_name: String,
    pub locale: String,
}

pub struct ProfileUpdate {
    pub display_name: DisplayName,
    pub locale: Option<Locale>,
}

impl ProfileForm {
    pub fn parse(&self) -> Result<ProfileUpdate, FieldErrors> {
        let mut errors = FieldErrors::default();
        let display_name = errors.check("display_name", DisplayName::parse(&self.display_name));
        let locale = errors.check("locale", parse_optional_locale(&self.locale));
        match (display_name, locale) {
            (Some(display_name), Some(locale)) => Ok(ProfileUpdate { display_name, locale }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse("  Li.Wei@Example.ORG ").map(Email::into_inner), Ok("li.wei@example.org".into()));
        assert_eq!(Email::parse("王伟@医院.中国").map(Email::into_inner), Ok("王伟@医院.中国".into()));
        for bad in ["", "a", "a@b", "@b.cn", "a@.cn", "a@b..cn", "a b@c.cn", "a@b.cn.", "a<b@c.cn", "a@b_c.cn"] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
        assert_eq!(Email::parse(""), Err("field.required"));
        assert!(Email::parse(&format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn names() {
        assert!(DisplayName::parse("  王小明 ").is_ok());
        assert_eq!(DisplayName::parse("   "), Err("field.required"));
        assert_eq!(DisplayName::parse(&"名".repeat(101)), Err("field.too_long"));
        assert!(DisplayName::parse(&"名".repeat(100)).is_ok());
        assert_eq!(DisplayName::parse("a\u{0}b"), Err("field.invalid_characters"));
    }

    #[test]
    fn passwords() {
        assert!(Password::parse("correct horse battery", None).is_ok());
        assert_eq!(Password::parse("", None).err(), Some("field.required"));
        assert_eq!(Password::parse("short1!", None).err(), Some("password.too_short"));
        assert_eq!(Password::parse(&"ab1!x".repeat(30), None).err(), Some("password.too_long"));
        assert_eq!(Password::parse("aaaaabbbbbaaaa", None).err(), Some("password.too_simple"));
        assert_eq!(Password::parse("Password123", None).err(), Some("password.common"));
        assert_eq!(
            Password::parse("my-liwei-secret", Some("liwei@example.org")).err(),
            Some("password.contains_email")
        );
        assert!(format!("{:?}", Password::parse("correct horse battery", None)).contains('…'));
    }

    #[test]
    fn new_account_form_reports_every_field() {
        let errors = NewAccountForm { role: "root".into(), ..Default::default() }.parse().expect_err("empty form");
        for field in ["email", "display_name", "role", "password"] {
            assert!(errors.get(field).is_some(), "{field} has no error");
        }
        let mismatch = NewAccountForm {
            email: "a@example.org".into(),
            display_name: "A".into(),
            role: "member".into(),
            password: "correct horse battery".into(),
            password_confirm: "correct horse batter".into(),
        }
        .parse()
        .expect_err("mismatch");
        assert_eq!(mismatch.get("password_confirm").map(|m| m.key.as_str()), Some("password.mismatch"));
    }
}
