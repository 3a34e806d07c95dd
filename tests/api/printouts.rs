//! The printouts for the day: `badges.pdf` and the sign-in sheet `attendees.pdf`, read back
//! with lopdf: every confirmed name is on them, in any script, and no one else's.

use serde_json::json;

use crate::helpers::{spawn_app, Session, TestApp, TestResponse};
use crate::invitations::{event_with_capacity, invitation_body, invitation_token, SLUG};
use crate::registration::{register, registration_body};

/// Invites and registers `name` at `email`, from `community`; returns the manage token.
async fn registrant(
    app: &TestApp,
    admin: &Session,
    name: &str,
    email: &str,
    community: &str,
    young_leader: bool,
) -> String {
    let mut invitation = invitation_body(email, name);
    if young_leader {
        invitation["kind"] = json!("young_leader");
    }
    let res = app
        .post_as(
            admin,
            &format!("/api/v1/events/{SLUG}/invitations"),
            &invitation,
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let token = invitation_token(app, email).await;
    let mut form = registration_body(email);
    form["full_name"] = json!(name);
    form["community"] = json!({ "name": community, "state": "IL" });
    let res = register(app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    crate::helpers::token_of(res.json()["manage_url"].as_str().expect("manage_url"))
}

/// The text of every page, and the size of the first.
fn read_pdf(res: &TestResponse) -> (String, (f32, f32)) {
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/pdf")
    );
    let doc = lopdf::Document::load_mem(&res.body).expect("a PDF");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    let text = doc.extract_text(&pages).expect("text");
    let first = doc.get_pages()[&1];
    let media_box = doc
        .get_dictionary(first)
        .and_then(|p| p.get(b"MediaBox"))
        .and_then(|b| b.as_array())
        .expect("a MediaBox")
        .iter()
        .map(|n| n.as_float().expect("a number"))
        .collect::<Vec<f32>>();
    // The fonts are in the file, not left to the printer.
    let embedded = doc.objects.values().any(|o| {
        o.as_dict()
            .is_ok_and(|d| d.has(b"FontFile2") || d.has(b"FontFile3"))
    });
    assert!(embedded, "the font is embedded");
    (
        text,
        (media_box[2] - media_box[0], media_box[3] - media_box[1]),
    )
}

/// Text as lopdf extracts it, without the spaces and line breaks it may insert between
/// runs of glyphs.
fn squeezed(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

const CONFIRMED: [&str; 4] = [
    "Ada Lovelace",
    "Αλέξανδρος Παπαδόπουλος",
    "Наталья Иванова",
    "Sam Ortiz",
];

async fn event_with_people(app: &TestApp) -> Session {
    let admin = event_with_capacity(app, SLUG, 5).await;
    registrant(
        app,
        &admin,
        "Ada Lovelace",
        "ada@example.org",
        "Springfield",
        false,
    )
    .await;
    registrant(
        app,
        &admin,
        "Αλέξανδρος Παπαδόπουλος",
        "alex@example.org",
        "Athens",
        false,
    )
    .await;
    registrant(
        app,
        &admin,
        "Наталья Иванова",
        "natalia@example.org",
        "Kyiv",
        false,
    )
    .await;
    registrant(
        app,
        &admin,
        "Sam Ortiz",
        "sam@example.org",
        "Springfield",
        true,
    )
    .await;
    let grace = registrant(
        app,
        &admin,
        "Grace Hopper",
        "grace@example.org",
        "Arlington",
        false,
    )
    .await;
    let res = app
        .post(&format!("/api/v1/manage/{grace}/cancel"), &json!({}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    admin
}

#[actix_web::test]
async fn badges_carry_every_confirmed_name_in_any_script_in_family_name_order_and_no_cancelled_one()
{
    let app = spawn_app().await;
    let admin = event_with_people(&app).await;

    let path = format!("/api/v1/events/{SLUG}/badges.pdf");
    let (text, a4) = read_pdf(&app.get_as(&admin, &path).await);
    let text = squeezed(&text);
    for name in CONFIRMED {
        assert!(text.contains(&squeezed(name)), "{name} in {text}");
    }
    assert!(
        !text.contains("Hopper"),
        "a cancelled registrant has no badge"
    );
    assert!(text.contains("Youngleader"), "{text}");
    assert!(text.contains("CityManager"), "{text}");
    assert!(text.contains("Athens,IL"), "{text}");
    // By family name: Иванова, Lovelace, Ortiz, Παπαδόπουλος (Latin before Greek before
    // Cyrillic in Unicode order; what matters is that it is by family, not first, name).
    let at = |s: &str| text.find(&squeezed(s)).unwrap_or_else(|| panic!("{s}"));
    assert!(at("Lovelace") < at("Ortiz"), "{text}");
    assert!(at("Ortiz") < at("Παπαδόπουλος"), "{text}");
    assert!(at("Παπαδόπουλος") < at("Иванова"), "{text}");
    assert!(
        (a4.0 - 595.28).abs() < 1.0 && (a4.1 - 841.89).abs() < 1.0,
        "{a4:?}"
    );

    let (_, letter) = read_pdf(&app.get_as(&admin, &format!("{path}?paper=letter")).await);
    assert_eq!(letter, (612.0, 792.0));
    assert_ne!(a4, letter);
    let (_, same) = read_pdf(&app.get_as(&admin, &format!("{path}?paper=a4")).await);
    assert_eq!(same, a4);

    let problem = app
        .get_as(&admin, &format!("{path}?paper=a3"))
        .await
        .problem(422);
    assert!(problem["errors"]["paper"].is_array(), "{problem}");
}

#[actix_web::test]
async fn the_sign_in_sheet_lists_the_confirmed_registrants_by_community() {
    let app = spawn_app().await;
    let admin = event_with_people(&app).await;

    let path = format!("/api/v1/events/{SLUG}/attendees.pdf");
    let (text, size) = read_pdf(&app.get_as(&admin, &path).await);
    let text = squeezed(&text);
    for name in CONFIRMED {
        assert!(text.contains(&squeezed(name)), "{name} in {text}");
    }
    assert!(!text.contains("Hopper"), "{text}");
    assert!(
        !text.contains("Arlington"),
        "no community of only cancelled people"
    );
    let at = |s: &str| text.find(&squeezed(s)).unwrap_or_else(|| panic!("{s}"));
    // Communities in order, each followed by its people.
    assert!(at("Athens,IL") < at("Παπαδόπουλος"));
    assert!(at("Παπαδόπουλος") < at("Kyiv,IL"));
    assert!(at("Kyiv,IL") < at("Иванова"));
    assert!(at("Иванова") < at("Springfield,IL"));
    assert!(at("Springfield,IL") < at("Lovelace"));
    assert!(at("Lovelace") < at("Ortiz"));
    assert!((size.0 - 595.28).abs() < 1.0, "A4 by default: {size:?}");
    let (_, letter) = read_pdf(&app.get_as(&admin, &format!("{path}?paper=letter")).await);
    assert_eq!(letter, (612.0, 792.0));
    app.get_as(&admin, &format!("{path}?paper=legal"))
        .await
        .problem(422);
}

#[actix_web::test]
async fn printouts_are_for_organizers_only() {
    let app = spawn_app().await;
    let admin = event_with_capacity(&app, SLUG, 5).await;
    for doc in ["badges.pdf", "attendees.pdf"] {
        let path = format!("/api/v1/events/{SLUG}/{doc}");
        app.get(&path).await.problem(401);
        app.get_as(&admin, &format!("/api/v1/events/no-such-event/{doc}"))
            .await
            .problem(404);
        // Nobody confirmed yet: still a document (one empty page), not an error.
        read_pdf(&app.get_as(&admin, &path).await);
    }
}

#[actix_web::test]
async fn the_check_in_page_links_to_both_printouts_on_both_papers() {
    let app = spawn_app().await;
    let res = app.get(&format!("/admin/events/{SLUG}/check-in")).await;
    assert_eq!(res.status, 200, "{}", res.text());
    let html = res.text();
    for doc in ["badges.pdf", "attendees.pdf"] {
        for paper in ["a4", "letter"] {
            let link = format!(r#"href="/api/v1/events/{SLUG}/{doc}?paper={paper}""#);
            assert!(html.contains(&link), "{link}");
        }
    }
}
