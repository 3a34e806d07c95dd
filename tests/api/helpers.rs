//! The one harness every integration test uses: the real server on port 0 with a fresh
//! database per test (SQLite by default; PostgreSQL when `CONVENE_TEST_DATABASE_URL`
//! names a server, from whose admin URL a new database is made per test).

// Not every test binary module uses every helper.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Once;

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
            Err(e) if tries < 5 => {
                tries += 1;
                let _ = e;
                std::thread::sleep(std::time::Duration::from_millis(100 * tries));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub pool: DbPool,
    pub settings: Settings,
    pub db: TestDatabase,
    pub client: awc::Client,
    handle: actix_web::dev::ServerHandle,
    pub mail_dir: tempfile::TempDir,
    /// The SMTP server this app sends to (unless the test unset `CONVENE_SMTP_URL`).
    pub smtp: TestSmtp,
    /// The server's task, until [`TestApp::stop`] waits for it.
    running: std::sync::Mutex<Option<tokio::task::JoinHandle<std::io::Result<()>>>>,
}

/// A signed-in organizer: the session cookie to send.
#[derive(Clone)]
pub struct Session {
    pub cookie: String,
    pub organizer: Value,
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
        address,
        port,
        pool,
        settings,
        db,
        // Generous: a loaded 2-core machine can be slow, and a timeout is not what tests assert.
        client: awc::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .finish(),
        handle,
        mail_dir,
        smtp,
        running: std::sync::Mutex::new(Some(running)),
    }
}

impl TestApp {
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        session: Option<&Session>,
    ) -> TestResponse {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(s) = session {
            req = req.insert_header(("cookie", s.cookie.clone()));
        }
        self.send(
            req,
            body.map(|b| ("application/json", serde_json::to_vec(b).expect("json"))),
        )
        .await
    }

    /// Sends a prepared request with an optional (content type, body).
    pub async fn send(
        &self,
        req: awc::ClientRequest,
        body: Option<(&str, Vec<u8>)>,
    ) -> TestResponse {
        let result = match body {
            Some((content_type, bytes)) => {
                req.insert_header(("content-type", content_type))
                    .send_body(bytes)
                    .await
            }
            None => req.send().await,
        };
        let mut res = result.expect("the request reaches the server");
        let body = res
            .body()
            .limit(64 * 1024 * 1024)
            .await
            .expect("the answer body is read")
            .to_vec();
        TestResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body,
        }
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

    /// A raw request to `path`, for tests that set headers or bodies by hand.
    pub fn raw(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// Creates an organizer directly in the database (as the CLI would).
    pub fn create_organizer(&self, email: &str, role: Role) {
        let mut conn = self.pool.get().expect("connection");
        let hash = convene::auth::PasswordHasher::hash_now(PASSWORD).expect("hash");
        let email = EmailAddress::parse(email).expect("email");
        convene::cli::create_organizer(&mut conn, &email, "Test Organizer", role, &hash)
            .expect("organizer");
    }

    pub async fn login(&self, email: &str, password: &str) -> TestResponse {
        self.post(
            "/api/v1/auth/login",
            &json!({ "email": email, "password": password }),
        )
        .await
    }

    /// Creates an organizer with this role and signs in.
    pub async fn sign_in(&self, role: Role) -> Session {
        let email = format!(
            "{}-{}@example.org",
            role.as_str(),
            uuid::Uuid::new_v4().simple()
        );
        self.create_organizer(&email, role);
        let res = self.login(&email, PASSWORD).await;
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

    pub async fn admin(&self) -> Session {
        self.sign_in(Role::Admin).await
    }

    pub async fn reviewer(&self) -> Session {
        self.sign_in(Role::Reviewer).await
    }

    /// Creates an open event as `admin` and returns its JSON.
    pub async fn create_event(&self, admin: &Session, slug: &str) -> Value {
        let res = self
            .post_as(admin, "/api/v1/events", &event_body(slug))
            .await;
        assert_eq!(res.status, 201, "event creation failed: {}", res.text());
        res.json()
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
        let deadline = tokio::time::Instant::now() + crate::smtp::WAIT;
        loop {
            let due = self.count_due_emails().await;
            if due == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the outbox still has {due} email(s) due after {:?}",
                crate::smtp::WAIT
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
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
