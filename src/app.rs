//! Application state, the router, and the server loop with its background housekeeping.
use std::{path::Path, sync::Arc, time::Duration as StdDuration};

use anyhow::Context as _;
use axum::{Router, middleware, routing::get};
use chrono::{DateTime, Duration, Utc};
use sea_orm::DatabaseConnection;
use tokio::{net::TcpListener, sync::watch};
use tower_http::catch_panic::CatchPanicLayer;

use crate::{
    accounts::{
        self,
        service::{LoginPolicy, sessions::SessionPolicy},
    },
    clock::Clock,
    config::Settings,
    crypto::{self, Signer},
    db,
    web::{self, assets, pages},
};

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    /// Attendance changes, grouped into shared transactions on SQLite (`db::Writer`).
    pub writer: db::Writer,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub signer: Arc<Signer>,
    pub units: Arc<crate::branches::service::cache::UnitCache>,
    /// The public Activities page's filter choices, per version of the public reports.
    pub activity_choices: Arc<crate::reports::public::ChoicesCache>,
    /// What other domains show on an event's page (attendance's box), rendered by them: the
    /// events domain shows it without knowing them.
    pub event_sections: &'static [EventSections],
    /// Documents other domains add to the messages about an event (the locked minutes), as lines
    /// in a language: the mail domain sends them without knowing them.
    pub event_documents: &'static [EventDocuments],
}

/// A domain's document of an event for its messages, as lines in `Locale` (None: nothing to add).
pub type EventDocuments = for<'a> fn(
    &'a AppState,
    &'a crate::events::entity::event::Model,
    crate::i18n::Locale,
) -> db::BoxFuture<'a, Result<Option<Vec<String>>, sea_orm::DbErr>>;

/// Renders a domain's section of an event's page, for the viewer (`Scope`), as HTML.
pub type EventSections = for<'a> fn(
    &'a AppState,
    &'a web::Ctx,
    &'a crate::branches::Scope,
    &'a crate::events::service::Loaded,
) -> db::BoxFuture<'a, Result<String, web::WebError>>;

impl AppState {
    /// Connects to the database, brings its schema up to date and loads the signing secret.
    pub async fn init(settings: Settings, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
        let db = db::connect(&settings.config.database).await.context("cannot open the database")?;
        db::migrate(&db).await.context("cannot migrate the database")?;
        let secret = load_secret(&settings)?;
        crate::branches::rules::set_default_zone(settings.timezone);
        Ok(AppState {
            writer: db::Writer::new(db.clone()),
            db,
            settings: Arc::new(settings),
            clock,
            signer: Arc::new(Signer::new(&secret)),
            units: Arc::default(),
            activity_choices: Arc::default(),
            event_sections: &[
                crate::attendance::handlers::event_section,
                crate::minutes::event_section,
                crate::reports::event_section,
            ],
            event_documents: &[crate::minutes::mail_document],
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Today's date in the configured time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        self.now().with_timezone(&self.settings.timezone).date_naive()
    }

    pub fn session_policy(&self) -> SessionPolicy {
        let s = &self.settings.config.security;
        SessionPolicy {
            idle: Duration::hours(s.session_idle_hours.into()),
            max: Duration::days(s.session_max_days.into()),
        }
    }

    pub fn login_policy(&self) -> LoginPolicy {
        let s = &self.settings.config.security;
        LoginPolicy {
            max_per_email: s.login_max_failures,
            max_per_address: s.login_max_failures_per_address,
            window: Duration::minutes(s.login_window_minutes.into()),
        }
    }
}

/// The configured secret, or the one kept in the data directory (made on first start).
fn load_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    let configured = &settings.config.app.secret;
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let dir = &settings.config.app.data_dir;
    let path = dir.join("secret.key");
    if path.exists() {
        let secret = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let secret = secret.trim();
        anyhow::ensure!(
            secret.len() >= 32,
            "{} is shorter than 32 characters: delete it to make a new one",
            path.display()
        );
        return Ok(secret.as_bytes().to_vec());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let secret = crypto::random_token();
    write_private(&path, &secret).with_context(|| format!("cannot write {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new signing secret");
    Ok(secret.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    use std::{io::Write, os::unix::fs::OpenOptionsExt};
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    std::fs::write(path, content)
}

pub fn router(state: AppState) -> Router {
    let pages = Router::new()
        .merge(pages::router())
        .merge(accounts::router())
        .merge(crate::branches::router())
        .merge(crate::members::router())
        .merge(crate::events::router())
        .merge(crate::attendance::router())
        .merge(crate::mail::router())
        .merge(crate::minutes::router())
        .merge(crate::reports::router())
        .merge(crate::records::router())
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
        background.spawn(crate::mail::service::dispatch::run(state.clone(), transport, stop_rx));
    }
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        })
        .await?;
    background.abort_all();
    Ok(())
}

/// Periodically removes expired sessions and login failures too old to count.
async fn housekeeping(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(StdDuration::from_secs(600));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        let now = state.now();
        if let Err(e) = accounts::service::sessions::purge_expired(&state.db, now).await {
            tracing::warn!(error = %e, "could not purge expired sessions");
        }
        if let Err(e) = accounts::service::throttle::purge(&state.db, state.login_policy().window, now).await {
            tracing::warn!(error = %e, "could not purge old login failures");
        }
    }
}

/// The event clock: at start-up (events that ended while the server was down) and every 30
/// seconds, ends the events whose end has passed and settles their attendance, once each, then
/// drafts the activity reports of those that publish, and queues the month's absence streak
/// digest once a month (`records.digest`).
async fn event_clock(state: AppState, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(StdDuration::from_secs(30));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
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
