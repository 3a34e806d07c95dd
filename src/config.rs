//! Settings read from the environment; every variable has a default.

mod bounce_imap;
mod dkim;
mod smtp;
mod webhooks;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use url::Url;

pub use bounce_imap::BounceImapSettings;
pub use dkim::DkimSettings;
pub use smtp::{ExtraCa, HeloName, SmtpCredentials, SmtpSettings, SmtpTls};
pub use webhooks::WebhookSettings;

/// Where the data lives, picked from the scheme of `DATABASE_URL`. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://PATH`: an embedded database file, created if missing.
    Sqlite(PathBuf),
    /// `postgres://...` or `postgresql://...`, passed to libpq as is.
    Postgres(String),
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "Sqlite({path:?})"),
            Self::Postgres(url) => write!(f, "Postgres({:?})", redacted(url)),
        }
    }
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if let Some(rest) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            if rest.is_empty() {
                return Err("a sqlite URL needs a file path, e.g. sqlite://convene.db".into());
            }
            return Ok(Self::Sqlite(PathBuf::from(rest)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Url::parse(raw).map_err(|e| format!("not a valid PostgreSQL URL: {e}"))?;
            return Ok(Self::Postgres(raw.to_owned()));
        }
        Err("expected sqlite://PATH or postgres://USER@HOST/DB".into())
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgresql",
        }
    }
}

/// SQLite's `synchronous` pragma: `FULL` is durable on power loss, `NORMAL` is faster.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SqliteSync {
    Full,
    Normal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// Everything the service needs to run, in the parts each layer takes: the pool takes
/// [`DatabaseSettings`], the email transport and worker [`EmailSettings`], the rate
/// limiter [`LimitSettings`], the sweeper [`JobSettings`], and so on. Built by
/// [`Settings::from_env`], or by tests through [`Settings::from_lookup`]. Its `Debug`
/// hides the passwords of the database and SMTP URLs and the bearer tokens.
#[derive(Clone, Debug)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub email: EmailSettings,
    pub auth: AuthSettings,
    pub limits: LimitSettings,
    pub jobs: JobSettings,
    /// Webhook deliveries: retries, polling, timeout, disabling.
    pub webhooks: WebhookSettings,
    pub log_format: LogFormat,
}

/// The HTTP server: where it listens, how it is reached, and how long clients may take.
#[derive(Clone, Debug)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    /// Where people reach the service: the links in pages and emails start with it.
    pub base_url: Url,
    /// HTTP worker threads (default: one per core).
    pub workers: usize,
    /// How long a client may take to send a request's head (and then its body) before
    /// the connection is answered 408 and closed: slow clients cannot hold connections.
    pub client_timeout: Duration,
}

impl ServerSettings {
    /// Cookies get `Secure` only when the service is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// The origin (`scheme://host[:port]`) that browsers send in `Origin` for our own pages.
    pub fn origin(&self) -> String {
        self.base_url.origin().ascii_serialization()
    }
}

/// The database and the pool of connections to it.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    pub sqlite_synchronous: SqliteSync,
    /// How long a request waits for a database connection before it is answered 503.
    pub wait: Duration,
}

/// How emails are sent, signed and retried.
#[derive(Clone, Debug)]
pub struct EmailSettings {
    /// `CONVENE_SMTP_URL` and its companions; None: emails are written as `.eml` files.
    pub smtp: Option<SmtpSettings>,
    /// `CONVENE_DKIM_SELECTOR` and `CONVENE_DKIM_KEY_FILE`; None: mail is not signed.
    pub dkim: Option<DkimSettings>,
    pub mail_dir: PathBuf,
    /// `CONVENE_MAIL_FROM`, parsed here once: the transport takes it as it is.
    pub mail_from: Mailbox,
    /// The longest wait between two attempts to send an email (the backoff doubles up to it).
    pub retry_cap: Duration,
    /// How long an email is retried after transient failures before it is marked failed.
    pub give_up_after: Duration,
    /// How often the email worker looks for due mail when nothing wakes it.
    pub poll_interval: Duration,
    /// The longest one delivery may take; a claim on an email lasts half as long again.
    pub send_timeout: Duration,
}

/// Sessions and the bearer tokens of the endpoints for machines. Its `Debug` hides the
/// tokens.
#[derive(Clone)]
pub struct AuthSettings {
    pub session_ttl: Duration,
    /// If set, `/metrics` asks for `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// If set, bounce reports may be posted to `/bounces` with `Authorization: Bearer <token>`.
    pub bounce_token: Option<String>,
}

impl std::fmt::Debug for AuthSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthSettings")
            .field("session_ttl", &self.session_ttl)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("bounce_token", &self.bounce_token.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Limits per client address, raised by load tests and fuzzers.
#[derive(Clone, Copy, Debug)]
pub struct LimitSettings {
    /// Unknown invitation or manage tokens one client address may try per 10 minutes.
    pub token_misses: u32,
    /// Requests for an invitation one client address may send per hour.
    pub invitation_requests: u32,
    /// Failed logins per client address per 15 minutes (`CONVENE_LOGIN_ADDRESS_LIMIT`).
    pub failed_logins: u32,
}

/// The sweeper of time-based work.
#[derive(Clone, Debug)]
pub struct JobSettings {
    /// How often it looks for work (scholarship awards to remind or lapse, ...).
    pub sweep_interval: Duration,
    /// `CONVENE_BOUNCE_IMAP_URL`: the mailbox of bounces it reads, if set.
    pub bounce_imap: Option<BounceImapSettings>,
}

/// A URL with its password, if any, replaced by `***`.
pub fn redacted(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(unparseable URL)".to_owned(),
    }
}

/// A configuration variable that could not be understood.
#[derive(Debug, thiserror::Error)]
#[error("invalid {name}: {message}")]
pub struct ConfigError {
    pub name: &'static str,
    pub message: String,
}

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    /// The variables are read in one order across the parts (the first bad one is named).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &'static str, default: &str| {
            lookup(name)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let err = |name: &'static str| move |message: String| ConfigError { name, message };

        let database_url = DatabaseUrl::parse(&get("DATABASE_URL", "sqlite://convene.db"))
            .map_err(err("DATABASE_URL"))?;
        let bind = get("CONVENE_BIND", "127.0.0.1:8080")
            .parse::<SocketAddr>()
            .map_err(|e| {
                err("CONVENE_BIND")(format!("{e} (expected HOST:PORT, e.g. 127.0.0.1:8080)"))
            })?;
        let base_url = parse_http_url(&get("CONVENE_BASE_URL", "http://127.0.0.1:8080"))
            .map_err(err("CONVENE_BASE_URL"))?;
        let smtp = SmtpSettings::from_lookup(&lookup)?;
        let bounce_imap = BounceImapSettings::from_lookup(&lookup)?;
        let dkim = DkimSettings::from_lookup(&lookup)?;
        let mail_dir = PathBuf::from(get("CONVENE_MAIL_DIR", "mail"));
        let mail_from = get("CONVENE_MAIL_FROM", "convene <no-reply@localhost>")
            .parse::<Mailbox>()
            .map_err(|e| {
                err("CONVENE_MAIL_FROM")(format!(
                    "{e} (expected e.g. convene <no-reply@example.org>)"
                ))
            })?;
        let default_pool = match database_url {
            DatabaseUrl::Sqlite(_) => "8",
            DatabaseUrl::Postgres(_) => "16",
        };
        let db_pool_size = get("CONVENE_DB_POOL_SIZE", default_pool)
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=512).contains(n))
            .ok_or_else(|| err("CONVENE_DB_POOL_SIZE")("expected a number from 1 to 512".into()))?;
        let sqlite_synchronous = match get("CONVENE_SQLITE_SYNCHRONOUS", "FULL")
            .to_ascii_uppercase()
            .as_str()
        {
            "FULL" => SqliteSync::Full,
            "NORMAL" => SqliteSync::Normal,
            _ => {
                return Err(err("CONVENE_SQLITE_SYNCHRONOUS")(
                    "expected FULL or NORMAL".into(),
                ))
            }
        };
        let session_hours = get("CONVENE_SESSION_HOURS", "12")
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=24 * 30).contains(n))
            .ok_or_else(|| err("CONVENE_SESSION_HOURS")("expected hours from 1 to 720".into()))?;
        let log_format = match get("CONVENE_LOG_FORMAT", "text")
            .to_ascii_lowercase()
            .as_str()
        {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => return Err(err("CONVENE_LOG_FORMAT")("expected text or json".into())),
        };
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let workers = get("CONVENE_WORKERS", &cores.to_string())
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=256).contains(n))
            .ok_or_else(|| err("CONVENE_WORKERS")("expected a number from 1 to 256".into()))?;
        let email_retry_cap = get("CONVENE_EMAIL_RETRY_CAP_SECS", "60")
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=86_400).contains(n))
            .ok_or_else(|| {
                err("CONVENE_EMAIL_RETRY_CAP_SECS")("expected seconds from 1 to 86400".into())
            })?;
        let email_give_up_hours = get("CONVENE_EMAIL_GIVE_UP_HOURS", "72")
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=24 * 30).contains(n))
            .ok_or_else(|| {
                err("CONVENE_EMAIL_GIVE_UP_HOURS")("expected hours from 1 to 720".into())
            })?;
        let email_poll_ms = get("CONVENE_EMAIL_POLL_MS", "1000")
            .parse::<u64>()
            .ok()
            .filter(|n| (10..=600_000).contains(n))
            .ok_or_else(|| {
                err("CONVENE_EMAIL_POLL_MS")("expected milliseconds from 10 to 600000".into())
            })?;
        let sweep_ms = get("CONVENE_SWEEP_INTERVAL_MS", "60000")
            .parse::<u64>()
            .ok()
            .filter(|n| (10..=86_400_000).contains(n))
            .ok_or_else(|| {
                err("CONVENE_SWEEP_INTERVAL_MS")("expected milliseconds from 10 to 86400000".into())
            })?;
        // Limits per client address, raised by load tests and fuzzers.
        let limit = |name: &'static str, default: &str| {
            get(name, default)
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=10_000_000).contains(n))
                .ok_or_else(|| err(name)("expected a number from 1 to 10000000".into()))
        };
        let token_miss_limit = limit("CONVENE_TOKEN_MISS_LIMIT", "30")?;
        let invitation_request_limit = limit("CONVENE_INVITATION_REQUEST_LIMIT", "10")?;
        let login_address_limit = limit("CONVENE_LOGIN_ADDRESS_LIMIT", "20")?;
        let client_timeout_ms = get("CONVENE_CLIENT_TIMEOUT_MS", "10000")
            .parse::<u64>()
            .ok()
            .filter(|n| (100..=600_000).contains(n))
            .ok_or_else(|| {
                err("CONVENE_CLIENT_TIMEOUT_MS")("expected milliseconds from 100 to 600000".into())
            })?;
        let email_send_timeout = get("CONVENE_EMAIL_SEND_TIMEOUT_SECS", "40")
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=600).contains(n))
            .ok_or_else(|| {
                err("CONVENE_EMAIL_SEND_TIMEOUT_SECS")("expected seconds from 1 to 600".into())
            })?;
        let db_wait_ms = get("CONVENE_DB_WAIT_MS", "5000")
            .parse::<u64>()
            .ok()
            .filter(|n| (100..=60_000).contains(n))
            .ok_or_else(|| {
                err("CONVENE_DB_WAIT_MS")("expected milliseconds from 100 to 60000".into())
            })?;
        let metrics_token = bearer_token(&lookup, "CONVENE_METRICS_TOKEN")?;
        let bounce_token = bearer_token(&lookup, "CONVENE_BOUNCE_TOKEN")?;
        let webhooks = WebhookSettings::from_lookup(&lookup)?;
        Ok(Self {
            server: ServerSettings {
                bind,
                base_url,
                workers,
                client_timeout: Duration::from_millis(client_timeout_ms),
            },
            database: DatabaseSettings {
                url: database_url,
                pool_size: db_pool_size,
                sqlite_synchronous,
                wait: Duration::from_millis(db_wait_ms),
            },
            email: EmailSettings {
                smtp,
                dkim,
                mail_dir,
                mail_from,
                retry_cap: Duration::from_secs(email_retry_cap),
                give_up_after: Duration::from_secs(email_give_up_hours * 3600),
                poll_interval: Duration::from_millis(email_poll_ms),
                send_timeout: Duration::from_secs(email_send_timeout),
            },
            auth: AuthSettings {
                session_ttl: Duration::from_secs(session_hours * 3600),
                metrics_token,
                bounce_token,
            },
            limits: LimitSettings {
                token_misses: token_miss_limit,
                invitation_requests: invitation_request_limit,
                failed_logins: login_address_limit,
            },
            jobs: JobSettings {
                sweep_interval: Duration::from_millis(sweep_ms),
                bounce_imap,
            },
            webhooks,
            log_format,
        })
    }
}

/// A secret that a client presents as a bearer token: unset (or blank) is `None`; a set
/// one has at least 16 characters, so that it cannot be guessed by trying.
fn bearer_token(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<Option<String>, ConfigError> {
    match lookup(name).filter(|v| !v.trim().is_empty()) {
        Some(t) if t.trim().len() < 16 => Err(ConfigError {
            name,
            message: "expected at least 16 characters".into(),
        }),
        other => Ok(other.map(|t| t.trim().to_owned())),
    }
}

fn parse_http_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim())
        .map_err(|e| format!("{e} (expected e.g. https://events.example.org)"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http or https URL with a host".into());
    }
    Ok(url)
}

#[cfg(test)]
mod tests;
