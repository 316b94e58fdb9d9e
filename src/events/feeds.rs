//! Events as iCalendar: one event as a file (and, later, subscription feeds).
use std::collections::HashMap;

use chrono_tz::Tz;
use sea_orm::{QueryFilter, entity::prelude::*};

use super::{
    entity::event,
    ical::{self, IcalEvent},
    rules::EventState,
};
use crate::{app::AppState, branches::entity::branch, i18n::Locale, members::rules::Choice, web::WebError};

/// A VCALENDAR of events, each in its organising branch's zone, organised by that branch.
pub async fn calendar_of(
    state: &AppState,
    locale: Locale,
    events: &[event::Model],
    name: Option<&str>,
) -> Result<String, WebError> {
    let ids: Vec<i64> = events.iter().map(|e| e.branch_id).collect();
    let branches: HashMap<i64, branch::Model> = branch::Entity::find()
        .filter(branch::Column::Id.is_in(ids))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let host = state.settings.base_url.host_str().unwrap_or("localhost").to_owned();
    let fallback_email = format!("noreply@{host}");
    let base = state.settings.base_url.as_str().trim_end_matches('/').to_owned();
    let now = state.now();
    struct Owned {
        uid: String,
        url: String,
        tz: Tz,
        category: String,
        organizer: String,
        email: String,
    }
    let owned: Vec<Owned> = events
        .iter()
        .map(|e| {
            let b = branches.get(&e.branch_id);
            Owned {
                uid: format!("event-{}@{host}", e.id),
                url: format!("{base}/events/{}", e.id),
                tz: b.and_then(|b| b.timezone.parse().ok()).unwrap_or(state.settings.timezone),
                category: crate::i18n::t(locale, e.kind.label_key()).to_owned(),
                organizer: b.map(|b| b.name.clone()).unwrap_or_default(),
                email: b.and_then(|b| b.contact_email.clone()).unwrap_or_else(|| fallback_email.clone()),
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
            description: &e.description,
            location: e.location.as_deref().unwrap_or(""),
            categories: &o.category,
            organizer_name: &o.organizer,
            organizer_email: &o.email,
            url: Some(&o.url),
            cancelled: e.state == EventState::Cancelled,
        })
        .collect();
    Ok(ical::calendar(name, Some(ical::Method::Publish), &items))
}
