//! Page structs of the records domain.
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;

use super::{
    rules::{Figures, PeriodForm, PeriodKind, percent},
    service::{BranchRow, ComplianceRow, EventLine, MemberRow, StreakRow},
};
#[allow(unused_imports)]
use crate::forms::Choice;
use crate::{
    branches::entity::branch, events::rules::EventKind, forms::FieldErrors, members::entity::member, web::Ctx,
};

/// What every records page shows above its figures: the period picker (with its errors).
pub struct Picker {
    pub form: PeriodForm,
    pub errors: FieldErrors,
    /// The page's own address, without a query.
    pub action: String,
}

impl Picker {
    pub fn kinds(&self) -> [PeriodKind; 5] {
        PeriodKind::ALL
    }

    /// The query that keeps the period, for links and exports.
    pub fn query(&self) -> String {
        self.form.query()
    }
}

/// A rate as people read it.
pub fn rate(r: Option<f64>) -> String {
    percent(r)
}

#[derive(Template, WebTemplate)]
#[template(path = "records/overview.html")]
pub struct OverviewPage {
    pub ctx: Ctx,
    pub picker: Picker,
    pub rows: Vec<BranchRow>,
    pub total: Figures,
}

#[derive(Template, WebTemplate)]
#[template(path = "records/branch.html")]
pub struct BranchPage {
    pub ctx: Ctx,
    pub picker: Picker,
    pub branch: branch::Model,
    pub figures: Figures,
    pub held: Vec<(EventKind, usize)>,
    pub members: Vec<MemberRow>,
    pub sort: String,
}

impl BranchPage {
    fn is_sort(&self, key: &str) -> bool {
        self.sort == key
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "records/member.html")]
pub struct MemberPage {
    pub ctx: Ctx,
    pub picker: Picker,
    pub member: member::Model,
    pub figures: Figures,
    pub events: Vec<EventLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "records/compliance.html")]
pub struct CompliancePage {
    pub ctx: Ctx,
    pub kind: EventKind,
    pub kinds: Vec<EventKind>,
    pub year: i32,
    pub columns: Vec<(NaiveDate, NaiveDate)>,
    pub rows: Vec<ComplianceRow>,
}

impl CompliancePage {
    fn column_label(&self, c: &(NaiveDate, NaiveDate)) -> String {
        column_label(&self.ctx, c)
    }

    fn export_query(&self) -> String {
        format!("kind={}&year={}", self.kind.key(), self.year)
    }
}

/// A column of the compliance grid: a month, a quarter or the year.
pub fn column_label(ctx: &Ctx, c: &(NaiveDate, NaiveDate)) -> String {
    use chrono::Datelike;
    if c.0.month() == c.1.month() {
        ctx.tr(&format!("records.month.{}", c.0.month())).to_owned()
    } else if c.1.month() - c.0.month() == 2 {
        ctx.tr_with("records.quarter_n", "n", c.0.month() / 3 + 1)
    } else {
        c.0.year().to_string()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "records/streaks.html")]
pub struct StreaksPage {
    pub ctx: Ctx,
    pub rows: Vec<StreakRow>,
}
