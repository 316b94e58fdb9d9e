//! The one error type of handlers. It becomes a bare status with the message to show; the
//! context layer renders the translated error page around it, so no internal detail leaks.
use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::{accounts::AccountError, i18n::Msg};

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("cross-site request refused")]
    Csrf,
    #[error("bad request")]
    BadRequest,
    #[error("request body too large")]
    TooLarge,
    #[error("conflict: {0:?}")]
    Conflict(Msg),
    #[error("service unavailable")]
    Unavailable,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Attached to an error response: the text the error page shows instead of the status's default.
#[derive(Debug, Clone)]
pub struct ErrorText(pub Msg);

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::BadRequest => StatusCode::BAD_REQUEST,
            WebError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            WebError::Conflict(_) => StatusCode::CONFLICT,
            WebError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = self.status().into_response();
        let text = match self {
            WebError::Csrf => Some(Msg::new("error.csrf")),
            WebError::Conflict(msg) => Some(msg),
            WebError::Internal(e) => {
                // The cause chain goes to the log only; the page says nothing of it.
                tracing::error!(error = format!("{e:#}"), "request failed");
                None
            }
            WebError::Unavailable => {
                tracing::error!("request failed: database unavailable");
                None
            }
            WebError::NotFound | WebError::Forbidden | WebError::BadRequest | WebError::TooLarge => None,
        };
        if let Some(text) = text {
            response.extensions_mut().insert(ErrorText(text));
        }
        response
    }
}

impl From<crate::branches::BranchError> for WebError {
    fn from(e: crate::branches::BranchError) -> Self {
        use crate::branches::BranchError as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden => WebError::Forbidden,
            E::CodeTaken => WebError::Conflict(Msg::new("branch.code_taken")),
            E::BadPlacement => WebError::Conflict(Msg::new("branch.bad_placement")),
            E::UnderOwnDescendant => WebError::Conflict(Msg::new("branch.under_own_descendant")),
            E::Closed => WebError::Conflict(Msg::new("branch.closed_error")),
            E::HasMembers => WebError::Conflict(Msg::new("branch.has_members")),
            E::HasOpenChildren => WebError::Conflict(Msg::new("branch.has_open_children")),
            E::HasHistory => WebError::Conflict(Msg::new("branch.has_history")),
            E::MemberNotHere => WebError::Conflict(Msg::new("officer.member_not_here")),
            E::RoleDoesNotFit => WebError::Conflict(Msg::new("officer.role_does_not_fit")),
            E::EndBeforeStart => WebError::Conflict(Msg::new("officer.until_before_from")),
            E::Db(e) => e.into(),
        }
    }
}

impl From<crate::members::MemberError> for WebError {
    fn from(e: crate::members::MemberError) -> Self {
        use crate::members::MemberError as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden => WebError::Forbidden,
            E::EmailTaken => WebError::Conflict(Msg::new("member.email_taken")),
            E::PhoneTaken => WebError::Conflict(Msg::new("member.phone_taken")),
            E::GroupNotOfBranch => WebError::Conflict(Msg::new("member.group_not_of_branch")),
            E::BranchUnavailable => WebError::Conflict(Msg::new("member.branch_unavailable")),
            E::SameBranch => WebError::Conflict(Msg::new("member.same_branch")),
            E::BeforeCurrentPeriod => WebError::Conflict(Msg::new("member.before_current_period")),
            E::ReasonRequired => WebError::Conflict(Msg::new("member.reason_required")),
            E::NoChange => WebError::Conflict(Msg::new("member.no_change")),
            E::Db(e) => e.into(),
        }
    }
}

impl From<crate::events::EventError> for WebError {
    fn from(e: crate::events::EventError) -> Self {
        use crate::events::EventError as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden => WebError::Forbidden,
            E::Ended => WebError::Conflict(Msg::new("event.is_ended")),
            E::Cancelled => WebError::Conflict(Msg::new("event.is_cancelled")),
            E::NotDraft => WebError::Conflict(Msg::new("event.not_draft")),
            E::InThePast => WebError::Conflict(Msg::new("event.in_the_past")),
            E::ReasonRequired => WebError::Conflict(Msg::new("event.reason_required")),
            E::NoInvitees => WebError::Conflict(Msg::new("event.no_invitees")),
            E::Stale => WebError::Conflict(Msg::new("event.stale")),
            E::Db(e) => e.into(),
        }
    }
}

impl From<crate::attendance::AttendanceError> for WebError {
    fn from(e: crate::attendance::AttendanceError) -> Self {
        use crate::attendance::AttendanceError as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden => WebError::Forbidden,
            E::Refused(key) => WebError::Conflict(Msg::new(key)),
            E::Db(e) => e.into(),
        }
    }
}

impl From<sea_orm::DbErr> for WebError {
    fn from(e: sea_orm::DbErr) -> Self {
        WebError::Internal(e.into())
    }
}

impl From<AccountError> for WebError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => WebError::NotFound,
            AccountError::Forbidden => WebError::Forbidden,
            AccountError::EmailTaken => WebError::Conflict(Msg::new("account.email_taken")),
            AccountError::WrongPassword => WebError::Conflict(Msg::new("password.wrong_current")),
            AccountError::LastAdmin => WebError::Conflict(Msg::new("account.last_admin")),
            AccountError::OwnAccount => WebError::Conflict(Msg::new("account.own_account")),
            AccountError::MemberNotFound => WebError::Conflict(Msg::new("account.member_not_found")),
            AccountError::MemberLinked => WebError::Conflict(Msg::new("account.member_linked")),
            AccountError::Hashing(reason) => WebError::Internal(anyhow::anyhow!("password hashing: {reason}")),
            AccountError::Db(e) => e.into(),
        }
    }
}
