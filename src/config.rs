//! Layered configuration: built-in defaults, `config/default.toml`, `config/$PARTYDAY_ENV.toml`,
//! then `PARTYDAY__SECTION__KEY` environment variables. Every error names the key at fault.
use std::{net::SocketAddr, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use serde::Deserialize;

pub use crate::db::DatabaseConfig;
use crate::i18n::Locale;

const DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub app: AppConfig,
    pub security: SecurityConfig,
    pub mail: MailConfig,
    pub attendance: AttendanceConfig,
    pub events: EventsConfig,
    pub reports: ReportsConfig,
    pub minutes: MinutesConfig,
    pub records: RecordsConfig,
    pub backup: BackupConfig,
    pub privacy: PrivacyConfig,
    pub workers: WorkersConfig,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RecordsConfig {
    /// Whether the event clock queues the monthly absence streak digest.
    pub digest: bool,
}

/// The server's own daily backup (`backup::daily`).
#[derive(Debug, Clone, Deserialize)]
pub struct BackupConfig {
    /// Folder of the daily backups; empty: no daily backup.
    pub dir: String,
    /// How many daily backups are kept.
    pub keep: u32,
}

/// How long personal data kept for a while is kept (housekeeping deletes or erases it).
#[derive(Debug, Clone, Deserialize)]
pub struct PrivacyConfig {
    /// Years the audit log is kept.
    pub audit_keep_years: u32,
    /// Years after their event or date when leave and exemption reasons are erased.
    pub reasons_keep_years: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MinutesConfig {
    /// Days after an event's end when its recorder (or secretaries) are reminded, once, that its
    /// minutes are not submitted yet; 0: never.
    pub remind_after_days: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ReportsConfig {
    /// Event types (their keys) whose activity report is drafted when they end.
    pub draft_kinds: Vec<String>,
    /// "admin" or "secretary": who publishes a report.
    pub publish_by: String,
}

/// The background work of this instance. Each can be switched off: on instances that only serve
/// pages, and in tests, which drive one pass at a time (`dispatch_once`, `finalise_due`).
#[derive(Debug, Clone, Deserialize)]
pub struct WorkersConfig {
    pub dispatcher: bool,
    pub event_clock: bool,
    pub housekeeping: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MailConfig {
    pub transport: String,
    pub folder: String,
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_security: String,
    pub smtp_user: String,
    pub smtp_password: String,
    pub smtp_pool_size: u32,
    pub concurrency: u32,
    pub batch: u32,
    pub lease_seconds: u32,
    pub retry_base_seconds: u32,
    pub max_attempts: u32,
    pub reminder_hours: u32,
    /// No reminder to an invitee invited (or who answered) less than this many hours before.
    pub reminder_quiet_hours: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AttendanceConfig {
    /// Self check-in (QR code, email link) opens this many minutes before the start.
    pub checkin_opens_minutes: u32,
    /// A self check-in this many minutes after the start counts as late.
    pub late_after_minutes: u32,
}

impl AttendanceConfig {
    /// The times of self check-in these settings give.
    pub fn window(&self) -> crate::attendance::service::Window {
        crate::attendance::service::Window {
            opens_before: chrono::Duration::minutes(self.checkin_opens_minutes.into()),
            late_after: chrono::Duration::minutes(self.late_after_minutes.into()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventsConfig {
    /// How many years back an activity that took place may be recorded (补录).
    pub record_back_years: u32,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ServerConfig {
    pub addr: String,
    pub trust_forwarded_for: bool,
    /// The reverse proxies whose `X-Forwarded-For` is believed (with `trust_forwarded_for`).
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppConfig {
    pub base_url: String,
    pub timezone: String,
    pub default_locale: String,
    pub data_dir: PathBuf,
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SecurityConfig {
    /// How many days an invitation to open an account works.
    pub invitation_days: u32,
    pub login_max_failures: u32,
    pub login_max_failures_per_address: u32,
    pub login_window_minutes: u32,
    pub session_idle_hours: u32,
    pub session_max_days: u32,
}

/// A configuration that cannot be used, with the key it concerns.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {key}: {reason}")]
pub struct ConfigError {
    pub key: String,
    pub reason: String,
}

impl ConfigError {
    fn new(key: &str, reason: impl Into<String>) -> Self {
        Self { key: key.to_owned(), reason: reason.into() }
    }
}

/// Values derived from the configuration once it has been checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub addr: SocketAddr,
    pub base_url: url::Url,
    pub timezone: chrono_tz::Tz,
    pub default_locale: Locale,
    /// Cookies get the Secure attribute when Partyday is reached over https.
    pub secure_cookies: bool,
    /// The event types whose activity report is drafted when they end (`reports.draft_kinds`).
    pub report_kinds: Vec<crate::events::rules::EventKind>,
    /// Who publishes activity reports (`reports.publish_by`).
    pub publish_by: crate::reports::rules::PublishBy,
    /// The addresses `X-Forwarded-For` is read from (`server.trusted_proxies`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Settings {
    /// The site's address and the association's time zone, which name and place its calendars.
    pub fn site(&self) -> (&url::Url, chrono_tz::Tz) {
        (&self.base_url, self.timezone)
    }
}

impl Config {
    /// Reads the layers from the working directory and the process environment.
    pub fn load() -> Result<Settings, ConfigError> {
        let mut figment = Figment::from(Toml::string(DEFAULTS)).merge(Toml::file("config/default.toml"));
        if let Ok(env) = std::env::var("PARTYDAY_ENV") {
            let path = PathBuf::from(format!("config/{env}.toml"));
            if !path.is_file() {
                return Err(ConfigError::new("PARTYDAY_ENV", format!("{} does not exist", path.display())));
            }
            figment = figment.merge(Toml::file(path));
        }
        Self::from_figment(&figment.merge(Env::prefixed("PARTYDAY__").split("__")))
    }

    /// Built-in defaults with the given TOML documents laid over them in order (for tests and
    /// tools).
    pub fn from_toml(layers: &[&str]) -> Result<Settings, ConfigError> {
        let figment =
            layers.iter().fold(Figment::from(Toml::string(DEFAULTS)), |f, layer| f.merge(Toml::string(layer)));
        Self::from_figment(&figment)
    }

    fn from_figment(figment: &Figment) -> Result<Settings, ConfigError> {
        let config: Config = figment.extract().map_err(|e| {
            let key = if e.path.is_empty() { "(file)".to_owned() } else { e.path.join(".") };
            ConfigError::new(&key, e.kind.to_string())
        })?;
        config.check()
    }

    fn check(self) -> Result<Settings, ConfigError> {
        let addr = self.server.addr.parse::<SocketAddr>().map_err(|_| {
            ConfigError::new("server.addr", format!("{:?} is not an address such as 127.0.0.1:8080", self.server.addr))
        })?;
        let url = &self.database.url;
        if !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError::new("database.url", "must start with sqlite: or postgres://"));
        }
        if self.database.max_connections == 0 {
            return Err(ConfigError::new("database.max_connections", "must be at least 1"));
        }
        let base_url = url::Url::parse(&self.app.base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                ConfigError::new("app.base_url", format!("{:?} is not an http(s) URL", self.app.base_url))
            })?;
        let timezone = self.app.timezone.parse::<chrono_tz::Tz>().map_err(|_| {
            ConfigError::new(
                "app.timezone",
                format!("{:?} is not an IANA time zone such as Asia/Shanghai", self.app.timezone),
            )
        })?;
        let default_locale = Locale::from_tag(&self.app.default_locale).ok_or_else(|| {
            ConfigError::new("app.default_locale", format!("{:?} is not one of zh-CN, en", self.app.default_locale))
        })?;
        if !self.app.secret.is_empty() && self.app.secret.len() < 32 {
            return Err(ConfigError::new("app.secret", "must be at least 32 characters (or empty to generate one)"));
        }
        let s = &self.security;
        for (key, value) in [
            ("security.login_max_failures", s.login_max_failures),
            ("security.login_max_failures_per_address", s.login_max_failures_per_address),
            ("security.login_window_minutes", s.login_window_minutes),
            ("security.session_idle_hours", s.session_idle_hours),
            ("security.session_max_days", s.session_max_days),
        ] {
            if value == 0 {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        let a = &self.attendance;
        for (key, value) in [
            ("attendance.checkin_opens_minutes", a.checkin_opens_minutes),
            ("attendance.late_after_minutes", a.late_after_minutes),
        ] {
            if value > 1440 {
                return Err(ConfigError::new(key, "must be at most 1440 (a day)"));
            }
        }
        if !(1..=90).contains(&self.security.invitation_days) {
            return Err(ConfigError::new("security.invitation_days", "must be between 1 and 90"));
        }
        if !(1..=366).contains(&self.backup.keep) {
            return Err(ConfigError::new("backup.keep", "must be between 1 and 366"));
        }
        if !(1..=50).contains(&self.privacy.audit_keep_years) {
            return Err(ConfigError::new("privacy.audit_keep_years", "must be between 1 and 50"));
        }
        if !(1..=50).contains(&self.privacy.reasons_keep_years) {
            return Err(ConfigError::new("privacy.reasons_keep_years", "must be between 1 and 50"));
        }
        if self.minutes.remind_after_days > 365 {
            return Err(ConfigError::new("minutes.remind_after_days", "must be at most 365 (0: no reminder)"));
        }
        if self.mail.reminder_quiet_hours > 168 {
            return Err(ConfigError::new("mail.reminder_quiet_hours", "must be at most 168 (a week)"));
        }
        if !(1..=100).contains(&self.events.record_back_years) {
            return Err(ConfigError::new("events.record_back_years", "must be between 1 and 100"));
        }
        let m = &self.mail;
        match m.transport.as_str() {
            "folder" => {}
            "smtp" if m.smtp_host.trim().is_empty() => {
                return Err(ConfigError::new("mail.smtp_host", "must be set when mail.transport is \"smtp\""));
            }
            "smtp" => {}
            other => return Err(ConfigError::new("mail.transport", format!("{other:?} is not one of folder, smtp"))),
        }
        if !matches!(m.smtp_security.as_str(), "starttls" | "tls" | "none") {
            return Err(ConfigError::new("mail.smtp_security", "must be one of starttls, tls, none"));
        }
        if m.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "mail.from",
                format!("{:?} is not an address such as Partyday <noreply@example.org>", m.from),
            ));
        }
        for (key, value) in [
            ("mail.smtp_pool_size", m.smtp_pool_size),
            ("mail.concurrency", m.concurrency),
            ("mail.batch", m.batch),
            ("mail.lease_seconds", m.lease_seconds),
            ("mail.retry_base_seconds", m.retry_base_seconds),
            ("mail.max_attempts", m.max_attempts),
            ("mail.reminder_hours", m.reminder_hours),
        ] {
            if value == 0 {
                return Err(ConfigError::new(key, "must be at least 1"));
            }
        }
        let mut report_kinds = Vec::new();
        for key in &self.reports.draft_kinds {
            let kind = <crate::events::rules::EventKind as crate::forms::Choice>::parse(key).ok_or_else(|| {
                ConfigError::new("reports.draft_kinds", format!("{key:?} is not an event type such as theme_party_day"))
            })?;
            report_kinds.push(kind);
        }
        let mut trusted_proxies = Vec::new();
        for p in &self.server.trusted_proxies {
            let ip = p.trim().parse::<std::net::IpAddr>().map_err(|_| {
                ConfigError::new("server.trusted_proxies", format!("{p:?} is not an IP address such as 127.0.0.1"))
            })?;
            trusted_proxies.push(ip);
        }
        let publish_by = crate::reports::rules::PublishBy::parse(&self.reports.publish_by)
            .ok_or_else(|| ConfigError::new("reports.publish_by", "must be \"admin\" or \"secretary\""))?;
        Ok(Settings {
            addr,
            publish_by,
            trusted_proxies,
            secure_cookies: base_url.scheme() == "https",
            report_kinds,
            base_url,
            timezone,
            default_locale,
            config: self,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_of(toml: &str) -> String {
        Config::from_toml(&[toml]).expect_err("should be refused").key
    }

    #[test]
    fn defaults_are_valid() {
        let s = Config::from_toml(&[]).expect("defaults");
        assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
        assert_eq!(s.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(s.default_locale, Locale::ZhCn);
        assert!(!s.secure_cookies);
    }

    #[test]
    fn errors_name_the_key() {
        assert_eq!(key_of("[server]\naddr = \"nowhere\""), "server.addr");
        assert_eq!(key_of("[app]\ntimezone = \"Mars/Olympus\""), "app.timezone");
        assert_eq!(key_of("[app]\ndefault_locale = \"fr\""), "app.default_locale");
        assert_eq!(key_of("[app]\nbase_url = \"ftp://x\""), "app.base_url");
        assert_eq!(key_of("[database]\nurl = \"mysql://x\""), "database.url");
        assert_eq!(key_of("[database]\nmax_connections = \"many\""), "database.max_connections");
        assert_eq!(key_of("[security]\nsession_idle_hours = 0"), "security.session_idle_hours");
        assert_eq!(key_of("[app]\nsecret = \"short\""), "app.secret");
        assert_eq!(key_of("[reports]\ndraft_kinds = [\"theme_party_day\", \"picnic\"]"), "reports.draft_kinds");
        assert_eq!(key_of("[reports]\npublish_by = \"editor\""), "reports.publish_by");
        assert_eq!(key_of("[events]\nrecord_back_years = 0"), "events.record_back_years");
        assert_eq!(key_of("[events]\nrecord_back_years = 101"), "events.record_back_years");
    }

    #[test]
    fn every_type_but_the_committee_meeting_is_reported_by_default() {
        use crate::{events::rules::EventKind, forms::Choice};
        let kinds = Config::from_toml(&[]).expect("defaults").report_kinds;
        let expected: Vec<EventKind> =
            EventKind::ALL.iter().copied().filter(|k| *k != EventKind::BranchCommitteeMeeting).collect();
        assert_eq!(kinds, expected);
        let none = Config::from_toml(&["[reports]\ndraft_kinds = []"]).expect("an empty list is allowed");
        assert!(none.report_kinds.is_empty());
    }

    #[test]
    fn https_base_url_makes_cookies_secure() {
        assert!(Config::from_toml(&["[app]\nbase_url = \"https://party.example.org\""]).expect("valid").secure_cookies);
    }
}
