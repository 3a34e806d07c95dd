//! Abuse limits: bodies too large or nested too deep, slow clients, bulk uploads past
//! their limits, and the per-address throttles on public endpoints (guessed secret links,
//! requests for an invitation).

use std::time::{Duration, Instant};

use actix_web::http::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::{spawn_app, spawn_app_with, token_of, TestApp, TestResponse};
use crate::invitation_requests::request_body;
use crate::invitations::{invitation_token, invite, SLUG};
use crate::registration::registered;

/// A connection to the app from `from`: every 127.x.y.z address is this machine, so one
/// test can play several clients.
async fn connect_from(app: &TestApp, from: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(format!("{from}:0").parse().expect("address"))
        .unwrap_or_else(|e| panic!("cannot bind {from}: {e}"));
    socket
        .connect(format!("127.0.0.1:{}", app.port).parse().expect("address"))
        .await
        .expect("connect")
}

/// Reads until the server closes the connection, or `within` passes: (what arrived, closed?).
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let closed = tokio::time::timeout(within, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .is_ok();
    (String::from_utf8_lossy(&got).into_owned(), closed)
}

/// The status code of a raw HTTP answer.
fn status_of(answer: &str) -> u16 {
    answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

/// One GET from `from`, answered and closed: (status, the whole answer).
async fn get_from(app: &TestApp, from: &str, path: &str) -> (u16, String) {
    let mut stream = connect_from(app, from).await;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(60)).await;
    assert!(closed, "the server closes a Connection: close exchange");
    (status_of(&answer), answer)
}

fn random_token() -> String {
    convene::domain::SecretToken::generate().expose().to_owned()
}

async fn ask_invitation(app: &TestApp, body: &Value) -> TestResponse {
    app.post(&format!("/api/v1/events/{SLUG}/invitation-requests"), body)
        .await
}

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

#[actix_web::test]
async fn json_nested_too_deeply_is_refused_with_a_problem_and_the_server_lives_on() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;

    // 33 levels, just past the limit, and a million, which would overflow a stack that
    // recursed into it; inside a field the form knows, and in a bulk upload.
    for depth in [33, 1_000_000] {
        let body = format!(r#"{{"full_name": {}}}"#, nested(depth));
        let res = app
            .send(
                app.raw(
                    Method::POST,
                    &format!("/api/v1/events/{SLUG}/invitation-requests"),
                ),
                Some(("application/json", body.into_bytes())),
            )
            .await;
        let problem = res.problem(400);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("nested too deeply: at most 32 levels"),
            "{problem}"
        );
        let bulk = app
            .send(
                app.raw(
                    Method::POST,
                    &format!("/api/v1/events/{SLUG}/invitations/bulk"),
                )
                .insert_header(("cookie", admin.cookie.clone())),
                Some(("application/json", nested(depth).into_bytes())),
            )
            .await;
        assert!(bulk.problem(400)["detail"]
            .as_str()
            .unwrap()
            .contains("nested too deeply"));
    }
    // Brackets inside strings are text, not nesting.
    let mut fine = request_body("maria@springfield.gov");
    fine["reason"] = json!("[".repeat(200));
    assert_eq!(ask_invitation(&app, &fine).await.status, 202);
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[actix_web::test]
async fn a_body_past_the_size_limit_is_refused_naming_the_limit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let mut big = request_body("maria@springfield.gov");
    big["reason"] = json!("x".repeat(3 * 1024 * 1024));
    let res = ask_invitation(&app, &big).await;
    let problem = res.problem(413);
    assert_eq!(
        problem["detail"], "the body must be at most 2097152 bytes",
        "{problem}"
    );
}

#[actix_web::test]
async fn a_bulk_upload_past_its_row_or_byte_limit_is_refused_whole_naming_the_limit() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let bulk = |content_type: &'static str, body: Vec<u8>| {
        let req = app
            .raw(
                Method::POST,
                &format!("/api/v1/events/{SLUG}/invitations/bulk"),
            )
            .insert_header(("cookie", admin.cookie.clone()));
        app.send(req, Some((content_type, body)))
    };
    let header = "email,full_name,title,community_name,community_state\n";
    let row = |i: usize| format!("person{i}@example.org,Person {i},City Manager,Springfield,IL\n");

    // 5,001 rows, well under the byte limit.
    let csv: String = std::iter::once(header.to_owned())
        .chain((0..5_001).map(row))
        .collect();
    assert!(csv.len() < 4 * 1024 * 1024);
    let res = bulk("text/csv", csv.into_bytes()).await;
    assert_eq!(
        res.problem(413)["detail"],
        "a bulk request may carry at most 5000 invitations"
    );

    // Few rows, but past the byte limit (a huge message cell).
    let csv = format!(
        "email,full_name,title,community_name,community_state,message\n\
         a@example.org,A,City Manager,Springfield,IL,{}\n",
        "x".repeat(4 * 1024 * 1024)
    );
    let res = bulk("text/csv", csv.into_bytes()).await;
    assert_eq!(
        res.problem(413)["detail"],
        "the body must be at most 4194304 bytes"
    );
    let json_rows: Vec<Value> = (0..2)
        .map(|i| json!({ "email": format!("p{i}@example.org"), "message": "x".repeat(3 * 1024 * 1024) }))
        .collect();
    let res = bulk("application/json", serde_json::to_vec(&json_rows).unwrap()).await;
    assert_eq!(
        res.problem(413)["detail"],
        "the body must be at most 4194304 bytes"
    );

    let listed = app
        .get_as(&admin, &format!("/api/v1/events/{SLUG}/invitations"))
        .await
        .json();
    assert_eq!(listed["total"], 0, "nothing was created: {listed}");
}

#[actix_web::test]
async fn a_client_that_trickles_its_headers_is_answered_408_and_disconnected() {
    let app = spawn_app_with(&[("CONVENE_CLIENT_TIMEOUT_MS", "500")]).await;
    let stream = connect_from(&app, "127.0.0.1").await;
    let (mut reader, mut writer) = stream.into_split();
    let started = Instant::now();
    // One byte of headers every 100 ms: each byte arrives long before any per-read
    // timeout would fire, so only a deadline for the whole head stops it.
    let trickle = tokio::spawn(async move {
        let head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".iter();
        for byte in head.chain(std::iter::repeat(&b'a')) {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut got = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(10), reader.read_to_end(&mut got))
        .await
        .is_ok();
    trickle.abort();
    let answer = String::from_utf8_lossy(&got);
    assert!(closed, "the connection is closed");
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cut off after about the timeout, not after {:?}",
        started.elapsed()
    );
    assert_eq!(app.get("/healthz").await.status, 200);
}

#[actix_web::test]
async fn a_client_that_sends_part_of_its_body_is_answered_408() {
    let app = spawn_app_with(&[("CONVENE_CLIENT_TIMEOUT_MS", "500")]).await;
    let mut stream = connect_from(&app, "127.0.0.1").await;
    let head = format!(
        "POST /api/v1/events/{SLUG}/invitation-requests HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"full_name\": "
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert_eq!(status_of(&answer), 408, "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
    assert!(
        answer.contains("the body did not arrive within 0.5 seconds"),
        "{answer}"
    );
    assert!(closed, "the connection is closed");
}

#[actix_web::test]
async fn a_connection_that_sends_nothing_is_closed() {
    let app = spawn_app_with(&[("CONVENE_CLIENT_TIMEOUT_MS", "500")]).await;
    let mut stream = connect_from(&app, "127.0.0.1").await;
    // Well before actix's own default of 5 s, so this is the configured timeout at work.
    let (_, closed) = read_until_closed(&mut stream, Duration::from_secs(3)).await;
    assert!(closed, "an idle connection is closed after the timeout");
}

#[actix_web::test]
async fn guessing_links_from_one_address_is_throttled_while_others_use_theirs() {
    let app = spawn_app_with(&[("CONVENE_TOKEN_MISS_LIMIT", "5")]).await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let invitation = invitation_token(&app, "dana@example.org").await;
    let manage = token_of(
        registered(&app, &invitation, "dana@example.org").await["manage_url"]
            .as_str()
            .unwrap(),
    );
    let revoked = {
        let id = invite(&app, &admin, SLUG, "lee@example.org").await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = invitation_token(&app, "lee@example.org").await;
        let res = app
            .post_as(
                &admin,
                &format!("/api/v1/events/{SLUG}/invitations/{id}/revoke"),
                &json!({}),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        token
    };

    // A revoked link is a real one: 410 as often as asked, never counted as a guess.
    for _ in 0..8 {
        app.get(&format!("/api/v1/invitations/{revoked}"))
            .await
            .problem(410);
    }
    // Five unknown tokens (the limit), of both kinds and of any shape, are plain 404s...
    for path in [
        format!("/api/v1/invitations/{}", random_token()),
        format!("/api/v1/manage/{}", random_token()),
        "/api/v1/manage/not-a-token".to_owned(),
        format!("/api/v1/invitations/{}", random_token()),
    ] {
        app.get(&path).await.problem(404);
    }
    let form = crate::registration::registration_body("guess@example.org");
    let path = format!("/api/v1/invitations/{}/registration", random_token());
    app.post(&path, &form).await.problem(404);
    // ...and the sixth is refused before any lookup, as is every token from this address,
    // its own included (otherwise the answer would still tell which tokens exist).
    for path in [
        format!("/api/v1/invitations/{}", random_token()),
        format!("/api/v1/manage/{manage}"),
        format!("/api/v1/invitations/{invitation}"),
    ] {
        let res = app.get(&path).await;
        res.problem(429);
        let wait: u64 = res
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=600).contains(&wait), "Retry-After: {wait}");
    }
    // Organizer endpoints from the same address are not affected.
    assert_eq!(app.get_as(&admin, "/api/v1/events").await.status, 200);

    // Another address uses its links, and its own guesses are its own.
    let (status, answer) = get_from(&app, "127.0.0.2", &format!("/api/v1/manage/{manage}")).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("dana@example.org"));
    let (status, _) = get_from(
        &app,
        "127.0.0.2",
        &format!("/api/v1/invitations/{invitation}"),
    )
    .await;
    assert_eq!(status, 200);
    let (status, answer) = get_from(
        &app,
        "127.0.0.2",
        &format!("/api/v1/manage/{}", random_token()),
    )
    .await;
    assert_eq!(status, 404, "{answer}");
}

#[actix_web::test]
async fn the_limit_on_requests_for_an_invitation_is_configurable() {
    let app = spawn_app_with(&[("CONVENE_INVITATION_REQUEST_LIMIT", "2")]).await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    for i in 0..2 {
        let res = ask_invitation(&app, &request_body(&format!("m{i}@example.org"))).await;
        assert_eq!(res.status, 202, "{}", res.text());
    }
    let res = ask_invitation(&app, &request_body("m3@example.org")).await;
    res.problem(429);
    assert!(res.header("retry-after").is_some());
    let (status, _) = {
        // Another address still may.
        let body = serde_json::to_string(&request_body("m4@example.org")).unwrap();
        let mut stream = connect_from(&app, "127.0.0.3").await;
        let request = format!(
            "POST /api/v1/events/{SLUG}/invitation-requests HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("sent");
        let (answer, _) = read_until_closed(&mut stream, Duration::from_secs(60)).await;
        (status_of(&answer), answer)
    };
    assert_eq!(status, 202);
}

/// Two instances on one database. On PostgreSQL the guesses counted by both are one count:
/// an address that guessed on the first and then on the second is refused by both. An
/// instance believes the database's "not limited" for about a second (a client opening its
/// own links costs one query a second, not one a request), so guesses counted by the
/// *other* instance reach it within that second. On SQLite each instance counts its own.
#[actix_web::test]
async fn two_instances_on_postgresql_share_the_count_of_guessed_links() {
    let first = spawn_app_with(&[("CONVENE_TOKEN_MISS_LIMIT", "4")]).await;
    let admin = first.admin().await;
    first.create_event(&admin, SLUG).await;
    invite(&first, &admin, SLUG, "dana@example.org").await;
    let invitation = invitation_token(&first, "dana@example.org").await;
    let second = convene::startup::Application::build(crate::helpers::test_settings(
        &first.db.url,
        first.mail_dir.path(),
        &[("CONVENE_TOKEN_MISS_LIMIT", "4")],
    ))
    .await
    .expect("the second instance starts");
    let other = crate::helpers::Api::new(format!("http://127.0.0.1:{}", second.port()));
    let handle = second.handle();
    let running = actix_web::rt::spawn(second.run_until_stopped());
    let own = format!("/api/v1/invitations/{invitation}");

    // Dana's own link, many times on both: never a guess, and the first instance now
    // believes "not limited" for a moment.
    for api in [&*first, &other, &*first, &other] {
        assert_eq!(api.get(&own).await.status, 200);
    }
    // Two guesses on the first, two on the second: the limit, counted together.
    for api in [&*first, &*first, &other, &other] {
        api.get(&format!("/api/v1/invitations/{}", random_token()))
            .await
            .problem(404);
    }
    let shared = crate::helpers::backend_name() == "postgresql";
    // The second counted the last guess itself, so it knows at once.
    let res = other.get(&own).await;
    if shared {
        res.problem(429);
    } else {
        assert_eq!(res.status, 200, "{}", res.text());
    }
    // The first counted its own guesses (each one made it ask again), but the second's
    // reach it from the database: at once here, or within a second had it just been told
    // "not limited".
    let res = crate::helpers::wait_until(
        "the first instance refuses the address",
        Duration::from_secs(if shared { 5 } else { 0 }),
        async || {
            let res = first.get(&own).await;
            if !shared || res.status == 429 {
                Ok(res)
            } else {
                Err(format!("{}: {}", res.status, res.text()))
            }
        },
    )
    .await;
    if shared {
        res.problem(429);
    } else {
        assert_eq!(res.status, 200, "{}", res.text());
    }
    handle.stop(true).await;
    running.await.unwrap().unwrap();
}
