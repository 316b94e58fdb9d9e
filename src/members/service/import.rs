//! Importing a member file into one branch, all or nothing: every row is checked first (and
//! every bad row reported with its line and reason); only a file without errors is applied, in
//! one transaction. Rows match existing members by id, then email, then phone; matched members
//! are updated, others created. Status and state changes from a file are recorded as dated
//! changes effective on the day of the import.
use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DbErr, QuerySelect, TransactionSession, TransactionTrait, entity::prelude::*};

use crate::members::{
    entity::member,
    rules::table::{Column, Sheet, SheetRow},
    rules::{Change, Gender, MemberForm, MembershipState, NewMember, PoliticalStatus},
    service::{self, MemberError},
};
use crate::{
    branches::{Scope, entity::branch},
    forms::{Choice, FieldErrors, parse_choice},
    i18n::Msg,
};

/// One reason a row cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    /// Catalogue key of the column's name, when the problem is in one column.
    pub column: Option<String>,
    pub msg: Msg,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the branch is not available")]
    Branch,
    #[error("{} rows have errors", .0.len())]
    Rows(Vec<RowError>),
    #[error(transparent)]
    Member(#[from] MemberError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// What a valid row will do.
enum Plan {
    Create(NewMember),
    Update {
        id: i64,
        form: MemberForm,
        status: Option<PoliticalStatus>,
        state: Option<(MembershipState, Option<String>)>,
    },
    Unchanged,
}

impl MemberForm {
    /// Import forms carry the group's code in `group_id` until resolved.
    fn with_group_code(mut self, groups: &HashMap<i64, branch::Model>) -> Self {
        if let Ok(id) = self.group_id.parse::<i64>() {
            self.group_id = groups.get(&id).map(|g| g.code.clone()).unwrap_or_default();
        }
        self
    }
}

/// The row's cells over the current values (or blanks for a new member). Columns absent from
/// the file keep the current value; present but empty cells clear it.
fn overlay(sheet: &Sheet, row: &SheetRow, mut form: MemberForm) -> MemberForm {
    let fields: [(Column, &mut String); 12] = [
        (Column::Name, &mut form.name),
        (Column::Gender, &mut form.gender),
        (Column::BirthDate, &mut form.birth_date),
        (Column::Phone, &mut form.phone),
        (Column::Email, &mut form.email),
        (Column::Unit, &mut form.unit),
        (Column::Post, &mut form.post),
        (Column::Group, &mut form.group_id),
        (Column::JoinedPartyOn, &mut form.joined_party_on),
        (Column::FullMemberOn, &mut form.full_member_on),
        (Column::Locale, &mut form.locale),
        (Column::Notes, &mut form.notes),
    ];
    for (column, field) in fields {
        if let Some(v) = sheet.value(row, column) {
            *field = v.to_owned();
        }
    }
    if let Some(v) = sheet.value(row, Column::PoliticalStatus) {
        form.political_status = v.to_owned();
    }
    form
}

/// Form field → file column, to say which column an error is in.
fn column_of(field: &str) -> Option<Column> {
    Some(match field {
        "name" => Column::Name,
        "gender" => Column::Gender,
        "birth_date" => Column::BirthDate,
        "phone" => Column::Phone,
        "email" => Column::Email,
        "unit" => Column::Unit,
        "post" => Column::Post,
        "group_id" => Column::Group,
        "political_status" => Column::PoliticalStatus,
        "joined_party_on" => Column::JoinedPartyOn,
        "full_member_on" => Column::FullMemberOn,
        "locale" => Column::Locale,
        "notes" => Column::Notes,
        _ => return None,
    })
}

struct Checker<'a> {
    sheet: &'a Sheet,
    branch: &'a branch::Model,
    today: NaiveDate,
    groups: HashMap<i64, branch::Model>,
    by_id: HashMap<i64, member::Model>,
    by_email: HashMap<String, i64>,
    by_phone: HashMap<String, i64>,
    /// Emails and phones claimed by earlier rows of the file, with their line.
    seen_email: HashMap<String, usize>,
    seen_phone: HashMap<String, usize>,
    errors: Vec<RowError>,
}

impl Checker<'_> {
    fn error(&mut self, line: usize, column: Option<Column>, msg: Msg) {
        self.errors.push(RowError { line, column: column.map(|c| c.label_key().to_owned()), msg });
    }

    fn field_errors(&mut self, line: usize, errors: &FieldErrors, fields: &[&str]) {
        for field in fields {
            if let Some(msg) = errors.get(field) {
                self.error(line, column_of(field), msg.clone());
            }
        }
    }

    /// The member this row is about, if it names or matches one; errors go to the report.
    fn matched(&mut self, row: &SheetRow) -> Result<Option<member::Model>, ()> {
        let sheet = self.sheet;
        let id_cell = sheet.value(row, Column::Id).unwrap_or("");
        let found = if !id_cell.is_empty() {
            match id_cell.parse::<i64>().ok().and_then(|id| self.by_id.get(&id)) {
                Some(m) => Some(m.id),
                None => {
                    self.error(row.line, Some(Column::Id), Msg::new("import.unknown_id").arg("id", id_cell));
                    return Err(());
                }
            }
        } else {
            let email =
                sheet.value(row, Column::Email).map(str::to_lowercase).and_then(|e| self.by_email.get(&e).copied());
            let phone = sheet
                .value(row, Column::Phone)
                .map(|p| p.chars().filter(|c| !c.is_whitespace()).collect::<String>())
                .and_then(|p| self.by_phone.get(&p).copied());
            if let (Some(a), Some(b)) = (email, phone)
                && a != b
            {
                self.error(row.line, None, Msg::new("import.email_phone_disagree"));
                return Err(());
            }
            email.or(phone)
        };
        let Some(id) = found else { return Ok(None) };
        let m = self.by_id.get(&id).cloned();
        match m {
            Some(m) if m.branch_id == self.branch.id => Ok(Some(m)),
            _ => {
                // Another branch's member: say so without showing anything of them.
                self.error(row.line, None, Msg::new("import.other_branch"));
                Err(())
            }
        }
    }

    fn check(&mut self, row: &SheetRow) -> Option<Plan> {
        let sheet = self.sheet;
        let existing = self.matched(row).ok()?;
        let base = match &existing {
            Some(m) => MemberForm::from(m).with_group_code(&self.groups),
            None => MemberForm { branch_id: self.branch.id.to_string(), ..Default::default() },
        };
        let mut form = overlay(sheet, row, base);
        // Resolve the party group by code or name among this branch's groups.
        let group_text = form.group_id.trim().to_owned();
        form.group_id = String::new();
        if !group_text.is_empty() {
            match self.groups.values().find(|g| g.code == group_text || g.name == group_text) {
                Some(g) => form.group_id = g.id.to_string(),
                None => {
                    self.error(
                        row.line,
                        Some(Column::Group),
                        Msg::new("import.unknown_group").arg("group", &group_text),
                    );
                    return None;
                }
            }
        }
        let mut errors = FieldErrors::default();
        let profile = form.parse_profile(&mut errors, self.today);
        let status = errors.check("political_status", parse_choice::<PoliticalStatus>(&form.political_status));
        let state = match sheet.value(row, Column::State).filter(|s| !s.is_empty()) {
            Some(s) => match MembershipState::parse_lenient(s) {
                Some(st) => Some(st),
                None => {
                    self.error(row.line, Some(Column::State), Msg::new("field.choose_one"));
                    return None;
                }
            },
            None => None,
        };
        let reason = sheet.value(row, Column::StateReason).filter(|s| !s.is_empty()).map(str::to_owned);
        self.field_errors(
            row.line,
            &errors,
            &[
                "name",
                "gender",
                "birth_date",
                "phone",
                "email",
                "unit",
                "post",
                "political_status",
                "joined_party_on",
                "full_member_on",
                "locale",
                "notes",
            ],
        );
        let (profile, status) = (profile?, status?);
        if !errors.is_empty() {
            return None;
        }
        if state == Some(MembershipState::Exempt)
            && reason.is_none()
            && existing.as_ref().is_none_or(|m| m.state != MembershipState::Exempt)
        {
            self.error(row.line, Some(Column::StateReason), Msg::new("member.reason_required"));
            return None;
        }
        // Email and phone: one member each, in the database and within the file.
        let own_id = existing.as_ref().map(|m| m.id);
        for (value, column, db_map, seen, key) in [
            (profile.email.clone(), Column::Email, &self.by_email, &mut self.seen_email, "import.email_taken"),
            (profile.phone.clone(), Column::Phone, &self.by_phone, &mut self.seen_phone, "import.phone_taken"),
        ] {
            let Some(value) = value else { continue };
            if db_map.get(&value).is_some_and(|id| Some(*id) != own_id) {
                self.errors.push(RowError {
                    line: row.line,
                    column: Some(column.label_key().to_owned()),
                    msg: Msg::new(key),
                });
                return None;
            }
            if let Some(first) = seen.insert(value, row.line) {
                self.errors.push(RowError {
                    line: row.line,
                    column: Some(column.label_key().to_owned()),
                    msg: Msg::new("import.duplicate_in_file").arg("line", first),
                });
                return None;
            }
        }
        Some(match existing {
            None => Plan::Create(NewMember {
                branch_id: self.branch.id,
                profile,
                political_status: status,
                state: state.unwrap_or(MembershipState::Active),
                state_reason: reason,
            }),
            Some(m) => {
                let status_change = (m.political_status != status).then_some(status);
                let state_change = state.filter(|s| *s != m.state).map(|s| (s, reason));
                let same_profile = MemberForm::from(&m).parse_edit(self.today).ok().as_ref() == Some(&profile);
                if same_profile && status_change.is_none() && state_change.is_none() {
                    Plan::Unchanged
                } else {
                    Plan::Update { id: m.id, form, status: status_change, state: state_change }
                }
            }
        })
    }
}

/// Checks the whole sheet, then applies it in one transaction (or reports every bad row).
pub async fn import<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    scope: &Scope,
    branch_id: i64,
    sheet: &Sheet,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let branch = match crate::branches::service::unit(db, branch_id).await? {
        Some(b) if scope.covers(b.id) && b.kind.holds_members() && b.closed_at.is_none() => b,
        _ => return Err(ImportError::Branch),
    };
    let groups: HashMap<i64, branch::Model> =
        crate::branches::service::groups_of(db, branch.id).await?.into_iter().map(|g| (g.id, g)).collect();
    // Every member's id, branch and contacts: matching and uniqueness are checked in memory.
    let contacts: Vec<(i64, Option<String>, Option<String>)> = member::Entity::find()
        .select_only()
        .columns([member::Column::Id, member::Column::Email, member::Column::Phone])
        .into_tuple()
        .all(db)
        .await?;
    let mut by_email = HashMap::new();
    let mut by_phone = HashMap::new();
    for (id, email, phone) in contacts {
        if let Some(e) = email {
            by_email.insert(e, id);
        }
        if let Some(p) = phone {
            by_phone.insert(p, id);
        }
    }
    let mut checker = Checker {
        sheet,
        branch: &branch,
        today,
        groups,
        by_id: HashMap::new(),
        by_email,
        by_phone,
        seen_email: HashMap::new(),
        seen_phone: HashMap::new(),
        errors: Vec::new(),
    };
    // Rows can name members of this branch by id; members elsewhere are only "other branch".
    let mentioned: Vec<i64> = {
        let mut ids: Vec<i64> = sheet.rows.iter().filter_map(|r| sheet.value(r, Column::Id)?.parse().ok()).collect();
        ids.extend(checker.by_email.values().chain(checker.by_phone.values()).copied());
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    for chunk in mentioned.chunks(500) {
        for m in member::Entity::find().filter(member::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            checker.by_id.insert(m.id, m);
        }
    }
    let plans: Vec<Option<Plan>> = sheet.rows.iter().map(|row| checker.check(row)).collect();
    if !checker.errors.is_empty() {
        return Err(ImportError::Rows(checker.errors));
    }

    let mut report = ImportReport::default();
    let txn = crate::db::write_txn(db).await?;
    for plan in plans.into_iter().flatten() {
        match plan {
            Plan::Create(new) => {
                service::create(&txn, scope, new, today, now).await?;
                report.created += 1;
            }
            Plan::Update { id, form, status, state } => {
                let profile = form.parse_edit(today).map_err(|_| MemberError::NoChange)?;
                service::update(&txn, scope, id, profile, today, now).await?;
                if let Some(to) = status {
                    service::change_status(&txn, scope, id, Change { to, effective_on: today, note: None }, now)
                        .await?;
                }
                if let Some((to, note)) = state {
                    service::change_state(&txn, scope, id, Change { to, effective_on: today, note }, now).await?;
                }
                report.updated += 1;
            }
            Plan::Unchanged => report.unchanged += 1,
        }
    }
    txn.commit().await?;
    Ok(report)
}

/// The row of a member as exported (same layout the import reads back).
pub fn export_row(
    m: &member::Model,
    branch: Option<&branch::Model>,
    group_code: Option<&str>,
    locale: crate::i18n::Locale,
) -> Vec<String> {
    let label = |key: &str| crate::i18n::t(locale, key).to_owned();
    let text = |o: &Option<String>| o.clone().unwrap_or_default();
    let date = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    Column::ALL
        .iter()
        .map(|c| match c {
            Column::Id => m.id.to_string(),
            Column::Name => m.name.clone(),
            Column::Gender => {
                m.gender.as_deref().and_then(Gender::parse).map(|g| label(g.label_key())).unwrap_or_default()
            }
            Column::BirthDate => date(&m.birth_date),
            Column::Phone => text(&m.phone),
            Column::Email => text(&m.email),
            Column::Unit => text(&m.unit),
            Column::Post => text(&m.post),
            Column::Branch => branch.map(|b| b.code.clone()).unwrap_or_default(),
            Column::Group => group_code.unwrap_or_default().to_owned(),
            Column::PoliticalStatus => label(m.political_status.label_key()),
            Column::JoinedPartyOn => date(&m.joined_party_on),
            Column::FullMemberOn => date(&m.full_member_on),
            Column::State => label(m.state.label_key()),
            Column::StateReason => text(&m.state_reason),
            Column::Locale => text(&m.locale),
            Column::Notes => text(&m.notes),
        })
        .collect()
}
