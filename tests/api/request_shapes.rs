//! Bodies and queries as the API document allows them: each case here was found by
//! schemathesis (`scripts/schemathesis.sh`), either a body the document allowed and the
//! server refused, or one the document refused and the server took.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::spawn_app;
use crate::invitation_requests::request_body;

#[actix_web::test]
async fn a_body_that_must_be_an_object_sent_as_an_array_is_a_field_error_naming_the_body() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, "shapes").await;
    // serde would read `[null, null]` as the struct's first two fields: an empty change.
    let res = app
        .patch_as(&admin, "/api/v1/events/shapes", &json!([null, null]))
        .await;
    res.problem(422);
    assert_eq!(res.invalid_fields(), ["body"]);
    // An array is still what the bulk upload takes.
    let res = app
        .post_as(
            &admin,
            "/api/v1/events/shapes/invitations/bulk",
            &json!([{ "email": "ada@example.org" }]),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[actix_web::test]
async fn an_optional_body_sent_as_json_null_is_no_body() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, "summit-2027").await;
    let res = app
        .post(
            "/api/v1/events/summit-2027/invitation-requests",
            &request_body("alan@example.org"),
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    let listed = app
        .get_json_as(&admin, "/api/v1/events/summit-2027/invitation-requests")
        .await;
    let id = listed["items"][0]["id"].as_str().expect("id");
    let res = app
        .post_as(
            &admin,
            &format!("/api/v1/events/summit-2027/invitation-requests/{id}/decline"),
            &Value::Null,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

#[actix_web::test]
async fn a_whole_number_written_with_a_fraction_is_that_number() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, "shapes").await;
    let put = async |body: Value| {
        let path = "/api/v1/events/shapes/survey";
        app.request(Method::PUT, path, Some(&body), Some(&admin))
            .await
    };
    let res = put(json!({ "send_after_hours": 260.0 })).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["send_after_hours"], 260);
    let res = put(json!({ "send_after_hours": 2.5 })).await;
    res.problem(422);
    assert_eq!(res.invalid_fields(), ["send_after_hours"]);
}

#[actix_web::test]
async fn an_empty_status_filter_on_the_outbox_is_no_filter() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, "shapes").await;
    let res = app
        .get_as(&admin, "/api/v1/events/shapes/emails?status=")
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .get_as(&admin, "/api/v1/events/shapes/emails?status=lost")
        .await;
    res.problem(422);
    assert_eq!(res.invalid_fields(), ["status"]);
}

/// The schema of one property of a component.
fn property<'a>(doc: &'a Value, schema: &str, name: &str) -> &'a Value {
    &doc["components"]["schemas"][schema]["properties"][name]
}

fn matches(schema: &Value, text: &str) -> bool {
    let pattern = schema["pattern"].as_str().expect("a pattern");
    regex::Regex::new(pattern).expect("pattern").is_match(text)
}

#[actix_web::test]
async fn the_document_says_which_fields_are_required_and_what_text_they_take() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json").await.json();
    let required = &doc["components"]["schemas"]["RegistrationFields"]["required"];
    for field in ["full_name", "email", "title", "organization"] {
        assert!(
            required
                .as_array()
                .expect("required")
                .contains(&json!(field)),
            "{field} is not required"
        );
    }
    let full_name = property(&doc, "RegistrationFields", "full_name");
    assert_eq!(full_name["type"], "string", "not nullable");
    assert!(full_name.get("default").is_none());
    // 1 to 200 characters once trimmed, no control characters: in the pattern.
    for (text, ok) in [
        ("Ada Lovelace", true),
        ("  Ada  ", true),
        ("", false),
        ("   ", false),
        ("Ada\u{0}", false),
        (&"x".repeat(200), true),
        (&"x".repeat(201), false),
    ] {
        assert_eq!(matches(full_name, text), ok, "{text:?}");
    }
    assert_eq!(
        property(&doc, "RegistrationFields", "email")["format"],
        "email"
    );
    // No marker format is left for a client to puzzle over.
    let text = doc.to_string();
    for marker in [r#""line""#, r#""optional-line""#, r#""paragraph""#] {
        assert!(!text.contains(&format!(r#""format":{marker}"#)), "{marker}");
    }
    // Paging, and the control characters that no query parameter may hold.
    let params = doc["paths"]["/api/v1/events/{slug}/registrations"]["get"]["parameters"]
        .as_array()
        .expect("parameters");
    let param = |name: &str| {
        &params
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["schema"]
    };
    assert_eq!(param("limit")["minimum"], 1);
    assert_eq!(param("limit")["maximum"], 500);
    assert_eq!(param("offset")["minimum"], 0);
    assert!(matches(param("q"), "Springfield") && !matches(param("q"), "a\u{1}b"));
    assert!(matches(param("status"), "") && !matches(param("status"), "lost"));
}
