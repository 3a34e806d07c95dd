//! Events: created and changed by admins, listed for organizers, shown to anyone.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event::{self, Event};
use crate::db::write_transaction;
use crate::domain::event::{EventFields, EventSpec, EventStatus};
use crate::error::{AppError, FieldErrors};
use crate::http::extract::{
    Admin, CurrentOrganizer, ListFilter, ListQuery, MaybeOrganizer, NoParams, ValidJson,
};
use crate::http::openapi::EventPath;
use crate::http::views::{rfc3339, PublicEventView};
use crate::http::AppState;

#[derive(Deserialize, ToSchema)]
pub struct CreateEventRequest {
    /// Lowercase letters, digits and dashes; part of the event's public address.
    #[schema(
        example = "summit-2027",
        min_length = 3,
        max_length = 64,
        pattern = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
    )]
    slug: String,
    #[schema(
        example = "Community Leaders Summit 2027",
        format = "line",
        max_length = 200
    )]
    name: String,
    #[schema(example = "Convention Center", format = "line", max_length = 200)]
    venue: String,
    #[schema(example = "Springfield", format = "line", max_length = 120)]
    city: String,
    #[schema(example = "2027-05-12")]
    starts_on: NaiveDate,
    #[schema(example = "2027-05-14")]
    ends_on: NaiveDate,
    /// An IANA time zone.
    #[schema(example = "America/Chicago")]
    timezone: String,
    /// Seats, 1 to 100,000.
    #[schema(example = 250, minimum = 1, maximum = 100000)]
    capacity: i64,
    #[schema(example = 5000000, minimum = 0, maximum = 1_000_000_000_000_i64)]
    scholarship_budget_cents: i64,
    /// ISO 4217 code.
    #[schema(example = "USD")]
    currency: String,
    /// Default `open`.
    status: Option<EventStatus>,
    /// When registration opens; open from the start when left out.
    registration_opens_at: Option<DateTime<Utc>>,
    /// When registration closes; by default the start of the event's first day.
    registration_closes_at: Option<DateTime<Utc>>,
    /// Default 30.
    #[schema(minimum = 1, maximum = 365)]
    invitation_ttl_days: Option<i64>,
    /// Default 1.
    #[schema(minimum = 0, maximum = 10)]
    nominations_per_executive: Option<i64>,
    /// Markdown, at most 20,000 characters: what the convening is.
    #[schema(
        example = "Two days with the chief executives of forty communities.",
        format = "paragraph",
        max_length = 20000
    )]
    description: Option<String>,
    /// Markdown, at most 20,000 characters: travel, accommodation, meals.
    #[schema(
        example = "Meals are covered. Travel is at your own expense.",
        format = "paragraph",
        max_length = 20000
    )]
    practical_info: Option<String>,
    /// The organizing team's address: the `Reply-To` of the event's emails, and the
    /// address its pages give.
    #[schema(example = "summit@example.org")]
    contact_email: Option<String>,
    /// The programme the event belongs to (a slug).
    #[schema(example = "future-city")]
    program: Option<String>,
    /// Days before the event that registrants are reminded, 1 to 30; `null` for no
    /// reminder. Default 3.
    #[serde(default = "default_reminder", deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 30, example = 3)]
    reminder_days_before: Option<Option<i64>>,
    /// Days after the event ends that its people's personal data is kept, 30 to 3650;
    /// then it is anonymized. Default 365.
    #[schema(minimum = 30, maximum = 3650, example = 365)]
    retention_days: Option<i64>,
}

fn default_reminder() -> Option<Option<i64>> {
    Some(Some(crate::domain::event::DEFAULT_REMINDER_DAYS))
}

/// Every field optional; `registration_opens_at: null` clears the opening time.
#[derive(Deserialize, Default, ToSchema)]
#[serde(default)]
pub struct UpdateEventRequest {
    #[schema(
        min_length = 3,
        max_length = 64,
        pattern = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
    )]
    slug: Option<String>,
    #[schema(format = "line", max_length = 200)]
    name: Option<String>,
    #[schema(format = "line", max_length = 200)]
    venue: Option<String>,
    #[schema(format = "line", max_length = 120)]
    city: Option<String>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    timezone: Option<String>,
    #[schema(minimum = 1, maximum = 100000)]
    capacity: Option<i64>,
    #[schema(minimum = 0, maximum = 1_000_000_000_000_i64)]
    scholarship_budget_cents: Option<i64>,
    currency: Option<String>,
    status: Option<EventStatus>,
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    registration_opens_at: Option<Option<DateTime<Utc>>>,
    registration_closes_at: Option<DateTime<Utc>>,
    #[schema(minimum = 1, maximum = 365)]
    invitation_ttl_days: Option<i64>,
    #[schema(minimum = 0, maximum = 10)]
    nominations_per_executive: Option<i64>,
    #[schema(format = "paragraph", max_length = 20000)]
    description: Option<String>,
    #[schema(format = "paragraph", max_length = 20000)]
    practical_info: Option<String>,
    /// `null` removes the address.
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    contact_email: Option<Option<String>>,
    /// `null` removes the programme.
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    program: Option<Option<String>>,
    /// `null`: no reminder.
    #[serde(deserialize_with = "present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 30)]
    reminder_days_before: Option<Option<i64>>,
    #[schema(minimum = 30, maximum = 3650)]
    retention_days: Option<i64>,
}

/// Tells a field set to `null` (`Some(None)`) from a field left out (`None`).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// What organizers see: everything.
#[derive(Serialize, ToSchema)]
pub struct EventView {
    #[schema(example = "0b7e2f7c-3d7a-4c1e-9a57-5d0f6b1f2a10")]
    id: String,
    #[serde(flatten)]
    public: PublicEventView,
    #[schema(example = 250)]
    capacity: i32,
    #[schema(example = 5000000)]
    scholarship_budget_cents: i64,
    #[schema(example = 30)]
    invitation_ttl_days: i32,
    #[schema(example = 1)]
    nominations_per_executive: i32,
    /// Days before the event that registrants are reminded; `null`: no reminder.
    #[schema(example = 3)]
    reminder_days_before: Option<i32>,
    /// Days after the event ends that its people's personal data is kept.
    #[schema(example = 365)]
    retention_days: i32,
    /// When its people's personal data was anonymized; `null` until then.
    #[schema(format = DateTime)]
    anonymized_at: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// The events, newest first.
#[derive(Serialize, ToSchema)]
pub struct EventList {
    items: Vec<EventView>,
}

/// `GET /events/{slug}`: organizers see the whole event (`EventView`), anyone else its
/// public part. `anyOf`, not `oneOf`: an `EventView` also has every public field.
pub struct EventAnswer;

impl utoipa::PartialSchema for EventAnswer {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::AnyOfBuilder::new()
            .item(utoipa::openapi::Ref::from_schema_name(EventView::name()))
            .item(utoipa::openapi::Ref::from_schema_name(
                PublicEventView::name(),
            ))
            .into()
    }
}

impl ToSchema for EventAnswer {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        schemas.push((EventView::name().into(), EventView::schema()));
        <EventView as ToSchema>::schemas(schemas);
        schemas.push((PublicEventView::name().into(), PublicEventView::schema()));
        <PublicEventView as ToSchema>::schemas(schemas);
    }
}

impl EventView {
    pub fn of(e: &Event) -> Self {
        Self {
            id: e.id.to_string(),
            public: PublicEventView::of(e),
            capacity: e.capacity,
            scholarship_budget_cents: e.scholarship_budget_cents,
            invitation_ttl_days: e.invitation_ttl_days,
            nominations_per_executive: e.nominations_per_executive,
            reminder_days_before: e.reminder_days_before,
            retention_days: e.retention_days,
            anonymized_at: e.anonymized_at.map(rfc3339),
            created_at: rfc3339(e.created_at),
            updated_at: rfc3339(e.updated_at),
        }
    }
}

/// Create an event (admins).
#[utoipa::path(
    post,
    path = "/api/v1/events",
    request_body = CreateEventRequest,
    security(("session" = [])),
    responses(
        (status = 201, description = "Created; `Location` names it.", body = EventView,
            headers(("Location" = String, description = "The new event's address"))),
        (status = 403, description = "Only an admin may create events."),
        (status = 409, description = "The slug is taken."),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    ValidJson(body): ValidJson<CreateEventRequest>,
) -> Result<HttpResponse, AppError> {
    let spec = EventSpec::parse(EventFields {
        slug: body.slug,
        name: body.name,
        venue: body.venue,
        city: body.city,
        starts_on: body.starts_on,
        ends_on: body.ends_on,
        timezone: body.timezone,
        capacity: body.capacity,
        scholarship_budget_cents: body.scholarship_budget_cents,
        currency: body.currency,
        status: body.status.unwrap_or(EventStatus::Open),
        registration_opens_at: body.registration_opens_at,
        registration_closes_at: body.registration_closes_at,
        invitation_ttl_days: body.invitation_ttl_days.unwrap_or(30),
        nominations_per_executive: body.nominations_per_executive.unwrap_or(1),
        description: body.description.unwrap_or_default(),
        practical_info: body.practical_info.unwrap_or_default(),
        contact_email: body.contact_email,
        program: body.program,
        reminder_days_before: body.reminder_days_before.flatten(),
        retention_days: body
            .retention_days
            .unwrap_or(crate::domain::event::DEFAULT_RETENTION_DAYS),
    })
    .map_err(AppError::Validation)?;
    let created = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let created = event::create(conn, &spec)?;
            audit::record(
                conn,
                &Actor::organizer(&admin.id),
                Entry::created("event.created", &created),
            )?;
            Ok(created)
        })
    })
    .await?;
    tracing::info!(event_id = %created.id, "event created");
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/events/{}", created.slug)))
        .json(EventView::of(&created)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListFilters {
    /// Only events with this status.
    status: Option<EventStatus>,
}

impl ListFilter for ListFilters {
    type Checked = Option<EventStatus>;

    fn check(self, _: &mut FieldErrors) -> Option<EventStatus> {
        self.status
    }
}

/// List every event (organizers).
#[utoipa::path(
    get,
    path = "/api/v1/events",
    params(ListFilters),
    security(("session" = [])),
    responses((status = 200, description = "The events.", body = EventList))
)]
pub async fn list(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    query: ListQuery<ListFilters, NoParams>,
) -> Result<HttpResponse, AppError> {
    let status = query.filter;
    let events = crate::db::run(&state.pool, move |conn| event::list(conn, status)).await?;
    let items: Vec<EventView> = events.iter().map(EventView::of).collect();
    Ok(HttpResponse::Ok().json(EventList { items }))
}

/// Show an event: everything to organizers, the public part to anyone else.
///
/// A draft is not found unless an organizer asks.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}",
    params(EventPath),
    security((), ("session" = [])),
    responses(
        (status = 200, description = "The event (`EventView` for organizers).",
            body = EventAnswer),
        (status = 404, description = "No such event, or a draft and not signed in."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    MaybeOrganizer(organizer): MaybeOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let found = crate::db::run(&state.pool, move |conn| event::find_by_slug(conn, &slug)).await?;
    Ok(match organizer {
        Some(_) => HttpResponse::Ok().json(EventView::of(&found)),
        // Drafts are not public yet.
        None if found.status() == EventStatus::Draft => return Err(AppError::not_found("event")),
        None => HttpResponse::Ok().json(PublicEventView::of(&found)),
    })
}

/// Change an event (admins); the fields left out stay as they are.
///
/// A raised capacity confirms waitlisted registrations, first come first served.
#[utoipa::path(
    patch,
    path = "/api/v1/events/{slug}",
    params(EventPath),
    request_body = UpdateEventRequest,
    security(("session" = [])),
    responses(
        (status = 200, description = "The event as changed.", body = EventView),
        (status = 403, description = "Only an admin may change events."),
        (status = 404, description = "No such event."),
        (status = 409, description = "The slug is taken, or the capacity or budget is below what is already taken."),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    Admin(admin): Admin,
    slug: web::Path<String>,
    ValidJson(patch): ValidJson<UpdateEventRequest>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let base = state.settings.server.base_url.clone();
    let (updated, mailed) = crate::db::run(&state.pool, move |conn| {
        write_transaction(conn, |conn| {
            let before = event::find_by_slug(conn, &slug)?;
            let mut f = before.fields();
            let date_changed = patch.starts_on.is_some_and(|d| d != f.starts_on);
            f.slug = patch.slug.unwrap_or(f.slug);
            f.name = patch.name.unwrap_or(f.name);
            f.venue = patch.venue.unwrap_or(f.venue);
            f.city = patch.city.unwrap_or(f.city);
            f.starts_on = patch.starts_on.unwrap_or(f.starts_on);
            f.ends_on = patch.ends_on.unwrap_or(f.ends_on);
            f.timezone = patch.timezone.unwrap_or(f.timezone);
            f.capacity = patch.capacity.unwrap_or(f.capacity);
            f.scholarship_budget_cents = patch
                .scholarship_budget_cents
                .unwrap_or(f.scholarship_budget_cents);
            f.currency = patch.currency.unwrap_or(f.currency);
            f.status = patch.status.unwrap_or(f.status);
            f.invitation_ttl_days = patch.invitation_ttl_days.unwrap_or(f.invitation_ttl_days);
            f.nominations_per_executive = patch
                .nominations_per_executive
                .unwrap_or(f.nominations_per_executive);
            f.description = patch.description.unwrap_or(f.description);
            f.practical_info = patch.practical_info.unwrap_or(f.practical_info);
            if let Some(email) = patch.contact_email {
                f.contact_email = email;
            }
            if let Some(program) = patch.program {
                f.program = program;
            }
            if let Some(days) = patch.reminder_days_before {
                f.reminder_days_before = days;
            }
            f.retention_days = patch.retention_days.unwrap_or(f.retention_days);
            if let Some(opens) = patch.registration_opens_at {
                f.registration_opens_at = opens;
            }
            f.registration_closes_at = match patch.registration_closes_at {
                Some(at) => Some(at),
                // A moved start date moves the default closing time with it.
                None if date_changed => None,
                None => f.registration_closes_at,
            };
            let spec = EventSpec::parse(f).map_err(AppError::Validation)?;
            let after = event::update(conn, &before.id, &spec)?;
            // Checked after the update, which holds the event row: a registration that
            // claimed a seat meanwhile is counted (on PostgreSQL it waits for this one).
            if after.capacity < after.seats_taken {
                return Err(AppError::conflict(format!(
                    "The capacity cannot be lower than the {} confirmed registrations; cancel some first.",
                    after.seats_taken
                )));
            }
            // Likewise for the scholarship budget and a concurrent award.
            if after.scholarship_budget_cents < after.scholarship_awarded_cents {
                return Err(AppError::conflict(format!(
                    "The scholarship budget cannot be lower than the {} already awarded; awards that are declined, lapse or are released give their amount back.",
                    crate::email::templates::money(after.scholarship_awarded_cents, &after.currency)
                )));
            }
            // New dates or venue: the registrants' calendar entries follow (before any
            // promotion, whose email then carries the new entry).
            let (_, told) =
                crate::workflows::event_changed::follow_the_calendar(conn, &base, &before, &after)?;
            // More seats go to the waiting list, first come first served.
            let promoted = if after.capacity > before.capacity {
                crate::workflows::promote::promote_waitlisted(conn, &after.id, &base)?
            } else {
                0
            };
            let mailed = promoted + told;
            let after = event::find(conn, &after.id)?;
            audit::record(
                conn,
                &Actor::organizer(&admin.id),
                Entry::changed("event.updated", &before, &after),
            )?;
            Ok((after, mailed))
        })
    })
    .await?;
    if mailed > 0 {
        state.outbox.notify();
    }
    Ok(HttpResponse::Ok().json(EventView::of(&updated)))
}
