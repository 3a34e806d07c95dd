//! The API reference page (`/api/docs`): the OpenAPI document laid out for people, rendered
//! on the server like the other pages, so it needs no script and fetches nothing.
//!
//! It reads the document as JSON (the shape every OpenAPI reader sees) and turns each
//! operation and schema into rows for `templates/api_reference.html`; example bodies are
//! built from the schemas' own examples.

use serde::Serialize;
use serde_json::{json, Map, Value};

#[derive(Serialize)]
struct Group {
    tag: String,
    operations: Vec<OperationRow>,
}

#[derive(Serialize)]
struct OperationRow {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    description: String,
    /// `signed in`, `signed in (optional)` or empty.
    auth: &'static str,
    parameters: Vec<ParameterRow>,
    body: Vec<BodyRow>,
    responses: Vec<ResponseRow>,
}

#[derive(Serialize)]
struct ParameterRow {
    name: String,
    location: String,
    required: bool,
    kind: Kind,
    description: String,
    example: String,
}

#[derive(Serialize)]
struct BodyRow {
    content_type: String,
    kind: Kind,
    description: String,
    example: String,
}

#[derive(Serialize)]
struct ResponseRow {
    status: String,
    description: String,
    content_type: String,
    kind: Kind,
    headers: Vec<String>,
    example: String,
}

#[derive(Serialize)]
struct SchemaRow {
    name: String,
    description: String,
    /// Set for a schema that is not an object with properties (`anyOf`, enum, ...).
    kind: Kind,
    properties: Vec<PropertyRow>,
}

#[derive(Serialize)]
struct PropertyRow {
    name: String,
    required: bool,
    kind: Kind,
    description: String,
}

/// A type as shown: text, with the schemas it names linked.
#[derive(Serialize, Default)]
struct Kind {
    text: String,
    links: Vec<String>,
}

/// The template's context for `doc`.
pub fn context(doc: &utoipa::openapi::OpenApi) -> minijinja::Value {
    let doc = serde_json::to_value(doc).unwrap_or_default();
    let schemas = doc["components"]["schemas"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let mut groups: Vec<Group> = doc["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["name"].as_str())
        .map(|tag| Group {
            tag: tag.to_owned(),
            operations: Vec::new(),
        })
        .collect();
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            let row = operation(method, path, op, &schemas);
            let tag = op["tags"][0].as_str().unwrap_or_default();
            if let Some(g) = groups.iter_mut().find(|g| g.tag == tag) {
                g.operations.push(row);
            }
        }
    }
    let schema_rows: Vec<SchemaRow> = schemas
        .iter()
        .map(|(name, s)| schema_row(name, s))
        .collect();
    minijinja::context! {
        title => doc["info"]["title"].as_str().unwrap_or_default(),
        version => doc["info"]["version"].as_str().unwrap_or_default(),
        description => doc["info"]["description"].as_str().unwrap_or_default(),
        groups => minijinja::value::Serde(&groups),
        schemas => minijinja::value::Serde(&schema_rows),
    }
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

fn operation(method: &str, path: &str, op: &Value, schemas: &Map<String, Value>) -> OperationRow {
    let security: Vec<&Value> = op["security"].as_array().into_iter().flatten().collect();
    let auth = if security.is_empty() {
        ""
    } else if security
        .iter()
        .any(|r| r.as_object().is_some_and(Map::is_empty))
    {
        "signed in (optional)"
    } else {
        "signed in"
    };
    let parameters = op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| ParameterRow {
            name: text(&p["name"]),
            location: text(&p["in"]),
            required: p["required"].as_bool().unwrap_or(false),
            kind: kind(&p["schema"]),
            description: text(&p["description"]),
            example: p
                .get("example")
                .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_owned))
                .unwrap_or_default(),
        })
        .collect();
    let body = op["requestBody"]["content"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(content_type, c)| BodyRow {
            content_type: content_type.clone(),
            kind: kind(&c["schema"]),
            description: text(&op["requestBody"]["description"]),
            example: example_text(c, schemas),
        })
        .collect();
    let responses = op["responses"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(status, r)| {
            let (content_type, content) = r["content"]
                .as_object()
                .and_then(|c| c.iter().next())
                .map(|(t, c)| (t.clone(), c.clone()))
                .unwrap_or_default();
            ResponseRow {
                status: status.clone(),
                description: text(&r["description"]),
                kind: kind(&content["schema"]),
                example: if content.is_null() {
                    String::new()
                } else {
                    example_text(&content, schemas)
                },
                content_type,
                headers: r["headers"]
                    .as_object()
                    .map(|h| h.keys().cloned().collect())
                    .unwrap_or_default(),
            }
        })
        .collect();
    OperationRow {
        anchor: format!("{method}-{path}")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect(),
        method: method.to_uppercase(),
        path: path.to_owned(),
        summary: text(&op["summary"]),
        description: text(&op["description"]),
        auth,
        parameters,
        body,
        responses,
    }
}

fn schema_row(name: &str, s: &Value) -> SchemaRow {
    let required: Vec<&str> = s["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let properties: Vec<PropertyRow> = s["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(p, v)| PropertyRow {
            name: p.clone(),
            required: required.contains(&p.as_str()),
            kind: kind(v),
            description: text(&v["description"]).replace('\n', " "),
        })
        .collect();
    let mut description = text(&s["description"]).replace('\n', " ");
    if let Some(extra) = s.get("additionalProperties").filter(|a| a.is_object()) {
        description = format!("{description} Other keys: {}.", kind(extra).text)
            .trim()
            .to_owned();
    }
    SchemaRow {
        name: name.to_owned(),
        description,
        kind: if properties.is_empty() {
            kind(s)
        } else {
            Kind::default()
        },
        properties,
    }
}

/// `string (date-time)`, `array of EventView`, `Problem | null`, ...
fn kind(s: &Value) -> Kind {
    let mut links = Vec::new();
    let text = describe(s, &mut links);
    Kind { text, links }
}

fn describe(s: &Value, links: &mut Vec<String>) -> String {
    if let Some(r) = s["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r).to_owned();
        links.push(name.clone());
        return name;
    }
    for (key, sep) in [("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")] {
        if let Some(items) = s[key].as_array() {
            return items
                .iter()
                .map(|i| describe(i, links))
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(sep);
        }
    }
    if let Some(values) = s["enum"].as_array() {
        return values
            .iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(" | ");
    }
    let types: Vec<String> = match &s["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts
            .iter()
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    types
        .iter()
        .map(|t| match t.as_str() {
            "array" => format!("array of {}", describe(&s["items"], links)),
            "object" => match s.get("additionalProperties") {
                Some(v) if v.is_object() => format!("map of {}", describe(v, links)),
                _ => "object".to_owned(),
            },
            "null" => "null".to_owned(),
            other => match s["format"].as_str() {
                Some(f) => format!("{other} ({f})"),
                None => other.to_owned(),
            },
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The content's example, or one built from its schema, as indented JSON (or as is, for
/// text such as CSV).
fn example_text(content: &Value, schemas: &Map<String, Value>) -> String {
    let example = content
        .get("example")
        .cloned()
        .unwrap_or_else(|| example_of(&content["schema"], schemas, 0));
    match example {
        Value::String(s) => s,
        Value::Null => String::new(),
        v => serde_json::to_string_pretty(&v).unwrap_or_default(),
    }
}

/// An example value for a schema: its own example, else one made from its parts.
fn example_of(s: &Value, schemas: &Map<String, Value>, depth: usize) -> Value {
    if depth > 6 {
        return Value::Null;
    }
    if let Some(e) = s.get("example") {
        return e.clone();
    }
    if let Some(r) = s["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return schemas
            .get(name)
            .map_or(Value::Null, |t| example_of(t, schemas, depth + 1));
    }
    if let Some(first) = s["oneOf"]
        .as_array()
        .or(s["anyOf"].as_array())
        .and_then(|a| a.iter().find(|i| i["type"] != "null"))
    {
        return example_of(first, schemas, depth + 1);
    }
    if let Some(parts) = s["allOf"].as_array() {
        let mut merged = Map::new();
        for p in parts {
            if let Value::Object(m) = example_of(p, schemas, depth + 1) {
                merged.extend(m);
            }
        }
        return Value::Object(merged);
    }
    if let Some(first) = s["enum"].as_array().and_then(|a| a.first()) {
        return first.clone();
    }
    let ty = match &s["type"] {
        Value::String(t) => t.clone(),
        Value::Array(ts) => ts
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null")
            .to_owned(),
        _ => String::new(),
    };
    match ty.as_str() {
        "object" => {
            let mut out = Map::new();
            for (name, p) in s["properties"].as_object().into_iter().flatten() {
                out.insert(name.clone(), example_of(p, schemas, depth + 1));
            }
            Value::Object(out)
        }
        "array" => json!([example_of(&s["items"], schemas, depth + 1)]),
        "integer" => json!(1),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "string" => match s["format"].as_str() {
            Some("date-time") => json!("2027-05-12T09:00:00Z"),
            Some("date") => json!("2027-05-12"),
            _ => json!("string"),
        },
        _ => Value::Null,
    }
}

/// Template filter: HTML-escapes `text` and shows its `backticked` parts as code.
pub fn code(text: &str) -> minijinja::Value {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;");
    let mut out = String::with_capacity(escaped.len());
    for (i, part) in escaped.split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    minijinja::Value::from_safe_string(out)
}
