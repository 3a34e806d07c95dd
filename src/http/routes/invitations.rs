//! Invitations, for organizers: invite one person or many (JSON or CSV), list, revoke,
//! resend, and remind everyone who has not answered.
//!
//! An invitation's email is queued in the transaction that creates it, and the outbox
//! guarantees delivery attempts from then on, so an invitation is `sent` as soon as its
//! email is queued. `pending` is kept for invitations made without an email (none yet).

use std::collections::HashMap;
use std::time::Instant;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::community::{self, Community};
use crate::db::models::event::{self, Event};
use crate::db::models::invitation::{
    self, Invitation, InvitationFilter, NewInvitationArgs, StatusChange,
};
use crate::db::models::registration::{self, Registration};
use crate::db::{self, truncate_micros, write_transaction, DbConnection};
use crate::domain::invitation::{
    CommunityFields, InvitationFields, InvitationKind, InvitationSpec, InvitationStatus,
};
use crate::domain::SecretToken;
use crate::email::messages::{self, InvitationEmail};
use crate::email::{nominations, outbox};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{
    check_json_depth, paging, parse_value, query_filter, CurrentOrganizer, ValidJson,
};
use crate::http::openapi::{EventItemPath, EventPath};
use crate::http::views::{rfc3339, CommunityView, RegistrationRef};
use crate::startup::AppState;

/// Most rows one bulk request may carry.
pub const MAX_BULK_ROWS: usize = 5_000;
/// Largest bulk body: 5,000 rows of a few hundred bytes each.
pub const BULK_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// Rows per transaction in a bulk request: long enough to be fast, short enough that
/// other writers (registrations on SQLite) are not held up for long.
const BULK_BATCH: usize = 250;

/// What organizers see of an invitation. `status` is as of now (an open invitation past
/// its expiry shows as `expired`); the token is never shown, not even its hash.
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    id: String,
    /// `pending`, `sent`, `accepted`, `declined`, `revoked` or `expired`.
    #[schema(example = "sent")]
    status: String,
    /// `executive` or `young_leader`.
    #[schema(example = "executive")]
    kind: String,
    #[schema(example = "ada@example.org")]
    email: String,
    #[schema(example = "Ada Lovelace")]
    full_name: String,
    #[schema(example = "Mayor")]
    title: String,
    organization: Option<String>,
    message: Option<String>,
    community: CommunityView,
    #[schema(format = DateTime)]
    expires_at: String,
    #[schema(format = DateTime)]
    sent_at: Option<String>,
    #[schema(format = DateTime)]
    responded_at: Option<String>,
    decline_reason: Option<String>,
    /// The organizer who invited.
    invited_by: Option<String>,
    /// The registration of the executive who nominated (young leaders).
    nominated_by: Option<String>,
    registration: Option<RegistrationRef>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl InvitationView {
    pub fn of(i: &Invitation, c: &Community, registration: Option<RegistrationRef>) -> Self {
        Self {
            id: i.id.clone(),
            status: i.status_at(Utc::now()).as_str().to_owned(),
            kind: i.kind.clone(),
            email: i.email.clone(),
            full_name: i.full_name.clone(),
            title: i.title.clone(),
            organization: i.organization.clone(),
            message: i.message.clone(),
            community: CommunityView::of(c),
            expires_at: rfc3339(i.expires_at),
            sent_at: i.sent_at.map(rfc3339),
            responded_at: i.responded_at.map(rfc3339),
            decline_reason: i.decline_reason.clone(),
            invited_by: i.invited_by.clone(),
            nominated_by: i.nominated_by.clone(),
            registration,
            created_at: rfc3339(i.created_at),
            updated_at: rfc3339(i.updated_at),
        }
    }
}

/// Why an invitation is made, which decides what it records and which email it sends.
#[derive(Clone, Copy)]
pub enum Origin<'a> {
    /// An organizer invites someone (or approves their request for an invitation).
    Direct,
    /// An organizer approves a young leader's nomination: the invitation records the
    /// nominator's registration, and its email names the nominator and their reason.
    Nomination {
        nominator: &'a Registration,
        reason: &'a str,
    },
}

/// Invites one person, in the caller's transaction: marks an earlier invitation of the
/// same address that ran out as `expired` (so that the one-live-invitation index admits the
/// new one), finds or creates their community, stores the invitation with the hash of a
/// fresh token, queues its email with the link, and audits it all. 409 when the address
/// still has a live invitation. Also meant for approving a request for an invitation.
pub fn invite(
    conn: &mut DbConnection,
    event: &Event,
    spec: &InvitationSpec,
    actor: &Actor,
    base_url: &Url,
) -> Result<(Invitation, Community), AppError> {
    invite_with(conn, event, spec, actor, base_url, Origin::Direct)
}

/// [`invite`], for an invitation of the given origin (a young leader's nomination).
pub fn invite_with(
    conn: &mut DbConnection,
    event: &Event,
    spec: &InvitationSpec,
    actor: &Actor,
    base_url: &Url,
    origin: Origin<'_>,
) -> Result<(Invitation, Community), AppError> {
    expire_stale(conn, event, Some(spec.email.as_str()))?;
    let community = community::find_or_create(conn, &spec.community)?;
    let created = invite_in(conn, event, spec, &community, actor, base_url, origin)?;
    Ok((created, community))
}

/// Marks the event's open invitations that are past their expiry (of one address, or of
/// all) as `expired`, auditing each.
fn expire_stale(
    conn: &mut DbConnection,
    event: &Event,
    email: Option<&str>,
) -> Result<(), AppError> {
    let at = db::now();
    for stale in invitation::stale(conn, &event.id, email, at)? {
        let expired = invitation::set_status(
            conn,
            &stale.id,
            stale.stored_status(),
            InvitationStatus::Expired,
            StatusChange::default(),
            at,
        )?;
        audit::record(
            conn,
            &Actor::system(),
            Entry::changed("invitation.expired", &stale, &expired),
        )?;
    }
    Ok(())
}

/// The part of [`invite`] after the community is known and stale invitations are expired.
fn invite_in(
    conn: &mut DbConnection,
    event: &Event,
    spec: &InvitationSpec,
    community: &Community,
    actor: &Actor,
    base_url: &Url,
    origin: Origin<'_>,
) -> Result<Invitation, AppError> {
    let at = db::now();
    let token = SecretToken::generate();
    let token_hash = token.hash();
    let created = invitation::create(
        conn,
        NewInvitationArgs {
            event_id: &event.id,
            community_id: &community.id,
            spec,
            token_hash: &token_hash,
            status: InvitationStatus::Sent,
            expires_at: truncate_micros(
                spec.expiry(at.and_utc(), event.invitation_ttl_days)
                    .naive_utc(),
            ),
            invited_by: actor.id.as_deref().filter(|_| actor.kind == "organizer"),
            nominated_by: match origin {
                Origin::Direct => None,
                Origin::Nomination { nominator, .. } => Some(&nominator.id),
            },
            at,
        },
    )?;
    let link = messages::invitation_link(base_url, token.expose());
    let email = match origin {
        Origin::Direct => messages::invitation(
            InvitationEmail::Invitation,
            event,
            &created,
            community,
            &link,
        ),
        Origin::Nomination { nominator, reason } => nominations::young_leader_invitation(
            event, &created, community, &link, nominator, reason,
        ),
    };
    outbox::queue(conn, email)?;
    audit::record(conn, actor, Entry::created("invitation.created", &created))?;
    Ok(created)
}

/// A bulk row's fate: `(row index, invitation id)` or `(row index, why it was refused)`.
type RowResult = Result<(usize, String), (usize, FieldErrors)>;

/// Creates one batch of a bulk upload in the caller's transaction, each row in a savepoint
/// so that a refused row (a duplicate address) leaves the others standing, on PostgreSQL
/// too. Communities are looked up once per batch.
fn invite_batch(
    conn: &mut DbConnection,
    event: &Event,
    batch: &[(usize, InvitationSpec)],
    actor: &Actor,
    base_url: &Url,
) -> Result<Vec<RowResult>, AppError> {
    expire_stale(conn, event, None)?;
    let mut communities: HashMap<String, Community> = HashMap::new();
    let mut results = Vec::with_capacity(batch.len());
    for (i, spec) in batch {
        let key = spec.community.match_key();
        let known = communities.get(&key).cloned();
        let outcome = conn.transaction(|conn| {
            let community = match known {
                Some(c) => c,
                None => community::find_or_create(conn, &spec.community)?,
            };
            let created = invite_in(
                conn,
                event,
                spec,
                &community,
                actor,
                base_url,
                Origin::Direct,
            )?;
            Ok::<_, AppError>((created, community))
        });
        results.push(match outcome {
            Ok((inv, community)) => {
                // Only once its row stands: a refused row's new community was rolled back.
                communities.insert(key, community);
                Ok((*i, inv.id))
            }
            Err(AppError::Conflict(detail)) => Err((*i, FieldErrors::single("email", detail))),
            Err(AppError::Validation(e)) => Err((*i, e)),
            Err(other) => return Err(other),
        });
    }
    Ok(results)
}

/// Invite one person; their email with the private link is queued at once.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations",
    params(EventPath),
    request_body = InvitationFields,
    security(("session" = [])),
    responses(
        (status = 201, description = "Invited; `Location` names the invitation.", body = InvitationView,
            headers(("Location" = String, description = "The new invitation's address"))),
        (status = 404, description = "No such event."),
        (status = 409, description = "This address already has a live invitation to the event."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    ValidJson(fields): ValidJson<InvitationFields>,
) -> Result<HttpResponse, AppError> {
    let spec = InvitationSpec::parse(fields, Utc::now()).map_err(AppError::Validation)?;
    let slug = slug.into_inner();
    let base = state.settings.base_url.clone();
    let (created, community, slug) = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let actor = Actor::organizer(&organizer.id);
            let (inv, community) = invite(conn, &event, &spec, &actor, &base)?;
            Ok((inv, community, event.slug))
        })
    })
    .await?;
    state.outbox.notify();
    tracing::info!(invitation_id = %created.id, event_id = %created.event_id, "invitation created");
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/events/{slug}/invitations/{}", created.id),
        ))
        .json(InvitationView::of(&created, &community, None)))
}

/// One row's outcome in a bulk answer.
#[derive(Serialize, ToSchema)]
pub struct RowOutcome {
    /// 1 for the first invitation (the CSV header is not a row).
    #[schema(example = 1)]
    row: usize,
    /// `created` or `refused`.
    #[schema(example = "created")]
    status: &'static str,
    /// The invitation's id, when created.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    /// Why the row was refused: messages per field (JSON path, or CSV column).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<std::collections::BTreeMap<String, Vec<String>>>)]
    errors: Option<FieldErrors>,
}

/// The answer to a bulk upload: every row, created or refused.
#[derive(Serialize, ToSchema)]
pub struct BulkAnswer {
    created: usize,
    refused: usize,
    rows: Vec<RowOutcome>,
}

impl RowOutcome {
    fn refused(row: usize, errors: FieldErrors) -> Self {
        Self {
            row,
            status: "refused",
            id: None,
            errors: Some(errors),
        }
    }
}

/// A bulk row as read: its fields if they could be read at all, and the problems found
/// while reading them (reported with those of the fields' own rules).
struct BulkRow {
    fields: Option<InvitationFields>,
    errors: FieldErrors,
}

impl BulkRow {
    fn unreadable(errors: FieldErrors) -> Self {
        Self {
            fields: None,
            errors,
        }
    }
}

/// The columns a bulk CSV's header row must name; `community_country`, `kind`, `message`,
/// `organization` and `expires_at` may be added.
const CSV_REQUIRED: [&str; 5] = [
    "email",
    "full_name",
    "title",
    "community_name",
    "community_state",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum BulkFormat {
    Json,
    Csv,
}

fn bulk_format(req: &HttpRequest) -> Result<BulkFormat, AppError> {
    let mime = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "application/json" => Ok(BulkFormat::Json),
        "text/csv" | "application/csv" => Ok(BulkFormat::Csv),
        _ => Err(AppError::UnsupportedMediaType(
            "send a JSON array (application/json) or CSV with a header row (text/csv)".into(),
        )),
    }
}

fn too_many_rows() -> AppError {
    AppError::PayloadTooLarge(format!(
        "a bulk request may carry at most {MAX_BULK_ROWS} invitations"
    ))
}

fn read_json_rows(body: &[u8]) -> Result<Vec<BulkRow>, AppError> {
    check_json_depth(body)?;
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest(format!("the body is not valid JSON: {e}")))?;
    let serde_json::Value::Array(items) = value else {
        return Err(AppError::invalid("body", "must be an array of invitations"));
    };
    if items.len() > MAX_BULK_ROWS {
        return Err(too_many_rows());
    }
    Ok(items
        .into_iter()
        .map(|item| match parse_value::<InvitationFields>(item) {
            Ok(f) => BulkRow {
                fields: Some(f),
                errors: FieldErrors::new(),
            },
            Err(AppError::Validation(e)) => BulkRow::unreadable(e),
            Err(other) => BulkRow::unreadable(FieldErrors::single("row", other.to_string())),
        })
        .collect())
}

fn read_csv_rows(body: &[u8]) -> Result<Vec<BulkRow>, AppError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| AppError::invalid("header", format!("cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    let missing: Vec<&str> = CSV_REQUIRED
        .into_iter()
        .filter(|c| !headers.iter().any(|h| h == c))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::invalid(
            "header",
            format!(
                "the first row must name the columns (email,full_name,title,community_name,community_state,community_country,kind,message); missing: {}",
                missing.join(", ")
            ),
        ));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        if rows.len() == MAX_BULK_ROWS {
            return Err(too_many_rows());
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                rows.push(BulkRow::unreadable(FieldErrors::single(
                    "row",
                    format!("cannot be read: {e}"),
                )));
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |name: &str| {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|c| record.get(c))
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let mut errors = FieldErrors::new();
        let expires_at = cell("expires_at").and_then(|raw| {
            chrono::DateTime::parse_from_rfc3339(&raw)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    errors.add(
                        "expires_at",
                        "must be an RFC 3339 time such as 2027-04-30T23:59:00Z",
                    )
                })
                .ok()
        });
        let fields = InvitationFields {
            email: cell("email"),
            full_name: cell("full_name"),
            title: cell("title"),
            community: Some(CommunityFields {
                name: cell("community_name"),
                state: cell("community_state"),
                country: cell("community_country"),
            }),
            kind: cell("kind"),
            message: cell("message"),
            organization: cell("organization"),
            expires_at,
        };
        rows.push(BulkRow {
            fields: Some(fields),
            errors,
        });
    }
    Ok(rows)
}

/// CSV rows name their errors by column (`community_name`), JSON rows by path (`community.name`).
fn csv_names(errors: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::new();
    for (field, messages) in errors.iter() {
        for m in messages {
            out.add(field.replace('.', "_"), m.clone());
        }
    }
    out
}

/// Invite many: a JSON array of invitations, or CSV with a header row.
///
/// Each row is created or refused on its own; the answer reports every row. CSV columns:
/// `email`, `full_name`, `title`, `community_name`, `community_state`, and optionally
/// `community_country`, `kind`, `message`, `organization`, `expires_at`. At most 5,000 rows
/// and 4 MiB.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations/bulk",
    params(EventPath),
    request_body(content(
        (Vec<InvitationFields> = "application/json"),
        (String = "text/csv", example = "email,full_name,title,community_name,community_state\nada@example.org,Ada Lovelace,Mayor,Springfield,IL\n"),
    )),
    security(("session" = [])),
    responses(
        (status = 200, description = "Every row's outcome.", body = BulkAnswer),
        (status = 404, description = "No such event."),
        (status = 413, description = "More than 5,000 rows, or a body over 4 MiB."),
        (status = 415, description = "Neither `application/json` nor `text/csv`."),
        (status = 422, description = "Not an array, no rows, or a CSV header without a required column."),
    )
)]
pub async fn bulk(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    req: HttpRequest,
    body: Result<web::Bytes, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let started = Instant::now();
    let body = body.map_err(|e| match e.as_response_error().status_code().as_u16() {
        413 => {
            AppError::PayloadTooLarge(format!("the body must be at most {BULK_BODY_LIMIT} bytes"))
        }
        _ => AppError::BadRequest(format!("the body could not be read: {e}")),
    })?;
    let format = bulk_format(&req)?;
    // Each row is parsed or refused on its own; only an unreadable body fails as a whole.
    let rows = match format {
        BulkFormat::Json => read_json_rows(&body)?,
        BulkFormat::Csv => read_csv_rows(&body)?,
    };
    if rows.is_empty() {
        return Err(AppError::invalid(
            "body",
            "must contain at least one invitation",
        ));
    }
    let now = Utc::now();
    let mut outcomes: Vec<Option<RowOutcome>> = Vec::with_capacity(rows.len());
    let mut valid: Vec<(usize, InvitationSpec)> = Vec::new();
    for (i, row) in rows.into_iter().enumerate() {
        let mut errors = row.errors;
        let parsed = row.fields.map(|f| InvitationSpec::parse(f, now));
        match parsed {
            Some(Ok(spec)) if errors.is_empty() => {
                valid.push((i, spec));
                outcomes.push(None);
            }
            other => {
                if let Some(Err(e)) = other {
                    errors.merge_prefixed("", e);
                }
                outcomes.push(Some(RowOutcome::refused(
                    i + 1,
                    match format {
                        BulkFormat::Csv => csv_names(errors),
                        BulkFormat::Json => errors,
                    },
                )));
            }
        }
    }

    let slug = slug.into_inner();
    let base = state.settings.base_url.clone();
    let event = {
        let slug = slug.clone();
        db::run(&state.pool, move |conn| event::find_by_slug(conn, &slug)).await?
    };
    let actor = Actor::organizer(&organizer.id);
    let mut queued_any = false;
    let mut batches = valid.into_iter().peekable();
    while batches.peek().is_some() {
        let batch: Vec<(usize, InvitationSpec)> = batches.by_ref().take(BULK_BATCH).collect();
        let (event, actor, base) = (event.clone(), actor.clone(), base.clone());
        let results = db::run(&state.pool, move |conn| {
            write_transaction(conn, |conn| {
                invite_batch(conn, &event, &batch, &actor, &base)
            })
        })
        .await?;
        for r in results {
            match r {
                Ok((i, id)) => {
                    queued_any = true;
                    outcomes[i] = Some(RowOutcome {
                        row: i + 1,
                        status: "created",
                        id: Some(id),
                        errors: None,
                    });
                }
                Err((i, e)) => outcomes[i] = Some(RowOutcome::refused(i + 1, e)),
            }
        }
    }
    if queued_any {
        state.outbox.notify();
    }
    let rows: Vec<RowOutcome> = outcomes.into_iter().flatten().collect();
    let created = rows.iter().filter(|r| r.status == "created").count();
    let refused = rows.len() - created;
    tracing::info!(
        event_id = %event.id,
        created,
        refused,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "bulk invitations"
    );
    Ok(HttpResponse::Ok().json(BulkAnswer {
        created,
        refused,
        rows,
    }))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `pending`, `sent`, `accepted`, `declined`, `revoked` or `expired`.
    status: Option<String>,
    /// `executive` or `young_leader`.
    kind: Option<String>,
    /// Only invitations to this community (its name).
    community: Option<String>,
    /// Search in names and email addresses.
    q: Option<String>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
    /// Default 0.
    offset: Option<i64>,
}

/// A page of invitations, newest first.
#[derive(Serialize, ToSchema)]
pub struct InvitationList {
    items: Vec<InvitationView>,
    /// How many match the filters, on every page.
    total: i64,
    limit: i64,
    offset: i64,
}

/// Registrations of the given invitations, by invitation id.
fn registrations_of(
    conn: &mut DbConnection,
    invitations: &[&Invitation],
) -> Result<HashMap<String, RegistrationRef>, AppError> {
    let ids: Vec<String> = invitations.iter().map(|i| i.id.clone()).collect();
    Ok(registration::for_invitations(conn, &ids)?
        .into_iter()
        .map(|(inv, id, status)| (inv, RegistrationRef { id, status }))
        .collect())
}

/// The event's invitations, with filters and paging.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/invitations",
    params(EventPath, ListQuery),
    security(("session" = [])),
    responses(
        (status = 200, description = "A page of invitations.", body = InvitationList),
        (status = 404, description = "No such event."),
        (status = 422, description = "A filter or paging value is wrong."),
    )
)]
pub async fn list(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let q = query.into_inner();
    let mut errors = FieldErrors::new();
    let status = query_filter(
        &mut errors,
        "status",
        q.status.as_deref(),
        InvitationStatus::parse,
        "must be one of pending, sent, accepted, declined, revoked, expired",
    );
    let kind = query_filter(
        &mut errors,
        "kind",
        q.kind.as_deref(),
        InvitationKind::parse,
        "must be executive or young_leader",
    );
    let (limit, offset) = paging(&mut errors, q.limit, q.offset);
    errors.into_result()?;
    let slug = slug.into_inner();
    let (items, total) = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        let filter = InvitationFilter {
            event_id: event.id,
            status,
            kind,
            community: q.community,
            q: q.q,
            limit,
            offset,
            now: db::now(),
        };
        let (rows, total) = invitation::list(conn, &filter)?;
        let invitations: Vec<&Invitation> = rows.iter().map(|(i, _)| i).collect();
        let mut regs = registrations_of(conn, &invitations)?;
        let items: Vec<InvitationView> = rows
            .iter()
            .map(|(i, c)| InvitationView::of(i, c, regs.remove(&i.id)))
            .collect();
        Ok((items, total))
    })
    .await?;
    Ok(HttpResponse::Ok().json(InvitationList {
        items,
        total,
        limit,
        offset,
    }))
}

/// One invitation.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/invitations/{id}",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "The invitation.", body = InvitationView),
        (status = 404, description = "No such event or invitation."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let view = db::run(&state.pool, move |conn| {
        let event = event::find_by_slug(conn, &slug)?;
        let inv = invitation::find_in_event(conn, &event.id, &id)?;
        let community = community::find(conn, &inv.community_id)?;
        let reg = registrations_of(conn, &[&inv])?.remove(&inv.id);
        Ok(InvitationView::of(&inv, &community, reg))
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Revoke an open invitation: its link stops working.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations/{id}/revoke",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Revoked.", body = InvitationView),
        (status = 404, description = "No such event or invitation."),
        (status = 409, description = "The invitation was already answered, revoked or expired."),
    )
)]
pub async fn revoke(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let view = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let before = invitation::find_in_event(conn, &event.id, &id)?;
            before
                .status_at(Utc::now())
                .transition(InvitationStatus::Revoked)
                .map_err(AppError::Conflict)?;
            let at = db::now();
            let after = invitation::set_status(
                conn,
                &before.id,
                before.stored_status(),
                InvitationStatus::Revoked,
                StatusChange::default(),
                at,
            )?;
            audit::record(
                conn,
                &Actor::organizer(&organizer.id),
                Entry::changed("invitation.revoked", &before, &after),
            )?;
            let community = community::find(conn, &after.community_id)?;
            Ok(InvitationView::of(&after, &community, None))
        })
    })
    .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Sends an open invitation's email again with a new link. Only the token's hash is
/// stored, so the old link cannot be repeated: the token is rotated (the old link stops
/// working) and the expiry stays as it was.
fn send_again(
    conn: &mut DbConnection,
    event: &Event,
    before: &Invitation,
    which: InvitationEmail,
    actor: &Actor,
    base: &Url,
    at: NaiveDateTime,
) -> Result<Invitation, AppError> {
    let token = SecretToken::generate();
    let hash = token.hash();
    let after = invitation::set_status(
        conn,
        &before.id,
        before.stored_status(),
        InvitationStatus::Sent,
        StatusChange {
            sent_at: Some(at),
            token_hash: Some(&hash),
            ..Default::default()
        },
        at,
    )?;
    let community = community::find(conn, &after.community_id)?;
    let link = messages::invitation_link(base, token.expose());
    outbox::queue(
        conn,
        messages::invitation(which, event, &after, &community, &link),
    )?;
    let action = match which {
        InvitationEmail::Invitation => "invitation.resent",
        InvitationEmail::Reminder => "invitation.reminded",
    };
    audit::record(conn, actor, Entry::changed(action, before, &after))?;
    Ok(after)
}

/// Send an open invitation's email again, with a new link (the old one stops working).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations/{id}/resend",
    params(EventItemPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Queued again.", body = InvitationView),
        (status = 404, description = "No such event or invitation."),
        (status = 409, description = "Only a pending or sent invitation can be sent again."),
    )
)]
pub async fn resend(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (slug, id) = path.into_inner();
    let base = state.settings.base_url.clone();
    let view = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let before = invitation::find_in_event(conn, &event.id, &id)?;
            let status = before.status_at(Utc::now());
            if !status.is_open() {
                return Err(AppError::conflict(format!(
                    "This invitation is {}; only a pending or sent invitation can be sent again.",
                    status.as_str()
                )));
            }
            let actor = Actor::organizer(&organizer.id);
            let after = send_again(
                conn,
                &event,
                &before,
                InvitationEmail::Invitation,
                &actor,
                &base,
                db::now(),
            )?;
            let community = community::find(conn, &after.community_id)?;
            Ok(InvitationView::of(&after, &community, None))
        })
    })
    .await?;
    state.outbox.notify();
    Ok(HttpResponse::Ok().json(view))
}

/// How many invitees were reminded.
#[derive(Serialize, ToSchema)]
pub struct Reminded {
    reminded: usize,
}

/// Remind everyone whose invitation was sent and not answered (nor expired).
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/invitations/remind",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "Reminders queued.", body = Reminded),
        (status = 404, description = "No such event."),
    )
)]
pub async fn remind(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let base = state.settings.base_url.clone();
    let reminded = db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let event = event::find_by_slug(conn, &slug)?;
            let at = db::now();
            let actor = Actor::organizer(&organizer.id);
            let waiting = invitation::awaiting_answer(conn, &event.id, at)?;
            for inv in &waiting {
                send_again(
                    conn,
                    &event,
                    inv,
                    InvitationEmail::Reminder,
                    &actor,
                    &base,
                    at,
                )?;
            }
            Ok(waiting.len())
        })
    })
    .await?;
    if reminded > 0 {
        state.outbox.notify();
    }
    tracing::info!(reminded, "invitation reminders queued");
    Ok(HttpResponse::Ok().json(Reminded { reminded }))
}
