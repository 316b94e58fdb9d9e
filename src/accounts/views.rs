//! Page structs of the accounts domain.
use askama::Template;
use askama_web::WebTemplate;

use super::{
    entity::account,
    rules::{AccountUpdateForm, NewAccountForm},
    service::AccountState,
};
use crate::{
    actor::Role,
    forms::{FieldErrors, Page},
    web::Ctx,
};

#[derive(Template, WebTemplate)]
#[template(path = "accounts/login.html")]
pub struct LoginPage {
    pub ctx: Ctx,
    pub email: String,
    pub next: String,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/forgot.html")]
pub struct ForgotPage {
    pub ctx: Ctx,
    pub email: String,
    /// Asked: the same answer whether or not an account has the address.
    pub sent: bool,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/reset.html")]
pub struct ResetPage {
    pub ctx: Ctx,
    pub token: String,
    pub email: String,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/reset_gone.html")]
pub struct ResetGonePage {
    pub ctx: Ctx,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/welcome.html")]
pub struct WelcomePage {
    pub ctx: Ctx,
    pub token: String,
    pub name: String,
    pub email: String,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/welcome_gone.html")]
pub struct WelcomeGonePage {
    pub ctx: Ctx,
    pub token: String,
    /// A new link can be sent to the address on record.
    pub renewable: bool,
    /// A new link was asked for.
    pub renewed: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/own_profile.html")]
pub struct OwnProfilePage {
    pub ctx: Ctx,
    pub account: account::Model,
    pub display_name: String,
    pub locale: String,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/own_password.html")]
pub struct OwnPasswordPage {
    pub ctx: Ctx,
    pub required: bool,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/list.html")]
pub struct AccountsListPage {
    pub ctx: Ctx,
    pub q: String,
    pub role: Option<Role>,
    pub state: Option<AccountState>,
    pub page: Page<account::Model>,
}

impl AccountsListPage {
    /// Link to another page of the list, keeping the filters.
    pub fn page_link(&self, page: u64) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if let Some(role) = self.role {
            s.append_pair("role", role.as_str());
        }
        if let Some(state) = self.state {
            s.append_pair("state", state_str(state));
        }
        s.append_pair("page", &page.to_string());
        format!("/admin/accounts?{}", s.finish())
    }

    pub fn state_is(&self, value: &str) -> bool {
        self.state.map(state_str) == Some(value)
    }

    pub fn role_is(&self, role: &Role) -> bool {
        self.role == Some(*role)
    }
}

pub fn state_str(state: AccountState) -> &'static str {
    match state {
        AccountState::Active => "active",
        AccountState::Disabled => "disabled",
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/new.html")]
pub struct AccountNewPage {
    pub ctx: Ctx,
    pub form: NewAccountForm,
    pub errors: FieldErrors,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/show.html")]
pub struct AccountShowPage {
    pub ctx: Ctx,
    pub account: account::Model,
    pub form: AccountUpdateForm,
    pub errors: FieldErrors,
    pub reset_errors: FieldErrors,
    pub link_errors: FieldErrors,
    /// The linked member's id and name.
    pub linked: Option<(i64, String)>,
    /// What was typed in the link form, when it failed.
    pub member_input: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "accounts/disable.html")]
pub struct AccountDisablePage {
    pub ctx: Ctx,
    pub account: account::Model,
}
