//! Parsed types of the branches domain: kinds and their nesting, codes, officer roles.
use crate::forms::{
    FieldErrors, optional_text, parse_date, parse_optional_email, parse_optional_id, parse_optional_locale,
    parse_phone, required_text,
};
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;

/// Level in the organisation tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum BranchKind {
    /// 党委: the association's party committee (the root).
    #[sea_orm(string_value = "committee")]
    Committee,
    /// 党总支
    #[sea_orm(string_value = "general_branch")]
    GeneralBranch,
    /// 党支部
    #[sea_orm(string_value = "branch")]
    Branch,
    /// 党小组, inside a branch.
    #[sea_orm(string_value = "group")]
    Group,
}

impl BranchKind {
    pub const ALL: [BranchKind; 4] =
        [BranchKind::Committee, BranchKind::GeneralBranch, BranchKind::Branch, BranchKind::Group];

    pub fn as_str(self) -> &'static str {
        match self {
            BranchKind::Committee => "committee",
            BranchKind::GeneralBranch => "general_branch",
            BranchKind::Branch => "branch",
            BranchKind::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<BranchKind> {
        BranchKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            BranchKind::Committee => "branch_kind.committee",
            BranchKind::GeneralBranch => "branch_kind.general_branch",
            BranchKind::Branch => "branch_kind.branch",
            BranchKind::Group => "branch_kind.group",
        }
    }

    /// Whether a unit of this kind may sit directly under `parent` (None: at the top).
    pub fn may_sit_under(self, parent: Option<BranchKind>) -> bool {
        matches!(
            (self, parent),
            (BranchKind::Committee, None)
                | (BranchKind::GeneralBranch, Some(BranchKind::Committee))
                | (BranchKind::Branch, Some(BranchKind::Committee | BranchKind::GeneralBranch))
                | (BranchKind::Group, Some(BranchKind::Branch))
        )
    }

    /// Whether members belong here (a group is chosen in addition to its branch).
    pub fn holds_members(self) -> bool {
        self != BranchKind::Group
    }
}

/// Role of an officer (支委 and 党小组长).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum OfficerRole {
    #[sea_orm(string_value = "secretary")]
    Secretary,
    #[sea_orm(string_value = "deputy_secretary")]
    DeputySecretary,
    #[sea_orm(string_value = "organisation")]
    Organisation,
    #[sea_orm(string_value = "propaganda")]
    Propaganda,
    #[sea_orm(string_value = "discipline")]
    Discipline,
    #[sea_orm(string_value = "group_leader")]
    GroupLeader,
}

impl OfficerRole {
    pub const ALL: [OfficerRole; 6] = [
        OfficerRole::Secretary,
        OfficerRole::DeputySecretary,
        OfficerRole::Organisation,
        OfficerRole::Propaganda,
        OfficerRole::Discipline,
        OfficerRole::GroupLeader,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OfficerRole::Secretary => "secretary",
            OfficerRole::DeputySecretary => "deputy_secretary",
            OfficerRole::Organisation => "organisation",
            OfficerRole::Propaganda => "propaganda",
            OfficerRole::Discipline => "discipline",
            OfficerRole::GroupLeader => "group_leader",
        }
    }

    pub fn parse(s: &str) -> Option<OfficerRole> {
        OfficerRole::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label_key(self) -> &'static str {
        match self {
            OfficerRole::Secretary => "officer_role.secretary",
            OfficerRole::DeputySecretary => "officer_role.deputy_secretary",
            OfficerRole::Organisation => "officer_role.organisation",
            OfficerRole::Propaganda => "officer_role.propaganda",
            OfficerRole::Discipline => "officer_role.discipline",
            OfficerRole::GroupLeader => "officer_role.group_leader",
        }
    }

    /// Secretaries and deputies manage their branch in Partyday.
    pub fn manages(self) -> bool {
        matches!(self, OfficerRole::Secretary | OfficerRole::DeputySecretary)
    }

    /// Group leaders lead groups; the other roles sit on a branch's committee.
    pub fn fits(self, kind: BranchKind) -> bool {
        (self == OfficerRole::GroupLeader) == (kind == BranchKind::Group)
    }
}

/// A branch code: 1–32 letters, digits, '-' or '_', kept as typed (unique case-sensitively).
pub fn parse_code(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("field.required");
    }
    if s.len() > 32 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err("branch.code_invalid");
    }
    Ok(s.to_owned())
}

/// The configured zone (`app.timezone`), set once at start-up by `AppState::init`.
static DEFAULT_ZONE: std::sync::OnceLock<chrono_tz::Tz> = std::sync::OnceLock::new();

pub fn set_default_zone(tz: chrono_tz::Tz) {
    // The first value stays: one process serves one configuration (tests share the default).
    let _ = DEFAULT_ZONE.set(tz);
}

/// Whether `tz` is the association's own zone, whose times need no zone named after them.
pub fn is_default_zone(tz: chrono_tz::Tz) -> bool {
    DEFAULT_ZONE.get().copied().unwrap_or(chrono_tz::Asia::Shanghai) == tz
}

/// A stored zone name as a zone. Names are checked when written ([`parse_timezone`]); a name
/// that no longer parses (edited by hand in the database) falls back to the configured zone.
pub fn zone(name: &str) -> chrono_tz::Tz {
    name.parse().unwrap_or_else(|_| DEFAULT_ZONE.get().copied().unwrap_or(chrono_tz::Asia::Shanghai))
}

pub fn parse_timezone(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    s.parse::<chrono_tz::Tz>().map(|tz| tz.name().to_owned()).map_err(|_| "branch.timezone_invalid")
}

/// A branch's own details, as created or edited.
#[derive(Debug, Clone)]
pub struct BranchData {
    pub name: String,
    pub code: String,
    pub timezone: String,
    pub contact_person: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_email: Option<String>,
    pub address: Option<String>,
    /// The author department its activity reports name.
    pub report_author: Option<String>,
    /// The language of its activity reports (a locale tag; None: the association's default).
    pub locale: Option<String>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct BranchForm {
    pub kind: String,
    pub parent_id: String,
    pub name: String,
    pub code: String,
    pub timezone: String,
    pub contact_person: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub address: String,
    pub report_author: String,
    pub locale: String,
}

impl BranchForm {
    pub fn parse_data(&self, errors: &mut FieldErrors) -> Option<BranchData> {
        let name = errors.check("name", required_text(&self.name, 100));
        let code = errors.check("code", parse_code(&self.code));
        let timezone = errors.check("timezone", parse_timezone(&self.timezone));
        let contact_person = errors.check("contact_person", optional_text(&self.contact_person, 50));
        let contact_phone = errors.check("contact_phone", parse_phone(&self.contact_phone));
        let contact_email = errors.check("contact_email", parse_optional_email(&self.contact_email));
        let address = errors.check("address", optional_text(&self.address, 200));
        let report_author = errors.check("report_author", optional_text(&self.report_author, 100));
        let locale = parse_optional_locale(&self.locale).map(|l| l.map(|l| l.tag().to_owned()));
        let locale = errors.check("locale", locale);
        Some(BranchData {
            name: name?,
            code: code?,
            timezone: timezone?,
            contact_person: contact_person?,
            contact_phone: contact_phone?,
            contact_email: contact_email?,
            address: address?,
            report_author: report_author?,
            locale: locale?,
        })
    }

    /// A new unit: kind, place in the tree, and its details.
    pub fn parse_new(&self) -> Result<(BranchKind, Option<i64>, BranchData), FieldErrors> {
        let mut errors = FieldErrors::default();
        let kind = errors.check("kind", BranchKind::parse(&self.kind).ok_or("field.choose_one"));
        let parent = errors.check("parent_id", parse_optional_id(&self.parent_id));
        let data = self.parse_data(&mut errors);
        match (kind, parent, data) {
            (Some(k), Some(p), Some(d)) if errors.is_empty() => Ok((k, p, d)),
            _ => Err(errors),
        }
    }

    pub fn parse_edit(&self) -> Result<BranchData, FieldErrors> {
        let mut errors = FieldErrors::default();
        match self.parse_data(&mut errors) {
            Some(d) if errors.is_empty() => Ok(d),
            _ => Err(errors),
        }
    }
}

/// An officer appointment: who, which role, from when (and optionally until when).
#[derive(Debug, Clone)]
pub struct Appointment {
    pub member_id: i64,
    pub role: OfficerRole,
    pub from_on: NaiveDate,
    pub until_on: Option<NaiveDate>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct AppointmentForm {
    pub member_id: String,
    pub role: String,
    pub from_on: String,
    pub until_on: String,
}

impl AppointmentForm {
    pub fn parse(&self) -> Result<Appointment, FieldErrors> {
        let mut errors = FieldErrors::default();
        let member_id =
            errors.check("member_id", parse_optional_id(&self.member_id).and_then(|m| m.ok_or("field.required")));
        let role = errors.check("role", OfficerRole::parse(&self.role).ok_or("field.choose_one"));
        let from_on = errors.check("from_on", parse_date(&self.from_on).and_then(|d| d.ok_or("field.required")));
        let until_on = errors.check("until_on", parse_date(&self.until_on));
        if let (Some(from), Some(Some(until))) = (from_on, until_on)
            && until < from
        {
            errors.add("until_on", "officer.until_before_from");
        }
        match (member_id, role, from_on, until_on) {
            (Some(member_id), Some(role), Some(from_on), Some(until_on)) if errors.is_empty() => {
                Ok(Appointment { member_id, role, from_on, until_on })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting() {
        use BranchKind::*;
        assert!(Committee.may_sit_under(None));
        assert!(Branch.may_sit_under(Some(Committee)) && Branch.may_sit_under(Some(GeneralBranch)));
        assert!(Group.may_sit_under(Some(Branch)));
        assert!(
            !Group.may_sit_under(Some(Committee))
                && !Branch.may_sit_under(None)
                && !Committee.may_sit_under(Some(Branch))
        );
        assert!(
            OfficerRole::GroupLeader.fits(Group)
                && !OfficerRole::Secretary.fits(Group)
                && OfficerRole::Secretary.fits(Branch)
        );
    }

    #[test]
    fn codes_dates_zones() {
        assert_eq!(parse_code(" HMA-01 "), Ok("HMA-01".into()));
        assert_eq!(parse_code("第一支部"), Err("branch.code_invalid"));
        assert_eq!(parse_code(&"x".repeat(33)), Err("branch.code_invalid"));
        assert_eq!(parse_date("2024/7/1"), Ok(NaiveDate::from_ymd_opt(2024, 7, 1)));
        assert_eq!(parse_date(""), Ok(None));
        assert_eq!(parse_date("2024-02-30"), Err("field.date_invalid"));
        assert_eq!(parse_date("1850-01-01"), Err("field.date_invalid"));
        assert_eq!(parse_timezone("Asia/Shanghai"), Ok("Asia/Shanghai".into()));
        assert!(parse_timezone("Beijing").is_err());
    }
}
