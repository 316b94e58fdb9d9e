//! The half-yearly attendance ledger of a branch.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, QuerySelect, entity::prelude::*};

use super::{Line, RecordsError, branch_record, lines, memberships::Memberships};
use crate::{
    branches::{Scope, entity::branch},
    events::entity::event,
    records::{
        charts::OutcomeMark,
        rules::{Figures, Period, mark_of},
    },
};

/// The half-yearly attendance ledger (考勤公示) of a branch: its members (those who belonged to it
/// at some time in the half) by the events they were expected at as its members, with totals.
pub struct Ledger {
    pub branch: branch::Model,
    pub events: Vec<(i64, NaiveDate, String)>,
    /// Member, name, a mark per event (None: not expected), totals.
    pub rows: Vec<(i64, String, Vec<Option<OutcomeMark>>, Figures)>,
    /// Per event.
    pub totals: Vec<Figures>,
}

pub async fn ledger(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    period: &Period,
    tz: Tz,
) -> Result<Ledger, RecordsError> {
    let record = branch_record(db, scope, id, period, tz).await?;
    let ids: Vec<i64> = record.members.iter().map(|m| m.id).collect();
    let memberships = Memberships::of(db, Some(&ids)).await?;
    let lines: Vec<Line> = lines(db, period, tz, Some(&ids))
        .await?
        .into_iter()
        .filter(|l| memberships.branch_on(l.member_id, l.day) == Some(id))
        .collect();
    let mut event_ids: Vec<i64> = lines.iter().map(|l| l.event_id).collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    let mut events: Vec<(i64, NaiveDate, String)> = Vec::new();
    for chunk in event_ids.chunks(500) {
        let rows: Vec<(i64, DateTime<Utc>, String)> = event::Entity::find()
            .select_only()
            .columns([event::Column::Id, event::Column::StartsAt, event::Column::Title])
            .filter(event::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        events.extend(rows.into_iter().map(|(e, at, t)| (e, at.with_timezone(&tz).date_naive(), t)));
    }
    events.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let column: HashMap<i64, usize> = events.iter().enumerate().map(|(i, e)| (e.0, i)).collect();
    let row_of: HashMap<i64, usize> = ids.iter().enumerate().map(|(i, m)| (*m, i)).collect();
    let mut rows: Vec<(i64, String, Vec<Option<OutcomeMark>>, Figures)> =
        record.members.into_iter().map(|m| (m.id, m.name, vec![None; events.len()], m.figures)).collect();
    let mut totals = vec![Figures::default(); events.len()];
    for l in lines {
        let (Some(c), Some(r)) = (column.get(&l.event_id), row_of.get(&l.member_id)) else { continue };
        rows[*r].2[*c] = Some(mark_of(l.outcome, l.makeup_done));
        totals[*c].add(l.outcome, l.makeup_required, l.makeup_done);
    }
    Ok(Ledger { branch: record.branch, events, rows, totals })
}
