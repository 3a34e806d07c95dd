//! The service under test as a child process: the binary cargo built beside this
//! harness (release for `cargo bench`), configured only through its environment.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

pub struct Server {
    child: Child,
    pub base: String,
}

/// A free local port: bound, then released for the child to bind.
fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Server {
    /// Starts the server; `env` adds to (or overrides) the variables set here.
    pub fn spawn(
        database_url: &str,
        smtp_url: &str,
        log: &Path,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(log).context("server log")?;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_convene"));
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("CONVENE_BIND", format!("127.0.0.1:{port}"))
            .env("CONVENE_BASE_URL", &base)
            .env("CONVENE_SMTP_URL", smtp_url)
            .env("CONVENE_LOG_FORMAT", "json")
            // The sweeper runs once at start, before anything is seeded, and then not
            // again: scenario 9 times the retention sweep itself, and the ended events of
            // scenario 8 must not be surveyed or anonymized behind its back.
            .env("CONVENE_SWEEP_INTERVAL_MS", "86400000")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().context("cannot start the convene binary")?;
        Ok(Self { child, base })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for `/readyz` to answer 200; returns how long that took from `since`.
    pub async fn ready(
        &mut self,
        client: &awc::Client,
        since: Instant,
    ) -> anyhow::Result<Duration> {
        let url = format!("{}/readyz", self.base);
        loop {
            if let Some(status) = self.child.try_wait()? {
                anyhow::bail!("the server exited during start-up ({status})");
            }
            if let Ok(res) = client.get(&url).send().await {
                if res.status().as_u16() == 200 {
                    return Ok(since.elapsed());
                }
            }
            anyhow::ensure!(
                since.elapsed() < Duration::from_secs(60),
                "the server was not ready within a minute"
            );
            actix_rt::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Peak resident memory since the last [`Self::reset_peak`], in MiB (`VmHWM`).
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()));
        status
            .ok()
            .and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            })
            .map_or(f64::NAN, |kib| kib / 1024.0)
    }

    /// Starts a new peak for [`Self::peak_rss_mib`] (Linux: `5` to `clear_refs`).
    pub fn reset_peak(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// Asks the server to stop (SIGTERM, as an operator would) and waits for it.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                self.child.kill()?;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
