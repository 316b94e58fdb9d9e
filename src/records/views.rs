//! Page structs of the records domain.
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;

use super::{
    charts::{self, OutcomeMark},
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

/// A chart of attendance by month, and the table behind it (for screen readers and print).
pub struct Trend {
    pub svg: String,
    pub rows: Vec<(String, Figures)>,
}

/// How a month is named on a chart: its name in a one-year period, year and month otherwise.
fn month_name(ctx: &Ctx, months: &[(i32, u32)], (y, m): (i32, u32)) -> String {
    if months.first().map(|f| f.0) == months.last().map(|l| l.0) {
        ctx.tr(&format!("records.month.{m}")).to_owned()
    } else {
        format!("{y}-{m:02}")
    }
}

/// What a bar or a row of a trend says of a month: rate, present of expected.
fn month_title(ctx: &Ctx, label: &str, f: &Figures) -> String {
    let said = ctx.tr_with("records.chart_title", "rate", percent(f.attendance_rate()));
    format!("{label}: {} ({}/{})", said, f.present, f.expected)
}

pub fn trend(ctx: &Ctx, months: &[(i32, u32)], figures: &[Figures]) -> Trend {
    let rows: Vec<(String, Figures)> =
        months.iter().zip(figures).map(|(m, f)| (month_name(ctx, months, *m), *f)).collect();
    let bars: Vec<charts::Bar> = rows
        .iter()
        .map(|(label, f)| charts::Bar {
            label: label.clone(),
            rate: f.attendance_rate(),
            title: month_title(ctx, label, f),
        })
        .collect();
    Trend { svg: charts::bars(&bars, ctx.tr("records.trend")), rows }
}

/// A branch row's months as a small chart.
pub fn spark(ctx: &Ctx, months: &[(i32, u32)], figures: &[Figures]) -> String {
    let bars: Vec<(Option<f64>, String)> = months
        .iter()
        .zip(figures)
        .map(|(m, f)| (f.attendance_rate(), month_title(ctx, &month_name(ctx, months, *m), f)))
        .collect();
    charts::spark(&bars)
}

#[derive(Template, WebTemplate)]
#[template(path = "records/overview.html")]
pub struct OverviewPage {
    pub ctx: Ctx,
    pub picker: Picker,
    pub rows: Vec<BranchRow>,
    pub total: Figures,
    pub trend: Trend,
    pub months: Vec<(i32, u32)>,
}

impl OverviewPage {
    fn spark(&self, r: &BranchRow) -> String {
        spark(&self.ctx, &self.months, &r.months)
    }
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
    pub trend: Trend,
    /// The ledger's half-year (the one the period ends in): year, half.
    pub ledger: (i32, u32),
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
    /// Events at branches the viewer does not manage: counted above, not listed.
    pub elsewhere: usize,
    pub year: i32,
    pub heatmap: String,
    /// How many days of the year had each mark (the heatmap's legend and table).
    pub marks: Vec<(OutcomeMark, usize)>,
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
    /// The exemption form's address for a cell.
    fn exempt_link(&self, unit: &i64, c: &(NaiveDate, NaiveDate)) -> String {
        format!("/records/compliance/exempt?unit={unit}&kind={}&from={}", self.kind.key(), c.0)
    }
}

/// The exemption form: a unit, a type, a stretch, and the reason.
#[derive(Template, WebTemplate)]
#[template(path = "records/exempt.html")]
pub struct ExemptPage {
    pub ctx: Ctx,
    pub unit: branch::Model,
    pub kind: EventKind,
    pub stretch: (NaiveDate, NaiveDate),
    pub reason: String,
    pub errors: FieldErrors,
    /// The exemption already recorded for the stretch, if any (shown with a withdraw button).
    pub existing: Option<crate::records::entity::exemption::Model>,
    /// Exemptions of the stretch withdrawn before: when, by whom, and the reason they had.
    pub withdrawn: Vec<(String, String, String)>,
}

impl ExemptPage {
    fn withdrawn_line(&self, at: &str, who: &str) -> String {
        self.ctx.msg(&crate::i18n::Msg::new("records.withdrawn_line").arg("at", at).arg("who", who))
    }

    fn stretch_label(&self) -> String {
        column_label(&self.ctx, &self.stretch)
    }

    fn year(&self) -> i32 {
        chrono::Datelike::year(&self.stretch.0)
    }
}

/// The rules page: required meetings per type and streak thresholds (administrators).
#[derive(Template, WebTemplate)]
#[template(path = "records/rules.html")]
pub struct RulesPage {
    pub ctx: Ctx,
    pub rows: Vec<(EventKind, u32)>,
    pub thresholds: [u32; 3],
    pub errors: FieldErrors,
    /// The version of the rules this form is based on.
    pub version: String,
    /// The rules another administrator saved since the form was opened (beside what was typed).
    pub saved_meanwhile: Option<crate::records::rules::RecordRules>,
}

impl RulesPage {
    fn choices(&self) -> [u32; 5] {
        crate::records::rules::EVERY_CHOICES
    }

    /// The threshold fields: name, label, value.
    fn threshold_fields(&self) -> [(String, &'static str, u32); 3] {
        let labels = ["records.threshold_talk", "records.threshold_criticism", "records.threshold_alert"];
        [0, 1, 2].map(|i| (format!("t{}", i + 1), labels[i], self.thresholds[i]))
    }

    /// The fields as the error summary names them: each type of meeting, each threshold.
    fn summary_names(&self) -> Vec<(String, String)> {
        let every = self.rows.iter().map(|(kind, _)| (format!("every.{}", kind.key()), self.ctx.tr(kind.label_key())));
        let thresholds = self.threshold_fields().into_iter().map(|(name, label, _)| (name, self.ctx.tr(label)));
        every.chain(thresholds).map(|(f, l)| (f, l.to_owned())).collect()
    }

    fn every_label(&self, n: &u32) -> String {
        match n {
            0 => self.ctx.tr("records.every_none").to_owned(),
            n => self.ctx.tr(&format!("records.every_{n}")).to_owned(),
        }
    }
}

/// The half-yearly ledger (考勤公示), printable on A4 landscape.
#[derive(Template, WebTemplate)]
#[template(path = "records/ledger.html")]
pub struct LedgerPage {
    pub ctx: Ctx,
    pub ledger: crate::records::service::Ledger,
    pub year: i32,
    pub half: u32,
}

impl LedgerPage {
    pub fn symbol(&self, m: &Option<OutcomeMark>) -> &str {
        match m {
            None => "",
            Some(m) => self.ctx.tr(mark_symbol_key(*m)),
        }
    }

    fn marks(&self) -> [OutcomeMark; 5] {
        OutcomeMark::ALL
    }

    fn short_day(&self, d: &NaiveDate) -> String {
        d.format("%m-%d").to_string()
    }
}

/// The one-character mark of the ledger (√, 迟, 假, ×, 补).
pub fn mark_symbol_key(m: OutcomeMark) -> &'static str {
    match m {
        OutcomeMark::Present => "records.symbol_present",
        OutcomeMark::Late => "records.symbol_late",
        OutcomeMark::Leave => "records.symbol_leave",
        OutcomeMark::Absent => "records.symbol_absent",
        OutcomeMark::MadeUp => "records.symbol_madeup",
    }
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
    } else if c.1.month() - c.0.month() == 5 {
        ctx.tr_with("records.half_n", "n", c.0.month() / 6 + 1)
    } else {
        c.0.year().to_string()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "records/streaks.html")]
pub struct StreaksPage {
    pub ctx: Ctx,
    pub rows: Vec<StreakRow>,
    pub thresholds: [u32; 3],
}

impl StreaksPage {
    fn hint(&self) -> String {
        let t = self.thresholds;
        crate::i18n::render(
            self.ctx.locale,
            &crate::i18n::Msg::new("records.streaks_hint").arg("t1", t[0]).arg("t2", t[1]).arg("t3", t[2]),
        )
    }
}
