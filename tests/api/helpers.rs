//! The one harness every integration test uses: the real server on port 0 with a fresh
//! database per test (SQLite by default; PostgreSQL when `CONVENE_TEST_DATABASE_URL`
//! names a server, from whose admin URL a new database is made per test), in process
//! ([`spawn_app`]) or as the real binary in a child process ([`ServerProcess`]); one
//! client ([`Api`]) for both; waiting for events with a deadline ([`wait_until`]).

// Not every test binary module uses every helper.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fmt::Display;
use std::ops::Deref;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Once;
use std::time::Duration;

use actix_web::http::Method;
use awc::http::header::HeaderMap;
use convene::config::Settings;
use convene::db::{self, DbConnection, DbPool};
use convene::domain::organizer::Role;
use convene::domain::EmailAddress;
use convene::startup::Application;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde_json::{json, Value};
use tokio::time::Instant;

use crate::smtp::{ReceivedEmail, TestSmtp};

pub const PASSWORD: &str = "correct horse battery staple";

/// The backend this run of the suite uses, from the environment.
pub enum Backend {
    Sqlite,
    Postgres { admin_url: String },
}

impl Backend {
    pub fn from_env() -> Self {
        match std::env::var("CONVENE_TEST_DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => Backend::Postgres { admin_url: url },
            _ => Backend::Sqlite,
        }
    }

    /// As the service names it (`sqlite`, `postgresql`).
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres { .. } => "postgresql",
        }
    }
}

/// The name of this run's backend.
pub fn backend_name() -> &'static str {
    Backend::from_env().name()
}

/// A database made for one test, with the URL the service should use. Dropped with the
/// test (passed or failed): a PostgreSQL database is dropped on its server, an SQLite
/// file goes with its temp dir.
pub struct TestDatabase {
    pub url: String,
    /// On PostgreSQL: the server's admin URL and this database's name.
    postgres: Option<(String, String)>,
    _dir: tempfile::TempDir,
}

impl TestDatabase {
    pub fn create() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let (url, postgres) = match Backend::from_env() {
            Backend::Sqlite => (
                format!("sqlite://{}", dir.path().join("convene.db").display()),
                None,
            ),
            Backend::Postgres { admin_url } => {
                let name = format!("convene_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = diesel::PgConnection::establish(&admin_url)
                    .unwrap_or_else(|e| panic!("cannot reach the PostgreSQL test server: {e}"));
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                let mut url = url::Url::parse(&admin_url).expect("admin URL");
                url.set_path(&format!("/{name}"));
                (url.to_string(), Some((admin_url, name)))
            }
        };
        Self {
            url,
            postgres,
            _dir: dir,
        }
    }

    /// A single connection to this database, outside the server's pool.
    pub fn connect(&self) -> DbConnection {
        let url = convene::config::DatabaseUrl::parse(&self.url).expect("test URL");
        db::ConnectionFactory::new(url, convene::config::SqliteSync::Full)
            .connect()
            .expect("connect")
    }
}

impl Drop for TestDatabase {
    /// Runs on panics too, so it must not panic itself: a failure is reported, and the
    /// throwaway server is removed at the end of the run anyway.
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            if let Err(e) = drop_postgres_database(&admin_url, &name) {
                eprintln!("warning: test database {name} was not dropped: {e}");
            }
        }
    }
}

/// Drops a test database even while connections to it remain (the server's pool, a
/// killed child process's sessions): `WITH (FORCE)` terminates them first. A pool that
/// reconnects in that instant makes the drop fail, so it is tried a few times.
fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), String> {
    let mut admin = diesel::PgConnection::establish(admin_url).map_err(|e| e.to_string())?;
    let mut tries = 0;
    loop {
        match admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")) {
            Ok(()) => return Ok(()),
            Err(_) if tries < 5 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(100 * tries));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// How often [`wait_until`] looks again.
const POLL: Duration = Duration::from_millis(50);

/// Awaits `writes` (calls of `commits`' `run` or `run_merged`) as one batch of the group
/// committer, as under load: the committer is held busy until every one of them is
/// queued, then let go.
pub async fn as_one_batch<T>(
    commits: &convene::db::group_commit::GroupCommit,
    writes: impl std::future::Future<Output = T>,
) -> T {
    let (release, held) = std::sync::mpsc::channel::<()>();
    let (entered, inside) = tokio::sync::oneshot::channel::<()>();
    let hold = commits.run(move |_| {
        let _ = entered.send(());
        let _ = held.recv();
        Ok(())
    });
    let (held, answers) = tokio::join!(hold, async {
        // The writes are queued only once the committer runs the hold, its batch taken:
        // queued sooner, some could join the hold's batch and the rest the next (a run
        // split in two, seen once in CI on a busy machine).
        inside.await.expect("the hold runs");
        // Polled first, so that every write is queued before the hold is released.
        let (answers, ()) = tokio::join!(writes, async {
            release.send(()).unwrap();
        });
        answers
    });
    held.expect("the hold");
    answers
}

/// Asserts that the rows `ids` (as `(id, created_at)` in any order in `made`) were made
/// one microsecond apart in the order of `ids`: how a run written together keeps the order
/// in which its writes arrived.
pub fn assert_a_microsecond_apart<S: AsRef<str>>(
    ids: &[S],
    mut made: Vec<(String, chrono::NaiveDateTime)>,
) {
    assert_eq!(made.len(), ids.len(), "{made:?}");
    made.sort_by_key(|(id, _)| ids.iter().position(|i| i.as_ref() == id));
    for pair in made.windows(2) {
        assert_eq!(
            pair[1].1 - pair[0].1,
            chrono::Duration::microseconds(1),
            "{pair:?}"
        );
    }
}

/// Waits for an event that nothing announces: asks `check` every 50 ms until it gives
/// `Ok`, for at most `limit`, then panics with `what` and the last `Err` (which says how
/// things stand).
pub async fn wait_until<T>(
    what: impl Display,
    limit: Duration,
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + limit;
    loop {
        let state = match check().await {
            Ok(value) => return value,
            Err(state) => state,
        };
        assert!(
            Instant::now() < deadline,
            "waited {limit:?} for {what}; {state}"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// A listener on 127.0.0.1 on a port outside the kernel's ephemeral range (which starts
/// at 32768 by default), so that while a server there is stopped no outgoing connection
/// of this machine is given its port, and it can listen there again.
pub fn bind_free_port() -> std::net::TcpListener {
    for _ in 0..200 {
        let port = rand::random_range(20_000..32_000);
        if let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", port)) {
            return listener;
        }
    }
    panic!("no free port in 20000..32000");
}

/// A port that [`bind_free_port`] found free (a restarted server can have it again).
pub fn free_port() -> u16 {
    bind_free_port().local_addr().expect("local address").port()
}

/// A signed-in organizer: the session cookie to send.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub organizer: Value,
}

/// The session a successful login answer opens.
pub fn session_from(login: &TestResponse) -> Session {
    assert_eq!(login.status, 200, "login failed: {}", login.text());
    let cookie = login
        .header("set-cookie")
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .expect("a session cookie");
    Session {
        cookie,
        organizer: login.json(),
    }
}

/// An unused address for a new organizer with this role.
pub fn organizer_email(role: Role) -> String {
    format!(
        "{}-{}@example.org",
        role.as_str(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Creates an organizer with [`PASSWORD`] directly in the database, as the CLI does.
pub fn insert_organizer(conn: &mut DbConnection, email: &str, role: Role) {
    let hash = convene::auth::PasswordHasher::hash_now(PASSWORD).expect("hash");
    let email = EmailAddress::parse(email).expect("email");
    convene::cli::create_organizer(conn, &email, "Test Organizer", role, &hash).expect("organizer");
}

/// The token at the end of a personal link.
pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().expect("a token").to_owned()
}

/// The token of the invitation link in an email.
pub fn token_from(mail: &ReceivedEmail) -> String {
    token_of(&mail.link_containing("/invite/"))
}

/// An answer, read whole.
pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts a problem+json answer with this status, and returns its body.
    pub fn problem(&self, status: u16) -> Value {
        assert_eq!(
            self.status,
            status,
            "unexpected status; body: {}",
            self.text()
        );
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json")
        );
        let body = self.json();
        assert_eq!(body["status"], status);
        assert!(
            body["type"].is_string() && body["title"].is_string() && body["detail"].is_string()
        );
        body
    }

    /// The `detail` of a problem+json answer with this status.
    pub fn problem_detail(&self, status: u16) -> String {
        self.problem(status)["detail"]
            .as_str()
            .expect("a detail")
            .to_owned()
    }

    /// The fields named in a 422 answer.
    pub fn invalid_fields(&self) -> Vec<String> {
        let body = self.problem(422);
        let mut fields: Vec<String> = body["errors"]
            .as_object()
            .expect("errors object")
            .keys()
            .cloned()
            .collect();
        fields.sort();
        fields
    }
}

/// A JSON body for [`Api::send`] and [`Api::try_send`].
pub fn json_body(body: &Value) -> (&'static str, Vec<u8>) {
    ("application/json", serde_json::to_vec(body).expect("json"))
}

/// A client of one running server, in process or a child process: requests as they
/// are sent and answered, and the calls most tests begin with.
#[derive(Clone)]
pub struct Api {
    pub address: String,
    pub client: awc::Client,
}

impl Api {
    pub fn new(address: String) -> Self {
        Self {
            address,
            // Generous: a loaded 2-core machine can be slow, and a timeout is not what
            // tests assert.
            client: awc::Client::builder()
                .timeout(Duration::from_secs(120))
                .finish(),
        }
    }

    /// A raw request to `path`, for tests that set headers or bodies by hand.
    pub fn raw(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// [`Self::raw`], sent as `session` if given.
    pub fn raw_as(
        &self,
        method: Method,
        path: &str,
        session: Option<&Session>,
    ) -> awc::ClientRequest {
        let req = self.raw(method, path);
        match session {
            Some(s) => req.insert_header(("cookie", s.cookie.clone())),
            None => req,
        }
    }

    /// Sends a prepared request with an optional (content type, body); `Err` when no
    /// answer came (the connection was refused or cut).
    pub async fn try_send(
        &self,
        req: awc::ClientRequest,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<TestResponse, String> {
        let what = format!("{} {}", req.get_method(), req.get_uri());
        let sent = match body {
            Some((content_type, bytes)) => {
                req.insert_header(("content-type", content_type))
                    .send_body(bytes)
                    .await
            }
            None => req.send().await,
        };
        let mut res = sent.map_err(|e| format!("{what}: {e}"))?;
        let body = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .map_err(|e| format!("{what}: {e}"))?
            .to_vec();
        Ok(TestResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body,
        })
    }

    /// [`Self::try_send`], for an answer that must come.
    pub async fn send(
        &self,
        req: awc::ClientRequest,
        body: Option<(&str, Vec<u8>)>,
    ) -> TestResponse {
        self.try_send(req, body)
            .await
            .unwrap_or_else(|e| panic!("no answer to {e}"))
    }

    /// A request with a JSON body if given, as `session` if given.
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        session: Option<&Session>,
    ) -> TestResponse {
        let req = self.raw_as(method, path, session);
        self.send(req, body.map(json_body)).await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Method::GET, path, None, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.request(Method::POST, path, Some(body), None).await
    }

    pub async fn get_as(&self, s: &Session, path: &str) -> TestResponse {
        self.request(Method::GET, path, None, Some(s)).await
    }

    pub async fn post_as(&self, s: &Session, path: &str, body: &Value) -> TestResponse {
        self.request(Method::POST, path, Some(body), Some(s)).await
    }

    pub async fn patch_as(&self, s: &Session, path: &str, body: &Value) -> TestResponse {
        self.request(Method::PATCH, path, Some(body), Some(s)).await
    }

    /// A GET as `s` that must answer 200; its JSON.
    pub async fn get_json_as(&self, s: &Session, path: &str) -> Value {
        let res = self.get_as(s, path).await;
        assert_eq!(res.status, 200, "GET {path}: {}", res.text());
        res.json()
    }

    /// The audit log's entries matching `query` (`action=...&entity_id=...`).
    pub async fn audit_log(&self, admin: &Session, query: &str) -> Vec<Value> {
        let log = self
            .get_json_as(admin, &format!("/api/v1/audit-log?{query}"))
            .await;
        log["items"].as_array().expect("items").clone()
    }

    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Signs in as the organizer `email`, whose password is [`PASSWORD`].
    pub async fn session_for(&self, email: &str) -> Session {
        session_from(&self.login(email, PASSWORD).await)
    }

    /// Creates an open event as `admin` and returns its JSON.
    pub async fn create_event(&self, admin: &Session, slug: &str) -> Value {
        self.create_event_with(admin, slug, json!({})).await
    }

    /// Creates an open event as `admin`, with these fields of [`event_body`] changed
    /// (`json!({ "capacity": 80 })`), and returns its JSON.
    pub async fn create_event_with(&self, admin: &Session, slug: &str, changes: Value) -> Value {
        let mut body = event_body(slug);
        for (field, value) in changes.as_object().expect("an object of changes") {
            body[field] = value.clone();
        }
        let res = self.post_as(admin, "/api/v1/events", &body).await;
        assert_eq!(res.status, 201, "event creation failed: {}", res.text());
        res.json()
    }

    /// Invites `count` people (`{prefix}{i}@example.org`) in one bulk upload and returns
    /// (email, token) for each, the tokens read from the invitation emails `smtp` got.
    pub async fn invite_many(
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
            .post_as(
                admin,
                &format!("/api/v1/events/{slug}/invitations/bulk"),
                &json!(rows),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["created"], count, "{}", res.text());
        let mut out = Vec::with_capacity(count);
        for email in emails {
            let mail = smtp
                .wait_for_emails_within(&email, 1, Duration::from_secs(60))
                .await
                .remove(0);
            out.push((email, token_from(&mail)));
        }
        out
    }
}

pub struct TestApp {
    api: Api,
    pub port: u16,
    pub pool: DbPool,
    pub settings: Settings,
    pub db: TestDatabase,
    handle: actix_web::dev::ServerHandle,
    pub mail_dir: tempfile::TempDir,
    /// The SMTP server this app sends to (unless the test unset `CONVENE_SMTP_URL`).
    pub smtp: TestSmtp,
    /// The server's task, until [`TestApp::stop`] waits for it.
    running: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
}

/// `app.get(...)`, `app.address`: the app is used through its client.
impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            convene::telemetry::init(convene::config::LogFormat::Text);
        }
    });
}

/// Settings for a test server: port 0, the given database, mail into a temp folder.
pub fn test_settings(db_url: &str, mail_dir: &std::path::Path, extra: &[(&str, &str)]) -> Settings {
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), db_url.to_owned()),
        ("CONVENE_BIND".into(), "127.0.0.1:0".into()),
        ("CONVENE_MAIL_DIR".into(), mail_dir.display().to_string()),
        ("CONVENE_WORKERS".into(), "2".into()),
        ("CONVENE_DB_POOL_SIZE".into(), "4".into()),
        // Generous: on a loaded 2-core machine a burst of 30 requests on a pool of 4 can
        // wait longer than the production default (5 s); that is contention, not a fault.
        // Tests of the 503 path set a short wait themselves.
        ("CONVENE_DB_WAIT_MS".into(), "30000".into()),
    ]);
    for (k, v) in extra {
        vars.insert((*k).into(), (*v).into());
    }
    Settings::from_lookup(|name| vars.get(name).cloned()).expect("test settings are valid")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Settings that make the email worker quick in tests: short retries, frequent polls.
pub const FAST_EMAIL_RETRIES: &[(&str, &str)] = &[
    ("CONVENE_EMAIL_RETRY_CAP_SECS", "2"),
    ("CONVENE_EMAIL_POLL_MS", "200"),
];

/// Starts the server with extra environment settings (e.g. `CONVENE_BASE_URL`).
/// It always gets a test SMTP server (`app.smtp`) and fast email retries; `extra`
/// overrides them (`("CONVENE_SMTP_URL", "")` writes `.eml` files instead).
pub async fn spawn_app_with(extra: &[(&str, &str)]) -> TestApp {
    init_logs();
    let db = TestDatabase::create();
    let mail_dir = tempfile::tempdir().expect("mail dir");
    let smtp = TestSmtp::start().await;
    let smtp_url = smtp.url();
    let mut vars: Vec<(&str, &str)> = vec![("CONVENE_SMTP_URL", &smtp_url)];
    vars.extend_from_slice(FAST_EMAIL_RETRIES);
    vars.extend_from_slice(extra);
    // Bound first, so that links in emails carry the real address of this server.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("local address").port();
    let address = format!("http://127.0.0.1:{port}");
    if !extra.iter().any(|(k, _)| *k == "CONVENE_BASE_URL") {
        vars.push(("CONVENE_BASE_URL", &address));
    }
    let settings = test_settings(&db.url, mail_dir.path(), &vars);
    let app = Application::build_on(settings.clone(), listener)
        .await
        .expect("the server starts");
    let pool = app.pool().clone();
    let handle = app.handle();
    let running = actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        api: Api::new(address),
        port,
        pool,
        settings,
        db,
        handle,
        mail_dir,
        smtp,
        running: std::sync::Mutex::new(Some(running)),
    }
}

impl TestApp {
    /// Creates an organizer directly in the database (as the CLI would).
    pub fn create_organizer(&self, email: &str, role: Role) {
        insert_organizer(&mut self.pool.get().expect("connection"), email, role);
    }

    /// Creates an organizer with this role and signs in.
    pub async fn sign_in(&self, role: Role) -> Session {
        let email = organizer_email(role);
        self.create_organizer(&email, role);
        self.session_for(&email).await
    }

    pub async fn admin(&self) -> Session {
        self.sign_in(Role::Admin).await
    }

    pub async fn reviewer(&self) -> Session {
        self.sign_in(Role::Reviewer).await
    }

    /// Stops gracefully, as on SIGTERM: returns once the requests and the emails in
    /// flight are finished.
    /// The database stays available to the test afterwards.
    pub async fn stop(&self) {
        self.handle.stop(true).await;
        let running = self.running.lock().expect("not poisoned").take();
        if let Some(running) = running {
            running
                .await
                .expect("the server task")
                .expect("the server stops cleanly");
        }
    }

    /// Takes the next email to `to` that no earlier wait took, waiting up to 10 s.
    pub async fn wait_for_email(&self, to: &str) -> ReceivedEmail {
        self.wait_for_emails(to, 1).await.remove(0)
    }

    /// Takes the next `n` emails to `to`, waiting up to 10 s for all of them.
    pub async fn wait_for_emails(&self, to: &str, n: usize) -> Vec<ReceivedEmail> {
        self.smtp
            .wait_for_emails_within(to, n, crate::smtp::WAIT)
            .await
    }

    /// Every email received so far for `to`, taken by a wait or not.
    pub fn emails_to(&self, to: &str) -> Vec<ReceivedEmail> {
        self.smtp.emails_to(to)
    }

    /// Drains the outbox, then asserts that `to` has no email that a wait has not
    /// already taken.
    pub async fn assert_no_email_to(&self, to: &str) {
        self.drain_outbox().await;
        let unexpected = self.smtp.untaken_to(to);
        assert!(
            unexpected.is_empty(),
            "expected no (further) email to {to}, got: {:?}",
            unexpected.iter().map(|e| &e.subject).collect::<Vec<_>>()
        );
    }

    /// Waits (up to 10 s) until no email is due: everything queued so far has been
    /// sent, failed, or is waiting for a later retry.
    pub async fn drain_outbox(&self) {
        wait_until(
            "the outbox to have no email due",
            crate::smtp::WAIT,
            async || match self.count_due_emails().await {
                0 => Ok(()),
                due => Err(format!("{due} email(s) still due")),
            },
        )
        .await
    }

    async fn count_due_emails(&self) -> i64 {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("connection");
            convene::email::outbox::count_due(&mut conn).expect("count due emails")
        })
        .await
        .expect("blocking task")
    }
}

/// `convene serve`, the real binary, as a child process on `port`, killed on drop; its
/// output goes to a log file ([`Self::log_text`]).
pub struct ServerProcess {
    api: Api,
    pub port: u16,
    child: Option<Child>,
    db_url: String,
    env: Vec<(String, String)>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// `server.get(...)`, `server.address`: the process is used through its client.
impl Deref for ServerProcess {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl ServerProcess {
    /// Starts the binary on `port` with this database, sending mail to `smtp`, with
    /// quick email retries; `extra` adds or overrides environment variables. Wait for
    /// it with [`Self::ready`].
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
            // Long, as for the in-process app: only tests of the 503 path want it short.
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
            api: Api::new(address),
            port,
            child: None,
            db_url: db_url.to_owned(),
            env,
            log: dir.path().join("server.log"),
            _dir: dir,
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
        wait_until("the server to start", Duration::from_secs(60), async || {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("the server exited with {status}:\n{}", self.log_text());
            }
            let probe = self
                .raw(Method::GET, "/healthz")
                .timeout(Duration::from_secs(2));
            match self.try_send(probe, None).await {
                Ok(res) if res.status == 200 => Ok(()),
                Ok(res) => Err(format!("/healthz answers {}", res.status)),
                Err(e) => Err(format!("{e}; its log:\n{}", self.log_text())),
            }
        })
        .await
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
        let status = wait_until("the server to exit", limit, async || {
            let child = self.child.as_mut().expect("running");
            match child.try_wait().expect("wait") {
                Some(status) => Ok(status),
                None => Err(format!("its log:\n{}", self.log_text())),
            }
        })
        .await;
        self.child = None;
        status
    }

    /// Stops gracefully (SIGTERM) and waits for a clean exit: afterwards no request and
    /// no email is in flight any more.
    pub async fn stop(&mut self) {
        self.terminate();
        let status = self.exited(Duration::from_secs(60)).await;
        assert!(status.success(), "exit {status}:\n{}", self.log_text());
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
    pub fn connect(&self) -> DbConnection {
        let url = convene::config::DatabaseUrl::parse(&self.db_url).expect("URL");
        db::ConnectionFactory::new(url, convene::config::SqliteSync::Full)
            .connect()
            .expect("connect")
    }

    /// Creates an organizer with this role in the database (as the CLI does) and signs in.
    pub async fn sign_in(&self, role: Role) -> Session {
        let email = organizer_email(role);
        insert_organizer(&mut self.connect(), &email, role);
        self.session_for(&email).await
    }

    pub async fn admin(&self) -> Session {
        self.sign_in(Role::Admin).await
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs the binary's command line `convene ARGS` on the database `db`, its logs at
/// `level`, with `stdin` as its input; returns what it did.
pub fn run_cli(db: &str, args: &[&str], stdin: Option<&str>, level: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_convene"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", level)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input.write_all(text.as_bytes()).expect("stdin written");
    }
    drop(input);
    child.wait_with_output().expect("the binary ran")
}

/// A valid event, a year ahead, with registration open now.
pub fn event_body(slug: &str) -> Value {
    let start = chrono::Utc::now().date_naive() + chrono::Duration::days(365);
    json!({
        "slug": slug,
        "name": "The Future City",
        "venue": "Memorial Hall, Riverside Campus",
        "city": "Boston",
        "starts_on": start.to_string(),
        "ends_on": (start + chrono::Duration::days(2)).to_string(),
        "timezone": "America/New_York",
        "capacity": 40,
        "scholarship_budget_cents": 2_000_000,
        "currency": "USD"
    })
}
