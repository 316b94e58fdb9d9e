//! Page structs of the branches domain.
use askama::Template;
use askama_web::WebTemplate;

use super::{
    entity::branch,
    rules::{BranchForm, BranchKind, OfficerRole},
    service::{OfficerRow, TreeRow},
};
// Templates call `label_key()` of statuses.
use crate::{
    forms::{Choice as _, FieldErrors},
    members::entity::member,
    web::Ctx,
};

#[derive(Template, WebTemplate)]
#[template(path = "branches/list.html")]
pub struct BranchesListPage {
    pub ctx: Ctx,
    pub rows: Vec<TreeRow>,
    pub can_create: bool,
}

impl BranchesListPage {
    /// Indentation of a row, as a CSS class (the CSP forbids inline styles).
    pub fn indent(&self, row: &TreeRow) -> String {
        format!("depth-{}", row.depth.min(4))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "branches/new.html")]
pub struct BranchNewPage {
    pub ctx: Ctx,
    pub form: BranchForm,
    pub errors: FieldErrors,
    pub parents: Vec<TreeRow>,
}

impl BranchNewPage {
    pub fn kinds(&self) -> &'static [BranchKind] {
        &BranchKind::ALL
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "branches/show.html")]
pub struct BranchShowPage {
    pub ctx: Ctx,
    /// The members' accounts: how many have one, are invited, have no email.
    pub accounts: crate::accounts::service::welcome::Counts,
    pub branch: branch::Model,
    pub parent: Option<branch::Model>,
    pub children: Vec<branch::Model>,
    pub is_admin: bool,
    pub form: BranchForm,
    pub errors: FieldErrors,
    /// Where the unit could move (admin only).
    pub move_targets: Vec<TreeRow>,
    pub move_errors: FieldErrors,
    pub officers: Vec<OfficerRow>,
    pub candidates: Vec<member::Model>,
    pub appoint_errors: FieldErrors,
    pub today: String,
}

impl BranchShowPage {
    pub fn roles(&self) -> Vec<OfficerRole> {
        OfficerRole::ALL.into_iter().filter(|r| r.fits(self.branch.kind)).collect()
    }

    pub fn is_parent(&self, id: &i64) -> bool {
        self.branch.parent_id == Some(*id)
    }

    pub fn is_current(&self, row: &OfficerRow) -> bool {
        chrono::NaiveDate::parse_from_str(&self.today, "%Y-%m-%d").is_ok_and(|d| row.term.serves_on(d))
    }
}

/// Confirmation before closing or deleting a unit.
#[derive(Template, WebTemplate)]
#[template(path = "branches/confirm.html")]
pub struct BranchConfirmPage {
    pub ctx: Ctx,
    pub branch: branch::Model,
    /// "close" or "delete"
    pub action: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "branches/roster.html")]
pub struct BranchRosterPage {
    pub ctx: Ctx,
    pub branch: branch::Model,
    pub on: String,
    pub members: Vec<member::Model>,
    pub error: Option<crate::i18n::Msg>,
}
