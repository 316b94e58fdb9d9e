//! Email. Changes that notify people write outbox rows in their own transaction
//! ([`outbox::queue_for_event`]); the dispatcher in the server process claims due rows, renders
//! each message from the event as it is when sent (askama templates, one folder per kind, in the
//! recipient's language, with an iCalendar part) and hands it to the configured transport: SMTP
//! through lettre (pooled), or a folder of `.eml` files.
pub mod dispatch;
pub mod entity;
pub mod message;
pub mod outbox;
mod pages;

pub use pages::router;

use std::{path::PathBuf, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::{PoolConfig, authentication::Credentials},
};

use crate::config::Settings;

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
                let write = async {
                    tokio::fs::create_dir_all(dir).await?;
                    let tmp = dir.join(format!(".{file_stem}.tmp"));
                    tokio::fs::write(&tmp, message.formatted()).await?;
                    tokio::fs::rename(&tmp, dir.join(format!("{file_stem}.eml"))).await
                };
                write.await.map_err(|e| SendError::Temporary(format!("cannot write to {}: {e}", dir.display())))
            }
            Transport::Smtp(smtp) => smtp.send(message.clone()).await.map(|_| ()).map_err(|e| {
                let text = e.to_string();
                if e.is_permanent() { SendError::Permanent(text) } else { SendError::Temporary(text) }
            }),
        }
    }
}

/// The invitation an answer-link token opens: tokens are random (256 bits), one per message,
/// kept only as their SHA-256, and die with the invitation row (the invitee left the audience);
/// the answer page also refuses them once the event is over or cancelled.
pub async fn invitation_of_token(
    db: &impl sea_orm::ConnectionTrait,
    token: &str,
) -> Result<Option<i64>, sea_orm::DbErr> {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let found = entity::invitation_token::Entity::find()
        .filter(entity::invitation_token::Column::TokenHash.eq(crate::crypto::token_hash(token)))
        .one(db)
        .await?;
    Ok(found.map(|t| t.invitation_id))
}
