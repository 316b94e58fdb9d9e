//! The monthly absence streak digest: each secretary is mailed the members of their branches at a
//! threshold, each administrator the members at the last one (the alert). Run by the event clock
//! (`records.digest`), queued once a month through `outbox::digest::queue_digest`: the first instance to
//! record the month in `digest_runs` queues it, in the same transaction (another instance waits
//! on that row, then finds the month taken); each message's dedupe key (month, recipient) keeps a
//! second copy out even so.
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DbErr, Set, entity::prelude::*, sea_query::OnConflict};

use super::{entity::digest_run, service};
pub use crate::outbox::digest::{Digest, DigestRow};
use crate::{
    branches::Scope,
    outbox::digest::{Recipient, queue_digest},
};

/// One message to queue: the digest, the recipient and who they are in the dedupe key
/// (`m<member>` or `a<account>`).
struct Letter {
    digest: Digest,
    to: Recipient,
    who: String,
}

/// Queues this month's digest unless it was queued; returns the messages written. The streaks
/// are read before the write transaction (which then only records the month and the messages:
/// SQLite's write lock is not held while the association's year is read).
pub async fn queue(db: &DatabaseConnection, today: NaiveDate, tz: Tz, now: DateTime<Utc>) -> Result<usize, DbErr> {
    let month = format!("{:04}-{:02}", today.year(), today.month());
    if digest_run::Entity::find_by_id(month.clone()).one(db).await?.is_some() {
        return Ok(0);
    }
    let letters = compose(db, &month, today, tz).await?;
    let txn = crate::db::write_txn(db).await?;
    let run = digest_run::ActiveModel { month: Set(month.clone()), created_at: Set(now) };
    let taken = digest_run::Entity::insert(run)
        .on_conflict(OnConflict::column(digest_run::Column::Month).do_nothing().to_owned())
        .exec_without_returning(&txn)
        .await?;
    if taken == 0 {
        // Another instance queued it.
        return Ok(0);
    }
    let mut written = 0;
    for l in &letters {
        written += queue_digest(&txn, &l.digest, &l.to, &l.who, now).await?;
    }
    txn.commit().await?;
    Ok(written)
}

async fn compose(db: &impl ConnectionTrait, month: &str, today: NaiveDate, tz: Tz) -> Result<Vec<Letter>, DbErr> {
    let rules = service::rules(db).await?;
    let rows = match service::streaks(db, &Scope::operator(), &rules, today, tz).await {
        Ok(rows) => rows,
        Err(service::RecordsError::Db(e)) => return Err(e),
        Err(_) => Vec::new(),
    };
    let mut letters = Vec::new();
    if rows.is_empty() {
        return Ok(letters);
    }
    let to_row = |r: &service::StreakRow| DigestRow {
        member_id: r.member_id,
        name: r.name.clone(),
        branch: r.branch.clone(),
        months: r.months,
        threshold: r.threshold,
    };
    // Each group's branch, to give a branch's secretaries its groups' members.
    let parents = crate::branches::service::group_parents(db).await?;
    let mut managed: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for (member, unit) in crate::branches::service::managers_on(db, None, today).await? {
        managed.entry(member).or_default().insert(unit);
    }
    let ids: Vec<i64> = managed.keys().copied().collect();
    let people = crate::members::service::with_ids(db, &ids).await?;
    for p in people {
        let Some(email) = p.email.clone().filter(|m| !m.trim().is_empty()) else { continue };
        let branches = &managed[&p.id];
        let covers =
            |b: i64| branches.contains(&b) || parents.get(&b).copied().flatten().is_some_and(|p| branches.contains(&p));
        let mine: Vec<DigestRow> = rows.iter().filter(|r| covers(r.branch_id)).map(to_row).collect();
        if !mine.is_empty() {
            letters.push(Letter {
                digest: Digest { month: month.to_owned(), alert_only: false, rows: mine },
                to: Recipient { email, name: p.name, locale: p.locale },
                who: format!("m{}", p.id),
            });
        }
    }
    let top = rules.thresholds[2];
    let alerts: Vec<DigestRow> = rows.iter().filter(|r| r.threshold >= top).map(to_row).collect();
    if !alerts.is_empty() {
        for a in crate::accounts::service::administrators(db).await? {
            letters.push(Letter {
                digest: Digest { month: month.to_owned(), alert_only: true, rows: alerts.clone() },
                to: Recipient { email: a.email, name: a.display_name, locale: a.locale },
                who: format!("a{}", a.id),
            });
        }
    }
    Ok(letters)
}
