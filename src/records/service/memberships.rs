//! Who counted where and when: members' membership periods, and the days they were exempt from
//! activities.
use std::collections::HashMap;

use chrono::NaiveDate;
use sea_orm::{Condition, ConnectionTrait, DbErr, QueryOrder, QuerySelect, entity::prelude::*};

use crate::{
    members::entity::{member, period},
    records::rules::Period,
};

/// The days members were exempt from activities (免于参加组织生活: long illness, work abroad),
/// from the dated state changes: [from, until) per member. A member exempt today with no change
/// on record (imported so) is exempt since ever.
#[derive(Default)]
pub(super) struct MemberExemptions(pub(super) HashMap<i64, Vec<(NaiveDate, NaiveDate)>>);

impl MemberExemptions {
    pub(super) async fn of(db: &impl ConnectionTrait, members: Option<&[i64]>) -> Result<MemberExemptions, DbErr> {
        use crate::{
            forms::Choice,
            members::{entity::history, rules::MembershipState},
        };
        let exempt = MembershipState::Exempt.key();
        let mut q = history::Entity::find()
            .filter(history::Column::Kind.eq("state"))
            .filter(
                Condition::any().add(history::Column::FromValue.eq(exempt)).add(history::Column::ToValue.eq(exempt)),
            )
            .order_by_asc(history::Column::EffectiveOn)
            .order_by_asc(history::Column::Id);
        let mut now = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .filter(member::Column::State.eq(MembershipState::Exempt));
        if let Some(ids) = members {
            q = q.filter(history::Column::MemberId.is_in(ids.iter().copied()));
            now = now.filter(member::Column::Id.is_in(ids.iter().copied()));
        }
        let mut open: HashMap<i64, NaiveDate> = HashMap::new();
        let mut map: HashMap<i64, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
        for h in q.all(db).await? {
            if h.to_value.as_deref() == Some(exempt) {
                open.insert(h.member_id, h.effective_on);
            } else {
                let from = open.remove(&h.member_id).unwrap_or(NaiveDate::MIN);
                map.entry(h.member_id).or_default().push((from, h.effective_on));
            }
        }
        for m in now.into_tuple::<i64>().all(db).await? {
            let from = open
                .remove(&m)
                .unwrap_or_else(|| map.get(&m).and_then(|v| v.last()).map_or(NaiveDate::MIN, |last| last.1));
            map.entry(m).or_default().push((from, NaiveDate::MAX));
        }
        Ok(MemberExemptions(map))
    }

    pub(super) fn on(&self, member: i64, day: NaiveDate) -> bool {
        self.0.get(&member).is_some_and(|v| v.iter().any(|(a, b)| *a <= day && day < *b))
    }

    pub(super) fn during(&self, member: i64, period: &Period) -> bool {
        self.0.get(&member).is_some_and(|v| v.iter().any(|(a, b)| *a <= period.to && period.from < *b))
    }
}

/// Membership periods by member: which branch each belonged to on a day, and when they were
/// exempt (then they count nowhere).
pub(super) struct Memberships(HashMap<i64, Vec<period::Model>>, MemberExemptions);

impl Memberships {
    pub(super) async fn of(db: &impl ConnectionTrait, members: Option<&[i64]>) -> Result<Memberships, DbErr> {
        let mut q = period::Entity::find();
        if let Some(ids) = members {
            q = q.filter(period::Column::MemberId.is_in(ids.iter().copied()));
        }
        let mut map: HashMap<i64, Vec<period::Model>> = HashMap::new();
        for p in q.all(db).await? {
            map.entry(p.member_id).or_default().push(p);
        }
        Ok(Memberships(map, MemberExemptions::of(db, members).await?))
    }

    /// The one branch a member belonged to through the whole period, never exempt in it (None:
    /// none, they moved during it, or were exempt some of it: count them event by event).
    pub(super) fn throughout(&self, member: i64, period: &Period) -> Option<i64> {
        if self.1.during(member, period) {
            return None;
        }
        let covering = self
            .0
            .get(&member)?
            .iter()
            .filter(|p| p.from_on <= period.to && p.until_on.is_none_or(|u| u > period.from));
        let mut it = covering;
        let only = it.next()?;
        let whole = only.from_on <= period.from && only.until_on.is_none_or(|u| u > period.to);
        (whole && it.next().is_none()).then_some(only.branch_id)
    }

    /// The branch a member counts for on a day (None: in none, or exempt).
    pub(super) fn branch_on(&self, member: i64, day: NaiveDate) -> Option<i64> {
        if self.1.on(member, day) {
            return None;
        }
        self.0
            .get(&member)?
            .iter()
            .find(|p| p.from_on <= day && p.until_on.is_none_or(|u| day < u))
            .map(|p| p.branch_id)
    }
}
