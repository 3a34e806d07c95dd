//! Delivery of one stored email: builds the MIME message from an outbox row and hands
//! it to SMTP, or writes it as an `.eml` file when no SMTP server is configured.
//!
//! The transport is built once at startup, so SMTP connections are pooled and reused
//! across sends instead of being opened per email.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use url::Url;

use super::outbox::StoredEmail;
use super::Attachment;
use crate::config::Settings;

/// Time allowed to each SMTP command (connect, EHLO, MAIL, ..., the end of DATA).
const SMTP_COMMAND_TIMEOUT: Duration = Duration::from_secs(20);

/// Content type of calendar attachments: `method=PUBLISH` makes mail clients offer
/// "add to calendar" instead of treating the file as a meeting request to answer.
pub const CALENDAR_CONTENT_TYPE: &str = "text/calendar; charset=utf-8; method=PUBLISH";

/// Why a send did not go through, sorted by whether trying again can help.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The server or the network may recover: connection refused, timeouts, 4xx replies.
    #[error("{0}")]
    Transient(String),
    /// Trying again cannot help: a 5xx reply, an address or message that cannot be built.
    #[error("{0}")]
    Permanent(String),
}

impl SendError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::Permanent(_))
    }
}

/// Where mail goes: an SMTP server (pooled connections) or a folder of `.eml` files.
pub struct Transport {
    from: Mailbox,
    kind: Kind,
}

enum Kind {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The server, without credentials, for logs.
        server: String,
    },
    Files(PathBuf),
}

impl Transport {
    /// Builds the transport from `CONVENE_SMTP_URL` (or `CONVENE_MAIL_DIR` when unset).
    /// Must run inside the Tokio runtime: the SMTP pool starts its cleanup task.
    /// `pool_size` is the most connections kept open to the SMTP server.
    pub fn from_settings(settings: &Settings, pool_size: u32) -> anyhow::Result<Self> {
        let from: Mailbox = settings.mail_from.parse().with_context(|| {
            format!(
                "invalid CONVENE_MAIL_FROM '{}': expected e.g. convene <no-reply@example.org>",
                settings.mail_from
            )
        })?;
        let kind = match &settings.smtp_url {
            Some(url) => Kind::Smtp {
                transport: smtp_transport(url, pool_size)?,
                server: format!(
                    "{}://{}:{}",
                    url.scheme(),
                    url.host_str().unwrap_or_default(),
                    smtp_port(url)
                ),
            },
            None => {
                std::fs::create_dir_all(&settings.mail_dir).with_context(|| {
                    format!(
                        "cannot create the mail folder {}",
                        settings.mail_dir.display()
                    )
                })?;
                Kind::Files(settings.mail_dir.clone())
            }
        };
        Ok(Self { from, kind })
    }

    /// Where mail goes, for the startup log (never the SMTP credentials).
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Smtp { server, .. } => server.clone(),
            Kind::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Sends one stored email, or writes it to the mail folder.
    pub async fn send(&self, email: &StoredEmail) -> Result<(), SendError> {
        let message = build_message(email, &self.from)?;
        match &self.kind {
            Kind::Smtp { transport, .. } => {
                transport.send(message).await.map_err(classify)?;
                Ok(())
            }
            Kind::Files(dir) => {
                let dir = dir.clone();
                let id = email.id.clone();
                let bytes = message.formatted();
                tokio::task::spawn_blocking(move || write_eml(&dir, &id, &bytes))
                    .await
                    .map_err(|e| SendError::Transient(format!("writing the file failed: {e}")))?
            }
        }
    }
}

fn smtp_port(url: &Url) -> u16 {
    url.port()
        .unwrap_or(if url.scheme() == "smtps" { 465 } else { 25 })
}

/// `smtp://` upgrades with STARTTLS when the server offers it (`?tls=required` refuses
/// servers that do not); `smtps://` speaks TLS from the first byte.
fn smtp_transport(url: &Url, pool_size: u32) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let host = url
        .host_str()
        .context("CONVENE_SMTP_URL has no host")?
        // An IPv6 host comes bracketed from the URL; the resolver wants it bare.
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tls_parameters = TlsParameters::new(host.clone())
        .with_context(|| format!("cannot set up TLS for {host}"))?;
    let require_tls = url
        .query_pairs()
        .any(|(k, v)| k == "tls" && v.eq_ignore_ascii_case("required"));
    let tls = match (url.scheme(), require_tls) {
        ("smtps", _) => Tls::Wrapper(tls_parameters),
        (_, true) => Tls::Required(tls_parameters),
        _ => Tls::Opportunistic(tls_parameters),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(smtp_port(url))
        .tls(tls)
        .timeout(Some(SMTP_COMMAND_TIMEOUT))
        .pool_config(
            PoolConfig::new()
                .max_size(pool_size)
                .idle_timeout(Duration::from_secs(60)),
        );
    if !url.username().is_empty() {
        // Userinfo is percent-encoded in a URL (a password may hold '@' or ':').
        let decode = |s: &str| {
            percent_decode(s)
                .context("the SMTP credentials in CONVENE_SMTP_URL are not valid UTF-8")
        };
        builder = builder.credentials(Credentials::new(
            decode(url.username())?,
            decode(url.password().unwrap_or_default())?,
        ));
    }
    Ok(builder.build())
}

/// Decodes `%XX` escapes (a malformed escape is kept as it is, as browsers do).
fn percent_decode(s: &str) -> Result<String, std::string::FromUtf8Error> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
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
    let alternative = MultiPart::alternative_plain_html(text.clone(), html.clone());
    let body = if attachments.is_empty() {
        alternative
    } else {
        let mut mixed = MultiPart::mixed().multipart(alternative);
        for attachment in attachments {
            mixed = mixed.singlepart(attachment_part(attachment)?);
        }
        mixed
    };
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(email.message_id.clone()))
        .date(SystemTime::from(email.created_at.and_utc()))
        .multipart(body)
        .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))
}

fn attachment_part(attachment: Attachment) -> Result<SinglePart, SendError> {
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
    Ok(MimeAttachment::new(attachment.filename).body(attachment.content, content_type))
}

/// 5xx replies are permanent; everything else (refused or dropped connections,
/// timeouts, 4xx replies, TLS trouble, garbled replies) may pass, so it is retried.
fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let text = e.to_string();
    if e.is_permanent() {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}

/// Writes `<id>.eml` through a temporary file and a rename, so that a reader of the
/// folder never sees half a message.
fn write_eml(dir: &Path, id: &str, bytes: &[u8]) -> Result<(), SendError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(SendError::Permanent(format!(
            "'{id}' cannot be used as a file name"
        )));
    }
    let io =
        |e: std::io::Error| SendError::Transient(format!("cannot write to the mail folder: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let partial = dir.join(format!(".{id}.eml.partial"));
    std::fs::write(&partial, bytes).map_err(io)?;
    std::fs::rename(&partial, dir.join(format!("{id}.eml"))).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::now;

    fn stored(attachments: Option<&str>) -> StoredEmail {
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
        }
    }

    fn from() -> Mailbox {
        "convene <no-reply@localhost>".parse().unwrap()
    }

    #[test]
    fn a_message_carries_the_stored_message_id_and_both_parts() {
        let m = build_message(&stored(None), &from()).unwrap();
        let raw = String::from_utf8(m.formatted()).unwrap();
        assert!(raw.contains("Message-ID: <abc@convene.mail>"), "{raw}");
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(
            !raw.contains("multipart/mixed"),
            "no attachment, no mixed part"
        );
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

    #[test]
    fn an_eml_file_is_named_after_the_email() {
        let dir = tempfile_dir();
        write_eml(&dir, "abc-123", b"Subject: x\r\n\r\nbody").unwrap();
        assert_eq!(
            std::fs::read(dir.join("abc-123.eml")).unwrap(),
            b"Subject: x\r\n\r\nbody"
        );
        assert!(write_eml(&dir, "../escape", b"x")
            .unwrap_err()
            .is_permanent());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn credentials_in_the_url_are_percent_decoded() {
        assert_eq!(percent_decode("p%40ss%3Aw0rd%25").unwrap(), "p@ss:w0rd%");
        assert_eq!(percent_decode("50%off%zz").unwrap(), "50%off%zz");
        assert_eq!(percent_decode("caf%C3%A9").unwrap(), "café");
        assert!(percent_decode("%FF").is_err());
    }

    fn tempfile_dir() -> PathBuf {
        std::env::temp_dir().join(format!("convene-eml-{}", uuid::Uuid::new_v4()))
    }
}
