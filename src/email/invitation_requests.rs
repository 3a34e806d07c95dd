//! The emails to someone who asked for an invitation: the receipt, and the polite answer
//! when the request is declined (an approval sends the invitation itself).

use serde_json::json;

use super::messages::event_context;
use super::Outgoing;
use crate::db::models::event::Event;
use crate::db::models::invitation_request::InvitationRequest;

/// "We received your request."
pub fn received(event: &Event, r: &InvitationRequest) -> Outgoing {
    Outgoing {
        template: "invitation_request_received",
        to: r.email.clone(),
        context: json!({ "event": event_context(event), "requester": { "full_name": r.full_name } }),
        attachments: vec![],
        event_id: Some(event.id.clone()),
        entity: Some(("invitation_request", r.id.clone())),
    }
}

/// The request was declined, with the organizers' note if there is one.
pub fn declined(event: &Event, r: &InvitationRequest) -> Outgoing {
    Outgoing {
        template: "invitation_request_declined",
        to: r.email.clone(),
        context: json!({
            "event": event_context(event),
            "requester": { "full_name": r.full_name },
            "note": r.decision_note,
        }),
        attachments: vec![],
        event_id: Some(event.id.clone()),
        entity: Some(("invitation_request", r.id.clone())),
    }
}
