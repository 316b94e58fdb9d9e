//! Pages of monthly series: plan one (it generates its occurrences), read it with its
//! occurrences, and edit it.
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::get,
};
use chrono_tz::Tz;

use crate::events::{
    entity::series,
    handlers::{branch_of, chosen_branch, own_units},
    rules::{EventKind, Pairs, SeriesData, series::SeriesRule, statuses_from_db},
    service::{
        FormError,
        series::{self as recurring, Start},
    },
    views::{Choices, SeriesPage},
};
use crate::{
    branches::service::UnitOption,
    forms::{Choice, FieldErrors},
    i18n::Msg,
    state::AppState,
    web::{Ctx, Flash, Scoped, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/series", axum::routing::post(create))
        .route("/events/series/new", get(new_form))
        .route("/events/series/{id}", get(show).post(update))
}

/// The form values of a stored series.
fn as_form(s: &series::Model) -> Pairs {
    let mut p: Vec<(String, String)> = vec![
        ("kind".into(), s.kind.key().into()),
        ("title".into(), s.title.clone()),
        ("topic".into(), s.topic.clone().unwrap_or_default()),
        ("description".into(), s.description.clone()),
        ("start_time".into(), s.start_time.clone()),
        ("minutes".into(), s.minutes.to_string()),
        ("location".into(), s.location.clone().unwrap_or_default()),
    ];
    match recurring::rule_of(s) {
        SeriesRule::DayOfMonth(d) => {
            p.push(("rule_kind".into(), "day".into()));
            p.push(("day".into(), d.to_string()));
        }
        SeriesRule::Weekday { .. } => {
            // "weekday:last:fri" → nth "last", weekday "fri", as the form's selects name them.
            let mut parts = s.rule.split(':').skip(1);
            p.push(("rule_kind".into(), "weekday".into()));
            p.push(("nth".into(), parts.next().unwrap_or_default().into()));
            p.push(("weekday".into(), parts.next().unwrap_or_default().into()));
        }
    }
    p.extend(statuses_from_db(&s.audience_statuses).iter().map(|st| ("statuses".into(), st.key().into())));
    Pairs(p)
}

async fn page(
    state: &AppState,
    ctx: Ctx,
    series: Option<series::Model>,
    (branch, tz): (UnitOption, Tz),
    form: Pairs,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let occurrences = match &series {
        Some(s) => recurring::occurrences(&state.db, s.id).await?,
        None => Vec::new(),
    };
    let failed = !errors.is_empty();
    let page = SeriesPage { ctx, series, branch, tz, form, errors, occurrences, now: state.now(), choices: Choices };
    Ok(if failed { (StatusCode::UNPROCESSABLE_ENTITY, page).into_response() } else { page.into_response() })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NewParams {
    branch: String,
}

async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<NewParams>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let units = own_units(&state, &scope).await?;
    let unit = match params.branch.parse::<i64>().ok() {
        Some(id) => units.into_iter().find(|u| u.id == id && u.kind.holds_members()).ok_or(WebError::NotFound)?,
        None => units.into_iter().find(|u| u.kind.holds_members()).ok_or(WebError::Forbidden)?,
    };
    let kind = EventKind::ThemePartyDay;
    let mut form = Pairs(vec![
        ("kind".into(), kind.key().into()),
        ("title".into(), crate::i18n::t(ctx.locale, kind.label_key()).into()),
        ("rule_kind".into(), "day".into()),
        ("day".into(), "24".into()),
        ("nth".into(), "last".into()),
        ("weekday".into(), "fri".into()),
        ("start_time".into(), "14:30".into()),
        ("minutes".into(), "120".into()),
        ("schedule".into(), "1".into()),
    ]);
    form.0.extend(kind.default_statuses().iter().map(|s| ("statuses".into(), s.key().into())));
    let branch = branch_of(&state, unit.id).await?;
    page(&state, ctx, None, branch, form, FieldErrors::default()).await
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    // No branch given: the first the secretary manages, as the new-series page offers. A broken
    // one is said so, on the form of that first branch.
    let chosen = chosen_branch(form.get("branch_id"));
    let wanted = chosen.unwrap_or(None);
    let unit = own_units(&state, &scope)
        .await?
        .into_iter()
        .find(|u| u.kind.holds_members() && wanted.is_none_or(|id| id == u.id))
        .ok_or(WebError::NotFound)?;
    let branch_id = unit.id;
    let branch = branch_of(&state, unit.id).await?;
    let tz = branch.1;
    let now = state.now();
    if chosen.is_err() {
        return page(&state, ctx, None, branch, form, FieldErrors::single("form", "event.branch_invalid")).await;
    }
    let errors = match SeriesData::parse(&form) {
        Ok(data) => {
            let start = Start { from: now.with_timezone(&tz).date_naive(), schedule: form.get("schedule") == "1" };
            match recurring::create(&state.db, &scope, branch_id, &data, tz, start, now).await {
                Ok((id, events)) => {
                    let msg = Msg::new("series.created").arg("count", events.len());
                    return Ok((Flash::success(msg), Redirect::to(&format!("/events/series/{id}"))).into_response());
                }
                Err(FormError::Fields(e)) => e,
                Err(FormError::Rule(e)) => return Err(e.into()),
            }
        }
        Err(e) => e,
    };
    page(&state, ctx, None, branch, form, errors).await
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let s = recurring::load(&state.db, &scope, id).await?;
    let branch = branch_of(&state, s.branch_id).await?;
    let form = as_form(&s);
    page(&state, ctx, Some(s), branch, form, FieldErrors::default()).await
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let s = recurring::load(&state.db, &scope, id).await?;
    let branch = branch_of(&state, s.branch_id).await?;
    let tz = branch.1;
    let errors = match SeriesData::parse(&form) {
        Ok(data) => match recurring::update(&state.db, &scope, id, &data, tz, state.now()).await {
            Ok(carried) => {
                let msg = Msg::new("series.saved").arg("updated", carried.updated).arg("kept", carried.kept);
                return Ok((Flash::success(msg), Redirect::to(&format!("/events/series/{id}"))).into_response());
            }
            Err(FormError::Fields(e)) => e,
            Err(FormError::Rule(e)) => return Err(e.into()),
        },
        Err(e) => e,
    };
    page(&state, ctx, Some(s), branch, form, errors).await
}
