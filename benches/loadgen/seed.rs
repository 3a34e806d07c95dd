//! What the harness does to the database directly, through the service's own library
//! and never over HTTP: seeding events and invitations with tokens it knows (hashed as
//! the service hashes them), checking invariants afterwards, queueing mail for the
//! delivery scenario, and the raw durable commit rate that bounds everything else.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{Duration as Days, Utc};
use convene::db::models::event::{self, Event};
use convene::db::models::{community, invitation, registration};
use convene::db::schema::emails;
use convene::db::{self, write_transaction, DbConnection, DbPool};
use convene::domain::community::CommunitySpec;
use convene::domain::event::{EventFields, EventSpec, EventStatus};
use convene::domain::invitation::{InvitationKind, InvitationSpec, InvitationStatus};
use convene::domain::organizer::Role;
use convene::domain::EventId;
use convene::domain::{EmailAddress, SecretToken};
use convene::email::messages::{self, Requests};
use convene::email::outbox;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

pub const ADMIN_EMAIL: &str = "admin@bench.example";
pub const ADMIN_PASSWORD: &str = "a long benchmark passphrase";

/// Communities the invitees come from (the summit counts 20-40).
const COMMUNITIES: usize = 40;

pub struct SeededEvent {
    pub id: EventId,
    pub slug: String,
    /// The raw invitation tokens, as the invitation emails would carry them.
    pub tokens: Vec<String>,
}

/// An open event with `invitations` sent invitations, 90 % as many seats (so the last
/// registrants reach the waiting list), and an admin to sign in with.
pub fn event_with_invitations(
    conn: &mut DbConnection,
    slug: &str,
    invitations: usize,
) -> anyhow::Result<SeededEvent> {
    let capacity = i32::try_from((invitations * 9 / 10).max(1)).context("capacity")?;
    let today = Utc::now().date_naive();
    let spec = EventSpec::parse(event_fields(slug, today + Days::days(60), capacity.into()))
        .map_err(|e| anyhow::anyhow!("event spec: {e:?}"))?;
    let mut tokens = Vec::with_capacity(invitations);
    let admin = match convene::db::models::organizer::find_by_email(conn, ADMIN_EMAIL)? {
        Some(admin) => admin,
        None => convene::cli::create_organizer(
            conn,
            &EmailAddress::parse(ADMIN_EMAIL).map_err(anyhow::Error::msg)?,
            "Benchmark Admin",
            Role::Admin,
            &convene::auth::PasswordHasher::hash_now(ADMIN_PASSWORD)?,
        )?,
    };
    let seeded = write_transaction(conn, |conn| -> anyhow::Result<Event> {
        let event = event::create(conn, &spec)?;
        let mut communities = Vec::with_capacity(COMMUNITIES);
        for c in 0..COMMUNITIES {
            let spec = CommunitySpec::parse(Some(&format!("Town {c}")), Some("IL"), None)
                .map_err(|e| anyhow::anyhow!("community: {e:?}"))?;
            communities.push((community::find_or_create(conn, &spec)?, spec));
        }
        let at = db::now();
        for i in 0..invitations {
            let (community, community_spec) = &communities[i % COMMUNITIES];
            let token = SecretToken::generate();
            let spec = InvitationSpec {
                email: EmailAddress::parse(&format!("exec{i}@{slug}.bench.example"))
                    .map_err(anyhow::Error::msg)?,
                full_name: format!("Executive {i}"),
                title: "City Manager".into(),
                community: community_spec.clone(),
                kind: InvitationKind::Executive,
                message: None,
                organization: Some(format!("City of {}", community.name)),
                expires_at: None,
            };
            invitation::create(
                conn,
                invitation::NewInvitationArgs {
                    event_id: &event.id,
                    community_id: &community.id,
                    spec: &spec,
                    token_hash: &token.hash(),
                    status: InvitationStatus::Sent,
                    expires_at: at + Days::days(30),
                    invited_by: Some(&admin.id),
                    nominated_by: None,
                    at,
                },
            )?;
            tokens.push(token.expose().to_owned());
        }
        Ok(event)
    })?;
    Ok(SeededEvent {
        id: seeded.id,
        slug: seeded.slug,
        tokens,
    })
}

/// What organizers write about an event (about 1.5 kB of Markdown), so that the invitee's
/// page, which shows it as HTML, is measured with the text a real event has.
const DESCRIPTION: &str = "\
Two days with the chief executives of forty cities, on what they learned running \
their communities through **three hard years**, and what they will try next.

## The programme

1. *Opening*: the state of cities, in the mayors' own words.
2. Working sessions in groups of eight, each led by two of you.
3. Site visits: the [transit hub](https://example.org/transit) and the new library.
4. Closing: what each city commits to for the coming year.

## Who comes

Chief executives and the young leaders they nominate. Each executive may bring one \
young leader from their community; scholarships cover part of the travel.

> We are not here to be told what works. We are here to compare notes.

| Day | Morning | Afternoon |
|---|---|---|
| Tuesday | Opening | Working sessions |
| Wednesday | Site visits | Commitments |
";

const PRACTICAL_INFO: &str = "\
## Getting there

The venue is ten minutes on foot from the central station. Parking is limited: \
please come by train if you can, and tell us in the form if you need a space.

## Staying

Rooms are held at the **Riverside Hotel** until four weeks before the event; mention \
the summit when you book. See the [hotel's page](https://example.org/hotel).

- Badges are printed at the door.
- Dietary needs: tell us in the registration form.
- Questions: write to the organizing team.
";

/// An open event of the benchmark: three days from `starts_on` in Chicago, in dollars,
/// with this many seats. Other scenarios change what they need.
pub fn event_fields(slug: &str, starts_on: chrono::NaiveDate, capacity: i64) -> EventFields {
    EventFields {
        slug: slug.to_owned(),
        name: format!("Benchmark summit {slug}"),
        venue: "Main hall".into(),
        city: "Springfield".into(),
        starts_on,
        ends_on: starts_on + Days::days(2),
        timezone: "America/Chicago".into(),
        capacity,
        scholarship_budget_cents: 1_000_000,
        currency: "USD".into(),
        status: EventStatus::Open,
        registration_opens_at: None,
        registration_closes_at: None,
        invitation_ttl_days: 30,
        nominations_per_executive: 1,
        description: DESCRIPTION.into(),
        practical_info: PRACTICAL_INFO.into(),
        contact_email: None,
        program: None,
        reminder_days_before: Some(3),
        retention_days: convene::domain::event::DEFAULT_RETENTION_DAYS,
    }
}

/// Seats and registrations of an event after a run, to check that capacity held.
#[derive(Debug)]
pub struct Occupancy {
    pub capacity: i32,
    pub seats_taken: i32,
    pub confirmed: i64,
    pub waitlisted: i64,
}

/// The event's seats and its registrations, counted row by row (not from the counts the
/// database keeps, which must agree: an error if they do not).
pub fn occupancy(conn: &mut DbConnection, event_id: &EventId) -> anyhow::Result<Occupancy> {
    use convene::db::schema::registrations;
    let event = event::find(conn, event_id)?;
    let mut counts: Vec<(String, i64)> = registrations::table
        .filter(registrations::event_id.eq(event_id))
        .group_by(registrations::status)
        .select((registrations::status, diesel::dsl::count_star()))
        .load(conn)?;
    let mut kept = registration::counts_by_status(conn, event_id)?;
    kept.retain(|(_, n)| *n != 0);
    counts.sort();
    kept.sort();
    anyhow::ensure!(
        kept == counts,
        "the registration counts kept by the database {kept:?} differ from the rows {counts:?}"
    );
    let count = |s: &str| {
        counts
            .iter()
            .find(|(status, _)| status == s)
            .map_or(0, |(_, n)| *n)
    };
    Ok(Occupancy {
        capacity: event.capacity,
        seats_taken: event.seats_taken,
        confirmed: count("confirmed"),
        waitlisted: count("waitlisted"),
    })
}

/// The check-in codes of up to `n` confirmed registrations of the event, as their QR
/// codes carry them (scenario 6: the door).
pub fn checkin_codes(
    conn: &mut DbConnection,
    event_id: &EventId,
    n: usize,
) -> anyhow::Result<Vec<String>> {
    use convene::db::schema::registrations;
    Ok(registrations::table
        .filter(registrations::event_id.eq(event_id))
        .filter(registrations::status.eq("confirmed"))
        .order(registrations::id)
        .limit(i64::try_from(n)?)
        .select(registrations::checkin_code)
        .load(conn)?)
}

pub fn pending_emails(conn: &mut DbConnection) -> anyhow::Result<i64> {
    emails_with_status(conn, "pending")
}

pub fn failed_emails(conn: &mut DbConnection) -> anyhow::Result<i64> {
    emails_with_status(conn, "failed")
}

fn emails_with_status(conn: &mut DbConnection, status: &str) -> anyhow::Result<i64> {
    Ok(emails::table
        .filter(emails::status.eq(status))
        .count()
        .get_result(conn)?)
}

/// Queues a confirmation email (with its calendar file) for each of up to `limit`
/// registrations of the event, in one transaction: a backlog for the delivery scenario.
pub fn queue_confirmations(
    conn: &mut DbConnection,
    event_id: &EventId,
    base: &url::Url,
    limit: usize,
) -> anyhow::Result<usize> {
    let event = event::find(conn, event_id)?;
    let regs = registration::all_for_event(conn, event_id)?;
    write_transaction(conn, |conn| -> anyhow::Result<usize> {
        let mut queued = 0;
        for (reg, _) in regs.iter().take(limit) {
            let link = messages::manage_link(base, SecretToken::generate().expose());
            let email =
                messages::registration_confirmed(&event, reg, base, &link, &Requests::default());
            outbox::queue(conn, email)?;
            queued += 1;
        }
        Ok(queued)
    })
}

/// Durable commits per second: `concurrency` threads each committing one small insert
/// per transaction through `pool`, for `duration`. No HTTP, no service code.
pub fn raw_commits(
    pool: &DbPool,
    concurrency: usize,
    duration: Duration,
) -> anyhow::Result<(usize, Duration)> {
    pool.get()?.batch_execute(
        "CREATE TABLE IF NOT EXISTS bench_commits (id VARCHAR(36) PRIMARY KEY, n BIGINT NOT NULL)",
    )?;
    let done = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..concurrency {
            s.spawn(|| {
                while started.elapsed() < duration && !failed.load(Ordering::Relaxed) {
                    let committed = pool.get().map_err(anyhow::Error::from).and_then(|mut c| {
                        let n = done.load(Ordering::Relaxed);
                        let id = uuid::Uuid::new_v4();
                        write_transaction(&mut c, |c| {
                            c.batch_execute(&format!(
                                "INSERT INTO bench_commits (id, n) VALUES ('{id}', {n})"
                            ))
                        })
                        .map_err(anyhow::Error::from)
                    });
                    match committed {
                        Ok(()) => {
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            eprintln!("raw commit failed: {e:#}");
                            failed.store(true, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
    });
    anyhow::ensure!(!failed.load(Ordering::Relaxed), "raw commits failed");
    Ok((done.load(Ordering::Relaxed), started.elapsed()))
}
