//! Page structs of the members domain.
use askama::Template;
use askama_web::WebTemplate;

use super::{
    entity::member,
    rules::{Gender, MemberForm, MembershipState, OwnContactForm, PoliticalStatus, table::Column},
    service::{
        MemberProfile,
        import::{ImportReport, RowError},
        search::{Cursor, MemberPage, Sort},
    },
};
use crate::{
    branches::{entity::branch, service::UnitOption},
    forms::{Choice, FieldErrors},
    i18n::Msg,
    web::Ctx,
};

/// Choices for select boxes, shared by the pages below.
pub struct Choices;

impl Choices {
    pub fn statuses(&self) -> &'static [PoliticalStatus] {
        PoliticalStatus::ALL
    }
    pub fn states(&self) -> &'static [MembershipState] {
        MembershipState::ALL
    }
    pub fn genders(&self) -> &'static [Gender] {
        Gender::ALL
    }
    pub fn sorts(&self) -> [Sort; 3] {
        Sort::ALL
    }
}

/// A party group with its branch, for group select boxes.
pub struct GroupOption {
    pub group: UnitOption,
    pub branch_name: String,
}

/// Filter values as typed, kept in the form and in every link.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListParams {
    pub q: String,
    pub branch: String,
    pub group: String,
    pub status: String,
    pub state: String,
    pub sort: String,
    pub page: String,
    /// Page number, for display only (the cursor decides the rows).
    pub n: String,
    pub format: String,
}

impl ListParams {
    /// The query string with the filters, plus the given extra pairs.
    pub fn link(&self, path: &str, extra: &[(&str, &str)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("q", &self.q),
            ("branch", &self.branch),
            ("group", &self.group),
            ("status", &self.status),
            ("state", &self.state),
            ("sort", &self.sort),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        for (k, v) in extra {
            s.append_pair(k, v);
        }
        format!("{path}?{}", s.finish())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "members/list.html")]
pub struct MembersListPage {
    pub ctx: Ctx,
    pub params: ListParams,
    pub units: Vec<UnitOption>,
    pub groups: Vec<GroupOption>,
    pub page: MemberPage,
    pub number: u64,
    pub choices: Choices,
}

impl MembersListPage {
    pub fn page_link(&self, cursor: &Cursor, number: u64) -> String {
        self.params.link("/members", &[("page", &cursor.encode()), ("n", &number.to_string())])
    }

    pub fn export_link(&self, format: &str) -> String {
        self.params.link("/members/export", &[("format", format)])
    }

    /// Where the filtered list's members are invited to open accounts.
    pub fn invite_link(&self) -> String {
        self.params.link("/members/invite-accounts", &[])
    }

    pub fn pages(&self) -> u64 {
        self.page.total.div_ceil(super::service::search::PER_PAGE).max(1)
    }

    pub fn selected(&self, field: &str, value: impl AsRef<str>) -> bool {
        let value = value.as_ref();
        let current = match field {
            "branch" => &self.params.branch,
            "group" => &self.params.group,
            "status" => &self.params.status,
            "state" => &self.params.state,
            _ => &self.params.sort,
        };
        current == value
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "members/new.html")]
pub struct MemberNewPage {
    pub ctx: Ctx,
    pub form: MemberForm,
    pub errors: FieldErrors,
    pub units: Vec<UnitOption>,
    pub groups: Vec<GroupOption>,
    pub choices: Choices,
}

#[derive(Template, WebTemplate)]
#[template(path = "members/edit.html")]
pub struct MemberEditPage {
    pub ctx: Ctx,
    pub member: member::Model,
    pub form: MemberForm,
    pub errors: FieldErrors,
    pub groups: Vec<GroupOption>,
    pub choices: Choices,
}

/// Errors of one of the dated-change forms on the profile page.
#[derive(Default)]
pub struct ChangeErrors {
    pub status: FieldErrors,
    pub transfer: FieldErrors,
    pub state: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "members/show.html")]
pub struct MemberShowPage {
    pub ctx: Ctx,
    pub profile: MemberProfile,
    pub transfer_targets: Vec<branch::Model>,
    pub errors: ChangeErrors,
    pub today: String,
    pub choices: Choices,
    /// The member can sign in (no invitation to offer).
    pub has_account: bool,
}

impl MemberShowPage {
    /// Text of a history value: a branch name, a translated status or state, or as stored.
    pub fn history_value(&self, kind: &str, value: &Option<String>, name: &Option<String>) -> String {
        if let Some(n) = name {
            return n.clone();
        }
        let Some(v) = value else { return "—".to_owned() };
        let key = match kind {
            "status" => PoliticalStatus::parse(v).map(Choice::label_key),
            "state" => MembershipState::parse(v).map(Choice::label_key),
            _ => None,
        };
        key.map_or_else(|| v.clone(), |k| self.ctx.tr(k).to_owned())
    }

    pub fn history_kind_key(&self, kind: &str) -> &'static str {
        match kind {
            "joined" => "history.joined",
            "status" => "history.status",
            "transfer" => "history.transfer",
            "state" => "history.state",
            _ => "history.group",
        }
    }

    pub fn gender_label(&self) -> &'static str {
        self.profile.member.gender.as_deref().and_then(Gender::parse).map_or("", Choice::label_key)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "members/import.html")]
pub struct ImportPage {
    pub ctx: Ctx,
    pub units: Vec<UnitOption>,
    pub branch_id: String,
    pub file_error: Option<Msg>,
    pub row_errors: Vec<RowError>,
    pub report: Option<ImportReport>,
}

impl ImportPage {
    pub fn columns(&self) -> &'static [Column] {
        &Column::ALL
    }

    pub fn header_en(&self, c: &Column) -> &'static str {
        c.key()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "members/own.html")]
pub struct OwnMemberPage {
    pub ctx: Ctx,
    pub member: Option<member::Model>,
    pub branch_name: String,
    pub form: OwnContactForm,
    pub errors: FieldErrors,
    /// A new address waiting for its confirmation.
    pub waiting_email: Option<String>,
}

impl OwnMemberPage {
    pub fn status_key(&self) -> &'static str {
        self.member.as_ref().map_or("", |m| m.political_status.label_key())
    }
}

/// The confirmation of a new email address: `outcome` is pending (a button), done, gone or taken.
#[derive(Template, WebTemplate)]
#[template(path = "members/email_confirm.html")]
pub struct EmailConfirmPage {
    pub ctx: Ctx,
    pub token: String,
    pub email: String,
    pub outcome: &'static str,
}
