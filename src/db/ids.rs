//! The ids of `domain::ids` as text columns: written and read back as they are (an id
//! is not parsed, see there).

use diesel::deserialize;

use super::enums::{text_column, TextColumn};
use crate::domain::{
    CommunityId, EventId, InvitationId, NominationId, RegistrationId, ScholarshipRequestId,
};

macro_rules! text_ids {
    ($($t:ty),* $(,)?) => {$(
        impl TextColumn for $t {
            fn from_text(raw: String) -> deserialize::Result<Self> {
                Ok(Self::from(raw))
            }

            fn as_text(&self) -> &str {
                self.as_str()
            }
        }

        text_column!($t);
    )*};
}

text_ids!(
    CommunityId,
    EventId,
    InvitationId,
    NominationId,
    RegistrationId,
    ScholarshipRequestId
);
