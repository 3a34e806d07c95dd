//! Static assets compiled into the binary, served at `/static/{file}`.
//!
//! Pages link to `/static/NAME?v=VERSION`, where the version is a hash of the content:
//! a request naming the current version may be cached for a year, anything else for a
//! few minutes, so a new release is picked up without anyone clearing a cache.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use sha2::{Digest, Sha256};

use crate::error::AppError;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "survey.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/survey.css"),
    },
    Asset {
        name: "admin-survey.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-survey.js"),
    },
    Asset {
        name: "impact.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/impact.js"),
    },
    Asset {
        name: "survey.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/survey.js"),
    },
    Asset {
        name: "convene.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/convene.css"),
    },
    Asset {
        name: "common.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/common.js"),
    },
    Asset {
        name: "invite.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/invite.js"),
    },
    Asset {
        name: "manage.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/manage.js"),
    },
    Asset {
        name: "event.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/event.js"),
    },
    Asset {
        name: "admin.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/admin.css"),
    },
    Asset {
        name: "admin.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin.js"),
    },
    Asset {
        name: "admin-events.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-events.js"),
    },
    Asset {
        name: "admin-invitations.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-invitations.js"),
    },
    Asset {
        name: "admin-review.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-review.js"),
    },
    Asset {
        name: "admin-registrations.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-registrations.js"),
    },
    Asset {
        name: "admin-emails.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-emails.js"),
    },
    Asset {
        name: "admin-announcements.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-announcements.js"),
    },
    Asset {
        name: "admin-wording.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-wording.js"),
    },
    Asset {
        name: "admin-agenda.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-agenda.js"),
    },
    Asset {
        name: "admin-accounts.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-accounts.js"),
    },
    Asset {
        name: "admin-password.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-password.js"),
    },
    Asset {
        name: "admin-settings.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-settings.js"),
    },
    Asset {
        name: "admin-integrations.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-integrations.js"),
    },
    Asset {
        name: "admin-people.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-people.js"),
    },
    Asset {
        name: "admin-checkin.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("assets/admin-checkin.js"),
    },
    Asset {
        name: "admin-checkin.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/admin-checkin.css"),
    },
    Asset {
        name: "api-docs.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("assets/api-docs.css"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_bytes!("assets/favicon.svg"),
    },
];

/// The content hash of each asset, in the order of [`ASSETS`].
static VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| {
            Sha256::digest(a.body)
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
});

const LONG: &str = "public, max-age=31536000, immutable";
const SHORT: &str = "public, max-age=300";

fn find(name: &str) -> Option<(&'static Asset, &'static str)> {
    ASSETS
        .iter()
        .zip(VERSIONS.iter())
        .find(|(a, _)| a.name == name)
        .map(|(a, v)| (a, v.as_str()))
}

/// The versioned address of an asset, for templates (`{{ asset("convene.css") }}`).
/// An unknown name fails the render, so a typo cannot ship a broken link. The address is
/// built from our own names and a hex hash, so it needs no escaping.
pub fn url(name: &str) -> Result<minijinja::Value, minijinja::Error> {
    find(name)
        .map(|(a, v)| minijinja::Value::from_safe_string(format!("/static/{}?v={v}", a.name)))
        .ok_or_else(|| {
            minijinja::Error::new(
                minijinja::ErrorKind::InvalidOperation,
                format!("no static asset named {name}"),
            )
        })
}

/// `GET /static/{file}`: the asset, with a long cache lifetime when the request names its
/// current version, and `304 Not Modified` when the client already holds it.
pub async fn serve(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (asset, version) = find(&file).ok_or_else(|| AppError::not_found("file"))?;
    let requested = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "v")
        .map(|(_, v)| v.into_owned());
    let cache = if requested.as_deref() == Some(version) {
        LONG
    } else {
        SHORT
    };
    let etag = format!("\"{version}\"");
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag));
    if fresh {
        return Ok(res.finish());
    }
    Ok(res
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .body(asset.body))
}
