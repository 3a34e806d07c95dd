//! A real SMTP server for the tests, speaking enough ESMTP over TCP for lettre: it keeps
//! every message it accepts, can be stopped and started again on the same port (so the
//! service sees an outage), can be told to refuse mail with 4xx or 5xx replies, and can
//! offer AUTH without STARTTLS (to see that credentials do not cross in the clear).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinSet;

/// How long the `wait_for_*` helpers wait (generous: the machine may be busy).
pub const WAIT: Duration = Duration::from_secs(10);

/// Largest message accepted (answered 552 beyond it).
const MAX_MESSAGE: usize = 20 * 1024 * 1024;

/// The command at which the server refuses mail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Mail,
    Rcpt,
    /// After the message was transmitted (the reply to the final `.`).
    Data,
}

/// How the server answers MAIL, RCPT and DATA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Accept,
    /// `451 4.3.0` at this stage: try again later.
    Temporary(Stage),
    /// `550 5.1.1` at this stage: never try again.
    Permanent(Stage),
}

/// What a client gave in MAIL FROM and RCPT TO.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    pub from: String,
    pub to: Vec<String>,
}

/// A message as the server received it.
#[derive(Clone, Debug)]
pub struct RawMessage {
    pub envelope: Envelope,
    /// The DATA, dot-unstuffed, with its CRLF line ends.
    pub data: Vec<u8>,
}

/// The Message-ID that an email stored with `stored` goes out with from an address in
/// `sender_domain`: the unique part of the stored one (left of '@') in that domain.
pub fn sent_message_id(stored: &str, sender_domain: &str) -> String {
    let unique = stored
        .trim_start_matches('<')
        .split('@')
        .next()
        .unwrap_or_default();
    format!("<{unique}@{sender_domain}>")
}

/// A received email, parsed.
#[derive(Clone, Debug)]
pub struct ReceivedEmail {
    /// The envelope recipients (RCPT TO).
    pub to: Vec<String>,
    pub subject: String,
    /// The text/plain part ("" if there is none).
    pub text: String,
    /// The text/html part ("" if there is none).
    pub html: String,
    /// As in the header, with its angle brackets: `<...@SENDER-DOMAIN>`.
    pub message_id: String,
    pub attachments: Vec<ReceivedAttachment>,
    pub raw: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedAttachment {
    pub filename: String,
    /// `type/subtype` and its parameters, as `text/calendar; charset=utf-8; method=PUBLISH`.
    pub content_type: String,
    pub content: String,
    /// The content as sent, for binary files (images).
    pub bytes: Vec<u8>,
    /// `Content-ID` without its angle brackets, for a part the HTML shows by `cid:`.
    pub content_id: Option<String>,
}

impl ReceivedEmail {
    pub fn parse(message: &RawMessage) -> Self {
        use mail_parser::{MessageParser, MimeHeaders, PartType};

        let raw = String::from_utf8_lossy(&message.data).into_owned();
        let parsed = MessageParser::default()
            .parse(&message.data)
            .unwrap_or_else(|| {
                panic!("the test SMTP server received a message that does not parse:\n{raw}")
            });
        // mail-parser makes up a missing part from the other one: take only real ones.
        let text = parsed
            .text_part(0)
            .filter(|p| matches!(p.body, PartType::Text(_)))
            .and_then(|p| p.text_contents())
            .unwrap_or_default()
            .to_owned();
        let html = parsed
            .html_part(0)
            .filter(|p| matches!(p.body, PartType::Html(_)))
            .and_then(|p| p.text_contents())
            .unwrap_or_default()
            .to_owned();
        let attachments = parsed
            .attachments()
            .map(|part| ReceivedAttachment {
                filename: part.attachment_name().unwrap_or_default().to_owned(),
                content_type: part
                    .content_type()
                    .map(|ct| {
                        let mut s = match ct.subtype() {
                            Some(sub) => format!("{}/{}", ct.ctype(), sub),
                            None => ct.ctype().to_owned(),
                        };
                        for attr in ct.attributes().unwrap_or_default() {
                            if attr.name != "name" {
                                s.push_str(&format!("; {}={}", attr.name, attr.value));
                            }
                        }
                        s
                    })
                    .unwrap_or_default(),
                content: String::from_utf8_lossy(part.contents()).into_owned(),
                bytes: part.contents().to_vec(),
                content_id: part
                    .content_id()
                    .map(|id| id.trim_matches(['<', '>']).to_owned()),
            })
            .collect();
        ReceivedEmail {
            to: message.envelope.to.clone(),
            subject: parsed.subject().unwrap_or_default().to_owned(),
            text,
            html,
            message_id: parsed
                .message_id()
                .map(|id| format!("<{id}>"))
                .unwrap_or_default(),
            attachments,
            raw,
        }
    }

    /// The http(s) URLs in the text part, in order.
    pub fn links(&self) -> Vec<String> {
        static URL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r#"https?://[^\s<>"'\)\]]+"#).expect("pattern")
        });
        URL.find_iter(&self.text)
            .map(|m| {
                m.as_str()
                    .trim_end_matches(['.', ',', ';', ':', '!', '?'])
                    .to_owned()
            })
            .collect()
    }

    /// The only link in the text part that contains `fragment` (panics otherwise).
    pub fn link_containing(&self, fragment: &str) -> String {
        let found: Vec<String> = self
            .links()
            .into_iter()
            .filter(|l| l.contains(fragment))
            .collect();
        match found.as_slice() {
            [one] => one.clone(),
            _ => panic!(
                "expected one link containing '{fragment}' in '{}', found {found:?}; text:\n{}",
                self.subject, self.text
            ),
        }
    }

    fn is_to(&self, address: &str) -> bool {
        self.to.iter().any(|t| t.eq_ignore_ascii_case(address))
    }
}

struct Received {
    message: RawMessage,
    /// Already returned by a `wait_for_email`.
    taken: bool,
}

struct State {
    behaviour: Behaviour,
    /// Held before answering the end of DATA: a slow server.
    data_delay: Duration,
    received: Vec<Received>,
    /// Advertises `AUTH PLAIN LOGIN` (and accepts any credentials), never STARTTLS.
    offer_auth: bool,
    /// Every command line a client sent (not the message data), in order.
    commands: Vec<String>,
    /// The accept loop while the server is up (its connections die with it).
    running: Option<tokio::task::JoinHandle<()>>,
}

struct Inner {
    port: u16,
    state: Mutex<State>,
    arrived: Notify,
}

/// A test SMTP server on 127.0.0.1. Cheap to clone; clones share the server.
#[derive(Clone)]
pub struct TestSmtp {
    inner: Arc<Inner>,
}

impl TestSmtp {
    /// Starts a server on a free port.
    pub async fn start() -> Self {
        let listener = bind_free_port();
        let port = listener.local_addr().expect("local address").port();
        let smtp = TestSmtp {
            inner: Arc::new(Inner {
                port,
                state: Mutex::new(State {
                    behaviour: Behaviour::Accept,
                    data_delay: Duration::ZERO,
                    received: Vec::new(),
                    offer_auth: false,
                    commands: Vec::new(),
                    running: None,
                }),
                arrived: Notify::new(),
            }),
        };
        smtp.serve(listener);
        smtp
    }

    /// The URL to give the service: `smtp://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.inner.port)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock must not hide its own failure.
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn serve(&self, listener: TcpListener) {
        let inner = Arc::clone(&self.inner);
        let task = tokio::spawn(async move {
            // Dropping the set (when this task is aborted) closes every connection.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            connections.spawn(session(Arc::clone(&inner), stream));
                        }
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        if let Some(old) = self.state().running.replace(task) {
            old.abort();
        }
    }

    /// Stops listening and drops every open connection: the service sees refused
    /// connections until [`TestSmtp::restart`].
    pub async fn stop(&self) {
        let running = self.state().running.take();
        if let Some(task) = running {
            task.abort();
            let _ = task.await;
        }
    }

    /// Listens again on the same port (once the old listener has let go of it).
    pub async fn restart(&self) {
        let addr = format!("127.0.0.1:{}", self.inner.port);
        let listener = crate::helpers::wait_until(
            format!("the test SMTP server to listen on {addr} again"),
            WAIT,
            async || TcpListener::bind(&addr).await.map_err(|e| e.to_string()),
        )
        .await;
        self.serve(listener);
    }

    /// Sets how MAIL, RCPT and DATA are answered from now on.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        self.state().behaviour = behaviour;
    }

    /// Answers `451` at `stage` from now on.
    pub fn fail_temporarily_at(&self, stage: Stage) {
        self.set_behaviour(Behaviour::Temporary(stage));
    }

    /// Answers `550` at `stage` from now on.
    pub fn fail_permanently_at(&self, stage: Stage) {
        self.set_behaviour(Behaviour::Permanent(stage));
    }

    /// Waits this long before answering the end of each message, like a slow server.
    pub fn set_data_delay(&self, delay: Duration) {
        self.state().data_delay = delay;
    }

    /// Advertises AUTH from now on (with no STARTTLS): a server where a password would
    /// cross in the clear.
    pub fn offer_auth(&self) {
        self.state().offer_auth = true;
    }

    /// Every command line received so far (AUTH lines included, message data not).
    pub fn commands(&self) -> Vec<String> {
        self.state().commands.clone()
    }

    /// Accepts mail again.
    pub fn accept(&self) {
        self.set_behaviour(Behaviour::Accept);
    }

    /// Every message received so far, unparsed.
    pub fn raw_messages(&self) -> Vec<RawMessage> {
        self.state()
            .received
            .iter()
            .map(|r| r.message.clone())
            .collect()
    }

    /// Every email received so far, parsed.
    pub fn received(&self) -> Vec<ReceivedEmail> {
        self.raw_messages()
            .iter()
            .map(ReceivedEmail::parse)
            .collect()
    }

    /// Every email received so far for `to` (taken by a wait or not).
    pub fn emails_to(&self, to: &str) -> Vec<ReceivedEmail> {
        self.received()
            .into_iter()
            .filter(|e| e.is_to(to))
            .collect()
    }

    /// Takes every email received so far whose subject starts with `prefix` (those a
    /// test causes on the way and does not look at); how many.
    pub fn take_subjects_starting(&self, prefix: &str) -> usize {
        let mut state = self.state();
        let mut n = 0;
        for r in state.received.iter_mut().filter(|r| !r.taken) {
            if ReceivedEmail::parse(&r.message).subject.starts_with(prefix) {
                r.taken = true;
                n += 1;
            }
        }
        n
    }

    /// Emails for `to` that no wait has taken yet.
    pub fn untaken_to(&self, to: &str) -> Vec<ReceivedEmail> {
        self.state()
            .received
            .iter()
            .filter(|r| !r.taken)
            .map(|r| ReceivedEmail::parse(&r.message))
            .filter(|e| e.is_to(to))
            .collect()
    }

    /// Takes the next `n` emails for `to` that no earlier wait took, waiting up to
    /// `timeout` for them to arrive.
    pub async fn wait_for_emails_within(
        &self,
        to: &str,
        n: usize,
        timeout: Duration,
    ) -> Vec<ReceivedEmail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Registered before looking, so an arrival between the look and the wait counts.
            let arrived = self.inner.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            if let Some(taken) = self.take(to, n) {
                return taken;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let summary: Vec<String> = self
                    .state()
                    .received
                    .iter()
                    .map(|r| {
                        let e = ReceivedEmail::parse(&r.message);
                        format!(
                            "  to {:?}: {:?}{}",
                            e.to,
                            e.subject,
                            if r.taken { " (already taken)" } else { "" }
                        )
                    })
                    .collect();
                panic!(
                    "waited {:?} for {n} email(s) to {to}; the SMTP server received {}:\n{}",
                    timeout,
                    summary.len(),
                    if summary.is_empty() {
                        "  (nothing)".to_owned()
                    } else {
                        summary.join("\n")
                    }
                );
            }
        }
    }

    /// Marks and returns the first `n` untaken emails to `to`, if there are that many.
    fn take(&self, to: &str, n: usize) -> Option<Vec<ReceivedEmail>> {
        let mut state = self.state();
        let matching: Vec<usize> = state
            .received
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                !r.taken
                    && r.message
                        .envelope
                        .to
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(to))
            })
            .map(|(i, _)| i)
            .take(n)
            .collect();
        if matching.len() < n {
            return None;
        }
        Some(
            matching
                .into_iter()
                .map(|i| {
                    state.received[i].taken = true;
                    ReceivedEmail::parse(&state.received[i].message)
                })
                .collect(),
        )
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(task) = state.running.take() {
            task.abort();
        }
    }
}

/// A listener of [`crate::helpers::bind_free_port`], so that [`TestSmtp::restart`] can
/// have its port back.
fn bind_free_port() -> TcpListener {
    let listener = crate::helpers::bind_free_port();
    listener.set_nonblocking(true).expect("non-blocking");
    TcpListener::from_std(listener).expect("the test SMTP server can listen")
}

async fn session(inner: Arc<Inner>, stream: TcpStream) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    if write
        .write_all(b"220 127.0.0.1 convene test ESMTP\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut from: Option<String> = None;
    let mut to: Vec<String> = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        match read.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        let verb = text
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let (behaviour, offer_auth) = {
            let mut state = inner.state.lock().unwrap_or_else(|e| e.into_inner());
            state.commands.push(text.to_owned());
            (state.behaviour, state.offer_auth)
        };
        let refusal = |stage: Stage| match behaviour {
            Behaviour::Temporary(s) if s == stage => {
                Some("451 4.3.0 Temporary failure, try again later\r\n")
            }
            Behaviour::Permanent(s) if s == stage => Some("550 5.1.1 Mailbox unavailable\r\n"),
            _ => None,
        };
        let answer: String = match verb.as_str() {
            "EHLO" => format!(
                "250-127.0.0.1 greets you\r\n{}250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 20971520\r\n",
                if offer_auth { "250-AUTH PLAIN LOGIN\r\n" } else { "" }
            ),
            // PLAIN with the credentials on the line, as lettre sends it.
            "AUTH" if offer_auth => "235 2.7.0 Authentication successful\r\n".into(),
            "HELO" => "250 127.0.0.1\r\n".into(),
            "MAIL" => match (argument(text, "MAIL FROM:"), refusal(Stage::Mail)) {
                (None, _) => "501 5.5.4 Syntax: MAIL FROM:<address>\r\n".into(),
                (_, Some(refused)) => refused.into(),
                (Some(address), None) => {
                    from = Some(address);
                    to.clear();
                    "250 2.1.0 OK\r\n".into()
                }
            },
            "RCPT" => match (&from, argument(text, "RCPT TO:"), refusal(Stage::Rcpt)) {
                (None, _, _) => "503 5.5.1 MAIL first\r\n".into(),
                (_, None, _) => "501 5.5.4 Syntax: RCPT TO:<address>\r\n".into(),
                (_, _, Some(refused)) => refused.into(),
                (_, Some(address), None) => {
                    to.push(address);
                    "250 2.1.5 OK\r\n".into()
                }
            },
            "DATA" => {
                if from.is_none() || to.is_empty() {
                    "503 5.5.1 RCPT first\r\n".into()
                } else {
                    if write
                        .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                        .await
                        .is_err()
                    {
                        return;
                    }
                    let Some(data) = read_data(&mut read).await else {
                        return;
                    };
                    let delay = inner
                        .state
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .data_delay;
                    tokio::time::sleep(delay).await;
                    let envelope = Envelope {
                        from: from.take().unwrap_or_default(),
                        to: std::mem::take(&mut to),
                    };
                    if data.len() > MAX_MESSAGE {
                        "552 5.3.4 Message too big\r\n".into()
                    } else if let Some(refused) = refusal(Stage::Data) {
                        refused.into()
                    } else {
                        inner
                            .state
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .received
                            .push(Received {
                                message: RawMessage { envelope, data },
                                taken: false,
                            });
                        inner.arrived.notify_waiters();
                        "250 2.0.0 OK queued\r\n".into()
                    }
                }
            }
            "RSET" => {
                from = None;
                to.clear();
                "250 2.0.0 OK\r\n".into()
            }
            "NOOP" => "250 2.0.0 OK\r\n".into(),
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => "502 5.5.2 Command not recognized\r\n".into(),
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// The `<address>` after `prefix` (case-insensitive), without its brackets or parameters.
fn argument(line: &str, prefix: &str) -> Option<String> {
    let head = line.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = line[prefix.len()..].trim_start();
    let address = match rest.strip_prefix('<') {
        Some(inner) => inner.split('>').next()?,
        None => rest.split_whitespace().next()?,
    };
    Some(address.to_owned())
}

/// Reads DATA lines up to the lone `.`, undoing dot-stuffing. None if the client hung up.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(read: &mut R) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if read.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(data);
        }
        let unstuffed = if line.first() == Some(&b'.') {
            &line[1..]
        } else {
            &line[..]
        };
        // Keep reading a message that is too big, but stop storing it.
        if data.len() <= MAX_MESSAGE {
            data.extend_from_slice(unstuffed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_arguments_are_read_with_or_without_parameters() {
        assert_eq!(
            argument("MAIL FROM:<a@b.org> BODY=8BITMIME", "MAIL FROM:").as_deref(),
            Some("a@b.org")
        );
        assert_eq!(
            argument("rcpt to: <c@d.org>", "RCPT TO:").as_deref(),
            Some("c@d.org")
        );
        assert_eq!(argument("MAIL FROM:<>", "MAIL FROM:").as_deref(), Some(""));
        assert_eq!(argument("MAIL", "MAIL FROM:"), None);
    }

    #[test]
    fn links_are_read_from_the_text_part() {
        let email = ReceivedEmail {
            to: vec![],
            subject: "Your invitation".into(),
            text: "Register at http://127.0.0.1:8080/invite/abc_DEF-1.\n\
                   Manage (https://x.example/manage/t?k=v), or see <https://x.example/e>."
                .into(),
            html: String::new(),
            message_id: String::new(),
            attachments: vec![],
            raw: String::new(),
        };
        assert_eq!(
            email.links(),
            [
                "http://127.0.0.1:8080/invite/abc_DEF-1",
                "https://x.example/manage/t?k=v",
                "https://x.example/e"
            ]
        );
        assert_eq!(
            email.link_containing("/invite/"),
            "http://127.0.0.1:8080/invite/abc_DEF-1"
        );
    }

    #[actix_web::test]
    async fn dot_stuffed_lines_are_restored() {
        let input: &[u8] = b"Subject: x\r\n\r\n..leading dot\r\nplain\r\n.\r\nNOOP\r\n";
        let mut reader = BufReader::new(input);
        let data = read_data(&mut reader).await.unwrap();
        assert_eq!(data, b"Subject: x\r\n\r\n.leading dot\r\nplain\r\n");
    }
}
