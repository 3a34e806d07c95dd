//! The bounce mailbox (issue 19): the sweeper reads `CONVENE_BOUNCE_IMAP_URL` over TLS
//! (a real Dovecot, trusted through `CONVENE_SMTP_CA_FILE`), applies each delivery report
//! as `POST /bounces` would, deletes it, and keeps what is not a report, seen.
//!
//! Needs Debian's `dovecot-imapd` and root (Dovecot switches to its own users); `.ci/run`
//! and `scripts/test.sh` install it. Without them the test says so and passes, except
//! under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::bounces::bounce_report;
use crate::helpers::{free_port, spawn_app_with, wait_until};
use crate::invitations::{invite, SLUG};

const DOVECOT: &str = "/usr/sbin/dovecot";
pub const USER: &str = "bounces";
const PASSWORD: &str = "a-mailbox-password";
/// A second user, for the SMTP authentication that Postfix asks Dovecot about.
pub const SMTP_USER: &str = "convene";
pub const SMTP_PASSWORD: &str = "an-smtp-password";

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Whether this machine can run Dovecot for the test; under CI=true it must.
pub fn dovecot_available() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let ok = root && Path::new(DOVECOT).exists();
    if !ok {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true: the bounce mailbox test needs root and {DOVECOT} (dovecot-imapd)"
        );
        eprintln!("skipped: the bounce mailbox test needs root and {DOVECOT} (apt-get install dovecot-imapd)");
    }
    ok
}

pub fn id_of(flag: &str, name: &str) -> u32 {
    let out = Command::new("id").args([flag, name]).output().expect("id");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no system user {name} (installed with dovecot-core)"))
}

/// Dovecot on a free port of 127.0.0.1, IMAP over TLS only, one mailbox, and an
/// authentication socket for Postfix (`auth_socket`); stopped on drop.
pub struct Dovecot {
    dir: tempfile::TempDir,
    port: u16,
    child: Child,
    uid: u32,
    gid: u32,
}

impl Dovecot {
    pub fn start() -> Self {
        Self::start_with_tls(
            &fixture("smtp-test-server.pem"),
            &fixture("smtp-test-server.key"),
        )
    }

    /// With this certificate and key (PEM files).
    pub fn start_with_tls(cert: &Path, key: &Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let (uid, gid) = (id_of("-u", "dovecot"), id_of("-g", "dovecot"));
        let port = free_port();
        std::fs::create_dir_all(d.join("run")).unwrap();
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(d.join("mail/Maildir").join(sub)).unwrap();
        }
        std::fs::write(
            d.join("passwd"),
            format!(
                "{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{mail}\n\
                 {SMTP_USER}:{{PLAIN}}{SMTP_PASSWORD}:{uid}:{gid}::{mail}\n",
                mail = d.join("mail").display()
            ),
        )
        .unwrap();
        let conf = format!(
            "base_dir = {d}/run\n\
             state_dir = {d}/run/state\n\
             log_path = {d}/dovecot.log\n\
             protocols = imap\n\
             listen = 127.0.0.1\n\
             ssl = required\n\
             ssl_cert = <{cert}\n\
             ssl_key = <{key}\n\
             disable_plaintext_auth = yes\n\
             auth_mechanisms = plain login\n\
             passdb {{\n  driver = passwd-file\n  args = {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={d}/mail\n}}\n\
             mail_location = maildir:{d}/mail/Maildir\n\
             service imap-login {{\n  inet_listener imap {{\n    port = 0\n  }}\n  \
               inet_listener imaps {{\n    address = 127.0.0.1\n    port = {port}\n    ssl = yes\n  }}\n}}\n\
             default_internal_user = dovecot\n\
             service auth {{\n  unix_listener {d}/run/auth-postfix {{\n    mode = 0666\n  }}\n}}\n\
             default_login_user = dovenull\n\
             first_valid_uid = {uid}\n",
            d = d.display(),
            cert = cert.display(),
            key = key.display(),
        );
        std::fs::write(d.join("dovecot.conf"), conf).unwrap();
        chown_all(&d.join("mail"), uid, gid);
        // Dovecot's users must reach the temp dir.
        set_mode(d, 0o755);
        let child = Command::new(DOVECOT)
            .args(["-F", "-c"])
            .arg(d.join("dovecot.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dovecot starts");
        let dovecot = Self {
            dir,
            port,
            child,
            uid,
            gid,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "dovecot did not listen; its log:\n{}",
                dovecot.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        dovecot
    }

    pub fn url(&self) -> String {
        format!("imaps://{USER}:{PASSWORD}@localhost:{}", self.port)
    }

    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail/Maildir")
    }

    /// Delivers a message into the mailbox, as the MTA's local delivery would.
    fn deliver(&self, name: &str, raw: &str) {
        let tmp = self.maildir().join("tmp").join(name);
        std::fs::write(&tmp, raw).unwrap();
        std::os::unix::fs::chown(&tmp, Some(self.uid), Some(self.gid)).unwrap();
        std::fs::rename(&tmp, self.maildir().join("new").join(name)).unwrap();
    }

    /// The messages left in the mailbox: file names in `cur` and `new` (flags after `:2,`).
    pub fn messages(&self) -> Vec<String> {
        let mut names = Vec::new();
        for sub in ["new", "cur"] {
            for e in std::fs::read_dir(self.maildir().join(sub)).unwrap() {
                names.push(e.unwrap().file_name().to_string_lossy().into_owned());
            }
        }
        names
    }

    /// The socket Postfix asks to check SMTP passwords (`smtpd_sasl_type = dovecot`).
    pub fn auth_socket(&self) -> PathBuf {
        self.dir.path().join("run/auth-postfix")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn chown_all(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    if path.is_dir() {
        for e in std::fs::read_dir(path).unwrap() {
            chown_all(&e.unwrap().path(), uid, gid);
        }
    }
}

pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[actix_web::test]
async fn the_sweeper_reads_a_bounce_from_the_mailbox_marks_the_invitation_and_deletes_the_report() {
    if !dovecot_available() {
        return;
    }
    let dovecot = Dovecot::start();
    let ca = fixture("smtp-test-ca.pem").display().to_string();
    let url = dovecot.url();
    let app = spawn_app_with(&[
        ("CONVENE_BOUNCE_IMAP_URL", &url),
        ("CONVENE_SMTP_CA_FILE", &ca),
        ("CONVENE_SWEEP_INTERVAL_MS", "200"),
    ])
    .await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let invitation = invite(&app, &admin, SLUG, "nobody@example.org").await;
    let mail = app.wait_for_email("nobody@example.org").await;
    app.drain_outbox().await;

    dovecot.deliver(
        "1.bounce.localhost",
        &bounce_report(&mail.raw, "nobody@example.org"),
    );
    dovecot.deliver(
        "2.reply.localhost",
        "From: someone@example.org\r\nTo: bounces@localhost\r\nSubject: Re: You are invited\r\n\
         Message-ID: <reply-1@example.org>\r\n\r\nPlease take me off your list.\r\n",
    );
    let id = invitation["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/events/{SLUG}/invitations/{id}");
    wait_until(
        "the invitation to show its email bounced",
        Duration::from_secs(20),
        async || {
            let shown: Value = app.get_json_as(&admin, &path).await;
            match shown["email_status"].as_str() {
                Some("bounced") => Ok(()),
                other => Err(format!(
                    "email_status {other:?}; dovecot log:\n{}",
                    dovecot.log()
                )),
            }
        },
    )
    .await;
    // The report is deleted; the reply is kept, seen, for a person to read.
    wait_until(
        "the mailbox to be swept",
        Duration::from_secs(20),
        async || match dovecot.messages().as_slice() {
            [kept] if kept.starts_with("2.reply") && kept.ends_with(":2,S") => Ok(()),
            other => Err(format!("left: {other:?}")),
        },
    )
    .await;
    let emails = app
        .get_json_as(
            &admin,
            &format!("/api/v1/events/{SLUG}/emails?status=bounced"),
        )
        .await;
    assert_eq!(emails["total"], 1, "{emails}");
    assert!(dovecot.log().contains("TLS"), "{}", dovecot.log());
}

#[test]
fn a_mailbox_whose_certificate_is_not_trusted_is_not_logged_in_to() {
    if !dovecot_available() {
        return;
    }
    let dovecot = Dovecot::start();
    dovecot.deliver(
        "1.bounce.localhost",
        &bounce_report("Message-ID: <x@y>\r\n", "a@b"),
    );
    let url = dovecot.url();
    let ca = fixture("smtp-test-ca.pem").display().to_string();
    let settings = |with_ca: bool| {
        convene::config::BounceImapSettings::from_lookup(|name| match name {
            "CONVENE_BOUNCE_IMAP_URL" => Some(url.clone()),
            "CONVENE_SMTP_CA_FILE" if with_ca => Some(ca.clone()),
            _ => None,
        })
        .expect("valid")
        .expect("set")
    };
    let handle = |_: &[u8]| Ok::<_, String>(convene::email::bounce_mailbox::Handled::Kept);
    // The private CA is not the platform's: without CONVENE_SMTP_CA_FILE, no login.
    let e = convene::email::bounce_mailbox::drain(&settings(false), handle)
        .expect_err("an untrusted certificate");
    assert!(format!("{e:#}").contains("TLS"), "{e:#}");
    assert!(
        !dovecot.log().contains("Login: user=<bounces>"),
        "{}",
        dovecot.log()
    );
    assert_eq!(dovecot.messages().len(), 1);
    // With it, the same mailbox is read.
    let drained = convene::email::bounce_mailbox::drain(&settings(true), handle)
        .expect("read")
        .expect("handled");
    assert_eq!(drained.kept, 1);
}
