//! The `partyday` command: serve the web application, migrate the database, create the first
//! administrator. Configuration comes from `config/` and PARTYDAY__* variables (see README).
#![allow(clippy::print_stdout)]

use std::{
    io::{BufRead, IsTerminal},
    process::ExitCode,
    sync::Arc,
};

use clap::{Parser, Subcommand};
use partyday::{
    accounts::{
        Role,
        rules::{DisplayName, Email, NewAccount, Password},
        service,
    },
    app::{self, AppState},
    clock::SystemClock,
    config::{Config, Settings},
    db, demo,
};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "partyday",
    version,
    about = "Party-day activities of Party branches: events, invitations, attendance, minutes, reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the web application.
    Serve {
        /// Load demo accounts (and print their logins) before serving.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date, then exit.
    Migrate,
    /// Import members from a CSV or XLSX file into one branch (all rows or none). The column
    /// layout is shown on the web import page and in the downloadable template.
    ImportMembers {
        file: std::path::PathBuf,
        /// Code of the branch the members belong to.
        #[arg(long)]
        branch: String,
        /// Language of the messages: zh-CN or en.
        #[arg(long, default_value = "en")]
        lang: String,
    },
    /// Fill an empty database with a large association for benchmarks (and the demo accounts).
    GenerateBench {
        #[arg(long, default_value_t = 200)]
        branches: u32,
        #[arg(long, default_value_t = 20_000)]
        members: u32,
        /// Events, 1,000 of them held by BIG-001 (whose calendar feed address is printed).
        #[arg(long, default_value_t = 10_000)]
        events: usize,
        /// Also the attendance benchmark's events (bench/attendance): a joint conference of 100
        /// branches to answer, one of 20 branches under way (check-in open), one of 20 branches
        /// held yesterday with its attendance recorded.
        #[arg(long)]
        attendance: bool,
        /// With --attendance: write one answer-link token per invitation of the conference to
        /// answer into this file, one a line.
        #[arg(long, value_name = "FILE", requires = "attendance")]
        answer_tokens: Option<std::path::PathBuf>,
        /// With --attendance: the minutes benchmark's records (bench/minutes): locked minutes with
        /// 50 speeches for the held conference, and 50 locked records of BIG-001 in one year.
        #[arg(long, requires = "attendance")]
        minutes: bool,
        /// Published activity reports on the generated past events (bench/reports), a third of
        /// them with a cover photo.
        #[arg(long, default_value_t = 0)]
        reports: usize,
    },
    /// Back up the installation into a new folder while the server runs: a consistent snapshot
    /// of the SQLite database, the data folder's files and a manifest with checksums. On
    /// PostgreSQL, the files, and how to dump the database with pg_dump.
    Backup { dir: std::path::PathBuf },
    /// Restore a backup into an empty data folder and a new SQLite database, after checking
    /// every checksum, then migrate it forward.
    Restore { dir: std::path::PathBuf },
    /// Create an administrator account. The password is read from standard input (first line),
    /// or prompted for twice on a terminal; it is never taken from the command line.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .init();
    // Configuration errors are the operator's to fix: say which key and why, and stop.
    let settings = match Config::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("partyday: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("partyday: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("partyday: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => {
            let conn = db::connect(&settings.config.database).await?;
            db::migrate(&conn).await?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::CreateAdmin { email, name } => create_admin(settings, &email, name.as_deref()).await,
        Command::Backup { dir } => {
            let conn = db::connect(&settings.config.database).await?;
            let done = partyday::backup::backup(&settings, &conn, &dir, chrono::Utc::now()).await?;
            let rows: u64 = done.manifest.tables.values().sum();
            println!(
                "Backed up into {}: {} tables, {rows} rows, {} files (schema {}).",
                dir.display(),
                done.manifest.tables.len(),
                done.manifest.files.len(),
                done.manifest.schema
            );
            if let Some(advice) = done.advice {
                println!("{advice}");
            }
            Ok(())
        }
        Command::Restore { dir } => {
            let done = partyday::backup::restore(&settings, &dir).await?;
            let rows: u64 = done.manifest.tables.values().sum();
            println!(
                "Restored {} rows and {} files from {} (written {}), and migrated the database forward.",
                rows,
                done.manifest.files.len(),
                dir.display(),
                done.manifest.created_at.format("%Y-%m-%d %H:%M UTC")
            );
            Ok(())
        }
        Command::GenerateBench { branches, members, events, attendance, answer_tokens, minutes, reports } => {
            let state = AppState::init(settings, Arc::new(SystemClock)).await?;
            let tz = state.settings.timezone.name();
            let started = std::time::Instant::now();
            let association = demo::generate(&state.db, tz, branches, members, state.today(), state.now()).await?;
            println!(
                "Generated {branches} branches and {members} members in {:.1} s.",
                started.elapsed().as_secs_f64()
            );
            let started = std::time::Instant::now();
            let made = demo::generate_events(&state.db, tz, &association, events, 1000, state.now()).await?;
            println!(
                "Generated {} events ({} drafts, {} cancelled) with {} invitations and {} emails (recorded as sent) in {:.1} s.",
                made.events,
                made.drafts,
                made.cancelled,
                made.invitations,
                made.messages,
                started.elapsed().as_secs_f64()
            );
            let (feed, in_feed) = demo::branch_feed(&state.db, &state.signer, made.big_branch, state.now()).await?;
            println!("BIG-001: branch id {}, {} events", made.big_branch, made.big_events);
            println!(
                "Full list page: /events?branch={}&kind=theme_party_day&state=scheduled ({} events)",
                made.big_branch, made.big_upcoming_theme_days
            );
            println!("Branch feed: {feed} ({in_feed} events)");
            if attendance {
                let started = std::time::Instant::now();
                let bench = demo::generate_attendance(&state.db, tz, &association, state.now()).await?;
                println!("Generated the attendance benchmark's events in {:.1} s.", started.elapsed().as_secs_f64());
                if let Some(file) = answer_tokens {
                    let mut text = bench.tokens.join("\n");
                    text.push('\n');
                    std::fs::write(&file, text).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", file.display()))?;
                    println!("Answer tokens: {} ({} tokens)", file.display(), bench.tokens.len());
                }
                let (answer, roster, summary) = (bench.answer_event, bench.roster_event, bench.summary_event);
                println!("Answer event: /events/{} ({} invitees)", answer.0, answer.1);
                println!("Roster event: /events/{} ({} invitees)", roster.0, roster.1);
                println!("Summary event: /events/{} ({} invitees)", summary.0, summary.1);
                if minutes {
                    let started = std::time::Instant::now();
                    let (speeches, year, records) =
                        demo::generate_minutes(&state.db, summary.0, made.big_branch, state.now()).await?;
                    println!("Generated the minutes benchmark's records in {:.1} s.", started.elapsed().as_secs_f64());
                    println!("Minutes event: /events/{}/minutes ({speeches} speeches)", summary.0);
                    println!(
                        "Minutes year: /branches/{}/minutes.docx?year={year} ({records} records)",
                        made.big_branch
                    );
                }
            }
            if reports > 0 {
                let started = std::time::Instant::now();
                let (made, newest) = demo::generate_reports(&state.db, reports, state.now()).await?;
                println!("Generated {made} published reports in {:.1} s.", started.elapsed().as_secs_f64());
                println!("Report page: /activities/{newest}");
            }
            // Closing checkpoints SQLite's log into the database and removes it: the next reader
            // finds no gigabyte of log to look through.
            state.db.close().await?;
            Ok(())
        }
        Command::ImportMembers { file, branch, lang } => import_members(settings, &file, &branch, &lang).await,
    }
}

async fn serve(settings: Settings, load_demo: bool) -> anyhow::Result<()> {
    let addr = settings.addr;
    let base_url = settings.base_url.clone();
    let state = AppState::init(settings, Arc::new(SystemClock)).await?;
    if load_demo {
        if demo::load(&state.db, state.settings.timezone.name(), state.today(), state.now()).await?
            == demo::Loaded::Before
        {
            println!("The demo was loaded into this database before: nothing was added.");
        }
        println!("Demo accounts (password for all: {}):", demo::PASSWORD);
        for (email, _, role) in demo::ACCOUNTS {
            println!("  {:<10} {email}", role.as_str());
        }
    } else if !service::has_admin(&state.db).await? {
        println!("No administrator yet. Create one with:\n  partyday create-admin --email you@example.org");
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (server.addr): {e}"))?;
    let bound = listener.local_addr()?;
    println!("Partyday is serving on {base_url} (listening on {bound})");
    app::serve(state, listener, app::shutdown_signal()).await
}

fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        anyhow::ensure!(first == second, "the passwords do not match");
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn create_admin(settings: Settings, email: &str, name: Option<&str>) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(|_| anyhow::anyhow!("--email: not a valid email address"))?;
    let name = name.unwrap_or_else(|| email.as_str().split('@').next().unwrap_or("admin")).to_owned();
    let display_name = DisplayName::parse(&name).map_err(|_| anyhow::anyhow!("--name: must be 1 to 100 characters"))?;
    let password = Password::parse(&read_password()?, Some(email.as_str()))
        .map_err(|key| anyhow::anyhow!("password refused: {}", partyday::i18n::t(partyday::i18n::Locale::En, key)))?;
    let state = AppState::init(settings, Arc::new(SystemClock)).await?;
    let new = NewAccount { email, display_name, role: Role::Admin, password };
    let account = service::create_unchecked(&state.db, new, false, state.now()).await.map_err(|e| match e {
        service::AccountError::EmailTaken => {
            anyhow::anyhow!("an account with this email already exists")
        }
        other => other.into(),
    })?;
    let entry = partyday::audit::Entry::new(partyday::audit::Kind::AccountCreated, None, state.now());
    state.audit.record(entry.detail(&format!("/admin/accounts/{}\n{}", account.id, account.email))).await;
    state.audit.flush().await;
    println!("Administrator {} created. Sign in at {}login", account.email, state.settings.base_url);
    Ok(())
}

async fn import_members(settings: Settings, file: &std::path::Path, branch: &str, lang: &str) -> anyhow::Result<()> {
    use partyday::{
        branches::{self, Scope},
        i18n::{self, Locale},
        members::{
            rules::table::{self, Format},
            service::import::{self, ImportError},
        },
    };
    let locale = Locale::from_tag(lang).ok_or_else(|| anyhow::anyhow!("--lang: use zh-CN or en"))?;
    let say = |msg: &i18n::Msg| i18n::render(locale, msg);
    let format = Format::of_file_name(&file.to_string_lossy())
        .ok_or_else(|| anyhow::anyhow!("{}", i18n::t(locale, "import.file_type")))?;
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let sheet = table::read(&bytes, format).map_err(|e| anyhow::anyhow!("{}", say(&e.msg())))?;
    let state = AppState::init(settings, Arc::new(SystemClock)).await?;
    let scope = Scope::operator();
    let unit = branches::service::find_by_code(&state.db, &scope, branch).await.map_err(|_| {
        anyhow::anyhow!("--branch: {}", say(&i18n::Msg::new("import.unknown_branch").arg("code", branch)))
    })?;
    match import::import(&state.db, &scope, unit.id, &sheet, state.today(), state.now()).await {
        Ok(r) => {
            // The operator's command line: an entry without an account.
            let entry = partyday::audit::Entry::new(partyday::audit::Kind::MembersImported, None, state.now())
                .branch(Some(unit.id))
                .detail(&file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default())
                .file(format.extension(), r.created + r.updated + r.unchanged);
            state.audit.record(entry).await;
            state.audit.flush().await;
            println!(
                "{} {} {}",
                say(&i18n::Msg::new("import.done_created").arg("count", r.created)),
                say(&i18n::Msg::new("import.done_updated").arg("count", r.updated)),
                say(&i18n::Msg::new("import.done_unchanged").arg("count", r.unchanged))
            );
            Ok(())
        }
        Err(ImportError::Rows(errors)) => {
            for e in &errors {
                let column = e
                    .column
                    .as_deref()
                    .map(|c| format!("{}{}", i18n::t(locale, c), i18n::t(locale, "import.column_sep")))
                    .unwrap_or_default();
                eprintln!("{}{column}{}", say(&i18n::Msg::new("import.line").arg("line", e.line)), say(&e.msg));
            }
            anyhow::bail!("{}", say(&i18n::Msg::new("import.rows_failed").arg("count", errors.len())))
        }
        Err(ImportError::Branch) => anyhow::bail!("--branch: {}", say(&i18n::Msg::new("import.branch_unavailable"))),
        Err(e) => Err(e.into()),
    }
}
