//! The API's contract. Every operation under `/api/v1`, and `/healthz`, `/readyz` and the
//! reference page, is one entry of [`operations`]: the entry both registers the route and
//! writes its part of the OpenAPI document, from the `#[utoipa::path]` above the handler.
//! So a route cannot be served without being described, nor described without being
//! served (`tests/api/openapi.rs` checks that nothing registers routes another way).
//!
//! The annotations give each operation's success answers and its specific errors; the
//! errors every operation of a kind can answer (a JSON body's 400/413/415/422, the
//! session's 401, the cross-site guard's 403, 500 and 503) are added here, once, all as
//! `application/problem+json`.

use actix_web::http::Method;
use actix_web::{guard, web, FromRequest, Handler, HttpResponse, Responder};
use utoipa::openapi::path::{HttpMethod, Operation as DocOperation};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::OpenApi as _;

use crate::http::problem::Problem;
mod common_errors;
mod params;
mod security;
mod text;

use common_errors::{add_common_errors, validation_problem_schema};
use params::plain_query_strings;
pub use params::{EventItemPath, EventPath, TokenItemPath, TokenPath};
use text::text_patterns;

use crate::http::routes::{
    acting_for, announcements, api_tokens, audit, auth, bounces, bulk_invitations, catering,
    check_ins, email_templates, emails, events, health, invitation_requests, invitations, invitee,
    manage, metrics, nominations, organizers, printouts, registrations, scholarships, sessions,
    stats, webhooks,
};
use crate::http::routes::{impact, passwords, people, surveys};

/// The prefix of the JSON API; its routes are registered inside this scope.
pub const API_PREFIX: &str = "/api/v1";
/// The name of the session cookie's security scheme in the document.
pub const SESSION_SCHEME: &str = "session";
/// The name of the API token's security scheme in the document.
pub const TOKEN_SCHEME: &str = "token";

/// One operation: its method and full path, its description, and how to serve it.
pub struct Operation {
    pub method: Method,
    pub path: String,
    doc: DocOperation,
    schemas: Vec<(String, RefOr<Schema>)>,
    route: Box<dyn Fn() -> actix_web::Route>,
    body_limit: Option<usize>,
}

impl Operation {
    /// A larger request body than the service's default (the bulk upload).
    fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }
}

/// The operation of `handler`, described by the `#[utoipa::path]` on it (`P` is the
/// `__path_<handler>` type that attribute generates).
fn op<P, F, Args>(_described_by: P, handler: F) -> Operation
where
    // `SchemaReferences` is how utoipa's own `#[openapi(paths(...))]` collects the
    // schemas a path uses; it is hidden but stable within utoipa's major version.
    P: utoipa::Path + utoipa::__dev::SchemaReferences,
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let methods = P::methods();
    let [method] = methods.as_slice() else {
        panic!("{}: give each operation exactly one method", P::path());
    };
    let method = actix_method(method);
    let mut schemas = Vec::new();
    P::schemas(&mut schemas);
    let route_method = method.clone();
    Operation {
        method,
        path: P::path(),
        doc: P::operation(),
        schemas,
        route: Box::new(move || web::method(route_method.clone()).to(handler.clone())),
        body_limit: None,
    }
}

fn actix_method(m: &HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::GET,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
        HttpMethod::Patch => Method::PATCH,
        HttpMethod::Delete => Method::DELETE,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Options => Method::OPTIONS,
        HttpMethod::Trace => Method::TRACE,
    }
}

fn doc_method(m: &Method) -> HttpMethod {
    match *m {
        Method::POST => HttpMethod::Post,
        Method::PUT => HttpMethod::Put,
        Method::PATCH => HttpMethod::Patch,
        Method::DELETE => HttpMethod::Delete,
        Method::HEAD => HttpMethod::Head,
        Method::OPTIONS => HttpMethod::Options,
        Method::TRACE => HttpMethod::Trace,
        _ => HttpMethod::Get,
    }
}

/// Every operation the service answers outside its HTML pages, by tag, in the order in
/// which they are registered (actix-web tries routes in this order: a fixed segment such
/// as `invitations/bulk` comes before `invitations/{id}`).
pub fn operations() -> Vec<(&'static str, Vec<Operation>)> {
    vec![
        (
            "health",
            vec![
                op(health::__path_healthz, health::healthz),
                op(health::__path_readyz, health::readyz),
                op(metrics::__path_metrics, metrics::metrics),
                op(__path_openapi_json, openapi_json),
                op(__path_reference_page, reference_page),
            ],
        ),
        (
            "auth",
            vec![
                op(auth::__path_login, auth::login),
                op(auth::__path_logout, auth::logout),
                op(auth::__path_me, auth::me),
                op(auth::__path_update_me, auth::update_me),
                op(passwords::__path_change, passwords::change),
                op(passwords::__path_request_reset, passwords::request_reset),
                op(passwords::__path_reset, passwords::reset),
                op(api_tokens::__path_create, api_tokens::create),
                op(api_tokens::__path_list, api_tokens::list),
                op(api_tokens::__path_show, api_tokens::show),
                op(api_tokens::__path_revoke, api_tokens::revoke),
            ],
        ),
        (
            "events",
            vec![
                op(events::__path_create, events::create),
                op(events::__path_list, events::list),
                op(events::__path_show, events::show),
                op(events::__path_update, events::update),
            ],
        ),
        (
            "agenda",
            vec![
                op(sessions::__path_list, sessions::list),
                op(sessions::__path_create, sessions::create),
                op(sessions::__path_update, sessions::update),
                op(sessions::__path_delete, sessions::delete),
            ],
        ),
        (
            "email templates",
            vec![
                op(email_templates::__path_list, email_templates::list),
                op(email_templates::__path_replace, email_templates::replace),
                op(email_templates::__path_restore, email_templates::restore),
                op(email_templates::__path_preview, email_templates::preview),
                op(email_templates::__path_test, email_templates::test),
            ],
        ),
        (
            "announcements",
            vec![
                op(announcements::__path_create, announcements::create),
                op(announcements::__path_list, announcements::list),
            ],
        ),
        ("stats", vec![op(stats::__path_show, stats::show)]),
        ("audit", vec![op(audit::__path_list, audit::list)]),
        (
            "people",
            vec![
                op(people::__path_export, people::export),
                op(people::__path_erase, people::erase),
            ],
        ),
        (
            "invitations",
            vec![
                op(invitations::__path_create, invitations::create),
                op(invitations::__path_list, invitations::list),
                op(invitations::__path_export, invitations::export),
                op(bulk_invitations::__path_bulk, bulk_invitations::bulk)
                    .body_limit(bulk_invitations::BULK_BODY_LIMIT),
                op(invitations::__path_remind, invitations::remind),
                op(invitations::__path_show, invitations::show),
                op(invitations::__path_revoke, invitations::revoke),
                op(invitations::__path_resend, invitations::resend),
            ],
        ),
        (
            "invitee",
            vec![
                op(invitee::__path_show, invitee::show),
                op(invitee::__path_register, invitee::register),
                op(invitee::__path_decline, invitee::decline),
            ],
        ),
        (
            "registrant",
            vec![
                op(manage::__path_show, manage::show),
                op(manage::__path_update, manage::update),
                op(manage::__path_cancel, manage::cancel),
                op(nominations::__path_nominate, nominations::nominate),
                op(nominations::__path_withdraw, nominations::withdraw),
                op(scholarships::__path_request, scholarships::request),
                op(scholarships::__path_withdraw, scholarships::withdraw),
                op(scholarships::__path_accept, scholarships::accept),
                op(scholarships::__path_decline, scholarships::decline),
                op(check_ins::__path_qr_code, check_ins::qr_code),
            ],
        ),
        (
            "registrations",
            vec![
                op(registrations::__path_list, registrations::list),
                op(registrations::__path_export, registrations::export),
                op(acting_for::__path_create, acting_for::create),
                op(acting_for::__path_update, acting_for::update),
                op(acting_for::__path_cancel, acting_for::cancel),
                op(acting_for::__path_confirm, acting_for::confirm),
                op(acting_for::__path_manage_link, acting_for::manage_link),
            ],
        ),
        (
            "nominations",
            vec![
                op(nominations::__path_list, nominations::list),
                op(nominations::__path_export, nominations::export),
                op(nominations::__path_approve, nominations::approve),
                op(nominations::__path_decline, nominations::decline),
            ],
        ),
        (
            "scholarships",
            vec![
                op(scholarships::__path_list, scholarships::list),
                op(scholarships::__path_export, scholarships::export),
                op(scholarships::__path_decide, scholarships::decide),
            ],
        ),
        (
            "emails",
            vec![
                op(emails::__path_list, emails::list),
                op(emails::__path_resend, emails::resend),
                op(emails::__path_resend_failed, emails::resend_failed),
                op(bounces::__path_receive, bounces::receive)
                    .body_limit(bounces::BOUNCE_BODY_LIMIT),
            ],
        ),
        (
            "webhooks",
            vec![
                op(webhooks::__path_create, webhooks::create),
                op(webhooks::__path_list, webhooks::list),
                op(webhooks::__path_show, webhooks::show),
                op(webhooks::__path_delete, webhooks::delete),
                op(webhooks::__path_deliveries, webhooks::deliveries),
            ],
        ),
        (
            "organizers",
            vec![
                op(organizers::__path_list, organizers::list),
                op(organizers::__path_create, organizers::create),
                op(organizers::__path_update, organizers::update),
            ],
        ),
        (
            "invitation requests",
            vec![
                op(
                    invitation_requests::__path_submit,
                    invitation_requests::submit,
                ),
                op(invitation_requests::__path_list, invitation_requests::list),
                op(
                    invitation_requests::__path_approve,
                    invitation_requests::approve,
                ),
                op(
                    invitation_requests::__path_decline,
                    invitation_requests::decline,
                ),
            ],
        ),
        (
            "check-in",
            vec![
                op(check_ins::__path_create, check_ins::create),
                op(check_ins::__path_list, check_ins::list),
                op(check_ins::__path_undo, check_ins::undo),
                op(catering::__path_show, catering::show),
                op(printouts::__path_badges, printouts::badges),
                op(printouts::__path_attendees, printouts::attendees),
            ],
        ),
        (
            "survey",
            vec![
                op(surveys::__path_settings, surveys::settings),
                op(surveys::__path_update_settings, surveys::update_settings),
                op(surveys::__path_send, surveys::send),
                op(surveys::__path_show, surveys::show),
                op(surveys::__path_answer, surveys::answer),
            ],
        ),
        (
            "impact",
            vec![
                op(impact::__path_show, impact::show),
                op(impact::__path_export, impact::export),
                op(impact::__path_programs, impact::programs),
                op(impact::__path_publish, impact::publish),
            ],
        ),
    ]
}

/// Registers the operations outside `/api/v1` (health checks, the document and its page).
pub fn configure_root(cfg: &mut web::ServiceConfig) {
    register(cfg, |path| {
        (!path.starts_with(&format!("{API_PREFIX}/"))).then_some(path)
    });
}

/// Registers the `/api/v1` operations, inside the scope of that name.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    register(cfg, |path| path.strip_prefix(API_PREFIX));
}

/// The tags whose routes are registered first (see [`register`]).
const BUSIEST: &[&str] = &["invitee"];

fn register(cfg: &mut web::ServiceConfig, relative: impl Fn(&str) -> Option<&str>) {
    // Each path with the methods it answers, in the order of first registration.
    let mut allowed: Vec<(String, Vec<Method>)> = Vec::new();
    // actix-web tries the routes in order, and matching each one with a parameter is a
    // regex run: the invitee's routes, the busiest by far, go first, instead of after 43
    // others (3.5 % of the CPU of the invitation reads went to matching those). No other
    // tag has a path under `/invitations/`, so no route is shadowed by this.
    let mut groups = operations();
    groups.sort_by_key(|(tag, _)| !BUSIEST.contains(tag));
    for (_, ops) in groups {
        for op in ops {
            let Some(path) = relative(&op.path) else {
                continue;
            };
            match allowed.iter_mut().find(|(p, _)| p == path) {
                Some((_, methods)) => methods.push(op.method.clone()),
                None => allowed.push((path.to_owned(), vec![op.method.clone()])),
            }
            // The method is a guard of the resource, as with `ServiceConfig::route`: a
            // request with another method goes on to the next route of the same path.
            let mut resource = web::resource(path).guard(guard::Method(op.method.clone()));
            if let Some(limit) = op.body_limit {
                resource = resource.app_data(web::PayloadConfig::new(limit));
            }
            cfg.service(resource.route((op.route)()));
        }
    }
    // After every operation, so that another path matching the same address
    // (`invitations/bulk` and `invitations/{id}`) is tried with its own methods first:
    // a known path asked with another method is 405 naming the ones it answers.
    for (path, methods) in allowed {
        let allow = methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        cfg.service(web::resource(path).to(move |req: actix_web::HttpRequest| {
            let allow = allow.clone();
            async move { method_not_allowed(&req, allow) }
        }));
    }
}

/// `OPTIONS` is answered with the methods (204); any other method is 405.
fn method_not_allowed(
    req: &actix_web::HttpRequest,
    allow: String,
) -> Result<HttpResponse, crate::error::AppError> {
    if req.method() == Method::OPTIONS {
        return Ok(HttpResponse::NoContent()
            .insert_header((actix_web::http::header::ALLOW, allow))
            .finish());
    }
    Err(crate::error::AppError::MethodNotAllowed { allow })
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "convene",
        description = "Invite-only event registration. Organizers sign in (`POST /api/v1/auth/login`) \
and are then identified by the `convene_session` cookie; invitees and registrants are identified by \
the secret token in the link they were emailed (`/api/v1/invitations/{token}`, `/api/v1/manage/{token}`). \
Every error is `application/problem+json` (RFC 9457); a 422 names each field at fault in `errors`, \
keyed by its JSON path. Writes from a browser must come from the service's own origin (`Origin`).",
        license(name = "MIT")
    ),
    // Referenced by schemas written by hand (`schema_with`), which utoipa cannot follow.
    components(schemas(
        Problem,
        crate::domain::invitation::CommunityFields,
        crate::domain::invitation::InvitedCommunity
    ))
)]
struct ApiDoc;

/// The OpenAPI 3.1 document of the service.
pub fn document() -> OpenApi {
    let mut doc = ApiDoc::openapi();
    let components = doc.components.get_or_insert_with(Default::default);
    security::add_schemes(&mut components.security_schemes);
    components
        .schemas
        .insert("ValidationProblem".into(), validation_problem_schema());
    let mut tags = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (tag, ops) in operations() {
        tags.push(utoipa::openapi::tag::Tag::new(tag));
        for op in ops {
            let mut operation = op.doc;
            let id = operation.operation_id.take().unwrap_or_default();
            let id = format!("{}_{id}", tag.replace(' ', "_"));
            assert!(
                ids.insert(id.clone()),
                "operationId {id} twice: rename a handler"
            );
            operation.operation_id = Some(id);
            operation.tags = Some(vec![tag.to_owned()]);
            add_common_errors(&mut operation, &op.method, &op.path);
            plain_query_strings(&mut operation);
            security::accept_tokens(&mut operation);
            for (name, schema) in op.schemas {
                components.schemas.entry(name).or_insert(schema);
            }
            doc.paths
                .add_path_operation(&op.path, vec![doc_method(&op.method)], operation);
        }
    }
    text_patterns(&mut components.schemas);
    doc.tags = Some(tags);
    doc
}

/// The document, for tools and for the reference page.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    responses((status = 200, description = "This OpenAPI 3.1 document.", content_type = "application/json", body = Object))
)]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(&*DOCUMENT)
}

/// The API reference for people: the document rendered as one HTML page.
#[utoipa::path(
    get,
    path = "/api/docs",
    responses((status = 200, description = "The reference page.", content_type = "text/html"))
)]
async fn reference_page() -> Result<HttpResponse, crate::error::AppError> {
    crate::http::pages::api_reference(&DOCUMENT)
}

static DOCUMENT: std::sync::LazyLock<OpenApi> = std::sync::LazyLock::new(document);
