//! The outbox as its readers see it: an event's deliveries for its organisers, failed messages
//! put back in the queue, the administrators' page of every message; and the dispatcher.

pub mod dispatch;
use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect,
    entity::prelude::*,
    sea_query::{ExprTrait, Query},
};

use crate::outbox::{State, entity::outbox};
use crate::{
    events::entity::{guest, invitation},
    members::entity::member,
};

/// How an event's messages stand, for its organisers.
#[derive(Debug, Default, Clone)]
pub struct Delivery {
    pub queued: usize,
    pub sent: usize,
    /// The failed messages (the latest to each invitee).
    pub failed: Vec<outbox::Model>,
    /// Invitees without an email address, to be told another way.
    pub no_email: Vec<String>,
}

/// The delivery state of an event's invitations: counts of the latest message per invitee,
/// the failures, and who has no address; counted by the database, not read row by row.
pub async fn delivery(db: &impl ConnectionTrait, event_id: i64) -> Result<Delivery, DbErr> {
    use sea_orm::sea_query::Func;
    let latest = Query::select()
        .expr(Func::max(Expr::col(outbox::Column::Id)))
        .from(outbox::Entity)
        .and_where(outbox::Column::EventId.eq(event_id))
        .and_where(outbox::Column::InvitationId.is_not_null())
        .group_by_col(outbox::Column::InvitationId)
        .to_owned();
    let counts: Vec<(String, i64)> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::State)
        .column_as(Expr::from(Func::count(Expr::col(outbox::Column::Id))), "n")
        .filter(outbox::Column::Id.in_subquery(latest.clone()))
        .group_by(outbox::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    let mut d = Delivery::default();
    for (state, n) in counts {
        match state.as_str() {
            "sent" => d.sent += n as usize,
            "failed" => {}
            _ => d.queued += n as usize,
        }
    }
    d.failed = outbox::Entity::find()
        .filter(outbox::Column::Id.in_subquery(latest))
        .filter(outbox::Column::State.eq(State::Failed))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?;
    let invited = Query::select()
        .column(invitation::Column::MemberId)
        .from(invitation::Entity)
        .and_where(invitation::Column::EventId.eq(event_id))
        .to_owned();
    let without = member::Entity::find()
        .filter(member::Column::Id.in_subquery(invited))
        .filter(member::Column::Email.is_null())
        .order_by_asc(member::Column::Name)
        .all(db)
        .await?;
    d.no_email.extend(without.into_iter().map(|m| m.name));
    let guests = guest::Entity::find()
        .filter(guest::Column::EventId.eq(event_id))
        .filter(guest::Column::Email.is_null())
        .all(db)
        .await?;
    d.no_email.extend(guests.into_iter().map(|g| g.name));
    Ok(d)
}

/// Puts failed messages of an event (all, or one) back in the queue; returns how many.
pub async fn resend(
    db: &impl ConnectionTrait,
    event_id: i64,
    one: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut update = outbox::Entity::update_many()
        .col_expr(outbox::Column::State, Expr::value(State::Queued))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(now))
        .filter(outbox::Column::EventId.eq(event_id))
        .filter(outbox::Column::State.eq(State::Failed));
    if let Some(id) = one {
        update = update.filter(outbox::Column::Id.eq(id));
    }
    Ok(update.exec(db).await?.rows_affected)
}

/// One invitee of an event with the latest message sent to them.
#[derive(Debug, Clone)]
pub struct InviteeDelivery {
    pub name: String,
    pub email: Option<String>,
    pub answer: crate::invitations::Answer,
    pub latest: Option<outbox::Model>,
}

/// Each invitee's delivery state, members by name then guests, `limit` from `offset`.
pub async fn delivery_rows(
    db: &impl ConnectionTrait,
    event_id: i64,
    offset: u64,
    limit: u64,
) -> Result<(Vec<InviteeDelivery>, u64), DbErr> {
    use sea_orm::PaginatorTrait;
    let total = invitation::Entity::find().filter(invitation::Column::EventId.eq(event_id)).count(db).await?;
    let page = invitation::Entity::find()
        .filter(invitation::Column::EventId.eq(event_id))
        .order_by_asc(invitation::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let ids: Vec<i64> = page.iter().map(|i| i.id).collect();
    let mut latest: std::collections::HashMap<i64, outbox::Model> = std::collections::HashMap::new();
    for m in outbox::Entity::find()
        .filter(outbox::Column::InvitationId.is_in(ids))
        .order_by_asc(outbox::Column::Id)
        .all(db)
        .await?
    {
        if let Some(i) = m.invitation_id {
            latest.insert(i, m);
        }
    }
    let members: std::collections::HashMap<i64, member::Model> = member::Entity::find()
        .filter(member::Column::Id.is_in(page.iter().filter_map(|i| i.member_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m))
        .collect();
    let guests: std::collections::HashMap<i64, guest::Model> = guest::Entity::find()
        .filter(guest::Column::EventId.eq(event_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.id, g))
        .collect();
    let rows = page
        .into_iter()
        .map(|i| {
            let (name, email) =
                match (i.member_id.and_then(|m| members.get(&m)), i.guest_id.and_then(|g| guests.get(&g))) {
                    (Some(m), _) => (m.name.clone(), m.email.clone()),
                    (None, Some(g)) => (g.name.clone(), g.email.clone()),
                    _ => (String::new(), None),
                };
            InviteeDelivery { name, email, answer: i.answer, latest: latest.remove(&i.id) }
        })
        .collect();
    Ok((rows, total))
}

/// How many messages a page of the administrators' outbox view shows.
pub const PER_PAGE: u64 = 50;

/// A page of the outbox, newest queued first, optionally of one state, before a message id; with the id
/// the next page starts before. Only for administrators (`None` for anyone else).
pub async fn page(
    db: &impl ConnectionTrait,
    actor: &crate::accounts::Actor,
    only: Option<State>,
    before: Option<i64>,
) -> Result<Option<(Vec<outbox::Model>, Option<i64>)>, DbErr> {
    if !actor.is_admin() {
        return Ok(None);
    }
    let mut select = outbox::Entity::find();
    if let Some(state) = only {
        select = select.filter(outbox::Column::State.eq(state));
    }
    // Keyset on (queued at, id): the page starts after the message the previous one ended with.
    if let Some(before) = before
        && let Some(at) = outbox::Entity::find_by_id(before)
            .select_only()
            .column(outbox::Column::CreatedAt)
            .into_tuple::<DateTime<Utc>>()
            .one(db)
            .await?
    {
        select = select.filter(
            sea_orm::Condition::any()
                .add(outbox::Column::CreatedAt.lt(at))
                .add(outbox::Column::CreatedAt.eq(at).and(outbox::Column::Id.lt(before))),
        );
    }
    let mut rows = select
        .order_by_desc(outbox::Column::CreatedAt)
        .order_by_desc(outbox::Column::Id)
        .limit(PER_PAGE + 1)
        .all(db)
        .await?;
    let next = (rows.len() as u64 > PER_PAGE).then(|| rows[PER_PAGE as usize - 1].id);
    rows.truncate(PER_PAGE as usize);
    Ok(Some((rows, next)))
}
