//! The survey after an event: its two waves, its fixed questions (fixed so that the
//! figures add up across the events of a programme), its settings, and the rates of the
//! impact report.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::Choice;
use crate::error::FieldErrors;

/// Days after a wave was sent that those who have not answered are reminded, once.
pub const REMINDER_AFTER_DAYS: i64 = 7;
/// A wave is sent by the sweeper only this many days past its time: an event that ended
/// long before the survey existed (or before a deployment) is not surveyed out of the blue.
pub const WAVE_WINDOW_DAYS: i64 = 60;
/// More residents than this for one person's team is a typing error, not a figure.
pub const MAX_RESIDENTS_ENGAGED: i64 = 1_000_000;
/// The free-text answers, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// The two waves of the survey.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Wave {
    /// Soon after the event (`send_after_hours` after it ends).
    PostEvent,
    /// Months later (`follow_up_after_days` after it ends).
    FollowUp,
}

impl Wave {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PostEvent => "post_event",
            Self::FollowUp => "follow_up",
        }
    }

    /// The questions of this wave, in the order they are asked.
    pub fn questions(self) -> &'static [Question] {
        match self {
            Self::PostEvent => POST_EVENT,
            Self::FollowUp => FOLLOW_UP,
        }
    }
}

impl std::fmt::Display for Wave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Choice for Wave {
    const ALL: &'static [Self] = &[Self::PostEvent, Self::FollowUp];

    fn as_str(self) -> &'static str {
        Wave::as_str(self)
    }
}

/// How a question is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerKind {
    /// `true` (yes) or `false` (no).
    YesNo,
    /// Free text.
    Text,
    /// A consent box: `true` or `false`.
    Consent,
    /// A whole number from 0.
    Count,
}

/// One fixed question.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Question {
    /// The key of its answer.
    pub id: &'static str,
    pub kind: AnswerKind,
    pub text: &'static str,
    /// A hint shown under the question.
    pub hint: &'static str,
}

const POST_EVENT: &[Question] = &[
    Question {
        id: "would_recommend",
        kind: AnswerKind::YesNo,
        text: "Would you recommend this programme to your peers?",
        hint: "",
    },
    Question {
        id: "learned_and_met_objectives",
        kind: AnswerKind::YesNo,
        text: "Did you learn new skills and meet your learning objectives?",
        hint: "",
    },
    Question {
        id: "highlight",
        kind: AnswerKind::Text,
        text: "What was the most useful part of the programme for you?",
        hint: "Optional.",
    },
    Question {
        id: "testimonial",
        kind: AnswerKind::Text,
        text: "In a sentence or two, what would you tell a colleague about the programme?",
        hint: "Optional. We quote it only if you allow us below.",
    },
    Question {
        id: "may_quote",
        kind: AnswerKind::Consent,
        text: "You may quote what I wrote, with my name, title and community",
        hint: "",
    },
];

const FOLLOW_UP: &[Question] = &[
    Question {
        id: "still_applying",
        kind: AnswerKind::YesNo,
        text: "Do you still apply what you learned in the programme?",
        hint: "",
    },
    Question {
        id: "residents_engaged",
        kind: AnswerKind::Count,
        text: "How many residents has your team contacted or engaged since the programme?",
        hint: "A whole number, 0 or more. An estimate is fine.",
    },
];

/// The answers of one survey: every question optional (a rate counts those who answered it).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Answers {
    pub would_recommend: Option<bool>,
    pub learned_and_met_objectives: Option<bool>,
    pub highlight: Option<String>,
    pub testimonial: Option<String>,
    pub may_quote: bool,
    pub still_applying: Option<bool>,
    pub residents_engaged: Option<i64>,
}

impl Answers {
    /// Parses the `answers` object of a wave: every key must be a question of that wave,
    /// each of its kind; `null` or absent leaves a question unanswered. Errors are keyed
    /// `answers.<question>`.
    pub fn parse(wave: Wave, raw: &Map<String, Value>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut out = Self::default();
        for (key, value) in raw {
            let field = format!("answers.{key}");
            let Some(q) = wave.questions().iter().find(|q| q.id == key) else {
                errors.add(field, format!("is not a question of the {wave} survey"));
                continue;
            };
            if value.is_null() {
                continue;
            }
            match q.kind {
                AnswerKind::YesNo | AnswerKind::Consent => match value.as_bool() {
                    Some(b) => out.set_bool(q.id, b),
                    None => errors.add(field, "must be true or false"),
                },
                AnswerKind::Text => match value.as_str().map(str::trim) {
                    Some("") => {}
                    Some(t) if t.chars().count() > MAX_TEXT_CHARS => errors.add(
                        field,
                        format!("must be at most {MAX_TEXT_CHARS} characters"),
                    ),
                    Some(t) if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r') => {
                        errors.add(field, "must not contain control characters")
                    }
                    Some(t) => out.set_text(q.id, t.to_owned()),
                    None => errors.add(field, "must be text"),
                },
                AnswerKind::Count => match value.as_i64() {
                    Some(n) if n < 0 => errors.add(field, "must be 0 or more"),
                    Some(n) if n > MAX_RESIDENTS_ENGAGED => errors.add(
                        field,
                        format!("must be at most {MAX_RESIDENTS_ENGAGED}; please check the number"),
                    ),
                    Some(n) => out.residents_engaged = Some(n),
                    None => errors.add(field, "must be a whole number, 0 or more"),
                },
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }

    fn set_bool(&mut self, id: &str, b: bool) {
        match id {
            "would_recommend" => self.would_recommend = Some(b),
            "learned_and_met_objectives" => self.learned_and_met_objectives = Some(b),
            "still_applying" => self.still_applying = Some(b),
            _ => self.may_quote = b,
        }
    }

    fn set_text(&mut self, id: &str, t: String) {
        match id {
            "highlight" => self.highlight = Some(t),
            _ => self.testimonial = Some(t),
        }
    }

    /// The answers of `wave` as the API shows them: every question's key.
    pub fn to_json(&self, wave: Wave) -> Value {
        match wave {
            Wave::PostEvent => serde_json::json!({
                "would_recommend": self.would_recommend,
                "learned_and_met_objectives": self.learned_and_met_objectives,
                "highlight": self.highlight,
                "testimonial": self.testimonial,
                "may_quote": self.may_quote,
            }),
            Wave::FollowUp => serde_json::json!({
                "still_applying": self.still_applying,
                "residents_engaged": self.residents_engaged,
            }),
        }
    }
}

/// An event's survey settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SurveySettings {
    /// Hours after the event ends that the post-event wave goes out (0-720).
    pub send_after_hours: i32,
    /// Days after the event ends that the follow-up goes out (1-730).
    pub follow_up_after_days: i32,
    /// Waves go out and answers are taken only while open.
    pub open: bool,
}

impl Default for SurveySettings {
    fn default() -> Self {
        Self {
            send_after_hours: 24,
            follow_up_after_days: 90,
            open: true,
        }
    }
}

impl SurveySettings {
    /// These settings with a change laid over them, checked.
    pub fn with(
        self,
        send_after_hours: Option<i64>,
        follow_up_after_days: Option<i64>,
        open: Option<bool>,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let hours = send_after_hours.unwrap_or(i64::from(self.send_after_hours));
        if !(0..=720).contains(&hours) {
            errors.add("send_after_hours", "must be from 0 to 720");
        }
        let days = follow_up_after_days.unwrap_or(i64::from(self.follow_up_after_days));
        if !(1..=730).contains(&days) {
            errors.add("follow_up_after_days", "must be from 1 to 730");
        }
        if errors.is_empty() {
            Ok(Self {
                send_after_hours: hours as i32,
                follow_up_after_days: days as i32,
                open: open.unwrap_or(self.open),
            })
        } else {
            Err(errors)
        }
    }

    /// When `wave` is due for an event that ends at `ended`.
    pub fn due_at(&self, wave: Wave, ended: DateTime<Utc>) -> DateTime<Utc> {
        match wave {
            Wave::PostEvent => ended + Duration::hours(i64::from(self.send_after_hours)),
            Wave::FollowUp => ended + Duration::days(i64::from(self.follow_up_after_days)),
        }
    }
}

/// When an event that ends on `ends_on` is over: midnight after its last day, in its zone.
pub fn ended_at(timezone: &str, ends_on: NaiveDate) -> DateTime<Utc> {
    let next = ends_on.succ_opt().unwrap_or(ends_on);
    timezone
        .parse::<chrono_tz::Tz>()
        .ok()
        .and_then(|tz| super::event::start_of_day(tz, next))
        .unwrap_or_else(|| next.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// A rate of the report: of those who answered, how many said yes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Rate {
    pub yes: i64,
    pub answered: i64,
    /// `yes / answered` in percent, rounded half up to a whole number; `null` when
    /// nobody answered.
    pub percent: Option<i64>,
}

impl Rate {
    pub fn of(yes: i64, answered: i64) -> Self {
        let percent = (answered > 0).then(|| (yes * 200 + answered) / (answered * 2));
        Self {
            yes,
            answered,
            percent,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(wave: Wave, v: Value) -> Result<Answers, FieldErrors> {
        Answers::parse(wave, v.as_object().expect("an object"))
    }

    #[test]
    fn rates_round_half_up_and_have_no_percent_when_nobody_answered() {
        assert_eq!(Rate::of(0, 0).percent, None);
        assert_eq!(Rate::of(2, 3).percent, Some(67));
        assert_eq!(Rate::of(1, 8).percent, Some(13)); // 12.5
        assert_eq!(Rate::of(5, 5).percent, Some(100));
    }

    #[test]
    fn answers_are_checked_against_the_questions_of_their_wave() {
        let ok = parse(
            Wave::FollowUp,
            json!({"still_applying": true, "residents_engaged": 120}),
        )
        .expect("valid");
        assert_eq!(ok.residents_engaged, Some(120));
        for bad in [
            json!(-1),
            json!(MAX_RESIDENTS_ENGAGED + 1),
            json!(1.5),
            json!("12"),
        ] {
            let e = parse(Wave::FollowUp, json!({ "residents_engaged": bad })).unwrap_err();
            assert!(e.contains("answers.residents_engaged"), "{e:?}");
        }
        let e = parse(Wave::PostEvent, json!({"residents_engaged": 3})).unwrap_err();
        assert!(e.contains("answers.residents_engaged"));
        let e = parse(Wave::PostEvent, json!({"would_recommend": "yes"})).unwrap_err();
        assert!(e.contains("answers.would_recommend"));
    }

    #[test]
    fn an_event_is_over_at_midnight_after_its_last_day_in_its_zone() {
        let d = NaiveDate::from_ymd_opt(2027, 5, 12).expect("date");
        assert_eq!(
            ended_at("America/New_York", d).to_rfc3339(),
            "2027-05-13T04:00:00+00:00"
        );
    }
}
