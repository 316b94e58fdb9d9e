//! The facts of an event that other domains write from, read without a viewer (the event
//! clock's pass has none): the organising branch, the co-organisers that accepted, the host.
use sea_orm::{
    ConnectionTrait, DbErr, QueryFilter, QueryResult,
    entity::prelude::*,
    sea_query::{Query, SelectStatement},
};

use crate::{
    branches::entity::branch,
    events::entity::{event, unit},
    members::entity::member,
};

/// An event with its organising branch, the names of the branches that accepted to co-organise
/// it (by code), and its host's name and post (a member's, or the outside host's name).
pub struct Facts {
    pub event: event::Model,
    pub organiser: branch::Model,
    pub co_organisers: Vec<String>,
    pub host: Option<(String, Option<String>)>,
}

/// The facts of an event; None when it, or its organising branch, is gone.
pub async fn facts(db: &impl ConnectionTrait, event_id: i64) -> Result<Option<Facts>, DbErr> {
    let Some(e) = event::Entity::find_by_id(event_id).one(db).await? else { return Ok(None) };
    let units = unit::Entity::find().filter(unit::Column::EventId.eq(event_id)).all(db).await?;
    let co_ids: Vec<i64> = units.iter().filter(|u| !u.organiser && u.accepted).map(|u| u.branch_id).collect();
    let branches = crate::branches::service::units(db, co_ids.iter().copied().chain([e.branch_id])).await?;
    let co_organisers = branches.iter().filter(|b| co_ids.contains(&b.id)).map(|b| b.name.clone()).collect();
    let Some(organiser) = branches.into_iter().find(|b| b.id == e.branch_id) else { return Ok(None) };
    let host = match e.host_member_id {
        Some(m) => member::Entity::find_by_id(m).one(db).await?.map(|m| (m.name, m.post)),
        None => e.host_guest_name.clone().map(|name| (name, None)),
    };
    Ok(Some(Facts { event: e, organiser, co_organisers, host }))
}

/// The names an event's pages show besides it: the organising branch's name and zone, the host's
/// name and post (or the outside host's name), the recorder's name. Read as scalar subqueries of
/// the caller's own statement ([`Names::columns`]): each round trip costs more under load than
/// its SQL.
pub struct Names {
    pub branch: String,
    pub tz: chrono_tz::Tz,
    pub host: Option<String>,
    pub host_post: Option<String>,
    pub recorder: Option<String>,
}

impl Names {
    /// The subqueries, as (alias, SQL, values): placeholders numbered within each subquery.
    pub fn columns(backend: sea_orm::DbBackend, e: &event::Model) -> [(&'static str, String, Vec<Value>); 5] {
        let p = |n| crate::db::placeholder(backend, n);
        let of = |table: &str, column: &str| format!("(SELECT {column} FROM {table} WHERE id = {})", p(1));
        [
            ("ctx_branch", of("branches", "name"), vec![e.branch_id.into()]),
            ("ctx_tz", of("branches", "timezone"), vec![e.branch_id.into()]),
            ("ctx_host", of("members", "name"), vec![e.host_member_id.into()]),
            ("ctx_host_post", of("members", "post"), vec![e.host_member_id.into()]),
            ("ctx_recorder", of("members", "name"), vec![e.recorder_member_id.into()]),
        ]
    }

    /// The names from a row read with [`Names::columns`].
    pub fn of(row: &QueryResult, e: &event::Model) -> Result<Names, DbErr> {
        let text = |c: &str| row.try_get::<Option<String>>("", c);
        let host = match e.host_member_id {
            Some(_) => text("ctx_host")?,
            None => e.host_guest_name.clone(),
        };
        Ok(Names {
            branch: text("ctx_branch")?.unwrap_or_default(),
            tz: crate::branches::rules::zone(text("ctx_tz")?.as_deref().unwrap_or_default()),
            host,
            host_post: text("ctx_host_post")?,
            recorder: text("ctx_recorder")?,
        })
    }
}

/// The events a branch co-organised (accepted), at most `limit`: with the events it organises, a
/// joint activity is listed under each of its branches.
pub async fn co_organised_by(db: &impl ConnectionTrait, branch_id: i64, limit: u64) -> Result<Vec<i64>, DbErr> {
    use sea_orm::QuerySelect;
    unit::Entity::find()
        .select_only()
        .column(unit::Column::EventId)
        .filter(unit::Column::BranchId.eq(branch_id))
        .filter(unit::Column::Organiser.eq(false))
        .filter(unit::Column::Accepted.eq(true))
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// The branches that hold any of `events` (a subquery of event ids), as a subquery.
pub fn holders_of(events: SelectStatement) -> SelectStatement {
    Query::select()
        .distinct()
        .column(unit::Column::BranchId)
        .from(unit::Entity)
        .and_where(unit::Column::EventId.in_subquery(events))
        .and_where(unit::Column::Accepted.eq(true))
        .to_owned()
}
