//! Three server processes on one database: they share the registration rush, the
//! organizers' decisions (one session works on all three) and one outbox.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use super::*;
use crate::helpers::TestDatabase;
use crate::smtp::sent_message_id;

const PEOPLE: usize = 90;
const CAPACITY: i64 = 60;
const AWARD: i64 = 100_000;
/// Enough for 12 awards of [`AWARD`].
const BUDGET: i64 = 12 * AWARD;

#[actix_web::test]
async fn three_instances_share_the_load_without_overrunning_capacity_or_budget_and_send_each_email_once(
) {
    let db = TestDatabase::create();
    let smtp = TestSmtp::start().await;
    // A slow SMTP server keeps each sender busy, so that all three take part.
    smtp.set_data_delay(Duration::from_millis(50));
    let mut servers = Vec::new();
    for n in 1..=3 {
        let from = format!("instance{n} <instance{n}@localhost>");
        let mut server = ServerProcess::start(
            &db.url,
            &smtp,
            free_port(),
            &[("CONVENE_MAIL_FROM", from.as_str())],
        );
        server.ready().await;
        servers.push(server);
    }
    let admin = servers[0].admin().await;
    // A session made on one instance works on another.
    servers[1]
        .create_event_with(
            &admin,
            "three-test",
            json!({ "capacity": CAPACITY, "scholarship_budget_cents": BUDGET }),
        )
        .await;
    let people = servers[2]
        .invite_many(&smtp, &admin, "three-test", "three", PEOPLE)
        .await;
    let addresses: Vec<String> = servers.iter().map(|s| s.address.clone()).collect();

    // The rush, round-robin over the three, each asking for a travel scholarship.
    let outcomes = register_all_with(
        &addresses,
        &people,
        24,
        Some(json!({
            "travelers": 1,
            "estimated_cost_cents": 2 * AWARD,
            "requested_amount_cents": AWARD,
            "justification": "Our travel budget is frozen this year.",
        })),
    )
    .await;
    let refused: Vec<_> = outcomes
        .iter()
        .filter(|(_, o)| !matches!(o, Outcome::Acknowledged(_)))
        .collect();
    assert!(
        refused.is_empty(),
        "{refused:?}\n{}",
        servers
            .iter()
            .map(ServerProcess::log_problems)
            .collect::<Vec<_>>()
            .join("\n")
    );

    // Organizers approve every request at once, spread over the three instances.
    let ids: Vec<String> = {
        use convene::db::schema::scholarship_requests;
        scholarship_requests::table
            .select(scholarship_requests::id)
            .load(&mut servers[0].connect())
            .expect("requests")
    };
    assert_eq!(ids.len(), PEOPLE);
    let decisions = Arc::new(Mutex::new(HashMap::<u16, usize>::new()));
    let mut tasks = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let api = Api::new(addresses[i % 3].clone());
        let id = id.clone();
        let admin = admin.clone();
        let decisions = Arc::clone(&decisions);
        tasks.push(actix_web::rt::spawn(async move {
            let res = post_retrying_busy(
                &api,
                &format!("/api/v1/events/three-test/scholarships/{id}/decision"),
                &json!({ "decision": "approved", "awarded_amount_cents": AWARD }),
                Some(&admin),
            )
            .await
            .expect("answered");
            assert!(
                res.status == 200 || (res.status == 409 && res.text().contains("budget")),
                "{}: {}",
                res.status,
                res.text()
            );
            *decisions.lock().unwrap().entry(res.status).or_default() += 1;
        }));
    }
    for t in tasks {
        t.await.expect("a decision");
    }
    let decisions = decisions.lock().unwrap().clone();

    let mut conn = servers[0].connect();
    outbox_drained(&mut conn, Duration::from_secs(90)).await;
    // A copy sent twice would have been in flight with the first one: graceful stops
    // wait for every send in flight.
    for server in &mut servers {
        server.stop().await;
    }

    let tokens: Vec<String> = people.iter().map(|(_, t)| t.clone()).collect();
    let end = stored(&mut conn, "three-test", &tokens);
    assert_eq!(end.registered_tokens.len(), PEOPLE);
    assert_eq!(end.invitations_registered_twice, 0);
    let confirmed = end
        .registrations
        .values()
        .filter(|s| *s == "confirmed")
        .count() as i64;
    assert_eq!(confirmed, CAPACITY, "capacity holds across instances");
    assert_eq!(i64::from(end.seats_taken), CAPACITY);
    let awarded: i64 = {
        use convene::db::schema::events;
        events::table
            .filter(events::slug.eq("three-test"))
            .select(events::scholarship_awarded_cents)
            .first(&mut conn)
            .expect("the event")
    };
    assert_eq!(
        decisions.get(&200).copied().unwrap_or(0) as i64,
        BUDGET / AWARD
    );
    assert_eq!(awarded, BUDGET, "the budget holds across instances");

    // Every email of the outbox arrived exactly once, whichever instance sent it.
    assert!(
        unsent_emails(&mut conn).is_empty(),
        "{:?}",
        unsent_emails(&mut conn)
    );
    let sent_ids: HashSet<String> = {
        use convene::db::schema::emails;
        emails::table
            .select(emails::message_id)
            .load::<String>(&mut conn)
            .expect("emails")
            .iter()
            // Every instance sends from @localhost.
            .map(|stored| sent_message_id(stored, "localhost"))
            .collect()
    };
    let raw = smtp.raw_messages();
    let received: Vec<String> = raw
        .iter()
        .map(|m| ReceivedEmail::parse(m).message_id)
        .collect();
    let distinct: HashSet<String> = received.iter().cloned().collect();
    let duplicates = received.len() - distinct.len();
    let lost = sent_ids.difference(&distinct).count();
    assert_eq!(duplicates, 0, "each email exactly once");
    assert_eq!(lost, 0, "every queued email arrived");
    let by_instance: Vec<usize> = (1..=3)
        .map(|n| {
            raw.iter()
                .filter(|m| m.envelope.from == format!("instance{n}@localhost"))
                .count()
        })
        .collect();
    assert!(
        by_instance.iter().all(|n| *n > 0),
        "all three sent mail: {by_instance:?}"
    );

    report_figures(
        "three_instances",
        backend_name(),
        &[
            ("instances", "3".into()),
            ("requests_acknowledged", PEOPLE.to_string()),
            ("confirmed", confirmed.to_string()),
            ("capacity", CAPACITY.to_string()),
            (
                "awards_approved",
                decisions.get(&200).copied().unwrap_or(0).to_string(),
            ),
            (
                "awards_refused_over_budget",
                decisions.get(&409).copied().unwrap_or(0).to_string(),
            ),
            ("awarded_cents", awarded.to_string()),
            ("budget_cents", BUDGET.to_string()),
            ("emails_delivered", received.len().to_string()),
            (
                "emails_by_instance",
                format!("{}/{}/{}", by_instance[0], by_instance[1], by_instance[2]),
            ),
            ("duplicates", duplicates.to_string()),
            ("lost", lost.to_string()),
        ],
    );
}
