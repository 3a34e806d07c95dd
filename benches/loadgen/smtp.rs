//! A mail sink: speaks enough ESMTP over TCP for lettre, accepts every message and
//! counts it with the time it arrived. Nothing is kept but the count.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

#[derive(Default)]
struct Counts {
    received: AtomicUsize,
    /// When the first and the latest message of the current window arrived.
    window: Mutex<(Option<Instant>, Option<Instant>)>,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    counts: Arc<Counts>,
}

impl SmtpSink {
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let counts = Arc::new(Counts::default());
        let accepted = Arc::clone(&counts);
        actix_rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counts = Arc::clone(&accepted);
                actix_rt::spawn(async move {
                    let _ = session(stream, &counts).await;
                });
            }
        });
        Ok(Self { port, counts })
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> usize {
        self.counts.received.load(Ordering::SeqCst)
    }

    /// Starts a new window for [`Self::window`].
    pub fn reset_window(&self) {
        *self.counts.window.lock().expect("window lock") = (None, None);
    }

    /// First and latest arrival since [`Self::reset_window`].
    pub fn window(&self) -> (Option<Instant>, Option<Instant>) {
        *self.counts.window.lock().expect("window lock")
    }
}

async fn session(stream: TcpStream, counts: &Counts) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 loadgen ESMTP\r\n").await?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-loadgen\r\n250 8BITMIME\r\n",
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            "DATA" => {
                write.write_all(b"354 go ahead\r\n").await?;
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                }
                counts.received.fetch_add(1, Ordering::SeqCst);
                let now = Instant::now();
                let mut window = counts.window.lock().expect("window lock");
                window.0.get_or_insert(now);
                window.1 = Some(now);
                b"250 queued\r\n"
            }
            _ => b"502 not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
}
