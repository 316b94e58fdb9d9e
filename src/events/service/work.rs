//! Messages about the work after a meeting, to those who write it: minutes or a report sent back
//! (with the comment), a report published or withdrawn, minutes still not submitted some days
//! after the event. Each row names its event and carries what it says as JSON (`Work`), which
//! `mail::views::message` renders in the recipient's language.
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait};
use serde::{Deserialize, Serialize};

use super::notices::{insert_one, reachable};
use crate::{
    actor::Actor,
    events::entity::event,
    outbox::{Kind, entity::outbox},
};

/// What the message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum About {
    Minutes,
    Report,
}

impl About {
    fn key(self) -> &'static str {
        match self {
            About::Minutes => "minutes",
            About::Report => "report",
        }
    }
}

/// What happened to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    Returned,
    Published,
    Withdrawn,
    /// Minutes not yet submitted `days` after the event ended.
    Due,
}

impl Step {
    fn key(self) -> &'static str {
        match self {
            Step::Returned => "returned",
            Step::Published => "published",
            Step::Withdrawn => "withdrawn",
            Step::Due => "due",
        }
    }
}

/// What a work message says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Work {
    pub about: About,
    pub step: Step,
    /// Who took the step (an account's display name).
    pub by: Option<String>,
    /// The comment of a return, the reason of a withdrawal.
    pub note: Option<String>,
    /// Days since the event ended (minutes due).
    pub days: Option<i64>,
}

/// Who is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum To {
    /// The recorder and the organising branch's serving secretaries and deputies.
    Writers,
    /// The recorder, or the secretaries and deputies when no recorder can be reached.
    Recorder,
    /// The organising branch's serving secretaries and deputies.
    Secretaries,
}

/// Queues `work` about event `event_id` to `to` (only those with an email and an account), in
/// the caller's transaction. The `actor` who took the step is named (`Work::by`) and not told.
/// A step is told once per occurrence (`now`); minutes due, once per event and person. Returns
/// the rows written.
pub async fn queue_work(
    db: &impl ConnectionTrait,
    event_id: i64,
    mut work: Work,
    (to, actor): (To, Option<&Actor>),
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let Some(e) = event::Entity::find_by_id(event_id).one(db).await? else { return Ok(0) };
    if let Some(a) = actor {
        work.by = crate::accounts::service::display_names(db, [a.account_id]).await?.pop().map(|(_, name)| name);
    }
    let except = actor.and_then(|a| a.member_id);
    let unit = [e.branch_id];
    let secretaries = || crate::branches::service::serving_managers(db, e.branch_id, &unit, now);
    let recorder: Vec<i64> = e.recorder_member_id.into_iter().collect();
    let people = match to {
        To::Secretaries => reachable(db, secretaries().await?).await?,
        To::Writers => {
            let mut ids = secretaries().await?;
            ids.extend(&recorder);
            reachable(db, ids).await?
        }
        To::Recorder => match reachable(db, recorder).await? {
            found if !found.is_empty() => found,
            _ => reachable(db, secretaries().await?).await?,
        },
    };
    let payload = serde_json::to_string(&work).map_err(|e| DbErr::Custom(e.to_string()))?;
    let about = work.about.key();
    // Each return or publication is news; a reminder is given once.
    let when = if work.step == Step::Due { String::new() } else { format!(":{}", now.timestamp_micros()) };
    let mut queued = 0;
    for p in people.iter().filter(|p| Some(p.id) != except) {
        let key = format!("work:{about}:{}:e{}:m{}{when}", work.step.key(), e.id, p.id);
        let message_id = key.replace(':', ".");
        queued += insert_one(db, (Kind::Work, &e), p, (key, message_id), Some(payload.clone()), now).await?;
    }
    Ok(queued)
}

/// Which of `events` were already told `step` about `about` (to anyone).
pub async fn told(
    db: &impl ConnectionTrait,
    events: &[i64],
    about: About,
    step: Step,
) -> Result<std::collections::HashSet<i64>, DbErr> {
    use sea_orm::{QueryFilter, QuerySelect};
    if events.is_empty() {
        return Ok(Default::default());
    }
    let ids: Vec<Option<i64>> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::EventId)
        .distinct()
        .filter(outbox::Column::Kind.eq(Kind::Work))
        .filter(outbox::Column::EventId.is_in(events.iter().copied()))
        .filter(outbox::Column::DedupeKey.starts_with(format!("work:{}:{}:", about.key(), step.key())))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().flatten().collect())
}
