//! A per-instance copy of the open units, for the branch and group select boxes of list and form
//! pages (every one of them would otherwise read all units). Refreshed after `TTL`, and at once
//! after a change on this instance. A stale copy is harmless: it only offers choices, and every
//! submitted choice is checked against the database.
use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{ConnectionTrait, DbErr};

use crate::branches::service::{self, UnitOption};

const TTL: Duration = Duration::from_secs(10);

#[derive(Default)]
pub struct UnitCache {
    slot: Mutex<Option<(Instant, Arc<Vec<UnitOption>>)>>,
}

impl UnitCache {
    pub async fn get(&self, db: &impl ConnectionTrait) -> Result<Arc<Vec<UnitOption>>, DbErr> {
        if let Some((at, units)) = self.slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && at.elapsed() < TTL
        {
            return Ok(units.clone());
        }
        let units = Arc::new(service::open_units(db).await?);
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), units.clone()));
        Ok(units)
    }

    pub fn invalidate(&self) {
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}
