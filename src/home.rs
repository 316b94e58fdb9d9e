//! The start page: what each person has to do next, gathered from every domain, tasks first. A
//! host or recorder sees the minutes to sign or write; a secretary, the decisions and writing
//! waiting in their branches; an administrator, the reports to review; then a member sees the
//! invitations waiting for their answer, their coming events, the make-up study they owe and
//! their last outcomes; an administrator, the association at a glance. Each list is short and
//! links to the page that has it all.
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DbErr};

use crate::{
    attendance::service::{
        history::{self, MemberHome},
        waiting::{self as attendance, LeaveRequest},
    },
    branches::Scope,
    events::service::list::{self, EventRow},
    invitations::Answer,
    minutes::rules::MinutesState,
    records::{
        rules::{Figures, Period, PeriodKind, RecordRules},
        service::{self as record, DueNow, RecordsError, StreakRow},
    },
};

/// How many of each list the start page shows.
pub const SHOWN: usize = 5;

/// A coming event with its answers so far.
pub struct Coming {
    pub event: EventRow,
    pub accepted: u32,
    pub declined: u32,
    pub leave: u32,
    pub pending: u32,
}

/// A record (minutes or report) waiting for someone: its event, title and state's label key.
#[derive(Debug, Clone)]
pub struct Waiting {
    pub event_id: i64,
    pub title: String,
    pub state_key: &'static str,
}

/// What waits for a branch secretary (or an administrator: every branch).
pub struct Decisions {
    pub coming: Vec<Coming>,
    pub leave: Vec<LeaveRequest>,
    pub unattended: Vec<EventRow>,
    pub reports: Vec<Waiting>,
    pub due: Vec<DueNow>,
    pub streaks: Vec<StreakRow>,
}

/// The association at a glance, this month.
pub struct Glance {
    pub month: String,
    pub events: u64,
    pub figures: Figures,
    /// Branches that have held nothing so far this month.
    pub idle: Vec<(i64, String)>,
    pub branches: usize,
}

/// Minutes to write: an ended event, how many days ago it ended, whether they were sent back.
pub struct ToWrite {
    pub event_id: i64,
    pub title: String,
    pub days: i64,
    pub returned: bool,
}

/// Everything the start page shows; each part only for whom it concerns.
pub struct Home {
    pub member: Option<MemberHome>,
    /// Submitted minutes the viewer is to sign as host or recorder.
    pub to_sign: Vec<Waiting>,
    /// Minutes not yet submitted of ended events the viewer records or whose branch they lead.
    pub to_write: Vec<ToWrite>,
    pub decisions: Option<Decisions>,
    pub glance: Option<Glance>,
}

/// The start page of a signed-in person: `scope` is theirs, `member` their member record.
pub async fn of(
    db: &impl ConnectionTrait,
    scope: &Scope,
    member: Option<i64>,
    rules: &RecordRules,
    now: DateTime<Utc>,
    tz: Tz,
) -> Result<Home, RecordsError> {
    let today = now.with_timezone(&tz).date_naive();
    let (member_home, to_sign) = match member {
        Some(m) => (Some(history::member_home(db, m, now, SHOWN).await?), to_sign(db, m).await?),
        None => (None, Vec::new()),
    };
    let manages = scope.is_all() || scope.units().is_some_and(|u| !u.is_empty());
    let decisions = if manages { Some(decisions(db, scope, rules, now, today, tz).await?) } else { None };
    let glance = if scope.is_all() { Some(glance(db, scope, today, tz).await?) } else { None };
    let to_write = crate::minutes::service::to_write(db, scope, member, now, SHOWN as u64)
        .await?
        .into_iter()
        .map(|w| ToWrite {
            days: (today - w.ends_at.with_timezone(&tz).date_naive()).num_days(),
            event_id: w.event_id,
            title: w.title,
            returned: w.returned,
        })
        .collect();
    Ok(Home { member: member_home, to_sign, to_write, decisions, glance })
}

impl Home {
    /// Nothing waits for the viewer's decision or writing (their own invitations aside).
    pub fn no_tasks(&self) -> bool {
        self.to_sign.is_empty()
            && self.to_write.is_empty()
            && self.decisions.as_ref().is_none_or(|d| {
                d.reports.is_empty() && d.leave.is_empty() && d.unattended.is_empty() && d.due.is_empty()
            })
    }
}

/// Submitted minutes whose host or recorder is this member and has not signed yet.
async fn to_sign(db: &impl ConnectionTrait, member_id: i64) -> Result<Vec<Waiting>, DbErr> {
    let rows = crate::minutes::service::to_sign(db, member_id, SHOWN as u64).await?;
    Ok(rows
        .into_iter()
        .map(|(event_id, title)| Waiting { event_id, title, state_key: MinutesState::Submitted.label_key() })
        .collect())
}

async fn decisions(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    now: DateTime<Utc>,
    today: NaiveDate,
    tz: Tz,
) -> Result<Decisions, RecordsError> {
    let coming = list::coming(db, scope, now, now + Duration::days(30), SHOWN as u64).await?;
    let coming = with_answers(db, coming).await?;
    let leave = attendance::leave_requests(db, scope, now).await?;
    let unattended = list::unattended(db, scope, now - Duration::days(30), now, SHOWN as u64).await?;
    let reports = reports(db, scope).await?;
    let (due, streaks) = match scope.units() {
        // A secretary's own branches; the association's would be every branch's list.
        Some(units) => {
            let units: Vec<i64> = units.iter().copied().collect();
            let due = record::due_now(db, scope, rules, &units, today, tz).await?;
            (due, record::streaks(db, scope, rules, today, tz).await?)
        }
        None => (Vec::new(), Vec::new()),
    };
    Ok(Decisions { coming, leave, unattended, reports, due, streaks })
}

/// Each event's answers so far (members and guests).
async fn with_answers(db: &impl ConnectionTrait, events: Vec<EventRow>) -> Result<Vec<Coming>, DbErr> {
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let by_event = attendance::answer_counts(db, &ids).await?;
    Ok(events
        .into_iter()
        .map(|event| {
            let mut c = Coming { accepted: 0, declined: 0, leave: 0, pending: 0, event };
            for (a, n) in by_event.get(&c.event.id).into_iter().flatten() {
                match a {
                    Answer::Accepted | Answer::Waitlisted => c.accepted += n,
                    Answer::Declined => c.declined += n,
                    Answer::Pending => c.pending += n,
                    Answer::LeaveRequested | Answer::LeaveApproved | Answer::LeaveRejected => c.leave += n,
                }
            }
            c
        })
        .collect())
}

/// Reports waiting: for a secretary, their branches' drafts (those sent back first, said so) and
/// those submitted for review; for an administrator, those submitted and the changes to published
/// ones.
async fn reports(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<Waiting>, DbErr> {
    let rows = crate::reports::service::waiting(db, scope, SHOWN as u64).await?;
    Ok(rows
        .into_iter()
        .map(|w| Waiting {
            event_id: w.event_id,
            title: w.title,
            state_key: match (w.returned, w.changes) {
                (true, _) => "report.returned_title",
                (false, true) => "report.changes_title",
                (false, false) => w.state.label_key(),
            },
        })
        .collect())
}

async fn glance(db: &impl ConnectionTrait, scope: &Scope, today: NaiveDate, tz: Tz) -> Result<Glance, RecordsError> {
    let first = today.with_day(1).unwrap_or(today);
    let period = Period { kind: PeriodKind::Month, from: first, to: today };
    let (rows, trend) = record::overview(db, scope, &period, tz).await?;
    let mut figures = Figures::default();
    for f in &trend {
        figures.merge(f);
    }
    let next = (first + Duration::days(32)).with_day(1).unwrap_or(first);
    let events = list::count_starting(db, list::start_of(first, tz), list::start_of(next, tz)).await?;
    let branches = rows.len();
    let idle = rows.into_iter().filter(|r| r.held == 0).map(|r| (r.id, r.name)).collect();
    Ok(Glance { month: first.format("%Y-%m").to_string(), events, figures, idle, branches })
}
