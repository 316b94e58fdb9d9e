//! The application's state: the database, settings, clock and signer, and the caches pages
//! share. Handlers take it (`State<AppState>`); services take the parts they use.
use std::{path::Path, sync::Arc};

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    accounts::service::{LoginPolicy, sessions::SessionPolicy},
    clock::Clock,
    config::Settings,
    crypto::{self, Signer},
    db,
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Attendance changes, grouped into shared transactions on SQLite (`db::Writer`).
    pub writer: db::Writer,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub signer: Arc<Signer>,
    pub units: Arc<crate::branches::service::cache::UnitCache>,
    /// The public Activities page's filter choices, per version of the public reports.
    pub activity_choices: Arc<crate::reports::service::public::ChoicesCache>,
    /// Signed minutes' frozen rolls, as parsed.
    pub rolls: Arc<crate::minutes::service::Rolls>,
    /// Documents other domains add to the messages about an event (the locked minutes), as lines
    /// in a language: the mail domain sends them without knowing them.
    pub event_documents: &'static [crate::mail::EventDocuments],
    /// Who saw and exported personal data: entries are written in batches by a task of their own.
    pub audit: crate::audit::Audit,
}

impl AppState {
    /// Connects to the database, brings its schema up to date and loads the signing secret.
    pub async fn init(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
        let db = db::connect(&settings.config.database).await.context("cannot open the database")?;
        db::migrate(&db).await.context("cannot migrate the database")?;
        let secret = load_secret(&settings)?;
        crate::branches::rules::set_default_zone(settings.timezone);
        Ok(AppState {
            writer: db::Writer::new(db.clone()),
            audit: crate::audit::Audit::start(db.clone()),
            db,
            settings: Arc::new(settings),
            clock,
            signer: Arc::new(Signer::new(&secret)),
            units: Arc::default(),
            activity_choices: Arc::default(),
            rolls: Arc::default(),
            event_documents: &[crate::minutes::mail_document],
        })
    }

    /// What the mail dispatcher needs of the state.
    pub fn mailer(&self) -> crate::mail::Mailer {
        crate::mail::Mailer {
            db: self.db.clone(),
            settings: self.settings.clone(),
            clock: self.clock.clone(),
            documents: self.event_documents,
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today's date in the configured time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now().with_timezone(&self.settings.timezone).date_naive()
    }

    pub fn session_policy(&self) -> SessionPolicy {
        let s = &self.settings.config.security;
        SessionPolicy {
            idle: Duration::hours(s.session_idle_hours.into()),
            max: Duration::days(s.session_max_days.into()),
        }
    }

    pub fn login_policy(&self) -> LoginPolicy {
        let s = &self.settings.config.security;
        LoginPolicy {
            max_per_email: s.login_max_failures,
            max_per_address: s.login_max_failures_per_address,
            window: Duration::minutes(s.login_window_minutes.into()),
        }
    }
}

/// The configured secret, or the one kept in the data directory (made on first start).
fn load_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let configured = &settings.config.app.secret;
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let dir = &settings.config.app.data_dir;
    let path = dir.join("secret.key");
    if path.exists() {
        let secret = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let secret = secret.trim();
        anyhow::ensure!(
            secret.len() >= 32,
            "{} is shorter than 32 characters: delete it to make a new one",
            path.display()
        );
        return Ok(secret.as_bytes().to_vec());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let secret = crypto::random_token();
    write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new signing secret");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}
