use super::*;

fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Settings::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
}

#[test]
fn every_variable_has_a_default() {
    let s = settings(&[]).expect("defaults are valid");
    assert_eq!(s.database.url, DatabaseUrl::Sqlite("convene.db".into()));
    assert_eq!(s.server.bind.to_string(), "127.0.0.1:8080");
    assert_eq!(s.server.base_url.as_str(), "http://127.0.0.1:8080/");
    assert!(s.email.smtp.is_none());
    assert_eq!(s.email.mail_dir, PathBuf::from("mail"));
    assert_eq!(
        s.email.mail_from.to_string(),
        "convene <no-reply@localhost>"
    );
    assert!(!s.server.secure_cookies());
    assert_eq!(s.email.retry_cap, Duration::from_secs(60));
    assert_eq!(s.email.give_up_after, Duration::from_secs(72 * 3600));
    assert_eq!(s.email.poll_interval, Duration::from_millis(1000));
    assert_eq!(s.jobs.sweep_interval, Duration::from_secs(60));
    assert_eq!(s.email.send_timeout, Duration::from_secs(40));
    assert_eq!(s.database.wait, Duration::from_secs(5));
    assert!(s.auth.metrics_token.is_none());
    assert!(s.auth.bounce_token.is_none());
}

#[test]
fn operations_settings_are_read_and_checked() {
    let s = settings(&[
        ("CONVENE_EMAIL_SEND_TIMEOUT_SECS", "3"),
        ("CONVENE_DB_WAIT_MS", "1500"),
        ("CONVENE_METRICS_TOKEN", "a-long-scraper-secret"),
        ("CONVENE_BOUNCE_TOKEN", "a-long-bounce-secret"),
    ])
    .unwrap();
    assert_eq!(s.email.send_timeout, Duration::from_secs(3));
    assert_eq!(s.database.wait, Duration::from_millis(1500));
    assert_eq!(
        s.auth.metrics_token.as_deref(),
        Some("a-long-scraper-secret")
    );
    assert_eq!(s.auth.bounce_token.as_deref(), Some("a-long-bounce-secret"));
    assert!(!format!("{s:?}").contains("scraper-secret"));
    assert!(!format!("{s:?}").contains("bounce-secret"));
    for (name, bad) in [
        ("CONVENE_EMAIL_SEND_TIMEOUT_SECS", "0"),
        ("CONVENE_DB_WAIT_MS", "5"),
        ("CONVENE_METRICS_TOKEN", "short"),
        ("CONVENE_BOUNCE_TOKEN", "short"),
    ] {
        let e = settings(&[(name, bad)]).unwrap_err();
        assert_eq!(e.name, name, "{name}={bad} is refused");
    }
}

#[test]
fn the_sweep_interval_is_read_and_checked() {
    let s = settings(&[("CONVENE_SWEEP_INTERVAL_MS", "250")]).unwrap();
    assert_eq!(s.jobs.sweep_interval, Duration::from_millis(250));
    for bad in ["0", "an hour", "86400001"] {
        let e = settings(&[("CONVENE_SWEEP_INTERVAL_MS", bad)]).unwrap_err();
        assert_eq!(e.name, "CONVENE_SWEEP_INTERVAL_MS");
    }
}

#[test]
fn email_settings_are_read_and_checked() {
    let s = settings(&[
        ("CONVENE_EMAIL_RETRY_CAP_SECS", "2"),
        ("CONVENE_EMAIL_GIVE_UP_HOURS", "1"),
        ("CONVENE_EMAIL_POLL_MS", "200"),
    ])
    .unwrap();
    assert_eq!(s.email.retry_cap, Duration::from_secs(2));
    assert_eq!(s.email.give_up_after, Duration::from_secs(3600));
    assert_eq!(s.email.poll_interval, Duration::from_millis(200));
    for (name, bad) in [
        ("CONVENE_MAIL_FROM", "convene <no-reply>"),
        ("CONVENE_EMAIL_RETRY_CAP_SECS", "0"),
        ("CONVENE_EMAIL_RETRY_CAP_SECS", "a minute"),
        ("CONVENE_EMAIL_GIVE_UP_HOURS", "0"),
        ("CONVENE_EMAIL_GIVE_UP_HOURS", "-3"),
        ("CONVENE_EMAIL_POLL_MS", "1"),
    ] {
        let e = settings(&[(name, bad)]).unwrap_err();
        assert_eq!(e.name, name, "{name}={bad} is refused");
    }
}

#[test]
fn abuse_limits_and_client_timeout_are_read_and_checked() {
    let s = settings(&[]).unwrap();
    assert_eq!(
        (s.limits.token_misses, s.limits.invitation_requests),
        (30, 10)
    );
    assert_eq!(s.server.client_timeout, Duration::from_secs(10));
    let s = settings(&[
        ("CONVENE_TOKEN_MISS_LIMIT", "100000"),
        ("CONVENE_INVITATION_REQUEST_LIMIT", "500"),
        ("CONVENE_CLIENT_TIMEOUT_MS", "750"),
    ])
    .unwrap();
    assert_eq!(
        (s.limits.token_misses, s.limits.invitation_requests),
        (100_000, 500)
    );
    assert_eq!(s.server.client_timeout, Duration::from_millis(750));
    for (name, bad) in [
        ("CONVENE_TOKEN_MISS_LIMIT", "0"),
        ("CONVENE_TOKEN_MISS_LIMIT", "many"),
        ("CONVENE_INVITATION_REQUEST_LIMIT", "-1"),
        ("CONVENE_CLIENT_TIMEOUT_MS", "10"),
    ] {
        assert_eq!(
            settings(&[(name, bad)]).unwrap_err().name,
            name,
            "{name}={bad}"
        );
    }
}

#[test]
fn a_bad_database_url_names_the_variable() {
    let e = settings(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
    assert_eq!(e.name, "DATABASE_URL");
    assert!(e.to_string().contains("DATABASE_URL"));
}

#[test]
fn postgres_and_sqlite_urls_are_told_apart() {
    assert_eq!(
        DatabaseUrl::parse("postgres://u@h/db").unwrap(),
        DatabaseUrl::Postgres("postgres://u@h/db".into())
    );
    assert_eq!(
        DatabaseUrl::parse("sqlite:///tmp/x.db").unwrap(),
        DatabaseUrl::Sqlite("/tmp/x.db".into())
    );
    assert!(DatabaseUrl::parse("sqlite://").is_err());
}

#[test]
fn https_base_url_makes_cookies_secure() {
    let s = settings(&[("CONVENE_BASE_URL", "https://events.example.org")]).unwrap();
    assert!(s.server.secure_cookies());
    assert_eq!(s.server.origin(), "https://events.example.org");
}

#[test]
fn debug_output_hides_passwords() {
    let s = settings(&[
        ("DATABASE_URL", "postgres://app:db-secret@db/convene"),
        ("CONVENE_SMTP_URL", "smtp://mailer:smtp-secret@mail:587"),
    ])
    .unwrap();
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("db-secret") && !shown.contains("smtp-secret"),
        "{shown}"
    );
    assert!(shown.contains("postgres://app:***@db/convene"), "{shown}");
}

#[test]
fn bad_values_are_refused() {
    assert_eq!(
        settings(&[("CONVENE_BIND", "nope")]).unwrap_err().name,
        "CONVENE_BIND"
    );
    assert_eq!(
        settings(&[("CONVENE_SMTP_URL", "http://x")])
            .unwrap_err()
            .name,
        "CONVENE_SMTP_URL"
    );
    assert_eq!(
        settings(&[("CONVENE_BASE_URL", "ftp://x")])
            .unwrap_err()
            .name,
        "CONVENE_BASE_URL"
    );
}

#[test]
fn webhook_settings_have_defaults_and_bad_values_are_named() {
    let w = settings(&[]).expect("defaults").webhooks;
    assert_eq!(w.retry_base, Duration::from_secs(1));
    assert_eq!(w.retry_cap, Duration::from_secs(3600));
    assert_eq!(w.poll_interval, Duration::from_secs(1));
    assert_eq!(w.timeout, Duration::from_secs(10));
    assert_eq!(w.disable_after, Duration::from_secs(72 * 3600));
    let w = settings(&[("CONVENE_WEBHOOK_RETRY_BASE_MS", "100")])
        .expect("valid")
        .webhooks;
    assert_eq!(w.retry_base, Duration::from_millis(100));
    for (name, bad) in [
        ("CONVENE_WEBHOOK_RETRY_BASE_MS", "0"),
        ("CONVENE_WEBHOOK_RETRY_CAP_SECS", "soon"),
        ("CONVENE_WEBHOOK_DISABLE_AFTER_HOURS", "100000"),
    ] {
        let e = settings(&[(name, bad)]).expect_err("refused");
        assert_eq!(e.name, name);
    }
}

#[test]
fn dkim_needs_both_its_variables_and_a_key_that_signs() {
    let key = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/dkim-test.key");
    assert!(settings(&[]).unwrap().email.dkim.is_none());
    let s = settings(&[
        ("CONVENE_DKIM_SELECTOR", "convene2026"),
        ("CONVENE_DKIM_KEY_FILE", key),
    ])
    .expect("a PKCS#8 RSA key is read");
    let dkim = s.email.dkim.expect("set up");
    assert_eq!(dkim.selector, "convene2026");
    assert!(
        !format!("{dkim:?}").contains("PRIVATE"),
        "the key is hidden"
    );

    let e = settings(&[("CONVENE_DKIM_SELECTOR", "convene2026")]).unwrap_err();
    assert_eq!(e.name, "CONVENE_DKIM_KEY_FILE");
    let e = settings(&[("CONVENE_DKIM_KEY_FILE", key)]).unwrap_err();
    assert_eq!(e.name, "CONVENE_DKIM_SELECTOR");
    let e = settings(&[
        ("CONVENE_DKIM_SELECTOR", "bad selector"),
        ("CONVENE_DKIM_KEY_FILE", key),
    ])
    .unwrap_err();
    assert_eq!(e.name, "CONVENE_DKIM_SELECTOR");
    let not_a_key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/smtp-test-ca.pem"
    );
    let e = settings(&[
        ("CONVENE_DKIM_SELECTOR", "convene2026"),
        ("CONVENE_DKIM_KEY_FILE", not_a_key),
    ])
    .unwrap_err();
    assert_eq!(e.name, "CONVENE_DKIM_KEY_FILE");
    let e = settings(&[
        ("CONVENE_DKIM_SELECTOR", "convene2026"),
        ("CONVENE_DKIM_KEY_FILE", "/no/such/key.pem"),
    ])
    .unwrap_err();
    assert!(e.message.contains("cannot read"), "{}", e.message);
}
