//! The status and kind columns as the domain's enums: stored as their text, read back
//! through the domain's parser, so that a value the code does not know is an error
//! naming the column's type, never a silent fallback to some other state. The ids of
//! `db::ids` are text columns the same way ([`TextColumn`], [`text_column!`]).

use crate::domain::event::EventStatus;
use crate::domain::invitation::{InvitationKind, InvitationStatus};
use crate::domain::invitation_request::RequestStatus;
use crate::domain::nomination::NominationStatus;
use crate::domain::organizer::Role;
use crate::domain::registration::RegistrationStatus;
use crate::domain::scholarship::{AwardStatus, ScholarshipStatus};
use crate::domain::Choice;
use diesel::deserialize;

/// A value stored as text: read back from its text, which may fail, and written as it.
/// [`text_column!`] gives such a type its `ToSql` and `FromSql` on every backend.
pub trait TextColumn: Sized {
    fn from_text(raw: String) -> deserialize::Result<Self>;
    fn as_text(&self) -> &str;
}

/// An enum is read through the domain's parser: a value it does not know is an error
/// naming its type.
impl<T: Choice> TextColumn for T {
    fn from_text(raw: String) -> deserialize::Result<Self> {
        T::parse(&raw).ok_or_else(|| {
            let full = std::any::type_name::<T>();
            let name = full.rsplit("::").next().unwrap_or(full);
            format!("the database holds {raw:?}, which is no {name}").into()
        })
    }

    fn as_text(&self) -> &str {
        Choice::as_str(*self)
    }
}

/// `ToSql` and `FromSql` for text on SQLite, PostgreSQL and the multi-backend, through
/// the type's [`TextColumn`].
macro_rules! text_column {
    ($($t:ty),* $(,)?) => {$(
        // A block of its own, for the imports the impls are written with.
        const _: () = {
            use diesel::deserialize::{self, FromSql};
            use diesel::pg::{Pg, PgValue};
            use diesel::serialize::{self, IsNull, Output, ToSql};
            use diesel::sql_types::Text;
            use diesel::sqlite::{Sqlite, SqliteValue};
            use $crate::db::enums::TextColumn;
            use $crate::db::MultiBackend;

            impl FromSql<Text, Sqlite> for $t {
                fn from_sql(value: SqliteValue<'_, '_, '_>) -> deserialize::Result<Self> {
                    let raw = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
                    <$t as TextColumn>::from_text(raw)
                }
            }

            impl FromSql<Text, Pg> for $t {
                fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
                    let raw = <String as FromSql<Text, Pg>>::from_sql(value)?;
                    <$t as TextColumn>::from_text(raw)
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
                    out.set_value(self.as_text());
                    Ok(IsNull::No)
                }
            }

            impl ToSql<Text, Pg> for $t {
                fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
                    <str as ToSql<Text, Pg>>::to_sql(self.as_text(), out)
                }
            }

            impl ToSql<Text, MultiBackend> for $t {
                fn to_sql<'b>(
                    &'b self,
                    out: &mut Output<'b, '_, MultiBackend>,
                ) -> serialize::Result {
                    out.set_value((Text, self));
                    Ok(IsNull::No)
                }
            }
        };
    )*};
}
pub(crate) use text_column;

text_column!(
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
