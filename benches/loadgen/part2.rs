//! The Part 2 scenarios (issue 18): an announcement to thousands, the impact report of a
//! large programme, and the retention sweep over its people. Each checks what it measures
//! (every recipient once; the report's figures as seeded; the figures unchanged by the
//! sweep), so that a fast wrong answer fails the run instead of making a good line.

use std::time::{Duration, Instant};

use anyhow::Context;
use convene::db::DbConnection;
use serde_json::{json, Value};

use crate::load::drive;
use crate::programme::{self, Programme};
use crate::smtp::SmtpSink;
use crate::{client, ms, seed, status_of, wait_until, Row};

/// Where the scenarios send their requests, signed in as the benchmark's admin.
pub struct Signed<'a> {
    pub base: &'a str,
    pub cookie: &'a str,
}

impl Signed<'_> {
    fn get(&self, path: &str) -> awc::ClientRequest {
        client()
            .get(format!("{}{path}", self.base))
            .insert_header(("Cookie", self.cookie.to_owned()))
    }

    pub fn post(&self, path: &str) -> awc::ClientRequest {
        client()
            .post(format!("{}{path}", self.base))
            .insert_header(("Cookie", self.cookie.to_owned()))
            .insert_header(("Origin", self.base.to_owned()))
    }
}

/// Scenario 7: one announcement to `n` invitees; the request that queues it, then its
/// delivery, each recipient exactly once.
pub async fn announcement(
    conn: &mut DbConnection,
    at: &Signed<'_>,
    smtp: &SmtpSink,
    n: usize,
    notes: &mut Vec<String>,
) -> anyhow::Result<Row> {
    let event = seed::event_with_invitations(conn, "bench-c", n)?;
    wait_until("earlier mail delivered", Duration::from_secs(600), || {
        Ok(seed::pending_emails(conn)? == 0)
    })
    .await?;
    smtp.reset_window();
    let before = smtp.received();
    let body = json!({
        "subject": "Practical details for the summit",
        "body": "The **doors open at 8:30**. Bring the QR code from your confirmation.",
        "audience": { "invitation_statuses": ["sent"] },
    });
    let started = Instant::now();
    let (status, answer) = status_of(
        at.post(&format!("/api/v1/events/{}/announcements", event.slug)),
        Some(&body),
    )
    .await;
    let queued_in = started.elapsed();
    anyhow::ensure!(
        status == 201,
        "the announcement answered {status}: {}",
        String::from_utf8_lossy(&answer)
    );
    let recipients = serde_json::from_slice::<Value>(&answer)?["recipients"]
        .as_u64()
        .unwrap_or(0) as usize;
    anyhow::ensure!(recipients == n, "{recipients} recipients, {n} expected");
    wait_until(
        "the announcement delivered",
        Duration::from_secs(600),
        || Ok(smtp.received() - before >= n),
    )
    .await?;
    let delivered_in = started.elapsed();
    // Anything sent twice would arrive in the moment after the last one.
    actix_rt::time::sleep(Duration::from_millis(500)).await;
    let received = smtp.received() - before;
    notes.push(format!(
        "scenario 7: {recipients} recipients; the sink received {received} emails; {} still pending",
        seed::pending_emails(conn)?
    ));
    Ok(Row {
        scenario: format!(
            "7. an announcement to {n} invitees: queued by one request, then delivered"
        ),
        stats: None,
        figure: format!(
            "queued in {}, all delivered in {:.1} s ({:.0} emails/s)",
            ms(queued_in),
            delivered_in.as_secs_f64(),
            n as f64 / delivered_in.as_secs_f64()
        ),
        peak_rss: None,
        target: "each recipient once".into(),
        met: Some(received == n),
    })
}

/// The figures of a report that must not change when people are anonymized (all but the
/// testimonials, which need the people's names).
fn figures(report: &Value) -> Value {
    let mut v = report.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("testimonials");
    }
    v
}

async fn report(at: &Signed<'_>, program: &str) -> anyhow::Result<Value> {
    let (status, body) =
        status_of(at.get(&format!("/api/v1/impact?program={program}")), None).await;
    anyhow::ensure!(
        status == 200,
        "the impact report answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    Ok(serde_json::from_slice(&body)?)
}

/// Scenarios 8 and 9: the impact report of a programme of `events` events of `per_event` people,
/// read `reads` times by 8 clients; then the retention sweep anonymizes all of them and
/// the report must read the same.
pub async fn programme(
    conn: &mut DbConnection,
    at: &Signed<'_>,
    events: usize,
    per_event: usize,
    reads: usize,
    notes: &mut Vec<String>,
) -> anyhow::Result<Vec<Row>> {
    let admin = convene::db::models::organizer::find_by_email(conn, seed::ADMIN_EMAIL)?
        .context("the benchmark's admin")?;
    let seeding = Instant::now();
    let p: Programme = programme::seed(conn, "bench-programme", events, per_event, &admin.id)?;
    let seeded_in = seeding.elapsed();
    let first = Instant::now();
    report(at, &p.name).await?;
    let first = first.elapsed();
    let answers = programme::answer_surveys(conn, &p)?;
    // The answers arrived all at once, so the next report counts every event's answers
    // again (the kept counts are of the version before): a one-off, timed on its own, as
    // the first report above. Answers given one at a time recount one event each.
    let recount = Instant::now();
    report(at, &p.name).await?;
    let recount = recount.elapsed();
    notes.push(format!(
        "scenario 8: the first report after the {answers} answers arrived counted them in {}",
        ms(recount)
    ));
    notes.push(format!(
        "scenario 8: {} events, {} registrations (nine in ten checked in: {} distinct people from {} towns) and {answers} survey answers seeded in {:.1} s through the library; the first report, which writes down the attendance of every event once, took {}",
        p.event_ids.len(),
        p.registrations,
        p.participants,
        p.communities,
        seeded_in.as_secs_f64(),
        ms(first)
    ));

    let s8 = {
        let c = client();
        let url = format!("{}/api/v1/impact?program={}", at.base, p.name);
        let cookie = at.cookie.to_owned();
        drive(8, reads, move |_| {
            let req = c.get(url.clone()).insert_header(("Cookie", cookie.clone()));
            async move { status_of(req, None).await.0 == 200 }
        })
        .await
    };
    let before = report(at, &p.name).await?;
    let as_seeded = before["participants"] == json!(p.participants)
        && before["communities"] == json!(p.communities)
        && before["events"] == json!(p.event_ids.len());
    notes.push(format!(
        "scenario 8: the report says {} participants from {} communities over {} events (seeded: {}, {}, {}); residents engaged {}, would recommend {}",
        before["participants"],
        before["communities"],
        before["events"],
        p.participants,
        p.communities,
        p.event_ids.len(),
        before["residents_engaged"],
        before["would_recommend"]
    ));
    let p99 = s8.percentile(99.0);
    let mut rows = vec![Row {
        scenario: format!(
            "8. impact report of {} events and {} registrations, concurrency 8",
            p.event_ids.len(),
            p.registrations
        ),
        figure: format!("{:.0}/s", s8.per_second()),
        peak_rss: None,
        target: "p99 <= 100 ms, figures as seeded".into(),
        met: Some(p99 <= Duration::from_millis(100) && s8.errors == 0 && as_seeded),
        stats: Some(s8),
    }];

    programme::make_due(conn, &p)?;
    let started = Instant::now();
    let done = convene::workflows::retention::sweep_retention(conn, chrono::Utc::now())?;
    let took = started.elapsed();
    let anonymized = programme::anonymized(conn, &p)?;
    let after = report(at, &p.name).await?;
    let same = figures(&before) == figures(&after);
    notes.push(format!(
        "scenario 9: the sweep anonymized {} events ({anonymized} of the programme's {}); the report's figures {} (testimonials {} before, {} after: they need the names)",
        done.events,
        p.event_ids.len(),
        if same { "are unchanged" } else { "CHANGED" },
        before["testimonials"].as_array().map_or(0, Vec::len),
        after["testimonials"].as_array().map_or(0, Vec::len),
    ));
    rows.push(Row {
        scenario: format!(
            "9. retention sweep of {} ended events, {} registrations, one pass through the library",
            p.event_ids.len(),
            p.registrations
        ),
        stats: None,
        figure: format!(
            "{} ({:.0} registrations/s)",
            ms(took),
            p.registrations as f64 / took.as_secs_f64()
        ),
        peak_rss: None,
        target: "every event once, figures unchanged".into(),
        met: Some(anonymized == p.event_ids.len() && same),
    });
    Ok(rows)
}
