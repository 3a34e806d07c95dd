//! SIGKILL in the middle of a registration rush, then a restart on the same database.

use std::collections::HashMap;
use std::time::Duration;

use super::*;
use crate::helpers::TestDatabase;

const PEOPLE: usize = 120;
const CAPACITY: i64 = 80;
const CONCURRENCY: usize = 32;
/// The process is killed once this many registrations were acknowledged.
const KILL_AFTER: usize = 40;

#[actix_web::test]
async fn a_crash_under_load_loses_no_acknowledged_registration_and_sends_each_email_once() {
    let db = TestDatabase::create();
    let smtp = TestSmtp::start().await;
    let mut server = ServerProcess::start(&db.url, &smtp, free_port(), &[SHORT_CLAIMS]);
    server.ready().await;
    let (_, people) =
        event_with_invitees(&server, &smtp, "crash-test", CAPACITY, "crash", PEOPLE).await;
    let tokens: Vec<String> = people.iter().map(|(_, t)| t.clone()).collect();

    // The rush, with a SIGKILL once KILL_AFTER registrations were acknowledged.
    let (acknowledged, mut acknowledgements) = watch::channel(0);
    let addresses = vec![server.address.clone()];
    let load = {
        let people = people.clone();
        actix_web::rt::spawn(async move {
            register_all_counting(&addresses, &people, CONCURRENCY, acknowledged, None, true).await
        })
    };
    // An error here means the rush ended first, which the assertion below reports.
    let _ = acknowledgements.wait_for(|n| *n >= KILL_AFTER).await;
    server.kill();
    let acknowledged_at_kill = *acknowledgements.borrow();
    let first: HashMap<String, Outcome> = load.await.expect("the load");
    assert!(
        acknowledged_at_kill < PEOPLE,
        "the process was killed before the rush ended"
    );
    let unanswered: Vec<(String, String)> = people
        .iter()
        .filter(|(e, _)| first.get(e) == Some(&Outcome::NoAnswer))
        .cloned()
        .collect();
    let refused: Vec<_> = first
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Refused(..)))
        .collect();
    assert!(
        refused.is_empty(),
        "refused before the crash: {refused:?}\n{}",
        server.log_problems()
    );

    // What was acknowledged survived the crash, before anything else happens.
    let acked_before: Vec<String> = people
        .iter()
        .filter(|(e, _)| matches!(first.get(e), Some(Outcome::Acknowledged(_))))
        .map(|(_, t)| t.clone())
        .collect();
    let after_crash = stored(&mut server.connect(), "crash-test", &tokens);
    let lost: Vec<&String> = acked_before
        .iter()
        .filter(|t| !after_crash.registered_tokens.contains(*t))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged registrations lost",
        lost.len()
    );
    // Committed in the instant before the kill, but never answered.
    let committed_unanswered = after_crash.registered_tokens.len() - acked_before.len();

    // Restart; the clients that got no answer try again, as a person would.
    server.restart().await;
    let addresses = vec![server.address.clone()];
    let second = register_all(&addresses, &unanswered, CONCURRENCY).await;
    let mut already = 0;
    for (email, outcome) in &second {
        match outcome {
            Outcome::Acknowledged(_) => {}
            // Their first try was committed before the crash: nothing to do twice.
            Outcome::Refused(409, body) if body.contains("already registered") => already += 1,
            other => panic!(
                "{email}: {other:?} after the restart\n{}",
                server.log_problems()
            ),
        }
    }
    assert_eq!(
        already, committed_unanswered,
        "each committed registration is found again"
    );

    let mut conn = server.connect();
    outbox_drained(&mut conn, Duration::from_secs(60)).await;
    // Anything sent twice would have been in flight with the first copy: a graceful
    // stop waits for every send in flight.
    server.stop().await;
    let end = stored(&mut conn, "crash-test", &tokens);
    assert_eq!(
        end.registered_tokens.len(),
        PEOPLE,
        "everyone is registered in the end"
    );
    assert_eq!(end.invitations_registered_twice, 0);
    let confirmed = end
        .registrations
        .values()
        .filter(|s| *s == "confirmed")
        .count();
    assert_eq!(confirmed as i64, CAPACITY, "capacity holds, and is used");
    assert_eq!(end.seats_taken as i64, CAPACITY);
    assert!(
        unsent_emails(&mut conn).is_empty(),
        "{:?}",
        unsent_emails(&mut conn)
    );
    let mail = one_confirmation_each(&smtp, &people);

    report_figures(
        "crash_mid_load",
        backend_name(),
        &[
            ("registrations_sent", PEOPLE.to_string()),
            ("concurrency", CONCURRENCY.to_string()),
            ("acknowledged_before_kill", acked_before.len().to_string()),
            ("committed_unanswered", committed_unanswered.to_string()),
            (
                "acknowledged_total",
                end.registered_tokens.len().to_string(),
            ),
            ("confirmed", confirmed.to_string()),
            ("capacity", CAPACITY.to_string()),
            ("emails_delivered", mail.delivered.to_string()),
            ("duplicates", mail.duplicated.len().to_string()),
            ("redelivered_same_message_id", mail.redelivered.to_string()),
            ("lost", lost.len().to_string()),
        ],
    );
}
