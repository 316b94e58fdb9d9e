//! Events as iCalendar: one event as a file, and private subscription feeds (a member's events,
//! a branch's events) reached through a revocable unguessable address.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, Condition, ConnectionTrait, DbErr, QueryFilter, QueryOrder, QuerySelect, Set, TransactionSession,
    TransactionTrait, entity::prelude::*, sea_query::Query,
};

use crate::events::{
    entity::{event, feed, invitation},
    rules::EventState,
    service::{list::events_of_units, member_units},
    views::ical::{self, IcalEvent},
};
use crate::{
    branches::{Scope, entity::branch},
    crypto::{self, Signer},
    forms::Choice,
    i18n::Locale,
    members::entity::member,
};

/// Whose events a subscription carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOwner {
    Member(i64),
    Branch(i64),
}

impl FeedOwner {
    fn condition(self) -> Condition {
        let c = Condition::all().add(feed::Column::RevokedAt.is_null());
        match self {
            FeedOwner::Member(id) => c.add(feed::Column::MemberId.eq(id)),
            FeedOwner::Branch(id) => c.add(feed::Column::BranchId.eq(id)),
        }
    }

    fn of(f: &feed::Model) -> Option<FeedOwner> {
        f.member_id.map(FeedOwner::Member).or(f.branch_id.map(FeedOwner::Branch))
    }
}

/// How far back a feed reaches; calendar apps keep what they have already seen.
const FEED_HISTORY_DAYS: i64 = 366;
/// At most this many events in one feed.
const FEED_MAX_EVENTS: u64 = 2000;

/// The address token of a feed: an HMAC of the row under the server's secret, so the page can
/// show it again while the database keeps only its hash (a copied database reveals no address).
/// Changing `app.secret` retires every address.
pub fn token(signer: &Signer, f: &feed::Model) -> String {
    signer.sign("calendar-feed", format!("{}:{}", f.id, f.created_at.timestamp_micros()).as_bytes())
}

/// The owner's live feed, if any.
pub async fn active(db: &impl ConnectionTrait, owner: FeedOwner) -> Result<Option<feed::Model>, DbErr> {
    feed::Entity::find().filter(owner.condition()).order_by_desc(feed::Column::Id).one(db).await
}

/// Gives the owner a new address; the previous one (if any) stops working.
pub async fn renew(
    db: &impl TransactionTrait,
    signer: &Signer,
    owner: FeedOwner,
    now: DateTime<Utc>,
) -> Result<feed::Model, DbErr> {
    let txn = crate::db::write_txn(db).await?;
    revoke_in(&txn, owner, now).await?;
    let (member_id, branch_id) = match owner {
        FeedOwner::Member(id) => (Some(id), None),
        FeedOwner::Branch(id) => (None, Some(id)),
    };
    // The token depends on the row's id: insert under a throwaway unique hash, then set the real one.
    let row = feed::ActiveModel {
        token_hash: Set(crypto::token_hash(&crypto::random_token())),
        member_id: Set(member_id),
        branch_id: Set(branch_id),
        created_at: Set(now),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let hash = crypto::token_hash(&token(signer, &row));
    let mut m: feed::ActiveModel = row.into();
    m.token_hash = Set(hash);
    let row = m.update(&txn).await?;
    txn.commit().await?;
    Ok(row)
}

async fn revoke_in(db: &impl ConnectionTrait, owner: FeedOwner, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(feed::Entity::update_many()
        .col_expr(feed::Column::RevokedAt, Expr::value(now))
        .filter(owner.condition())
        .exec(db)
        .await?
        .rows_affected)
}

/// Stops the owner's address from working; true when there was one.
pub async fn revoke(db: &impl ConnectionTrait, owner: FeedOwner, now: DateTime<Utc>) -> Result<bool, DbErr> {
    Ok(revoke_in(db, owner, now).await? > 0)
}

/// The live feed a presented token opens, if any.
/// The live feeds of the given branches (any branch's for the association's administrators).
pub async fn live_of_branches(
    db: &impl ConnectionTrait,
    scope: &Scope,
    units: impl IntoIterator<Item = i64>,
) -> Result<Vec<feed::Model>, DbErr> {
    let units: Vec<i64> = units.into_iter().filter(|u| scope.covers(*u)).collect();
    let select = feed::Entity::find().filter(feed::Column::RevokedAt.is_null());
    let select = match scope.units() {
        Some(_) => select.filter(feed::Column::BranchId.is_in(units)),
        None => select.filter(feed::Column::BranchId.is_not_null()),
    };
    select.order_by_asc(feed::Column::Id).all(db).await
}

/// The name a feed goes by (its member's or branch's) and, for a member, their language.
pub async fn owner_name(
    db: &impl ConnectionTrait,
    owner: FeedOwner,
) -> Result<(Option<String>, Option<Locale>), DbErr> {
    Ok(match owner {
        FeedOwner::Member(id) => {
            let m = member::Entity::find_by_id(id).one(db).await?;
            let locale = m.as_ref().and_then(|m| m.locale.as_deref()).and_then(Locale::from_tag);
            (m.map(|m| m.name), locale)
        }
        FeedOwner::Branch(id) => (branch::Entity::find_by_id(id).one(db).await?.map(|b| b.name), None),
    })
}

pub async fn by_token(db: &impl ConnectionTrait, token: &str) -> Result<Option<(feed::Model, FeedOwner)>, DbErr> {
    if token.is_empty() || token.len() > 100 {
        return Ok(None);
    }
    let found = feed::Entity::find()
        .filter(feed::Column::TokenHash.eq(crypto::token_hash(token)))
        .filter(feed::Column::RevokedAt.is_null())
        .one(db)
        .await?;
    Ok(found.and_then(|f| FeedOwner::of(&f).map(|o| (f, o))))
}

/// The events a feed carries: never drafts; from a year back on.
pub async fn events_of(
    db: &impl ConnectionTrait,
    owner: FeedOwner,
    now: DateTime<Utc>,
) -> Result<Vec<event::Model>, DbErr> {
    let held = match owner {
        FeedOwner::Branch(id) => Condition::all().add(event::Column::Id.in_subquery(events_of_units([id]))),
        FeedOwner::Member(id) => {
            let invited = Query::select()
                .column(invitation::Column::EventId)
                .from(invitation::Entity)
                .and_where(invitation::Column::MemberId.eq(id))
                .to_owned();
            let units = member_units(db, Some(id)).await?;
            Condition::any()
                .add(event::Column::Id.in_subquery(invited))
                .add(event::Column::Id.in_subquery(events_of_units(units)))
        }
    };
    event::Entity::find()
        .filter(held)
        .filter(event::Column::State.ne(EventState::Draft))
        .filter(event::Column::EndsAt.gt(now - Duration::days(FEED_HISTORY_DAYS)))
        .order_by_asc(event::Column::StartsAt)
        .limit(FEED_MAX_EVENTS)
        .all(db)
        .await
}

/// A VCALENDAR of events, each in its organising branch's zone, organised by that branch. The
/// site's address (`base_url`, in the association's `zone`) names the events (UIDs and links); `now` stamps them.
pub async fn calendar_of(
    db: &impl ConnectionTrait,
    (base_url, zone): (&url::Url, Tz),
    now: DateTime<Utc>,
    locale: Locale,
    events: &[event::Model],
    name: Option<&str>,
    method: ical::Method,
) -> Result<String, DbErr> {
    let ids: Vec<i64> = events.iter().map(|e| e.branch_id).collect();
    let branches: HashMap<i64, branch::Model> = branch::Entity::find()
        .filter(branch::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let host = base_url.host_str().unwrap_or("localhost").to_owned();
    let fallback_email = format!("noreply@{host}");
    let base = base_url.as_str().trim_end_matches('/').to_owned();
    struct Owned {
        uid: String,
        url: String,
        tz: Tz,
        category: String,
        organizer: String,
        email: String,
        description: String,
    }
    let owned: Vec<Owned> = events
        .iter()
        .map(|e| {
            let b = branches.get(&e.branch_id);
            Owned {
                uid: format!("event-{}@{host}", e.id),
                url: format!("{base}/events/{}", e.id),
                tz: b.map_or(zone, |b| b.tz()),
                category: crate::i18n::t(locale, e.kind.label_key()).to_owned(),
                organizer: b.map(|b| b.name.clone()).unwrap_or_default(),
                email: b.and_then(|b| b.contact_email.clone()).unwrap_or_else(|| fallback_email.clone()),
                description: crate::markdown::plain_text(&e.description),
            }
        })
        .collect();
    let items: Vec<IcalEvent<'_>> = events
        .iter()
        .zip(&owned)
        .map(|(e, o)| IcalEvent {
            uid: &o.uid,
            sequence: e.sequence,
            dtstamp: now,
            start: e.starts_at,
            end: e.ends_at,
            tz: o.tz,
            summary: &e.title,
            description: &o.description,
            location: e.location.as_deref().unwrap_or(""),
            categories: &o.category,
            organizer_name: &o.organizer,
            organizer_email: &o.email,
            url: Some(&o.url),
            cancelled: e.state == EventState::Cancelled,
        })
        .collect();
    Ok(ical::calendar(name, Some(method), &items))
}
