//! Attachments in storage: files under the data directory by random names, one row each.
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, QueryFilter, QueryOrder, Set, entity::prelude::*};

use super::{EventError, Loaded};
use crate::{crypto, events::entity::attachment};

fn dir(data_dir: &Path) -> PathBuf {
    data_dir.join("attachments")
}

pub async fn of_event(db: &impl ConnectionTrait, event_id: i64) -> Result<Vec<attachment::Model>, DbErr> {
    attachment::Entity::find()
        .filter(attachment::Column::EventId.eq(event_id))
        .order_by_asc(attachment::Column::Id)
        .all(db)
        .await
}

/// Stores a checked upload: the file, then its row; a failed insert removes the file again.
/// Only the event's managers, while it can still change.
pub async fn store(
    db: &impl ConnectionTrait,
    data_dir: &Path,
    loaded: &Loaded,
    (name, content_type): (String, &str),
    bytes: &[u8],
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    loaded.require_changeable(now)?;
    let dir = dir(data_dir);
    tokio::fs::create_dir_all(&dir).await?;
    let stored_name = crypto::random_token();
    let path = dir.join(&stored_name);
    tokio::fs::write(&path, bytes).await?;
    let row = attachment::ActiveModel {
        event_id: Set(loaded.event.id),
        file_name: Set(name),
        content_type: Set(content_type.to_owned()),
        size: Set(bytes.len() as i64),
        stored_name: Set(stored_name),
        created_at: Set(now),
        ..Default::default()
    };
    if let Err(e) = row.insert(db).await {
        let _ = tokio::fs::remove_file(&path).await;
        return Err(e.into());
    }
    Ok(())
}

/// One attachment of an event the caller may read, with its bytes.
pub async fn read(
    db: &impl ConnectionTrait,
    data_dir: &Path,
    loaded: &Loaded,
    id: i64,
) -> Result<(attachment::Model, Vec<u8>), EventError> {
    let row = find(db, loaded, id).await?;
    let bytes = tokio::fs::read(dir(data_dir).join(&row.stored_name)).await.map_err(|_| EventError::NotFound)?;
    Ok((row, bytes))
}

/// Removes an attachment (its managers, while the event can change). The row goes first: a file
/// left behind by a failed removal is only disk, never a broken link.
pub async fn remove(
    db: &impl ConnectionTrait,
    data_dir: &Path,
    loaded: &Loaded,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), EventError> {
    loaded.require_changeable(now)?;
    let row = find(db, loaded, id).await?;
    attachment::Entity::delete_by_id(row.id).exec(db).await?;
    let _ = tokio::fs::remove_file(dir(data_dir).join(&row.stored_name)).await;
    Ok(())
}

async fn find(db: &impl ConnectionTrait, loaded: &Loaded, id: i64) -> Result<attachment::Model, EventError> {
    attachment::Entity::find_by_id(id)
        .filter(attachment::Column::EventId.eq(loaded.event.id))
        .one(db)
        .await?
        .ok_or(EventError::NotFound)
}
