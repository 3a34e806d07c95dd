//! An SMTP server speaking just enough for lettre over TCP, recording what it was told,
//! for the transport's own tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio_rustls::rustls::{self, pki_types};
use tokio_rustls::TlsAcceptor;

/// What the test server advertises and how it behaves.
#[derive(Clone, Copy, Default)]
pub(super) struct Offers {
    /// Advertises STARTTLS (and then answers it 454: it has no certificate).
    pub starttls: bool,
    pub auth: bool,
    pub pipelining: bool,
    pub hang_up_after_each_message: bool,
    /// The reply to RCPT, if not 250.
    pub refuse_rcpt: Option<&'static str>,
    /// The reply to MAIL, if not 250.
    pub refuse_mail: Option<&'static str>,
}

#[derive(Default)]
struct Seen {
    connections: usize,
    commands: Vec<String>,
    /// The commands read while the next one had already arrived (pipelined).
    followed_at_once: Vec<String>,
    messages: usize,
}

/// An SMTP server speaking just enough for lettre, recording what it was told.
pub(super) struct TestServer {
    pub url: String,
    offers: Arc<Mutex<Offers>>,
    seen: Arc<Mutex<Seen>>,
}

impl TestServer {
    pub async fn start(offers: Offers) -> Self {
        Self::listen(offers, None).await
    }

    /// A server speaking TLS from the first byte (`smtps://`) with the certificate and
    /// key of `tests/fixtures/<name>.pem` and `<name>.key`.
    pub async fn start_tls(offers: Offers, name: &str) -> Self {
        let fixture = |ext: &str| {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
            std::fs::read(dir.join(format!("{name}.{ext}"))).unwrap()
        };
        use pki_types::pem::PemObject;
        let certificates = pki_types::CertificateDer::pem_slice_iter(&fixture("pem"))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = pki_types::PrivateKeyDer::from_pem_slice(&fixture("key")).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(certificates, key)
            .unwrap();
        Self::listen(offers, Some(TlsAcceptor::from(Arc::new(config)))).await
    }

    async fn listen(offers: Offers, tls: Option<TlsAcceptor>) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let scheme = if tls.is_some() { "smtps" } else { "smtp" };
        let port = listener.local_addr().unwrap().port();
        let url = format!("{scheme}://127.0.0.1:{port}");
        let offers = Arc::new(Mutex::new(offers));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let (o, s) = (Arc::clone(&offers), Arc::clone(&seen));
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                s.lock().unwrap().connections += 1;
                let (o, s) = (Arc::clone(&o), Arc::clone(&s));
                match &tls {
                    None => drop(tokio::spawn(Self::session(socket, o, s))),
                    Some(acceptor) => {
                        let accepting = acceptor.accept(socket);
                        tokio::spawn(async move {
                            // A client that refuses our certificate ends here.
                            if let Ok(stream) = accepting.await {
                                Self::session(stream, o, s).await;
                            }
                        });
                    }
                }
            }
        });
        Self { url, offers, seen }
    }

    async fn session<S>(socket: S, offers: Arc<Mutex<Offers>>, seen: Arc<Mutex<Seen>>)
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (read, mut write) = tokio::io::split(socket);
        let mut read = BufReader::new(read);
        let _ = write.write_all(b"220 test ESMTP\r\n").await;
        let mut line = String::new();
        loop {
            line.clear();
            if !matches!(read.read_line(&mut line).await, Ok(n) if n > 0) {
                return;
            }
            let command = line.trim_end().to_owned();
            {
                let mut seen = seen.lock().unwrap();
                seen.commands.push(command.clone());
                if !read.buffer().is_empty() {
                    seen.followed_at_once.push(command.clone());
                }
            }
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
                    if offers.pipelining {
                        r.push_str("250-PIPELINING\r\n");
                    }
                    r + "250 8BITMIME\r\n"
                }
                "STARTTLS" => "454 4.7.0 TLS not available\r\n".into(),
                "AUTH" => "235 2.7.0 welcome\r\n".into(),
                "RCPT" => offers.refuse_rcpt.unwrap_or("250 ok\r\n").into(),
                "MAIL" => offers.refuse_mail.unwrap_or("250 ok\r\n").into(),
                "NOOP" | "RSET" => "250 ok\r\n".into(),
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

    pub fn offers(&self) -> std::sync::MutexGuard<'_, Offers> {
        self.offers.lock().unwrap()
    }

    pub fn connections(&self) -> usize {
        self.seen.lock().unwrap().connections
    }

    pub fn messages(&self) -> usize {
        self.seen.lock().unwrap().messages
    }

    pub fn commands_starting(&self, prefix: &str) -> Vec<String> {
        let seen = self.seen.lock().unwrap();
        let prefix = prefix.to_ascii_uppercase();
        seen.commands
            .iter()
            .filter(|c| c.to_ascii_uppercase().starts_with(&prefix))
            .cloned()
            .collect()
    }

    /// The commands that arrived with the next one already behind them, in order.
    pub fn pipelined(&self) -> Vec<String> {
        self.seen.lock().unwrap().followed_at_once.clone()
    }

    pub fn count(&self, verb: &str) -> usize {
        self.commands_starting(verb).len()
    }

    /// Waits (a few seconds at most) for the server to be told `verb`.
    pub async fn wait_for(&self, verb: &str) {
        for _ in 0..200 {
            if self.count(verb) > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the server was never told {verb}");
    }
}
