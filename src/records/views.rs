//! Page structs of the records domain.
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;

use super::{
    charts::{self, OutcomeMark},
    rules::{Figures, Period, PeriodForm, PeriodKind, offered, percent},
    service::{BranchRow, ComplianceRow, EventLine, MemberRow, StreakRow},
};
#[allow(unused_imports)]
use crate::forms::Choice;
use crate::{
    branches::entity::branch, events::rules::EventKind, forms::FieldErrors, i18n::Msg, members::entity::member,
    web::Ctx,
};

/// What every records page shows above its figures: the period picker (with its errors).
pub struct Picker {
    pub form: PeriodForm,
    pub errors: FieldErrors,
    /// The page's own address, without a query.
    pub action: String,
    /// The named periods offered, by kind: the kind's label, then (value, name) of each.
    pub groups: Vec<(String, Vec<(String, String)>)>,
    /// The name of the period shown (None: the one asked for is not one).
    pub shown: Option<String>,
}

impl Picker {
    /// The picker for a period asked for: the period, or the errors of what was typed.
    pub fn new(
        ctx: &Ctx,
        asked: &PeriodForm,
        parsed: Result<&Period, FieldErrors>,
        action: String,
        today: NaiveDate,
    ) -> Picker {
        let (form, errors, shown) = match parsed {
            Ok(p) => (PeriodForm::of(p), FieldErrors::default(), Some(*p)),
            Err(errors) => (asked.clone(), errors, None),
        };
        let mut groups: Vec<(PeriodKind, Vec<Period>)> = offered(today);
        // A named period from an address that the list does not offer (an older month) is shown
        // as chosen all the same.
        if let Some(p) = shown.filter(|p| p.kind != PeriodKind::Range)
            && let Some((_, list)) = groups.iter_mut().find(|(k, _)| *k == p.kind)
            && !list.contains(&p)
        {
            list.push(p);
            list.sort_by_key(|p| std::cmp::Reverse(p.from));
        }
        let groups = groups
            .into_iter()
            .map(|(kind, list)| {
                (ctx.tr(kind.label_key()).to_owned(), list.iter().map(|p| (p.key(), period_name(ctx, p))).collect())
            })
            .collect();
        Picker { form, errors, action, groups, shown: shown.map(|p| period_name(ctx, &p)) }
    }

    /// The query that keeps the period, for links and exports.
    pub fn query(&self) -> String {
        self.form.query()
    }

    fn is_chosen(&self, value: &str) -> bool {
        self.form.p == value
    }

    fn is_range(&self) -> bool {
        self.form.p == "range"
    }
}

/// A day written out: 2026年1月5日, 5 January 2026.
pub fn long_date(ctx: &Ctx, d: NaiveDate) -> String {
    use chrono::Datelike;
    ctx.msg(
        &Msg::new("records.date_long")
            .arg("year", d.year())
            .arg("month", ctx.tr(&format!("records.month_long.{}", d.month())))
            .arg("day", d.day()),
    )
}

/// A period by its name: 2026年11月, 2026年一季度, 2026年上半年, 2026年, or from–to (November
/// 2026, Q1 2026, H1 2026, 2026).
pub fn period_name(ctx: &Ctx, p: &Period) -> String {
    use chrono::Datelike;
    let year = p.from.year();
    let n = p.number();
    let msg = match p.kind {
        PeriodKind::Month => {
            Msg::new("records.name_month").arg("year", year).arg("month", ctx.tr(&format!("records.month_long.{n}")))
        }
        PeriodKind::Quarter => {
            Msg::new("records.name_quarter").arg("year", year).arg("quarter", ctx.tr(&format!("records.quarter.{n}")))
        }
        PeriodKind::Half => {
            Msg::new("records.name_half").arg("year", year).arg("half", ctx.tr(&format!("records.half.{n}")))
        }
        PeriodKind::Year => Msg::new("records.name_year").arg("year", year),
        PeriodKind::Range => {
            Msg::new("records.name_range").arg("from", long_date(ctx, p.from)).arg("to", long_date(ctx, p.to))
        }
    };
    ctx.msg(&msg)
}

/// A download's file name: its parts joined by "_", without the characters file systems refuse.
pub fn file_name(parts: &[&str], extension: &str) -> String {
    let joined = parts.iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("_");
    let clean: String =
        joined.chars().map(|c| if c.is_control() || "/\\:*?\"<>|".contains(c) { '-' } else { c }).collect();
    format!("{}.{extension}", clean.trim())
}

/// A rate as people read it.
pub fn rate(r: Option<f64>) -> String {
    percent(r)
}

/// A chart of attendance by month (bars with their labels and values), and the table behind it.
pub struct Trend {
    pub bars: Vec<charts::Bar>,
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

/// What a bar of a spark says of a month: rate, present of expected.
fn month_title(ctx: &Ctx, label: &str, f: &Figures) -> String {
    let said = ctx.tr_with("records.chart_title", "rate", percent(f.attendance_rate()));
    format!("{label}: {} ({}/{})", said, f.present, f.expected)
}

pub fn trend(ctx: &Ctx, months: &[(i32, u32)], figures: &[Figures]) -> Trend {
    let rows: Vec<(String, Figures)> =
        months.iter().zip(figures).map(|(m, f)| (month_name(ctx, months, *m), *f)).collect();
    let bars = rows
        .iter()
        .map(|(label, f)| charts::Bar {
            label: label.clone(),
            rate: f.attendance_rate(),
            // Nothing expected: the dash says it all.
            detail: if f.expected == 0 { String::new() } else { format!("{}/{}", f.present, f.expected) },
        })
        .collect();
    Trend { bars, rows }
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
    /// The picker value of the ledger's half-year (the one the period ends in).
    pub ledger: String,
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
    /// The grid's exemptions, row by row, numbered by their place: (id, unit, column, reason).
    pub notes: Vec<(i64, String, String, String)>,
}

impl CompliancePage {
    pub fn new(
        ctx: Ctx,
        kind: EventKind,
        kinds: Vec<EventKind>,
        year: i32,
        columns: Vec<(NaiveDate, NaiveDate)>,
        rows: Vec<ComplianceRow>,
    ) -> CompliancePage {
        let notes = rows
            .iter()
            .flat_map(|r| {
                r.cells.iter().zip(&columns).filter_map(|(cell, c)| match cell {
                    crate::records::rules::Compliance::Exempted(id) => {
                        Some((*id, r.name.clone(), column_label(&ctx, c), r.reason(id).to_owned()))
                    }
                    _ => None,
                })
            })
            .collect();
        CompliancePage { ctx, kind, kinds, year, columns, rows, notes }
    }

    /// An exemption's number in the notes under the grid.
    fn note_of(&self, id: &i64) -> usize {
        self.notes.iter().position(|n| n.0 == *id).map_or(0, |i| i + 1)
    }

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
        self.ctx.msg(&Msg::new("records.withdrawn_line").arg("at", at).arg("who", who))
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
    pub period: Period,
    /// The halves the picker offers: (value, name).
    pub halves: Vec<(String, String)>,
}

impl LedgerPage {
    /// The ledger's heading: 2026年上半年考勤公示, attendance ledger, first half of 2026.
    fn heading(&self) -> String {
        use chrono::Datelike;
        let half = self.ctx.tr(&format!("records.ledger_half.{}", self.period.number())).to_owned();
        self.ctx.msg(
            &Msg::new("records.ledger_heading")
                .arg("branch", &self.ledger.branch.name)
                .arg("year", self.period.from.year())
                .arg("half", half),
        )
    }

    fn is_chosen(&self, value: &str) -> bool {
        self.period.key() == value
    }

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
        ctx.tr(&format!("records.quarter.{}", c.0.month() / 3 + 1)).to_owned()
    } else if c.1.month() - c.0.month() == 5 {
        ctx.tr(&format!("records.half.{}", c.0.month() / 6 + 1)).to_owned()
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
            &Msg::new("records.streaks_hint").arg("t1", t[0]).arg("t2", t[1]).arg("t3", t[2]),
        )
    }
}
