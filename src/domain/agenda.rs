//! The agenda of an event: sessions, each inside the event's days.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::event::start_of_day;
use super::text;
use crate::error::FieldErrors;

/// A session as given (a request, or a stored session with a change laid over it).
#[derive(Clone, Debug)]
pub struct SessionFields {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: Option<String>,
    pub description: Option<String>,
}

/// A session that passed every rule.
#[derive(Clone, Debug)]
pub struct SessionSpec {
    pub title: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub location: Option<String>,
    pub description: Option<String>,
}

/// The days a session must fall in: from midnight of the first day to midnight after the
/// last, in the event's time zone.
#[derive(Clone, Copy, Debug)]
pub struct EventDays {
    pub timezone: Tz,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

impl SessionSpec {
    /// Checks every field and reports all problems at once.
    pub fn parse(f: SessionFields, days: EventDays) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = text::single_line(&f.title, 200)
            .map_err(|m| errors.add("title", m))
            .ok();
        let location = match f.location.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => text::single_line(raw, 200)
                .map(Some)
                .map_err(|m| errors.add("location", m))
                .ok(),
        };
        let description = match text::multi_line(f.description.as_deref().unwrap_or(""), 5_000) {
            Ok(d) if d.is_empty() => Some(None),
            Ok(d) => Some(Some(d)),
            Err(m) => {
                errors.add("description", m);
                None
            }
        };
        if f.ends_at <= f.starts_at {
            errors.add("ends_at", "must be after starts_at");
        }
        let first = start_of_day(days.timezone, days.starts_on);
        let after_last = start_of_day(days.timezone, days.ends_on + Duration::days(1));
        if first.is_some_and(|first| f.starts_at < first) {
            errors.add("starts_at", "must be during the event's dates");
        }
        if after_last.is_some_and(|end| f.ends_at > end) {
            errors.add("ends_at", "must be during the event's dates");
        }
        match (title, location, description) {
            (Some(title), Some(location), Some(description)) if errors.is_empty() => Ok(Self {
                title,
                starts_at: f.starts_at,
                ends_at: f.ends_at,
                location,
                description,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days() -> EventDays {
        EventDays {
            timezone: "America/New_York".parse().unwrap(),
            starts_on: NaiveDate::from_ymd_opt(2027, 5, 10).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2027, 5, 11).unwrap(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn fields(starts: &str, ends: &str) -> SessionFields {
        SessionFields {
            title: "Opening".into(),
            starts_at: at(starts),
            ends_at: at(ends),
            location: Some(" ".into()),
            description: None,
        }
    }

    #[test]
    fn a_session_fits_the_event_days_in_its_time_zone() {
        // Midnight to midnight in New York: 04:00Z on the 10th to 04:00Z on the 12th.
        let ok = SessionSpec::parse(
            fields("2027-05-10T04:00:00Z", "2027-05-12T04:00:00Z"),
            days(),
        )
        .unwrap();
        assert_eq!(ok.location, None);
        let early = SessionSpec::parse(
            fields("2027-05-10T03:59:00Z", "2027-05-10T05:00:00Z"),
            days(),
        )
        .unwrap_err();
        assert_eq!(early.fields().collect::<Vec<_>>(), ["starts_at"]);
        let late = SessionSpec::parse(
            fields("2027-05-11T20:00:00Z", "2027-05-12T04:01:00Z"),
            days(),
        )
        .unwrap_err();
        assert_eq!(late.fields().collect::<Vec<_>>(), ["ends_at"]);
    }

    #[test]
    fn a_session_ends_after_it_starts() {
        let e = SessionSpec::parse(
            fields("2027-05-10T15:00:00Z", "2027-05-10T14:00:00Z"),
            days(),
        )
        .unwrap_err();
        assert!(e.contains("ends_at"));
    }
}
