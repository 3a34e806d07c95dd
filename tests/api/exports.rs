//! The CSV exports, made for spreadsheets: amounts as decimals beside their currency,
//! times in the event's zone to the second beside the zone's name, formulas neutralised;
//! registrations (with the awarded scholarship), invitations, nominations, scholarships.

use chrono::DateTime;
use serde_json::{json, Value};

use crate::helpers::{Session, TestApp};
use crate::invitations::{invitation_token, invite, SLUG};
use crate::registration::{register, registration_body};

/// The event's export `name` (`registrations.csv`) as rows of named cells, checking that
/// it is a CSV download for organizers.
pub async fn export(app: &TestApp, s: &Session, name: &str) -> Vec<Vec<(String, String)>> {
    let res = app
        .get_as(s, &format!("/api/v1/events/{SLUG}/{name}"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.header("content-type").unwrap().starts_with("text/csv"));
    assert!(res
        .header("content-disposition")
        .unwrap()
        .contains(&format!("{SLUG}-{name}")));
    let mut reader = csv::Reader::from_reader(res.body.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_owned))
                .collect()
        })
        .collect()
}

pub fn cell<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    row.iter()
        .find(|(h, _)| h == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// An API time (RFC 3339, UTC, with microseconds) as the exports write it in `zone`.
fn local(api_time: &Value, zone: chrono_tz::Tz) -> String {
    DateTime::parse_from_rfc3339(api_time.as_str().expect("a time"))
        .expect("RFC 3339")
        .with_timezone(&zone)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Invites `email`, registers with `form` changed by `changes`, and answers 201.
async fn registered_with(app: &TestApp, admin: &Session, email: &str, changes: Value) {
    invite(app, admin, SLUG, email).await;
    let token = invitation_token(app, email).await;
    let mut form = registration_body(email);
    for (field, value) in changes.as_object().unwrap() {
        form[field] = value.clone();
    }
    let res = register(app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
}

async fn only_item(app: &TestApp, s: &Session, list: &str) -> Value {
    let page = app
        .get_json_as(s, &format!("/api/v1/events/{SLUG}/{list}"))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    page["items"][0].clone()
}

#[actix_web::test]
async fn the_registrations_export_gives_euros_as_decimals_local_times_and_the_award() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(
        &admin,
        SLUG,
        json!({ "currency": "EUR", "timezone": "Europe/Paris" }),
    )
    .await;
    let scholarship = json!({
        "travelers": 2, "estimated_cost_cents": 200_050,
        "requested_amount_cents": 150_000, "justification": "Our travel budget is frozen."
    });
    registered_with(
        &app,
        &admin,
        "dana@example.org",
        json!({ "travel_scholarship": scholarship }),
    )
    .await;
    registered_with(
        &app,
        &admin,
        "mallory@example.org",
        json!({
            "full_name": "Mallory Doe",
            "organization": "=HYPERLINK(\"http://evil.example\",\"x\")",
            "dietary_requirements": "-2+3",
            "accessibility_needs": "@SUM(1+1)",
        }),
    )
    .await;
    let request = only_item(&app, &admin, "scholarships").await;
    let decided = app
        .post_as(
            &admin,
            &format!(
                "/api/v1/events/{SLUG}/scholarships/{}/decision",
                request["id"].as_str().unwrap()
            ),
            &json!({ "decision": "approved", "awarded_amount_cents": 120_000 }),
        )
        .await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    let listed = app
        .get_json_as(&admin, &format!("/api/v1/events/{SLUG}/registrations"))
        .await;

    let rows = export(&app, &admin, "registrations.csv").await;
    assert_eq!(rows.len(), 2);
    let (dana, mallory) = (&rows[0], &rows[1]);
    assert_eq!(cell(dana, "full_name"), "Dana Whitfield");
    assert_eq!(cell(dana, "scholarship_estimated_cost"), "2000.50");
    assert_eq!(cell(dana, "scholarship_requested_amount"), "1500.00");
    assert_eq!(cell(dana, "scholarship_status"), "approved");
    assert_eq!(cell(dana, "scholarship_awarded_amount"), "1200.00");
    assert_eq!(cell(dana, "scholarship_award_status"), "offered");
    assert_eq!(cell(dana, "currency"), "EUR");
    assert_eq!(cell(dana, "time_zone"), "Europe/Paris");
    let paris = chrono_tz::Europe::Paris;
    let api = &listed["items"][0];
    assert_eq!(api["email"], "dana@example.org");
    assert_eq!(
        cell(dana, "registered_at"),
        local(&api["created_at"], paris)
    );
    assert_ne!(
        cell(dana, "registered_at"),
        local(&api["created_at"], chrono_tz::UTC),
        "not UTC"
    );
    assert_eq!(
        cell(dana, "confirmed_at").len(),
        "2027-01-01 10:00:00".len()
    );
    assert_eq!(cell(dana, "cancelled_at"), "");
    // Nothing asked, nothing awarded: empty cells, not zeros.
    assert_eq!(cell(mallory, "scholarship_requested_amount"), "");
    assert_eq!(cell(mallory, "scholarship_awarded_amount"), "");
    assert_eq!(
        cell(mallory, "organization"),
        "'=HYPERLINK(\"http://evil.example\",\"x\")"
    );
    assert_eq!(cell(mallory, "dietary_requirements"), "'-2+3");
    assert_eq!(cell(mallory, "accessibility_needs"), "'@SUM(1+1)");
    assert_eq!(cell(mallory, "phone"), "'+1 617 555 0100");

    let scholarships = export(&app, &admin, "scholarships.csv").await;
    let s = &scholarships[0];
    assert_eq!(
        (
            cell(s, "estimated_cost"),
            cell(s, "requested_amount"),
            cell(s, "awarded_amount")
        ),
        ("2000.50", "1500.00", "1200.00")
    );
    assert_eq!(
        (cell(s, "currency"), cell(s, "time_zone")),
        ("EUR", "Europe/Paris")
    );
    let reply_by = listed_scholarship_reply_by(&app, &admin).await;
    assert_eq!(cell(s, "reply_by"), local(&reply_by, paris));
}

async fn listed_scholarship_reply_by(app: &TestApp, admin: &Session) -> Value {
    only_item(app, admin, "scholarships").await["reply_by"].clone()
}

#[actix_web::test]
async fn invitations_and_nominations_are_exported_beside_registrations_in_the_event_s_own_terms() {
    let app = crate::helpers::spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(
        &admin,
        SLUG,
        json!({ "currency": "JPY", "timezone": "Asia/Tokyo", "scholarship_budget_cents": 5_000_000 }),
    )
    .await;
    let nominee = json!({
        "full_name": "Sam Ortiz", "email": "sam@example.org", "title": "Analyst",
        "organization": "+City of Springfield", "reason": "A rising leader."
    });
    let scholarship = json!({
        "travelers": 1, "estimated_cost_cents": 1_800_000,
        "requested_amount_cents": 1_500_000, "justification": "Flights from Sapporo."
    });
    registered_with(
        &app,
        &admin,
        "dana@example.org",
        json!({ "young_leader_nomination": nominee, "travel_scholarship": scholarship }),
    )
    .await;
    let nomination = only_item(&app, &admin, "nominations").await;
    let approved = app
        .post_as(
            &admin,
            &format!(
                "/api/v1/events/{SLUG}/nominations/{}/approve",
                nomination["id"].as_str().unwrap()
            ),
            &json!({}),
        )
        .await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let tokyo = chrono_tz::Asia::Tokyo;

    // A zero-decimal currency: whole yen, as people (and the dashboard) write them.
    let registrations = export(&app, &admin, "registrations.csv").await;
    assert_eq!(
        cell(&registrations[0], "scholarship_requested_amount"),
        "15000"
    );
    assert_eq!(cell(&registrations[0], "currency"), "JPY");

    let invitations = export(&app, &admin, "invitations.csv").await;
    assert_eq!(invitations.len(), 2, "{invitations:?}");
    let (dana, sam) = (&invitations[0], &invitations[1]);
    assert_eq!(
        (
            cell(dana, "email"),
            cell(dana, "kind"),
            cell(dana, "status")
        ),
        ("dana@example.org", "executive", "accepted")
    );
    assert_eq!(cell(dana, "registration_status"), "confirmed");
    assert_eq!(cell(dana, "community"), "Springfield");
    assert_eq!(
        (cell(sam, "email"), cell(sam, "kind"), cell(sam, "status")),
        ("sam@example.org", "young_leader", "sent")
    );
    assert_eq!(cell(sam, "registration_status"), "");
    assert_eq!(cell(sam, "organization"), "'+City of Springfield");
    let listed = app
        .get_json_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/invitations?kind=executive"),
        )
        .await;
    let api = &listed["items"][0];
    assert_eq!(cell(dana, "invited_at"), local(&api["created_at"], tokyo));
    assert_eq!(cell(dana, "expires_at"), local(&api["expires_at"], tokyo));
    assert_eq!(
        cell(dana, "responded_at"),
        local(&api["responded_at"], tokyo)
    );
    assert_eq!(cell(dana, "time_zone"), "Asia/Tokyo");

    let nominations = export(&app, &admin, "nominations.csv").await;
    assert_eq!(nominations.len(), 1);
    let n = &nominations[0];
    assert_eq!(
        (cell(n, "full_name"), cell(n, "status")),
        ("Sam Ortiz", "approved")
    );
    assert_eq!(cell(n, "organization"), "'+City of Springfield");
    assert_eq!(
        (cell(n, "nominator_full_name"), cell(n, "nominator_email")),
        ("Dana Whitfield", "dana@example.org")
    );
    assert_eq!(cell(n, "nominator_registration_status"), "confirmed");
    assert_eq!(cell(n, "invitation_status"), "sent");
    assert_eq!(
        cell(n, "nominated_at"),
        local(&nomination["created_at"], tokyo)
    );
    assert!(!cell(n, "decided_at").is_empty());
    assert_eq!(cell(n, "time_zone"), "Asia/Tokyo");

    // Organizers only.
    for name in ["invitations.csv", "nominations.csv"] {
        app.get(&format!("/api/v1/events/{SLUG}/{name}"))
            .await
            .problem(401);
    }
    app.get_as(&admin, "/api/v1/events/no-such-event/invitations.csv")
        .await
        .problem(404);
}
