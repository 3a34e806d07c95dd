//! Fault tests: the real binary (`convene serve`) run as a child process, then killed,
//! stopped, starved of its database or its disk, several at once on one database. Each
//! test prints its figures on a line starting with `FIGURES` and appends that line to
//! `$CONVENE_FIGURES_FILE` when it is set (scripts/test.sh prints them after each run).

mod crash;
mod disk;
mod instances;
mod postgres_outage;
mod shutdown;

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use convene::domain::organizer::Role;
use convene::domain::{EmailAddress, SecretToken};
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{event_body, Session, TestResponse, PASSWORD};
use crate::smtp::{ReceivedEmail, TestSmtp};

/// Prints one test's figures and appends them to `$CONVENE_FIGURES_FILE`.
pub fn report_figures(test: &str, backend: &str, figures: &[(&str, String)]) {
    let mut line = format!("FIGURES {test} [{backend}]:");
    for (name, value) in figures {
        line.push_str(&format!(" {name}={value}"));
    }
    eprintln!("{line}");
    if let Ok(path) = std::env::var("CONVENE_FIGURES_FILE") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}

/// A port outside the kernel's ephemeral range, free now, so that a restarted server
/// can listen on it again (the links in emails name it).
pub fn free_port() -> u16 {
    for _ in 0..200 {
        let port = rand::random_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port");
}

/// A 2 s send timeout, so that a claim on an email lasts 3 s: mail claimed by a killed
/// process goes out soon after the restart. Only for a single instance: with several,
/// a claim must outlast a send and its recording, or two instances may send one email.
pub const SHORT_CLAIMS: (&str, &str) = ("CONVENE_EMAIL_SEND_TIMEOUT_SECS", "2");

/// `convene serve` as a child process.
pub struct Server {
    child: Option<Child>,
    pub port: u16,
    pub address: String,
    db_url: String,
    env: Vec<(String, String)>,
    log: PathBuf,
    _dir: tempfile::TempDir,
    pub client: awc::Client,
}

impl Server {
    /// Starts the binary on `port` with this database, sending mail to `smtp`, with
    /// quick email retries. Tests that kill a process shorten its claims on emails with
    /// [`SHORT_CLAIMS`].
    pub fn start(db_url: &str, smtp: &TestSmtp, port: u16, extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let address = format!("http://127.0.0.1:{port}");
        let mut env: Vec<(String, String)> = [
            ("DATABASE_URL", db_url),
            ("CONVENE_BIND", &format!("127.0.0.1:{port}")),
            ("CONVENE_BASE_URL", &address),
            ("CONVENE_SMTP_URL", &smtp.url()),
            (
                "CONVENE_MAIL_DIR",
                &dir.path().join("mail").display().to_string(),
            ),
            ("CONVENE_WORKERS", "2"),
            ("CONVENE_EMAIL_RETRY_CAP_SECS", "1"),
            ("CONVENE_EMAIL_POLL_MS", "200"),
            // Long, as in the harness: only the outage test wants quick 503s, and sets its own.
            ("CONVENE_DB_WAIT_MS", "30000"),
            ("RUST_LOG", "info"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        for (k, v) in extra {
            env.retain(|(name, _)| name != k);
            env.push(((*k).to_owned(), (*v).to_owned()));
        }
        let mut server = Self {
            child: None,
            port,
            address,
            db_url: db_url.to_owned(),
            env,
            log: dir.path().join("server.log"),
            _dir: dir,
            client: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_convene"))
            .arg("serve")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("the binary starts");
        self.child = Some(child);
    }

    /// Waits until `/healthz` answers (migrations are applied before the server listens).
    pub async fn ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("the server exited with {status}:\n{}", self.log_text());
            }
            if let Ok(res) = self
                .client
                .get(format!("{}/healthz", self.address))
                .timeout(Duration::from_secs(2))
                .send()
                .await
            {
                if res.status().is_success() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "the server did not start:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: the process dies at once, with whatever it was doing half done.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM: the process is asked to stop gracefully.
    pub fn terminate(&self) {
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for the process to exit (after [`Self::terminate`]), at most `limit`.
    pub async fn exited(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            let child = self.child.as_mut().expect("running");
            if let Some(status) = child.try_wait().expect("wait") {
                self.child = None;
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {limit:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts the binary again on the same port and database.
    pub async fn restart(&mut self) {
        assert!(self.child.is_none(), "stop it first");
        self.spawn();
        self.ready().await;
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The last warnings and errors in the server's log, for failure messages.
    pub fn log_problems(&self) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR"))
            .collect();
        lines[lines.len().saturating_sub(10)..].join("\n")
    }

    /// A connection to the server's database, outside the server.
    pub fn connect(&self) -> convene::db::DbConnection {
        let url = convene::config::DatabaseUrl::parse(&self.db_url).expect("URL");
        convene::db::ConnectionFactory::new(url, convene::config::SqliteSync::Full)
            .connect()
            .expect("connect")
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        session: Option<&Session>,
    ) -> Result<TestResponse, String> {
        request(&self.client, &self.address, method, path, body, session).await
    }

    /// A GET that must be answered.
    pub async fn get(&self, path: &str, session: Option<&Session>) -> TestResponse {
        self.request(Method::GET, path, None, session)
            .await
            .unwrap_or_else(|e| panic!("GET {path} got no answer: {e}"))
    }

    /// Creates an admin in the database (as the CLI does) and signs in.
    pub async fn admin(&self) -> Session {
        let email = format!("admin-{}@example.org", uuid::Uuid::new_v4().simple());
        let hash = convene::auth::PasswordHasher::hash_now(PASSWORD).expect("hash");
        let parsed = EmailAddress::parse(&email).expect("email");
        convene::cli::create_organizer(&mut self.connect(), &parsed, "Admin", Role::Admin, &hash)
            .expect("organizer");
        let res = self
            .request(
                Method::POST,
                "/api/v1/auth/login",
                Some(&json!({ "email": email, "password": PASSWORD })),
                None,
            )
            .await
            .expect("login answered");
        assert_eq!(res.status, 200, "login failed: {}", res.text());
        let cookie = res
            .header("set-cookie")
            .and_then(|c| c.split(';').next().map(str::to_owned))
            .expect("a session cookie");
        Session {
            cookie,
            organizer: res.json(),
        }
    }

    /// Creates an open event with this capacity.
    pub async fn event(&self, admin: &Session, slug: &str, capacity: i64) -> Value {
        let mut body = event_body(slug);
        body["capacity"] = json!(capacity);
        let res = self
            .request(Method::POST, "/api/v1/events", Some(&body), Some(admin))
            .await
            .expect("answered");
        assert_eq!(res.status, 201, "{}", res.text());
        res.json()
    }

    /// Invites `count` people in one bulk upload and returns (email, token) for each,
    /// the tokens read from the invitation emails.
    pub async fn invite(
        &self,
        smtp: &TestSmtp,
        admin: &Session,
        slug: &str,
        prefix: &str,
        count: usize,
    ) -> Vec<(String, String)> {
        let emails: Vec<String> = (0..count)
            .map(|i| format!("{prefix}{i}@example.org"))
            .collect();
        let rows: Vec<Value> = emails
            .iter()
            .enumerate()
            .map(|(i, e)| {
                json!({
                    "email": e, "full_name": format!("Guest {i}"), "title": "City Manager",
                    "community": { "name": format!("Town {prefix}{i}"), "state": "IL" },
                })
            })
            .collect();
        let res = self
            .request(
                Method::POST,
                &format!("/api/v1/events/{slug}/invitations/bulk"),
                Some(&json!(rows)),
                Some(admin),
            )
            .await
            .expect("answered");
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["created"], count, "{}", res.text());
        let mut out = Vec::with_capacity(count);
        for email in emails {
            let mail = smtp
                .wait_for_emails_within(&email, 1, Duration::from_secs(60))
                .await
                .remove(0);
            let token = crate::invitations::token_from(&mail);
            out.push((email, token));
        }
        out
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends a request; `Err` when no answer came (connection refused or cut).
pub async fn request(
    client: &awc::Client,
    address: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
    session: Option<&Session>,
) -> Result<TestResponse, String> {
    let mut req = client.request(method, format!("{address}{path}"));
    if let Some(s) = session {
        req = req.insert_header(("cookie", s.cookie.clone()));
    }
    let sent = match body {
        Some(b) => {
            req.insert_header(("content-type", "application/json"))
                .send_body(serde_json::to_vec(b).expect("json"))
                .await
        }
        None => req.send().await,
    };
    let mut res = sent.map_err(|e| e.to_string())?;
    let body = res
        .body()
        .limit(64 * 1024 * 1024)
        .await
        .map_err(|e| e.to_string())?
        .to_vec();
    Ok(TestResponse {
        status: res.status().as_u16(),
        headers: res.headers().clone(),
        body,
    })
}

/// Sends a request; a 503 (the database pool busy past `CONVENE_DB_WAIT_MS` on a loaded
/// machine: nothing was done) is sent again after a pause, as its `Retry-After` asks,
/// up to 20 times.
pub async fn request_retrying_busy(
    client: &awc::Client,
    address: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
    session: Option<&Session>,
) -> Result<TestResponse, String> {
    let mut tries = 0;
    loop {
        let res = request(client, address, method.clone(), path, body, session).await;
        match res {
            Ok(r) if r.status == 503 && tries < 20 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

/// A registration form for `email`.
pub fn registration_form(email: &str) -> Value {
    let mut body = crate::registration::registration_body(email);
    body["full_name"] = json!(format!("Guest {email}"));
    body
}

/// What one registration attempt got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx: the service acknowledged the registration.
    Acknowledged(u16),
    /// Another status (its body kept for the failure message).
    Refused(u16, String),
    /// No answer at all: the connection was refused or cut.
    NoAnswer,
}

/// Registers every (email, token) at `concurrency`, spreading the requests over
/// `addresses` in turn.
pub async fn register_all(
    addresses: &[String],
    people: &[(String, String)],
    concurrency: usize,
) -> (HashMap<String, Outcome>, Arc<AtomicUsize>) {
    register_all_with(addresses, people, concurrency, None).await
}

/// [`register_all`], each form asking for this travel scholarship if given.
pub async fn register_all_with(
    addresses: &[String],
    people: &[(String, String)],
    concurrency: usize,
    scholarship: Option<Value>,
) -> (HashMap<String, Outcome>, Arc<AtomicUsize>) {
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let results = register_all_counting(
        addresses,
        people,
        concurrency,
        &acknowledged,
        scholarship,
        true,
    )
    .await;
    (results, acknowledged)
}

/// [`register_all_with`] with a counter of acknowledgements the caller can watch;
/// `retry_busy` sends a 503 again (see [`request_retrying_busy`]).
pub async fn register_all_counting(
    addresses: &[String],
    people: &[(String, String)],
    concurrency: usize,
    acknowledged: &Arc<AtomicUsize>,
    scholarship: Option<Value>,
    retry_busy: bool,
) -> HashMap<String, Outcome> {
    let queue: Arc<Mutex<Vec<(usize, String, String)>>> = Arc::new(Mutex::new(
        people
            .iter()
            .enumerate()
            .rev()
            .map(|(i, (e, t))| (i, e.clone(), t.clone()))
            .collect(),
    ));
    let results = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let queue = Arc::clone(&queue);
        let results = Arc::clone(&results);
        let acknowledged = Arc::clone(acknowledged);
        let addresses = addresses.to_vec();
        let scholarship = scholarship.clone();
        tasks.push(actix_web::rt::spawn(async move {
            let client = awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish();
            loop {
                let Some((i, email, token)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let address = &addresses[i % addresses.len()];
                let mut form = registration_form(&email);
                if let Some(s) = &scholarship {
                    form["travel_scholarship"] = s.clone();
                }
                let path = format!("/api/v1/invitations/{token}/registration");
                let res = if retry_busy {
                    request_retrying_busy(&client, address, Method::POST, &path, Some(&form), None)
                        .await
                } else {
                    request(&client, address, Method::POST, &path, Some(&form), None).await
                };
                let outcome = match res {
                    Ok(r) if (200..300).contains(&r.status) => {
                        acknowledged.fetch_add(1, Ordering::SeqCst);
                        Outcome::Acknowledged(r.status)
                    }
                    Ok(r) => Outcome::Refused(r.status, r.text()),
                    Err(_) => Outcome::NoAnswer,
                };
                results.lock().unwrap().insert(email, outcome);
            }
        }));
    }
    for t in tasks {
        t.await.expect("a load task");
    }
    let results = results.lock().unwrap().clone();
    results
}

/// What the database holds about the registrations of an event.
pub struct Stored {
    /// Registered email addresses, each with its status.
    pub registrations: HashMap<String, String>,
    /// Invitations with more than one registration (must be none).
    pub invitations_registered_twice: i64,
    pub seats_taken: i32,
    /// Tokens whose invitation has a registration.
    pub registered_tokens: HashSet<String>,
}

pub fn stored(conn: &mut convene::db::DbConnection, slug: &str, tokens: &[String]) -> Stored {
    use convene::db::schema::{events, invitations, registrations};
    let (event_id, seats_taken): (String, i32) = events::table
        .filter(events::slug.eq(slug))
        .select((events::id, events::seats_taken))
        .first(conn)
        .expect("the event");
    let rows: Vec<(String, String, String)> = registrations::table
        .filter(registrations::event_id.eq(&event_id))
        .select((
            registrations::email,
            registrations::status,
            registrations::invitation_id,
        ))
        .load(conn)
        .expect("registrations");
    let mut per_invitation: HashMap<&str, i64> = HashMap::new();
    for (_, _, inv) in &rows {
        *per_invitation.entry(inv.as_str()).or_default() += 1;
    }
    let registered_invitations: HashSet<String> = rows.iter().map(|r| r.2.clone()).collect();
    let hashes: Vec<(String, String)> = invitations::table
        .filter(invitations::event_id.eq(&event_id))
        .select((invitations::id, invitations::token_hash))
        .load(conn)
        .expect("invitations");
    let by_hash: HashMap<String, String> = hashes.into_iter().map(|(id, h)| (h, id)).collect();
    let registered_tokens = tokens
        .iter()
        .filter(|t| {
            let hash = SecretToken::parse(t).expect("a token").hash();
            by_hash
                .get(&hash)
                .is_some_and(|id| registered_invitations.contains(id))
        })
        .cloned()
        .collect();
    Stored {
        invitations_registered_twice: per_invitation.values().filter(|n| **n > 1).count() as i64,
        registrations: rows
            .into_iter()
            .map(|(email, status, _)| (email, status))
            .collect(),
        seats_taken,
        registered_tokens,
    }
}

/// Waits until the outbox has no pending email left (sent or failed), up to `limit`.
pub async fn outbox_drained(conn: &mut convene::db::DbConnection, limit: Duration) {
    use convene::db::schema::emails;
    let deadline = Instant::now() + limit;
    loop {
        let pending: i64 = emails::table
            .filter(emails::status.eq("pending"))
            .count()
            .get_result(conn)
            .expect("count");
        if pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} email(s) still pending after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Emails of the outbox with a status other than `sent` (must be none).
pub fn unsent_emails(
    conn: &mut convene::db::DbConnection,
) -> Vec<(String, String, Option<String>)> {
    use convene::db::schema::emails;
    emails::table
        .filter(emails::status.ne("sent"))
        .select((emails::recipient, emails::status, emails::last_error))
        .load(conn)
        .expect("emails")
}

/// Counts the registration emails (registered or waiting list) each registrant received.
pub struct Deliveries {
    /// Registrants with no confirmation.
    pub missing: Vec<String>,
    /// Registrants with two or more different confirmations.
    pub duplicated: Vec<String>,
    /// Copies of one message (same Message-ID) delivered again: at-least-once delivery
    /// after a crash between the SMTP server's acceptance and its recording.
    pub redelivered: usize,
    pub delivered: usize,
}

pub fn confirmations(smtp: &TestSmtp, registrants: &[String]) -> Deliveries {
    let mut d = Deliveries {
        missing: Vec::new(),
        duplicated: Vec::new(),
        redelivered: 0,
        delivered: 0,
    };
    let received: Vec<ReceivedEmail> = smtp.received();
    for email in registrants {
        let mine: Vec<&ReceivedEmail> = received
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(email)))
            .filter(|m| {
                m.subject.starts_with("You're registered")
                    || m.subject.starts_with("You're on the waiting list")
            })
            .collect();
        let ids: HashSet<&str> = mine.iter().map(|m| m.message_id.as_str()).collect();
        d.delivered += ids.len();
        d.redelivered += mine.len() - ids.len();
        match ids.len() {
            0 => d.missing.push(email.clone()),
            1 => {}
            _ => d.duplicated.push(email.clone()),
        }
    }
    d
}

/// SQLite's `PRAGMA integrity_check`: "ok" for an intact database.
pub fn integrity_check(conn: &mut convene::db::DbConnection) -> String {
    #[derive(diesel::QueryableByName)]
    struct Check {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let rows: Vec<Check> = diesel::sql_query("PRAGMA integrity_check")
        .load(conn)
        .expect("integrity check");
    rows.into_iter()
        .map(|r| r.integrity_check)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The name of the backend of this run, as the figures report it.
pub fn backend_name() -> &'static str {
    match crate::helpers::Backend::from_env() {
        crate::helpers::Backend::Sqlite => "sqlite",
        crate::helpers::Backend::Postgres { .. } => "postgresql",
    }
}
