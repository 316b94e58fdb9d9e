//! Parsed member types: statuses, states, phone numbers, and the member form with its date rules.

pub mod table;
use chrono::NaiveDate;
use sea_orm::entity::prelude::*;
use serde::Deserialize;

use crate::{
    forms::{Choice, FieldErrors, parse_choice, parse_optional_choice},
    forms::{optional_multiline, optional_text, parse_date, parse_optional_email, parse_optional_id},
    forms::{parse_optional_locale, parse_phone, required_text},
    i18n::Locale,
};

/// Political status (政治面貌).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum PoliticalStatus {
    #[sea_orm(string_value = "full")]
    Full,
    #[sea_orm(string_value = "probationary")]
    Probationary,
    #[sea_orm(string_value = "candidate")]
    Candidate,
    #[sea_orm(string_value = "activist")]
    Activist,
    #[sea_orm(string_value = "applicant")]
    Applicant,
    #[sea_orm(string_value = "non_party")]
    NonParty,
}

/// Membership state (党籍状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "snake_case")]
pub enum MembershipState {
    #[sea_orm(string_value = "active")]
    Active,
    /// Excused from activities (e.g. long illness, working abroad), with a reason.
    #[sea_orm(string_value = "exempt")]
    Exempt,
    #[sea_orm(string_value = "transferred_out")]
    TransferredOut,
    #[sea_orm(string_value = "left")]
    Left,
}

impl Choice for PoliticalStatus {
    const ALL: &'static [Self] = &[
        PoliticalStatus::Full,
        PoliticalStatus::Probationary,
        PoliticalStatus::Candidate,
        PoliticalStatus::Activist,
        PoliticalStatus::Applicant,
        PoliticalStatus::NonParty,
    ];
    fn key(self) -> &'static str {
        match self {
            PoliticalStatus::Full => "full",
            PoliticalStatus::Probationary => "probationary",
            PoliticalStatus::Candidate => "candidate",
            PoliticalStatus::Activist => "activist",
            PoliticalStatus::Applicant => "applicant",
            PoliticalStatus::NonParty => "non_party",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            PoliticalStatus::Full => "political_status.full",
            PoliticalStatus::Probationary => "political_status.probationary",
            PoliticalStatus::Candidate => "political_status.candidate",
            PoliticalStatus::Activist => "political_status.activist",
            PoliticalStatus::Applicant => "political_status.applicant",
            PoliticalStatus::NonParty => "political_status.non_party",
        }
    }
}

impl Choice for MembershipState {
    const ALL: &'static [Self] =
        &[MembershipState::Active, MembershipState::Exempt, MembershipState::TransferredOut, MembershipState::Left];
    fn key(self) -> &'static str {
        match self {
            MembershipState::Active => "active",
            MembershipState::Exempt => "exempt",
            MembershipState::TransferredOut => "transferred_out",
            MembershipState::Left => "left",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            MembershipState::Active => "membership_state.active",
            MembershipState::Exempt => "membership_state.exempt",
            MembershipState::TransferredOut => "membership_state.transferred_out",
            MembershipState::Left => "membership_state.left",
        }
    }
}

impl MembershipState {
    /// Whether a member in this state belongs to a branch (has an open membership period).
    pub fn is_member(self) -> bool {
        matches!(self, MembershipState::Active | MembershipState::Exempt)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
}

impl Choice for Gender {
    const ALL: &'static [Self] = &[Gender::Male, Gender::Female];
    fn key(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
    fn label_key(self) -> &'static str {
        match self {
            Gender::Male => "gender.male",
            Gender::Female => "gender.female",
        }
    }
}

pub const NAME_MAX: usize = 50;

/// A member's profile fields (status and state are set at creation, then changed with dates).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub name: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub unit: Option<String>,
    pub post: Option<String>,
    pub group_id: Option<i64>,
    pub joined_party_on: Option<NaiveDate>,
    pub full_member_on: Option<NaiveDate>,
    pub locale: Option<Locale>,
    pub notes: Option<String>,
}

/// A new member: profile plus branch, political status and state.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub branch_id: i64,
    pub profile: Profile,
    pub political_status: PoliticalStatus,
    pub state: MembershipState,
    pub state_reason: Option<String>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct MemberForm {
    pub branch_id: String,
    pub group_id: String,
    pub name: String,
    pub gender: String,
    pub birth_date: String,
    pub phone: String,
    pub email: String,
    pub unit: String,
    pub post: String,
    pub political_status: String,
    pub joined_party_on: String,
    pub full_member_on: String,
    pub locale: String,
    pub notes: String,
}

/// Date rules: nothing in the future, joining after birth, full membership after joining.
pub fn check_dates(errors: &mut FieldErrors, today: NaiveDate, p: &Profile) {
    for (field, date) in
        [("birth_date", p.birth_date), ("joined_party_on", p.joined_party_on), ("full_member_on", p.full_member_on)]
    {
        if date.is_some_and(|d| d > today) {
            errors.add(field, "field.date_in_future");
        }
    }
    if let (Some(birth), Some(joined)) = (p.birth_date, p.joined_party_on)
        && joined <= birth
    {
        errors.add("joined_party_on", "member.joined_before_birth");
    }
    if let Some(full) = p.full_member_on {
        match p.joined_party_on {
            Some(joined) if full < joined => errors.add("full_member_on", "member.full_before_joined"),
            None => errors.add("joined_party_on", "member.joined_required_for_full"),
            _ => {}
        }
    }
}

impl MemberForm {
    pub fn parse_profile(&self, errors: &mut FieldErrors, today: NaiveDate) -> Option<Profile> {
        let name = errors.check("name", required_text(&self.name, NAME_MAX));
        let gender = errors.check("gender", parse_optional_choice::<Gender>(&self.gender));
        let birth_date = errors.check("birth_date", parse_date(&self.birth_date));
        let phone = errors.check("phone", parse_phone(&self.phone));
        let email = errors.check("email", parse_optional_email(&self.email));
        let unit = errors.check("unit", optional_text(&self.unit, 100));
        let post = errors.check("post", optional_text(&self.post, 100));
        let group_id = errors.check("group_id", parse_optional_id(&self.group_id));
        let joined_party_on = errors.check("joined_party_on", parse_date(&self.joined_party_on));
        let full_member_on = errors.check("full_member_on", parse_date(&self.full_member_on));
        let locale = errors.check("locale", parse_optional_locale(&self.locale));
        let notes = errors.check("notes", optional_multiline(&self.notes, 1000));
        let profile = Profile {
            name: name?,
            gender: gender?,
            birth_date: birth_date?,
            phone: phone?,
            email: email?,
            unit: unit?,
            post: post?,
            group_id: group_id?,
            joined_party_on: joined_party_on?,
            full_member_on: full_member_on?,
            locale: locale?,
            notes: notes?,
        };
        check_dates(errors, today, &profile);
        Some(profile)
    }

    pub fn parse_new(&self, today: NaiveDate) -> Result<NewMember, FieldErrors> {
        let mut errors = FieldErrors::default();
        let branch_id =
            errors.check("branch_id", parse_optional_id(&self.branch_id).and_then(|b| b.ok_or("field.required")));
        let status = errors.check("political_status", parse_choice::<PoliticalStatus>(&self.political_status));
        let profile = self.parse_profile(&mut errors, today);
        match (branch_id, status, profile) {
            (Some(branch_id), Some(political_status), Some(profile)) if errors.is_empty() => Ok(NewMember {
                branch_id,
                profile,
                political_status,
                state: MembershipState::Active,
                state_reason: None,
            }),
            _ => Err(errors),
        }
    }

    pub fn parse_edit(&self, today: NaiveDate) -> Result<Profile, FieldErrors> {
        let mut errors = FieldErrors::default();
        match self.parse_profile(&mut errors, today) {
            Some(p) if errors.is_empty() => Ok(p),
            _ => Err(errors),
        }
    }
}

/// A dated change of political status, branch or membership state.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ChangeForm {
    /// New status, target branch id, or new state.
    pub to: String,
    pub effective_on: String,
    pub note: String,
}

pub struct Change<T> {
    pub to: T,
    pub effective_on: NaiveDate,
    pub note: Option<String>,
}

impl ChangeForm {
    pub fn parse<T>(
        &self,
        today: NaiveDate,
        to: impl FnOnce(&str) -> Result<T, &'static str>,
    ) -> Result<Change<T>, FieldErrors> {
        let mut errors = FieldErrors::default();
        let target = errors.check("to", to(&self.to));
        let effective_on =
            errors.check("effective_on", parse_date(&self.effective_on).and_then(|d| d.ok_or("field.required")));
        if effective_on.is_some_and(|d| d > today) {
            errors.add("effective_on", "field.date_in_future");
        }
        let note = errors.check("note", optional_text(&self.note, 500));
        match (target, effective_on, note) {
            (Some(to), Some(effective_on), Some(note)) if errors.is_empty() => Ok(Change { to, effective_on, note }),
            _ => Err(errors),
        }
    }
}

/// What a member may change of their own record.
#[derive(Debug, Clone)]
pub struct OwnContact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub locale: Option<Locale>,
}

#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct OwnContactForm {
    pub phone: String,
    pub email: String,
    pub locale: String,
}

impl OwnContactForm {
    pub fn parse(&self) -> Result<OwnContact, FieldErrors> {
        let mut errors = FieldErrors::default();
        let phone = errors.check("phone", parse_phone(&self.phone));
        let email = errors.check("email", parse_optional_email(&self.email));
        let locale = errors.check("locale", parse_optional_locale(&self.locale));
        match (phone, email, locale) {
            (Some(phone), Some(email), Some(locale)) => Ok(OwnContact { phone, email, locale }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn choices_parse_keys_and_labels() {
        assert_eq!(PoliticalStatus::parse_lenient("probationary"), Some(PoliticalStatus::Probationary));
        assert_eq!(PoliticalStatus::parse_lenient("预备党员"), Some(PoliticalStatus::Probationary));
        assert_eq!(PoliticalStatus::parse_lenient("Probationary member"), Some(PoliticalStatus::Probationary));
        assert_eq!(MembershipState::parse_lenient("已转出"), Some(MembershipState::TransferredOut));
        assert_eq!(Gender::parse_lenient("女"), Some(Gender::Female));
        assert_eq!(PoliticalStatus::parse_lenient("党员?"), None);
    }

    #[test]
    fn date_rules() {
        let today = d("2026-11-21");
        let form = |birth: &str, joined: &str, full: &str| MemberForm {
            branch_id: "1".into(),
            name: "王伟".into(),
            political_status: "full".into(),
            birth_date: birth.into(),
            joined_party_on: joined.into(),
            full_member_on: full.into(),
            ..Default::default()
        };
        assert!(form("1980-01-01", "2005-07-01", "2006-07-01").parse_new(today).is_ok());
        let e = form("2030-01-01", "", "").parse_new(today).expect_err("future birth");
        assert_eq!(e.get("birth_date").map(|m| m.key.as_str()), Some("field.date_in_future"));
        let e = form("1980-01-01", "2005-07-01", "2004-07-01").parse_new(today).expect_err("full before joined");
        assert_eq!(e.get("full_member_on").map(|m| m.key.as_str()), Some("member.full_before_joined"));
        let e = form("1980-01-01", "1979-07-01", "").parse_new(today).expect_err("joined before birth");
        assert_eq!(e.get("joined_party_on").map(|m| m.key.as_str()), Some("member.joined_before_birth"));
        let e = form("", "", "2020-01-01").parse_new(today).expect_err("full without joined");
        assert!(e.get("joined_party_on").is_some());
        let e = form("", "2027-01-01", "").parse_new(today).expect_err("future joining");
        assert_eq!(e.get("joined_party_on").map(|m| m.key.as_str()), Some("field.date_in_future"));
    }
}
