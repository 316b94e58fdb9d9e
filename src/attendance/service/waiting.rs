//! What waits for a secretary in attendance, for the start page: the answers of coming events
//! and the leave requests to decide.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, JoinType, QueryFilter, QueryOrder, QuerySelect,
    entity::prelude::*,
    sea_query::{Expr, ExprTrait},
};

use crate::{
    branches::Scope,
    events::{
        entity::{event, invitation},
        rules::EventState,
        service::list,
    },
    invitations::{Answer, Role},
    members::entity::member,
};

/// A leave request waiting for a secretary's decision.
#[derive(Debug, Clone, sea_orm::FromQueryResult)]
pub struct LeaveRequest {
    pub invitation_id: i64,
    pub event_id: i64,
    pub member: String,
    pub reason: Option<String>,
    pub title: String,
    pub starts_at: DateTime<Utc>,
}

/// Each event's answers so far (members and guests) by answer, in one statement.
pub async fn answer_counts(
    db: &impl ConnectionTrait,
    events: &[i64],
) -> Result<HashMap<i64, Vec<(Answer, u32)>>, DbErr> {
    let mut by_event: HashMap<i64, Vec<(Answer, u32)>> = HashMap::new();
    if events.is_empty() {
        return Ok(by_event);
    }
    let counts: Vec<(i64, Answer, i64)> = invitation::Entity::find()
        .select_only()
        .column(invitation::Column::EventId)
        .column(invitation::Column::Answer)
        .column_as(Expr::col(invitation::Column::Id).count(), "n")
        .filter(invitation::Column::EventId.is_in(events.iter().copied()))
        .group_by(invitation::Column::EventId)
        .group_by(invitation::Column::Answer)
        .into_tuple()
        .all(db)
        .await?;
    for (e, a, n) in counts {
        by_event.entry(e).or_default().push((a, u32::try_from(n).unwrap_or(0)));
    }
    Ok(by_event)
}

/// Leave requests not yet decided, of events not cancelled and no more than a month past, that
/// this scope may decide: any invitee of its branches' events, and its own members invited by
/// other branches as co-organisers.
pub async fn leave_requests(
    db: &impl ConnectionTrait,
    scope: &Scope,
    now: DateTime<Utc>,
) -> Result<Vec<LeaveRequest>, DbErr> {
    let mut select = invitation::Entity::find()
        .select_only()
        .column_as(invitation::Column::Id, "invitation_id")
        .column_as(invitation::Column::EventId, "event_id")
        .column_as(invitation::Column::LeaveReason, "reason")
        .column_as(Expr::col((member::Entity, member::Column::Name)), "member")
        .column_as(Expr::col((event::Entity, event::Column::Title)), "title")
        .column_as(Expr::col((event::Entity, event::Column::StartsAt)), "starts_at")
        .join(
            JoinType::InnerJoin,
            invitation::Entity::belongs_to(event::Entity)
                .from(invitation::Column::EventId)
                .to(event::Column::Id)
                .into(),
        )
        .join(
            JoinType::InnerJoin,
            invitation::Entity::belongs_to(member::Entity)
                .from(invitation::Column::MemberId)
                .to(member::Column::Id)
                .into(),
        )
        .filter(invitation::Column::Answer.eq(Answer::LeaveRequested))
        .filter(invitation::Column::Role.eq(Role::Member))
        // The events first, so the invitations are found by their event index rather than by
        // reading every invitation there is.
        .filter(
            invitation::Column::EventId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(event::Column::Id)
                    .from(event::Entity)
                    .and_where(event::Column::State.is_in([EventState::Scheduled, EventState::Ended]))
                    .and_where(event::Column::EndsAt.gt(now - Duration::days(30)))
                    .to_owned(),
            ),
        );
    if let Some(units) = scope.units() {
        let co_organised = list::events_of_units(units.iter().copied());
        select = select.filter(
            sea_orm::Condition::any().add(event::Column::BranchId.is_in(units.iter().copied())).add(
                sea_orm::Condition::all()
                    .add(event::Column::Id.in_subquery(co_organised))
                    .add(member::Column::BranchId.is_in(units.iter().copied())),
            ),
        );
    }
    select
        .order_by_asc(event::Column::StartsAt)
        .order_by_asc(invitation::Column::Id)
        .limit(10)
        .into_model::<LeaveRequest>()
        .all(db)
        .await
}
