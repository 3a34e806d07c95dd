//! `CONVENE_BOUNCE_IMAP_URL`: the mailbox where bounces arrive, read by the sweeper.
//! Only `imaps://` (TLS from the first byte) is accepted, so the password never crosses
//! in the clear; the CA of `CONVENE_SMTP_CA_FILE`, if set, is trusted for it too (the
//! mailbox is usually on the mail server convene sends through).

use std::path::PathBuf;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use url::Url;

use super::ConfigError;

const URL_VAR: &str = "CONVENE_BOUNCE_IMAP_URL";
const CA_VAR: &str = "CONVENE_SMTP_CA_FILE";

/// The bounce mailbox and how to reach it. Its `Debug` hides the password.
#[derive(Clone)]
pub struct BounceImapSettings {
    /// As the resolver wants it: an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    /// The folder to read (`INBOX` unless the URL's path names another).
    pub mailbox: String,
    /// CAs trusted besides the platform's (`CONVENE_SMTP_CA_FILE`).
    pub extra_roots: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for BounceImapSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl BounceImapSettings {
    /// The settings, or None when `CONVENE_BOUNCE_IMAP_URL` is unset.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let Some(raw) = set(URL_VAR) else {
            return Ok(None);
        };
        let err = |name: &'static str| move |message: String| ConfigError { name, message };
        let mut settings = parse_url(raw.trim()).map_err(err(URL_VAR))?;
        if let Some(path) = set(CA_VAR) {
            let path = PathBuf::from(path.trim());
            settings.extra_roots = CertificateDer::pem_file_iter(&path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("{}: {e}", path.display()))
                .and_then(|certs| {
                    if certs.is_empty() {
                        Err(format!("{}: no certificate in the file", path.display()))
                    } else {
                        Ok(certs)
                    }
                })
                .map_err(err(CA_VAR))?;
        }
        Ok(Some(settings))
    }

    /// `imaps://user@host:993/INBOX`, for logs: never the password.
    pub fn describe(&self) -> String {
        format!(
            "imaps://{}@{}:{}/{}",
            self.user, self.host, self.port, self.mailbox
        )
    }
}

const EXPECTED: &str =
    "expected imaps://USER:PASSWORD@HOST[:PORT][/MAILBOX] (TLS from the first byte, so that the password never crosses in the clear)";

fn parse_url(raw: &str) -> Result<BounceImapSettings, String> {
    let url = Url::parse(raw).map_err(|e| format!("{e}; {EXPECTED}"))?;
    if url.scheme() != "imaps" {
        return Err(format!("the scheme is {}: {EXPECTED}", url.scheme()));
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| format!("no host: {EXPECTED}"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| "the user or password is not UTF-8 once percent-decoded".to_owned())
    };
    let user = decode(url.username())?;
    let password = decode(url.password().unwrap_or_default())?;
    if user.is_empty() || password.is_empty() {
        return Err(format!("a user and a password are needed: {EXPECTED}"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(format!("no query or fragment is read: {EXPECTED}"));
    }
    let mailbox = decode(url.path().trim_start_matches('/'))?;
    Ok(BounceImapSettings {
        host,
        port: url.port().unwrap_or(993),
        user,
        password,
        mailbox: if mailbox.is_empty() {
            "INBOX".to_owned()
        } else {
            mailbox
        },
        extra_roots: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(url: &str) -> Result<Option<BounceImapSettings>, ConfigError> {
        BounceImapSettings::from_lookup(|name| (name == URL_VAR).then(|| url.to_owned()))
    }

    #[test]
    fn an_imaps_url_gives_the_mailbox_with_its_defaults() {
        let s = parse("imaps://bounces:p%40ss@mail.example.org")
            .unwrap()
            .unwrap();
        assert_eq!((s.host.as_str(), s.port), ("mail.example.org", 993));
        assert_eq!((s.user.as_str(), s.password.as_str()), ("bounces", "p@ss"));
        assert_eq!(s.mailbox, "INBOX");
        let s = parse("imaps://b:pw@[::1]:9993/Bounces").unwrap().unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.mailbox.as_str()),
            ("::1", 9993, "Bounces")
        );
        assert!(!format!("{s:?}").contains("pw"), "{s:?}");
        assert!(parse("").unwrap().is_none());
    }

    #[test]
    fn a_url_that_would_send_the_password_in_the_clear_or_lacks_it_is_refused() {
        for bad in [
            "imap://b:pw@mail.example.org",
            "imaps://mail.example.org",
            "imaps://b@mail.example.org",
            "imaps://b:pw@mail.example.org/?tls=none",
            "not a url",
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.name, URL_VAR, "{bad}");
            assert!(
                e.message.contains("imaps://USER:PASSWORD@HOST"),
                "{bad}: {}",
                e.message
            );
        }
    }
}
