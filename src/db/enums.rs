//! The status and kind columns as the domain's enums: stored as their text, read back
//! through the domain's parser, so that a value the code does not know is an error
//! naming the column's type, never a silent fallback to some other state.

use diesel::deserialize::{self, FromSql};
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::Text;
use diesel::sqlite::{Sqlite, SqliteValue};

use super::MultiBackend;
use crate::domain::event::EventStatus;
use crate::domain::invitation::{InvitationKind, InvitationStatus};
use crate::domain::invitation_request::RequestStatus;
use crate::domain::nomination::NominationStatus;
use crate::domain::organizer::Role;
use crate::domain::registration::RegistrationStatus;
use crate::domain::scholarship::{AwardStatus, ScholarshipStatus};

/// The error for a stored value that the enum does not know.
fn unknown(type_name: &str, raw: &str) -> Box<dyn std::error::Error + Send + Sync> {
    format!("the database holds {raw:?}, which is no {type_name}").into()
}

macro_rules! text_enum {
    ($($t:ident),* $(,)?) => {$(
        impl FromSql<Text, Sqlite> for $t {
            fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
                let raw = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
                $t::parse(&raw).ok_or_else(|| unknown(stringify!($t), &raw))
            }
        }

        impl FromSql<Text, Pg> for $t {
            fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                let raw = <String as FromSql<Text, Pg>>::from_sql(value)?;
                $t::parse(&raw).ok_or_else(|| unknown(stringify!($t), &raw))
            }
        }

        impl FromSql<Text, MultiBackend> for $t {
            fn from_sql(
                value: <MultiBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> deserialize::Result<Self> {
                value.from_sql::<Self, Text>()
            }
        }

        impl ToSql<Text, Sqlite> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
                out.set_value(self.as_str());
                Ok(IsNull::No)
            }
        }

        impl ToSql<Text, Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                <str as ToSql<Text, Pg>>::to_sql(self.as_str(), out)
            }
        }

        impl ToSql<Text, MultiBackend> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self));
                Ok(IsNull::No)
            }
        }
    )*};
}

text_enum!(
    EventStatus,
    InvitationKind,
    InvitationStatus,
    RequestStatus,
    NominationStatus,
    Role,
    RegistrationStatus,
    ScholarshipStatus,
    AwardStatus,
);

#[cfg(test)]
mod tests {
    use diesel::dsl::sql;
    use diesel::prelude::*;
    use diesel::sql_types::Text;

    use crate::domain::registration::RegistrationStatus;

    fn read(raw: &str) -> QueryResult<RegistrationStatus> {
        let mut conn = SqliteConnection::establish(":memory:").expect("in-memory SQLite");
        diesel::select(sql::<Text>(&format!("'{raw}'"))).get_result(&mut conn)
    }

    #[test]
    fn a_known_value_reads_as_its_variant() {
        assert_eq!(read("waitlisted").unwrap(), RegistrationStatus::Waitlisted);
    }

    #[test]
    fn an_unknown_value_is_an_error_not_a_fallback() {
        match read("canceled") {
            Err(diesel::result::Error::DeserializationError(e)) => {
                // diesel wraps it in an error naming the field; ours is its source.
                let cause = e.source().map(ToString::to_string).unwrap_or_default();
                assert_eq!(
                    cause,
                    "the database holds \"canceled\", which is no RegistrationStatus"
                );
            }
            other => panic!("expected a deserialization error, got {other:?}"),
        }
    }
}
