//! HTTP handlers of the minutes domain: the record, its edit form, its workflow, its revisions
//! and its printable form.
use axum::{
    Form, Router,
    extract::{Path, Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::{
    rules::{Body, BodyForm, MinutesState, Op, parse_body, parse_body_keeping_blanks},
    service::{self, FormChoices, MinutesError, Opened, Sent, SignAs, Version},
    views::{docx::DocRecord, *},
};
use crate::{
    audit::Kind,
    branches::Scope,
    events::{
        rules::Pairs,
        service as events,
        views::{local, zone_note},
    },
    forms::FieldErrors,
    forms::optional_text,
    i18n::{Locale, Msg},
    state::AppState,
    web::{Ctx, Flash, Scoped, WebError},
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events/{id}/minutes", get(show).post(save))
        .route("/events/{id}/minutes/edit", get(edit))
        .route("/events/{id}/minutes/submit", post(submit))
        .route("/events/{id}/minutes/send-back", post(send_back))
        .route("/events/{id}/minutes/sign", post(sign))
        .route("/events/{id}/minutes/people", post(set_people))
        .route("/events/{id}/minutes/send", post(send))
        .route("/events/{id}/minutes/revisions", get(revisions))
        .route("/events/{id}/minutes/print", get(print))
        .route("/events/{id}/minutes.docx", get(download_docx))
        .route("/branches/{id}/minutes", get(year_page))
        .route("/branches/{id}/minutes.docx", get(year_docx))
}

fn to_minutes(id: i64) -> Redirect {
    Redirect::to(&format!("/events/{id}/minutes"))
}

async fn open(state: &AppState, ctx: &Ctx, scope: &Scope, id: i64) -> Result<Opened, WebError> {
    Ok(service::open(&state.db, &state.rolls, scope, id, ctx.locale, state.now()).await?)
}

/// [`open`], with the version asked for while an amendment is in progress.
async fn open_version(state: &AppState, ctx: &Ctx, scope: &Scope, id: i64, v: Version) -> Result<Opened, WebError> {
    Ok(service::open_version(&state.db, &state.rolls, scope, id, (ctx.locale, v), state.now()).await?)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct VersionParams {
    /// "signed" or "amendment", while an amendment is in progress.
    version: String,
}

/// A day in the branch's zone.
fn day(t: &DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).date_naive().to_string()
}

/// The record's header, the zone of its branch that times are shown in, and the previous record
/// of the same branch and type.
async fn header(state: &AppState, opened: &Opened, locale: Locale) -> Result<(Header, Tz, Option<i64>), WebError> {
    let e = &opened.loaded.event;
    let c = &opened.context;
    let tz = c.tz;
    // Named co-organisers are rare: read only when there are some.
    let co_organisers = if opened.loaded.co_organisers.is_empty() {
        Vec::new()
    } else {
        events::named(&state.db, &opened.loaded)
            .await?
            .branches
            .into_iter()
            .filter(|b| opened.loaded.co_organisers.contains(&b.id))
            .map(|b| b.name)
            .collect()
    };
    let header = Header {
        event_id: e.id,
        title: e.title.clone(),
        kind: e.kind,
        when: format!("{} – {}{}", local(&e.starts_at, tz), local(&e.ends_at, tz), zone_note(tz, locale)),
        place: e.location.clone(),
        organiser: c.branch.clone(),
        co_organisers,
        host: c.host.clone(),
        host_post: c.host_post.clone(),
        recorder: c.recorder.clone(),
    };
    Ok((header, tz, c.previous))
}

/// The display name of an account among those read, or a dash (a deleted account).
fn name_of(names: &[(i64, String)], account: Option<i64>) -> String {
    account.and_then(|a| names.iter().find(|(id, _)| *id == a)).map_or_else(|| "—".to_owned(), |(_, n)| n.clone())
}

/// A signature as the record shows it: who signed and when, and, for a signature on behalf, whom
/// it was given for.
fn signature(
    names: &[(i64, String)],
    (by, at, signed_for): (Option<i64>, Option<DateTime<Utc>>, &Option<String>),
    tz: Tz,
) -> Option<Signature> {
    Some(Signature { at: local(&at?, tz), name: name_of(names, by), signed_for: signed_for.clone() })
}

/// The host's and the recorder's signatures of a record.
fn signatures(names: &[(i64, String)], m: &super::entity::minutes::Model, tz: Tz) -> [Option<Signature>; 2] {
    [
        signature(names, (m.host_signed_by, m.host_signed_at, &m.host_signed_for), tz),
        signature(names, (m.recorder_signed_by, m.recorder_signed_at, &m.recorder_signed_for), tz),
    ]
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<VersionParams>,
) -> Result<Response, WebError> {
    // Its writers see the amendment in progress by default, the signed record when they ask.
    let version = Version::parse(&params.version, Version::Working);
    let opened =
        match service::open_version(&state.db, &state.rolls, &scope, id, (ctx.locale, version), state.now()).await {
            Ok(opened) => opened,
            Err(MinutesError::NotYet(starts_at)) => return not_yet(&state, ctx, &scope, id, starts_at).await,
            Err(e) => return Err(e.into()),
        };
    show_page(&state, ctx, opened, FieldErrors::default()).await
}

/// The record of an event that has not started, for those who will write it: when it opens.
async fn not_yet(
    state: &AppState,
    ctx: Ctx,
    scope: &Scope,
    id: i64,
    starts_at: DateTime<Utc>,
) -> Result<Response, WebError> {
    let loaded = events::load(&state.db, scope, id).await.map_err(MinutesError::from)?;
    let tz = crate::branches::service::zone_of(&state.db, loaded.event.branch_id).await?;
    let page = NotYetPage { event_id: id, title: loaded.event.title, opens: local(&starts_at, tz), ctx };
    Ok(page.into_response())
}

/// The record, with the workflow's forms (and their errors).
async fn show_page(state: &AppState, ctx: Ctx, opened: Opened, errors: FieldErrors) -> Result<Response, WebError> {
    show_page_typed(state, ctx, opened, errors, None).await
}

/// [`show_page`], with the host and recorder as typed into their form (refused).
async fn show_page_typed(
    state: &AppState,
    ctx: Ctx,
    opened: Opened,
    errors: FieldErrors,
    typed: Option<&PeopleFields>,
) -> Result<Response, WebError> {
    let (header, tz, previous) = header(state, &opened, ctx.locale).await?;
    let db = &state.db;
    let log = service::log_of(db, &opened).await?;
    let names = service::account_names(db, &opened, &log).await?;
    let m = &opened.minutes;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let [host_signature, recorder_signature] = signatures(&names, m, tz);
    // The host and recorder are named here until the record is signed (the event form has closed).
    let people = if opened.rights.set_people && m.state != MinutesState::Locked && opened.amendment.is_none() {
        let e = &opened.loaded.event;
        let choices = events::people_choices(db, &opened.loaded).await?;
        let choices = choices.into_iter().map(|p| (p.id, p.name)).collect();
        Some(match typed {
            Some(t) => PeopleForm {
                choices,
                host_member_id: t.host_member_id.trim().parse().ok(),
                host_guest_name: t.host_guest_name.clone(),
                recorder_member_id: t.recorder_member_id.trim().parse().ok(),
            },
            None => PeopleForm {
                choices,
                host_member_id: e.host_member_id,
                host_guest_name: e.host_guest_name.clone().unwrap_or_default(),
                recorder_member_id: e.recorder_member_id,
            },
        })
    } else {
        None
    };
    let amendment = opened.amendment.map(|a| AmendmentView {
        signed_shown: a.signed_shown,
        signed_revision: a.signed_revision,
        signed_on: a.signed_at.map(|t| day(&t, tz)).unwrap_or_default(),
        revision: a.revision,
        state: a.state,
    });
    // Sent back and not submitted since: its writers read why first.
    let returned = if opened.rights.write && m.state == MinutesState::Draft {
        service::returned(db, m.id).await?.map(|r| ReturnedView {
            comment: r.comment,
            who: r.by_name.unwrap_or_else(|| "—".to_owned()),
            at: local(&r.at, tz),
        })
    } else {
        None
    };
    let page = MinutesPage {
        amendment,
        returned,
        header,
        state: m.state,
        revision: m.revision,
        roll: service::roll(db, &opened).await?,
        rights: opened.rights,
        may_submit: opened.rights.submit,
        host_signature,
        recorder_signature,
        people,
        log: log
            .into_iter()
            .map(|l| LogRow {
                at: local(&l.at, tz),
                who: l.who.unwrap_or_else(|| "—".to_owned()),
                kind: l.kind,
                revision: l.revision,
                note: l.note,
            })
            .collect(),
        previous,
        // Each save made one revision.
        revisions: m.revision.max(0) as usize,
        body: opened.body,
        errors,
        ctx,
    };
    Ok((status, page).into_response())
}

/// The edit form, as saved or as typed (with errors, or after a refused stale save).
#[allow(clippy::too_many_arguments)]
async fn form_page(
    state: &AppState,
    ctx: Ctx,
    (opened, choices): (&Opened, FormChoices),
    body: &Body,
    revision: i32,
    (errors, reason): (FieldErrors, String),
    saved_now: Option<Body>,
    status: StatusCode,
) -> Result<Response, WebError> {
    let (header, _, _) = header(state, opened, ctx.locale).await?;
    let tr = |k: &str| crate::i18n::t(ctx.locale, k).to_owned();
    let page = FormPage {
        header,
        revision,
        items: form_items(body),
        speakers: choices
            .speakers
            .0
            .into_iter()
            .zip(choices.labels)
            .map(|((value, _, _), label)| (value, label))
            .collect(),
        errors,
        amending: opened.minutes.state == MinutesState::Locked,
        reason,
        saved_now: saved_now.map(|b| b.lines(tr)),
        voters: choices.voters,
        ctx,
    };
    Ok((status, page).into_response())
}

async fn edit(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let opened = open(&state, &ctx, &scope, id).await?;
    opened.may_edit()?;
    let (body, revision) = (opened.body.clone(), opened.minutes.revision);
    let choices = service::form_choices(&state.db, &opened).await?;
    form_page(&state, ctx, (&opened, choices), &body, revision, Default::default(), None, StatusCode::OK).await
}

/// Saves the form, or gives it a blank row more (nothing is saved then).
async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<Pairs>,
) -> Result<Response, WebError> {
    let opened = open(&state, &ctx, &scope, id).await?;
    opened.may_edit()?;
    let op = Op::parse(form.get("op")).unwrap_or(Op::Save);
    let based_on = form.get("revision").trim().parse::<i32>().map_err(|_| WebError::BadRequest)?;
    let choices = service::form_choices(&state.db, &opened).await?;
    let fields = BodyForm::from_pairs(&form.0);
    let (mut body, mut errors) = if op == Op::Save {
        parse_body(&fields, &choices.speakers, choices.voters)
    } else {
        // A row more: the blank rows added before stay (pressing "add a speech" twice gives two).
        parse_body_keeping_blanks(&fields, &choices.speakers, choices.voters)
    };
    let reason_raw = form.get("reason").to_owned();
    let reason = match optional_text(&reason_raw, 500) {
        Ok(r) => r,
        Err(key) => {
            errors.add("reason", key);
            None
        }
    };
    if op != Op::Save {
        // A blank row more: the typed text stays, nothing is saved, errors wait for the save.
        body.grow(op);
        let keep = (FieldErrors::default(), reason_raw);
        return form_page(&state, ctx, (&opened, choices), &body, based_on, keep, None, StatusCode::OK).await;
    }
    if opened.minutes.state.needs_reason() && reason.is_none() && errors.get("reason").is_none() {
        errors.add("reason", "minutes.reason_required");
    }
    if !errors.is_empty() {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return form_page(&state, ctx, (&opened, choices), &body, based_on, (errors, reason_raw), None, status).await;
    }
    match service::save(&state.db, &scope, id, (&body, based_on), reason, state.now()).await {
        Ok(_) => Ok((Flash::success(Msg::new("minutes.saved")), to_minutes(id)).into_response()),
        Err(MinutesError::Stale(now)) => {
            // Reopen to show and carry the revision saved meanwhile; what was typed stays.
            let opened = open(&state, &ctx, &scope, id).await?;
            let mut errors = FieldErrors::default();
            errors.add("form", "minutes.stale");
            let revision = opened.minutes.revision;
            let status = StatusCode::CONFLICT;
            form_page(&state, ctx, (&opened, choices), &body, revision, (errors, reason_raw), Some(*now), status).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct StepForm {
    revision: String,
    comment: String,
    #[serde(rename = "as")]
    as_: String,
    /// "1": a signature on behalf of the role's holder (代签), marked as such.
    on_behalf: String,
}

fn revision_of(form: &StepForm) -> Result<i32, WebError> {
    form.revision.trim().parse::<i32>().map_err(|_| WebError::BadRequest)
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> Result<Response, WebError> {
    open(&state, &ctx, &scope, id).await?;
    service::submit(&state.db, &scope, id, revision_of(&form)?, state.now()).await?;
    Ok((Flash::success(Msg::new("minutes.submitted")), to_minutes(id)).into_response())
}

async fn send_back(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> Result<Response, WebError> {
    let opened = open(&state, &ctx, &scope, id).await?;
    if !opened.rights.send_back {
        return Err(WebError::Forbidden);
    }
    let comment = match crate::forms::optional_multiline(&form.comment, 500) {
        Ok(Some(c)) => c,
        Ok(None) => {
            return show_page(&state, ctx, opened, FieldErrors::single("comment", "minutes.comment_required")).await;
        }
        Err(key) => return show_page(&state, ctx, opened, FieldErrors::single("comment", key)).await,
    };
    service::send_back(&state.db, &scope, id, comment, state.now()).await?;
    Ok((Flash::success(Msg::new("minutes.sent_back")), to_minutes(id)).into_response())
}

async fn sign(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<StepForm>,
) -> Result<Response, WebError> {
    open(&state, &ctx, &scope, id).await?;
    let as_ = SignAs::parse(&form.as_).ok_or(WebError::BadRequest)?;
    let (revision, now) = (revision_of(&form)?, state.now());
    let locked = match form.on_behalf.as_str() {
        "" => service::sign(&state.db, &scope, id, as_, revision, now).await?,
        "1" => service::sign_for(&state.db, &scope, id, as_, revision, now).await?,
        _ => return Err(WebError::BadRequest),
    };
    let msg = if locked { "minutes.locked" } else { "minutes.signed" };
    Ok((Flash::success(Msg::new(msg)), to_minutes(id)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PeopleFields {
    host_member_id: String,
    host_guest_name: String,
    recorder_member_id: String,
}

/// Names the event's host and recorder from the record's page (the event form has closed).
async fn set_people(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Form(form): Form<PeopleFields>,
) -> Result<Response, WebError> {
    let opened = open(&state, &ctx, &scope, id).await?;
    if !opened.rights.set_people {
        return Err(WebError::Forbidden);
    }
    let people =
        match crate::events::rules::parse_people(&form.host_member_id, &form.host_guest_name, &form.recorder_member_id)
        {
            Ok(people) => people,
            Err(errors) => return show_page_typed(&state, ctx, opened, errors, Some(&form)).await,
        };
    match service::set_people(&state.db, &scope, id, &people, state.now()).await {
        Ok(_) => Ok((Flash::success(Msg::new("minutes.people_saved")), to_minutes(id)).into_response()),
        Err(MinutesError::People(errors)) => show_page_typed(&state, ctx, opened, errors, Some(&form)).await,
        Err(e) => Err(e.into()),
    }
}

async fn send(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    open(&state, &ctx, &scope, id).await?;
    let flash = match service::send_to_participants(&state.db, &scope, id, state.now()).await? {
        Sent::Queued(count) => Flash::success(Msg::new("minutes.sent_to").arg("count", count)),
        Sent::Already => Flash::info(Msg::new("minutes.sent_already")),
        Sent::Nobody => Flash::info(Msg::new("minutes.sent_nobody")),
    };
    Ok((flash, to_minutes(id)).into_response())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct CompareParams {
    a: String,
    b: String,
    show: String,
}

async fn revisions(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<CompareParams>,
) -> Result<Response, WebError> {
    let opened = open(&state, &ctx, &scope, id).await?;
    let (header, tz, _) = header(&state, &opened, ctx.locale).await?;
    let list = service::revisions(&state.db, &opened).await?;
    let names = crate::accounts::service::display_names(&state.db, list.iter().filter_map(|r| r.by_account)).await?;
    // Only revisions of the list: what this viewer may read.
    let pick = |raw: &str| raw.trim().parse::<i32>().ok().filter(|n| list.iter().any(|r| r.revision == *n));
    let tr = |k: &str| crate::i18n::t(ctx.locale, k).to_owned();
    // By default the two newest.
    let pair = match (pick(&params.a), pick(&params.b)) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => list.get(1).zip(list.first()).map(|(a, b)| (a.revision, b.revision)),
    };
    let (compared, shown) = if let Some(n) = pick(&params.show) {
        let [body, _] = service::revision_bodies(&state.db, &opened, [n, n]).await?;
        // The pair stays chosen in the form, uncompared.
        (pair.map(|(a, b)| (a, b, None)), Some((n, body.lines(tr))))
    } else {
        let compared = match pair {
            Some((a, b)) => {
                let [left, right] = service::revision_bodies(&state.db, &opened, [a, b]).await?;
                let (left, right) = (left.lines(tr), right.lines(tr));
                let lines = tokio::task::spawn_blocking(move || super::rules::compare(&left, &right))
                    .await
                    .map_err(|e| WebError::Internal(e.into()))?;
                Some((a, b, lines))
            }
            None => None,
        };
        (compared, None)
    };
    let rows = list
        .iter()
        .map(|r| RevisionRow {
            revision: r.revision,
            at: local(&r.at, tz),
            who: name_of(&names, r.by_account),
            reason: r.reason.clone(),
            signed_on: r.signed_at.map(|t| day(&t, tz)),
        })
        .collect();
    Ok(RevisionsPage { header, rows, compared, shown, ctx }.into_response())
}

/// A record as it is filed: header, roll, body and signatures.
async fn filed(state: &AppState, opened: Opened, locale: Locale) -> Result<DocRecord, WebError> {
    let (header, tz, _) = header(state, &opened, locale).await?;
    let names = service::account_names(&state.db, &opened, &[]).await?;
    let m = &opened.minutes;
    let [host_signature, recorder_signature] = signatures(&names, m, tz);
    Ok(DocRecord {
        header,
        state: m.state,
        amending: opened.amendment.is_some_and(|a| !a.signed_shown),
        roll: service::roll(&state.db, &opened).await?,
        host_signature,
        recorder_signature,
        body: opened.body,
    })
}

/// The version a print or a Word file gives: the signed record, unless its writers ask for the
/// amendment in progress.
fn filed_version(params: &VersionParams) -> Version {
    Version::parse(&params.version, Version::Signed)
}

async fn print(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<VersionParams>,
) -> Result<Response, WebError> {
    let opened = open_version(&state, &ctx, &scope, id, filed_version(&params)).await?;
    let r = filed(&state, opened, ctx.locale).await?;
    let page = PrintPage {
        header: r.header,
        state: r.state,
        amending: r.amending,
        roll: r.roll,
        host_signature: r.host_signature,
        recorder_signature: r.recorder_signature,
        body: r.body,
        ctx,
    };
    Ok(page.into_response())
}

/// The record as a Word document, named after the meeting and its date.
async fn download_docx(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<VersionParams>,
) -> Result<Response, WebError> {
    let opened = open_version(&state, &ctx, &scope, id, filed_version(&params)).await?;
    let tz = crate::branches::service::zone_of(&state.db, opened.loaded.event.branch_id).await?;
    let day = opened.loaded.event.starts_at.with_timezone(&tz).date_naive();
    let name = format!("{}-{}-{day}.docx", ctx.tr("minutes.title"), opened.loaded.event.title);
    let branch = opened.loaded.event.branch_id;
    let record = filed(&state, opened, ctx.locale).await?;
    let bytes = docx::docx(ctx.locale, std::slice::from_ref(&record))?;
    let entry = user.audit(Kind::RecordsExported, state.now()).branch(Some(branch));
    state.audit.record(entry.detail(&format!("/events/{id}/minutes")).file("docx", 1)).await;
    Ok(docx_response(&name, bytes))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct YearParams {
    year: String,
}

/// The year asked for (this year by default), and the branch's zone.
async fn year_of(
    state: &AppState,
    scope: &Scope,
    branch_id: i64,
    params: &YearParams,
) -> Result<(i32, Tz, String), WebError> {
    // Who may not see the branch's records learns nothing from how the year was malformed.
    if !scope.covers(branch_id) || scope.require_manager().is_err() {
        return Err(WebError::NotFound);
    }
    let (unit, tz) = crate::branches::service::unit_with_zone(&state.db, branch_id).await?.ok_or(WebError::NotFound)?;
    let this_year = state.now().with_timezone(&tz).year();
    let year = match params.year.trim() {
        "" => this_year,
        raw => raw.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y)).ok_or(WebError::BadRequest)?,
    };
    Ok((year, tz, unit.name))
}

/// A branch's minutes of a year, with their states.
async fn year_page(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<YearParams>,
) -> Result<Response, WebError> {
    let (year, tz, branch_name) = year_of(&state, &scope, id, &params).await?;
    let records = service::of_branch_year(&state.db, &scope, id, year, tz).await?;
    let rows = records
        .into_iter()
        .map(|(e, m)| YearRow {
            event_id: e.id,
            when: local(&e.starts_at, tz),
            title: e.title,
            kind: e.kind,
            state: if service::is_signed(&m) { MinutesState::Locked } else { m.state },
            amending: service::amending(&m),
        })
        .collect();
    Ok(YearPage { ctx, branch_id: id, branch_name, year, rows }.into_response())
}

/// The year's archive: every signed record of the year in date order (as signed, while one is
/// amended), as one Word document.
async fn year_docx(
    State(state): State<AppState>,
    ctx: Ctx,
    Scoped { scope, user }: Scoped,
    Path(id): Path<i64>,
    Query(params): Query<YearParams>,
) -> Result<Response, WebError> {
    let (year, tz, branch_name) = year_of(&state, &scope, id, &params).await?;
    let records = service::of_branch_year(&state.db, &scope, id, year, tz).await?;
    let mut filed_records = Vec::new();
    for (e, m) in records {
        if service::is_signed(&m) {
            let opened = open_version(&state, &ctx, &scope, e.id, Version::Signed).await?;
            filed_records.push(filed(&state, opened, ctx.locale).await?);
        }
    }
    if filed_records.is_empty() {
        return Err(WebError::Conflict(Msg::new("minutes.year_nothing_locked")));
    }
    let bytes = docx::docx(ctx.locale, &filed_records)?;
    let entry = user.audit(Kind::RecordsExported, state.now()).branch(Some(id));
    let detail = format!("/branches/{id}/minutes?year={year}");
    state.audit.record(entry.detail(&detail).file("docx", filed_records.len())).await;
    Ok(docx_response(&format!("{branch_name}-{}-{year}.docx", ctx.tr("minutes.title")), bytes))
}

fn docx_response(name: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document".to_owned(),
            ),
            (header::CONTENT_DISPOSITION, crate::web::disposition(name)),
            (header::CACHE_CONTROL, "private".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// [`crate::events::handlers::EventSection`] for minutes: the record's state and a link, for those who may see it.
pub fn event_section<'a>(
    state: &'a AppState,
    ctx: &'a Ctx,
    scope: &'a Scope,
    loaded: &'a events::Loaded,
) -> crate::db::BoxFuture<'a, Result<String, WebError>> {
    Box::pin(async move {
        let Some(status) = service::status(&state.db, scope, loaded, state.now()).await? else {
            return Ok(String::new());
        };
        let section = EventSection {
            ctx,
            event_id: loaded.event.id,
            state: status.state,
            writes: status.writes,
            amending: status.amending,
        };
        askama::Template::render(&section).map_err(|e| WebError::Internal(e.into()))
    })
}

/// How this domain's refusals reach the person.
impl From<MinutesError> for WebError {
    fn from(e: MinutesError) -> Self {
        match e {
            MinutesError::NotFound => WebError::NotFound,
            MinutesError::Forbidden => WebError::Forbidden,
            MinutesError::WrongState => WebError::Conflict(Msg::new("minutes.wrong_state")),
            MinutesError::Submitted => WebError::Conflict(Msg::new("minutes.is_submitted")),
            MinutesError::ReasonRequired => WebError::Conflict(Msg::new("minutes.reason_required")),
            MinutesError::Stale(_) => WebError::Conflict(Msg::new("minutes.stale")),
            MinutesError::NotYet(_) => WebError::Conflict(Msg::new("minutes.not_open_yet")),
            MinutesError::OnBehalfOnly => WebError::Conflict(Msg::new("minutes.on_behalf_only")),
            MinutesError::NobodyNamed => WebError::Conflict(Msg::new("minutes.nobody_named")),
            // The page shows these by the fields; reaching here, the form was not the page's.
            MinutesError::People(_) => WebError::BadRequest,
            MinutesError::Db(e) => e.into(),
        }
    }
}
