//! A mail sink: speaks enough ESMTP over TCP for lettre (with PIPELINING, as Postfix
//! and the large mail services offer it), accepts every message and counts it with the
//! time it arrived. Nothing is kept but the count.
//!
//! It can also stand for a distant server: each reply leaves a set time after its
//! command arrived, as if the network's round trip were that long (commands that
//! arrive together, pipelined, are answered together).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
        Self::start_away(Duration::ZERO).await
    }

    /// A sink whose every reply leaves `round_trip` after its command arrived.
    pub async fn start_away(round_trip: Duration) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let counts = Arc::new(Counts::default());
        let accepted = Arc::clone(&counts);
        actix_rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counts = Arc::clone(&accepted);
                actix_rt::spawn(async move {
                    let _ = session(stream, &counts, round_trip).await;
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

/// Reads a line, and when it came (a line already buffered came with the one before).
async fn read_line(
    lines: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    line: &mut String,
    arrived: &mut Instant,
) -> std::io::Result<usize> {
    let waited = lines.buffer().is_empty();
    let n = lines.read_line(line).await?;
    if waited {
        *arrived = Instant::now();
    }
    Ok(n)
}

async fn session(stream: TcpStream, counts: &Counts, round_trip: Duration) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    write.write_all(b"220 loadgen ESMTP\r\n").await?;
    let mut line = String::new();
    let mut arrived = Instant::now();
    // Replies to pipelined commands are written together once no command is left to
    // read, as Postfix does: written one by one, the second waited for the client's
    // delayed ACK of the first (Nagle's algorithm), 40 ms.
    let mut replies: Vec<u8> = Vec::new();
    let answer_after = |arrived: Instant| async move {
        if !round_trip.is_zero() {
            actix_rt::time::sleep_until((arrived + round_trip).into()).await;
        }
    };
    loop {
        line.clear();
        if read_line(&mut lines, &mut line, &mut arrived).await? == 0 {
            return Ok(());
        }
        answer_after(arrived).await;
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-loadgen\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
            "HELO" | "MAIL" | "RCPT" | "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                replies.extend_from_slice(b"221 bye\r\n");
                write.write_all(&replies).await?;
                return Ok(());
            }
            "DATA" => {
                // The last command of a pipelined group: the client waits for this.
                replies.extend_from_slice(b"354 go ahead\r\n");
                write.write_all(&replies).await?;
                replies.clear();
                loop {
                    line.clear();
                    if read_line(&mut lines, &mut line, &mut arrived).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                }
                answer_after(arrived).await;
                counts.received.fetch_add(1, Ordering::SeqCst);
                let now = Instant::now();
                let mut window = counts.window.lock().expect("window lock");
                window.0.get_or_insert(now);
                window.1 = Some(now);
                b"250 queued\r\n"
            }
            _ => b"502 not implemented\r\n",
        };
        replies.extend_from_slice(reply);
        if lines.buffer().is_empty() {
            write.write_all(&replies).await?;
            replies.clear();
        }
    }
}
