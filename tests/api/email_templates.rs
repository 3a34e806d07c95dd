//! The event's own wording of its emails: listed, replaced (placeholders checked, the
//! link the email exists for kept), used for the real mail with its values escaped,
//! restored, previewed with sample values, and test-sent to the organizer.

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, token_of, Session, TestApp, TestResponse};
use crate::invitations::{invitation_token, invite, SLUG};
use crate::registration::{register, registration_body};

fn path(suffix: &str) -> String {
    format!("/api/v1/events/{SLUG}/email-templates{suffix}")
}

async fn put(app: &TestApp, s: &Session, kind: &str, body: &Value) -> TestResponse {
    app.request(Method::PUT, &path(&format!("/{kind}")), Some(body), Some(s))
        .await
}

fn messages_of(res: &TestResponse, field: &str) -> String {
    res.problem(422)["errors"][field].to_string()
}

#[actix_web::test]
async fn the_organizers_wording_is_what_registrants_receive_until_restored() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let list = app.get_json_as(&admin, &path("")).await;
    let items = list["items"].as_array().expect("items");
    assert_eq!(items.len(), 9);
    let confirmed = items
        .iter()
        .find(|k| k["kind"] == "registration_confirmed")
        .expect("the confirmation");
    assert_eq!(confirmed["customized"], false);
    assert_eq!(confirmed["required"], "manage_link");
    assert!(confirmed["body"]
        .as_str()
        .unwrap()
        .contains("{{ manage_link }}"));
    assert!(confirmed["placeholders"]
        .as_array()
        .unwrap()
        .contains(&json!("recipient_name")));

    let wording = json!({
        "subject": "See you soon, {{ recipient_name }}",
        "body": "Dear {{ recipient_name }},\n\nYour seat at **{{ event_name }}** is yours.\n\n[Your registration]({{ manage_link }})",
    });
    let res = put(&app, &admin, "registration_confirmed", &wording).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["customized"], true);

    invite(&app, &admin, SLUG, "dana@example.org").await;
    let token = invitation_token(&app, "dana@example.org").await;
    let mut form = registration_body("dana@example.org");
    form["full_name"] = json!("Dana <script>alert(1)</script> *Whitfield*");
    form["travel_scholarship"] = json!({
        "travelers": 1, "estimated_cost_cents": 120_000, "requested_amount_cents": 90_000,
        "justification": "Our travel budget is frozen.",
    });
    let res = register(&app, &token, &form).await;
    assert_eq!(res.status, 201, "{}", res.text());
    // The confirmation, in the organizers' words, covers the scholarship request too.
    let mail = app.wait_for_email("dana@example.org").await;
    app.assert_no_email_to("dana@example.org").await;
    assert_eq!(
        mail.subject,
        "See you soon, Dana <script>alert(1)</script> *Whitfield*"
    );
    assert!(
        mail.html.contains("<strong>The Future City</strong>"),
        "{}",
        mail.html
    );
    assert!(!mail.html.contains("<script>"), "{}", mail.html);
    assert!(!mail.html.contains("<em>Whitfield</em>"), "{}", mail.html);
    assert!(mail.html.contains("&lt;script&gt;"), "{}", mail.html);
    assert!(mail
        .text
        .contains("Your seat at **The Future City** is yours."));
    // What the default says of the person's own case stays, after the organizers' words.
    assert!(
        mail.text.contains("travel scholarship of $900.00"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("check-in code"), "{}", mail.text);
    assert!(mail.attachments.iter().any(|a| a.filename == "event.ics"));
    let link = token_of(&mail.link_containing("/manage/"));
    assert_eq!(app.get(&format!("/api/v1/manage/{link}")).await.status, 200);

    // Restored: the default wording again.
    let res = app
        .request(
            Method::DELETE,
            &path("/registration_confirmed"),
            None,
            Some(&admin),
        )
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    invite(&app, &admin, SLUG, "lee@example.org").await;
    let token = invitation_token(&app, "lee@example.org").await;
    register(&app, &token, &registration_body("lee@example.org")).await;
    let mail = app.wait_for_email("lee@example.org").await;
    assert!(
        mail.subject.starts_with("You're registered:"),
        "{}",
        mail.subject
    );
    for action in ["email_template.replaced", "email_template.restored"] {
        assert_eq!(
            app.audit_log(&admin, &format!("action={action}"))
                .await
                .len(),
            1
        );
    }
}

/// Invitations through the API are in the organizers' words, the first of a community
/// (created with it) and the next (found), with the expiry date the invitation has, and in
/// the default words again once restored.
#[actix_web::test]
async fn invitations_are_in_the_organizers_wording_whether_their_community_is_new_or_known() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let wording = json!({
        "subject": "A seat for {{ recipient_name }}",
        "body": "Dear {{ recipient_name }},\n\nJoin us at **{{ event_name }}**.\n\n[Say yes]({{ invitation_link }}) by {{ expires_on }}.",
    });
    let res = put(&app, &admin, "invitation", &wording).await;
    assert_eq!(res.status, 200, "{}", res.text());

    // The first of Springfield creates it; the second finds it.
    let mut dates = Vec::new();
    for email in ["first@example.org", "second@example.org"] {
        invite(&app, &admin, SLUG, email).await;
        let mail = app.wait_for_email(email).await;
        assert_eq!(mail.subject, "A seat for Dana Whitfield", "{email}");
        assert!(
            mail.text.contains("Join us at **The Future City**."),
            "{}",
            mail.text
        );
        let token = token_of(&mail.link_containing("/invite/"));
        let page = app.get(&format!("/api/v1/invitations/{token}")).await;
        assert_eq!(page.status, 200, "{email}: {}", page.text());
        // The date the email gives is the invitation's expiry (in the event's time zone:
        // a day either side of its UTC date).
        let said = mail
            .text
            .split(" by ")
            .nth(1)
            .and_then(|s| s.split('.').next());
        let said = said.expect("the date after the link");
        let said = chrono::NaiveDate::parse_from_str(said.trim(), "%A %-d %B %Y")
            .unwrap_or_else(|e| panic!("{e}: {}", mail.text));
        let expires_at = page.json()["expires_at"].as_str().unwrap().to_owned();
        let expires_at = chrono::DateTime::parse_from_rfc3339(&expires_at).unwrap();
        let days = (said - expires_at.date_naive()).num_days();
        assert!(days.abs() <= 1, "{said} against {expires_at}");
        dates.push(said);
    }
    assert_eq!(dates[0], dates[1]);

    let res = app
        .request(Method::DELETE, &path("/invitation"), None, Some(&admin))
        .await;
    assert_eq!(res.status, 204, "{}", res.text());
    invite(&app, &admin, SLUG, "third@example.org").await;
    let mail = app.wait_for_email("third@example.org").await;
    assert!(
        mail.subject
            .starts_with("Your invitation to The Future City"),
        "{}",
        mail.subject
    );
}

#[actix_web::test]
async fn bad_wording_is_refused_naming_the_placeholder_or_field() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let res = put(
        &app,
        &admin,
        "invitation",
        &json!({ "subject": "Hello {{ recipent_name }}", "body": "[Answer]({{ invitation_link }}) {{ manage_link }}" }),
    )
    .await;
    assert_eq!(res.invalid_fields(), ["body", "subject"]);
    assert!(messages_of(&res, "subject").contains("{{ recipent_name }}"));
    assert!(messages_of(&res, "body").contains("{{ manage_link }}"));

    let res = put(
        &app,
        &admin,
        "invitation",
        &json!({ "subject": "Hello", "body": "Please come." }),
    )
    .await;
    assert_eq!(res.invalid_fields(), ["body"]);
    assert!(messages_of(&res, "body").contains("invitation_link"));

    let res = put(
        &app,
        &admin,
        "registration_cancelled",
        &json!({ "subject": "Hello\r\nBcc: all@example.org", "body": "x".repeat(20_001) }),
    )
    .await;
    assert_eq!(res.invalid_fields(), ["body", "subject"]);

    let res = put(
        &app,
        &admin,
        "no_such_kind",
        &json!({ "subject": "a", "body": "b" }),
    )
    .await;
    assert_eq!(res.status, 404);
    let res = app
        .post_as(
            &admin,
            &path("/registration_confirmed/preview"),
            &json!({ "body": "{{ foo }} [x]({{ manage_link }})" }),
        )
        .await;
    assert_eq!(res.invalid_fields(), ["body"]);
    let list = app.get_json_as(&admin, &path("")).await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["customized"] == false));
}

#[actix_web::test]
async fn a_preview_uses_sample_values_and_a_test_goes_to_the_organizer() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.create_event_with(&admin, SLUG, json!({ "practical_info": "Lunch at noon." }))
        .await;
    let res = app
        .post_as(
            &admin,
            &path("/registration_waitlisted/preview"),
            &json!({ "subject": "Number {{ waitlist_position }} for {{ event_name }}",
                     "body": "Hi {{ recipient_name }} <script>x</script>\n\n[Yours]({{ manage_link }})" }),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let preview = res.json();
    assert!(
        preview["subject"].as_str().unwrap().starts_with("Number "),
        "{preview}"
    );
    assert!(preview["subject"]
        .as_str()
        .unwrap()
        .ends_with("for The Future City"));
    let html = preview["html"].as_str().unwrap();
    assert!(
        !html.contains("<script>") && html.contains("href=\"https://"),
        "{html}"
    );
    assert!(
        preview["text"].as_str().unwrap().starts_with("Hi "),
        "{preview}"
    );
    // Nothing was saved.
    let list = app.get_json_as(&admin, &path("")).await;
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k["customized"] == false));

    let res = app
        .post_as(&admin, &path("/registration_reminder/test"), &json!({}))
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    let me = admin.organizer["email"].as_str().expect("email").to_owned();
    let mail = app.wait_for_email(&me).await;
    assert!(
        mail.subject.starts_with("Reminder: The Future City"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Lunch at noon."), "{}", mail.text);
}
