//! Signatures and the people who give them: the host's and the recorder's own signatures, a
//! secretary's signature on behalf (代签) of a host or recorder who cannot sign in, marked as such
//! in the record and its history; and naming the event's host and recorder after it took place,
//! until the record is locked.
use super::*;

/// In which capacity a signature is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignAs {
    Host,
    Recorder,
}

impl SignAs {
    pub fn parse(raw: &str) -> Option<SignAs> {
        match raw {
            "host" => Some(SignAs::Host),
            "recorder" => Some(SignAs::Recorder),
            _ => None,
        }
    }
}

/// Signs the submitted revision as host or recorder, as oneself (`based_on`: the revision the
/// signer read). The second signature locks the record. Returns whether it is locked now.
/// Someone who does not hold the role is refused ([`MinutesError::OnBehalfOnly`] when they could
/// sign for its holder with [`sign_for`]).
pub async fn sign(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    as_: SignAs,
    based_on: i32,
    now: DateTime<Utc>,
) -> Result<bool, MinutesError> {
    sign_with(db, scope, event_id, (as_, false), based_on, now).await
}

/// Signs for the host or recorder on behalf (a secretary, for a named holder who cannot sign in):
/// the record keeps whom it was signed for beside who signed and when, and its history says so.
pub async fn sign_for(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    as_: SignAs,
    based_on: i32,
    now: DateTime<Utc>,
) -> Result<bool, MinutesError> {
    sign_with(db, scope, event_id, (as_, true), based_on, now).await
}

async fn sign_with(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    (as_, on_behalf): (SignAs, bool),
    based_on: i32,
    now: DateTime<Utc>,
) -> Result<bool, MinutesError> {
    let txn = crate::db::write_txn(db).await?;
    let (_, row, _) = lock(&txn, scope, event_id, now).await?;
    if row.state != MinutesState::Submitted {
        return Err(MinutesError::WrongState);
    }
    // The host and recorder as they stand with the record's row held: renaming them holds it too
    // (`set_people`), so a signature is never given for someone renamed meanwhile.
    let loaded = events::load(&txn, scope, event_id).await?;
    let rights = rights(&txn, scope, &loaded, true).await?;
    let (own, for_holder, named) = match as_ {
        SignAs::Host => (
            rights.sign_host,
            rights.sign_host_for,
            loaded.event.host_member_id.is_some() || loaded.event.host_guest_name.is_some(),
        ),
        SignAs::Recorder => (rights.sign_recorder, rights.sign_recorder_for, loaded.event.recorder_member_id.is_some()),
    };
    match (on_behalf, own, for_holder) {
        (false, true, _) | (true, _, true) => {}
        // Signing a role one does not hold is only a signature on behalf, marked as such.
        (false, false, true) => return Err(MinutesError::OnBehalfOnly),
        _ if !named && loaded.access >= Access::CoOrganiser => return Err(MinutesError::NobodyNamed),
        _ => return Err(MinutesError::Forbidden),
    }
    let already = match as_ {
        SignAs::Host => row.host_signed_at.is_some(),
        SignAs::Recorder => row.recorder_signed_at.is_some(),
    };
    if already {
        return Err(MinutesError::WrongState);
    }
    if row.revision != based_on {
        return Err(MinutesError::Stale(Box::new(body_of(&row)?)));
    }
    // Whom a signature on behalf was given for, by name as it stands now.
    let holder = if on_behalf {
        let names = events::named(&txn, &loaded).await?;
        let name = match as_ {
            SignAs::Host => names.host,
            SignAs::Recorder => names.recorder,
        };
        Some(name.ok_or(MinutesError::NobodyNamed)?)
    } else {
        None
    };
    let mut m: minutes::ActiveModel = row.clone().into();
    let (kind, both) = match (as_, on_behalf) {
        (SignAs::Host, _) => {
            m.host_signed_by = Set(scope.account_id());
            m.host_signed_at = Set(Some(now));
            m.host_signed_for = Set(holder.clone());
            let kind = if on_behalf { LogKind::SignedHostFor } else { LogKind::SignedHost };
            (kind, row.recorder_signed_at.is_some())
        }
        (SignAs::Recorder, _) => {
            m.recorder_signed_by = Set(scope.account_id());
            m.recorder_signed_at = Set(Some(now));
            m.recorder_signed_for = Set(holder.clone());
            let kind = if on_behalf { LogKind::SignedRecorderFor } else { LogKind::SignedRecorder };
            (kind, row.host_signed_at.is_some())
        }
    };
    if both {
        // An amendment signed and locked is the record now.
        m.state = Set(MinutesState::Locked);
        m.locked_at = Set(Some(now));
        drop_signed(&mut m);
    }
    m.updated_at = Set(now);
    let saved = m.update(&txn).await?;
    write_log(&txn, &saved, kind, holder, scope, now).await?;
    if both {
        write_log(&txn, &saved, LogKind::Locked, None, scope, now).await?;
    }
    txn.commit().await?;
    Ok(both)
}

/// Names the event's host and recorder from its record's page (the event form is closed once the
/// event has ended), holding the record's row: until the record is locked, and not for a role
/// already signed (send the record back first). The event logs the change in its history.
pub async fn set_people(
    db: &impl TransactionTrait,
    scope: &Scope,
    event_id: i64,
    people: &crate::events::rules::People,
    now: DateTime<Utc>,
) -> Result<bool, MinutesError> {
    let txn = crate::db::write_txn(db).await?;
    let (_, row, rights) = lock(&txn, scope, event_id, now).await?;
    if !rights.set_people {
        return Err(MinutesError::Forbidden);
    }
    // As they stand with the record's row held (a signature holds it too).
    let loaded = events::load(&txn, scope, event_id).await?;
    let e = &loaded.event;
    let host_changes = e.host_member_id != people.host_member_id || e.host_guest_name != people.host_guest_name;
    let recorder_changes = e.recorder_member_id != people.recorder_member_id;
    let signed_over =
        (host_changes && row.host_signed_at.is_some()) || (recorder_changes && row.recorder_signed_at.is_some());
    // A signed record (also while it is amended) names its host and recorder as signed.
    if is_signed(&row) || signed_over {
        return Err(MinutesError::WrongState);
    }
    let changed = match events::set_people(&txn, scope, event_id, people, now).await {
        Ok(changed) => changed,
        Err(events::FormError::Fields(errors)) => return Err(MinutesError::People(errors)),
        Err(events::FormError::Rule(e)) => return Err(e.into()),
    };
    txn.commit().await?;
    Ok(changed)
}
