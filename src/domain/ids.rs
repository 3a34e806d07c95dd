//! The ids of the rows, one type per table, so that an event's id cannot be passed where
//! a registration's is expected: the compiler catches what a bare `&str` let through.
//!
//! An id is the UUID text the row was stored with. It is not checked for being a UUID
//! when it comes from a client: an id that names nothing is found by the query that
//! looks it up (a 404 as before), and rows written before or imported keep whatever id
//! they have. Serialised as that string (`serde(transparent)`); stored as text, like the
//! status enums (its `ToSql` and `FromSql` are in `db::ids`). The views of `http` hold an
//! id as the `String` it is on the wire, so the OpenAPI document describes it as before:
//! a plain string, with no schema of its own.

/// A fresh id for a new row: a version 7 UUID, which begins with the time it was made
/// (and, in this process, sorts after every id made before it). An id is a name, never a
/// credential (the links' secrets are tokens of their own, `domain::token`), so the time
/// in it gives nothing away that the row's `created_at` does not. Made in order, the ids
/// of a batch's new rows fall on the last pages of each index that holds them, instead of
/// one random page each: every page a commit changes is written whole to the log
/// (SQLite's WAL, and PostgreSQL's first change of a page after a checkpoint), and the
/// random ones were most of a registration's writes (`BENCHMARKS.md`, session 12).
pub fn fresh() -> String {
    uuid::Uuid::now_v7().to_string()
}

macro_rules! ids {
    ($($(#[$doc:meta])* $t:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Clone,
            Debug,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(transparent)]
        pub struct $t(String);

        impl $t {
            /// A fresh id for a new row ([`fresh`]). No `Default`: an id that appears
            /// out of nothing would hide that a row is being made.
            #[allow(clippy::new_without_default)]
            pub fn new() -> Self {
                Self(fresh())
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        /// An id as a client or a stored row gives it (see the module's comment).
        impl From<String> for $t {
            fn from(raw: String) -> Self {
                Self(raw)
            }
        }

        impl From<$t> for String {
            fn from(id: $t) -> Self {
                id.0
            }
        }

        impl AsRef<str> for $t {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )*};
}

ids!(
    /// An event's id (`events.id`, and every `event_id`).
    EventId,
    /// A registration's id (`registrations.id`, and every `registration_id`).
    RegistrationId,
    /// An invitation's id (`invitations.id`, and every `invitation_id`).
    InvitationId,
    /// A community's id (`communities.id`, and every `community_id`).
    CommunityId,
    /// A nomination's id (`nominations.id`).
    NominationId,
    /// A scholarship request's id (`scholarship_requests.id`).
    ScholarshipRequestId,
);

#[cfg(test)]
mod tests {
    use super::EventId;

    #[test]
    fn a_new_id_is_a_fresh_uuid_and_serialises_as_its_text() {
        let (a, b) = (EventId::new(), EventId::new());
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(a.as_str()).is_ok());
        let json = serde_json::to_string(&a).expect("serialises");
        assert_eq!(json, format!("\"{a}\""));
        assert_eq!(serde_json::from_str::<EventId>(&json).expect("parses"), a);
    }

    #[test]
    fn ids_made_one_after_another_sort_in_the_order_they_were_made() {
        let ids: Vec<String> = (0..1000).map(|_| super::fresh()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]), "out of order: {ids:?}");
    }
}
