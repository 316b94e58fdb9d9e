//! The member list: filters, search and keyset paging, each answered from an index.
//! - no text: the (branch, name, id) or (name, id) index, in order;
//! - one or two characters: a range on the name index (a Chinese surname, "王");
//! - three or more: SQLite's FTS5 trigram index, or a pg_trgm index on PostgreSQL, over name,
//!   phone, email and unit.
//!
//! Pages are reached by key (the last row's sort key and id), never by OFFSET, so a deep page
//! costs what the first one does.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use sea_orm::{
    Condition, ConnectionTrait, DbBackend, DbErr, JoinType, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Select,
    entity::prelude::*,
    sea_query::{Expr, Order},
};

use crate::members::{
    entity::member,
    rules::{MembershipState, PoliticalStatus},
};
use crate::{
    branches::{Scope, entity::branch},
    db,
};
use serde::Deserialize;

pub const PER_PAGE: u64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    NameAsc,
    NameDesc,
    /// Most recently changed first.
    Updated,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::NameAsc, Sort::NameDesc, Sort::Updated];

    pub fn key(self) -> &'static str {
        match self {
            Sort::NameAsc => "name",
            Sort::NameDesc => "-name",
            Sort::Updated => "-updated",
        }
    }

    pub fn parse(s: &str) -> Sort {
        Sort::ALL.into_iter().find(|x| x.key() == s).unwrap_or_default()
    }

    pub fn label_key(self) -> &'static str {
        match self {
            Sort::NameAsc => "member.sort_name_asc",
            Sort::NameDesc => "member.sort_name_desc",
            Sort::Updated => "member.sort_updated",
        }
    }

    fn column(self) -> member::Column {
        match self {
            Sort::NameAsc | Sort::NameDesc => member::Column::Name,
            Sort::Updated => member::Column::UpdatedAt,
        }
    }

    fn ascending(self) -> bool {
        self == Sort::NameAsc
    }
}

/// Where a page starts: after (or, going back, before) the row with this sort key and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: i64,
    pub backwards: bool,
}

impl Cursor {
    /// URL form: "a." or "b." then base64url of "id:key".
    pub fn encode(&self) -> String {
        let dir = if self.backwards { "b" } else { "a" };
        format!("{dir}.{}", URL_SAFE_NO_PAD.encode(format!("{}:{}", self.id, self.key)))
    }

    /// Anything that does not decode is ignored (the first page is shown).
    pub fn decode(s: &str) -> Option<Cursor> {
        let (dir, rest) = s.split_once('.')?;
        let backwards = match dir {
            "a" => false,
            "b" => true,
            _ => return None,
        };
        let raw = String::from_utf8(URL_SAFE_NO_PAD.decode(rest).ok()?).ok()?;
        let (id, key) = raw.split_once(':')?;
        Some(Cursor { key: key.to_owned(), id: id.parse().ok()?, backwards })
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemberQuery {
    pub q: String,
    pub branch: Option<i64>,
    pub group: Option<i64>,
    pub status: Option<PoliticalStatus>,
    pub state: Option<MembershipState>,
    pub sort: Sort,
    pub cursor: Option<Cursor>,
}

/// A row of the list: what the page shows of a member, and their branch's name. Read as a
/// projection: a list page decodes 50 of these, not 50 whole members and branches.
#[derive(Debug, Clone, Deserialize)]
pub struct MemberRow {
    pub id: i64,
    pub name: String,
    pub political_status: PoliticalStatus,
    pub state: MembershipState,
    pub unit: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub branch_name: String,
    /// Members matching the filter, on every row (one statement answers page and count).
    pub total: i64,
}

impl MemberRow {
    const COLUMNS: &[&str] =
        &["id", "name", "political_status", "state", "unit", "phone", "email", "updated_at", "branch_name", "total"];
}

pub struct MemberPage {
    pub rows: Vec<MemberRow>,
    pub total: u64,
    pub next: Option<Cursor>,
    pub prev: Option<Cursor>,
}

/// The filter of a query, without paging: shared by the list, its count and the export.
fn filtered(backend: DbBackend, scope: &Scope, query: &MemberQuery) -> Select<member::Entity> {
    let mut cond = Condition::all();
    if let Some(units) = scope.units() {
        cond = cond.add(member::Column::BranchId.is_in(units.iter().copied()));
    }
    if let Some(b) = query.branch {
        cond = cond.add(member::Column::BranchId.eq(b));
    }
    if let Some(g) = query.group {
        cond = cond.add(member::Column::GroupId.eq(g));
    }
    if let Some(s) = query.status {
        cond = cond.add(member::Column::PoliticalStatus.eq(s));
    }
    if let Some(s) = query.state {
        cond = cond.add(member::Column::State.eq(s));
    }
    let q = query.q.trim();
    match q.chars().count() {
        0 => {}
        1 | 2 => {
            // A name prefix as an index range: [q, q + U+10FFFF).
            cond = cond.add(member::Column::Name.gte(q)).add(member::Column::Name.lt(format!("{q}\u{10FFFF}")));
        }
        _ => {
            let text = q.to_lowercase();
            cond = cond.add(match backend {
                // A generated column (see the migration) with a trigram index.
                DbBackend::Postgres => Expr::cust_with_values(
                    "\"members\".\"search_text\" LIKE $1",
                    [format!("%{}%", db::like_literal(&text))],
                ),
                _ => Expr::cust_with_values(
                    "\"members\".\"id\" IN (SELECT rowid FROM members_fts WHERE members_fts MATCH ?)",
                    [fts_phrase(q)],
                ),
            });
        }
    }
    member::Entity::find().filter(cond)
}

/// The count of a query as a statement of its own, or as a scalar subquery of the page's.
fn count_statement(backend: DbBackend, scope: &Scope, query: &MemberQuery) -> sea_orm::sea_query::SelectStatement {
    let text_only = scope.is_all()
        && query.branch.is_none()
        && query.group.is_none()
        && query.status.is_none()
        && query.state.is_none()
        && query.q.trim().chars().count() >= 3;
    if backend == DbBackend::Sqlite && text_only {
        // The FTS index alone knows how many rows match: no look-up of each member.
        return sea_orm::sea_query::Query::select()
            .expr(Expr::cust_with_values(
                "(SELECT COUNT(*) FROM members_fts WHERE members_fts MATCH ?)",
                [fts_phrase(&query.q)],
            ))
            .to_owned();
    }
    // COUNT(*) lets SQLite count the smallest index instead of reading the table.
    filtered(backend, scope, query).select_only().expr(Expr::cust("COUNT(*)")).into_query()
}

/// The search text as an FTS5 phrase: matched as a substring by the trigram tokenizer.
fn fts_phrase(q: &str) -> String {
    format!("\"{}\"", q.trim().to_lowercase().replace('"', "\"\""))
}

pub async fn count(db: &impl ConnectionTrait, scope: &Scope, query: &MemberQuery) -> Result<u64, DbErr> {
    let stmt = count_statement(db.get_database_backend(), scope, query);
    let n: Option<i64> = match db.query_one(&stmt).await? {
        Some(row) => Some(row.try_get_by_index(0)?),
        None => None,
    };
    Ok(n.unwrap_or(0).max(0).unsigned_abs())
}

fn sort_key(sort: Sort, m: &MemberRow) -> String {
    match sort {
        Sort::NameAsc | Sort::NameDesc => m.name.clone(),
        Sort::Updated => m.updated_at.to_rfc3339(),
    }
}

/// One page of the list, from the cursor on.
pub async fn page(db: &impl ConnectionTrait, scope: &Scope, query: &MemberQuery) -> Result<MemberPage, DbErr> {
    let backend = db.get_database_backend();
    let sort = query.sort;
    let column = sort.column();
    let backwards = query.cursor.as_ref().is_some_and(|c| c.backwards);
    // Walking backwards reads the index the other way round, then flips the rows.
    let ascending = sort.ascending() != backwards;
    let order = if ascending { Order::Asc } else { Order::Desc };
    let mut select = filtered(backend, scope, query);
    if let Some(cursor) = &query.cursor {
        let op = if ascending { ">" } else { "<" };
        let column = if sort == Sort::Updated { "updated_at" } else { "name" };
        let sql = format!(
            "(\"members\".\"{column}\", \"members\".\"id\") {op} ({}, {})",
            db::placeholder(backend, 1),
            db::placeholder(backend, 2)
        );
        let key: Value = match sort {
            Sort::Updated => match DateTime::parse_from_rfc3339(&cursor.key) {
                Ok(t) => t.with_timezone(&Utc).into(),
                Err(_) => {
                    return Ok(MemberPage {
                        rows: Vec::new(),
                        total: count(db, scope, query).await?,
                        next: None,
                        prev: None,
                    });
                }
            },
            _ => cursor.key.clone().into(),
        };
        select = select.filter(Expr::cust_with_values(sql, [key, cursor.id.into()]));
    }
    let page = select
        .select_only()
        .columns([
            member::Column::Id,
            member::Column::Name,
            member::Column::PoliticalStatus,
            member::Column::State,
            member::Column::Unit,
            member::Column::Phone,
            member::Column::Email,
            member::Column::UpdatedAt,
        ])
        .column_as(Expr::col((branch::Entity, branch::Column::Name)), "branch_name")
        // Uncorrelated, so computed once for the statement: the page and its count in one trip.
        .column_as(Expr::SubQuery(None, Box::new(count_statement(backend, scope, query).into())), "total")
        .join(JoinType::InnerJoin, member::Relation::Branch.def())
        .order_by(column, order.clone())
        .order_by(member::Column::Id, order)
        .limit(PER_PAGE + 1)
        .into_query();
    let mut rows: Vec<MemberRow> = db::json_rows(db, &page, MemberRow::COLUMNS).await?;
    // In the statement's order: names compare by code point here as in both databases.
    rows.sort_unstable_by(|a, b| {
        let by_key = match sort {
            Sort::Updated => a.updated_at.cmp(&b.updated_at),
            Sort::NameAsc | Sort::NameDesc => a.name.cmp(&b.name),
        };
        let by_key_then_id = by_key.then(a.id.cmp(&b.id));
        if ascending { by_key_then_id } else { by_key_then_id.reverse() }
    });
    let total = match rows.first() {
        Some(r) => r.total.max(0).unsigned_abs(),
        // No rows on this page: the count needs a statement of its own (only past the end).
        None if query.cursor.is_some() => count(db, scope, query).await?,
        None => 0,
    };
    let more = rows.len() as u64 > PER_PAGE;
    rows.truncate(PER_PAGE as usize);
    if backwards {
        rows.reverse();
    }
    let at =
        |row: Option<&MemberRow>, backwards: bool| row.map(|r| Cursor { key: sort_key(sort, r), id: r.id, backwards });
    // Forward: more rows after means a next page; having come from a cursor means a previous.
    let (has_next, has_prev) = if backwards { (true, more) } else { (more, query.cursor.is_some()) };
    Ok(MemberPage {
        next: if has_next { at(rows.last(), false) } else { None },
        prev: if has_prev { at(rows.first(), true) } else { None },
        rows,
        total,
    })
}

/// Every member matching the query, in list order, with branch and group codes (for export).
pub async fn all(
    db: &impl ConnectionTrait,
    scope: &Scope,
    query: &MemberQuery,
) -> Result<Vec<(member::Model, Option<branch::Model>)>, DbErr> {
    let order = if query.sort.ascending() { Order::Asc } else { Order::Desc };
    filtered(db.get_database_backend(), scope, query)
        .order_by(query.sort.column(), order.clone())
        .order_by(member::Column::Id, order)
        .find_also_related(branch::Entity)
        .all(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_junk() {
        let c = Cursor { key: "王小明:x".into(), id: 42, backwards: true };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        for junk in ["", "a.", "x.AAAA", "a.!!!", "a.MTIz"] {
            assert_eq!(Cursor::decode(junk), None, "{junk}");
        }
        assert_eq!(db::like_literal("50%_a\\"), "50\\%\\_a\\\\");
    }
}
