//! Invitations made through the API (issue 18): one a request by 8 clients, and a bulk
//! CSV of thousands in one request. Each checks that every invitation was stored and
//! queued exactly one email, so that a fast wrong answer fails the run.

use std::time::Instant;

use anyhow::Context;
use convene::db::schema::{emails, invitations};
use convene::db::DbConnection;
use convene::domain::EventId;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::load::drive;
use crate::part2::Signed;
use crate::{client, ms, seed, status_of, Row};

/// Invitations of the event, and emails queued for them (one each).
fn stored(conn: &mut DbConnection, event_id: &EventId) -> anyhow::Result<(i64, i64)> {
    let made: i64 = invitations::table
        .filter(invitations::event_id.eq(event_id))
        .count()
        .get_result(conn)?;
    let mailed: i64 = emails::table
        .filter(emails::event_id.eq(event_id))
        .filter(emails::entity_type.eq("invitation"))
        .count()
        .get_result(conn)?;
    Ok((made, mailed))
}

/// `POST /events/{slug}/invitations`, `n` of them by 8 clients, each a new person.
pub async fn one_by_one(
    conn: &mut DbConnection,
    at: &Signed<'_>,
    n: usize,
    notes: &mut Vec<String>,
) -> anyhow::Result<Row> {
    let event = seed::event_with_invitations(conn, "bench-invite", 0)?;
    let stats = {
        let c = client();
        let url = format!("{}/api/v1/events/{}/invitations", at.base, event.slug);
        let (cookie, origin) = (at.cookie.to_owned(), at.base.to_owned());
        drive(8, n, move |i| {
            let req = c
                .post(url.clone())
                .insert_header(("Cookie", cookie.clone()))
                .insert_header(("Origin", origin.clone()));
            let body = json!({
                "email": format!("person{i}@city{}.example", i % 40),
                "full_name": format!("Person {i}"),
                "title": "City Manager",
                "community": { "name": format!("Town {}", i % 40), "state": "IL" },
            });
            async move { status_of(req, Some(&body)).await.0 == 201 }
        })
        .await
    };
    let (made, mailed) = stored(conn, &event.id)?;
    notes.push(format!(
        "scenario 10: {made} invitations stored and {mailed} invitation emails queued for {n} requests"
    ));
    let rate = stats.per_second();
    let p99 = stats.percentile(99.0);
    Ok(Row {
        scenario: format!("10. invitations through the API, {n} by 8 clients"),
        figure: format!("{rate:.0}/s"),
        peak_rss: None,
        target: ">= 1,500/s, one email each".into(),
        met: Some(
            rate >= 1_500.0
                && stats.errors == 0
                && made == n as i64
                && mailed == n as i64
                && p99.as_millis() < 1_000,
        ),
        stats: Some(stats),
    })
}

/// `POST /events/{slug}/invitations/bulk` with a CSV of `n` people, once.
pub async fn bulk_csv(
    conn: &mut DbConnection,
    at: &Signed<'_>,
    n: usize,
    notes: &mut Vec<String>,
) -> anyhow::Result<Row> {
    let event = seed::event_with_invitations(conn, "bench-bulk", 0)?;
    let mut csv = String::from("email,full_name,title,community_name,community_state\n");
    for i in 0..n {
        csv.push_str(&format!(
            "bulk{i}@town{}.example,Person {i},Mayor,Town {},IL\n",
            i % 40,
            i % 40
        ));
    }
    let started = Instant::now();
    let res = at
        .post(&format!("/api/v1/events/{}/invitations/bulk", event.slug))
        .content_type("text/csv")
        .send_body(csv)
        .await;
    let mut res = res.map_err(|e| anyhow::anyhow!("the bulk request: {e}"))?;
    let body = res.body().limit(64 * 1024 * 1024).await?;
    let took = started.elapsed();
    anyhow::ensure!(
        res.status().as_u16() == 200,
        "the bulk request answered {}: {}",
        res.status(),
        String::from_utf8_lossy(&body)
    );
    let answer: Value = serde_json::from_slice(&body).context("the bulk answer")?;
    let (made, mailed) = stored(conn, &event.id)?;
    notes.push(format!(
        "scenario 11: the answer says {} created, {} refused; {made} invitations stored and {mailed} invitation emails queued",
        answer["created"], answer["refused"]
    ));
    Ok(Row {
        scenario: format!("11. bulk CSV invite of {n} people, one request"),
        stats: None,
        figure: ms(took),
        peak_rss: None,
        target: "<= 2 s, one email each".into(),
        met: Some(
            took.as_secs_f64() <= 2.0
                && answer["created"] == json!(n)
                && made == n as i64
                && mailed == n as i64,
        ),
    })
}
