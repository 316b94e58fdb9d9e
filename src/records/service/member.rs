//! One member's record: their figures, the events they were expected at, and their year day by
//! day.
use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, QuerySelect, entity::prelude::*};

use super::{Line, RecordsError, lines, memberships::MemberExemptions};
use crate::{
    branches::Scope,
    events::{entity::event, rules::EventKind},
    invitations::Outcome,
    members::entity::member,
    records::{
        charts::OutcomeMark,
        rules::{Figures, Period, mark_of},
    },
};

/// One event of a member's record.
#[derive(Debug, Clone)]
pub struct EventLine {
    pub event_id: i64,
    pub title: String,
    pub kind: EventKind,
    pub day: NaiveDate,
    pub outcome: Outcome,
    pub makeup_required: bool,
    pub makeup_done: bool,
}

pub struct MemberRecord {
    pub member: member::Model,
    pub figures: Figures,
    pub events: Vec<EventLine>,
    /// Events of the period held by branches the viewer does not manage (a member transferred in
    /// brings them): counted in the figures, not listed.
    pub elsewhere: usize,
    /// The year of the period's end, day by day: the worst mark of the day and its events.
    pub year: i32,
    pub days: HashMap<NaiveDate, (OutcomeMark, String)>,
}

/// A member's record: for administrators, the secretaries of their branch, and themselves.
pub async fn member_record(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    period: &Period,
    tz: Tz,
) -> Result<MemberRecord, RecordsError> {
    let own = scope.actor().member_id == Some(id);
    let member = if own {
        member::Entity::find_by_id(id).one(db).await?.ok_or(RecordsError::NotFound)?
    } else {
        crate::members::service::get(db, scope, id).await.map_err(|_| RecordsError::NotFound)?
    };
    let year = period.to.year();
    let (jan, dec) = (NaiveDate::from_ymd_opt(year, 1, 1), NaiveDate::from_ymd_opt(year, 12, 31));
    let whole = Period {
        kind: crate::records::rules::PeriodKind::Year,
        from: jan.unwrap_or(period.from),
        to: dec.unwrap_or(period.to),
    };
    let exempt = MemberExemptions::of(db, Some(&[id])).await?;
    let mut all = lines(db, &whole.union(period), tz, Some(&[id])).await?;
    all.retain(|l| !exempt.on(id, l.day));
    let (lines, of_year): (Vec<Line>, Vec<Line>) = (
        all.iter().filter(|l| period.contains(l.day)).cloned().collect(),
        all.iter().filter(|l| whole.contains(l.day)).cloned().collect(),
    );
    // The events a viewer may see one by one: all of one's own, and the events of the branches a
    // secretary manages; a member's outcomes at another branch's events stay counts.
    let titles: HashMap<i64, (String, EventKind)> = event::Entity::find()
        .select_only()
        .columns([event::Column::Id, event::Column::Title, event::Column::Kind, event::Column::BranchId])
        .filter(event::Column::Id.is_in(all.iter().map(|l| l.event_id)))
        .into_tuple::<(i64, String, EventKind, i64)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, _, _, branch)| own || scope.covers(*branch))
        .map(|(id, t, k, _)| (id, (t, k)))
        .collect();
    let mut figures = Figures::default();
    let mut elsewhere = 0;
    let mut events: Vec<EventLine> = lines
        .into_iter()
        .filter_map(|l| {
            figures.add(l.outcome, l.makeup_required, l.makeup_done);
            let Some((title, kind)) = titles.get(&l.event_id).cloned() else {
                elsewhere += 1;
                return None;
            };
            Some(EventLine {
                event_id: l.event_id,
                title,
                kind,
                day: l.day,
                outcome: l.outcome,
                makeup_required: l.makeup_required,
                makeup_done: l.makeup_done,
            })
        })
        .collect();
    events.sort_by(|a, b| b.day.cmp(&a.day).then(b.event_id.cmp(&a.event_id)));
    let mut days: HashMap<NaiveDate, (OutcomeMark, String)> = HashMap::new();
    for l in of_year {
        let mark = mark_of(l.outcome, l.makeup_done);
        let title = titles.get(&l.event_id).map_or("", |t| t.0.as_str());
        days.entry(l.day)
            .and_modify(|(m, t)| {
                *m = m.worse(mark);
                if !title.is_empty() {
                    if !t.is_empty() {
                        t.push_str("; ");
                    }
                    t.push_str(title);
                }
            })
            .or_insert_with(|| (mark, title.to_owned()));
    }
    Ok(MemberRecord { member, figures, events, elsewhere, year, days })
}
