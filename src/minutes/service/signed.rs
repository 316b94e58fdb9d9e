//! The signed record through an amendment: a locked record that is amended keeps its signed
//! revision (body and signatures) beside the amendment, and that revision stays the record for
//! its readers, the print view, the Word file, the year's archive, the mail and the reports until
//! the amendment is signed and locked in turn.
use super::*;

/// Which version of a record a writer asks for while an amendment is in progress. Readers who do
/// not write it always get the signed record; without an amendment there is only one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Version {
    /// The record as it is being written: the amendment (the default for its writers).
    #[default]
    Working,
    /// The record as last signed and locked.
    Signed,
}

impl Version {
    /// From a page's `version` parameter ("signed", "amendment"; anything else: `default`).
    pub fn parse(raw: &str, default: Version) -> Version {
        match raw.trim() {
            "signed" => Version::Signed,
            "amendment" => Version::Working,
            _ => default,
        }
    }
}

/// An amendment in progress, as its writers see it beside the signed record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amendment {
    /// The page shows the signed record (else the amendment).
    pub signed_shown: bool,
    /// The revision that stays the record, and when it was locked.
    pub signed_revision: i32,
    pub signed_at: Option<DateTime<Utc>>,
    /// The amendment's revision and where it stands (draft or submitted).
    pub revision: i32,
    pub state: MinutesState,
}

impl Amendment {
    pub(super) fn of(m: &minutes::Model, signed_shown: bool) -> Option<Amendment> {
        amending(m).then(|| Amendment {
            signed_shown,
            signed_revision: m.signed_revision.unwrap_or_default(),
            signed_at: m.locked_at,
            revision: m.revision,
            state: m.state,
        })
    }
}

/// Whether the record is being amended: signed and locked once, kept, and not locked again yet.
pub fn amending(m: &minutes::Model) -> bool {
    m.state != MinutesState::Locked && m.signed_revision.is_some()
}

/// Whether the record has a signed revision: locked, or being amended.
pub fn is_signed(m: &minutes::Model) -> bool {
    m.state == MinutesState::Locked || amending(m)
}

/// The record as it was signed while it is being amended (state locked, the signed revision, its
/// body and signatures): None when it is not being amended (a locked record is its own signed
/// revision).
pub fn as_signed(m: &minutes::Model) -> Result<Option<(minutes::Model, Body)>, DbErr> {
    if !amending(m) {
        return Ok(None);
    }
    let text = m
        .signed_body
        .as_deref()
        .ok_or_else(|| DbErr::Custom(format!("minutes {}: a signed revision without its body", m.id)))?;
    let body = body_from(m.id, text)?;
    let record = minutes::Model {
        state: MinutesState::Locked,
        revision: m.signed_revision.unwrap_or_default(),
        body: text.to_owned(),
        host_signed_by: m.signed_host_by,
        host_signed_at: m.signed_host_at,
        host_signed_for: m.signed_host_for.clone(),
        recorder_signed_by: m.signed_recorder_by,
        recorder_signed_at: m.signed_recorder_at,
        recorder_signed_for: m.signed_recorder_for.clone(),
        signed_revision: None,
        signed_body: None,
        signed_host_by: None,
        signed_host_at: None,
        signed_host_for: None,
        signed_recorder_by: None,
        signed_recorder_at: None,
        signed_recorder_for: None,
        ..m.clone()
    };
    Ok(Some((record, body)))
}

/// The signed record of a row and its body: the row itself when locked, the kept revision while
/// it is amended; None when it was never signed.
pub fn signed_record(m: &minutes::Model) -> Result<Option<(minutes::Model, Body)>, DbErr> {
    if m.state == MinutesState::Locked {
        return Ok(Some((m.clone(), body_of(m)?)));
    }
    as_signed(m)
}

/// An amendment starts from a locked record: its signed revision is kept as it stands.
pub(super) fn keep_signed(am: &mut minutes::ActiveModel, row: &minutes::Model) {
    am.signed_revision = Set(Some(row.revision));
    am.signed_body = Set(Some(row.body.clone()));
    am.signed_host_by = Set(row.host_signed_by);
    am.signed_host_at = Set(row.host_signed_at);
    am.signed_host_for = Set(row.host_signed_for.clone());
    am.signed_recorder_by = Set(row.recorder_signed_by);
    am.signed_recorder_at = Set(row.recorder_signed_at);
    am.signed_recorder_for = Set(row.recorder_signed_for.clone());
}

/// The amendment is signed and locked: it is the record now, and the revision kept goes.
pub(super) fn drop_signed(am: &mut minutes::ActiveModel) {
    am.signed_revision = Set(None);
    am.signed_body = Set(None);
    am.signed_host_by = Set(None);
    am.signed_host_at = Set(None);
    am.signed_host_for = Set(None);
    am.signed_recorder_by = Set(None);
    am.signed_recorder_at = Set(None);
    am.signed_recorder_for = Set(None);
}
