//! The document's security schemes: the session cookie, API tokens (accepted wherever
//! the session is), and the bearer tokens of `/metrics` and `/bounces`.

use std::collections::BTreeMap;

use utoipa::openapi::path::Operation as DocOperation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::RefOr;

use super::{SESSION_SCHEME, TOKEN_SCHEME};
use crate::auth::SESSION_COOKIE;

/// Adds every scheme the operations name.
pub(super) fn add_schemes(schemes: &mut BTreeMap<String, RefOr<SecurityScheme>>) {
    schemes.insert(
        SESSION_SCHEME.into(),
        RefOr::T(SecurityScheme::ApiKey(ApiKey::Cookie(
            ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The organizer's session, set by `POST /api/v1/auth/login` (HttpOnly, SameSite=Lax).",
            ),
        ))),
    );
    let bearer = |description: &str| {
        RefOr::T(SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(description))
                .build(),
        ))
    };
    schemes.insert(
        TOKEN_SCHEME.into(),
        bearer(
            "An API token (`POST /api/v1/auth/tokens`), as `Authorization: Bearer cvt_…`: \
             accepted wherever the session is, with no `Origin` needed.",
        ),
    );
    schemes.insert(
        "metrics".into(),
        bearer("`CONVENE_METRICS_TOKEN`, when it is set; `/metrics` is open otherwise."),
    );
    schemes.insert(
        "bounce".into(),
        bearer("`CONVENE_BOUNCE_TOKEN`, for passing on bounces; without it `/bounces` is 404."),
    );
}

/// Wherever the session is accepted, an API token is too: as an alternative requirement.
pub(super) fn accept_tokens(operation: &mut DocOperation) {
    let Some(security) = operation.security.as_mut() else {
        return;
    };
    let uses_session = security.iter().any(|r| {
        serde_json::to_value(r)
            .ok()
            .and_then(|v| v.get(SESSION_SCHEME).cloned())
            .is_some()
    });
    if uses_session {
        security.push(utoipa::openapi::security::SecurityRequirement::new(
            TOKEN_SCHEME,
            Vec::<String>::new(),
        ));
    }
}
