//! One message's SMTP transaction on a connection ready for MAIL FROM: the envelope,
//! DATA and the content.
//!
//! When the server offers PIPELINING (RFC 2920), MAIL FROM, the RCPT TOs and DATA go in
//! one write and their replies are read after it: two round trips a message instead of
//! four, and as many fewer wake-ups of the server's SMTP process and of ours. Without
//! it, one command at a time, as lettre's own `send` does.
//!
//! Any failure closes the connection (QUIT), as lettre's `send` does: after a pipelined
//! failure the replies still unread would otherwise answer the next message's commands.

use std::fmt::Write as _;

use lettre::address::Envelope;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::extension::{Extension, MailBodyParameter, MailParameter};

use super::error::classify;
use super::SendError;

/// An open connection and what its server offers beyond what lettre reads.
pub(super) struct Connection {
    pub(super) smtp: AsyncSmtpConnection,
    /// The server's EHLO reply listed PIPELINING.
    pub(super) pipelining: bool,
}

/// A transaction that did not end with the message accepted.
pub(super) struct Failure {
    pub(super) error: SendError,
    /// The server's first reply (to MAIL FROM) failed or never came, so it took nothing:
    /// what a connection the server closed while it idled looks like. The message may
    /// go at once on another connection without any risk of being delivered twice.
    pub(super) at_first_reply: bool,
}

/// Sends `content` (the formatted message) to the envelope's recipients.
pub(super) async fn send(
    conn: &mut Connection,
    envelope: &Envelope,
    content: &[u8],
) -> Result<(), Failure> {
    let parameters = mail_parameters(&conn.smtp, envelope, content).map_err(|error| Failure {
        error,
        at_first_reply: false,
    })?;
    let mail = Mail::new(envelope.from().cloned(), parameters);
    let outcome = transact(conn, mail, envelope, content).await;
    if outcome.is_err() && !conn.smtp.has_broken() {
        conn.smtp.abort().await;
    }
    outcome
}

async fn transact(
    conn: &mut Connection,
    mail: Mail,
    envelope: &Envelope,
    content: &[u8],
) -> Result<(), Failure> {
    let first = |e| Failure {
        error: classify(e),
        at_first_reply: true,
    };
    let later = |e| Failure {
        error: classify(e),
        at_first_reply: false,
    };
    let recipients = envelope.to().iter().map(|to| Rcpt::new(to.clone(), vec![]));
    let smtp = &mut conn.smtp;
    if conn.pipelining {
        let mut commands = mail.to_string();
        for rcpt in recipients {
            let _ = write!(commands, "{rcpt}");
        }
        let _ = write!(commands, "{Data}");
        smtp.command(commands).await.map_err(first)?;
        for _ in envelope.to() {
            smtp.read_response().await.map_err(later)?;
        }
        smtp.read_response().await.map_err(later)?;
    } else {
        smtp.command(mail).await.map_err(first)?;
        for rcpt in recipients {
            smtp.command(rcpt).await.map_err(later)?;
        }
        smtp.command(Data).await.map_err(later)?;
    }
    smtp.message(content).await.map_err(later)?;
    Ok(())
}

/// MAIL FROM's parameters as lettre's `send` chooses them: SMTPUTF8 for an address that
/// is not ASCII, 8BITMIME for content that is not; an error when the server lacks the
/// one needed (transient, as lettre has it: the operator may change the server).
fn mail_parameters(
    smtp: &AsyncSmtpConnection,
    envelope: &Envelope,
    content: &[u8],
) -> Result<Vec<MailParameter>, SendError> {
    let offers = |extension| smtp.server_info().supports_feature(extension);
    let mut parameters = Vec::new();
    let addresses = envelope.from().into_iter().chain(envelope.to());
    if addresses.map(AsRef::<str>::as_ref).any(|a| !a.is_ascii()) {
        if !offers(Extension::SmtpUtfEight) {
            return Err(SendError::Transient(
                "an address is not ASCII and the SMTP server does not offer SMTPUTF8".into(),
            ));
        }
        parameters.push(MailParameter::SmtpUtfEight);
    }
    if !content.is_ascii() {
        if !offers(Extension::EightBitMime) {
            return Err(SendError::Transient(
                "the message is not ASCII and the SMTP server does not offer 8BITMIME".into(),
            ));
        }
        parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
    }
    Ok(parameters)
}

/// Whether an EHLO reply lists PIPELINING (one keyword a line after the greeting line).
pub(super) fn offers_pipelining<'a>(ehlo_lines: impl Iterator<Item = &'a str>) -> bool {
    ehlo_lines
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .any(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
}
