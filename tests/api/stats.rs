//! The numbers organizers see at a glance.

use serde_json::json;

use crate::helpers::spawn_app;
use crate::invitations::{event_with_capacity, invitation_token, invite, SLUG};
use crate::registration::registered;

#[actix_web::test]
async fn the_stats_count_communities_registrations_invitations_and_emails() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 2).await;
    for who in ["ana", "ben", "cy"] {
        let email = format!("{who}@example.org");
        invite(&app, &admin, SLUG, &email).await;
        let token = invitation_token(&app, &email).await;
        registered(&app, &token, &email).await;
    }
    let revoked = invite(&app, &admin, SLUG, "dee@example.org").await;
    let id = revoked["id"].as_str().unwrap();
    app.post_as(
        &admin,
        &format!("/api/v1/events/{SLUG}/invitations/{id}/revoke"),
        &json!({}),
    )
    .await;
    invite(&app, &admin, SLUG, "eve@example.org").await;
    app.drain_outbox().await;

    let res = app
        .get_as(&admin, &format!("/api/v1/events/{SLUG}/stats"))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let s = res.json();
    assert_eq!(s["event"]["capacity"], 2);
    assert_eq!(s["event"]["seats_taken"], 2);
    assert_eq!(s["event"]["seats_left"], 0);
    assert_eq!(
        s["communities"]["invited"], 1,
        "every invitee is from Springfield"
    );
    assert_eq!(s["communities"]["registered"], 1);
    assert_eq!(s["registrations"]["confirmed"], 2);
    assert_eq!(s["registrations"]["waitlisted"], 1);
    assert_eq!(s["registrations"]["cancelled"], 0);
    assert_eq!(s["registrations"]["by_kind"]["executive"]["confirmed"], 2);
    assert_eq!(s["invitations"]["accepted"], 3);
    assert_eq!(s["invitations"]["revoked"], 1);
    assert_eq!(s["invitations"]["sent"], 1);
    assert_eq!(s["scholarships"]["budget_cents"], 2_000_000);
    assert_eq!(s["scholarships"]["left_cents"], 2_000_000);
    assert_eq!(s["emails"]["failed"], 0);
    assert_eq!(s["emails"]["pending"], 0);
    // 5 invitations + 2 confirmations + 1 waitlisted notice.
    assert_eq!(s["emails"]["sent"], 8);
    let days = s["registrations_over_time"].as_array().unwrap();
    assert_eq!(
        days.iter()
            .map(|d| d["count"].as_i64().unwrap())
            .sum::<i64>(),
        3
    );
}

#[actix_web::test]
async fn stats_are_for_organizers_only() {
    let app = spawn_app().await;
    event_with_capacity(&app, SLUG, 2).await;
    app.get(&format!("/api/v1/events/{SLUG}/stats"))
        .await
        .problem(401);
}
