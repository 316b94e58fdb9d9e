//! Participation records read from attendance (never changing it): every expected member's
//! outcome at the events that ended in a period, counted for the member, for the branch they
//! belonged to on the event's day (membership periods: a member transferred out stops counting
//! for the old branch from that day), and for the association; compliance with the meetings the
//! rules require; absence streaks. One file per page; here the errors, the permission checks and
//! the outcome lines the pages share.
mod branch;
mod compliance;
mod ledger;
mod member;
mod memberships;
mod overview;
mod streaks;

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{DbErr, JoinType, QuerySelect, entity::prelude::*};

pub use self::{
    branch::{BranchRecord, MemberRow, branch_record},
    compliance::{
        ComplianceRow, DueNow, compliance, due_now, erase_reasons, exempt, exemption_of, rules, save_rules, unexempt,
        withdrawals,
    },
    ledger::{Ledger, ledger},
    member::{EventLine, MemberRecord, member_record},
    overview::{BranchRow, every_member, overview},
    streaks::{StreakRow, streaks},
};
use crate::records::rules::{Figures, Period, RecordRules};
use crate::{
    branches::Scope,
    events::{
        entity::{event, invitation},
        rules::EventState,
    },
    invitations::{Outcome, Role},
};

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("not found")]
    NotFound,
    /// A form that does not read (field errors, translated on the page).
    #[error("invalid")]
    Invalid(crate::forms::FieldErrors),
    /// The rules are the administrators' (a secretary is told so; a member gets NotFound).
    #[error("forbidden")]
    Forbidden,
    /// The rules form was based on rules another administrator changed since: they are these.
    #[error("saved by someone else meanwhile")]
    Stale(Box<RecordRules>),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Lists across members: administrators and secretaries (checked again by each list).
/// Lists across members are for administrators and secretaries. A member is answered as for
/// anything else that is not theirs: not found.
pub fn require_manager(scope: &Scope) -> Result<(), RecordsError> {
    scope.require_manager().map_err(|_| RecordsError::NotFound)
}

/// The rules are the administrators'; a secretary is told so, a member gets not found.
pub fn require_admin(scope: &Scope) -> Result<(), RecordsError> {
    require_manager(scope)?;
    if scope.is_all() { Ok(()) } else { Err(RecordsError::Forbidden) }
}

/// The first instant of a day in a zone, in UTC.
fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(tz).earliest())
        .map_or_else(|| day.and_time(chrono::NaiveTime::MIN).and_utc(), |t| t.with_timezone(&Utc))
}

/// One expected member's outcome at one event that ended.
#[derive(Debug, Clone)]
pub struct Line {
    pub member_id: i64,
    pub event_id: i64,
    /// The event's day in the association's zone.
    pub day: NaiveDate,
    pub outcome: Outcome,
    pub makeup_required: bool,
    pub makeup_done: bool,
}

/// The outcomes of expected members at events that ended in the period (of `members` only, when
/// given; read a few thousand members at a time).
async fn lines(
    db: &impl ConnectionTrait,
    period: &Period,
    tz: Tz,
    members: Option<&[i64]>,
) -> Result<Vec<Line>, DbErr> {
    let Some(ids) = members else { return all_lines(db, period, tz).await };
    let days = event_days(db, period, tz).await?;
    let mut out = Vec::new();
    for chunk in ids.chunks(2000) {
        out.extend(member_lines(db, chunk, &days).await?);
    }
    Ok(out)
}

/// The days of the events that ended in the period (a few thousand in a year).
async fn event_days(db: &impl ConnectionTrait, period: &Period, tz: Tz) -> Result<HashMap<i64, NaiveDate>, DbErr> {
    Ok(event::Entity::find()
        .select_only()
        .columns([event::Column::Id, event::Column::StartsAt])
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(event::Column::StartsAt.gte(start_of(period.from, tz)))
        .filter(event::Column::StartsAt.lt(start_of(period.end(), tz)))
        .into_tuple::<(i64, DateTime<Utc>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, at)| (id, at.with_timezone(&tz).date_naive()))
        .filter(|(_, day)| period.contains(*day))
        .collect())
}

/// A few members' outcomes at the events of `days`: their invitations from their own index
/// alone, without a join (reading each invitation's event by its key cost more than the
/// invitation).
async fn member_lines(
    db: &impl ConnectionTrait,
    ids: &[i64],
    days: &HashMap<i64, NaiveDate>,
) -> Result<Vec<Line>, DbErr> {
    type Raw = (i64, i64, Outcome, bool, Option<NaiveDate>);
    let rows: Vec<Raw> = invitation::Entity::find()
        .select_only()
        .columns([invitation::Column::MemberId, invitation::Column::EventId, invitation::Column::Outcome])
        .columns([invitation::Column::MakeupRequired, invitation::Column::MakeupDoneOn])
        .filter(invitation::Column::MemberId.is_in(ids.iter().copied()))
        .filter(invitation::Column::Role.eq(Role::Member))
        .filter(invitation::Column::Outcome.is_not_null())
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(member_id, event_id, outcome, makeup_required, done)| {
            Some(Line {
                member_id,
                event_id,
                day: *days.get(&event_id)?,
                outcome,
                makeup_required,
                makeup_done: done.is_some(),
            })
        })
        .collect())
}

/// Every expected member's outcome at the events that ended in the period.
async fn all_lines(db: &impl ConnectionTrait, period: &Period, tz: Tz) -> Result<Vec<Line>, DbErr> {
    type Raw = (i64, i64, Outcome, DateTime<Utc>, bool, Option<NaiveDate>);
    let rows: Vec<Raw> = invitation::Entity::find()
        .select_only()
        .columns([invitation::Column::MemberId, invitation::Column::EventId, invitation::Column::Outcome])
        .column(event::Column::StartsAt)
        .columns([invitation::Column::MakeupRequired, invitation::Column::MakeupDoneOn])
        .join(JoinType::InnerJoin, invitation::to_event())
        .filter(invitation::Column::MemberId.is_not_null())
        .filter(invitation::Column::Role.eq(Role::Member))
        .filter(invitation::Column::Outcome.is_not_null())
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(event::Column::StartsAt.gte(start_of(period.from, tz)))
        .filter(event::Column::StartsAt.lt(start_of(period.end(), tz)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(member_id, event_id, outcome, starts, makeup_required, done)| Line {
            member_id,
            event_id,
            day: starts.with_timezone(&tz).date_naive(),
            outcome,
            makeup_required,
            makeup_done: done.is_some(),
        })
        .filter(|l| period.contains(l.day))
        .collect())
}

/// The index of a day's month among the period's months.
fn month_index(months: &[(i32, u32)], day: NaiveDate) -> Option<usize> {
    months.iter().position(|m| *m == (day.year(), day.month()))
}

/// The seven counts of a ledger's figures (expected, present, late, on leave, absent, make-up owed,
/// make-up done) as aggregate columns of a query on expected members' invitations.
fn counted(q: Select<invitation::Entity>) -> Select<invitation::Entity> {
    let sum = |cond: &str| Expr::cust(format!("SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)"));
    let outcome = "\"invitations\".\"outcome\"";
    let makeup = "\"invitations\".\"makeup_required\"";
    q.expr(Expr::cust("COUNT(*)"))
        .expr(sum(&format!("{outcome} IN ('present', 'late')")))
        .expr(sum(&format!("{outcome} = 'late'")))
        .expr(sum(&format!("{outcome} = 'excused'")))
        .expr(sum(&format!("{outcome} = 'absent'")))
        .expr(sum(makeup))
        .expr(sum(&format!("{makeup} AND \"invitations\".\"makeup_done_on\" IS NOT NULL")))
        .filter(invitation::Column::MemberId.is_not_null())
        .filter(invitation::Column::Role.eq(Role::Member))
        .filter(invitation::Column::Outcome.is_not_null())
}

/// The figures of the seven counts of [`counted`].
fn figures_of(c: [i64; 7]) -> Figures {
    let n = |v: i64| u32::try_from(v).unwrap_or(0);
    Figures {
        expected: n(c[0]),
        present: n(c[1]),
        late: n(c[2]),
        on_leave: n(c[3]),
        absent: n(c[4]),
        makeup_owed: n(c[5]),
        makeup_done: n(c[6]),
    }
}
