//! The command line: `convene serve` (the default), `convene migrate`, `convene organizer ...`,
//! `convene sweep`, backup, export and import.

use std::io::Read;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{DatabaseSettings, Settings};
use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::organizer;
use crate::db::{self, write_transaction, DbConnection};
use crate::domain::organizer::{Password, Role};
use crate::domain::{text, EmailAddress};
use crate::error::AppError;
use crate::startup::Application;

#[derive(Parser)]
#[command(
    name = "convene",
    version,
    about = "Invite-only event registration and invitations"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web application and API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage organizer accounts.
    #[command(subcommand)]
    Organizer(OrganizerCommand),
    /// Copy the SQLite database to FILE while the service runs (PostgreSQL: use pg_dump).
    Backup {
        /// The new file; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Write one event and all its data as JSON to standard output (or --output FILE).
    Export {
        /// The event's slug.
        #[arg(long)]
        event: String,
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Add an event exported with `convene export` to this database (`-` reads standard input).
    Import { file: std::path::PathBuf },
    /// Run one pass of the time-based work now (reminders, survey waves, award lapses,
    /// retention) and print what it did; the running service sends the mail it queued.
    Sweep {
        /// Act as if at this time (RFC 3339, e.g. 2027-03-01T09:00:00Z); default: now.
        #[arg(long, value_parser = parse_time)]
        as_of: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn parse_time(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("not an RFC 3339 time ({e}), e.g. 2027-03-01T09:00:00Z"))
}

#[derive(Subcommand)]
enum OrganizerCommand {
    /// Create an organizer; the password is read from standard input.
    Create(CreateArgs),
    /// List organizers.
    List,
    /// Set an organizer's password, read from standard input.
    SetPassword(SetPasswordArgs),
    /// Disable an organizer and end their sessions.
    Disable(EmailArg),
}

#[derive(Args)]
struct CreateArgs {
    #[arg(long)]
    email: String,
    #[arg(long)]
    name: String,
    #[arg(long, value_enum)]
    role: Role,
    /// Read the password from standard input (required: passwords never go on the command line).
    #[arg(long, required = true)]
    password_stdin: bool,
}

#[derive(Args)]
struct SetPasswordArgs {
    #[arg(long)]
    email: String,
    #[arg(long, required = true)]
    password_stdin: bool,
}

#[derive(Args)]
struct EmailArg {
    #[arg(long)]
    email: String,
}

/// Parses the command line and runs it; configuration and command errors exit non-zero.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("convene: {e}");
            return ExitCode::from(2);
        }
    };
    crate::telemetry::init(settings.log_format);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => migrate(&settings.database),
        Command::Organizer(cmd) => organizer_command(&settings.database, cmd),
        Command::Backup { file } => backup(&settings.database, &file),
        Command::Export { event, output } => export(&settings.database, &event, output.as_deref()),
        Command::Import { file } => import(&settings.database, &file),
        Command::Sweep { as_of } => sweep(&settings, as_of.unwrap_or_else(chrono::Utc::now)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("convene: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async move {
        let backend = settings.database.url.backend_name();
        let app = Application::build(settings.clone()).await?;
        tracing::info!(
            address = %format!("{}:{}", settings.server.bind.ip(), app.port()),
            database = backend,
            base_url = %settings.server.base_url,
            "convene is listening"
        );
        app.run_until_stopped().await?;
        tracing::info!("convene stopped");
        Ok(())
    })
}

fn connect(settings: &DatabaseSettings) -> anyhow::Result<DbConnection> {
    let factory = db::ConnectionFactory::new(settings.url.clone(), settings.sqlite_synchronous);
    let mut conn = factory.connect()?;
    db::run_migrations(&mut conn)?;
    Ok(conn)
}

fn migrate(settings: &DatabaseSettings) -> anyhow::Result<()> {
    let factory = db::ConnectionFactory::new(settings.url.clone(), settings.sqlite_synchronous);
    let mut conn = factory.connect()?;
    let applied = db::run_migrations(&mut conn)?;
    println!(
        "applied {} migration(s){}",
        applied.len(),
        if applied.is_empty() { "" } else { ":" }
    );
    for version in applied {
        println!("  {version}");
    }
    Ok(())
}

fn backup(settings: &DatabaseSettings, file: &std::path::Path) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    db::backup_sqlite(&mut conn, file)?;
    println!("backed up the database to {}", file.display());
    Ok(())
}

fn export(
    settings: &DatabaseSettings,
    slug: &str,
    output: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    let data = db::transfer::export(&mut conn, slug)?;
    let json = serde_json::to_vec_pretty(&data)?;
    match output {
        Some(path) => std::fs::write(path, json)?,
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            out.write_all(&json)?;
            out.write_all(b"\n")?;
        }
    }
    Ok(())
}

fn import(settings: &DatabaseSettings, file: &std::path::Path) -> anyhow::Result<()> {
    let raw = if file.as_os_str() == "-" {
        let mut raw = Vec::new();
        std::io::stdin().read_to_end(&mut raw)?;
        raw
    } else {
        std::fs::read(file)?
    };
    let data: db::transfer::EventExport =
        serde_json::from_slice(&raw).map_err(|e| anyhow::anyhow!("not an event export: {e}"))?;
    let slug = data.event.slug.clone();
    let mut conn = connect(settings)?;
    let summary = db::transfer::import(&mut conn, data)?;
    println!(
        "imported event {slug}: {} rows; organizers {} added, {} already here; communities {} added, {} already here",
        summary.rows_added,
        summary.organizers_added,
        summary.organizers_reused,
        summary.communities_added,
        summary.communities_reused
    );
    Ok(())
}

fn sweep(settings: &Settings, as_of: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    let mut conn = connect(&settings.database)?;
    let report = crate::workflows::sweep::sweep(
        &mut conn,
        &crate::workflows::sweep::SweepSettings::of(&settings.server.base_url, &settings.jobs),
        as_of,
    );
    println!("swept as of {}", as_of.to_rfc3339());
    for (what, n) in &report.counts {
        println!("  {what}: {n}");
    }
    for (task, e) in &report.failed {
        eprintln!("convene: the sweep of {task} failed: {e}");
    }
    if report.failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("{} task(s) of the sweep failed", report.failed.len())
    }
}

fn read_password() -> anyhow::Result<Password> {
    let mut raw = String::new();
    std::io::stdin().read_to_string(&mut raw)?;
    let raw = raw
        .strip_suffix('\n')
        .map(|r| r.strip_suffix('\r').unwrap_or(r))
        .unwrap_or(&raw);
    Password::parse(raw.to_owned()).map_err(|m| anyhow::anyhow!("password {m}"))
}

fn organizer_command(settings: &DatabaseSettings, cmd: OrganizerCommand) -> anyhow::Result<()> {
    let mut conn = connect(settings)?;
    match cmd {
        OrganizerCommand::Create(args) => {
            let email =
                EmailAddress::parse(&args.email).map_err(|m| anyhow::anyhow!("email {m}"))?;
            let name =
                text::single_line(&args.name, 200).map_err(|m| anyhow::anyhow!("name {m}"))?;
            let password = read_password()?;
            let hash = crate::auth::PasswordHasher::hash_now(password.expose())?;
            let created = create_organizer(&mut conn, &email, &name, args.role, &hash)?;
            println!(
                "created {} organizer {} <{}> ({})",
                created.role, created.name, created.email, created.id
            );
        }
        OrganizerCommand::List => {
            for o in organizer::list(&mut conn)? {
                let state = if o.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!("{}\t{}\t{}\t{}\t{}", o.id, o.email, o.role, state, o.name);
            }
        }
        OrganizerCommand::SetPassword(args) => {
            let found = find(&mut conn, &args.email)?;
            let password = read_password()?;
            let hash = crate::auth::PasswordHasher::hash_now(password.expose())?;
            write_transaction(&mut conn, |conn| {
                organizer::set_password(conn, &found.id, &hash)?;
                // A new password ends every session opened with the old one.
                db::models::session::delete_for_organizer(conn, &found.id)?;
                record(conn, "organizer.password_set", &found.id)
            })?;
            println!("password changed for {}", found.email);
        }
        OrganizerCommand::Disable(args) => {
            let found = find(&mut conn, &args.email)?;
            write_transaction(&mut conn, |conn| {
                organizer::disable(conn, &found.id)?;
                record(conn, "organizer.disabled", &found.id)
            })?;
            println!("disabled {}", found.email);
        }
    }
    Ok(())
}

/// Creates an organizer and records it in the audit log (also used by tests and benchmarks).
pub fn create_organizer(
    conn: &mut DbConnection,
    email: &EmailAddress,
    name: &str,
    role: Role,
    password_hash: &str,
) -> Result<organizer::Organizer, AppError> {
    write_transaction(conn, |conn| {
        let created = organizer::create(conn, email, name, role, password_hash)?;
        audit::record(
            conn,
            &Actor::cli(),
            Entry::new("organizer.created", "organizer", &created.id, None).after(audit::state(
                &serde_json::json!({ "email": created.email, "name": created.name, "role": created.role }),
            )),
        )?;
        Ok(created)
    })
}

fn find(conn: &mut DbConnection, email: &str) -> anyhow::Result<organizer::Organizer> {
    organizer::find_by_email(conn, email)?
        .ok_or_else(|| anyhow::anyhow!("no organizer with the email {email}"))
}

fn record(conn: &mut DbConnection, action: &str, id: &str) -> Result<(), AppError> {
    audit::record(
        conn,
        &Actor::cli(),
        Entry::new(action, "organizer", id, None),
    )
}
