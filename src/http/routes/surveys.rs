//! The survey after an event: its settings and sending a wave by hand (organizers), and
//! the attendee's survey behind their personal link.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::db::models::audit::Actor;
use crate::db::models::event;
use crate::db::{self};
use crate::domain::survey::{Question, SurveySettings, Wave};
use crate::domain::Choice;
use crate::error::AppError;
use crate::http::extract::{CurrentOrganizer, ValidJson};
use crate::http::openapi::{EventPath, TokenPath};
use crate::http::AppState;
use crate::workflows::answer_survey::{self, OpenSurvey};
use crate::workflows::survey_settings::{self, SettingsChange};
use crate::workflows::survey_waves::{self, SendRefused};

/// An event's survey settings.
#[derive(Serialize, ToSchema)]
pub struct SurveySettingsView {
    /// Hours after the event ends that the post-event survey goes out (0-720).
    #[schema(example = 24)]
    send_after_hours: i32,
    /// Days after the event ends that the follow-up goes out (1-730).
    #[schema(example = 90)]
    follow_up_after_days: i32,
    /// Waves and reminders go out, and answers are taken, only while open.
    #[schema(example = true)]
    open: bool,
}

impl SurveySettingsView {
    fn of(s: SurveySettings) -> Self {
        Self {
            send_after_hours: s.send_after_hours,
            follow_up_after_days: s.follow_up_after_days,
            open: s.open,
        }
    }
}

/// A change to the survey settings; what is left out stays.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct SurveySettingsRequest {
    #[schema(example = 24, minimum = 0, maximum = 720)]
    send_after_hours: Option<i64>,
    #[schema(example = 90, minimum = 1, maximum = 730)]
    follow_up_after_days: Option<i64>,
    #[schema(example = true)]
    open: Option<bool>,
}

/// The survey settings of an event.
#[utoipa::path(
    get,
    path = "/api/v1/events/{slug}/survey",
    params(EventPath),
    security(("session" = [])),
    responses(
        (status = 200, description = "The settings (the defaults if never changed).", body = SurveySettingsView),
        (status = 404, description = "No such event."),
    )
)]
pub async fn settings(
    state: web::Data<AppState>,
    _: CurrentOrganizer,
    slug: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let s = db::run(&state.pool, move |conn| {
        let e = event::find_by_slug(conn, &slug)?;
        survey_settings::show(conn, &e)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SurveySettingsView::of(s)))
}

/// Change the survey settings of an event.
#[utoipa::path(
    put,
    path = "/api/v1/events/{slug}/survey",
    params(EventPath),
    request_body = SurveySettingsRequest,
    security(("session" = [])),
    responses(
        (status = 200, description = "The settings as changed.", body = SurveySettingsView),
        (status = 404, description = "No such event."),
        (status = 422, description = "A field out of range: `errors` names it."),
    )
)]
pub async fn update_settings(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    ValidJson(body): ValidJson<SurveySettingsRequest>,
) -> Result<HttpResponse, AppError> {
    let slug = slug.into_inner();
    let change = SettingsChange {
        send_after_hours: body.send_after_hours,
        follow_up_after_days: body.follow_up_after_days,
        open: body.open,
    };
    let s = db::run(&state.pool, move |conn| {
        let e = event::find_by_slug(conn, &slug)?;
        survey_settings::update(conn, &e, change, &organizer.id)
    })
    .await?;
    Ok(HttpResponse::Ok().json(SurveySettingsView::of(s)))
}

/// Which wave to send.
#[derive(Deserialize, ToSchema)]
pub struct SendWaveRequest {
    /// `post_event` or `follow_up`.
    #[schema(
        example = "post_event",
        pattern = r"^[\t\n\x0b\x0c\r ]*(?:post_event|follow_up)[\t\n\x0b\x0c\r ]*$"
    )]
    wave: String,
}

/// How many attendees were sent the wave now.
#[derive(Serialize, ToSchema)]
pub struct SendWaveView {
    /// Those who had not had it yet (each attendee gets each wave once).
    #[schema(example = 38)]
    recipients: usize,
}

/// Send a wave of the survey now, to every attendee who has not had it.
#[utoipa::path(
    post,
    path = "/api/v1/events/{slug}/survey/send",
    params(EventPath),
    request_body = SendWaveRequest,
    security(("session" = [])),
    responses(
        (status = 202, description = "Queued: the emails go out shortly.", body = SendWaveView),
        (status = 404, description = "No such event."),
        (status = 409, description = "The event has not ended yet, is a draft, or its survey is closed."),
        (status = 422, description = "`wave` is not `post_event` or `follow_up`."),
    )
)]
pub async fn send(
    state: web::Data<AppState>,
    CurrentOrganizer(organizer): CurrentOrganizer,
    slug: web::Path<String>,
    ValidJson(body): ValidJson<SendWaveRequest>,
) -> Result<HttpResponse, AppError> {
    let wave = <Wave as Choice>::parse(body.wave.trim())
        .ok_or_else(|| AppError::invalid("wave", Wave::expected()))?;
    let slug = slug.into_inner();
    let base = state.settings.server.base_url.clone();
    let sent = db::run(&state.pool, move |conn| {
        let e = event::find_by_slug(conn, &slug)?;
        let actor = Actor::organizer(&organizer.id);
        let now = chrono::Utc::now();
        match survey_waves::send_wave(conn, &base, &e, wave, now, &actor)? {
            Ok(n) => Ok(n),
            Err(SendRefused::NotEnded) => Err(AppError::conflict(
                "The event has not ended yet: its survey can be sent once it is over.",
            )),
            Err(SendRefused::Closed) => Err(AppError::conflict(
                "The survey of this event is closed; open it first.",
            )),
            Err(SendRefused::Draft) => Err(AppError::conflict(
                "The event is a draft: it did not take place, so it has nobody to survey.",
            )),
        }
    })
    .await?;
    if sent > 0 {
        state.outbox.notify();
    }
    Ok(HttpResponse::Accepted().json(SendWaveView { recipients: sent }))
}

/// The event a survey is about.
#[derive(Serialize, ToSchema)]
pub struct SurveyEventView {
    #[schema(example = "summit-2027")]
    slug: String,
    #[schema(example = "The Future City")]
    name: String,
    #[schema(example = "2027-05-10")]
    starts_on: String,
    #[schema(example = "2027-05-12")]
    ends_on: String,
}

/// An attendee's survey: its questions and their answers so far.
#[derive(Serialize, ToSchema)]
pub struct SurveyView {
    event: SurveyEventView,
    /// `post_event` or `follow_up`.
    #[schema(example = "post_event")]
    wave: String,
    /// The questions of this wave, in order: `id` (the key of its answer), `kind`
    /// (`yes_no`, `text`, `consent` or `count`), `text` and `hint`.
    #[schema(value_type = Vec<Object>)]
    questions: &'static [Question],
    /// Every question's answer (`null`: not answered).
    #[schema(value_type = Object)]
    answers: Value,
    /// When the answers were last given; `null` before.
    #[schema(format = DateTime)]
    answered_at: Option<String>,
}

impl SurveyView {
    fn of(s: &OpenSurvey) -> Self {
        let wave = s.response.wave();
        Self {
            event: SurveyEventView {
                slug: s.event.slug.clone(),
                name: s.event.name.clone(),
                starts_on: s.event.starts_on.to_string(),
                ends_on: s.event.ends_on.to_string(),
            },
            wave: wave.as_str().to_owned(),
            questions: wave.questions(),
            answers: s.response.answers().to_json(wave),
            answered_at: s.response.answered_at.map(crate::http::views::rfc3339),
        }
    }
}

/// The answers to give, keyed by question id.
#[derive(Deserialize, ToSchema)]
pub struct AnswersRequest {
    /// For the post-event survey `would_recommend`, `learned_and_met_objectives` (true or
    /// false), `highlight`, `testimonial` (text) and `may_quote` (true or false); for the
    /// follow-up `still_applying` (true or false) and `residents_engaged` (a whole number,
    /// 0 or more). Left out or `null`: not answered. Replaces earlier answers.
    #[schema(value_type = Object, example = json!({"would_recommend": true, "learned_and_met_objectives": true, "testimonial": "Three days that changed how we work.", "may_quote": true}))]
    answers: Map<String, Value>,
}

/// An attendee's survey, by the token of its personal link.
#[utoipa::path(
    get,
    path = "/api/v1/surveys/{token}",
    params(TokenPath),
    responses(
        (status = 200, description = "The survey.", body = SurveyView),
        (status = 404, description = "No survey has this token (too many such answers from one address are 429)."),
        (status = 410, description = "The survey is closed."),
    )
)]
pub async fn show(
    state: web::Data<AppState>,
    token: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let found = db::run(&state.pool, move |conn| answer_survey::open(conn, &token)).await?;
    Ok(private(HttpResponse::Ok()).json(SurveyView::of(&found)))
}

/// Answer the survey (again: the answers replace the earlier ones) while it is open.
#[utoipa::path(
    put,
    path = "/api/v1/surveys/{token}",
    params(TokenPath),
    request_body = AnswersRequest,
    responses(
        (status = 200, description = "Saved: the survey with its answers.", body = SurveyView),
        (status = 404, description = "No survey has this token (too many such answers from one address are 429)."),
        (status = 410, description = "The survey is closed."),
        (status = 422, description = "An answer that is not one of the wave's questions, or not of its kind, or a `residents_engaged` below 0 or absurdly high: `errors` names it (`answers.residents_engaged`)."),
    )
)]
pub async fn answer(
    state: web::Data<AppState>,
    token: web::Path<String>,
    ValidJson(body): ValidJson<AnswersRequest>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let saved = db::run(&state.pool, move |conn| {
        answer_survey::answer(conn, &token, &body.answers)
    })
    .await?;
    Ok(private(HttpResponse::Ok()).json(SurveyView::of(&saved)))
}

/// The answer is about one person: no cache keeps it.
fn private(mut res: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    res.insert_header((actix_web::http::header::CACHE_CONTROL, "private, no-store"));
    res
}
