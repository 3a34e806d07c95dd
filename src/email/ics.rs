//! iCalendar (RFC 5545) files for registrants: one all-day VEVENT spanning the event's
//! dates, attached as `event.ics` to the confirmation, promotion and reminder emails, to
//! the update sent when the dates or venue change (the same UID, a higher SEQUENCE), and
//! to the cancellation (METHOD:CANCEL, the same UID, a SEQUENCE higher still).
//!
//! Written with the `icalendar` crate, which escapes TEXT values, folds lines at 75
//! octets and ends them in CRLF; what it leaves to its callers (a CR in a value, other
//! control characters) is taken out here.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use icalendar::{Calendar, Component, EventLike, EventStatus, Property};

use super::Attachment;

/// One calendar entry. `ends_on` is the last day of the event (inclusive); the file
/// carries the exclusive end that all-day events use.
#[derive(Clone, Debug)]
pub struct CalendarEvent {
    /// Stable per registration, so that a calendar updates the entry it already has.
    pub uid: String,
    pub stamp: DateTime<Utc>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub url: Option<String>,
    /// Raised with each change, so that a calendar replaces the entry it has.
    pub sequence: i32,
    /// A cancellation of the entry (METHOD:CANCEL, STATUS:CANCELLED).
    pub cancelled: bool,
}

impl CalendarEvent {
    /// The whole `VCALENDAR`, CRLF line endings, lines folded at 75 octets.
    pub fn to_ics(&self) -> String {
        let mut entry = icalendar::Event::new();
        entry
            .uid(&text(&self.uid))
            .sequence(u32::try_from(self.sequence).unwrap_or(0))
            .timestamp(self.stamp)
            .starts(self.starts_on)
            .ends(self.ends_on + Duration::days(1))
            .summary(&text(&self.summary))
            .location(&text(&self.location))
            .description(&text(&self.description))
            .status(if self.cancelled {
                EventStatus::Cancelled
            } else {
                EventStatus::Confirmed
            })
            .append_property(Property::new("TRANSP", "OPAQUE"));
        if let Some(url) = &self.url {
            // A URI value, not TEXT: not escaped, so no control character may pass.
            entry.url(&url.replace(|c: char| c.is_control(), ""));
        }
        // Calendar::new() would name the crate as the producer; these are ours.
        let mut calendar = Calendar::empty();
        calendar
            .append_property(Property::new("VERSION", "2.0"))
            .append_property(Property::new("PRODID", "-//convene//convene//EN"))
            .append_property(Property::new("CALSCALE", "GREGORIAN"))
            .append_property(Property::new(
                "METHOD",
                if self.cancelled { "CANCEL" } else { "PUBLISH" },
            ))
            .push(entry.done());
        calendar.done().to_string()
    }

    /// The file as an email attachment.
    pub fn attachment(&self) -> Attachment {
        Attachment {
            filename: "event.ics".into(),
            content_type: "text/calendar".into(),
            content: self.to_ics(),
            ..Default::default()
        }
    }
}

/// A TEXT value as the crate expects it: line breaks as `\n` only (it escapes those, and
/// backslashes, commas and semicolons), and no other control character.
fn text(s: &str) -> String {
    s.replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CalendarEvent {
        CalendarEvent {
            uid: "0b9e6c1e-2f7a-4a4e-9d59-5c1f7f3b2a10@convene".into(),
            stamp: DateTime::parse_from_rfc3339("2026-11-23T09:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
            starts_on: NaiveDate::from_ymd_opt(2027, 5, 10).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2027, 5, 12).unwrap(),
            summary: "The Future City".into(),
            location: "Memorial Hall, Riverside Campus, Boston".into(),
            // Long enough to be folded; the public page only, never a private link.
            description: format!(
                "The event: https://events.example.org/events/{}",
                "x".repeat(60)
            ),
            url: Some("https://events.example.org/events/future-city-2027".into()),
            sequence: 2,
            cancelled: false,
        }
    }

    #[test]
    fn all_day_dates_end_the_day_after_the_last_day() {
        let ics = sample().to_ics();
        assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20270510\r\n"));
        assert!(ics.contains("\r\nDTEND;VALUE=DATE:20270513\r\n"));
        assert!(ics.contains("\r\nDTSTAMP:20261123T093000Z\r\n"));
        assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
        assert!(ics.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
        assert!(ics.contains("\r\nMETHOD:PUBLISH\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:2\r\n"));
        assert!(ics.contains("\r\nSTATUS:CONFIRMED\r\n"));
    }

    #[test]
    fn a_cancellation_cancels_the_same_entry() {
        let ics = CalendarEvent {
            sequence: 3,
            cancelled: true,
            ..sample()
        }
        .to_ics();
        assert!(ics.contains("\r\nMETHOD:CANCEL\r\n"));
        assert!(ics.contains("\r\nSTATUS:CANCELLED\r\n"));
        assert!(ics.contains("\r\nSEQUENCE:3\r\n"));
        assert!(!ics.contains("PUBLISH"));
    }

    /// What a calendar reader does first (RFC 5545 §3.1).
    fn unfold(ics: &str) -> String {
        ics.replace("\r\n ", "").replace("\r\n\t", "")
    }

    #[test]
    fn every_line_ends_in_crlf_and_fits_in_75_octets() {
        let ics = sample().to_ics();
        assert!(!ics.replace("\r\n", "").contains('\n'), "no bare LF");
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded = unfold(&ics);
        assert!(unfolded.contains(&format!(
            "\r\nDESCRIPTION:The event: https://events.example.org/events/{}\r\n",
            "x".repeat(60)
        )));
        assert!(unfolded.contains("\r\nUID:0b9e6c1e-2f7a-4a4e-9d59-5c1f7f3b2a10@convene\r\n"));
        assert!(unfolded.contains("\r\nURL:https://events.example.org/events/future-city-2027\r\n"));
    }

    #[test]
    fn folding_never_splits_a_character() {
        let ics = CalendarEvent {
            summary: "é".repeat(80),
            ..sample()
        }
        .to_ics();
        // Splitting a character would have made the String invalid; the lengths are octets.
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        assert!(unfold(&ics).contains(&format!("\r\nSUMMARY:{}\r\n", "é".repeat(80))));
    }

    #[test]
    fn text_values_are_escaped_and_control_characters_dropped() {
        let ics = CalendarEvent {
            location: "Hall; Room 3, Floor 2\\East\r\nLine two\rthree\nfour\u{7}".into(),
            url: Some("https://events.example.org/events/x\r\nX-INJECTED:1".into()),
            ..sample()
        }
        .to_ics();
        let unfolded = unfold(&ics);
        assert!(
            unfolded.contains(
                "\r\nLOCATION:Hall\\; Room 3\\, Floor 2\\\\East\\nLine two\\nthree\\nfour\r\n"
            ),
            "{unfolded}"
        );
        assert!(!unfolded.contains("\r\nX-INJECTED"), "{unfolded}");
        let ics = sample().to_ics();
        assert!(ics.contains("LOCATION:Memorial Hall\\, Riverside Campus\\, Boston\r\n"));
    }

    #[test]
    fn a_calendar_library_reads_the_file_back() {
        let ics = CalendarEvent {
            cancelled: true,
            ..sample()
        }
        .to_ics();
        let calendar: Calendar = ics.parse().expect("a calendar file");
        assert_eq!(calendar.property_value("METHOD"), Some("CANCEL"));
        let event = calendar
            .components
            .iter()
            .find_map(|c| c.as_event())
            .expect("one VEVENT");
        assert_eq!(
            event.get_uid(),
            Some("0b9e6c1e-2f7a-4a4e-9d59-5c1f7f3b2a10@convene")
        );
        assert_eq!(event.get_sequence(), Some(2));
        assert_eq!(
            event.get_location(),
            Some("Memorial Hall, Riverside Campus, Boston")
        );
    }
}
