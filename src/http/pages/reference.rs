//! The API reference page: the OpenAPI document laid out for people.

pub fn context(_doc: &utoipa::openapi::OpenApi) -> minijinja::Value {
    minijinja::context! {}
}
