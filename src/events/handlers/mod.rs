//! HTTP handlers of the events domain.
use axum::{
    Extension, Form, Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use super::{
    entity::event,
    rules::{AgendaData, EventData, EventKind, EventState, GuestData, Pairs},
    service::{
        self, Access, AgendaMove, EventError, FormError, Loaded,
        list::{self, EventQuery, When},
    },
    views::*,
};
use crate::{
    branches::{BranchKind, Scope, service::UnitOption},
    forms::{Choice, FieldErrors},
    i18n::Msg,
    markdown,
    state::AppState,
    web::{Ctx, Flash, Scoped, User, WebError},
};

mod attachments;
mod calendar;
mod held;
pub use held::AfterHeld;
mod series;

/// Renders a domain's section of an event's page (attendance's box, the minutes, the report)
/// for the viewer (`Scope`), as HTML: the events domain shows them without knowing them.
pub type EventSection =
    for<'a> fn(&'a AppState, &'a Ctx, &'a Scope, &'a Loaded) -> crate::db::BoxFuture<'a, Result<String, WebError>>;

/// The sections the application gives the router, in page order.
#[derive(Clone, Copy)]
pub struct Sections(pub &'static [EventSection]);

/// Every route of the events domain; an event's page shows `sections` below its own, and an
/// activity recorded afterwards is written with what `after_held` adds.
pub fn router(sections: &'static [EventSection], after_held: AfterHeld) -> Router<AppState> {
    Router::new()
        .merge(calendar::router())
        .merge(series::router())
        .merge(attachments::router())
        .merge(held::router())
        .route("/events", get(list).post(create))
        .route("/events/new", get(new_form).post(held::back_to_new))
        .route("/events/mine", get(mine))
        .route("/events/{id}", get(show).post(update))
        .route("/events/{id}/edit", get(edit_form))
        .route("/events/{id}/event.ics", get(ics))
        .route("/events/{id}/schedule", get(confirm_schedule).post(schedule))
        .route("/events/{id}/cancel", get(confirm_cancel).post(cancel))
        .route("/events/{id}/co-organising", post(answer_co_organising))
        .route("/events/{id}/delete", get(confirm_delete).post(delete))
        .route("/events/{id}/copy", post(copy))
        .route("/events/{id}/guests", post(add_guest))
        .route("/events/{id}/guests/{guest}/remove", post(remove_guest))
        .route("/events/{id}/agenda", post(save_agenda))
        .route("/events/{id}/agenda/{item}/{how}", post(move_agenda))
        .route("/events/{id}/mail", get(delivery_page))
        .route("/events/{id}/mail/resend", post(resend))
        .layer(Extension(Sections(sections)))
        .layer(Extension(after_held))
}

fn to_event(id: i64) -> Redirect {
    Redirect::to(&format!("/events/{id}"))
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Open units the scope manages that can organise events (not the party groups).
pub(super) async fn own_units(state: &AppState, scope: &Scope) -> Result<Vec<UnitOption>, WebError> {
    let all = state.units.get(&state.db).await?;
    Ok(all.iter().filter(|u| scope.covers(u.id) && u.kind != BranchKind::Group).cloned().collect())
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<ListParams>,
) -> Result<Response, WebError> {
    if scope.require_manager().is_err() {
        return Ok(Redirect::to("/events/mine").into_response());
    }
    let now = state.now();
    let after = params
        .after
        .split_once('.')
        .and_then(|(t, id)| Some((DateTime::<Utc>::from_timestamp(t.parse().ok()?, 0)?, id.parse::<i64>().ok()?)));
    let query = EventQuery {
        when: if params.when == "past" { When::Past } else { When::Upcoming },
        branch: params.branch.parse().ok(),
        kind: EventKind::parse(&params.kind),
        state: EventState::parse(&params.state),
        from: parse_date(&params.from),
        to: parse_date(&params.to),
        after,
    };
    let (rows, more) = list::page(&state.db, &scope, &query, state.settings.timezone, now).await?;
    let next = if more { rows.last().map(|r| format!("{}.{}", r.starts_at.timestamp(), r.id)) } else { None };
    let units = own_units(&state, &scope).await?;
    let can_create = units.iter().any(|u| u.kind.holds_members());
    Ok(EventsListPage { ctx, params, units, rows, next, now, can_create, choices: Choices }.into_response())
}

async fn mine(State(state): State<AppState>, ctx: Ctx, User(user): User) -> Result<Response, WebError> {
    let now = state.now();
    let (rows, answers) = match user.member_id {
        Some(member_id) => {
            let units = service::member_units(&state.db, Some(member_id)).await?;
            let rows = list::mine(&state.db, member_id, &units, now - chrono::Duration::days(31), None).await?;
            let answers = list::answers_of(&state.db, member_id, rows.iter().map(|r| r.id)).await?;
            (rows, answers)
        }
        None => (Vec::new(), Default::default()),
    };
    Ok(MyEventsPage { ctx, rows, now, answers }.into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NewParams {
    branch: String,
}

/// Everything the event form needs besides the typed values.
pub(super) async fn form_page(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    event_id: Option<i64>,
    (branch, tz): (UnitOption, Tz),
    form: Pairs,
    errors: FieldErrors,
) -> Result<Response, WebError> {
    let all = state.units.get(&state.db).await?;
    let co_organiser_choices = all
        .iter()
        .filter(|u| u.id != branch.id && u.kind != BranchKind::Group && u.kind.holds_members())
        .cloned()
        .collect();
    let groups: Vec<UnitOption> =
        all.iter().filter(|u| u.kind == BranchKind::Group && u.parent_id == Some(branch.id)).cloned().collect();
    let group_ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let people = service::form_people(&state.db, scope, branch.id, &group_ids).await?;
    let failed = !errors.is_empty();
    let branch_zone = tz.name().to_owned();
    let page = EventFormPage {
        ctx,
        event_id,
        branch,
        branch_zone,
        form,
        errors,
        co_organiser_choices,
        groups,
        people,
        choices: Choices,
    };
    Ok(if failed { (StatusCode::UNPROCESSABLE_ENTITY, page).into_response() } else { page.into_response() })
}

async fn new_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Query(params): Query<NewParams>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    let units = own_units(&state, &scope).await?;
    let chosen = params.branch.parse::<i64>().ok();
    let branch = match chosen {
        Some(id) => units.into_iter().find(|u| u.id == id).ok_or(WebError::NotFound)?,
        None => units.into_iter().find(|u| u.kind.holds_members()).ok_or(WebError::Forbidden)?,
    };
    let kind = EventKind::ThemePartyDay;
    let mut form = Pairs(vec![
        ("branch_id".into(), branch.id.to_string()),
        ("kind".into(), kind.key().into()),
        ("audience_kind".into(), "branches".into()),
    ]);
    for s in kind.default_statuses() {
        form.0.push(("statuses".into(), s.key().into()));
    }
    let branch = branch_of(&state, branch.id).await?;
    form_page(&state, ctx, &scope, None, branch, form, FieldErrors::default()).await
}

/// The organising branch a form names: none when empty, an error when it is not an id.
pub(super) fn chosen_branch(raw: &str) -> Result<Option<i64>, ()> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse::<i64>().ok().filter(|id| *id > 0).map(Some).ok_or(())
}

pub(super) async fn branch_of(state: &AppState, id: i64) -> Result<(UnitOption, Tz), WebError> {
    crate::branches::service::unit_with_zone(&state.db, id).await?.ok_or(WebError::NotFound)
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    scope.require_manager()?;
    // No branch given: the first the secretary manages, as the new-event page offers. A broken
    // one is said so, on the form of that first branch, rather than taken as "none".
    let (branch_id, broken) = match chosen_branch(form.get("branch_id")) {
        Ok(Some(id)) if scope.covers(id) => (id, false),
        Ok(Some(_)) => return Err(WebError::NotFound),
        chosen => {
            let first = own_units(&state, &scope).await?.into_iter().find(|u| u.kind.holds_members());
            (first.ok_or(WebError::Forbidden)?.id, chosen.is_err())
        }
    };
    let branch = branch_of(&state, branch_id).await?;
    let tz = branch.1;
    if broken {
        let errors = FieldErrors::single("form", "event.branch_invalid");
        return form_page(&state, ctx, &scope, None, branch, form, errors).await;
    }
    let errors = match EventData::parse(&form, tz) {
        // A time that has passed: the activity took place, and is recorded as held (or the time fixed).
        Ok(data) if data.ends_at <= state.now() => return held::offer_for_new(&state, ctx, &scope, branch, form).await,
        Ok(data) => match service::create(&state.db, &scope, branch_id, &data, state.now()).await {
            Ok(id) => {
                let flash = Flash::success(Msg::new("event.created").arg("title", &data.title));
                return Ok((flash, to_event(id)).into_response());
            }
            Err(FormError::Fields(e)) => e,
            Err(FormError::Rule(e)) => return Err(e.into()),
        },
        Err(e) => e,
    };
    form_page(&state, ctx, &scope, None, branch, form, errors).await
}

/// The event's values as form pairs, for editing.
pub(super) fn as_form(e: &event::Model, co_organisers: &[i64], picks: &[i64], tz: Tz) -> Pairs {
    let mut p: Vec<(String, String)> = vec![
        ("kind".into(), e.kind.key().into()),
        ("title".into(), e.title.clone()),
        ("topic".into(), e.topic.clone().unwrap_or_default()),
        ("description".into(), e.description.clone()),
        ("starts_at".into(), input(&e.starts_at, tz)),
        ("ends_at".into(), input(&e.ends_at, tz)),
        ("location".into(), e.location.clone().unwrap_or_default()),
        ("host_member_id".into(), e.host_member_id.map(|i| i.to_string()).unwrap_or_default()),
        ("host_guest_name".into(), e.host_guest_name.clone().unwrap_or_default()),
        ("recorder_member_id".into(), e.recorder_member_id.map(|i| i.to_string()).unwrap_or_default()),
        ("audience_kind".into(), e.audience_kind.key().into()),
        ("audience_group_id".into(), e.audience_group_id.map(|i| i.to_string()).unwrap_or_default()),
        ("capacity".into(), e.capacity.map(|i| i.to_string()).unwrap_or_default()),
        ("answer_deadline".into(), e.answer_deadline.map(|t| input(&t, tz)).unwrap_or_default()),
        ("revision".into(), e.revision.to_string()),
    ];
    p.extend(e.audience_statuses.split(',').filter(|s| !s.is_empty()).map(|s| ("statuses".into(), s.to_owned())));
    p.extend(co_organisers.iter().map(|c| ("co_organisers".into(), c.to_string())));
    p.extend(picks.iter().map(|m| ("picks".into(), m.to_string())));
    Pairs(p)
}

async fn edit_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    loaded.require_changeable(state.now())?;
    let branch = branch_of(&state, loaded.event.branch_id).await?;
    let tz = branch.1;
    let picks = service::picks_of(&state.db, id).await?;
    let form = as_form(&loaded.event, &loaded.named_co_organisers(), &picks, tz);
    form_page(&state, ctx, &scope, Some(id), branch, form, FieldErrors::default()).await
}

async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    loaded.require_changeable(state.now())?;
    let branch = branch_of(&state, loaded.event.branch_id).await?;
    let tz = branch.1;
    // The revision the form was based on; a form without one (an old page) is not checked.
    let based_on = form.get("revision").parse::<i32>().ok();
    let errors = match EventData::parse(&form, tz) {
        Ok(data) => match service::update(&state.db, &scope, id, &data, based_on, state.now()).await {
            Ok(()) => return Ok((Flash::success(Msg::new("event.saved")), to_event(id)).into_response()),
            Err(FormError::Fields(e)) => e,
            Err(FormError::Rule(EventError::Stale)) => {
                // What the person typed stays in the form, and under each field that differs from
                // what is stored now, the stored value: the next save (based on the revision now
                // stored) is made knowing both.
                let current = service::load(&state.db, &scope, id).await?;
                let picks = service::picks_of(&state.db, id).await?;
                let saved = as_form(&current.event, &current.named_co_organisers(), &picks, tz);
                let mut errors = FieldErrors::single("form", "event.stale");
                for field in ["title", "topic", "starts_at", "ends_at", "location", "host_guest_name", "capacity"] {
                    if saved.get(field).trim() != form.get(field).trim() {
                        let value = saved.get(field).replacen('T', " ", usize::from(field.ends_with("_at")));
                        let value = if value.is_empty() { "—".to_owned() } else { value };
                        errors.add_msg(field, Msg::new("event.saved_meanwhile").arg("value", value));
                    }
                }
                let mut form = form;
                form.0.retain(|(k, _)| k != "revision");
                form.0.push(("revision".into(), current.event.revision.to_string()));
                let page = form_page(&state, ctx, &scope, Some(id), branch, form, errors).await?;
                return Ok((StatusCode::CONFLICT, page).into_response());
            }
            Err(FormError::Rule(e)) => return Err(e.into()),
        },
        Err(e) => e,
    };
    form_page(&state, ctx, &scope, Some(id), branch, form, errors).await
}

/// The forms of the event page that can come back with errors.
#[derive(Default)]
pub(super) struct Forms {
    pub guest: (Pairs, FieldErrors),
    pub agenda_item: (Pairs, FieldErrors),
}

pub(super) async fn show_page(
    state: &AppState,
    Sections(sections): Sections,
    ctx: Ctx,
    scope: &Scope,
    loaded: Loaded,
    forms: Forms,
) -> Result<Response, WebError> {
    let Forms { guest, agenda_item } = forms;
    let db = &state.db;
    let loaded_view = loaded.clone();
    let service::Named { branch, branches: named, host, recorder, .. } = service::named(db, &loaded).await?;
    let Loaded { event, co_organisers, asked, access } = loaded;
    let tz: Tz = branch.tz();
    let co_organiser_names = named.iter().filter(|b| co_organisers.contains(&b.id)).map(|b| b.name.clone()).collect();
    // Branches asked to co-organise: the organisers see who has not answered; the secretary of an
    // asked branch answers here.
    let asked_names = named.iter().filter(|b| asked.contains(&b.id)).map(|b| b.name.clone()).collect();
    let to_answer =
        named.iter().filter(|b| asked.contains(&b.id) && scope.covers(b.id)).map(|b| (b.id, b.name.clone())).collect();
    let state_now = service::effective_state(&event, state.now());
    // Organisers see who is invited: the rows once scheduled, a preview of the audience before.
    let (invitees, invitees_preview) = if access >= Access::CoOrganiser {
        if event.state == EventState::Draft {
            (service::audience(db, &event).await?, true)
        } else {
            (service::invited_members(db, event.id).await?, false)
        }
    } else {
        (Vec::new(), false)
    };
    let (changes, conflicts) = if access >= Access::CoOrganiser {
        (service::changes_of(db, event.id).await?, conflict_views(state, scope, &event, tz).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let recorded = held::recorded(state, event.id).await?;
    // An activity recorded afterwards sent nothing: there is no delivery to show.
    let delivery = if access >= Access::CoOrganiser && event.state != EventState::Draft && recorded.is_none() {
        Some(crate::mail::service::delivery(db, event.id).await?)
    } else {
        None
    };
    let failed = !guest.1.is_empty() || !agenda_item.1.is_empty();
    let mut sections_html = String::new();
    for section in sections {
        sections_html.push_str(&section(state, &ctx, scope, &loaded_view).await?);
    }
    let page = EventShowPage {
        ctx,
        description_html: markdown::render(&event.description),
        agenda: service::agenda_of(db, event.id).await?,
        guests: service::guests_of(db, event.id).await?,
        state: state_now,
        access,
        tz,
        branch_name: branch.name,
        co_organiser_names,
        asked_names,
        to_answer,
        host,
        recorder,
        invitees,
        invitees_preview,
        changes,
        guest_form: guest.0,
        guest_errors: guest.1,
        agenda_form: agenda_item.0,
        agenda_errors: agenda_item.1,
        attachments: service::attachments::of_event(db, event.id).await?,
        conflicts,
        delivery,
        sections_html,
        recorded,
        event,
        choices: Choices,
    };
    Ok(if failed { (StatusCode::UNPROCESSABLE_ENTITY, page).into_response() } else { page.into_response() })
}

/// Overlapping bookings of the room or host; events outside the viewer's branches show no title.
async fn conflict_views(
    state: &AppState,
    scope: &Scope,
    event: &event::Model,
    tz: Tz,
) -> Result<Vec<ConflictView>, WebError> {
    let found = service::conflicts(&state.db, event).await?;
    let mut views = Vec::with_capacity(found.len());
    for c in found {
        let visible = service::load(&state.db, scope, c.event.id).await.is_ok_and(|l| l.access >= Access::CoOrganiser);
        views.push(ConflictView {
            id: visible.then_some(c.event.id),
            title: visible.then(|| c.event.title.clone()),
            when: format!("{} – {}", local(&c.event.starts_at, tz), local(&c.event.ends_at, tz)),
            same_place: c.same_place,
            same_host: c.same_host,
        });
    }
    Ok(views)
}

async fn show(
    State(state): State<AppState>,
    Extension(sections): Extension<Sections>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    show_page(&state, sections, ctx, &scope, loaded, Forms::default()).await
}

async fn confirm_page(
    state: &AppState,
    ctx: Ctx,
    loaded: Loaded,
    action: &'static str,
    errors: FieldErrors,
    reason: String,
) -> Result<Response, WebError> {
    let (invitees, guests) = if action == "schedule" {
        (
            service::audience(&state.db, &loaded.event).await?.len(),
            service::guests_of(&state.db, loaded.event.id).await?.len(),
        )
    } else {
        (0, 0)
    };
    let failed = !errors.is_empty();
    let page = EventConfirmPage { ctx, event: loaded.event, action, invitees, guests, errors, reason };
    Ok(if failed { (StatusCode::UNPROCESSABLE_ENTITY, page).into_response() } else { page.into_response() })
}

/// The confirmation before scheduling or deleting a draft.
async fn confirm_draft(
    state: AppState,
    ctx: Ctx,
    scope: Scope,
    id: i64,
    action: &'static str,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    loaded.require_draft()?;
    confirm_page(&state, ctx, loaded, action, FieldErrors::default(), String::new()).await
}

async fn confirm_schedule(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    if loaded.access == Access::Manager
        && loaded.event.state == EventState::Draft
        && loaded.event.ends_at <= state.now()
    {
        return Ok(held::offer_for_draft(id));
    }
    confirm_draft(state, ctx, scope, id, "schedule").await
}

async fn schedule(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    match service::schedule(&state.db, &scope, id, state.now()).await {
        Ok(()) => Ok((Flash::success(Msg::new("event.scheduled")), to_event(id)).into_response()),
        Err(EventError::InThePast) => Ok(held::offer_for_draft(id)),
        Err(e) => Err(e.into()),
    }
}

async fn confirm_cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    loaded.require_changeable(state.now())?;
    confirm_page(&state, ctx, loaded, "cancel", FieldErrors::default(), String::new()).await
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ReasonForm {
    reason: String,
}

async fn cancel(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<ReasonForm>,
) -> Result<Response, WebError> {
    match service::cancel(&state.db, &scope, id, &form.reason, state.now()).await {
        Ok(()) => Ok((Flash::success(Msg::new("event.cancelled")), to_event(id)).into_response()),
        Err(EventError::ReasonRequired) => {
            let loaded = service::load(&state.db, &scope, id).await?;
            let errors = FieldErrors::single("reason", "event.reason_required");
            confirm_page(&state, ctx, loaded, "cancel", errors, form.reason).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CoOrganisingForm {
    branch_id: String,
    answer: String,
}

/// The secretary of a branch asked to co-organise accepts or declines.
async fn answer_co_organising(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<CoOrganisingForm>,
) -> Result<Response, WebError> {
    let branch_id = form.branch_id.trim().parse::<i64>().map_err(|_| WebError::NotFound)?;
    let (answer, msg) = match form.answer.as_str() {
        "accept" => (service::CoOrganising::Accept, "event.co_organising_accepted"),
        "decline" => (service::CoOrganising::Decline, "event.co_organising_declined"),
        _ => return Err(WebError::BadRequest),
    };
    service::answer_co_organising(&state.db, &scope, id, branch_id, answer, state.now()).await?;
    let to = if answer == service::CoOrganising::Accept { to_event(id) } else { Redirect::to("/events") };
    Ok((Flash::success(Msg::new(msg)), to).into_response())
}

async fn confirm_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    confirm_draft(state, ctx, scope, id, "delete").await
}

async fn delete(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    service::delete_draft(&state.db, &scope, id).await?;
    Ok((Flash::success(Msg::new("event.deleted")), Redirect::to("/events")).into_response())
}

async fn copy(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let new_id = service::copy(&state.db, &scope, id, state.now()).await?;
    Ok((Flash::success(Msg::new("event.copied")), Redirect::to(&format!("/events/{new_id}/edit"))).into_response())
}

async fn add_guest(
    State(state): State<AppState>,
    Extension(sections): Extension<Sections>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    match GuestData::parse(&form) {
        Ok(data) => {
            service::add_guest(&state.db, &scope, id, &data, state.now()).await?;
            Ok((Flash::success(Msg::new("event.guest_added")), to_event(id)).into_response())
        }
        Err(errors) => {
            let loaded = service::load(&state.db, &scope, id).await?;
            loaded.require_changeable(state.now())?;
            show_page(&state, sections, ctx, &scope, loaded, Forms { guest: (form, errors), ..Default::default() })
                .await
        }
    }
}

async fn remove_guest(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, guest)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    service::remove_guest(&state.db, &scope, id, guest, state.now()).await?;
    Ok((Flash::success(Msg::new("event.guest_removed")), to_event(id)).into_response())
}

async fn save_agenda(
    State(state): State<AppState>,
    Extension(sections): Extension<Sections>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let item = form.get("item").parse::<i64>().ok();
    match AgendaData::parse(&form) {
        Ok(data) => {
            service::save_agenda_item(&state.db, &scope, id, item, &data, state.now()).await?;
            Ok((Flash::success(Msg::new("event.agenda_saved")), to_event(id)).into_response())
        }
        Err(errors) => {
            let loaded = service::load(&state.db, &scope, id).await?;
            loaded.require_changeable(state.now())?;
            show_page(
                &state,
                sections,
                ctx,
                &scope,
                loaded,
                Forms { agenda_item: (form, errors), ..Default::default() },
            )
            .await
        }
    }
}

async fn move_agenda(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path((id, item, how)): Path<(i64, i64, String)>,
) -> Result<Response, WebError> {
    let how = match how.as_str() {
        "up" => AgendaMove::Up,
        "down" => AgendaMove::Down,
        "remove" => AgendaMove::Remove,
        _ => return Err(WebError::NotFound),
    };
    service::move_agenda_item(&state.db, &scope, id, item, how, state.now()).await?;
    Ok((Flash::success(Msg::new("event.agenda_saved")), to_event(id)).into_response())
}

/// One event as an iCalendar file.
async fn ics(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let loaded = service::load(&state.db, &scope, id).await?;
    let body = service::feeds::calendar_of(
        &state.db,
        state.settings.site(),
        state.now(),
        ctx.locale,
        &[loaded.event],
        None,
        ical::Method::Publish,
    )
    .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, crate::web::disposition(&format!("event-{id}.ics"))),
        ],
        body,
    )
        .into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ResendForm {
    message: String,
}

/// Queues failed messages of the event again: one (`message` = its id) or all.
async fn resend(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<ResendForm>,
) -> Result<Response, WebError> {
    service::load(&state.db, &scope, id).await?.require_manager()?;
    let one = form.message.parse::<i64>().ok();
    let n = crate::mail::service::resend(&state.db, id, one, state.now()).await?;
    Ok((Flash::success(Msg::new("delivery.resent").arg("count", n)), to_event(id)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DeliveryParams {
    page: String,
}

/// Each invitee's answer and the latest message to them, 100 a page, for the organisers.
async fn delivery_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<DeliveryParams>,
) -> Result<Response, WebError> {
    const PER_PAGE: u64 = 100;
    let loaded = service::load(&state.db, &scope, id).await?;
    if loaded.access < Access::CoOrganiser {
        return Err(WebError::NotFound);
    }
    let page = crate::web::forms::page_number(Some(&params.page));
    let (rows, total) = crate::mail::service::delivery_rows(&state.db, id, (page - 1) * PER_PAGE, PER_PAGE).await?;
    let pages = total.div_ceil(PER_PAGE).max(1);
    Ok(DeliveryPage { ctx, event: loaded.event, rows, total, page, pages }.into_response())
}

/// How this domain's refusals reach the person: the web error (and translated message) of each.
impl From<EventError> for WebError {
    fn from(e: EventError) -> Self {
        use crate::events::EventError as E;
        match e {
            E::NotFound => WebError::NotFound,
            E::Forbidden => WebError::Forbidden,
            E::Ended => WebError::Conflict(Msg::new("event.is_ended")),
            E::Cancelled => WebError::Conflict(Msg::new("event.is_cancelled")),
            E::NotDraft => WebError::Conflict(Msg::new("event.not_draft")),
            E::InThePast => WebError::Conflict(Msg::new("event.in_the_past")),
            E::ReasonRequired => WebError::Conflict(Msg::new("event.reason_required")),
            E::NoInvitees => WebError::Conflict(Msg::new("event.no_invitees")),
            E::Stale => WebError::Conflict(Msg::new("event.stale")),
            E::Db(e) => e.into(),
            E::Storage(e) => WebError::Internal(e.into()),
        }
    }
}
