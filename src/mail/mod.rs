//! Email, sent. Changes that notify people write outbox rows in their own transaction (`outbox`,
//! and `events::service::notices` for the messages about an event); the dispatcher in the server
//! process claims due rows, renders each message from the event as it is when sent (askama
//! templates, one folder per kind, in the recipient's language, with an iCalendar part) and hands
//! it to the configured transport: SMTP through lettre (pooled), or a folder of `.eml` files.
mod handlers;
pub mod service;
pub mod views;

pub use handlers::router;

use std::{path::PathBuf, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::{PoolConfig, authentication::Credentials},
};

use crate::config::Settings;

/// A domain's document of an event for its messages (the locked minutes), as lines in `Locale`
/// (None: nothing to add): mail sends them without knowing the domains that write them.
pub type EventDocuments = for<'a> fn(
    &'a sea_orm::DatabaseConnection,
    &'a crate::events::entity::event::Model,
    crate::i18n::Locale,
) -> crate::db::BoxFuture<'a, Result<Option<Vec<String>>, sea_orm::DbErr>>;

/// What sending needs from the application: the database, the settings, the clock, and the
/// documents other domains add to an event's messages.
#[derive(Clone)]
pub struct Mailer {
    pub db: sea_orm::DatabaseConnection,
    pub settings: std::sync::Arc<Settings>,
    pub clock: std::sync::Arc<dyn crate::clock::Clock>,
    pub documents: &'static [EventDocuments],
}

impl Mailer {
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }
}

/// Where messages go.
#[derive(Clone)]
pub enum Transport {
    /// One `.eml` file per message, named by its Message-ID (a second delivery of the same message
    /// replaces the file rather than adding a copy).
    Folder(PathBuf),
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Try again later: connection refused, timeout, 4xx.
    Temporary(String),
    /// Never retried: 5xx, an address the server or we refuse.
    Permanent(String),
}

impl Transport {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Transport> {
        let m = &settings.config.mail;
        if m.transport != "smtp" {
            let folder =
                if m.folder.is_empty() { settings.config.app.data_dir.join("mail") } else { PathBuf::from(&m.folder) };
            return Ok(Transport::Folder(folder));
        }
        let builder = match m.smtp_security.as_str() {
            "tls" => AsyncSmtpTransport::<Tokio1Executor>::relay(&m.smtp_host)?,
            "starttls" => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&m.smtp_host)?,
            _ => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&m.smtp_host),
        };
        let mut builder = builder
            .port(m.smtp_port)
            .timeout(Some(Duration::from_secs(30)))
            .pool_config(PoolConfig::new().max_size(m.smtp_pool_size));
        if !m.smtp_user.is_empty() {
            builder = builder.credentials(Credentials::new(m.smtp_user.clone(), m.smtp_password.clone()));
        }
        Ok(Transport::Smtp(builder.build()))
    }

    /// Where the log and README say to look.
    pub fn describe(&self) -> String {
        match self {
            Transport::Folder(dir) => format!("folder {}", dir.display()),
            Transport::Smtp(_) => "SMTP".to_owned(),
        }
    }

    pub async fn send(&self, message: &Message, file_stem: &str) -> Result<(), SendError> {
        match self {
            Transport::Folder(dir) => {
                // One blocking task for the three file operations (not one hand-off each).
                let (dir, stem, bytes) = (dir.clone(), file_stem.to_owned(), message.formatted());
                let shown = dir.display().to_string();
                let write = tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(&dir)?;
                    let tmp = dir.join(format!(".{stem}.tmp"));
                    std::fs::write(&tmp, bytes)?;
                    std::fs::rename(&tmp, dir.join(format!("{stem}.eml")))
                });
                write
                    .await
                    .map_err(std::io::Error::other)
                    .and_then(|written| written)
                    .map_err(|e| SendError::Temporary(format!("cannot write to {shown}: {e}")))
            }
            Transport::Smtp(smtp) => smtp.send(message.clone()).await.map(|_| ()).map_err(|e| {
                let text = e.to_string();
                if e.is_permanent() { SendError::Permanent(text) } else { SendError::Temporary(text) }
            }),
        }
    }
}
