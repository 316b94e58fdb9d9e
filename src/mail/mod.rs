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

use crate::{config::Settings, crypto::Signer};

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

/// The token in an invitee's answer links: the invitation's id and an HMAC of it under the
/// server's secret. Nothing is stored: the links of one invitation cannot open another, and they
/// stop working when the invitation row goes (the invitee left the audience) or the event ends.
pub fn invitation_token(signer: &Signer, invitation_id: i64) -> String {
    format!("{invitation_id}.{}", signer.sign("invitation", invitation_id.to_string().as_bytes()))
}

/// The invitation a token names, if the token is genuine.
pub fn invitation_of_token(signer: &Signer, token: &str) -> Option<i64> {
    let (id, signature) = token.split_once('.')?;
    let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
    signer.verify("invitation", id.to_string().as_bytes(), signature).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitation_tokens_open_only_their_invitation() {
        let signer = Signer::new(b"0123456789abcdef0123456789abcdef");
        let t = invitation_token(&signer, 42);
        assert_eq!(invitation_of_token(&signer, &t), Some(42));
        let forged = t.replacen("42.", "43.", 1);
        assert_eq!(invitation_of_token(&signer, &forged), None);
        assert_eq!(invitation_of_token(&signer, "42"), None);
        assert_eq!(invitation_of_token(&signer, "x.y"), None);
        assert_eq!(invitation_of_token(&Signer::new(b"another secret, 32 characters.."), &t), None);
        assert!(t.len() > 40, "at least 256 bits of signature");
    }
}
