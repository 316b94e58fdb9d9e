//! Recording an activity that already took place (补录): the one-page form (the event form, that
//! day's roster with a mark each, guests, agenda, the non-voting count), which also takes over a
//! draft or a new event typed with a time that has passed.
use axum::{
    Extension, Form, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{as_form, branch_of, chosen_branch, own_units};
use crate::{
    branches::{BranchKind, Scope, service::UnitOption},
    events::{
        rules::{
            EventKind, Pairs,
            held::{AGENDA_FIELDS, Attended, GUEST_FIELDS, HeldData, MAX_AGENDA, MAX_GUESTS, earliest_day, mark_field},
            parse_local, statuses_from_db,
        },
        service::{
            self, EventError, FormError,
            held::{AfterRecord, FromDraft, RECORDED},
        },
        views::{
            Choices,
            held::{HeldFormPage, Offer},
        },
    },
    forms::{Choice, FieldErrors},
    i18n::{Locale, Msg},
    members::entity::member,
    state::AppState,
    web::{Ctx, Flash, Scoped, WebError},
};

/// What the application writes with a recorded activity, in its transaction (its report's
/// draft): given by the application, which knows the domain that writes it.
#[derive(Clone, Copy)]
pub struct AfterHeld(pub fn(Locale, DateTime<Utc>) -> AfterRecord);

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/events/held/new", get(new_form)).route("/events/held", post(submit))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct HeldParams {
    branch: String,
    draft: String,
}

/// The blank rows of guests and agenda a new form offers.
const BLANK_ROWS: usize = 2;

async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<HeldParams>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    if let Ok(id) = params.draft.parse::<i64>() {
        // A draft whose time has passed, recorded as held: its values, guests and agenda kept.
        let loaded = service::load(&state.db, &scope, id).await?;
        loaded.require_draft()?;
        let branch = branch_of(&state, loaded.event.branch_id).await?;
        let picks = service::picks_of(&state.db, id).await?;
        let mut form = as_form(&loaded.event, &loaded.named_co_organisers(), &picks, branch.1);
        for g in service::guests_of(&state.db, id).await? {
            let values = [g.name, g.organisation.unwrap_or_default(), g.title.unwrap_or_default(), g.role.key().into()];
            for ((field, _), value) in GUEST_FIELDS.iter().zip(values) {
                form.0.push(((*field).to_owned(), value));
            }
        }
        for a in service::agenda_of(&state.db, id).await? {
            let values =
                [a.title, a.presenter.unwrap_or_default(), a.minutes.map(|m| m.to_string()).unwrap_or_default()];
            for ((field, _), value) in AGENDA_FIELDS.iter().zip(values) {
                form.0.push(((*field).to_owned(), value));
            }
        }
        return page(&state, ctx, &scope, branch, Some(id), Offer::PastDraft, form, FieldErrors::default()).await;
    }
    let units = own_units(&state, &scope).await?;
    let branch = match params.branch.parse::<i64>().ok() {
        Some(id) => units.into_iter().find(|u| u.id == id && u.kind.holds_members()).ok_or(WebError::NotFound)?,
        None => units.into_iter().find(|u| u.kind.holds_members()).ok_or(WebError::Forbidden)?,
    };
    let kind = EventKind::BranchGeneralMeeting;
    let mut form = Pairs(vec![("kind".into(), kind.key().into())]);
    form.0.extend(kind.default_statuses().into_iter().map(|s| ("statuses".into(), s.key().into())));
    let branch = branch_of(&state, branch.id).await?;
    page(&state, ctx, &scope, branch, None, Offer::Plain, form, FieldErrors::default()).await
}

/// The held form offered in place of a new event typed with a time that has passed: what was
/// typed is kept.
pub(super) async fn offer_for_new(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    branch: (UnitOption, Tz),
    form: Pairs,
) -> Result<Response, WebError> {
    page(state, ctx, scope, branch, None, Offer::PastNew, form, FieldErrors::default()).await
}

/// Where scheduling a draft whose time has passed leads: its held form.
pub(super) fn offer_for_draft(id: i64) -> Response {
    let flash = Flash::info(Msg::new("held.draft_past"));
    (flash, Redirect::to(&format!("/events/held/new?draft={id}"))).into_response()
}

async fn submit(
    State(state): State<AppState>,
    Extension(AfterHeld(after_held)): Extension<AfterHeld>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Form(mut form): Form<Pairs>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let branch_id = form_branch(&state, &scope, form.get("branch_id")).await?;
    let branch = branch_of(&state, branch_id).await?;
    let draft = form.get("draft").parse::<i64>().ok();
    let offer = if draft.is_some() { Offer::PastDraft } else { Offer::Plain };
    let action = form.get("action").to_owned();
    form.0.retain(|(k, _)| k != "action");
    match action.as_str() {
        "roster" => return page(&state, ctx, &scope, branch, draft, offer, form, FieldErrors::default()).await,
        "all_present" => {
            for id in unmarked(&state, &scope, branch_id, &form, branch.1).await? {
                form.0.push((mark_field(id), Attended::Present.key().into()));
            }
            return page(&state, ctx, &scope, branch, draft, offer, form, FieldErrors::default()).await;
        }
        "more_guests" | "more_agenda" => {
            let (fields, max) =
                if action == "more_guests" { (GUEST_FIELDS, MAX_GUESTS) } else { (AGENDA_FIELDS, MAX_AGENDA) };
            let shown = form.all(fields[0].0).count().max(BLANK_ROWS);
            for _ in shown..(shown + 3).min(max) {
                for (field, _) in fields {
                    form.0.push(((*field).to_owned(), String::new()));
                }
            }
            return page(&state, ctx, &scope, branch, draft, offer, form, FieldErrors::default()).await;
        }
        _ => {}
    }
    let now = state.now();
    let years = state.settings.config.events.record_back_years;
    let errors = match HeldData::parse(&form, branch.1, now, years) {
        Ok(data) => {
            // The report is drafted at once, for the types that publish one, in the same transaction.
            let after = state
                .settings
                .report_kinds
                .contains(&data.event.kind)
                .then(|| after_held(state.settings.default_locale, now));
            let from = draft.map(|id| FromDraft { id, revision: form.get("revision").parse().ok() });
            match service::held::record(&state.db, &scope, branch_id, from, &data, now, after).await {
                Ok(id) => {
                    let flash = Flash::success(Msg::new("held.recorded").arg("title", &data.event.title));
                    return Ok((flash, Redirect::to(&format!("/events/{id}"))).into_response());
                }
                Err(FormError::Fields(e)) => e,
                Err(FormError::Rule(EventError::Stale)) => {
                    // The draft was saved meanwhile: what was typed stays, on the revision now stored.
                    let current = service::load(&state.db, &scope, draft.unwrap_or_default()).await?;
                    form.0.retain(|(k, _)| k != "revision");
                    form.0.push(("revision".into(), current.event.revision.to_string()));
                    let errors = FieldErrors::single("form", "event.stale");
                    let mut resp = page(&state, ctx, &scope, branch, draft, offer, form, errors).await?;
                    *resp.status_mut() = StatusCode::CONFLICT;
                    return Ok(resp);
                }
                Err(FormError::Rule(e)) => return Err(e.into()),
            }
        }
        Err(mut e) => {
            // The lines left unmarked are said at once, with the form's other mistakes.
            for id in unmarked(&state, &scope, branch_id, &form, branch.1).await? {
                e.add(&mark_field(id), "held.mark_required");
            }
            e
        }
    };
    page(&state, ctx, &scope, branch, draft, offer, form, errors).await
}

/// The members of the roster the form names (by its date, branches and statuses) that it leaves
/// unmarked; none when it names no valid date.
async fn unmarked(state: &AppState, scope: &Scope, branch_id: i64, form: &Pairs, tz: Tz) -> Result<Vec<i64>, WebError> {
    let Some((day, statuses)) = roster_key(form, tz) else { return Ok(Vec::new()) };
    let co: Vec<i64> = form.all("co_organisers").filter_map(|c| c.parse().ok()).collect();
    let list = service::held::roster(&state.db, scope, branch_id, &co, day, &statuses).await?;
    Ok(list.into_iter().map(|p| p.id).filter(|id| form.get(&mark_field(*id)).is_empty()).collect())
}

/// The organising branch a held form names; none: the first the person manages, as the page
/// offers. One they do not manage, or a broken value, is not found.
async fn form_branch(state: &AppState, scope: &Scope, raw: &str) -> Result<i64, WebError> {
    match chosen_branch(raw) {
        Ok(Some(id)) if scope.covers(id) => Ok(id),
        Ok(None) => {
            let first = own_units(state, scope).await?.into_iter().find(|u| u.kind.holds_members());
            Ok(first.ok_or(WebError::Forbidden)?.id)
        }
        _ => Err(WebError::NotFound),
    }
}

/// The day and statuses the roster is read for, when the form names a valid start.
fn roster_key(form: &Pairs, tz: Tz) -> Option<(chrono::NaiveDate, Vec<crate::members::rules::PoliticalStatus>)> {
    let start = parse_local(form.get("starts_at"), tz).ok().flatten()?;
    let statuses = statuses_from_db(&form.all("statuses").collect::<Vec<_>>().join(","));
    Some((start.with_timezone(&tz).date_naive(), statuses))
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    (branch, tz): (UnitOption, Tz),
    draft: Option<i64>,
    offer: Offer,
    form: Pairs,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let all = state.units.get(&state.db).await?;
    let co_organiser_choices: Vec<UnitOption> = all
        .iter()
        .filter(|u| u.id != branch.id && u.kind != BranchKind::Group && u.kind.holds_members())
        .cloned()
        .collect();
    let group_ids: Vec<i64> =
        all.iter().filter(|u| u.kind == BranchKind::Group && u.parent_id == Some(branch.id)).map(|u| u.id).collect();
    let mut people = service::form_people(&state.db, scope, branch.id, &group_ids).await?;
    let (roster, day) = match roster_key(&form, tz) {
        Some((day, statuses)) => {
            let co: Vec<i64> = form.all("co_organisers").filter_map(|c| c.parse().ok()).collect();
            let list = service::held::roster(&state.db, scope, branch.id, &co, day, &statuses).await?;
            (Some(list), day.to_string())
        }
        None => (None, String::new()),
    };
    // That day's members may have left since: they can still be named host or recorder.
    for p in roster.iter().flatten() {
        if !people.iter().any(|q: &member::Model| q.id == p.id) {
            people.push(p.clone());
        }
    }
    let rows = |fields: &[(&str, &str)]| form.all(fields[0].0).count().max(BLANK_ROWS);
    let (guest_rows, agenda_rows) = (rows(GUEST_FIELDS).min(MAX_GUESTS), rows(AGENDA_FIELDS).min(MAX_AGENDA));
    let earliest = earliest_day(state.now(), tz, state.settings.config.events.record_back_years).to_string();
    let failed = !errors.is_empty();
    let page = HeldFormPage {
        ctx,
        branch_zone: tz.name().to_owned(),
        branch,
        draft,
        offer,
        form,
        errors,
        co_organiser_choices,
        people,
        roster,
        day,
        earliest,
        guest_rows,
        agenda_rows,
        choices: Choices,
    };
    Ok(if failed { (StatusCode::UNPROCESSABLE_ENTITY, page).into_response() } else { page.into_response() })
}

/// Who recorded an activity afterwards, and when: the history line of one that was.
pub(super) async fn recorded(state: &AppState, event_id: i64) -> Result<Option<(String, DateTime<Utc>)>, WebError> {
    let Some(line) = service::changes_of(&state.db, event_id).await?.into_iter().find(|c| c.kind == RECORDED) else {
        return Ok(None);
    };
    let names = crate::accounts::service::display_names(&state.db, line.account_id).await?;
    let name = names.into_iter().next().map(|(_, n)| n).unwrap_or_else(|| "—".to_owned());
    Ok(Some((name, line.created_at)))
}

/// Back from the held form to the new-event form, with what was typed (the time was a mistake:
/// the event is to be scheduled). Nothing is saved.
pub(super) async fn back_to_new(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Form(mut form): Form<Pairs>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let branch_id = form_branch(&state, &scope, form.get("branch_id")).await?;
    let branch = branch_of(&state, branch_id).await?;
    form.0.retain(|(k, _)| k != "action");
    if form.get("audience_kind").is_empty() {
        form.0.push(("audience_kind".into(), "branches".into()));
    }
    super::form_page(&state, ctx, &scope, None, branch, form, FieldErrors::default()).await
}
