//! SIGTERM to the real process: the request in flight gets its answer, the email being
//! sent is sent and recorded, and nothing is left half done.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::helpers::TestDatabase;

/// Whether the email to `to` is claimed by a sender (or already sent).
fn claimed(conn: &mut convene::db::DbConnection, to: &str) -> bool {
    use convene::db::schema::emails;
    let rows: Vec<(String, Option<chrono::NaiveDateTime>)> = emails::table
        .filter(emails::recipient.eq(to))
        .select((emails::status, emails::locked_until))
        .load(conn)
        .expect("emails");
    rows.iter()
        .any(|(status, lease)| status == "sent" || lease.is_some())
}

#[actix_web::test]
async fn sigterm_lets_the_request_in_flight_and_the_email_being_sent_finish() {
    let db = TestDatabase::create();
    let smtp = TestSmtp::start().await;
    // A generous send timeout: the slow SMTP server must not make this a retry.
    let mut server = ServerProcess::start(
        &db.url,
        &smtp,
        free_port(),
        &[("CONVENE_EMAIL_SEND_TIMEOUT_SECS", "20")],
    );
    server.ready().await;
    let (_, people) = event_with_invitees(&server, &smtp, "shutdown-test", 10, "term", 2).await;
    let (slow_email, slow_token) = people[0].clone();
    let (mailed, mailed_token) = people[1].clone();

    // A request whose body is still arriving when the signal comes.
    let body = serde_json::to_vec(&registration_form(&slow_email)).unwrap();
    let head = format!(
        "POST /api/v1/invitations/{slow_token}/registration HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.port,
        body.len()
    );
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", server.port))
        .await
        .expect("connect");
    slow.write_all(head.as_bytes()).await.unwrap();
    slow.write_all(&body[..body.len() / 2]).await.unwrap();

    // An email being sent: the SMTP server takes 2 s to accept it.
    smtp.set_data_delay(Duration::from_secs(2));
    let res = server
        .post(
            &format!("/api/v1/invitations/{mailed_token}/registration"),
            &registration_form(&mailed),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let mut conn = server.connect();
    wait_until(
        "the confirmation to be claimed",
        Duration::from_secs(20),
        async || {
            if claimed(&mut conn, &mailed) {
                Ok(())
            } else {
                Err("it is not yet".into())
            }
        },
    )
    .await;

    let signalled = Instant::now();
    server.terminate();
    // New connections are refused while the old ones finish.
    wait_until(
        "new connections to be refused",
        Duration::from_secs(10),
        async || {
            let probe = server.raw(Method::GET, "/healthz");
            match server.try_send(probe, None).await {
                Ok(res) => Err(format!("/healthz still answers {}", res.status)),
                Err(_) => Ok(()),
            }
        },
    )
    .await;
    slow.write_all(&body[body.len() / 2..]).await.unwrap();
    let mut answer = Vec::new();
    slow.read_to_end(&mut answer).await.expect("the answer");
    let answer = String::from_utf8_lossy(&answer);
    let status_line = answer.lines().next().unwrap_or_default().to_owned();
    assert!(
        status_line.starts_with("HTTP/1.1 201"),
        "the request in flight is answered: {answer}"
    );
    drop(slow);

    let status = server.exited(Duration::from_secs(40)).await;
    let shutdown = signalled.elapsed();
    assert!(
        status.success(),
        "exit status {status}:\n{}",
        server.log_text()
    );
    // The email being sent went out and was recorded before the process ended.
    let in_flight_delivered = confirmations(&smtp, std::slice::from_ref(&mailed));
    assert_eq!(in_flight_delivered.delivered, 1, "{}", server.log_text());
    assert!(claimed(&mut conn, &mailed));
    {
        use convene::db::schema::emails;
        let status: String = emails::table
            .filter(emails::recipient.eq(&mailed))
            .filter(emails::template.eq("registration_confirmed"))
            .select(emails::status)
            .first(&mut conn)
            .expect("the confirmation");
        assert_eq!(status, "sent", "recorded as sent before the exit");
    }
    let tokens = vec![slow_token, mailed_token];
    assert_eq!(
        stored(&mut conn, "shutdown-test", &tokens)
            .registered_tokens
            .len(),
        2
    );

    // Whatever was still queued goes out after the restart, once.
    smtp.set_data_delay(Duration::ZERO);
    server.restart().await;
    outbox_drained(&mut conn, Duration::from_secs(30)).await;
    let mail = one_confirmation_each(&smtp, &people);
    assert_eq!(mail.redelivered, 0, "a graceful stop sends nothing twice");
    report_figures(
        "graceful_shutdown",
        backend_name(),
        &[
            ("requests_in_flight_answered", "1".into()),
            (
                "emails_in_flight_delivered",
                in_flight_delivered.delivered.to_string(),
            ),
            ("exit_code", status.code().unwrap_or(-1).to_string()),
            ("shutdown_ms", shutdown.as_millis().to_string()),
            ("emails_delivered", mail.delivered.to_string()),
            (
                "duplicates",
                (mail.duplicated.len() + mail.redelivered).to_string(),
            ),
            ("lost", mail.missing.len().to_string()),
        ],
    );
}
