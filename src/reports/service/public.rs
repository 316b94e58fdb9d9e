//! What the public Activities page reads: published reports only, newest activity first, paged
//! by key;
//! and the validator its pages and feed are revalidated with.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    Condition, ConnectionTrait, DbErr, FromQueryResult, QueryOrder, QuerySelect, entity::prelude::*, sea_query::Query,
};

use crate::branches::entity::branch;
use crate::reports::{
    entity::{photo, report},
    rules::ReportState,
};

/// A report as the list shows it (no body).
#[derive(Debug, Clone, FromQueryResult)]
pub struct Card {
    pub id: i64,
    pub title: String,
    pub author_department: Option<String>,
    pub shown_on: NaiveDate,
    pub summary: String,
    pub cover_photo_id: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
}

/// The list's filters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub branch: Option<i64>,
    pub year: Option<i32>,
}

/// Where a page of the list starts: after the report shown on `on` with id `id` (the list is in
/// the order of the activities' dates, newest first: a post about last year's meeting published
/// today is not the newest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub on: NaiveDate,
    pub id: i64,
}

impl Key {
    pub fn encode(self) -> String {
        format!("{}_{}", self.on, self.id)
    }

    pub fn parse(s: &str) -> Option<Key> {
        let (on, id) = s.trim().split_once('_')?;
        Some(Key { on: on.parse().ok()?, id: id.parse().ok()? })
    }
}

/// Joint activities a branch's filter lists beside its own: more than any branch holds.
const MAX_JOINT: u64 = 5_000;

/// One page of published reports, and the key of the next page when there is one.
pub async fn page(
    db: &impl ConnectionTrait,
    filter: Filter,
    after: Option<Key>,
    per_page: u64,
) -> Result<(Vec<Card>, Option<Key>), DbErr> {
    use report::Column as C;
    // The version as published: an edit waiting for review is not public.
    let mut q = report::Entity::find()
        .select_only()
        .column(C::Id)
        .column_as(C::PublishedTitle, "title")
        .column_as(C::PublishedAuthorDepartment, "author_department")
        .column_as(C::PublishedShownOn, "shown_on")
        .column_as(C::PublishedSummary, "summary")
        .columns([C::CoverPhotoId, C::PublishedAt])
        .filter(C::State.eq(ReportState::Published));
    if let Some(b) = filter.branch {
        // Under every branch that held it: the organiser's own (read in order from the index on the
        // branch), and the few it co-organised, named.
        let joint = crate::events::service::facts::co_organised_by(db, b, MAX_JOINT).await?;
        q = q.filter(if joint.is_empty() {
            Condition::all().add(C::BranchId.eq(b))
        } else {
            Condition::any().add(C::BranchId.eq(b)).add(C::EventId.is_in(joint))
        });
    }
    if let Some(y) = filter.year
        && let (Some(from), Some(to)) = (NaiveDate::from_ymd_opt(y, 1, 1), NaiveDate::from_ymd_opt(y, 12, 31))
    {
        q = q.filter(C::PublishedShownOn.between(from, to));
    }
    if let Some(k) = after {
        q = q.filter(
            Condition::any()
                .add(C::PublishedShownOn.lt(k.on))
                .add(Condition::all().add(C::PublishedShownOn.eq(k.on)).add(C::Id.lt(k.id))),
        );
    }
    let mut cards = q
        .order_by_desc(C::PublishedShownOn)
        .order_by_desc(C::Id)
        .limit(per_page + 1)
        .into_model::<Card>()
        .all(db)
        .await?;
    let next = if cards.len() as u64 > per_page {
        cards.truncate(per_page as usize);
        cards.last().map(|c| Key { on: c.shown_on, id: c.id })
    } else {
        None
    };
    Ok((cards, next))
}

/// What the public pages show changed last: the newest change among reports that are or were
/// public (any publication, edit, photo change or withdrawal moves it; a published report's event
/// is never deleted), and among the units (a renamed branch shows its new name in the filter and
/// on its posts). Pages and the feed are revalidated against it without being rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    reports: Option<DateTime<Utc>>,
    units: Option<DateTime<Utc>>,
    unit_count: i64,
}

impl Version {
    /// The version as part of a validator.
    pub fn tag(&self) -> String {
        let micros = |t: Option<DateTime<Utc>>| t.map_or(0, |t| t.timestamp_micros());
        format!("{}.{}.{}", micros(self.reports), micros(self.units), self.unit_count)
    }

    /// When any of it last changed, for `Last-Modified`.
    pub fn changed_at(&self) -> Option<DateTime<Utc>> {
        self.reports.max(self.units)
    }
}

/// One statement: the end of the reports' state index per state, and the units' newest change.
pub async fn version(db: &impl ConnectionTrait) -> Result<Version, DbErr> {
    let newest = |state: ReportState| {
        Query::select()
            .expr(report::Column::UpdatedAt.max())
            .from(report::Entity)
            .and_where(report::Column::State.eq(state))
            .to_owned()
    };
    let units = Query::select().expr(branch::Column::UpdatedAt.max()).from(branch::Entity).to_owned();
    let count = Query::select().expr(branch::Column::Id.count()).from(branch::Entity).to_owned();
    let q = Query::select()
        .expr_as(Expr::SubQuery(None, Box::new(newest(ReportState::Published).into())), "published")
        .expr_as(Expr::SubQuery(None, Box::new(newest(ReportState::Withdrawn).into())), "withdrawn")
        .expr_as(Expr::SubQuery(None, Box::new(units.into())), "units")
        .expr_as(Expr::SubQuery(None, Box::new(count.into())), "unit_count")
        .to_owned();
    let row = db.query_one(&q).await?.ok_or_else(|| DbErr::RecordNotFound("version".to_owned()))?;
    let at = |c: &str| row.try_get::<Option<DateTime<Utc>>>("", c);
    Ok(Version {
        reports: at("published")?.max(at("withdrawn")?),
        units: at("units")?,
        unit_count: row.try_get("", "unit_count")?,
    })
}

/// The list's filter choices: the branches that published something and the years.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub branches: Vec<(i64, String)>,
    pub years: Vec<i32>,
}

/// The filter choices as of a version: reading the years touches every published report, so they
/// are read again only when a public report changed.
#[derive(Default)]
pub struct ChoicesCache {
    slot: std::sync::Mutex<Option<(String, std::sync::Arc<Choices>)>>,
}

impl ChoicesCache {
    pub async fn get(&self, db: &impl ConnectionTrait, version: &Version) -> Result<std::sync::Arc<Choices>, DbErr> {
        let version = version.tag();
        if let Some((v, choices)) = self.slot.lock().unwrap_or_else(|e| e.into_inner()).as_ref()
            && *v == version
        {
            return Ok(choices.clone());
        }
        let choices = std::sync::Arc::new(Choices { branches: branches(db).await?, years: years(db).await? });
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some((version, choices.clone()));
        Ok(choices)
    }
}

/// The branches that held an activity with a published report, for the filter, by code.
async fn branches(db: &impl ConnectionTrait) -> Result<Vec<(i64, String)>, DbErr> {
    let reported = Query::select()
        .column(report::Column::EventId)
        .from(report::Entity)
        .and_where(report::Column::State.eq(ReportState::Published))
        .to_owned();
    let with_reports = crate::events::service::facts::holders_of(reported);
    branch::Entity::find()
        .select_only()
        .columns([branch::Column::Id, branch::Column::Name])
        .filter(branch::Column::Id.in_subquery(with_reports))
        .order_by_asc(branch::Column::Code)
        .into_tuple()
        .all(db)
        .await
}

/// The years the published reports span, newest first.
async fn years(db: &impl ConnectionTrait) -> Result<Vec<i32>, DbErr> {
    use chrono::Datelike;
    let span: Option<(Option<NaiveDate>, Option<NaiveDate>)> = report::Entity::find()
        .select_only()
        .column_as(report::Column::PublishedShownOn.min(), "first")
        .column_as(report::Column::PublishedShownOn.max(), "last")
        .filter(report::Column::State.eq(ReportState::Published))
        .into_tuple()
        .one(db)
        .await?;
    Ok(match span {
        Some((Some(first), Some(last))) => (first.year()..=last.year()).rev().collect(),
        _ => Vec::new(),
    })
}

/// A published report and the name of its branch.
/// A published report, its branch's name, and when either last changed.
pub async fn published(
    db: &impl ConnectionTrait,
    id: i64,
) -> Result<Option<(report::Model, String, DateTime<Utc>)>, DbErr> {
    let Some(r) =
        report::Entity::find_by_id(id).filter(report::Column::State.eq(ReportState::Published)).one(db).await?
    else {
        return Ok(None);
    };
    let r = as_published(r);
    let (name, renamed) = branch::Entity::find_by_id(r.branch_id)
        .select_only()
        .columns([branch::Column::Name, branch::Column::UpdatedAt])
        .into_tuple::<(String, DateTime<Utc>)>()
        .one(db)
        .await?
        .unwrap_or((String::new(), r.updated_at));
    let changed = r.updated_at.max(renamed);
    Ok(Some((r, name, changed)))
}

/// The newest published reports, whole, for the feed.
pub async fn newest(db: &impl ConnectionTrait, n: u64) -> Result<Vec<report::Model>, DbErr> {
    report::Entity::find()
        .filter(report::Column::State.eq(ReportState::Published))
        .order_by_desc(report::Column::PublishedAt)
        .order_by_desc(report::Column::Id)
        .limit(n)
        .all(db)
        .await
        .map(|rows| rows.into_iter().map(as_published).collect())
}

/// A published report as its readers see it: its words as last published, not an edit waiting
/// for review.
fn as_published(mut r: report::Model) -> report::Model {
    if let Some(title) = r.published_title.take() {
        r.title = title;
        r.author_department = r.published_author_department.take();
    }
    if let Some(on) = r.published_shown_on {
        r.shown_on = on;
    }
    if let Some(summary) = r.published_summary.take() {
        r.summary = summary;
    }
    if let Some(body) = r.published_body.take() {
        r.body = body;
    }
    r
}

/// A photo of a published report (its thumbnail when `thumb`).
pub async fn photo(
    db: &impl ConnectionTrait,
    report_id: i64,
    photo_id: i64,
    thumb: bool,
) -> Result<Option<Vec<u8>>, DbErr> {
    let column = if thumb { photo::Column::Thumb } else { photo::Column::Image };
    public_photo(report_id, photo_id).select_only().column(column).into_tuple::<Vec<u8>>().one(db).await
}

/// Whether a photo is still public, without reading it: a cache's copy is confirmed by this.
pub async fn photo_is_public(db: &impl ConnectionTrait, report_id: i64, photo_id: i64) -> Result<bool, DbErr> {
    Ok(public_photo(report_id, photo_id).count(db).await? > 0)
}

fn public_photo(report_id: i64, photo_id: i64) -> Select<photo::Entity> {
    let public = Query::select()
        .column(report::Column::Id)
        .from(report::Entity)
        .and_where(report::Column::Id.eq(report_id))
        .and_where(report::Column::State.eq(ReportState::Published))
        .to_owned();
    photo::Entity::find().filter(photo::Column::Id.eq(photo_id)).filter(photo::Column::ReportId.in_subquery(public))
}
