//! diesel never caches the prepared statement of an UPDATE (a changeset's columns may
//! vary), so SQLite would parse these two again for every registration in the batch.
//! Their form is fixed: written out here, they are prepared once per connection.

use chrono::NaiveDateTime;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{Text, Timestamp};
use diesel::{QueryResult, RunQueryDsl};

use crate::db::MultiBackend;
use crate::domain::{EventId, InvitationId};

/// `UPDATE invitations SET status = 'accepted' ...` if status and `updated_at` are still
/// the ones read.
pub struct AcceptInvitation<'a> {
    pub id: &'a InvitationId,
    pub status: &'a str,
    pub updated_at: NaiveDateTime,
    pub at: NaiveDateTime,
}

impl QueryId for AcceptInvitation<'_> {
    type QueryId = AcceptInvitation<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<MultiBackend> for AcceptInvitation<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("UPDATE invitations SET status = 'accepted', updated_at = ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(", responded_at = ");
        out.push_bind_param::<Timestamp, _>(&self.at)?;
        out.push_sql(" WHERE id = ");
        out.push_bind_param::<Text, _>(&self.id)?;
        out.push_sql(" AND status = ");
        out.push_bind_param::<Text, _>(&self.status)?;
        out.push_sql(" AND updated_at = ");
        out.push_bind_param::<Timestamp, _>(&self.updated_at)?;
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for AcceptInvitation<'_> {}

/// `UPDATE events SET seats_taken = seats_taken + 1` if a seat is free.
pub struct ClaimSeat<'a> {
    pub event_id: &'a EventId,
}

impl QueryId for ClaimSeat<'_> {
    type QueryId = ClaimSeat<'static>;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl QueryFragment<MultiBackend> for ClaimSeat<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("UPDATE events SET seats_taken = seats_taken + 1 WHERE id = ");
        out.push_bind_param::<Text, _>(&self.event_id)?;
        out.push_sql(" AND seats_taken < capacity");
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for ClaimSeat<'_> {}
