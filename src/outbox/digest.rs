//! The monthly absence streak digest as the outbox holds it: what a digest says (the records domain
//! composes it) and its row in the outbox. A digest speaks of no event: its row carries what it
//! says as JSON, and `mail::views::message::build_digest` renders it.
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use super::Kind;

/// What a digest says: the month and the members, longest streak first.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Digest {
    pub month: String,
    /// For administrators: only the members at the last threshold.
    pub alert_only: bool,
    pub rows: Vec<DigestRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DigestRow {
    pub member_id: i64,
    pub name: String,
    pub branch: String,
    pub months: u32,
    pub threshold: u32,
}

/// Who a digest goes to: address, name and language (None: the default one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub email: String,
    pub name: String,
    pub locale: Option<String>,
}

/// Queues one digest message, in the caller's transaction; `who` names the recipient in the
/// message's dedupe key and Message-ID (one per month and recipient). Returns the rows written:
/// none when this recipient already has this month's.
pub async fn queue_digest(
    db: &impl ConnectionTrait,
    digest: &Digest,
    to: &Recipient,
    who: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let payload = serde_json::to_string(digest).map_err(|e| DbErr::Custom(e.to_string()))?;
    let addressee = super::Addressee { email: &to.email, name: &to.name, locale: to.locale.as_deref() };
    let keys = (format!("digest:{}:{who}", digest.month), format!("digest.{}.{who}", digest.month));
    super::insert_once(db, super::queued_row((Kind::Digest, None), &addressee, keys, Some(payload), now)).await
}
