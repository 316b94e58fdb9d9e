//! The dispatcher: claims due messages, renders and sends them a few at a time, and records the
//! outcome (sent; retried later with exponential backoff; or failed for good with the server's answer).
use std::{collections::HashMap, sync::Arc, time::Duration as StdDuration};

use chrono::Duration;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, Set};
use tokio::{sync::watch, task::JoinSet};

use crate::mail::{
    SendError, Transport,
    views::message::{self, EventFacts},
};
use crate::{
    crypto,
    events::entity::invitation,
    mail::Mailer,
    outbox::{self, Kind, entity::invitation_token},
};

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

impl Pass {
    pub fn total(&self) -> usize {
        self.sent + self.retrying + self.failed
    }
}

/// Builds a message to one person about their account or address (no event). Its link, if any,
/// is made now, for this sending: the token is nowhere else. A link that can no longer be made
/// (used, superseded, the account's address changed) fails for good; a database error is tried
/// again on a later pass, without stopping this one.
async fn personal(mailer: &Mailer, row: &outbox::entity::outbox::Model) -> Result<lettre::Message, SendError> {
    let (db, now) = (&mailer.db, mailer.now());
    let id = row.payload.as_deref().and_then(|p| p.parse::<i64>().ok()).unwrap_or_default();
    let retry = |e: DbErr| SendError::Temporary(format!("making the link: {e}"));
    let ended = |what: &str| Err(SendError::Permanent(format!("{what}: no link is sent")));
    match row.kind {
        Kind::PasswordReset => match crate::accounts::service::reset::issue(db, id, &row.recipient, now).await {
            Ok(Some(token)) => message::build_password_reset(mailer, row, &token).map_err(SendError::Permanent),
            Ok(None) => ended("the account is disabled or signs in with another address"),
            Err(e) => Err(retry(e)),
        },
        Kind::AccountInvitation => {
            let days = mailer.settings.config.security.invitation_days;
            match crate::accounts::service::welcome::issue(db, id, Duration::days(days.into()), now).await {
                Ok(Some(token)) => {
                    message::build_account_invitation(mailer, row, &token, days).map_err(SendError::Permanent)
                }
                Ok(None) => ended("the invitation was used or superseded"),
                Err(e) => Err(retry(e)),
            }
        }
        Kind::EmailConfirm => match crate::members::service::email::issue(db, id, now).await {
            Ok(Some(token)) => message::build_email_confirm(mailer, row, &token).map_err(SendError::Permanent),
            Ok(None) => ended("the change was confirmed or superseded"),
            Err(e) => Err(retry(e)),
        },
        Kind::EmailChanged => message::build_email_changed(mailer, row).map_err(SendError::Permanent),
        _ => Err(SendError::Permanent("not a personal message".to_owned())),
    }
}

/// Claims one batch of due messages and sends it, within the claim's lease: sends stop at three
/// quarters of it (a send that has not finished by then counts as a temporary failure, messages
/// not yet tried are given back), so that every outcome is recorded while the claim still holds.
/// Another dispatcher only takes over messages whose claim has expired, so none of them can still
/// be on its way from this one.
pub async fn dispatch_once(mailer: &Mailer, transport: &Transport) -> Result<Pass, DbErr> {
    let cfg = &mailer.settings.config.mail;
    let now = mailer.now();
    let send_by = tokio::time::Instant::now() + StdDuration::from_secs(cfg.lease_seconds.into()) * 3 / 4;
    let token = crypto::random_token();
    let lease = Duration::seconds(cfg.lease_seconds.into());
    // The dispatcher's writes take their turn with the attendance writers (db::writer_turn).
    let turn = crate::db::writer_turn(&mailer.db).await;
    let rows = outbox::claim(&mailer.db, &token, cfg.batch.into(), now, now + lease).await?;
    drop(turn);
    let mut pass = Pass::default();
    if rows.is_empty() {
        return Ok(pass);
    }
    // A fresh answer-link token per message that carries links, stored (as its hash) before the
    // message can reach anyone.
    let mut tokens: HashMap<i64, String> = rows
        .iter()
        .filter(|r| !matches!(r.kind, Kind::Cancellation | Kind::Minutes) && r.invitation_id.is_some())
        .map(|r| (r.id, crypto::random_token()))
        .collect();
    let token_rows: Vec<(i64, invitation_token::ActiveModel)> = rows
        .iter()
        .filter_map(|r| {
            let token = tokens.get(&r.id)?;
            let row = invitation_token::ActiveModel {
                token_hash: Set(crypto::token_hash(token)),
                invitation_id: Set(r.invitation_id?),
                created_at: Set(now),
            };
            Some((r.id, row))
        })
        .collect();
    let turn = crate::db::writer_turn(&mailer.db).await;
    for chunk in token_rows.chunks(500) {
        let models: Vec<_> = chunk.iter().map(|(_, m)| m.clone()).collect();
        if invitation_token::Entity::insert_many(models).exec(&mailer.db).await.is_err() {
            // An invitation deleted meanwhile (its invitee left the audience) fails the foreign
            // key: insert one by one, and a message whose token could not be kept goes without links.
            for (message, model) in chunk {
                if invitation_token::Entity::insert(model.clone()).exec(&mailer.db).await.is_err() {
                    tokens.remove(message);
                }
            }
        }
    }
    drop(turn);
    // The invitations that answer copies and notices speak of, in one query.
    let answered: Vec<i64> = rows.iter().filter_map(|r| r.invitation_id).collect();
    let answers: HashMap<i64, invitation::Model> = if answered.is_empty() {
        HashMap::new()
    } else {
        invitation::Entity::find()
            .filter(invitation::Column::Id.is_in(answered))
            .all(&mailer.db)
            .await?
            .into_iter()
            .map(|i| (i.id, i))
            .collect()
    };
    let mut facts: HashMap<i64, Option<Arc<EventFacts>>> = HashMap::new();
    let mut tasks = JoinSet::new();
    let mut done = Vec::new();
    let mut untried = Vec::new();
    let concurrency = cfg.concurrency as usize;
    for row in rows {
        if tokio::time::Instant::now() >= send_by {
            untried.push(row.id);
            continue;
        }
        let f = match row.event_id {
            Some(id) => match facts.get(&id) {
                Some(f) => f.clone(),
                None => {
                    let f = EventFacts::load(mailer, id).await?.map(Arc::new);
                    facts.insert(id, f.clone());
                    f
                }
            },
            None => None,
        };
        // A copy of an answer says what the answer is now; a notice gives the secretary's note
        // on a leave decision.
        let answer = match (row.kind, row.invitation_id.and_then(|id| answers.get(&id))) {
            (Kind::AnswerCopy, Some(i)) => Some((i.answer, i.leave_reason.clone())),
            (Kind::Notice, Some(i)) => Some((i.answer, i.leave_note.clone())),
            _ => None,
        };
        let guest = row.invitation_id.and_then(|id| answers.get(&id)).is_some_and(|i| i.member_id.is_none());
        let outcome = match f {
            None if row.kind == Kind::Digest => message::build_digest(mailer, &row).map_err(SendError::Permanent),
            None if row.kind.is_personal() => personal(mailer, &row).await,
            None => Err(SendError::Permanent("the event no longer exists".to_owned())),
            Some(f) => message::build(mailer, &row, &f, (answer, guest), tokens.get(&row.id).map(String::as_str))
                .map_err(SendError::Permanent),
        };
        match outcome {
            Ok(msg) => {
                if tasks.len() >= concurrency
                    && let Some(Ok(result)) = tasks.join_next().await
                {
                    done.push(result);
                }
                let transport = transport.clone();
                let stem = row.message_id.clone();
                tasks.spawn(async move {
                    let sent = tokio::time::timeout_at(send_by, transport.send(&msg, &stem)).await;
                    let outcome = sent.unwrap_or_else(|_| {
                        Err(SendError::Temporary("no answer from the mail server before the claim ran out".into()))
                    });
                    (row, outcome)
                });
            }
            Err(e) => done.push((row, Err(e))),
        }
        // Outcomes are written as they come, a few at a time: a dispatcher killed mid-batch
        // leaves unmarked (and so sent again, under the same Message-ID, once its claim lapses)
        // only what was in flight or just done, not the whole batch (bench/soak: 88 of 100).
        if done.len() >= concurrency {
            record(mailer, &token, &mut pass, std::mem::take(&mut done)).await?;
        }
    }
    // A send task that panicked is not in `done`: its claim lapses and the message is tried again.
    while let Some(result) = tasks.join_next().await {
        if let Ok(result) = result {
            done.push(result);
        }
    }
    record(mailer, &token, &mut pass, done).await?;
    if !untried.is_empty() {
        let _turn = crate::db::writer_turn(&mailer.db).await;
        outbox::release(&mailer.db, &token, &untried).await?;
    }
    Ok(pass)
}

/// Writes the outcomes of a pass: deliveries in one statement, failures one by one.
async fn record(
    mailer: &Mailer,
    token: &str,
    pass: &mut Pass,
    done: Vec<(outbox::entity::outbox::Model, Result<(), SendError>)>,
) -> Result<(), DbErr> {
    let now = mailer.now();
    let cfg = &mailer.settings.config.mail;
    let _turn = crate::db::writer_turn(&mailer.db).await;
    let mut sent = Vec::new();
    for (row, result) in done {
        match result {
            Ok(()) => sent.push(row.id),
            Err(SendError::Temporary(e)) if (row.attempts + 1) < cfg.max_attempts as i32 => {
                let wait = i64::from(cfg.retry_base_seconds) << row.attempts.clamp(0, 16);
                tracing::warn!(id = row.id, to = %row.recipient, error = %e, "mail not delivered, will retry");
                outbox::mark_failed(&mailer.db, token, row.id, &e, Some(now + Duration::seconds(wait))).await?;
                pass.retrying += 1;
            }
            Err(SendError::Temporary(e) | SendError::Permanent(e)) => {
                tracing::warn!(id = row.id, to = %row.recipient, error = %e, "mail failed");
                outbox::mark_failed(&mailer.db, token, row.id, &e, None).await?;
                pass.failed += 1;
            }
        }
    }
    pass.sent += sent.len();
    outbox::mark_sent(&mailer.db, token, &sent, now).await
}

/// Sends due messages until `stop` changes: at once while there is work, every half second when
/// idle; queues due reminders every minute.
pub async fn run(mailer: Mailer, transport: Transport, mut stop: watch::Receiver<bool>) {
    tracing::info!(transport = %transport.describe(), "mail dispatcher started");
    let mut reminders_at = std::time::Instant::now();
    loop {
        if std::time::Instant::now() >= reminders_at {
            reminders_at = std::time::Instant::now() + StdDuration::from_secs(60);
            let m = &mailer.settings.config.mail;
            let hours = (m.reminder_hours.into(), m.reminder_quiet_hours.into());
            if let Err(e) = crate::events::service::notices::queue_reminders(&mailer.db, hours, mailer.now()).await {
                tracing::warn!(error = %e, "could not queue reminders");
            }
        }
        let idle = match dispatch_once(&mailer, &transport).await {
            Ok(pass) => pass.total() == 0,
            Err(e) => {
                tracing::warn!(error = %e, "mail dispatcher could not reach the database");
                true
            }
        };
        if idle {
            tokio::select! {
                () = tokio::time::sleep(StdDuration::from_millis(500)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}
