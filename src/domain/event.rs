//! Events: what an organizer may set, and when registration is open.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::{text, Cents, Currency, EmailAddress, Slug};
use crate::error::FieldErrors;

#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
// Stored as text; its ToSql and FromSql are in `db::enums`.
#[diesel(sql_type = diesel::sql_types::Text)]
#[serde(rename_all = "lowercase")]
pub enum EventStatus {
    Draft,
    Open,
    Closed,
    Archived,
}

impl EventStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Archived => "archived",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "draft" => Some(Self::Draft),
            "open" => Some(Self::Open),
            "closed" => Some(Self::Closed),
            "archived" => Some(Self::Archived),
            _ => None,
        }
    }
}

/// The most seats one event may have; well beyond a summit, bounded to keep numbers sane.
pub const MAX_CAPACITY: i64 = 100_000;

/// The longest `description` or `practical_info` (Markdown), in characters.
pub const MAX_CONTENT_CHARS: usize = 20_000;
/// `reminder_days_before` of a new event that does not set it.
pub const DEFAULT_REMINDER_DAYS: i64 = 3;
/// `retention_days` of a new event that does not set it: a year after it ends.
pub const DEFAULT_RETENTION_DAYS: i64 = 365;

/// An event's settings as given (by a request, or an existing event with a patch laid over it).
#[derive(Clone, Debug)]
pub struct EventFields {
    pub slug: String,
    pub name: String,
    pub venue: String,
    pub city: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub timezone: String,
    pub capacity: i64,
    pub scholarship_budget_cents: i64,
    pub currency: String,
    pub status: EventStatus,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: Option<DateTime<Utc>>,
    pub invitation_ttl_days: i64,
    pub nominations_per_executive: i64,
    pub description: String,
    pub practical_info: String,
    pub contact_email: Option<String>,
    pub program: Option<String>,
    pub reminder_days_before: Option<i64>,
    pub retention_days: i64,
}

/// Event settings that passed every rule.
#[derive(Clone, Debug)]
pub struct EventSpec {
    pub slug: Slug,
    pub name: String,
    pub venue: String,
    pub city: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub timezone: Tz,
    pub capacity: i32,
    pub scholarship_budget: Cents,
    pub currency: Currency,
    pub status: EventStatus,
    pub registration_opens_at: Option<DateTime<Utc>>,
    pub registration_closes_at: DateTime<Utc>,
    /// Days an invitation stays valid unless the organizer sets its expiry (1-365).
    pub invitation_ttl_days: i32,
    /// Young leaders each executive may nominate (0-10; 0 turns nominations off).
    pub nominations_per_executive: i32,
    /// Markdown: what the convening is (rendered to safe HTML where shown).
    pub description: String,
    /// Markdown: travel, accommodation, meals.
    pub practical_info: String,
    /// The organizing team's address: the `Reply-To` of the event's emails.
    pub contact_email: Option<EmailAddress>,
    /// The programme the event belongs to.
    pub program: Option<Slug>,
    /// Days before the event that registrants are reminded (1-30); none: no reminder.
    pub reminder_days_before: Option<i32>,
    /// Days after the event ends that its people's personal data is kept (30-3650); then
    /// the retention sweep anonymizes it (`workflows::retention`).
    pub retention_days: i32,
}

impl EventSpec {
    /// Checks every field and reports all problems at once, keyed by field name.
    pub fn parse(f: EventFields) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut check = |field: &str, r: Result<String, String>| match r {
            Ok(v) => Some(v),
            Err(m) => {
                errors.add(field, m);
                None
            }
        };
        let name = check("name", text::single_line(&f.name, 200));
        let venue = check("venue", text::single_line(&f.venue, 200));
        let city = check("city", text::single_line(&f.city, 120));
        let description = check(
            "description",
            text::multi_line(&f.description, MAX_CONTENT_CHARS),
        );
        let practical_info = check(
            "practical_info",
            text::multi_line(&f.practical_info, MAX_CONTENT_CHARS),
        );
        let slug = Slug::parse(&f.slug).map_err(|m| errors.add("slug", m)).ok();
        let timezone = f
            .timezone
            .trim()
            .parse::<Tz>()
            .map_err(|_| {
                errors.add(
                    "timezone",
                    "must be an IANA time zone such as America/New_York",
                )
            })
            .ok();
        let currency = Currency::parse(&f.currency)
            .map_err(|m| errors.add("currency", m))
            .ok();
        let budget = Cents::new(f.scholarship_budget_cents)
            .map_err(|m| errors.add("scholarship_budget_cents", m))
            .ok();
        if f.capacity < 1 {
            errors.add("capacity", "must be at least 1");
        } else if f.capacity > MAX_CAPACITY {
            errors.add("capacity", format!("must be at most {MAX_CAPACITY}"));
        }
        if !(1..=365).contains(&f.invitation_ttl_days) {
            errors.add("invitation_ttl_days", "must be from 1 to 365");
        }
        if !(0..=10).contains(&f.nominations_per_executive) {
            errors.add("nominations_per_executive", "must be from 0 to 10");
        }
        let contact_email = match f.contact_email.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => EmailAddress::parse(raw)
                .map(Some)
                .map_err(|m| errors.add("contact_email", m))
                .ok(),
        };
        let program = match f.program.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(raw) => Slug::parse(raw)
                .map(Some)
                .map_err(|m| errors.add("program", m))
                .ok(),
        };
        if f.reminder_days_before
            .is_some_and(|d| !(1..=30).contains(&d))
        {
            errors.add(
                "reminder_days_before",
                "must be from 1 to 30, or null for none",
            );
        }
        if !(30..=3650).contains(&f.retention_days) {
            errors.add("retention_days", "must be from 30 to 3650");
        }
        if f.ends_on < f.starts_on {
            errors.add("ends_on", "must not be before starts_on");
        }
        if (f.ends_on - f.starts_on).num_days() > 366 {
            errors.add("ends_on", "an event may last at most a year");
        }
        let closes_at = match (f.registration_closes_at, timezone) {
            (Some(at), _) => Some(at),
            // By default registration closes when the event starts, in its own time zone.
            (None, Some(tz)) => start_of_day(tz, f.starts_on),
            (None, None) => None,
        };
        if let (Some(opens), Some(closes)) = (f.registration_opens_at, closes_at) {
            if opens >= closes {
                errors.add(
                    "registration_opens_at",
                    "must be before registration_closes_at",
                );
            }
        }
        let content = (description, practical_info, contact_email, program);
        match (
            slug, name, venue, city, timezone, currency, budget, closes_at, content,
        ) {
            (
                Some(slug),
                Some(name),
                Some(venue),
                Some(city),
                Some(timezone),
                Some(currency),
                Some(budget),
                Some(closes),
                (Some(description), Some(practical_info), Some(contact_email), Some(program)),
            ) if errors.is_empty() => Ok(Self {
                slug,
                name,
                venue,
                city,
                starts_on: f.starts_on,
                ends_on: f.ends_on,
                timezone,
                capacity: f.capacity as i32,
                scholarship_budget: budget,
                currency,
                status: f.status,
                registration_opens_at: f.registration_opens_at,
                registration_closes_at: closes,
                invitation_ttl_days: f.invitation_ttl_days as i32,
                nominations_per_executive: f.nominations_per_executive as i32,
                description,
                practical_info,
                contact_email,
                program,
                reminder_days_before: f.reminder_days_before.map(|d| d as i32),
                retention_days: f.retention_days as i32,
            }),
            _ => Err(errors),
        }
    }
}

/// Midnight at the start of `day` in `tz`, as a UTC instant (the earliest one on a DST gap).
pub fn start_of_day(tz: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    tz.from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            tz.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
}

/// Why registration is not possible right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClosedReason {
    /// A draft, or an event whose registration opens later.
    NotOpenYet,
    /// The event is closed or archived.
    EventClosed,
    /// The registration's closing time has passed.
    Over,
}

/// Why registration is not possible right now, if it is not.
pub fn registration_closed_reason(
    status: EventStatus,
    opens_at: Option<DateTime<Utc>>,
    closes_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<ClosedReason> {
    match status {
        EventStatus::Open => {}
        EventStatus::Draft => return Some(ClosedReason::NotOpenYet),
        EventStatus::Closed | EventStatus::Archived => return Some(ClosedReason::EventClosed),
    }
    if opens_at.is_some_and(|opens| now < opens) {
        return Some(ClosedReason::NotOpenYet);
    }
    if now >= closes_at {
        return Some(ClosedReason::Over);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> EventFields {
        EventFields {
            slug: "future-city-2027".into(),
            name: "The Future City".into(),
            venue: "Memorial Hall".into(),
            city: "Boston".into(),
            starts_on: NaiveDate::from_ymd_opt(2027, 5, 10).unwrap(),
            ends_on: NaiveDate::from_ymd_opt(2027, 5, 12).unwrap(),
            timezone: "America/New_York".into(),
            capacity: 40,
            scholarship_budget_cents: 2_000_000,
            currency: "usd".into(),
            status: EventStatus::Open,
            registration_opens_at: None,
            registration_closes_at: None,
            invitation_ttl_days: 30,
            nominations_per_executive: 1,
            description: String::new(),
            practical_info: String::new(),
            contact_email: None,
            program: None,
            reminder_days_before: Some(DEFAULT_REMINDER_DAYS),
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }

    #[test]
    fn registration_closes_when_the_event_starts_in_its_time_zone() {
        let spec = EventSpec::parse(fields()).unwrap();
        assert_eq!(
            spec.registration_closes_at.to_rfc3339(),
            "2027-05-10T04:00:00+00:00"
        );
        assert_eq!(spec.currency.as_str(), "USD");
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let mut f = fields();
        f.slug = "Bad Slug".into();
        f.capacity = 0;
        f.ends_on = NaiveDate::from_ymd_opt(2027, 5, 1).unwrap();
        f.timezone = "Mars/Olympus".into();
        f.currency = "dollars".into();
        f.scholarship_budget_cents = -5;
        f.name = " ".into();
        f.description = "x".repeat(MAX_CONTENT_CHARS + 1);
        f.practical_info = "a\u{0}b".into();
        f.contact_email = Some("not an address".into());
        f.program = Some("Not A Slug".into());
        f.reminder_days_before = Some(31);
        let errors = EventSpec::parse(f).unwrap_err();
        let named: Vec<&str> = errors.fields().collect();
        assert_eq!(
            named,
            [
                "capacity",
                "contact_email",
                "currency",
                "description",
                "ends_on",
                "name",
                "practical_info",
                "program",
                "reminder_days_before",
                "scholarship_budget_cents",
                "slug",
                "timezone"
            ]
        );
    }

    #[test]
    fn registration_is_open_only_inside_the_window_of_an_open_event() {
        let spec = EventSpec::parse(fields()).unwrap();
        let before = spec.registration_closes_at - chrono::Duration::days(1);
        let after = spec.registration_closes_at + chrono::Duration::seconds(1);
        let closes = spec.registration_closes_at;
        assert_eq!(
            registration_closed_reason(EventStatus::Open, None, closes, before),
            None
        );
        assert!(registration_closed_reason(EventStatus::Open, None, closes, after).is_some());
        assert!(registration_closed_reason(EventStatus::Draft, None, closes, before).is_some());
        assert!(
            registration_closed_reason(EventStatus::Open, Some(closes), closes, before).is_some()
        );
    }
}
