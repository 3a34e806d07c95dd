//! The transport against a real SMTP server over TCP (see [`super::test_server`]).

use super::mime::tests::{from, stored};
use super::test_server::{Offers, TestServer};
use super::*;
use crate::config::SmtpSettings;

#[tokio::test]
async fn consecutive_emails_share_one_connection_with_nagle_off() {
    let smtp = TestServer::start(Offers::default()).await;
    let transport = transport(&smtp.url);
    for _ in 0..3 {
        transport.send(&stored(None)).await.unwrap();
    }
    assert_eq!(smtp.connections(), 1);
    assert_eq!(smtp.messages(), 3);
    // lettre's EHLO, and ours that reads whether PIPELINING is offered.
    assert_eq!(smtp.count("EHLO"), 2, "greeted once");
    assert_eq!(
        smtp.count("NOOP"),
        0,
        "a reused connection is not asked first"
    );
    // Not offered: one command at a time.
    assert_eq!(smtp.pipelined(), Vec::<String>::new());
    // Without it each message waited 40 ms for the server's delayed ACK.
    let Kind::Smtp(pool) = &transport.kind else {
        unreachable!()
    };
    assert!(pool.server.open_socket().await.unwrap().nodelay().unwrap());

    transport.shutdown().await;
    smtp.wait_for("QUIT").await;
}

#[tokio::test]
async fn the_envelope_and_data_go_in_one_write_when_the_server_offers_pipelining() {
    let smtp = TestServer::start(Offers {
        pipelining: true,
        ..Offers::default()
    })
    .await;
    let transport = transport(&smtp.url);
    for _ in 0..2 {
        transport.send(&stored(None)).await.unwrap();
    }
    assert_eq!((smtp.connections(), smtp.messages()), (1, 2));
    // Each message's MAIL FROM and RCPT TO arrived with the next command behind them
    // (DATA last, as RFC 2920 wants); the content only after DATA's reply.
    let verbs: Vec<String> = smtp
        .pipelined()
        .iter()
        .map(|c| c.chars().take(4).collect())
        .collect();
    assert_eq!(verbs, ["MAIL", "RCPT", "MAIL", "RCPT"]);
}

#[tokio::test]
async fn a_connection_the_server_closed_is_replaced_without_losing_the_email() {
    for pipelining in [false, true] {
        let smtp = TestServer::start(Offers {
            hang_up_after_each_message: true,
            pipelining,
            ..Offers::default()
        })
        .await;
        let transport = transport(&smtp.url);
        transport.send(&stored(None)).await.unwrap();
        // Sent on the closed connection first: its first reply fails, nothing was taken,
        // and the same send goes on at once on a new connection.
        transport.send(&stored(None)).await.unwrap();
        assert_eq!(
            (smtp.connections(), smtp.messages()),
            (2, 2),
            "pipelining: {pipelining}"
        );
    }
}

#[tokio::test]
async fn a_refusal_is_sorted_and_the_next_email_still_goes() {
    for pipelining in [false, true] {
        let smtp = TestServer::start(Offers {
            refuse_rcpt: Some("550 5.1.1 no such user\r\n"),
            pipelining,
            ..Offers::default()
        })
        .await;
        let transport = transport(&smtp.url);
        let error = transport.send(&stored(None)).await.unwrap_err();
        assert!(error.is_permanent(), "{error}");
        smtp.offers().refuse_rcpt = Some("451 4.3.0 try later\r\n");
        let error = transport.send(&stored(None)).await.unwrap_err();
        assert!(!error.is_permanent(), "{error}");
        smtp.offers().refuse_rcpt = None;
        transport.send(&stored(None)).await.unwrap();
        assert_eq!(smtp.messages(), 1, "pipelining: {pipelining}");
    }
}

#[tokio::test]
async fn a_refused_sender_is_an_answer_not_a_closed_connection() {
    let smtp = TestServer::start(Offers {
        pipelining: true,
        ..Offers::default()
    })
    .await;
    let transport = transport(&smtp.url);
    // Two connections open and idle (the pool's size).
    let (first, second) = (stored(None), stored(None));
    let (a, b) = tokio::join!(transport.send(&first), transport.send(&second));
    a.unwrap();
    b.unwrap();
    assert_eq!(smtp.connections(), 2);
    smtp.offers().refuse_mail = Some("553 5.7.1 sender refused\r\n");
    let error = transport.send(&stored(None)).await.unwrap_err();
    assert!(error.is_permanent(), "{error}");
    // Answered once, on the first idle connection: not tried again on the other.
    assert_eq!(smtp.count("MAIL"), 3);
    assert_eq!(smtp.connections(), 2);
}

#[tokio::test]
async fn starttls_is_used_when_offered_and_insisted_on_when_required() {
    // Offered (and then failing here): the mail is not sent in the clear.
    let smtp = TestServer::start(Offers {
        starttls: true,
        ..Offers::default()
    })
    .await;
    let error = transport(&smtp.url).send(&stored(None)).await.unwrap_err();
    assert!(!error.is_permanent(), "{error}");
    assert_eq!(smtp.count("STARTTLS"), 1);
    assert_eq!((smtp.count("MAIL"), smtp.messages()), (0, 0));

    // Not offered: required refuses the server, opportunistic sends in the clear.
    let smtp = TestServer::start(Offers::default()).await;
    let required = format!("{}?tls=required", smtp.url);
    assert!(transport(&required).send(&stored(None)).await.is_err());
    assert_eq!(smtp.count("MAIL"), 0);
    transport(&smtp.url).send(&stored(None)).await.unwrap();
    assert_eq!(smtp.messages(), 1);
}

#[tokio::test]
async fn smtps_speaks_tls_from_the_first_byte() {
    let smtp = TestServer::start(Offers::default()).await;
    let url = smtp.url.replacen("smtp://", "smtps://", 1);
    let error = transport(&url).send(&stored(None)).await.unwrap_err();
    assert!(!error.is_permanent(), "{error}");
    assert_eq!(smtp.count("EHLO"), 0, "the handshake came first and failed");
    assert_eq!(smtp.messages(), 0);
}

#[tokio::test]
async fn a_server_certificate_signed_by_the_ca_file_is_trusted_and_without_it_refused() {
    let smtp = TestServer::start_tls(Offers::default(), "smtp-test-server").await;
    // The platform does not know the test CA.
    let error = transport(&smtp.url).send(&stored(None)).await.unwrap_err();
    assert!(!error.is_permanent(), "{error}");
    assert_eq!((smtp.count("EHLO"), smtp.messages()), (0, 0));

    let ca = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/smtp-test-ca.pem"
    );
    transport_with(&[
        ("CONVENE_SMTP_URL", &smtp.url),
        ("CONVENE_SMTP_CA_FILE", ca),
    ])
    .send(&stored(None))
    .await
    .unwrap();
    assert_eq!(smtp.messages(), 1);
}

#[tokio::test]
async fn credentials_log_in_over_implicit_tls() {
    // lettre does not know our implicit-TLS stream as encrypted: the guard must.
    let smtp = TestServer::start_tls(
        Offers {
            auth: true,
            ..Offers::default()
        },
        "smtp-test-server",
    )
    .await;
    let url = smtp.url.replacen("smtps://", "smtps://dana:secret@", 1);
    let ca = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/smtp-test-ca.pem"
    );
    transport_with(&[("CONVENE_SMTP_URL", &url), ("CONVENE_SMTP_CA_FILE", ca)])
        .send(&stored(None))
        .await
        .unwrap();
    assert_eq!((smtp.count("AUTH"), smtp.messages()), (1, 1));
}

#[tokio::test]
async fn the_credentials_of_the_url_log_in_in_the_clear_only_when_written_out() {
    use base64::Engine;
    let smtp = TestServer::start(Offers {
        auth: true,
        ..Offers::default()
    })
    .await;
    let url = smtp.url.replacen("smtp://", "smtp://dana%40x:p%3Ass@", 1);
    transport(&format!("{url}?tls=opportunistic"))
        .send(&stored(None))
        .await
        .unwrap();
    let auth = smtp.commands_starting("AUTH PLAIN ");
    let [line] = auth.as_slice() else {
        panic!("one AUTH expected: {auth:?}")
    };
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(line.trim_start_matches("AUTH PLAIN "))
        .unwrap();
    assert_eq!(decoded, b"\0dana@x\0p:ss");
    assert_eq!(smtp.messages(), 1);
}

#[tokio::test]
async fn credentials_are_not_sent_to_a_server_without_starttls() {
    let smtp = TestServer::start(Offers {
        auth: true,
        ..Offers::default()
    })
    .await;
    let url = smtp
        .url
        .replacen("smtp://", "smtp://dana:hunter2-secret@", 1);
    let error = transport(&url).send(&stored(None)).await.unwrap_err();
    assert!(!error.is_permanent(), "the server may be fixed: {error}");
    assert!(
        error.to_string().contains("does not offer STARTTLS"),
        "{error}"
    );
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert_eq!((smtp.count("AUTH"), smtp.count("MAIL")), (0, 0));
    assert!(smtp
        .commands_starting("")
        .iter()
        .all(|c| !c.contains("hunter2")));
}

#[tokio::test]
async fn the_helo_name_of_the_settings_greets_the_server() {
    let smtp = TestServer::start(Offers::default()).await;
    transport_with(&[
        ("CONVENE_SMTP_URL", &smtp.url),
        ("CONVENE_SMTP_HELO", "mail.example.org"),
    ])
    .send(&stored(None))
    .await
    .unwrap();
    assert_eq!(
        smtp.commands_starting("EHLO"),
        ["EHLO mail.example.org", "EHLO mail.example.org"]
    );
}

fn transport(url: &str) -> Transport {
    transport_with(&[("CONVENE_SMTP_URL", url)])
}

fn transport_with(vars: &[(&str, &str)]) -> Transport {
    let settings = SmtpSettings::from_lookup(|name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    })
    .unwrap()
    .unwrap();
    let server = SmtpServer::new(&settings).unwrap();
    Transport {
        from: from(),
        dkim: None,
        dkim_record: None,
        kind: Kind::Smtp(Box::new(SmtpPool::new(server, 2))),
    }
}
