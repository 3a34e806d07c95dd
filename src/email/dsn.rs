//! Delivery status notifications (RFC 3464): the report a mail server sends back when a
//! message it accepted could not be delivered after all. Read with `mail-parser`; only
//! the fields of the `message/delivery-status` part (which MIME leaves to RFC 3464: blocks
//! of header-like fields, one for the message and one per recipient) are taken here.

use mail_parser::{HeaderName, Message, MessageParser, MimeHeaders, PartType};

/// What a report says about one of our emails.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The Message-ID of the returned message, without angle brackets; `None` when the
    /// report returned no headers (RFC 3464 makes them optional).
    pub message_id: Option<String>,
    /// The recipients the report is about, with what happened to each.
    pub recipients: Vec<RecipientStatus>,
}

/// One per-recipient block of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipientStatus {
    /// `Final-Recipient`, without its address type (`rfc822;`).
    pub recipient: String,
    /// `Action`, lower case: `failed`, `delayed`, `delivered`, `relayed` or `expanded`.
    pub action: String,
    /// `Status`, as `5.1.1`.
    pub status: String,
    /// `Diagnostic-Code`, without its type (`smtp;`), if any.
    pub diagnostic: Option<String>,
}

impl RecipientStatus {
    /// A permanent failure: the message will not be delivered to this recipient.
    pub fn failed(&self) -> bool {
        self.action == "failed"
    }

    /// What to show an organizer: the status and the server's words.
    pub fn describe(&self) -> String {
        match &self.diagnostic {
            Some(d) => format!("bounced for {}: {} {d}", self.recipient, self.status),
            None => format!("bounced for {}: {}", self.recipient, self.status),
        }
    }
}

impl DeliveryReport {
    /// The first recipient that failed, if any.
    pub fn failure(&self) -> Option<&RecipientStatus> {
        self.recipients.iter().find(|r| r.failed())
    }
}

/// Why a body is not a delivery status notification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DsnError {
    /// Not a MIME message at all (no header could be read).
    #[error("the body is not an email message")]
    NotAMessage,
    /// A message, but no RFC 3464 report.
    #[error("the message is not a delivery status notification (multipart/report with a message/delivery-status part)")]
    NotAReport,
    /// A report without any per-recipient block, or one missing a required field.
    #[error("the delivery status names no recipient with its Action and Status")]
    NoRecipient,
}

/// Reads a delivery status notification.
pub fn parse(raw: &[u8]) -> Result<DeliveryReport, DsnError> {
    let message = MessageParser::new()
        .parse(raw)
        // The parser reads almost anything as headers: a message has at least one that
        // RFC 5322 or MIME defines.
        .filter(|m| {
            m.root_part()
                .headers()
                .iter()
                .any(|h| !matches!(h.name, HeaderName::Other(_)))
        })
        .ok_or(DsnError::NotAMessage)?;
    if !message.root_part().is_content_type("multipart", "report") {
        return Err(DsnError::NotAReport);
    }
    let status = message
        .parts
        .iter()
        .find(|p| {
            p.is_content_type("message", "delivery-status")
                || p.is_content_type("message", "global-delivery-status")
        })
        .ok_or(DsnError::NotAReport)?;
    let recipients = recipient_blocks(status.contents())?;
    Ok(DeliveryReport {
        message_id: returned_message_id(&message),
        recipients,
    })
}

/// The per-recipient blocks: every block after the first (the per-message one) that has
/// a `Final-Recipient`.
fn recipient_blocks(body: &[u8]) -> Result<Vec<RecipientStatus>, DsnError> {
    let text = String::from_utf8_lossy(body).replace("\r\n", "\n");
    let parser = MessageParser::new();
    let mut recipients = Vec::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        // Each block has the syntax of a header section: the parser reads its fields
        // (folded lines included); unknown names keep their raw text.
        let mut block = block.trim_start_matches('\n').to_owned();
        block.push_str("\n\n");
        let Some(fields) = parser.parse_headers(block.as_bytes()) else {
            continue;
        };
        let field = |name: &str| {
            fields
                .header_raw(name)
                .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|v| !v.is_empty())
        };
        let (Some(recipient), Some(action), Some(status)) =
            (field("Final-Recipient"), field("Action"), field("Status"))
        else {
            continue;
        };
        recipients.push(RecipientStatus {
            recipient: after_type(&recipient).to_owned(),
            action: action.to_ascii_lowercase(),
            status,
            diagnostic: field("Diagnostic-Code").map(|d| after_type(&d).to_owned()),
        });
    }
    if recipients.is_empty() {
        return Err(DsnError::NoRecipient);
    }
    Ok(recipients)
}

/// `rfc822; ada@example.org` -> `ada@example.org` (RFC 3464 prefixes a type).
fn after_type(value: &str) -> &str {
    value.split_once(';').map_or(value, |(_, rest)| rest).trim()
}

/// The Message-ID of the returned message: a `message/rfc822` part (the whole message),
/// or a `text/rfc822-headers` part (its headers only).
fn returned_message_id(report: &Message<'_>) -> Option<String> {
    report.parts.iter().find_map(|part| match &part.body {
        PartType::Message(returned) => returned.message_id().map(str::to_owned),
        _ if part.is_content_type("text", "rfc822-headers") => MessageParser::new()
            .parse_headers(part.contents())
            .and_then(|h| h.message_id().map(str::to_owned)),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A report as Postfix writes it, returning the headers of the message.
    pub(crate) fn postfix_report(message_id: &str, returned_type: &str) -> String {
        format!(
            "From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r\n\
             To: no-reply@example.org\r\n\
             Subject: Undelivered Mail Returned to Sender\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status;\r\n\
             \tboundary=\"B1\"\r\n\
             \r\n\
             --B1\r\n\
             Content-Type: text/plain; charset=us-ascii\r\n\
             \r\n\
             I'm sorry to have to inform you that your message could not be delivered.\r\n\
             \r\n\
             --B1\r\n\
             Content-Type: message/delivery-status\r\n\
             \r\n\
             Reporting-MTA: dns; mail.example.org\r\n\
             Arrival-Date: Fri,  4 Dec 2026 18:00:00 +0000 (UTC)\r\n\
             \r\n\
             Final-Recipient: rfc822; nobody@example.org\r\n\
             Original-Recipient: rfc822;nobody@example.org\r\n\
             Action: failed\r\n\
             Status: 5.1.1\r\n\
             Diagnostic-Code: X-Postfix; unknown user: \"nobody\"\r\n\
             \r\n\
             --B1\r\n\
             Content-Type: {returned_type}\r\n\
             \r\n\
             From: Convene <no-reply@example.org>\r\n\
             To: nobody@example.org\r\n\
             Subject: You are invited\r\n\
             Message-ID: {message_id}\r\n\
             \r\n\
             --B1--\r\n"
        )
    }

    #[test]
    fn a_postfix_report_names_the_returned_message_and_the_failed_recipient() {
        for returned in ["text/rfc822-headers", "message/rfc822"] {
            let report = parse(postfix_report("<abc-1@example.org>", returned).as_bytes())
                .expect("a report");
            assert_eq!(
                report.message_id.as_deref(),
                Some("abc-1@example.org"),
                "{returned}"
            );
            let failure = report.failure().expect("a failure");
            assert_eq!(failure.recipient, "nobody@example.org");
            assert_eq!(failure.status, "5.1.1");
            assert_eq!(
                failure.diagnostic.as_deref(),
                Some("unknown user: \"nobody\"")
            );
        }
    }

    #[test]
    fn a_delay_notice_is_a_report_without_a_failure() {
        let raw = postfix_report("<abc@example.org>", "text/rfc822-headers")
            .replace("Action: failed", "Action: delayed")
            .replace("Status: 5.1.1", "Status: 4.4.1");
        let report = parse(raw.as_bytes()).expect("a report");
        assert!(report.failure().is_none());
    }

    #[test]
    fn anything_else_is_refused_with_the_reason() {
        assert_eq!(parse(b""), Err(DsnError::NotAMessage));
        assert_eq!(parse(b"\x00\x01 not mail"), Err(DsnError::NotAMessage));
        assert_eq!(
            parse(b"Subject: hello\r\nContent-Type: text/plain\r\n\r\nhi\r\n"),
            Err(DsnError::NotAReport)
        );
        let no_recipient = postfix_report("<a@b>", "text/rfc822-headers")
            .replace("Final-Recipient: rfc822; nobody@example.org\r\n", "");
        assert_eq!(parse(no_recipient.as_bytes()), Err(DsnError::NoRecipient));
    }
}
