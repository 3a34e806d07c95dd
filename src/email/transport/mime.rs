//! The MIME message of a stored email: text and HTML alternatives, attachments, and the
//! headers that every email carries.

use std::time::SystemTime;

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::Message;

use super::SendError;
use crate::email::outbox::StoredEmail;
use crate::email::Attachment;

/// Content type of calendar attachments: `method=PUBLISH` makes mail clients offer
/// "add to calendar" instead of treating the file as a meeting request to answer.
pub const CALENDAR_CONTENT_TYPE: &str = "text/calendar; charset=utf-8; method=PUBLISH";

/// `Auto-Submitted: auto-generated` (RFC 3834): vacation responders and other
/// automatic replies stay silent, so a registrant's out-of-office does not answer us.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_owned())
    }
}

/// The Message-ID sent for a stored one: its unique part (left of '@') in the sender's
/// domain. Receivers judge a Message-ID in a domain that is not the sender's as a sign
/// of forgery; the unique part, fixed at queue time, keeps it the same on every attempt.
pub fn message_id(stored: &str, from: &Mailbox) -> String {
    let unique = stored
        .trim_start_matches('<')
        .trim_end_matches('>')
        .split('@')
        .next()
        .unwrap_or_default();
    format!("<{unique}@{}>", from.email.domain())
}

/// Builds the message exactly as stored: the same Message-ID and Date on every attempt,
/// so a receiver can recognise a retried email.
pub fn build_message(email: &StoredEmail, from: &Mailbox) -> Result<Message, SendError> {
    let to: Mailbox = email
        .recipient
        .parse()
        .map_err(|e| SendError::Permanent(format!("invalid recipient address: {e}")))?;
    let (Some(text), Some(html)) = (&email.body_text, &email.body_html) else {
        return Err(SendError::Permanent(
            "the body of this email is no longer stored".into(),
        ));
    };
    let attachments: Vec<Attachment> = match &email.attachments {
        Some(json) => serde_json::from_str(json)
            .map_err(|e| SendError::Permanent(format!("unreadable attachments: {e}")))?,
        None => Vec::new(),
    };
    let (inline, files): (Vec<_>, Vec<_>) = attachments
        .into_iter()
        .partition(|a| a.content_id.is_some());
    let alternative = MultiPart::alternative_plain_html(text.clone(), html.clone());
    // An image the HTML shows by `cid:` goes beside it in a related part (RFC 2387), so
    // that clients display it in place instead of listing it as a file.
    let body = if inline.is_empty() {
        alternative
    } else {
        let mut related = MultiPart::related().multipart(alternative);
        for attachment in inline {
            // Drawn once: the QR code's mask search and PNG were a tenth of the machine's
            // CPU while delivering confirmations into Postfix, twice over when drawn
            // both to check it and to attach it.
            let bytes = attachment.bytes();
            // A drawing that cannot be made (no check-in code of ours is too long for a
            // QR code) is left out: the code in the text still gets the registrant in.
            if attachment.drawn.is_some() && bytes.is_none() {
                tracing::error!(email_id = %email.id, "an inline drawing left out");
                continue;
            }
            related = related.singlepart(attachment_part(attachment, bytes)?);
        }
        related
    };
    let body = if files.is_empty() {
        body
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for attachment in files {
            let bytes = attachment.bytes();
            mixed = mixed.singlepart(attachment_part(attachment, bytes)?);
        }
        mixed
    };
    let mut builder = Message::builder().from(from.clone()).to(to);
    // The event's organizing team: a reply reaches people, not the no-reply sender. An
    // address that no longer parses is left out rather than holding the email back.
    if let Some(reply_to) = &email.reply_to {
        match reply_to.parse::<Mailbox>() {
            Ok(mailbox) => builder = builder.reply_to(mailbox),
            Err(e) => tracing::warn!(email_id = %email.id, error = %e, "Reply-To left out"),
        }
    }
    builder
        .subject(email.subject.clone())
        .message_id(Some(message_id(&email.message_id, from)))
        .date(SystemTime::from(email.created_at.and_utc()))
        .header(AutoSubmitted)
        .multipart(body)
        .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))
}

/// The MIME part of an attachment whose content is `bytes` (its [`Attachment::bytes`]).
fn attachment_part(
    attachment: Attachment,
    bytes: Option<Vec<u8>>,
) -> Result<SinglePart, SendError> {
    let essence = attachment
        .content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim();
    let content_type = if essence.eq_ignore_ascii_case("text/calendar")
        && !attachment
            .content_type
            .to_ascii_lowercase()
            .contains("method=")
    {
        CALENDAR_CONTENT_TYPE
    } else {
        attachment.content_type.as_str()
    };
    let content_type = ContentType::parse(content_type).map_err(|e| {
        SendError::Permanent(format!(
            "invalid content type '{}' of attachment '{}': {e}",
            attachment.content_type, attachment.filename
        ))
    })?;
    let bytes = bytes.ok_or_else(|| {
        SendError::Permanent(format!(
            "attachment '{}' is not valid base64",
            attachment.filename
        ))
    })?;
    let part = match attachment.content_id {
        Some(id) => MimeAttachment::new_inline_with_name(id, attachment.filename),
        None => MimeAttachment::new(attachment.filename),
    };
    Ok(part.body(bytes, content_type))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::db::now;

    pub(in crate::email::transport) fn stored(attachments: Option<&str>) -> StoredEmail {
        StoredEmail {
            id: "b7a9a2c4-1111-4222-8333-944455556666".into(),
            event_id: None,
            template: "_test".into(),
            recipient: "dana@example.org".into(),
            subject: "Grüße from The Future City".into(),
            body_text: Some("Hello Dana, see https://x.example/a".into()),
            body_html: Some("<html><p>Hello Dana</p></html>".into()),
            attachments: attachments.map(str::to_owned),
            message_id: "<abc@convene.mail>".into(),
            entity_type: None,
            entity_id: None,
            status: "pending".into(),
            attempts: 0,
            next_attempt_at: now(),
            locked_until: None,
            last_error: None,
            created_at: now(),
            sent_at: None,
            reply_to: None,
        }
    }

    pub(in crate::email::transport) fn from() -> Mailbox {
        "convene <no-reply@localhost>".parse().unwrap()
    }

    #[test]
    fn a_message_carries_the_stored_message_id_and_both_parts() {
        let m = build_message(&stored(None), &from()).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <abc@localhost>"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(
            !raw.contains("multipart/mixed"),
            "no attachment, no mixed part"
        );
    }

    #[test]
    fn every_message_is_marked_auto_submitted_with_a_message_id_in_the_senders_domain() {
        let from: Mailbox = "Events <events@mail.example.org>".parse().unwrap();
        let raw =
            String::from_utf8(build_message(&stored(None), &from).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("\r\nAuto-Submitted: auto-generated\r\n"),
            "{raw}"
        );
        assert!(raw.contains("Message-ID: <abc@mail.example.org>"), "{raw}");
        assert_eq!(message_id("abc@x", &from), "<abc@mail.example.org>");
    }

    #[test]
    fn the_events_contact_address_is_the_reply_to() {
        let mut e = stored(None);
        e.reply_to = Some("summit@example.org".into());
        let raw = String::from_utf8(build_message(&e, &from()).unwrap().formatted()).unwrap();
        assert!(
            raw.contains("\r\nReply-To: summit@example.org\r\n"),
            "{raw}"
        );
        let raw =
            String::from_utf8(build_message(&stored(None), &from()).unwrap().formatted()).unwrap();
        assert!(!raw.contains("Reply-To"), "{raw}");
    }

    #[test]
    fn a_calendar_attachment_is_published() {
        let json = r#"[{"filename":"event.ics","content_type":"text/calendar","content":"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"}]"#;
        let m = build_message(&stored(Some(json)), &from()).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("multipart/mixed"));
        assert!(
            raw.contains("text/calendar; charset=utf-8; method=PUBLISH"),
            "{raw}"
        );
        assert!(raw.contains("filename=\"event.ics\""));
    }

    #[test]
    fn an_inline_image_is_related_to_the_html_and_files_stay_attached() {
        let png = [0x89, b'P', b'N', b'G', 0, 1, 2, 255];
        let attachments = vec![
            crate::email::Attachment::inline_image("qr@convene", "qr.png", "image/png", &png),
            crate::email::Attachment {
                filename: "event.ics".into(),
                content_type: "text/calendar".into(),
                content: "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n".into(),
                ..Default::default()
            },
        ];
        let json = serde_json::to_string(&attachments).unwrap();
        let m = build_message(&stored(Some(&json)), &from()).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        let (mixed, related, alternative) = (
            raw.find("multipart/mixed").unwrap(),
            raw.find("multipart/related").unwrap(),
            raw.find("multipart/alternative").unwrap(),
        );
        assert!(mixed < related && related < alternative, "{raw}");
        assert!(raw.contains("Content-ID: <qr@convene>"), "{raw}");
        assert!(raw.contains("Content-Disposition: inline"), "{raw}");
        let image = raw.find("image/png").unwrap();
        assert!(alternative < image && image < raw.find("text/calendar").unwrap());
    }

    #[test]
    fn a_qr_code_is_drawn_when_the_message_is_built() {
        let qr = crate::email::Attachment::inline_qr_code("qr@convene", "qr.png", "ABCD2345");
        // What is stored is the code, not the picture.
        let json = serde_json::to_string(&[qr]).unwrap();
        assert!(
            json.contains("ABCD2345") && !json.contains("iVBOR"),
            "{json}"
        );
        let m = build_message(&stored(Some(&json)), &from()).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Content-ID: <qr@convene>"), "{raw}");
        // The PNG signature, in base64.
        assert!(raw.contains("iVBORw0KGgo"), "{raw}");
    }

    #[test]
    fn a_bad_address_or_a_cleared_body_is_permanent() {
        let mut e = stored(None);
        e.recipient = "not an address".into();
        assert!(build_message(&e, &from()).unwrap_err().is_permanent());
        let mut e = stored(None);
        e.body_text = None;
        assert!(build_message(&e, &from()).unwrap_err().is_permanent());
        let e = stored(Some("not json"));
        assert!(build_message(&e, &from()).unwrap_err().is_permanent());
    }
}
