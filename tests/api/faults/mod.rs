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
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::Method;
use convene::domain::SecretToken;
use diesel::prelude::*;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::helpers::{
    backend_name, free_port, json_body, wait_until, Api, ServerProcess, Session, TestResponse,
};
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

/// A 2 s send timeout, so that a claim on an email lasts 3 s: mail claimed by a killed
/// process goes out soon after the restart. Only for a single instance: with several,
/// a claim must outlast a send and its recording, or two instances may send one email.
pub const SHORT_CLAIMS: (&str, &str) = ("CONVENE_EMAIL_SEND_TIMEOUT_SECS", "2");

/// Posts `body`; a 503 (the database pool busy past `CONVENE_DB_WAIT_MS` on a loaded
/// machine: nothing was done) is sent again after a pause, as its `Retry-After` asks,
/// up to 20 times. `Err` when no answer came.
pub async fn post_retrying_busy(
    api: &Api,
    path: &str,
    body: &Value,
    session: Option<&Session>,
) -> Result<TestResponse, String> {
    let mut tries = 0;
    loop {
        let req = api.raw_as(Method::POST, path, session);
        match api.try_send(req, Some(json_body(body))).await {
            Ok(r) if r.status == 503 && tries < 20 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

/// How each fault test begins: a new admin signed in on `server`, the open event `slug`
/// with this capacity, and `count` people invited to it (`{prefix}{i}@example.org`,
/// their tokens read from the invitation emails `smtp` got).
pub async fn event_with_invitees(
    server: &ServerProcess,
    smtp: &TestSmtp,
    slug: &str,
    capacity: i64,
    prefix: &str,
    count: usize,
) -> (Session, Vec<(String, String)>) {
    let admin = server.admin().await;
    server
        .create_event_with(&admin, slug, json!({ "capacity": capacity }))
        .await;
    let people = server.invite_many(smtp, &admin, slug, prefix, count).await;
    (admin, people)
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
/// `addresses` in turn; a 503 is sent again (see [`post_retrying_busy`]).
pub async fn register_all(
    addresses: &[String],
    people: &[(String, String)],
    concurrency: usize,
) -> HashMap<String, Outcome> {
    register_all_with(addresses, people, concurrency, None).await
}

/// [`register_all`], each form asking for this travel scholarship if given.
pub async fn register_all_with(
    addresses: &[String],
    people: &[(String, String)],
    concurrency: usize,
    scholarship: Option<Value>,
) -> HashMap<String, Outcome> {
    let (acknowledged, _) = watch::channel(0);
    register_all_counting(
        addresses,
        people,
        concurrency,
        acknowledged,
        scholarship,
        true,
    )
    .await
}

/// [`register_all_with`], counting the acknowledgements on `acknowledged`, so that a test
/// can await a number of them (`wait_for`; it ends with an error once the rush is over);
/// `retry_busy` sends a 503 again (see [`post_retrying_busy`]).
pub async fn register_all_counting(
    addresses: &[String],
    people: &[(String, String)],
    concurrency: usize,
    acknowledged: watch::Sender<usize>,
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
    let acknowledged = Arc::new(acknowledged);
    let results = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let queue = Arc::clone(&queue);
        let results = Arc::clone(&results);
        let acknowledged = Arc::clone(&acknowledged);
        // A client per task, each with connections of its own.
        let apis: Vec<Api> = addresses.iter().cloned().map(Api::new).collect();
        let scholarship = scholarship.clone();
        tasks.push(actix_web::rt::spawn(async move {
            loop {
                let Some((i, email, token)) = queue.lock().unwrap().pop() else {
                    break;
                };
                let api = &apis[i % apis.len()];
                let mut form = registration_form(&email);
                if let Some(s) = &scholarship {
                    form["travel_scholarship"] = s.clone();
                }
                let path = format!("/api/v1/invitations/{token}/registration");
                let res = if retry_busy {
                    post_retrying_busy(api, &path, &form, None).await
                } else {
                    let req = api.raw(Method::POST, &path);
                    api.try_send(req, Some(json_body(&form))).await
                };
                let outcome = match res {
                    Ok(r) if (200..300).contains(&r.status) => {
                        acknowledged.send_modify(|n| *n += 1);
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
    wait_until("the outbox to have no pending email", limit, async || {
        let pending: i64 = emails::table
            .filter(emails::status.eq("pending"))
            .count()
            .get_result(conn)
            .expect("count");
        match pending {
            0 => Ok(()),
            n => Err(format!("{n} email(s) still pending")),
        }
    })
    .await
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

/// [`confirmations`] of everyone in `people`, each of whom must have exactly one.
pub fn one_confirmation_each(smtp: &TestSmtp, people: &[(String, String)]) -> Deliveries {
    let registrants: Vec<String> = people.iter().map(|(e, _)| e.clone()).collect();
    let mail = confirmations(smtp, &registrants);
    assert!(mail.missing.is_empty(), "no email for {:?}", mail.missing);
    assert!(
        mail.duplicated.is_empty(),
        "two emails for {:?}",
        mail.duplicated
    );
    mail
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
