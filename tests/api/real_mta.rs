//! Against a real mail server (issue 19): Debian's Postfix, with Dovecot checking SMTP
//! passwords and serving the bounce mailbox, behind a private CA made with openssl for the
//! test. It shows that the password never crosses a connection without TLS, that the
//! private CA is trusted through `CONVENE_SMTP_CA_FILE`, and that a bounce Postfix makes
//! for an unknown local user comes back over IMAP and shows on the invitation.
//!
//! Needs root, `postfix`, `dovecot-imapd` and `openssl` (installed by `.ci/run` and
//! `scripts/test.sh`); without them the test says so and passes, except under `CI=true`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::bounce_mailbox::{
    chown_all, dovecot_available, id_of, set_mode, Dovecot, SMTP_PASSWORD, SMTP_USER, USER,
};
use crate::helpers::{free_port, spawn_app_with, wait_until, Session, TestApp};
use crate::invitations::{invite, SLUG};

const POSTFIX: &str = "/usr/sbin/postfix";

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA made for this test, and a certificate it signed for localhost and 127.0.0.1.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn make() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        run(Command::new("openssl")
            .current_dir(d)
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            ])
            .args([
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-subj",
                "/CN=convene test CA",
            ])
            .args(["-addext", "basicConstraints=critical,CA:TRUE"])
            .args(["-addext", "keyUsage=critical,keyCertSign,cRLSign"]));
        run(Command::new("openssl")
            .current_dir(d)
            .args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
            ])
            .args(["-keyout", "server.key", "-out", "server.csr"]));
        std::fs::write(
            d.join("server.ext"),
            "subjectAltName = DNS:localhost, IP:127.0.0.1\n\
             basicConstraints = CA:FALSE\n\
             keyUsage = digitalSignature, keyEncipherment\n\
             extendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        run(Command::new("openssl")
            .current_dir(d)
            .args([
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
            ])
            .args(["-CAcreateserial", "-days", "2", "-out", "server.pem"])
            .args(["-extfile", "server.ext"]));
        set_mode(d, 0o755);
        for f in ["ca.pem", "server.pem", "server.key"] {
            set_mode(&d.join(f), 0o644);
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// Postfix in a temp dir, with two listeners on 127.0.0.1: one that offers STARTTLS and
/// takes passwords only under TLS, one that offers no TLS and would take a password in
/// the clear. Local mail to `bounces` goes to the Dovecot mailbox; any other local user
/// is accepted, then bounced as unknown. Stopped on drop.
struct Postfix {
    dir: tempfile::TempDir,
    starttls_port: u16,
    plain_port: u16,
}

impl Postfix {
    fn start(pki: &Pki, dovecot: &Dovecot) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        set_mode(d, 0o755);
        for sub in ["etc", "queue", "data"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        chown_all(
            &d.join("data"),
            id_of("-u", "postfix"),
            id_of("-g", "postfix"),
        );
        let (starttls_port, plain_port) = (free_port(), free_port());
        let main = format!(
            "compatibility_level = 3.6\n\
             queue_directory = {d}/queue\n\
             data_directory = {d}/data\n\
             mail_owner = postfix\n\
             setgid_group = postdrop\n\
             maillog_file_prefixes = {d}\n\
             maillog_file = {d}/postfix.log\n\
             inet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\n\
             myhostname = localhost\n\
             mydomain = localhost\n\
             myorigin = localhost\n\
             mydestination = localhost\n\
             mynetworks = 127.0.0.0/8\n\
             # Unknown local users are accepted, then bounced: the bounce under test.\n\
             local_recipient_maps =\n\
             alias_maps = hash:{d}/etc/aliases\n\
             alias_database = hash:{d}/etc/aliases\n\
             # Deliveries to the mailbox's folder run as Dovecot's user, who reads it.\n\
             default_privs = dovecot\n\
             smtputf8_enable = no\n\
             biff = no\n\
             smtpd_tls_cert_file = {cert}\n\
             smtpd_tls_key_file = {key}\n\
             smtpd_tls_loglevel = 1\n\
             smtpd_sasl_auth_enable = yes\n\
             smtpd_sasl_type = dovecot\n\
             smtpd_sasl_path = {auth}\n\
             smtpd_relay_restrictions = permit_sasl_authenticated, reject\n\
             smtpd_recipient_restrictions = permit_sasl_authenticated, reject\n",
            d = d.display(),
            cert = pki.path("server.pem").display(),
            key = pki.path("server.key").display(),
            auth = dovecot.auth_socket().display(),
        );
        std::fs::write(d.join("etc/main.cf"), main).unwrap();
        // Debian's services, none chrooted (the temp queue has no chroot tree), with the
        // two listeners in place of the `smtp inet` line.
        let master = std::fs::read_to_string("/etc/postfix/master.cf")
            .or_else(|_| std::fs::read_to_string("/usr/share/postfix/master.cf.dist"))
            .expect("Debian's master.cf");
        let mut lines = Vec::new();
        for line in master.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if line.starts_with(|c: char| c.is_ascii_alphanumeric()) && fields.len() >= 8 {
                if fields[0] == "smtp" && fields[1] == "inet" {
                    lines.push(format!(
                        "127.0.0.1:{starttls_port} inet n - n - - smtpd\n  \
                         -o syslog_name=postfix/starttls\n  \
                         -o smtpd_tls_security_level=may\n  -o smtpd_tls_auth_only=yes"
                    ));
                    lines.push(format!(
                        "127.0.0.1:{plain_port} inet n - n - - smtpd\n  \
                         -o syslog_name=postfix/plain\n  \
                         -o smtpd_tls_security_level=none\n  -o smtpd_tls_auth_only=no"
                    ));
                    continue;
                }
                let mut fields: Vec<String> = fields.iter().map(|f| (*f).to_owned()).collect();
                if fields[4] == "y" || fields[4] == "-" {
                    fields[4] = "n".into();
                }
                lines.push(fields.join(" "));
            } else {
                lines.push(line.to_owned());
            }
        }
        std::fs::write(d.join("etc/master.cf"), lines.join("\n") + "\n").unwrap();
        std::fs::write(
            d.join("etc/aliases"),
            format!("{USER}: {}/\n", dovecot.maildir().display()),
        )
        .unwrap();
        let etc = d.join("etc");
        run(Command::new("postalias")
            .arg("-c")
            .arg(&etc)
            .arg(etc.join("aliases")));
        run(Command::new(POSTFIX).arg("-c").arg(&etc).arg("start"));
        let postfix = Self {
            dir,
            starttls_port,
            plain_port,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        for port in [starttls_port, plain_port] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "postfix did not listen on {port}; its log:\n{}",
                    postfix.log()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        postfix
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postfix.log")).unwrap_or_default()
    }

    /// The log lines of one listener (`starttls` or `plain`).
    fn log_of(&self, listener: &str) -> Vec<String> {
        let tag = format!("postfix/{listener}/");
        self.log()
            .lines()
            .filter(|l| l.contains(&tag))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new(POSTFIX)
            .arg("-c")
            .arg(self.dir.path().join("etc"))
            .arg("abort")
            .output();
    }
}

fn available() -> bool {
    let ok = dovecot_available()
        && Path::new(POSTFIX).exists()
        && Command::new("openssl").arg("version").output().is_ok();
    if !ok {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true: the real-MTA test needs root, postfix, dovecot-imapd and openssl"
        );
        eprintln!("skipped: the real-MTA test needs root, postfix, dovecot-imapd and openssl");
    }
    ok
}

async fn email_of(app: &TestApp, admin: &Session) -> Value {
    let list = app
        .get_json_as(admin, &format!("/api/v1/events/{SLUG}/emails"))
        .await;
    list["items"][0].clone()
}

#[actix_web::test]
async fn with_postfix_the_password_needs_tls_the_private_ca_is_trusted_and_a_bounce_comes_back() {
    if !available() {
        return;
    }
    let pki = Pki::make();
    let dovecot = Dovecot::start_with_tls(&pki.path("server.pem"), &pki.path("server.key"));
    let postfix = Postfix::start(&pki, &dovecot);
    let ca = pki.path("ca.pem").display().to_string();
    let from = format!("Convene <{USER}@localhost>");

    // A listener without STARTTLS: convene refuses to send the password there.
    let plain_url = format!(
        "smtp://{SMTP_USER}:{SMTP_PASSWORD}@localhost:{}",
        postfix.plain_port
    );
    let plain = spawn_app_with(&[
        ("CONVENE_SMTP_URL", &plain_url),
        ("CONVENE_SMTP_CA_FILE", &ca),
        ("CONVENE_MAIL_FROM", &from),
    ])
    .await;
    let admin = plain.admin().await;
    plain.create_event(&admin, SLUG).await;
    invite(&plain, &admin, SLUG, "dana@localhost").await;
    wait_until(
        "the send to be refused",
        Duration::from_secs(20),
        async || {
            let email = email_of(&plain, &admin).await;
            match email["last_error"].as_str() {
                Some(e) if e.contains("STARTTLS") => Ok(()),
                _ => Err(format!("{email}")),
            }
        },
    )
    .await;
    assert_eq!(email_of(&plain, &admin).await["status"], "pending");
    let plain_log = postfix.log_of("plain");
    assert!(
        plain_log.iter().any(|l| l.contains("connect from")),
        "convene did connect: {plain_log:?}"
    );
    assert!(
        !plain_log
            .iter()
            .any(|l| l.contains("sasl_") || l.contains("AUTH")),
        "no password was offered in the clear: {plain_log:?}"
    );
    assert!(!dovecot.log().contains(SMTP_USER), "{}", dovecot.log());
    plain.stop().await;

    // The STARTTLS listener, trusted through the private CA: the invitation goes out, an
    // unknown local user makes Postfix bounce it to the sender's mailbox, and the sweeper
    // reads the bounce back over IMAP.
    let url = format!(
        "smtp://{SMTP_USER}:{SMTP_PASSWORD}@localhost:{}",
        postfix.starttls_port
    );
    let imap = dovecot.url();
    let app = spawn_app_with(&[
        ("CONVENE_SMTP_URL", &url),
        ("CONVENE_SMTP_CA_FILE", &ca),
        ("CONVENE_MAIL_FROM", &from),
        ("CONVENE_BOUNCE_IMAP_URL", &imap),
        ("CONVENE_SWEEP_INTERVAL_MS", "200"),
    ])
    .await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    let invitation = invite(&app, &admin, SLUG, "nobody123@localhost").await;
    let path = format!(
        "/api/v1/events/{SLUG}/invitations/{}",
        invitation["id"].as_str().unwrap()
    );
    wait_until(
        "the invitation to show its email bounced",
        Duration::from_secs(30),
        async || {
            let shown = app.get_json_as(&admin, &path).await;
            match shown["email_status"].as_str() {
                Some("bounced") => Ok(()),
                other => Err(format!(
                    "email_status {other:?}; email {}\npostfix:\n{}\ndovecot:\n{}",
                    email_of(&app, &admin).await,
                    postfix.log(),
                    dovecot.log()
                )),
            }
        },
    )
    .await;
    let email = email_of(&app, &admin).await;
    let reason = email["last_error"].as_str().unwrap_or_default();
    assert!(reason.contains("5.1.1"), "{email}");
    let tls_log = postfix.log_of("starttls");
    assert!(
        tls_log
            .iter()
            .any(|l| l.contains("TLS connection established")),
        "{tls_log:?}"
    );
    assert!(
        tls_log
            .iter()
            .any(|l| l.contains(&format!("sasl_username={SMTP_USER}"))),
        "{tls_log:?}"
    );
    // The report is deleted from the mailbox once applied: flagged, then expunged, a
    // moment after the bounce is recorded (a run saw its file still there, flagged `T`).
    wait_until(
        "the report to be expunged from the mailbox",
        Duration::from_secs(10),
        async || match dovecot.messages() {
            left if left.is_empty() => Ok(()),
            left => Err(format!("{left:?}")),
        },
    )
    .await;
}
