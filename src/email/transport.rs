//! Delivery of one stored email: builds the MIME message from an outbox row and hands
//! it to SMTP, or writes it as an `.eml` file when no SMTP server is configured.
//!
//! SMTP connections are opened here rather than by lettre's pooled transport, and are
//! kept open and reused across sends. lettre writes a message and its closing `.` in two
//! writes and waits for the reply; on its own sockets, without `TCP_NODELAY`, Nagle's
//! algorithm held the `.` back until the server acknowledged the message, which Linux
//! delays by 40 ms: at most 25 messages/s per connection (170 emails/s measured with 8).
//! Our sockets have `TCP_NODELAY`; lettre still speaks SMTP on them, does STARTTLS and
//! implicit TLS with its own TLS settings, and authenticates.

use std::io;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context as TaskContext, Poll};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Attachment as MimeAttachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
#[allow(deprecated)] // see `TlsFirst`
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncSmtpConnection, AsyncTokioStream, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::Message;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use url::Url;

use super::outbox::StoredEmail;
use super::Attachment;
use crate::config::Settings;

/// Time allowed to open a connection ready to send: TCP, the greeting, EHLO, TLS and
/// authentication. A send itself is bounded by the worker's send timeout.
const SMTP_CONNECT_TIMEOUT: Duration = Duration::from_secs(20);

/// An open connection unused for this long is closed (with QUIT) rather than reused:
/// servers drop idle clients after a few minutes.
const SMTP_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Time allowed to the QUIT of a connection being closed.
const SMTP_QUIT_TIMEOUT: Duration = Duration::from_secs(2);

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
    Smtp(Box<SmtpPool>),
    Files(PathBuf),
}

impl Transport {
    /// Builds the transport from `CONVENE_SMTP_URL` (or `CONVENE_MAIL_DIR` when unset).
    /// `pool_size` is the most connections open to the SMTP server at once.
    pub fn from_settings(settings: &Settings, pool_size: u32) -> anyhow::Result<Self> {
        let from: Mailbox = settings.mail_from.parse().with_context(|| {
            format!(
                "invalid CONVENE_MAIL_FROM '{}': expected e.g. convene <no-reply@example.org>",
                settings.mail_from
            )
        })?;
        let kind = match &settings.smtp_url {
            Some(url) => Kind::Smtp(Box::new(SmtpPool::new(
                SmtpServer::from_url(url)?,
                pool_size,
            ))),
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
            Kind::Smtp(pool) => pool.server.describe(),
            Kind::Files(dir) => format!(".eml files in {}", dir.display()),
        }
    }

    /// Sends one stored email, or writes it to the mail folder.
    pub async fn send(&self, email: &StoredEmail) -> Result<(), SendError> {
        let message = build_message(email, &self.from)?;
        match &self.kind {
            Kind::Smtp(pool) => pool.send(&message).await,
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

    /// Closes, in the background, the SMTP connections unused for a minute.
    pub fn close_idle(&self) {
        if let Kind::Smtp(pool) = &self.kind {
            let stale = pool.take_idle(SMTP_IDLE_TIMEOUT);
            if !stale.is_empty() {
                tokio::spawn(futures_util::future::join_all(stale.into_iter().map(quit)));
            }
        }
    }

    /// Closes every idle SMTP connection, for a clean stop; returns once the server
    /// answered the QUITs (or did not in time).
    pub async fn shutdown(&self) {
        if let Kind::Smtp(pool) = &self.kind {
            let idle = pool.take_idle(Duration::ZERO);
            futures_util::future::join_all(idle.into_iter().map(quit)).await;
        }
    }
}

/// The SMTP server of `CONVENE_SMTP_URL` and how to talk to it.
struct SmtpServer {
    /// As the resolver wants it: an IPv6 address without its brackets.
    host: String,
    port: u16,
    scheme: String,
    tls: Tls,
    credentials: Option<Credentials>,
    /// The name given in EHLO: this machine's host name, as lettre's transport gave.
    hello: ClientId,
}

impl SmtpServer {
    /// `smtp://` upgrades with STARTTLS when the server offers it (`?tls=required`
    /// refuses servers that do not); `smtps://` speaks TLS from the first byte.
    fn from_url(url: &Url) -> anyhow::Result<Self> {
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
        let credentials = if url.username().is_empty() {
            None
        } else {
            // Userinfo is percent-encoded in a URL (a password may hold '@' or ':').
            let decode = |s: &str| {
                percent_decode(s)
                    .context("the SMTP credentials in CONVENE_SMTP_URL are not valid UTF-8")
            };
            Some(Credentials::new(
                decode(url.username())?,
                decode(url.password().unwrap_or_default())?,
            ))
        };
        let port = url
            .port()
            .unwrap_or(if url.scheme() == "smtps" { 465 } else { 25 });
        Ok(Self {
            host,
            port,
            scheme: url.scheme().to_owned(),
            tls,
            credentials,
            hello: ClientId::default(),
        })
    }

    fn describe(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{}://{}:{}", self.scheme, host, self.port)
    }

    /// A TCP connection to the server with Nagle's algorithm off (see the module doc).
    async fn open_socket(&self) -> io::Result<TcpStream> {
        let socket = TcpStream::connect((self.host.as_str(), self.port)).await?;
        socket.set_nodelay(true)?;
        Ok(socket)
    }

    /// A connection ready for MAIL FROM: greeted, encrypted as configured, logged in.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let socket = self.open_socket().await.map_err(|e| {
            SendError::Transient(format!("cannot connect to {}: {e}", self.describe()))
        })?;
        let mut conn = match &self.tls {
            Tls::Wrapper(parameters) => {
                let stream = TlsFirst::handshake(socket, parameters.clone()).await?;
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await
            }
            _ => AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello).await,
        }
        .map_err(classify)?;
        // As lettre's transport: upgrade when offered, or insist.
        match &self.tls {
            Tls::Opportunistic(parameters) if conn.can_starttls() => {
                conn.starttls(parameters.clone(), &self.hello).await
            }
            Tls::Required(parameters) => conn.starttls(parameters.clone(), &self.hello).await,
            _ => Ok(()),
        }
        .map_err(classify)?;
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(classify)?;
        }
        Ok(conn)
    }
}

/// The connections open to the SMTP server between sends, at most `size` in all.
struct SmtpPool {
    server: SmtpServer,
    /// Idle connections, most recently used last, with when each was put back.
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    /// A permit per connection in use. A connection is opened only when none is idle,
    /// so connections in use and idle together never exceed the permits.
    in_use: Semaphore,
}

impl SmtpPool {
    fn new(server: SmtpServer, size: u32) -> Self {
        Self {
            server,
            idle: Mutex::new(Vec::new()),
            in_use: Semaphore::new(size.max(1) as usize),
        }
    }

    /// Sends on an idle connection that still answers, or on a new one. A connection
    /// that failed mid-transaction was closed by lettre and is not put back; one whose
    /// send was cancelled (the worker's timeout) is dropped with the future.
    async fn send(&self, message: &Message) -> Result<(), SendError> {
        let _permit = self
            .in_use
            .acquire()
            .await
            .map_err(|_| SendError::Transient("the SMTP pool was closed".into()))?;
        let mut conn = match self.reusable().await {
            Some(conn) => conn,
            None => tokio::time::timeout(SMTP_CONNECT_TIMEOUT, self.server.connect())
                .await
                .map_err(|_| {
                    SendError::Transient(format!(
                        "no connection to {} within {} s",
                        self.server.describe(),
                        SMTP_CONNECT_TIMEOUT.as_secs()
                    ))
                })??,
        };
        let sent = conn.send(message.envelope(), &message.formatted()).await;
        if !conn.has_broken() {
            self.lock_idle().push((conn, Instant::now()));
        }
        sent.map(drop).map_err(classify)
    }

    /// The most recently used idle connection that answers a NOOP (as lettre's pool
    /// checks), closing those that do not or that idled too long.
    async fn reusable(&self) -> Option<AsyncSmtpConnection> {
        loop {
            let (mut conn, since) = self.lock_idle().pop()?;
            if since.elapsed() < SMTP_IDLE_TIMEOUT && conn.test_connected().await {
                return Some(conn);
            }
            quit(conn).await;
        }
    }

    /// Removes the idle connections unused for `idle_for` or longer, for closing.
    fn take_idle(&self, idle_for: Duration) -> Vec<AsyncSmtpConnection> {
        let mut idle = self.lock_idle();
        let (stale, kept) = idle
            .drain(..)
            .partition::<Vec<_>, _>(|(_, since)| since.elapsed() >= idle_for);
        *idle = kept;
        stale.into_iter().map(|(conn, _)| conn).collect()
    }

    fn lock_idle(&self) -> std::sync::MutexGuard<'_, Vec<(AsyncSmtpConnection, Instant)>> {
        // The list stays consistent whatever panicked while holding it.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Says QUIT (lettre's `abort`) and closes, giving up on a server that does not answer.
async fn quit(mut conn: AsyncSmtpConnection) {
    let _ = tokio::time::timeout(SMTP_QUIT_TIMEOUT, conn.abort()).await;
}

/// Implicit TLS (`smtps://`) on our socket. lettre takes a custom stream only before
/// it reads the greeting, which on `smtps://` comes after the TLS handshake, and has no
/// public way to run that handshake but its `AsyncNetworkStream` (public, deprecated as
/// "not meant to be"): it does the handshake with lettre's own TLS settings (rustls,
/// the platform's certificate verifier, the host name), and this adapter presents the
/// result to lettre again as a plain Tokio stream.
#[allow(deprecated)]
#[derive(Debug)]
struct TlsFirst(AsyncNetworkStream);

#[allow(deprecated)]
impl TlsFirst {
    async fn handshake(socket: TcpStream, parameters: TlsParameters) -> Result<Self, SendError> {
        let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(socket));
        stream.upgrade_tls(parameters).await.map_err(classify)?;
        Ok(Self(stream))
    }
}

impl tokio::io::AsyncRead for TlsFirst {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        use futures_util::io::AsyncRead;
        let read = Pin::new(&mut self.0).poll_read(cx, buf.initialize_unfilled());
        read.map_ok(|n| buf.advance(n))
    }
}

impl tokio::io::AsyncWrite for TlsFirst {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_util::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        futures_util::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        futures_util::io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

impl AsyncTokioStream for TlsFirst {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        #[allow(deprecated)]
        self.0.peer_addr()
    }
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

    #[test]
    fn the_url_picks_implicit_tls_starttls_or_starttls_when_offered() {
        let server = |url: &str| SmtpServer::from_url(&url.parse().unwrap()).unwrap();
        let smtps = server("smtps://mail.example.org");
        assert!(matches!(smtps.tls, Tls::Wrapper(_)));
        assert_eq!(smtps.describe(), "smtps://mail.example.org:465");
        assert!(matches!(
            server("smtp://mail.example.org:587?tls=required").tls,
            Tls::Required(_)
        ));
        let plain = server("smtp://[::1]");
        assert!(matches!(plain.tls, Tls::Opportunistic(_)));
        assert_eq!((plain.host.as_str(), plain.port), ("::1", 25));
        assert_eq!(plain.describe(), "smtp://[::1]:25");
        assert!(plain.credentials.is_none());
    }

    #[tokio::test]
    async fn consecutive_emails_share_one_connection_with_nagle_off() {
        let smtp = TestServer::start(Offers::default()).await;
        let transport = transport(&smtp.url);
        for _ in 0..3 {
            transport.send(&stored(None)).await.unwrap();
        }
        assert_eq!(smtp.connections(), 1);
        assert_eq!(smtp.messages(), 3);
        assert_eq!(smtp.count("EHLO"), 1, "greeted once");
        // Without it each message waited 40 ms for the server's delayed ACK.
        let Kind::Smtp(pool) = &transport.kind else {
            unreachable!()
        };
        assert!(pool.server.open_socket().await.unwrap().nodelay().unwrap());

        transport.shutdown().await;
        smtp.wait_for("QUIT").await;
    }

    #[tokio::test]
    async fn a_connection_the_server_closed_is_replaced_without_losing_the_email() {
        let smtp = TestServer::start(Offers {
            hang_up_after_each_message: true,
            ..Offers::default()
        })
        .await;
        let transport = transport(&smtp.url);
        transport.send(&stored(None)).await.unwrap();
        transport.send(&stored(None)).await.unwrap();
        assert_eq!((smtp.connections(), smtp.messages()), (2, 2));
    }

    #[tokio::test]
    async fn a_refusal_is_sorted_and_the_next_email_still_goes() {
        let smtp = TestServer::start(Offers {
            refuse_rcpt: Some("550 5.1.1 no such user\r\n"),
            ..Offers::default()
        })
        .await;
        let transport = transport(&smtp.url);
        let error = transport.send(&stored(None)).await.unwrap_err();
        assert!(error.is_permanent(), "{error}");
        smtp.offers().refuse_rcpt = Some("451 4.3.0 try later\r\n");
        let error = transport.send(&stored(None)).await.unwrap_err();
        assert!(!error.is_permanent(), "{error}");
        smtp.offers().refuse_rcpt = None;
        transport.send(&stored(None)).await.unwrap();
        assert_eq!(smtp.messages(), 1);
    }

    #[tokio::test]
    async fn starttls_is_used_when_offered_and_insisted_on_when_required() {
        // Offered (and then failing here): the mail is not sent in the clear.
        let smtp = TestServer::start(Offers {
            starttls: true,
            ..Offers::default()
        })
        .await;
        let error = transport(&smtp.url).send(&stored(None)).await.unwrap_err();
        assert!(!error.is_permanent(), "{error}");
        assert_eq!(smtp.count("STARTTLS"), 1);
        assert_eq!((smtp.count("MAIL"), smtp.messages()), (0, 0));

        // Not offered: required refuses the server, opportunistic sends in the clear.
        let smtp = TestServer::start(Offers::default()).await;
        let required = format!("{}?tls=required", smtp.url);
        assert!(transport(&required).send(&stored(None)).await.is_err());
        assert_eq!(smtp.count("MAIL"), 0);
        transport(&smtp.url).send(&stored(None)).await.unwrap();
        assert_eq!(smtp.messages(), 1);
    }

    #[tokio::test]
    async fn smtps_speaks_tls_from_the_first_byte() {
        let smtp = TestServer::start(Offers::default()).await;
        let url = smtp.url.replacen("smtp://", "smtps://", 1);
        let error = transport(&url).send(&stored(None)).await.unwrap_err();
        assert!(!error.is_permanent(), "{error}");
        assert_eq!(smtp.count("EHLO"), 0, "the handshake came first and failed");
        assert_eq!(smtp.messages(), 0);
    }

    #[tokio::test]
    async fn the_credentials_of_the_url_log_in() {
        use base64::Engine;
        let smtp = TestServer::start(Offers {
            auth: true,
            ..Offers::default()
        })
        .await;
        let url = smtp.url.replacen("smtp://", "smtp://dana%40x:p%3Ass@", 1);
        transport(&url).send(&stored(None)).await.unwrap();
        let auth = smtp.commands_starting("AUTH PLAIN ");
        let [line] = auth.as_slice() else {
            panic!("one AUTH expected: {auth:?}")
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(line.trim_start_matches("AUTH PLAIN "))
            .unwrap();
        assert_eq!(decoded, b"\0dana@x\0p:ss");
        assert_eq!(smtp.messages(), 1);
    }

    fn transport(url: &str) -> Transport {
        let server = SmtpServer::from_url(&url.parse().unwrap()).unwrap();
        Transport {
            from: from(),
            kind: Kind::Smtp(Box::new(SmtpPool::new(server, 2))),
        }
    }

    /// What the test server advertises and how it behaves.
    #[derive(Clone, Copy, Default)]
    struct Offers {
        /// Advertises STARTTLS (and then answers it 454: it has no certificate).
        starttls: bool,
        auth: bool,
        hang_up_after_each_message: bool,
        /// The reply to RCPT, if not 250.
        refuse_rcpt: Option<&'static str>,
    }

    #[derive(Default)]
    struct Seen {
        connections: usize,
        commands: Vec<String>,
        messages: usize,
    }

    /// An SMTP server speaking just enough for lettre, recording what it was told.
    struct TestServer {
        url: String,
        offers: Arc<Mutex<Offers>>,
        seen: Arc<Mutex<Seen>>,
    }

    use std::sync::Arc;
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    impl TestServer {
        async fn start(offers: Offers) -> Self {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
            let offers = Arc::new(Mutex::new(offers));
            let seen = Arc::new(Mutex::new(Seen::default()));
            let (o, s) = (Arc::clone(&offers), Arc::clone(&seen));
            tokio::spawn(async move {
                while let Ok((socket, _)) = listener.accept().await {
                    s.lock().unwrap().connections += 1;
                    tokio::spawn(Self::session(socket, Arc::clone(&o), Arc::clone(&s)));
                }
            });
            Self { url, offers, seen }
        }

        async fn session(socket: TcpStream, offers: Arc<Mutex<Offers>>, seen: Arc<Mutex<Seen>>) {
            let (read, mut write) = socket.into_split();
            let mut read = BufReader::new(read);
            let _ = write.write_all(b"220 test ESMTP\r\n").await;
            let mut line = String::new();
            loop {
                line.clear();
                if !matches!(read.read_line(&mut line).await, Ok(n) if n > 0) {
                    return;
                }
                let command = line.trim_end().to_owned();
                seen.lock().unwrap().commands.push(command.clone());
                let offers = *offers.lock().unwrap();
                let verb = command
                    .split(' ')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_uppercase();
                let reply = match verb.as_str() {
                    "EHLO" => {
                        let mut r = String::from("250-test\r\n");
                        if offers.starttls {
                            r.push_str("250-STARTTLS\r\n");
                        }
                        if offers.auth {
                            r.push_str("250-AUTH PLAIN LOGIN\r\n");
                        }
                        r + "250 8BITMIME\r\n"
                    }
                    "STARTTLS" => "454 4.7.0 TLS not available\r\n".into(),
                    "AUTH" => "235 2.7.0 welcome\r\n".into(),
                    "RCPT" => offers.refuse_rcpt.unwrap_or("250 ok\r\n").into(),
                    "MAIL" | "NOOP" | "RSET" => "250 ok\r\n".into(),
                    "QUIT" => {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    }
                    "DATA" => {
                        let _ = write.write_all(b"354 go ahead\r\n").await;
                        loop {
                            line.clear();
                            if !matches!(read.read_line(&mut line).await, Ok(n) if n > 0) {
                                return;
                            }
                            if line == ".\r\n" {
                                break;
                            }
                        }
                        seen.lock().unwrap().messages += 1;
                        if offers.hang_up_after_each_message {
                            let _ = write.write_all(b"250 queued\r\n").await;
                            return;
                        }
                        "250 queued\r\n".into()
                    }
                    _ => "502 not implemented\r\n".into(),
                };
                if write.write_all(reply.as_bytes()).await.is_err() {
                    return;
                }
            }
        }

        fn offers(&self) -> std::sync::MutexGuard<'_, Offers> {
            self.offers.lock().unwrap()
        }

        fn connections(&self) -> usize {
            self.seen.lock().unwrap().connections
        }

        fn messages(&self) -> usize {
            self.seen.lock().unwrap().messages
        }

        fn commands_starting(&self, prefix: &str) -> Vec<String> {
            let seen = self.seen.lock().unwrap();
            let prefix = prefix.to_ascii_uppercase();
            seen.commands
                .iter()
                .filter(|c| c.to_ascii_uppercase().starts_with(&prefix))
                .cloned()
                .collect()
        }

        fn count(&self, verb: &str) -> usize {
            self.commands_starting(verb).len()
        }

        /// Waits (a few seconds at most) for the server to be told `verb`.
        async fn wait_for(&self, verb: &str) {
            for _ in 0..200 {
                if self.count(verb) > 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the server was never told {verb}");
        }
    }

    fn tempfile_dir() -> PathBuf {
        std::env::temp_dir().join(format!("convene-eml-{}", uuid::Uuid::new_v4()))
    }
}
