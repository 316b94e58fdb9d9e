//! The audit log's page.
use askama::Template;
use askama_web::WebTemplate;
use sea_orm::{ActiveEnum, Iterable};
use url::form_urlencoded;

use super::entity::{Kind, entry};
use crate::{forms::FieldErrors, web::Ctx};

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditParams {
    pub who: String,
    pub member: String,
    pub kind: String,
    pub from: String,
    pub to: String,
    pub before: String,
    pub format: String,
}

impl AuditParams {
    /// The filter's query string (without paging or format), for the pager and the file link.
    pub fn query(&self) -> String {
        let pairs = [
            ("who", &self.who),
            ("member", &self.member),
            ("kind", &self.kind),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            s.append_pair(k, v);
        }
        s.finish()
    }
}

/// One entry as the page shows it.
pub struct Row {
    pub at: String,
    pub actor: String,
    pub kind: Kind,
    pub member: Option<(i64, String)>,
    /// A local page to open (the record viewed, the account changed, the list the file was made of).
    pub link: Option<String>,
    pub text: String,
    pub file: Option<(String, i64)>,
}

impl Row {
    pub fn of(ctx: &Ctx, e: entry::Model) -> Row {
        let mut lines = e.detail.lines();
        // Paths the server wrote; an imported file's name (the client's) is never a link.
        let local = e.detail.starts_with('/') && !e.detail.starts_with("//") && !e.detail.starts_with("/\\");
        let link = (local && e.kind != Kind::MembersImported).then(|| lines.next().unwrap_or_default().to_owned());
        let rest: Vec<&str> = lines.collect();
        let text = match (e.kind, rest.as_slice()) {
            (Kind::AccountRoleChanged, [email, from, to]) => {
                let role = |k: &str| {
                    crate::accounts::Role::try_from_value(&k.to_owned())
                        .map_or_else(|_| k.to_owned(), |r| ctx.tr(r.label_key()).to_owned())
                };
                format!("{email}{}{} → {}", ctx.tr("punct.colon"), role(from), role(to))
            }
            (_, lines) => lines.join(" "),
        };
        Row {
            at: ctx.datetime(&e.at),
            actor: if e.actor.is_empty() { ctx.tr("audit.operator").to_owned() } else { e.actor },
            kind: e.kind,
            member: e.member_id.map(|id| (id, e.member_name.unwrap_or_default())),
            link,
            text,
            file: e.format.map(|f| {
                let shown = if f == "print" { ctx.tr("audit.format_print").to_owned() } else { f.to_uppercase() };
                (shown, e.rows.unwrap_or(0))
            }),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    pub ctx: Ctx,
    pub params: AuditParams,
    pub errors: FieldErrors,
    pub rows: Vec<Row>,
    pub next: Option<i64>,
}

impl AuditPage {
    pub fn kinds(&self) -> Vec<(String, &'static str)> {
        Kind::iter().map(|k| (k.to_value(), k.label_key())).collect()
    }
}
