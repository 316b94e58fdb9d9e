//! Absence streaks: members whose current run of months with an unexcused absence reached a
//! threshold.
use std::collections::HashMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, DbErr, QuerySelect, entity::prelude::*};

use super::{RecordsError, lines, memberships::MemberExemptions, require_manager, start_of};
use crate::{
    branches::{Scope, entity::branch},
    invitations::Outcome,
    members::entity::member,
    records::rules::{MonthMark, Period, RecordRules, streak},
};

/// A member at an absence threshold.
#[derive(Debug, Clone)]
pub struct StreakRow {
    pub member_id: i64,
    pub name: String,
    pub branch: String,
    pub months: u32,
    /// The highest threshold reached (2, 4 or 6 by default).
    pub threshold: u32,
    pub branch_id: i64,
}

/// Members of the scope's branches whose current absence streak reached a threshold, longest
/// first: counted over the twelve months up to `today`'s, by the branch they belong to now.
pub async fn streaks(
    db: &impl ConnectionTrait,
    scope: &Scope,
    rules: &RecordRules,
    today: NaiveDate,
    tz: Tz,
) -> Result<Vec<StreakRow>, RecordsError> {
    require_manager(scope)?;
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap_or(today);
    let from = (0..11).fold(first, |d, _| (d - Duration::days(1)).with_day(1).unwrap_or(d));
    let period = Period { kind: crate::records::rules::PeriodKind::Range, from, to: today };
    let months = period.months();
    let Some(least) = rules.thresholds.iter().copied().min() else { return Ok(Vec::new()) };
    let exempt = MemberExemptions::of(db, None).await?;
    // Counted by the database, for all but the few members with an exemption: a year of an
    // association's invitations (hundreds of thousands) is never read row by row.
    let units: Option<Vec<i64>> = scope.units().map(|u| u.iter().copied().collect());
    let mut rows: Vec<StreakRow> = counted_streaks(db, &period, tz, units.as_deref(), least)
        .await?
        .into_iter()
        .filter(|r| !exempt.0.contains_key(&r.member_id))
        .collect();
    let exempted: Vec<i64> = exempt.0.keys().copied().collect();
    let mut marks: HashMap<i64, Vec<MonthMark>> = HashMap::new();
    if !exempted.is_empty() {
        for l in lines(db, &period, tz, Some(&exempted)).await? {
            if exempt.on(l.member_id, l.day) {
                continue;
            }
            let Some(i) = months.iter().position(|m| *m == (l.day.year(), l.day.month())) else { continue };
            let m = &mut marks.entry(l.member_id).or_insert_with(|| vec![MonthMark::default(); months.len()])[i];
            m.expected = true;
            m.unexcused |= l.outcome == Outcome::Absent && !l.makeup_done;
        }
    }
    let found: Vec<(i64, u32)> = marks
        .into_iter()
        .filter_map(|(member, mut ms)| {
            ms.reverse();
            let n = streak(&ms);
            rules.threshold_of(n).map(|_| (member, n))
        })
        .collect();
    if !found.is_empty() {
        let people: Vec<(i64, String, i64)> = member::Entity::find()
            .select_only()
            .columns([member::Column::Id, member::Column::Name, member::Column::BranchId])
            .filter(member::Column::Id.is_in(found.iter().map(|f| f.0)))
            .into_tuple()
            .all(db)
            .await?;
        let branch_names: HashMap<i64, String> = branch::Entity::find()
            .select_only()
            .columns([branch::Column::Id, branch::Column::Name])
            .filter(branch::Column::Id.is_in(people.iter().map(|p| p.2)))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        rows.extend(people.into_iter().filter_map(|(id, name, branch_id)| {
            let months = found.iter().find(|f| f.0 == id)?.1;
            let branch = branch_names.get(&branch_id).cloned().unwrap_or_default();
            Some(StreakRow { member_id: id, name, branch, months, threshold: 0, branch_id })
        }));
    }
    rows.retain(|r| scope.covers(r.branch_id) && rules.threshold_of(r.months).is_some());
    for r in &mut rows {
        r.threshold = rules.threshold_of(r.months).unwrap_or(0);
    }
    rows.sort_by(|a, b| b.months.cmp(&a.months).then(a.member_id.cmp(&b.member_id)));
    Ok(rows)
}

/// Members whose current absence streak over the period's months is at least `least`, with their
/// name and branch, counted by the database. Each ended event's month is worked out once; then
/// the members with at least `least` absences without make-up, with those months as a bit mask
/// (a sum of distinct powers of two is their OR, in SQLite and PostgreSQL alike); then, through
/// each such member's outcomes other than those absences (their own partial index, migration
/// 31), the last month they were expected and not absent. The streak is the absent months after
/// it; only the members whose streak reaches `least` are named and returned. Only `units`'
/// members when given.
async fn counted_streaks(
    db: &impl ConnectionTrait,
    period: &Period,
    tz: Tz,
    units: Option<&[i64]>,
    least: u32,
) -> Result<Vec<StreakRow>, DbErr> {
    let backend = db.get_database_backend();
    let ph = |n: usize| crate::db::numbered(backend, n);
    let starts: Vec<DateTime<Utc>> = period
        .months()
        .iter()
        .filter_map(|(y, m)| NaiveDate::from_ymd_opt(*y, *m, 1))
        .map(|d| start_of(d.max(period.from), tz))
        .collect();
    // The month of an event: how many month starts after the first it is past.
    let month = (1..starts.len())
        .map(|k| format!("CASE WHEN e.starts_at >= {} THEN 1 ELSE 0 END", ph(k + 4)))
        .collect::<Vec<_>>();
    let month = if month.is_empty() { "0".to_owned() } else { month.join(" + ") };
    let mut values: Vec<Value> = vec![
        start_of(period.from, tz).into(),
        start_of(period.end(), tz).into(),
        i64::from(least).into(),
        i64::from(least).into(),
    ];
    values.extend(starts.iter().skip(1).map(|s| (*s).into()));
    let scoped = match units {
        Some(units) => {
            let list = units.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
            format!(
                "AND i.member_id IN (SELECT id FROM members WHERE branch_id IN ({}))",
                if list.is_empty() { "NULL".to_owned() } else { list }
            )
        }
        None => String::new(),
    };
    let unexcused = "i.outcome = 'absent' AND i.makeup_done_on IS NULL";
    // The absences are read from their own partial index (migration 17), the other outcomes from
    // theirs (migration 31). SQLite's planner, with no statistics (nothing runs ANALYZE), prefers
    // the wider covering indexes; PostgreSQL has its statistics and chooses by itself.
    let absences = match backend {
        sea_orm::DbBackend::Sqlite => "INDEXED BY idx_invitations_unexcused",
        _ => "",
    };
    let kept = format!("i.role = 'member' AND i.outcome IS NOT NULL AND NOT ({unexcused})");
    // The second look: each member's last month expected and not absent. SQLite looks it up
    // member by member (their outcomes, each event's month from an index it builds on `ev`);
    // PostgreSQL cannot index a CTE and would read all of `ev` for each member (3 s for the
    // generated association), so it joins and groups once instead (0.2 s), which SQLite's
    // temporary B-tree makes six times slower than its own way.
    let last_good = match backend {
        sea_orm::DbBackend::Sqlite => format!(
            "SELECT b.member_id AS member_id, b.bad AS bad, \
               (SELECT CAST(MAX(ev.m) AS BIGINT) FROM invitations i INDEXED BY idx_invitations_kept \
                 JOIN ev ON ev.id = i.event_id \
                 WHERE i.member_id = b.member_id AND {kept} AND ((b.bad >> ev.m) & 1) = 0) AS last_good \
             FROM b"
        ),
        _ => format!(
            "SELECT b.member_id AS member_id, b.bad AS bad, CAST(MAX(ev.m) AS BIGINT) AS last_good FROM b \
               LEFT JOIN invitations i ON i.member_id = b.member_id AND {kept} \
               LEFT JOIN ev ON ev.id = i.event_id AND ((b.bad >> ev.m) & 1) = 0 \
             GROUP BY b.member_id, b.bad"
        ),
    };
    // The absent months after the last good one: the bits of the mask above it (twelve months at
    // most, one term each; PostgreSQL shifts a BIGINT by an INTEGER).
    let after = "(s.bad >> CAST(COALESCE(s.last_good, -1) + 1 AS INTEGER))";
    let streak = (0..starts.len().max(1)).map(|k| format!("(({after} >> {k}) & 1)")).collect::<Vec<_>>().join(" + ");
    let sql = format!(
        "WITH ev AS MATERIALIZED (SELECT e.id AS id, {month} AS m FROM events e \
           WHERE e.state = 'ended' AND e.starts_at >= {from} AND e.starts_at < {to}), \
         b AS MATERIALIZED (SELECT i.member_id AS member_id, SUM(DISTINCT 1 << ev.m) AS bad \
           FROM invitations i {absences} JOIN ev ON ev.id = i.event_id \
           WHERE i.member_id IS NOT NULL AND i.role = 'member' AND {unexcused} {scoped} \
           GROUP BY i.member_id HAVING COUNT(*) >= {least}), \
         s AS MATERIALIZED ({last_good}) \
         SELECT s.member_id AS member_id, s.bad AS bad, s.last_good AS last_good, mb.name AS name, \
           mb.branch_id AS branch_id, br.name AS branch \
         FROM s JOIN members mb ON mb.id = s.member_id JOIN branches br ON br.id = mb.branch_id \
         WHERE {streak} >= {shown}",
        from = ph(1),
        to = ph(2),
        least = ph(3),
        shown = ph(4),
    );
    let rows = db.query_all_raw(sea_orm::Statement::from_sql_and_values(backend, sql, values)).await?;
    let mut found = Vec::new();
    for r in rows {
        let bad = r.try_get::<i64>("", "bad")?;
        // The absent months after the last month that was expected and not absent.
        let after = r.try_get::<Option<i64>>("", "last_good")?.map_or(0, |m| m + 1);
        let months =
            u32::try_from(bad).unwrap_or(0).checked_shr(u32::try_from(after).unwrap_or(0)).unwrap_or(0).count_ones();
        if months >= least {
            found.push(StreakRow {
                member_id: r.try_get("", "member_id")?,
                name: r.try_get("", "name")?,
                branch: r.try_get("", "branch")?,
                months,
                threshold: 0,
                branch_id: r.try_get("", "branch_id")?,
            });
        }
    }
    Ok(found)
}
