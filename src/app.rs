//! The router, and the server loop with its background work: the application's composition
//! root, which nothing else imports.
use std::time::Duration as StdDuration;

use axum::{Router, middleware, routing::get};
use tokio::{net::TcpListener, sync::watch};
use tower_http::catch_panic::CatchPanicLayer;

pub use crate::state::AppState;
use crate::{
    accounts,
    web::{self, assets, pages},
};

/// What other domains show on an event's page, in order: the events domain shows them without
/// knowing them.
const EVENT_SECTIONS: &[crate::events::handlers::EventSection] =
    &[crate::attendance::event_section, crate::minutes::event_section, crate::reports::event_section];

/// An activity recorded afterwards gets its report's draft at once, in the same transaction, and
/// quietly: the person recording it is the one to edit the draft.
fn draft_held_report(
    locale: crate::i18n::Locale,
    now: chrono::DateTime<chrono::Utc>,
) -> crate::events::service::held::AfterRecord {
    Box::new(move |txn, id| {
        Box::pin(async move { crate::reports::service::draft_for(txn, id, locale, now, false).await.map(|_| ()) })
    })
}

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .merge(pages::router())
        .merge(accounts::router())
        .merge(crate::branches::router())
        .merge(crate::members::router())
        .merge(crate::events::router(EVENT_SECTIONS, crate::events::handlers::AfterHeld(draft_held_report)))
        .merge(crate::attendance::router())
        .merge(crate::mail::router())
        .merge(crate::minutes::router())
        .merge(crate::reports::router())
        .merge(crate::records::router())
        .merge(crate::audit::router())
        .fallback(pages::not_found)
        .layer(CatchPanicLayer::new())
        .layer(middleware::from_fn_with_state(state.clone(), web::context::middleware));
    Router::new()
        .route("/healthz", get(pages::healthz))
        .route("/static/{file}", get(assets::serve))
        .merge(pages)
        .layer(middleware::from_fn(web::context::security_headers))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests under way.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let workers = &state.settings.config.workers;
    let mut background = tokio::task::JoinSet::new();
    if workers.housekeeping {
        background.spawn(housekeeping(state.clone(), stop_rx.clone()));
    }
    if workers.event_clock {
        background.spawn(event_clock(state.clone(), stop_rx.clone()));
    }
    let transport = crate::mail::Transport::from_settings(&state.settings)?;
    if workers.dispatcher {
        background.spawn(crate::mail::service::dispatch::run(state.mailer(), transport, stop_rx));
    }
    let audit = state.audit.clone();
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await;
    background.abort_all();
    audit.flush().await;
    Ok(served?)
}

/// Periodically removes expired sessions and login failures too old to count, and writes the
/// daily backup when `backup.dir` is set.
async fn housekeeping(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(StdDuration::from_secs(600));
    let mut privacy_done = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let now = state.now();
        if privacy_done != Some(state.today()) {
            privacy_done = Some(state.today());
            privacy(&state).await;
        }
        if let Err(e) = accounts::service::sessions::purge_expired(&state.db, now).await {
            tracing::warn!(error = %e, "could not purge expired sessions");
        }
        if let Err(e) = accounts::service::throttle::purge(&state.db, state.login_policy().window, now).await {
            tracing::warn!(error = %e, "could not purge old login failures");
        }
        let b = &state.settings.config.backup;
        if !b.dir.is_empty() {
            let root = std::path::Path::new(&b.dir);
            match crate::backup::daily(&state.settings, &state.db, (root, b.keep as usize), now).await {
                Ok(Some(dir)) if state.db.get_database_backend() == sea_orm::DbBackend::Postgres => tracing::info!(
                    dir = %dir.display(),
                    "daily backup of the data folder's files written; the PostgreSQL database is backed up with pg_dump"
                ),
                Ok(Some(dir)) => tracing::info!(dir = %dir.display(), "daily backup written"),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = format!("{e:#}"), "could not write the daily backup"),
            }
        }
    }
}

/// Once a day: deletes the audit log's entries older than `privacy.audit_keep_years` and erases
/// the reasons older than `privacy.reasons_keep_years`.
pub async fn privacy(state: &AppState) {
    let p = &state.settings.config.privacy;
    let years_ago = |years: u32| {
        let today = state.today();
        today.checked_sub_months(chrono::Months::new(12 * years)).unwrap_or(today)
    };
    let audit_before =
        crate::events::rules::series::start_of_day(state.settings.timezone, years_ago(p.audit_keep_years));
    match crate::audit::service::purge(&state.db, audit_before).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(entries = n, "old audit log entries deleted"),
        Err(e) => tracing::warn!(error = %e, "could not delete old audit log entries"),
    }
    let day = years_ago(p.reasons_keep_years);
    let before = crate::events::rules::series::start_of_day(state.settings.timezone, day);
    let erased = async {
        Ok::<u64, sea_orm::DbErr>(
            crate::events::service::erase_leave_reasons(&state.db, before).await?
                + crate::records::service::erase_reasons(&state.db, day).await?
                + crate::members::service::erase_exemption_reasons(&state.db, day).await?,
        )
    };
    match erased.await {
        Ok(0) => {}
        Ok(n) => tracing::info!(reasons = n, "reasons past their keeping erased"),
        Err(e) => tracing::warn!(error = %e, "could not erase old reasons"),
    }
}

/// The event clock: at start-up (events that ended while the server was down) and every 30
/// seconds, ends the events whose end has passed and settles their attendance, once each, then
/// drafts the activity reports of those that publish, queues the month's absence streak
/// digest once a month (`records.digest`), and, every hour, the reminders of minutes still
/// unsubmitted (`minutes.remind_after_days`).
async fn event_clock(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(StdDuration::from_secs(30));
    let mut minutes_at = tokio::time::Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if tokio::time::Instant::now() >= minutes_at {
            minutes_at = tokio::time::Instant::now() + StdDuration::from_secs(3600);
            let days = state.settings.config.minutes.remind_after_days;
            match crate::minutes::service::remind_unwritten(&state.db, days, state.now()).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(messages = n, "minutes reminders queued"),
                Err(e) => tracing::warn!(error = %e, "could not queue minutes reminders"),
            }
        }
        match crate::attendance::service::finalise_due(&state.db, state.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(events = n, "events ended and attendance settled"),
            Err(e) => tracing::warn!(error = %e, "could not finalise ended events"),
        }
        match crate::reports::service::draft_due(
            &state.db,
            state.settings.default_locale,
            &state.settings.report_kinds,
            state.now(),
        )
        .await
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(reports = n, "activity reports drafted"),
            Err(e) => tracing::warn!(error = %e, "could not draft activity reports"),
        }
        if state.settings.config.records.digest
            && let Err(e) =
                crate::records::digest::queue(&state.db, state.today(), state.settings.timezone, state.now()).await
        {
            tracing::warn!(error = %e, "could not queue the streak digest");
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests under way");
}
