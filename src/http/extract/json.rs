//! JSON bodies: read whole, judged for depth, and turned into a request's type with the
//! field at fault named.

use serde::de::DeserializeOwned;

use super::join_path;
use crate::error::{AppError, FieldErrors};

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

/// "invalid type: string \"x\", expected i64 at line 1 column 9" -> "invalid type: string \"x\", expected i64"
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
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
        assert_eq!(
            field_of(parse_json::<Body>(b" [\"x\", 1, {\"name\": \"y\"}]").unwrap_err()),
            ["body"]
        );
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
