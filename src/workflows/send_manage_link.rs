//! Send a fresh manage link: an organizer re-sends a person's lost link to their
//! registration. The earlier links keep working (see `links::new_manage_link`).

use url::Url;

use crate::db::models::audit::{self, Actor, Entry};
use crate::db::models::event;
use crate::db::models::registration::Registration;
use crate::db::DbConnection;
use crate::email::{messages, outbox};
use crate::error::AppError;
use crate::workflows::links;

/// Queues an email to the registrant with a new link to their registration, and audits
/// it (the entry holds no token).
pub fn send_manage_link(
    conn: &mut DbConnection,
    base_url: &Url,
    reg: &Registration,
    actor: &Actor,
) -> Result<(), AppError> {
    let event = event::find(conn, &reg.event_id)?;
    let link = links::new_manage_link(conn, base_url, reg)?;
    outbox::queue(conn, messages::registration_manage_link(&event, reg, &link))?;
    audit::record(
        conn,
        actor,
        Entry::new(
            "registration.manage_link_sent",
            "registration",
            reg.id.as_str(),
            Some(&reg.event_id),
        ),
    )?;
    Ok(())
}
