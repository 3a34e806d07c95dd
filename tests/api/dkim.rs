//! DKIM: with `CONVENE_DKIM_SELECTOR` and `CONVENE_DKIM_KEY_FILE` every email is signed
//! for the sender's domain, and a verifier (dkimpy, Debian's `python3-dkim`, installed by
//! `scripts/test.sh`) accepts the signature with the public key as DNS would publish it.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::helpers::spawn_app_with;
use crate::invitations::{invite, SLUG};

/// A 2048-bit RSA key made with `openssl genpkey` (PKCS#8 PEM, as operators make them).
const KEY_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dkim-test.key");
/// Its public key (DER, base64): the `p=` of the DNS record.
const PUBLIC_KEY: &str = include_str!("../fixtures/dkim-test.pub.b64");
const SELECTOR: &str = "convene2026";
const DOMAIN: &str = "mail.example.org";

/// Asks dkimpy whether `raw` carries a valid signature, answering its DNS query for
/// `{SELECTOR}._domainkey.{DOMAIN}` with the record an operator would publish.
fn dkim_verifies(raw: &str) -> bool {
    const SCRIPT: &str = r#"
import os, sys, dkim
record = ("v=DKIM1; k=rsa; p=" + os.environ["PUBLIC_KEY"].strip()).encode()
expected = os.environ["RECORD_NAME"]
def dns(name, timeout=5):
    name = name.decode() if isinstance(name, bytes) else name
    return record if name.rstrip(".") == expected else None
ok = dkim.verify(sys.stdin.buffer.read(), dnsfunc=dns)
print("pass" if ok else "fail")
"#;
    let mut child = Command::new("/usr/bin/python3")
        .args(["-c", SCRIPT])
        .env("PUBLIC_KEY", PUBLIC_KEY)
        .env("RECORD_NAME", format!("{SELECTOR}._domainkey.{DOMAIN}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (scripts/test.sh installs python3-dkim)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(raw.as_bytes())
        .expect("the message is written");
    let out = child.wait_with_output().expect("python3 ran");
    assert!(
        out.status.success(),
        "dkimpy failed (is python3-dkim installed?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim() == "pass"
}

#[actix_web::test]
async fn every_email_is_signed_for_the_sender_domain_and_a_verifier_accepts_it() {
    let from = format!("Summit team <events@{DOMAIN}>");
    let app = spawn_app_with(&[
        ("CONVENE_DKIM_SELECTOR", SELECTOR),
        ("CONVENE_DKIM_KEY_FILE", KEY_FILE),
        ("CONVENE_MAIL_FROM", &from),
    ])
    .await;
    let admin = app.admin().await;
    app.create_event(&admin, SLUG).await;
    invite(&app, &admin, SLUG, "dana@example.org").await;
    let email = app.wait_for_email("dana@example.org").await;

    let signature = email
        .raw
        .lines()
        .find(|l| l.starts_with("DKIM-Signature:"))
        .unwrap_or_else(|| panic!("no DKIM-Signature header:\n{}", email.raw));
    assert!(signature.contains(&format!("d={DOMAIN}")), "{signature}");
    assert!(signature.contains(&format!("s={SELECTOR}")), "{signature}");
    assert!(dkim_verifies(&email.raw), "dkimpy refused:\n{}", email.raw);

    // The verifier is not a rubber stamp: a subject changed on the way fails.
    let tampered = email.raw.replacen("\r\nSubject: ", "\r\nSubject: Fwd: ", 1);
    assert_ne!(tampered, email.raw);
    assert!(!dkim_verifies(&tampered));
}
