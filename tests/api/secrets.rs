//! Secrets stay out of logs and Referer headers. The real binary runs a whole story with
//! its logs at DEBUG, and every secret and personal detail of the story is looked for in
//! what it wrote: tokens, the session cookie, passwords, the registrant's email and phone.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{event_body, TestDatabase, TestResponse};
use crate::invitations::{token_from, token_of};
use crate::smtp::{TestSmtp, WAIT};

const PASSWORD: &str = "violet-kumquat-tessellation-8841";
const WRONG_PASSWORD: &str = "marigold-quince-isthmus-2207";
const INVITEE: &str = "dana.whitfield.private@example.org";
const PHONE: &str = "+1 617 555 0142";
const NEW_PHONE: &str = "+1 617 555 0199";
const NOMINEE: &str = "sam.ortiz.private@example.org";
const SLUG: &str = "logs-summit";

/// The binary, serving, with everything it writes collected.
struct Server {
    child: Child,
    address: String,
    output: Arc<Mutex<Vec<u8>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
    client: awc::Client,
}

fn collect(
    stream: impl Read + Send + 'static,
    into: Arc<Mutex<Vec<u8>>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut stream = stream;
        let mut buf = [0u8; 8192];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Server {
    fn start(db_url: &str, smtp: &TestSmtp, mail_dir: &std::path::Path) -> Self {
        let port = free_port();
        let address = format!("http://127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_convene"))
            .arg("serve")
            .env("DATABASE_URL", db_url)
            .env("CONVENE_BIND", format!("127.0.0.1:{port}"))
            .env("CONVENE_BASE_URL", &address)
            .env("CONVENE_SMTP_URL", smtp.url())
            .env("CONVENE_MAIL_DIR", mail_dir)
            .env("CONVENE_EMAIL_POLL_MS", "200")
            .env("CONVENE_WORKERS", "2")
            .env("CONVENE_DB_POOL_SIZE", "4")
            .env("RUST_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let output = Arc::new(Mutex::new(Vec::new()));
        let readers = vec![
            collect(child.stdout.take().unwrap(), output.clone()),
            collect(child.stderr.take().unwrap(), output.clone()),
        ];
        Self {
            child,
            address,
            output,
            readers,
            client: awc::Client::builder()
                .timeout(Duration::from_secs(120))
                .finish(),
        }
    }

    async fn wait_until_ready(&mut self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok(res) = self
                .client
                .get(format!("{}/readyz", self.address))
                .send()
                .await
            {
                if res.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server exited ({status}): {}", self.log());
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the server did not become ready: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        cookie: Option<&str>,
    ) -> TestResponse {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(c) = cookie {
            req = req.insert_header(("cookie", c.to_owned()));
        }
        let sent = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        let mut res = sent.expect("the request reaches the server");
        let body = res.body().limit(16 << 20).await.expect("body").to_vec();
        TestResponse {
            status: res.status().as_u16(),
            headers: res.headers().clone(),
            body,
        }
    }

    /// Stops it as a service manager would (SIGTERM) and returns everything it wrote.
    fn stop(mut self) -> String {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let exited = (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            matches!(self.child.try_wait(), Ok(Some(_)))
        });
        if !exited {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        for r in self.readers.drain(..) {
            let _ = r.join();
        }
        self.log()
    }

    fn log(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }
}

/// Runs the binary's command line with its logs at DEBUG; returns all it wrote.
fn cli(db_url: &str, args: &[&str], stdin: &str) -> String {
    let out = crate::cli::convene_logging(db_url, args, Some(stdin), "debug");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The log as text: terminal colour codes could split a value in two.
fn without_colours(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    let mut chars = log.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // ESC [ ... m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn assert_no_referrer(res: &TestResponse, what: &str) {
    assert_eq!(
        res.header("referrer-policy").as_deref(),
        Some("no-referrer"),
        "{what} must not leak its address (which carries the token) in a Referer"
    );
}

#[actix_web::test]
async fn a_whole_story_logged_at_debug_leaves_no_secret_in_the_log() {
    let db = TestDatabase::create();
    let smtp = TestSmtp::start().await;
    let mail_dir = tempfile::tempdir().unwrap();
    let cli_log = cli(
        &db.url,
        &[
            "organizer",
            "create",
            "--email",
            "chief@example.org",
            "--name",
            "Chief Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &format!("{PASSWORD}\n"),
    );
    let mut server = Server::start(&db.url, &smtp, mail_dir.path());
    server.wait_until_ready().await;

    // A failed and a successful login.
    let login = |password: &str| json!({ "email": "chief@example.org", "password": password });
    let res = server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            Some(&login(WRONG_PASSWORD)),
            None,
        )
        .await;
    assert_eq!(res.status, 401, "{}", res.text());
    let res = server
        .call(
            Method::POST,
            "/api/v1/auth/login",
            Some(&login(PASSWORD)),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let cookie = res
        .header("set-cookie")
        .and_then(|c| c.split(';').next().map(str::to_owned))
        .expect("a session cookie");
    let session_value = cookie.split_once('=').unwrap().1.to_owned();
    let admin = Some(cookie.as_str());

    let res = server
        .call(
            Method::POST,
            "/api/v1/events",
            Some(&event_body(SLUG)),
            admin,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let invitation = json!({
        "email": INVITEE, "full_name": "Dana Whitfield", "title": "City Manager",
        "community": { "name": "Springfield", "state": "IL" },
    });
    let path = format!("/api/v1/events/{SLUG}/invitations");
    let res = server
        .call(Method::POST, &path, Some(&invitation), admin)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());

    // The invitee follows the link in the email.
    let mail = smtp
        .wait_for_emails_within(INVITEE, 1, WAIT)
        .await
        .remove(0);
    let invitation_token = token_from(&mail);
    let page = server
        .call(
            Method::GET,
            &format!("/invite/{invitation_token}"),
            None,
            None,
        )
        .await;
    assert_eq!(page.status, 200);
    assert_no_referrer(&page, "the invitation page");
    let res = server
        .call(
            Method::GET,
            &format!("/api/v1/invitations/{invitation_token}"),
            None,
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_no_referrer(&res, "the invitation API answer");

    // A form with a mistake naming personal details, then the right one.
    let mut form = json!({
        "full_name": "Dana Whitfield", "email": INVITEE, "title": "City Manager",
        "organization": "City of Springfield",
        "community": { "name": "Springfield", "state": "IL" },
        "phone": [PHONE],
    });
    let register = format!("/api/v1/invitations/{invitation_token}/registration");
    let res = server
        .call(Method::POST, &register, Some(&form), None)
        .await;
    assert_eq!(res.status, 422, "{}", res.text());
    form["phone"] = json!(PHONE);
    let res = server
        .call(Method::POST, &register, Some(&form), None)
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let manage_token = token_of(res.json()["manage_url"].as_str().unwrap());

    let page = server
        .call(Method::GET, &format!("/manage/{manage_token}"), None, None)
        .await;
    assert_eq!(page.status, 200);
    assert_no_referrer(&page, "the manage page");
    let manage = format!("/api/v1/manage/{manage_token}");
    let res = server.call(Method::GET, &manage, None, None).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_no_referrer(&res, "the manage API answer");
    let res = server
        .call(
            Method::PATCH,
            &manage,
            Some(&json!({ "phone": NEW_PHONE })),
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let nomination = json!({
        "full_name": "Sam Ortiz", "email": NOMINEE, "title": "Policy Analyst",
        "organization": "City of Springfield", "reason": "A rising leader in our city.",
    });
    let res = server
        .call(
            Method::POST,
            &format!("{manage}/nomination"),
            Some(&nomination),
            None,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    // Wrong tokens of both kinds, as a guesser would send.
    for path in [
        format!("/api/v1/invitations/{manage_token}"),
        format!("/api/v1/manage/{invitation_token}"),
    ] {
        assert_eq!(
            server.call(Method::GET, &path, None, None).await.status,
            404
        );
    }
    // The organizers approve the nomination: the young leader is invited by email.
    let list = server
        .call(
            Method::GET,
            &format!("/api/v1/events/{SLUG}/nominations"),
            None,
            admin,
        )
        .await
        .json();
    let id = list["items"][0]["id"]
        .as_str()
        .expect("a nomination")
        .to_owned();
    let approve = format!("/api/v1/events/{SLUG}/nominations/{id}/approve");
    let res = server
        .call(Method::POST, &approve, Some(&json!({})), admin)
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    // Every email has gone out (the worker logs its sends too).
    smtp.wait_for_emails_within(INVITEE, 3, WAIT).await;
    let nominee_token = token_from(&smtp.wait_for_emails_within(NOMINEE, 1, WAIT).await[0]);
    let res = server
        .call(Method::POST, "/api/v1/auth/logout", None, admin)
        .await;
    assert!(res.status < 300, "{}", res.text());

    let log = without_colours(&server.stop());
    assert!(
        log.contains("DEBUG") && log.contains("request finished"),
        "the log is at DEBUG and covers the requests: {log}"
    );
    let secrets = [
        ("the invitation token", invitation_token.as_str()),
        ("the manage token", manage_token.as_str()),
        (
            "the young leader's invitation token",
            nominee_token.as_str(),
        ),
        ("the session cookie", session_value.as_str()),
        ("the password", PASSWORD),
        ("the mistyped password", WRONG_PASSWORD),
        ("the registrant's email", INVITEE),
        ("the registrant's phone", PHONE),
        ("the registrant's new phone", NEW_PHONE),
        ("the nominee's email", NOMINEE),
    ];
    for (what, secret) in secrets {
        assert!(
            !log.contains(secret),
            "{what} ({secret}) appears in the server's log:\n{log}"
        );
    }
    assert!(
        !cli_log.contains(PASSWORD),
        "the CLI logged the password: {cli_log}"
    );
}
