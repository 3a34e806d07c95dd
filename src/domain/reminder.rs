//! When a confirmed registrant is reminded of the event: `reminder_days_before` days
//! before its first day begins in its time zone, and not once it has begun (a sweeper that
//! was down past that time sends nothing late).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use super::event::start_of_day;

/// The window in which the reminder is due: from `days` days before the event starts
/// until it starts. `None` when the time zone has no such day (it always has one).
pub fn reminder_window(
    tz: Tz,
    starts_on: NaiveDate,
    days: i32,
) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    let starts = start_of_day(tz, starts_on)?;
    Some((starts - Duration::days(i64::from(days)), starts))
}

/// Whether the reminder is due at `now`.
pub fn reminder_due(tz: Tz, starts_on: NaiveDate, days: i32, now: DateTime<Utc>) -> bool {
    reminder_window(tz, starts_on, days).is_some_and(|(from, until)| from <= now && now < until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_from_the_days_before_until_the_event_begins_in_its_time_zone() {
        let tz: Tz = "America/New_York".parse().unwrap();
        let day = NaiveDate::from_ymd_opt(2027, 5, 10).unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        // Midnight in New York on 10 May is 04:00 UTC; three days before is 7 May.
        assert!(!reminder_due(tz, day, 3, at("2027-05-07T03:59:59Z")));
        assert!(reminder_due(tz, day, 3, at("2027-05-07T04:00:00Z")));
        assert!(reminder_due(tz, day, 3, at("2027-05-10T03:59:59Z")));
        assert!(!reminder_due(tz, day, 3, at("2027-05-10T04:00:00Z")));
    }
}
