//! The impact report as the API, the dashboard page, the public page and the CSV show it.

use serde::Serialize;
use utoipa::ToSchema;

use super::CommunityView;
use crate::db::models::event::Event;
use crate::domain::survey::Rate;
use crate::workflows::impact::{Figures, Report, Testimonial};

/// A quote its author allowed, with who said it.
#[derive(Serialize, ToSchema)]
pub struct TestimonialView {
    #[schema(example = "Three days that changed how our team works with residents.")]
    pub quote: String,
    #[schema(example = "Dana Whitfield")]
    pub name: String,
    #[schema(example = "City Manager")]
    pub title: String,
    pub community: CommunityView,
    /// The slug of the event it was said about.
    #[schema(example = "summit-2027")]
    pub event: String,
}

/// The figures of one event.
#[derive(Serialize, ToSchema)]
pub struct EventFiguresView {
    #[schema(example = "summit-2027")]
    pub slug: String,
    #[schema(example = "The Future City")]
    pub name: String,
    #[schema(example = "2027-05-10")]
    pub starts_on: String,
    #[schema(example = "2027-05-12")]
    pub ends_on: String,
    pub participants: i64,
    pub communities: i64,
    pub residents_engaged: i64,
    pub would_recommend: Rate,
    pub learned: Rate,
    pub still_applying: Rate,
}

/// The impact report of a programme (or of every event): only events that have ended.
#[derive(Serialize, ToSchema)]
pub struct ImpactView {
    /// The programme, or `null` for every event.
    #[schema(example = "future-city")]
    pub program: Option<String>,
    /// How many events have ended and are counted.
    #[schema(example = 3)]
    pub events: i64,
    /// Distinct communities the participants came from.
    #[schema(example = 57)]
    pub communities: i64,
    /// Distinct people (by email) who attended.
    #[schema(example = 604)]
    pub participants: i64,
    /// The sum of the follow-up answers.
    #[schema(example = 4771)]
    pub residents_engaged: i64,
    /// Would recommend the programme to their peers.
    pub would_recommend: Rate,
    /// Learned new skills and met their learning objectives.
    pub learned: Rate,
    /// Still apply what they learned (follow-up).
    pub still_applying: Rate,
    /// Only those whose authors allowed quoting.
    pub testimonials: Vec<TestimonialView>,
    /// The figures of each event, earliest first.
    pub by_event: Vec<EventFiguresView>,
}

impl ImpactView {
    pub fn of(r: &Report) -> Self {
        let t = &r.total;
        Self {
            program: r.program.clone(),
            events: r.events.len() as i64,
            communities: t.communities,
            participants: t.participants,
            residents_engaged: t.residents_engaged,
            would_recommend: t.would_recommend,
            learned: t.learned,
            still_applying: t.still_applying,
            testimonials: r.testimonials.iter().map(testimonial).collect(),
            by_event: r.events.iter().map(|(e, f)| event_figures(e, f)).collect(),
        }
    }
}

fn testimonial(t: &Testimonial) -> TestimonialView {
    TestimonialView {
        quote: t.quote.clone(),
        name: t.name.clone(),
        title: t.title.clone(),
        community: CommunityView::of(&t.community),
        event: t.event_slug.clone(),
    }
}

fn event_figures(e: &Event, f: &Figures) -> EventFiguresView {
    EventFiguresView {
        slug: e.slug.clone(),
        name: e.name.clone(),
        starts_on: e.starts_on.to_string(),
        ends_on: e.ends_on.to_string(),
        participants: f.participants,
        communities: f.communities,
        residents_engaged: f.residents_engaged,
        would_recommend: f.would_recommend,
        learned: f.learned,
        still_applying: f.still_applying,
    }
}

/// The CSV export's columns: one row per event, then the total.
pub const IMPACT_CSV_HEADER: [&str; 16] = [
    "event",
    "name",
    "starts_on",
    "ends_on",
    "participants",
    "communities",
    "residents_engaged",
    "would_recommend_yes",
    "would_recommend_answered",
    "would_recommend_percent",
    "learned_yes",
    "learned_answered",
    "learned_percent",
    "still_applying_yes",
    "still_applying_answered",
    "still_applying_percent",
];

fn rate_cells(r: &Rate) -> [String; 3] {
    [
        r.yes.to_string(),
        r.answered.to_string(),
        r.percent.map(|p| p.to_string()).unwrap_or_default(),
    ]
}

/// The rows of the CSV export.
pub fn impact_csv_rows(v: &ImpactView) -> Vec<Vec<String>> {
    let row =
        |slug: &str, name: &str, starts: &str, ends: &str, f: [&i64; 3], rates: [&Rate; 3]| {
            let mut cells = vec![
                slug.to_owned(),
                name.to_owned(),
                starts.to_owned(),
                ends.to_owned(),
                f[0].to_string(),
                f[1].to_string(),
                f[2].to_string(),
            ];
            for r in rates {
                cells.extend(rate_cells(r));
            }
            cells
        };
    let mut rows: Vec<Vec<String>> = v
        .by_event
        .iter()
        .map(|e| {
            row(
                &e.slug,
                &e.name,
                &e.starts_on,
                &e.ends_on,
                [&e.participants, &e.communities, &e.residents_engaged],
                [&e.would_recommend, &e.learned, &e.still_applying],
            )
        })
        .collect();
    rows.push(row(
        "total",
        v.program.as_deref().unwrap_or("all events"),
        "",
        "",
        [&v.participants, &v.communities, &v.residents_engaged],
        [&v.would_recommend, &v.learned, &v.still_applying],
    ));
    rows
}
