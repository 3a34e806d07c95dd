//! The OpenAPI document against the routes the server really answers.
//!
//! Why these checks can be trusted: every API route is registered by the operation table
//! in `src/http/openapi.rs`, which takes each route's path and method from the same
//! `#[utoipa::path]` that writes its description, so the table cannot serve what it does
//! not describe. What could still slip past it is a route registered some other way, and
//! `no_route_is_registered_outside_the_operation_table` reads the source for exactly that.
//! The probes then check the running server both ways: every documented operation is
//! answered by a handler (not by the router's "no such resource" fallback), and on every
//! documented path every other method is 405 with an `Allow` header naming exactly the
//! documented ones.

use std::collections::BTreeSet;
use std::path::Path;

use actix_web::http::Method;
use serde_json::Value;

use crate::helpers::{spawn_app, TestApp, TestResponse};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];
/// What the router's fallback says; a handler's 404 names what it did not find.
const FALLBACK_DETAIL: &str = "No such resource at this address.";

#[actix_web::test]
async fn an_unknown_method_on_a_known_path_is_405_naming_the_allowed_ones() {
    let app = spawn_app().await;
    let res = app.request(Method::PUT, "/api/v1/events", None, None).await;
    let body = res.problem(405);
    assert_eq!(allowed(&res), ["get", "post"]);
    assert!(body["detail"].as_str().expect("detail").contains("GET"));
    let res = app
        .request(
            Method::DELETE,
            "/api/v1/events/no-such-event/stats",
            None,
            None,
        )
        .await;
    res.problem(405);
    assert_eq!(allowed(&res), ["get"]);
    // OPTIONS names them too, without an error; an unknown path is still 404.
    let res = app
        .request(Method::OPTIONS, "/api/v1/events", None, None)
        .await;
    assert_eq!(res.status, 204);
    assert_eq!(allowed(&res), ["get", "post"]);
    let res = app
        .request(Method::PUT, "/api/v1/no-such-thing", None, None)
        .await;
    assert!(is_fallback(&res), "{}", res.text());
    // Outside /api/v1 as well: the health checks.
    let res = app
        .request(Method::POST, "/healthz", Some(&serde_json::json!({})), None)
        .await;
    res.problem(405);
    assert_eq!(allowed(&res), ["get"]);
}

async fn document(app: &TestApp) -> Value {
    let res = app.get("/api/v1/openapi.json").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/json")
    );
    res.json()
}

/// A concrete address for a documented path: parameters get values that match nothing.
fn concrete(path: &str) -> String {
    path.replace("{slug}", "no-such-event")
        .replace("{id}", "no-such-id")
        .replace("{token}", "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE")
}

fn is_fallback(res: &TestResponse) -> bool {
    res.status == 404 && res.json()["detail"] == FALLBACK_DETAIL
}

/// The methods of a 405 answer's `Allow` header, lowercase and sorted.
fn allowed(res: &TestResponse) -> Vec<String> {
    let mut methods: Vec<String> = res
        .header("allow")
        .unwrap_or_default()
        .split(',')
        .map(|m| m.trim().to_lowercase())
        .filter(|m| !m.is_empty())
        .collect();
    methods.sort();
    methods
}

async fn probe(app: &TestApp, method: &str, path: &str) -> TestResponse {
    let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
    let body = (method != Method::GET).then(|| serde_json::json!({}));
    app.request(method, &concrete(path), body.as_ref(), None)
        .await
}

#[actix_web::test]
async fn every_documented_operation_is_served_and_nothing_else_on_its_path() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().expect("paths");
    // Whether another documented operation of this method answers this concrete address
    // (`GET /events/x/invitations/bulk` is the invitation whose id is `bulk`).
    let param = regex::Regex::new(r"\\\{[^}]+\\\}").expect("regex");
    let templates: Vec<(&String, regex::Regex)> = paths
        .keys()
        .map(|p| {
            let pattern = param.replace_all(&regex::escape(p), "[^/]+").into_owned();
            (
                p,
                regex::Regex::new(&format!("^{pattern}$")).expect("pattern"),
            )
        })
        .collect();
    let answered_elsewhere = |method: &str, path: &str| {
        let concrete = concrete(path);
        templates.iter().any(|(other, pattern)| {
            *other != path && paths[*other].get(method).is_some() && pattern.is_match(&concrete)
        })
    };
    let mut operations = 0;
    for (path, item) in paths {
        let mut documented: Vec<String> = item
            .as_object()
            .expect("path item")
            .keys()
            .filter(|m| METHODS.contains(&m.as_str()))
            .cloned()
            .collect();
        documented.sort();
        for method in METHODS {
            let res = probe(&app, method, path).await;
            if item.get(method).is_some() {
                operations += 1;
                assert!(
                    !is_fallback(&res) && res.status != 405,
                    "{method} {path} is documented but no route answers it"
                );
            } else if !answered_elsewhere(method, path) {
                res.problem(405);
                assert_eq!(
                    allowed(&res),
                    documented,
                    "{method} {path}: the Allow header does not name the documented methods"
                );
            }
        }
    }
    // Every API operation of the product spec, the health checks, the document and its page.
    assert!(operations >= 50, "only {operations} operations documented");
    for expected in [
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        "/api/docs",
        "/api/v1/invitations/{token}/registration",
        "/api/v1/events/{slug}/invitations/bulk",
    ] {
        assert!(paths.contains_key(expected), "{expected} is not documented");
    }
}

/// Collects every `$ref` in the document.
fn refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => {
                        out.insert(r.clone());
                    }
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[actix_web::test]
async fn every_operation_documents_its_errors_as_problems_and_every_reference_resolves() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    for r in &all {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected reference {r}"));
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{r} does not resolve"
        );
    }
    let mut ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let id = op["operationId"].as_str().expect("an operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} twice");
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{method} {path} documents no success"
            );
            assert!(responses.contains_key("500"), "{method} {path}: no 500");
            for (status, res) in responses {
                if status.as_str() < "400" {
                    continue;
                }
                let schema = &res["content"]["application/problem+json"]["schema"]["$ref"];
                let expected = if status == "422" {
                    "#/components/schemas/ValidationProblem"
                } else {
                    "#/components/schemas/Problem"
                };
                assert_eq!(schema, expected, "{method} {path} {status}");
                assert!(
                    res["content"]["application/problem+json"]["example"]["status"]
                        .as_u64()
                        .is_some_and(|s| s.to_string() == *status),
                    "{method} {path} {status}: no example"
                );
            }
            // A signed-in-only operation says so, and documents the 401.
            let security = op.get("security").and_then(Value::as_array);
            if security.is_some_and(|s| s.iter().all(|r| r.get("session").is_some())) {
                assert!(responses.contains_key("401"), "{method} {path}: no 401");
            }
            if path.starts_with("/api/v1/") && method != "get" {
                assert!(responses.contains_key("403"), "{method} {path}: no 403");
            }
        }
    }
    let scheme = &doc["components"]["securitySchemes"]["session"];
    assert_eq!(scheme["type"], "apiKey");
    assert_eq!(scheme["in"], "cookie");
    assert_eq!(scheme["name"], "convene_session");
}

#[actix_web::test]
async fn the_documented_problem_shape_is_what_a_bad_request_gets() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let problem = &doc["components"]["schemas"]["Problem"];
    let required: BTreeSet<&str> = problem["required"]
        .as_array()
        .expect("required")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        required,
        BTreeSet::from(["type", "title", "status", "detail"])
    );
    // A real 422, checked against the documented fields.
    let admin = app.admin().await;
    let res = app
        .post_as(
            &admin,
            "/api/v1/events",
            &serde_json::json!({ "slug": "x" }),
        )
        .await;
    let body = res.problem(422);
    for field in &required {
        assert!(body.get(*field).is_some(), "the 422 has no {field}");
    }
    for key in body.as_object().expect("object").keys() {
        assert!(
            problem["properties"].get(key).is_some(),
            "the 422 has an undocumented field {key}"
        );
    }
    assert!(body["errors"].as_object().is_some_and(|e| !e.is_empty()));
}

/// The Rust files under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Routes may be registered in three places only: the operation table
/// (`src/http/openapi.rs`), the HTML pages (`src/http/pages/`, not API: they are not under
/// `/api/`), and `src/http/mod.rs`, whose `/api/v1` scope may hold the table alone.
#[test]
fn no_route_is_registered_outside_the_operation_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let registration = regex::Regex::new(
        r"\.route\(|\.service\(|web::(resource|scope|get|post|put|patch|delete|head|method|route|to)\(|#\[(get|post|put|patch|delete|head|route)\(",
    )
    .expect("regex");
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    for file in files {
        let rel = file.strip_prefix(root).expect("under the root");
        let text = std::fs::read_to_string(&file).expect("source");
        let rel_str = rel.to_string_lossy().replace('\\', "/");
        if rel_str == "src/http/openapi.rs" {
            continue;
        }
        if rel_str.starts_with("src/http/pages/") {
            // Pages may route, but nothing under /api/.
            assert!(
                !text.contains("\"/api/"),
                "{rel_str} registers something under /api/"
            );
            continue;
        }
        if rel_str == "src/http/mod.rs" {
            assert_eq!(
                text.matches("\"/api/").count(),
                1,
                "src/http/mod.rs names an /api/ path besides its /api/v1 scope"
            );
            let scope = text
                .split_once("web::scope(")
                .map(|(_, rest)| rest)
                .expect("the /api/v1 scope");
            let scope = &scope[..scope
                .find(".configure(pages::")
                .expect("pages after the API")];
            assert!(
                scope.contains(".configure(openapi::configure_api)")
                    && scope.matches(".configure(").count() == 1
                    && !scope.contains(".route(")
                    && !scope.contains(".service("),
                "the /api/v1 scope registers something besides the operation table"
            );
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            assert!(
                !registration.is_match(line),
                "{rel_str}:{}: routes must be registered through the operation table \
                 (src/http/openapi.rs) so that they are documented: {line}",
                n + 1
            );
        }
    }
}

#[actix_web::test]
async fn the_reference_page_shows_every_operation_without_any_script() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let res = app.get("/api/docs").await;
    assert_eq!(res.status, 200);
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let csp = res.header("content-security-policy").expect("a CSP");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    // minijinja escapes `/` too; the comparisons below are on the text as a browser shows it.
    let html = res.text().replace("&#x2f;", "/");
    assert!(!html.contains("<script"), "the page needs no script");
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "nothing is loaded or linked from elsewhere"
    );
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("item").keys() {
            let shown = format!("{}</span> <code>{}</code>", method.to_uppercase(), path);
            assert!(html.contains(&shown), "{method} {path} is not on the page");
        }
    }
    for name in doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        assert!(
            html.contains(&format!("id=\"schema-{name}\"")),
            "schema {name} is not on the page"
        );
    }
    // Its stylesheet is one of ours, served by the binary.
    let css = regex::Regex::new(r#"href="(/static/api-docs\.css\?v=[0-9a-f]+)""#)
        .expect("regex")
        .captures(&html)
        .expect("the page links its stylesheet")[1]
        .to_owned();
    assert_eq!(app.get(&css).await.status, 200);
}
