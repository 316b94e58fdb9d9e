//! Reading attendance: everyone on an event's list with their answer and outcome (one query),
//! the summary (expected / present / on leave / absent / non-voting and guests), and a member's
//! own history.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, JoinType, Order, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    entity::prelude::*,
    sea_query::{Alias, Expr, ExprTrait, Query},
};
use serde::{Deserialize, Deserializer};

use crate::attendance::rules::Method;
use crate::invitations::{Answer, Outcome, Role};
use crate::{
    branches::entity::branch,
    db,
    events::entity::{event, guest, invitation},
    forms::Choice,
    members::{entity::member, rules::PoliticalStatus},
};

/// SQLite gives booleans as 0/1.
fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flag {
        B(bool),
        N(i64),
    }
    Ok(match Flag::deserialize(d)? {
        Flag::B(b) => b,
        Flag::N(n) => n != 0,
    })
}

/// One person on an event's list.
#[derive(Debug, Clone, Deserialize)]
pub struct Person {
    pub id: i64,
    pub member_id: Option<i64>,
    pub guest_id: Option<i64>,
    /// member | non_voting | guest_speaker | leader
    pub role: Role,
    pub answer: Answer,
    pub answered_at: Option<DateTime<Utc>>,
    pub leave_reason: Option<String>,
    pub leave_note: Option<String>,
    #[serde(deserialize_with = "flag")]
    pub walk_in: bool,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checkin_method: Option<String>,
    pub outcome: Option<Outcome>,
    #[serde(deserialize_with = "flag")]
    pub left_early: bool,
    #[serde(deserialize_with = "flag")]
    pub makeup_required: bool,
    pub makeup_done_on: Option<NaiveDate>,
    pub makeup_note: Option<String>,
    pub name: String,
    /// Members' political status.
    pub political_status: Option<PoliticalStatus>,
    /// The member's branch, or the guest's organisation.
    pub unit: Option<String>,
    /// A guest's title.
    pub title: Option<String>,
}

impl Person {
    /// How many of COLUMNS are the invitation's own.
    const OWN: usize = 16;
    const COLUMNS: &[&str] = &[
        "id",
        "member_id",
        "guest_id",
        "role",
        "answer",
        "answered_at",
        "leave_reason",
        "leave_note",
        "walk_in",
        "checked_in_at",
        "checkin_method",
        "outcome",
        "left_early",
        "makeup_required",
        "makeup_done_on",
        "makeup_note",
        "name",
        "political_status",
        "unit",
        "title",
    ];

    pub fn answer(&self) -> Answer {
        self.answer
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Catalogue key of the answer as the roster shows it, or None: once someone is marked
    /// present, late or absent, "not answered yet" says nothing (the outcome says it all).
    pub fn shown_answer(&self) -> Option<&'static str> {
        (self.answer != Answer::Pending || self.outcome.is_none()).then(|| self.answer.label_key())
    }

    pub fn method(&self) -> Option<Method> {
        self.checkin_method.as_deref().and_then(Method::parse)
    }

    /// Expected (应到): members invited as members.
    pub fn expected(&self) -> bool {
        self.member_id.is_some() && self.role == Role::Member
    }

    pub fn attended(&self) -> bool {
        self.outcome().is_some_and(Outcome::attended)
    }

    pub fn place(&self) -> Place {
        Place::of(self.expected(), self.answer(), self.outcome())
    }

    /// The role's catalogue key (guest roles, or a member).
    pub fn role_label(&self) -> String {
        self.role.label_key().to_owned()
    }

    pub fn status_label(&self) -> Option<&'static str> {
        self.political_status.map(PoliticalStatus::label_key)
    }
}

/// Everyone on an event's list, members by branch and name, then the others by name.
pub async fn people(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<Person>, DbErr> {
    let (i, m, b, g) = (Alias::new("i"), Alias::new("m"), Alias::new("b"), Alias::new("g"));
    let col = |t: &Alias, c: &str| Expr::col((t.clone(), Alias::new(c)));
    let mut select = Query::select();
    select.from_as(invitation::Entity, i.clone());
    // The invitation's own columns come first in COLUMNS; the rest are joined or computed.
    for c in &Person::COLUMNS[..Person::OWN] {
        select.expr_as(col(&i, c), Alias::new(*c));
    }
    select
        .expr_as(Expr::cust("COALESCE(\"m\".\"name\", \"g\".\"name\", '')"), Alias::new("name"))
        .expr_as(col(&m, "political_status"), Alias::new("political_status"))
        .expr_as(Expr::cust("COALESCE(\"b\".\"name\", \"g\".\"organisation\")"), Alias::new("unit"))
        .expr_as(col(&g, "title"), Alias::new("title"))
        .join_as(
            JoinType::LeftJoin,
            member::Entity,
            m.clone(),
            col(&m, "id").equals((i.clone(), Alias::new("member_id"))),
        )
        .join_as(
            JoinType::LeftJoin,
            branch::Entity,
            b.clone(),
            col(&b, "id").equals((m.clone(), Alias::new("branch_id"))),
        )
        .join_as(
            JoinType::LeftJoin,
            guest::Entity,
            g.clone(),
            col(&g, "id").equals((i.clone(), Alias::new("guest_id"))),
        )
        .and_where(col(&i, "event_id").eq(event_id));
    let mut rows: Vec<Person> = db::json_rows(db, &select, Person::COLUMNS).await?;
    rows.sort_by(|a, b| {
        (!a.expected(), a.member_id.is_none(), &a.unit, &a.name, a.id).cmp(&(
            !b.expected(),
            b.member_id.is_none(),
            &b.unit,
            &b.name,
            b.id,
        ))
    });
    Ok(rows)
}

/// Where one person counts in an event's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// Expected (a member invited as a member) and came.
    Present,
    /// Expected, with approved leave (or excused after the end).
    OnLeave,
    Absent,
    /// Expected, not checked in yet (before the end).
    Awaiting,
    /// Non-voting attendees and guests.
    Other {
        attended: bool,
    },
}

impl Place {
    pub fn of(expected: bool, answer: Answer, outcome: Option<Outcome>) -> Place {
        let attended = outcome.is_some_and(Outcome::attended);
        if !expected {
            Place::Other { attended }
        } else if attended {
            Place::Present
        } else if outcome == Some(Outcome::Excused) || (outcome.is_none() && answer == Answer::LeaveApproved) {
            Place::OnLeave
        } else if outcome == Some(Outcome::Absent) {
            Place::Absent
        } else {
            Place::Awaiting
        }
    }
}

/// The roster's live counter.
#[derive(Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub expected: usize,
    pub present: usize,
    pub on_leave: usize,
    pub absent: usize,
    pub awaiting: usize,
    pub others_present: usize,
}

/// The counter of an event, counted by the database (per answer × outcome, how many, and how many
/// of those expected) rather than by reading everyone's row: the roster asks for it after every
/// tap. The index `idx_invitations_event_records` holds every column it reads, in group
/// order.
pub async fn counts(db: &impl ConnectionTrait, event_id: i64) -> Result<Counts, DbErr> {
    #[derive(Deserialize)]
    struct Group {
        answer: Answer,
        outcome: Option<Outcome>,
        expected: usize,
        n: usize,
    }
    let expected = "SUM(CASE WHEN \"member_id\" IS NOT NULL AND \"role\" = 'member' THEN 1 ELSE 0 END)";
    let mut select = Query::select();
    select
        .from(invitation::Entity)
        .column(invitation::Column::Answer)
        .column(invitation::Column::Outcome)
        .expr_as(Expr::cust(expected), Alias::new("expected"))
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .and_where(invitation::Column::EventId.eq(event_id))
        .group_by_col(invitation::Column::Answer)
        .group_by_col(invitation::Column::Outcome);
    let groups: Vec<Group> = db::json_rows(db, &select, &["answer", "outcome", "expected", "n"]).await?;
    let mut c = Counts::default();
    for g in groups {
        let answer = g.answer;
        let outcome = g.outcome;
        for (expected, n) in [(true, g.expected), (false, g.n.saturating_sub(g.expected))] {
            match Place::of(expected, answer, outcome) {
                Place::Other { attended } => {
                    c.others_present += usize::from(attended) * n;
                    continue;
                }
                Place::Present => c.present += n,
                Place::OnLeave => c.on_leave += n,
                Place::Absent => c.absent += n,
                Place::Awaiting => c.awaiting += n,
            }
            c.expected += n;
        }
    }
    Ok(c)
}

/// Counts and names of an event's attendance. Before the event is finalised, those who have
/// not checked in (and are not on leave) are "not yet checked in" rather than absent.
#[derive(Debug, Default)]
pub struct Summary {
    pub finalised: bool,
    pub expected: usize,
    /// Full members expected: how many a vote's majority is counted against.
    pub expected_full: usize,
    pub expected_probationary: usize,
    pub present: Vec<usize>,
    pub present_full: usize,
    pub present_probationary: usize,
    pub late: usize,
    pub left_early: usize,
    pub on_leave: Vec<usize>,
    pub absent: Vec<usize>,
    /// Not checked in yet (before the end).
    pub awaiting: Vec<usize>,
    /// Non-voting attendees and guests (of whom `others_present` came).
    pub others: Vec<usize>,
    pub others_present: usize,
    pub leave_requests: usize,
    pub waitlisted: usize,
    pub accepted: usize,
    pub makeup_open: usize,
    pub makeup_done: usize,
}

impl Summary {
    /// Indexes into `people`.
    pub fn of(people: &[Person], finalised: bool) -> Summary {
        let mut s = Summary { finalised, ..Summary::default() };
        for (n, p) in people.iter().enumerate() {
            match p.answer() {
                Answer::LeaveRequested => s.leave_requests += 1,
                Answer::Waitlisted => s.waitlisted += 1,
                Answer::Accepted => s.accepted += 1,
                _ => {}
            }
            let place = p.place();
            match place {
                Place::Other { attended } => {
                    s.others.push(n);
                    s.others_present += usize::from(attended);
                    continue;
                }
                Place::Present => {
                    s.present.push(n);
                    match p.political_status {
                        Some(PoliticalStatus::Full) => s.present_full += 1,
                        Some(PoliticalStatus::Probationary) => s.present_probationary += 1,
                        _ => {}
                    }
                    s.late += usize::from(p.outcome() == Some(Outcome::Late));
                    s.left_early += usize::from(p.left_early);
                }
                Place::OnLeave => s.on_leave.push(n),
                Place::Absent => s.absent.push(n),
                Place::Awaiting => s.awaiting.push(n),
            }
            s.expected += 1;
            match p.political_status {
                Some(PoliticalStatus::Full) => s.expected_full += 1,
                Some(PoliticalStatus::Probationary) => s.expected_probationary += 1,
                _ => {}
            }
            if p.makeup_required {
                if p.makeup_done_on.is_some() {
                    s.makeup_done += 1;
                } else {
                    s.makeup_open += 1;
                }
            }
        }
        s
    }

    /// Present of expected, in percent with one decimal ("—" when nobody was expected).
    pub fn rate(&self) -> String {
        if self.expected == 0 {
            "—".to_owned()
        } else {
            format!("{:.1}%", self.present.len() as f64 * 100.0 / self.expected as f64)
        }
    }
}

/// One line of a member's history.
#[derive(Debug, Clone, Deserialize)]
pub struct HistoryRow {
    pub event_id: i64,
    pub title: String,
    pub kind: String,
    pub state: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub location: Option<String>,
    pub answer_deadline: Option<DateTime<Utc>>,
    pub answer: Answer,
    pub outcome: Option<Outcome>,
    pub leave_reason: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "flag")]
    pub makeup_required: bool,
    pub makeup_done_on: Option<NaiveDate>,
}

impl HistoryRow {
    const COLUMNS: &[&str] = &[
        "event_id",
        "title",
        "kind",
        "state",
        "starts_at",
        "ends_at",
        "timezone",
        "location",
        "answer_deadline",
        "answer",
        "outcome",
        "leave_reason",
        "checked_in_at",
        "makeup_required",
        "makeup_done_on",
    ];

    pub fn answer(&self) -> Answer {
        self.answer
    }

    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    pub fn makeup_open(&self) -> bool {
        self.makeup_required && self.makeup_done_on.is_none()
    }

    /// Answers are taken until the deadline, or the start when there is none.
    pub fn closes_at(&self) -> DateTime<Utc> {
        crate::invitations::closes_at(self.answer_deadline, self.starts_at)
    }

    /// The answer as the member reads it: checked in counts as attending.
    pub fn shown_answer(&self) -> &'static str {
        shown_answer(self.answer, self.checked_in_at.is_some())
    }

    pub fn tz(&self) -> chrono_tz::Tz {
        crate::branches::rules::zone(&self.timezone)
    }
}

/// Catalogue key of an answer as people read it (it lives with the invitations' words).
pub use crate::invitations::shown_answer;

/// Rows of a member's history shown per page.
pub const HISTORY_PAGE: u64 = 50;

/// A member's invitations to events that are not drafts, with each event's facts.
fn member_rows(member_id: i64) -> Select<invitation::Entity> {
    invitation::Entity::find()
        .select_only()
        .column_as(invitation::Column::EventId, "event_id")
        .columns([
            invitation::Column::Answer,
            invitation::Column::Outcome,
            invitation::Column::LeaveReason,
            invitation::Column::CheckedInAt,
            invitation::Column::MakeupRequired,
            invitation::Column::MakeupDoneOn,
        ])
        .column_as(Expr::col((event::Entity, event::Column::Title)), "title")
        .column_as(Expr::col((event::Entity, event::Column::Kind)), "kind")
        .column_as(Expr::col((event::Entity, event::Column::State)), "state")
        .column_as(Expr::col((event::Entity, event::Column::StartsAt)), "starts_at")
        .column_as(Expr::col((event::Entity, event::Column::EndsAt)), "ends_at")
        .column_as(Expr::col((event::Entity, event::Column::Location)), "location")
        .column_as(Expr::col((event::Entity, event::Column::AnswerDeadline)), "answer_deadline")
        .column_as(Expr::col((branch::Entity, branch::Column::Timezone)), "timezone")
        .join(
            JoinType::InnerJoin,
            invitation::Entity::belongs_to(event::Entity)
                .from(invitation::Column::EventId)
                .to(event::Column::Id)
                .into(),
        )
        .join(JoinType::InnerJoin, event::Relation::Branch.def())
        .filter(invitation::Column::MemberId.eq(member_id))
        .filter(event::Column::State.ne(crate::events::rules::EventState::Draft))
}

/// What a member's home page lists: invitations still waiting for their answer, their coming
/// events, make-up study owed and the last outcomes.
pub struct MemberHome {
    pub awaiting: Vec<HistoryRow>,
    pub coming: Vec<HistoryRow>,
    pub makeup: Vec<HistoryRow>,
    pub recent: Vec<HistoryRow>,
}

/// [`MemberHome`] at `now`: at most `n` of each (three statements).
pub async fn member_home(
    db: &impl ConnectionTrait,
    member_id: i64,
    now: DateTime<Utc>,
    n: usize,
) -> Result<MemberHome, DbErr> {
    use crate::events::rules::EventState;
    let upcoming = member_rows(member_id)
        .filter(event::Column::State.eq(EventState::Scheduled))
        .filter(event::Column::EndsAt.gt(now))
        .order_by(event::Column::StartsAt, Order::Asc)
        .limit(50)
        .into_query();
    let upcoming: Vec<HistoryRow> = db::json_rows(db, &upcoming, HistoryRow::COLUMNS).await?;
    let (mut awaiting, mut coming): (Vec<_>, Vec<_>) = upcoming
        .into_iter()
        .partition(|r| r.answer == Answer::Pending && r.checked_in_at.is_none() && now < r.closes_at());
    let recent = member_rows(member_id)
        .filter(event::Column::State.eq(EventState::Ended))
        .filter(invitation::Column::Outcome.is_not_null())
        .order_by(event::Column::StartsAt, Order::Desc)
        .limit(n as u64)
        .into_query();
    let mut recent: Vec<HistoryRow> = db::json_rows(db, &recent, HistoryRow::COLUMNS).await?;
    let (mut makeup, _) = of_member(db, member_id, true, 1).await?;
    for rows in [&mut awaiting, &mut coming] {
        rows.sort_by_key(|r| (r.starts_at, r.event_id));
    }
    recent.sort_by_key(|r| std::cmp::Reverse((r.starts_at, r.event_id)));
    for rows in [&mut awaiting, &mut coming, &mut makeup, &mut recent] {
        rows.truncate(n);
    }
    Ok(MemberHome { awaiting, coming, makeup, recent })
}

/// A member's events (not drafts), newest first, a page at a time; `open_only` keeps those with
/// make-up study still to do. Returns the page and whether more follow.
pub async fn of_member(
    db: &impl ConnectionTrait,
    member_id: i64,
    open_only: bool,
    page: u64,
) -> Result<(Vec<HistoryRow>, bool), DbErr> {
    let mut select = member_rows(member_id);
    if open_only {
        select = select
            .filter(invitation::Column::MakeupRequired.eq(true))
            .filter(invitation::Column::MakeupDoneOn.is_null());
    }
    let stmt = select
        .order_by(event::Column::StartsAt, Order::Desc)
        .order_by(event::Column::Id, Order::Desc)
        .limit(HISTORY_PAGE + 1)
        .offset(page.saturating_sub(1) * HISTORY_PAGE)
        .into_query();
    let mut rows: Vec<HistoryRow> = db::json_rows(db, &stmt, HistoryRow::COLUMNS).await?;
    rows.sort_by_key(|r| std::cmp::Reverse((r.starts_at, r.event_id)));
    let more = rows.len() as u64 > HISTORY_PAGE;
    rows.truncate(HISTORY_PAGE as usize);
    Ok((rows, more))
}
