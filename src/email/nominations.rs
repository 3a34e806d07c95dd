//! The emails of young-leader nominations: the receipt and the decision to the
//! nominator, and the invitation to the nominee that names who nominated them and why.

use serde_json::{json, Value};

use super::messages::{self, event_context, InvitationEmail};
use super::Outgoing;
use crate::db::models::community::Community;
use crate::db::models::event::Event;
use crate::db::models::invitation::Invitation;
use crate::db::models::nomination::Nomination;
use crate::db::models::registration::Registration;

/// An email to the executive who nominated, about their nomination.
fn to_nominator(
    template: &'static str,
    event: &Event,
    nominator: &Registration,
    n: &Nomination,
    extra: Value,
) -> Outgoing {
    let mut context = extra;
    context["event"] = event_context(event);
    context["recipient"] = json!({ "full_name": nominator.full_name });
    context["nominee"] = json!({
        "full_name": n.full_name,
        "title": n.title,
        "organization": n.organization,
    });
    Outgoing {
        template,
        to: nominator.email.clone(),
        context,
        attachments: vec![],
        event_id: Some(event.id.clone()),
        entity: Some(("nomination", n.id.to_string())),
    }
}

/// "We have your nomination": with the nominator's private page, where they can
/// follow it or withdraw it while it waits.
pub fn received(
    event: &Event,
    nominator: &Registration,
    n: &Nomination,
    manage_link: &str,
) -> Outgoing {
    to_nominator(
        "nomination_received",
        event,
        nominator,
        n,
        json!({ "manage_link": manage_link }),
    )
}

/// "We have invited your young leader", with the organizers' note if they wrote one.
pub fn approved(event: &Event, nominator: &Registration, n: &Nomination) -> Outgoing {
    to_nominator(
        "nomination_approved",
        event,
        nominator,
        n,
        json!({ "note": n.decision_note }),
    )
}

/// "We cannot invite your young leader this time", with the organizers' note if any.
pub fn declined(event: &Event, nominator: &Registration, n: &Nomination) -> Outgoing {
    to_nominator(
        "nomination_declined",
        event,
        nominator,
        n,
        json!({ "note": n.decision_note }),
    )
}

/// The invitation of a nominated young leader (or its reminder): everything the ordinary
/// invitation carries (the personal link, its expiry), plus who nominated them and why.
pub fn young_leader_invitation(
    which: InvitationEmail,
    event: &Event,
    inv: &Invitation,
    community: &Community,
    link: &str,
    nominator: &Registration,
    reason: &str,
) -> Outgoing {
    let mut email = messages::invitation(InvitationEmail::Invitation, event, inv, community, link);
    email.template = "young_leader_invitation";
    email.context["nominator"] = json!({
        "full_name": nominator.full_name,
        "title": nominator.title,
        "organization": nominator.organization,
    });
    email.context["reason"] = json!(reason);
    email.context["reminder"] = json!(which == InvitationEmail::Reminder);
    // Approved while no seat is free: told before they register that they would wait.
    email.context["event_full"] = json!(event.seats_taken >= event.capacity);
    email
}
