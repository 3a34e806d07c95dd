//! An SMTP server speaking just enough for lettre over TCP, recording what it was told,
//! for the transport's own tests.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// What the test server advertises and how it behaves.
#[derive(Clone, Copy, Default)]
pub(super) struct Offers {
    /// Advertises STARTTLS (and then answers it 454: it has no certificate).
    pub starttls: bool,
    pub auth: bool,
    pub hang_up_after_each_message: bool,
    /// The reply to RCPT, if not 250.
    pub refuse_rcpt: Option<&'static str>,
}

#[derive(Default)]
struct Seen {
    connections: usize,
    commands: Vec<String>,
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
