//! Extractors: JSON bodies whose errors come out as problem+json naming the field,
//! and the signed-in organizer.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;
use validator::{ValidationErrors, ValidationErrorsKind};

use crate::auth::SESSION_COOKIE;
use crate::db::models::{api_token, organizer::Organizer, session};
use crate::domain::api_token::ApiTokenSecret;
use crate::domain::Choice;
use crate::domain::SecretToken;
use crate::error::{AppError, FieldErrors};
use crate::http::AppState;

/// Largest JSON body accepted (a bulk of 1,000 invitations fits comfortably).
pub const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// A JSON body. Unlike `web::Json`, a malformed body is 400, a wrong content type 415,
/// an oversized body 413, and a field of the wrong type or a missing field 422 naming it.
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.subtype() == mime_json() || m.suffix().is_some_and(|s| s == mime_json())
        });
        let declared_len = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let body = read_body(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            if declared_len.is_some_and(|n| n > JSON_LIMIT) {
                return Err(too_large());
            }
            parse_json(&body.await?).map(ValidJson)
        })
    }
}

/// A JSON body that may also be left out (`POST .../decline` with or without a reason):
/// an empty body, or JSON `null` (how a client says "no body" in JSON, and what the
/// document's optional body allows), is `T::default()`; anything else is read as by
/// [`ValidJson`].
pub struct OptionalJson<T>(pub T);

impl<T: DeserializeOwned + Default + 'static> FromRequest for OptionalJson<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req.mime_type().ok().flatten().is_some_and(|m| {
            m.subtype() == mime_json() || m.suffix().is_some_and(|s| s == mime_json())
        });
        let body = read_body(req, payload);
        Box::pin(async move {
            let bytes = body.await?;
            if bytes.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(T::default()));
            }
            if !is_json {
                return Err(AppError::UnsupportedMediaType(
                    "send the body as application/json".into(),
                ));
            }
            if bytes.trim_ascii() == b"null" {
                return Ok(OptionalJson(T::default()));
            }
            parse_json(&bytes).map(OptionalJson)
        })
    }
}

/// Reads the whole body within the client timeout (`CONVENE_CLIENT_TIMEOUT_MS`, 408 after
/// it: a client trickling its body cannot hold a request open) and the size limit (413).
fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl Future<Output = Result<web::Bytes, AppError>> {
    let timeout = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.settings.client_timeout)
        .unwrap_or(std::time::Duration::from_secs(10));
    let body = web::Bytes::from_request(req, payload);
    async move {
        actix_web::rt::time::timeout(timeout, body)
            .await
            .map_err(|_| {
                AppError::RequestTimeout(format!(
                    "the body did not arrive within {} seconds",
                    timeout.as_secs_f64()
                ))
            })?
            .map_err(|e| unreadable_body(e, JSON_LIMIT))
    }
}

fn mime_json() -> &'static str {
    "json"
}

/// Why a body could not be read: over `limit` (413), or broken off or malformed (400).
pub fn unreadable_body(e: actix_web::Error, limit: usize) -> AppError {
    match e.as_error::<actix_web::error::PayloadError>() {
        Some(actix_web::error::PayloadError::Overflow) => {
            AppError::PayloadTooLarge(format!("the body must be at most {limit} bytes"))
        }
        _ => AppError::BadRequest(format!("the body could not be read: {e}")),
    }
}

fn too_large() -> AppError {
    AppError::PayloadTooLarge(format!("the body must be at most {JSON_LIMIT} bytes"))
}

/// Deepest nesting of arrays and objects accepted in a JSON body. Ours nest three levels;
/// serde_json would stop at 128 with a message about recursion, after more work.
pub const MAX_JSON_DEPTH: usize = 32;

/// Refuses JSON nested deeper than [`MAX_JSON_DEPTH`] (400) before it is parsed: one pass
/// over the bytes, counting brackets outside strings.
pub fn check_json_depth(bytes: &[u8]) -> Result<(), AppError> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(AppError::BadRequest(format!(
                        "the JSON is nested too deeply: at most {MAX_JSON_DEPTH} levels of arrays and objects"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Parses JSON, naming the field at fault when the JSON is well formed but does not fit.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    check_json_depth(bytes)?;
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    // serde reads a struct from an array too (its fields in order): `[null, null]` would
    // be an empty change. The document says a body of this kind is an object.
    if reads_an_object::<T>() && !value.is_object() {
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    parse_value(value)
}

/// Like [`parse_json`], for JSON already read into a value (one row of a bulk upload).
pub fn parse_value<T: DeserializeOwned>(mut value: serde_json::Value) -> Result<T, AppError> {
    whole_numbers_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(json_error)
}

/// JSON has one number type: `260.0` is the integer 260 (JSON Schema's `integer` says
/// so too), but serde reads it into an `i64` field only when it is written `260`.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                // Within i64 and whole: exactly representable as an integer.
                if f.fract() == 0.0 && f >= -(2f64.powi(63)) && f < 2f64.powi(63) {
                    *n = serde_json::Number::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers_as_integers),
        _ => {}
    }
}

/// Whether `T` is read from a JSON object: serde asks for a struct or a map. Found out by
/// letting `T` ask a deserializer that holds nothing and answers with what was asked.
fn reads_an_object<T: DeserializeOwned>() -> bool {
    T::deserialize(ShapeProbe).is_err_and(|e| e.to_string() == OBJECT)
}

const OBJECT: &str = "object";

struct ShapeProbe;

impl<'de> serde::Deserializer<'de> for ShapeProbe {
    type Error = serde::de::value::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom("other"))
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom(OBJECT))
    }

    fn deserialize_map<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(serde::de::Error::custom(OBJECT))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> AppError {
    let inner = e.inner();
    if !inner.is_data() {
        return AppError::BadRequest(format!("the body is not valid JSON: {inner}"));
    }
    let path = e.path().to_string();
    let message = inner.to_string();
    // serde names a missing field in its message, at the path of the enclosing object.
    let (field, message) = match message
        .strip_prefix("missing field `")
        .and_then(|m| m.split_once('`'))
    {
        Some((name, _)) => (join_path(&path, name), "is required".to_owned()),
        None => (
            if path == "." { "body".to_owned() } else { path },
            strip_position(&message),
        ),
    };
    AppError::Validation(FieldErrors::single(field, message))
}

fn join_path(parent: &str, name: &str) -> String {
    if parent == "." || parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// "invalid type: string \"x\", expected i64 at line 1 column 9" -> "invalid type: string \"x\", expected i64"
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// An optional filter from the query string (`?status=pending`): `None` when absent or
/// empty; a value `parse` does not know is named in `errors` with `message`, so that every
/// bad filter is reported in one answer.
/// A filter naming one of a [`Choice`]'s values; a bad one is named in `errors` with the
/// values it may take.
pub fn query_choice<T: Choice>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
) -> Option<T> {
    query_filter(errors, field, raw, <T as Choice>::parse, &T::expected())
}

pub fn query_filter<T>(
    errors: &mut FieldErrors,
    field: &str,
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Option<T>,
    message: &str,
) -> Option<T> {
    let raw = raw.filter(|s| !s.is_empty())?;
    let parsed = parse(raw);
    if parsed.is_none() {
        errors.add(field, message);
    }
    parsed
}

/// `limit` (1..=500, default 50) and `offset` (>= 0, default 0) from the query string.
/// A bad one is named in `errors`; the defaults stand in, so the caller goes on collecting.
pub fn paging(errors: &mut FieldErrors, limit: Option<i64>, offset: Option<i64>) -> (i64, i64) {
    let limit = limit.unwrap_or(50);
    let offset = offset.unwrap_or(0);
    if !(1..=500).contains(&limit) {
        errors.add("limit", "must be from 1 to 500");
    }
    if offset < 0 {
        errors.add("offset", "must not be negative");
    }
    (limit, offset)
}

/// Turns `validator`'s nested errors into messages keyed by dotted JSON path.
pub fn field_errors(errors: &ValidationErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    collect(&mut out, "", errors);
    out
}

fn collect(out: &mut FieldErrors, prefix: &str, errors: &ValidationErrors) {
    for (field, kind) in errors.errors() {
        let path = join_path(prefix, field);
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.add(&path, describe(e));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(out, &path, inner),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    collect(out, &format!("{path}.{i}"), inner);
                }
            }
        }
    }
}

fn describe(e: &validator::ValidationError) -> String {
    if let Some(m) = &e.message {
        return m.to_string();
    }
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    match e.code.as_ref() {
        "length" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be {min} to {max} characters"),
            (Some(min), None) => format!("must be at least {min} characters"),
            (None, Some(max)) => format!("must be at most {max} characters"),
            _ => "has the wrong length".into(),
        },
        "range" => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be from {min} to {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            _ => "is out of range".into(),
        },
        "email" => "is not a valid email address".into(),
        "required" => "is required".into(),
        other => format!("is invalid ({other})"),
    }
}

/// The organizer signed in through the session cookie or an API token; 401 otherwise.
pub struct CurrentOrganizer(pub Organizer);

/// The signed-in organizer, who must be an admin; 401 or 403 otherwise.
pub struct Admin(pub Organizer);

/// The session token in the request's cookie, if it has the shape of one.
pub fn session_token(req: &HttpRequest) -> Option<SecretToken> {
    req.cookie(SESSION_COOKIE)
        .and_then(|c| SecretToken::parse(c.value()))
}

/// Whether the request sends a session cookie at all, well formed or not.
pub fn sends_session_cookie(req: &HttpRequest) -> bool {
    req.cookie(SESSION_COOKIE).is_some()
}

/// The value of an `Authorization: Bearer …` header (an API token), if there is one.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The outcome of looking up a request's session, kept in its extensions.
#[derive(Clone)]
struct SessionLookup(Option<Organizer>);

/// Looks up the request's session once and keeps the outcome in the request, so that
/// later extractors answer at once. [`crate::http::middleware::resolve_session`] calls it
/// before the handler's extractors run: they run together and the first to fail answers,
/// so a forged or expired session must already be known when a body is being judged.
pub async fn signed_in(req: HttpRequest) -> Result<Organizer, AppError> {
    if let Some(SessionLookup(found)) = req.extensions().get::<SessionLookup>() {
        return found.clone().ok_or(AppError::Unauthenticated);
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no state")))?;
    // The session cookie, or else an API token (which acts for its organizer, with at
    // most the token's role); a malformed token is as unknown as a wrong one. A cookie
    // that is sent decides even beside a token: a request carrying a forged or malformed
    // session is refused, not served on the strength of its other credential.
    let found = if sends_session_cookie(&req) {
        match session_token(&req).map(|t| t.hash()) {
            Some(hash) => {
                crate::db::run(&state.pool, move |conn| {
                    session::find_organizer(conn, &hash)
                })
                .await?
            }
            None => None,
        }
    } else if let Some(raw) = bearer(&req) {
        match ApiTokenSecret::parse(raw).map(|t| t.hash()) {
            Some(hash) => {
                crate::db::run(&state.pool, move |conn| {
                    api_token::find_organizer(conn, &hash)
                })
                .await?
            }
            None => None,
        }
    } else {
        return Err(AppError::Unauthenticated);
    };
    req.extensions_mut().insert(SessionLookup(found.clone()));
    found.ok_or(AppError::Unauthenticated)
}

impl FromRequest for CurrentOrganizer {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { signed_in(req).await.map(CurrentOrganizer) })
    }
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let organizer = signed_in(req).await?;
            if !organizer.is_admin() {
                return Err(AppError::Forbidden("only an admin may do this".into()));
            }
            Ok(Admin(organizer))
        })
    }
}

/// The signed-in organizer, if any (public endpoints that show organizers more).
pub struct MaybeOrganizer(pub Option<Organizer>);

impl FromRequest for MaybeOrganizer {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            match signed_in(req).await {
                Ok(o) => Ok(MaybeOrganizer(Some(o))),
                Err(AppError::Unauthenticated) => Ok(MaybeOrganizer(None)),
                Err(e) => Err(e),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        capacity: i32,
        community: Community,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Community {
        name: String,
    }

    fn field_of(e: AppError) -> Vec<String> {
        match e {
            AppError::Validation(f) => f.fields().map(str::to_owned).collect(),
            other => panic!("expected 422, got {other:?}"),
        }
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Body>(b"{\"name\": "),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body>(b"not json"),
            Err(AppError::BadRequest(_))
        ));
    }

    #[test]
    fn nesting_is_limited_but_brackets_in_strings_do_not_count() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(check_json_depth(deep(MAX_JSON_DEPTH).as_bytes()).is_ok());
        assert!(matches!(
            check_json_depth(deep(MAX_JSON_DEPTH + 1).as_bytes()),
            Err(AppError::BadRequest(m)) if m.contains("nested too deeply")
        ));
        let in_string = format!(r#"{{"name": "{}\"{}"}}"#, "[".repeat(100), "{".repeat(100));
        assert!(check_json_depth(in_string.as_bytes()).is_ok());
        // Far deeper than any stack would allow to recurse: refused, not crashed.
        assert!(parse_json::<Body>(deep(1_000_000).as_bytes()).is_err());
    }

    #[test]
    fn a_struct_is_read_from_an_object_only() {
        assert!(reads_an_object::<Body>());
        assert!(!reads_an_object::<Vec<Body>>());
        assert_eq!(field_of(parse_json::<Body>(b" [\"x\", 1, {\"name\": \"y\"}]").unwrap_err()), ["body"]);
        assert!(parse_json::<Vec<Community>>(br#"[{"name": "y"}]"#).is_ok());
    }

    #[test]
    fn a_whole_number_written_with_a_fraction_is_an_integer() {
        let body = parse_json::<Body>(br#"{"name":"x","capacity":260.0,"community":{"name":"y"}}"#)
            .expect("260.0 is 260");
        assert_eq!(body.capacity, 260);
        let e = parse_json::<Body>(br#"{"name":"x","capacity":2.5,"community":{"name":"y"}}"#)
            .unwrap_err();
        assert_eq!(field_of(e), ["capacity"]);
    }

    #[test]
    fn a_wrong_type_names_the_field() {
        let e = parse_json::<Body>(br#"{"name":"x","capacity":"many","community":{"name":"y"}}"#)
            .unwrap_err();
        assert_eq!(field_of(e), ["capacity"]);
    }

    #[test]
    fn a_missing_nested_field_names_its_path() {
        let e = parse_json::<Body>(br#"{"name":"x","capacity":1,"community":{}}"#).unwrap_err();
        assert_eq!(field_of(e), ["community.name"]);
        let e = parse_json::<Body>(br#"{"capacity":1,"community":{"name":"y"}}"#).unwrap_err();
        assert_eq!(field_of(e), ["name"]);
    }
}
