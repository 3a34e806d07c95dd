//! iCalendar (RFC 5545) files for registrants: one all-day VEVENT spanning the event's
//! dates, attached as `event.ics` to the confirmation, promotion and reminder emails, to
//! the update sent when the dates or venue change (the same UID, a higher SEQUENCE), and
//! to the cancellation (METHOD:CANCEL, the same UID, a SEQUENCE higher still).

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::Attachment;

/// Longest content line in octets, excluding the CRLF (RFC 5545 §3.1).
const MAX_LINE_OCTETS: usize = 75;

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
        let date = |d: NaiveDate| d.format("%Y%m%d").to_string();
        let mut lines = vec![
            "BEGIN:VCALENDAR".to_owned(),
            "VERSION:2.0".to_owned(),
            "PRODID:-//convene//convene//EN".to_owned(),
            "CALSCALE:GREGORIAN".to_owned(),
            if self.cancelled {
                "METHOD:CANCEL".to_owned()
            } else {
                "METHOD:PUBLISH".to_owned()
            },
            "BEGIN:VEVENT".to_owned(),
            format!("UID:{}", escape_text(&self.uid)),
            format!("SEQUENCE:{}", self.sequence.max(0)),
            format!("DTSTAMP:{}", self.stamp.format("%Y%m%dT%H%M%SZ")),
            format!("DTSTART;VALUE=DATE:{}", date(self.starts_on)),
            format!(
                "DTEND;VALUE=DATE:{}",
                date(self.ends_on + Duration::days(1))
            ),
            format!("SUMMARY:{}", escape_text(&self.summary)),
            format!("LOCATION:{}", escape_text(&self.location)),
            format!("DESCRIPTION:{}", escape_text(&self.description)),
        ];
        if let Some(url) = &self.url {
            // A URI value, not TEXT: no escaping, but no line breaks either.
            lines.push(format!("URL:{}", url.replace(['\r', '\n'], "")));
        }
        lines.extend([
            if self.cancelled {
                "STATUS:CANCELLED".to_owned()
            } else {
                "STATUS:CONFIRMED".to_owned()
            },
            "TRANSP:OPAQUE".to_owned(),
            "END:VEVENT".to_owned(),
            "END:VCALENDAR".to_owned(),
        ]);
        let mut out = String::new();
        for line in lines {
            out.push_str(&fold(&line));
            out.push_str("\r\n");
        }
        out
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

/// Escapes a TEXT value: backslash, semicolon, comma and line breaks (RFC 5545 §3.3.11).
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line into lines of at most 75 octets, continuation lines starting
/// with a space, never splitting a UTF-8 character.
pub fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out
}

/// Undoes [`fold`]: what a calendar reader does first.
pub fn unfold(ics: &str) -> String {
    ics.replace("\r\n ", "").replace("\r\n\t", "")
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
            description: format!(
                "Manage your registration: https://events.example.org/manage/{}",
                "x".repeat(43)
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

    #[test]
    fn every_line_ends_in_crlf_and_fits_in_75_octets() {
        let ics = sample().to_ics();
        assert!(!ics.replace("\r\n", "").contains('\n'), "no bare LF");
        for line in ics.split("\r\n") {
            assert!(line.len() <= 75, "{line:?} is {} octets", line.len());
        }
        let unfolded = unfold(&ics);
        assert!(unfolded.contains(&format!(
            "\r\nDESCRIPTION:Manage your registration: https://events.example.org/manage/{}\r\n",
            "x".repeat(43)
        )));
        assert!(unfolded.contains("\r\nUID:0b9e6c1e-2f7a-4a4e-9d59-5c1f7f3b2a10@convene\r\n"));
    }

    #[test]
    fn folding_never_splits_a_character() {
        let line = format!("SUMMARY:{}", "é".repeat(80));
        let folded = fold(&line);
        for part in folded.split("\r\n") {
            assert!(part.len() <= 75);
        }
        assert_eq!(unfold(&folded), line);
        assert_eq!(fold("SHORT:x"), "SHORT:x");
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(
            escape_text("Hall; Room 3, Floor 2\\East\r\nLine two\nthree"),
            "Hall\\; Room 3\\, Floor 2\\\\East\\nLine two\\nthree"
        );
        let ics = sample().to_ics();
        assert!(ics.contains("LOCATION:Memorial Hall\\, Riverside Campus\\, Boston\r\n"));
    }
}
