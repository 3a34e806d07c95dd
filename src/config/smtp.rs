//! The SMTP settings: `CONVENE_SMTP_URL`, `CONVENE_SMTP_CA_FILE` and `CONVENE_SMTP_HELO`,
//! parsed once at start so that the transport gets typed values and a mistake stops the
//! service with the variable's name instead of surfacing at the first send.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use lettre::transport::smtp::client::{Certificate, TlsParameters};
use url::Url;

use super::ConfigError;

const URL_VAR: &str = "CONVENE_SMTP_URL";
const CA_VAR: &str = "CONVENE_SMTP_CA_FILE";
const HELO_VAR: &str = "CONVENE_SMTP_HELO";

/// The SMTP server to send through and how to talk to it. Its `Debug` hides the password.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// As the resolver wants it: an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<SmtpCredentials>,
    /// `CONVENE_SMTP_CA_FILE`: a CA trusted besides the platform's, already checked.
    pub extra_ca: Option<ExtraCa>,
    /// `CONVENE_SMTP_HELO`: the name given in EHLO (default: this machine's host name).
    pub helo: Option<HeloName>,
}

/// How the connection is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://` with STARTTLS; a server that does not offer it is refused. The default
    /// when the URL carries credentials, and `?tls=required`.
    StartTlsRequired,
    /// `smtp://` with STARTTLS when the server offers it, in the clear otherwise. The
    /// default without credentials, and `?tls=opportunistic`.
    StartTlsOpportunistic,
}

impl SmtpTls {
    /// For the start-up log.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Implicit => "implicit",
            Self::StartTlsRequired => "starttls-required",
            Self::StartTlsOpportunistic => "starttls-opportunistic",
        }
    }
}

impl std::fmt::Display for SmtpTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The user and password of the URL, percent-decoded. Its `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpCredentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpCredentials")
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

/// The CA of `CONVENE_SMTP_CA_FILE`, read and checked at start.
#[derive(Clone, Debug)]
pub struct ExtraCa {
    pub path: PathBuf,
    pub certificate: Certificate,
}

/// The EHLO name of `CONVENE_SMTP_HELO`: a domain name or an IP address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeloName {
    Domain(String),
    Ip(IpAddr),
}

impl SmtpSettings {
    /// The SMTP settings, or None when `CONVENE_SMTP_URL` is unset (mail goes to files;
    /// the other two variables are then not read).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let Some(raw) = set(URL_VAR) else {
            return Ok(None);
        };
        let err = |name: &'static str| move |message: String| ConfigError { name, message };
        let mut settings = parse_url(&raw).map_err(err(URL_VAR))?;
        if let Some(path) = set(CA_VAR) {
            let path = PathBuf::from(path.trim());
            let certificate = read_ca(&path, &settings.host).map_err(err(CA_VAR))?;
            settings.extra_ca = Some(ExtraCa { path, certificate });
        }
        if let Some(name) = set(HELO_VAR) {
            settings.helo = Some(parse_helo(name.trim()).map_err(err(HELO_VAR))?);
        }
        Ok(Some(settings))
    }

    /// `smtps://host:465` or `smtp://host:25`, for logs: never the credentials.
    pub fn describe(&self) -> String {
        let scheme = match self.tls {
            SmtpTls::Implicit => "smtps",
            _ => "smtp",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{}", self.port)
    }
}

/// `smtp://[user:pass@]host[:port][?tls=required|opportunistic]` or `smtps://...`.
fn parse_url(raw: &str) -> Result<SmtpSettings, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("{e} (expected smtp://host:port)"))?;
    let implicit = match url.scheme() {
        "smtps" => true,
        "smtp" => false,
        _ => return Err("expected smtp://[user:pass@]host:port or smtps://...".into()),
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("the URL has no host")?
        // An IPv6 host comes bracketed from the URL; the resolver wants it bare.
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let credentials = credentials(&url)?;
    let mut asked: Option<SmtpTls> = None;
    for (key, value) in url.query_pairs() {
        // A misspelt key would silently leave the default, as a misspelt value would.
        if key != "tls" {
            return Err(format!("unknown parameter '{key}' (the only one is tls)"));
        }
        if asked.is_some() {
            return Err("tls is given more than once".into());
        }
        asked = Some(match value.to_ascii_lowercase().as_str() {
            "required" => SmtpTls::StartTlsRequired,
            "opportunistic" => SmtpTls::StartTlsOpportunistic,
            _ => {
                return Err(format!(
                    "unknown tls={value} (expected tls=required or tls=opportunistic)"
                ))
            }
        });
    }
    let tls = match (implicit, asked) {
        (true, None | Some(SmtpTls::StartTlsRequired)) => SmtpTls::Implicit,
        (true, Some(_)) => {
            return Err("smtps:// is always encrypted: tls=opportunistic does not apply".into())
        }
        (false, Some(tls)) => tls,
        // Credentials never cross in the clear unless the operator wrote it out.
        (false, None) if credentials.is_some() => SmtpTls::StartTlsRequired,
        (false, None) => SmtpTls::StartTlsOpportunistic,
    };
    let port = url.port().unwrap_or(if implicit { 465 } else { 25 });
    Ok(SmtpSettings {
        host,
        port,
        tls,
        credentials,
        extra_ca: None,
        helo: None,
    })
}

/// The user and password, which the URL keeps percent-encoded (a password may hold '@'
/// or ':').
fn credentials(url: &Url) -> Result<Option<SmtpCredentials>, String> {
    let decode = |part: &str| {
        percent_encoding::percent_decode_str(part)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| "the credentials are not valid UTF-8 once percent-decoded".to_owned())
    };
    match (url.username(), url.password()) {
        ("", None) => Ok(None),
        ("", Some(_)) => Err("a password is given without a user name".into()),
        (user, password) => Ok(Some(SmtpCredentials {
            user: decode(user)?,
            password: decode(password.unwrap_or_default())?,
        })),
    }
}

/// Reads a PEM file of one or more CA certificates and checks that TLS can be set up
/// with them, so that a bad file stops the service now rather than every send later.
fn read_ca(path: &Path, host: &str) -> Result<Certificate, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    // lettre skips what is not a certificate: a file holding none would trust nothing new.
    if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
        return Err(format!("{} holds no PEM certificate", path.display()));
    }
    let certificate = Certificate::from_pem(&pem)
        .map_err(|e| format!("{} is not a valid PEM certificate: {e}", path.display()))?;
    TlsParameters::builder(host.to_owned())
        .add_root_certificate(certificate.clone())
        .build()
        .map_err(|e| format!("{} cannot be used as a CA: {e}", path.display()))?;
    Ok(certificate)
}

/// A domain name (letters, digits, hyphens, dots) or an IP address.
fn parse_helo(name: &str) -> Result<HeloName, String> {
    let bare = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(HeloName::Ip(ip));
    }
    let valid_label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    if name.len() <= 253 && name.split('.').all(valid_label) {
        Ok(HeloName::Domain(name.to_owned()))
    } else {
        Err(format!(
            "'{name}' is not a domain name or an IP address (e.g. mail.example.org)"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn smtp(vars: &[(&str, &str)]) -> Result<Option<SmtpSettings>, ConfigError> {
        SmtpSettings::from_lookup(|name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    fn url(raw: &str) -> Result<SmtpSettings, ConfigError> {
        smtp(&[(URL_VAR, raw)]).map(|s| s.expect("set"))
    }

    /// A self-signed CA made with `openssl req -x509` for these tests.
    fn test_ca() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp-test-ca.pem")
    }

    fn temp_file(content: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("convene-ca-{}.pem", uuid::Uuid::new_v4()));
        std::fs::write(&path, content).expect("temp file");
        path
    }

    #[test]
    fn no_url_means_no_smtp_and_the_other_variables_are_not_read() {
        assert!(smtp(&[(CA_VAR, "/nowhere"), (HELO_VAR, "bad name!")])
            .unwrap()
            .is_none());
    }

    #[test]
    fn the_scheme_and_tls_pick_implicit_tls_required_or_opportunistic_starttls() {
        let s = url("smtps://mail.example.org").unwrap();
        assert_eq!((s.tls, s.port), (SmtpTls::Implicit, 465));
        assert_eq!(s.describe(), "smtps://mail.example.org:465");
        assert_eq!(
            url("smtps://mail.example.org?tls=required").unwrap().tls,
            SmtpTls::Implicit
        );
        let s = url("smtp://mail.example.org:587?tls=required").unwrap();
        assert_eq!((s.tls, s.port), (SmtpTls::StartTlsRequired, 587));
        assert_eq!(
            url("smtp://mail.example.org?tls=Opportunistic")
                .unwrap()
                .tls,
            SmtpTls::StartTlsOpportunistic
        );
        let plain = url("smtp://[::1]").unwrap();
        assert_eq!(plain.tls, SmtpTls::StartTlsOpportunistic, "no credentials");
        assert_eq!((plain.host.as_str(), plain.port), ("::1", 25));
        assert_eq!(plain.describe(), "smtp://[::1]:25");
        assert!(plain.credentials.is_none());
    }

    #[test]
    fn credentials_require_starttls_unless_opportunistic_is_written_out() {
        let s = url("smtp://dana:secret@mail.example.org:587").unwrap();
        assert_eq!(s.tls, SmtpTls::StartTlsRequired);
        let s = url("smtp://dana:secret@mail.example.org:587?tls=opportunistic").unwrap();
        assert_eq!(s.tls, SmtpTls::StartTlsOpportunistic);
        assert_eq!(
            url("smtps://dana:secret@mail.example.org").unwrap().tls,
            SmtpTls::Implicit
        );
    }

    #[test]
    fn credentials_in_the_url_are_percent_decoded() {
        let s = url("smtp://dana%40x:p%40ss%3Aw0rd%25@mail.example.org").unwrap();
        assert_eq!(
            s.credentials,
            Some(SmtpCredentials {
                user: "dana@x".into(),
                password: "p@ss:w0rd%".into()
            })
        );
        // A malformed escape is kept as it is.
        let s = url("smtp://u:50%off%zz@h").unwrap();
        assert_eq!(s.credentials.unwrap().password, "50%off%zz");
        let s = url("smtp://u:caf%C3%A9@h").unwrap();
        assert_eq!(s.credentials.unwrap().password, "café");
        assert_eq!(url("smtp://u:%FF@h").unwrap_err().name, URL_VAR);
        assert_eq!(url("smtp://:secret@h").unwrap_err().name, URL_VAR);
    }

    #[test]
    fn an_unknown_tls_value_or_parameter_names_the_variable_and_what_is_accepted() {
        for bad in [
            "smtp://h?tls=require",
            "smtp://h?tls=",
            "smtp://h?tls=none",
            "smtp://h?tsl=required",
            "smtp://h?tls=required&tls=opportunistic",
            "smtps://h?tls=opportunistic",
            "http://h",
            "smtp://",
        ] {
            let e = url(bad).unwrap_err();
            assert_eq!(e.name, URL_VAR, "{bad}");
            assert!(e.to_string().contains(URL_VAR), "{e}");
        }
        let e = url("smtp://u:hunter2@h?tls=require").unwrap_err();
        assert!(e.to_string().contains("tls=required"), "{e}");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn debug_output_hides_the_password() {
        let s = url("smtp://dana:smtp-secret@mail.example.org").unwrap();
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("smtp-secret") && shown.contains("dana"),
            "{shown}"
        );
    }

    #[test]
    fn a_ca_file_is_read_and_checked_at_start() {
        let ca = test_ca();
        let s = smtp(&[(URL_VAR, "smtp://h"), (CA_VAR, ca.to_str().unwrap())])
            .unwrap()
            .unwrap();
        assert_eq!(s.extra_ca.unwrap().path, ca);

        let not_pem = temp_file(b"just some text\n");
        let bad_pem = temp_file(
            b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
        );
        for path in [
            PathBuf::from("/nonexistent/ca.pem"),
            not_pem.clone(),
            bad_pem.clone(),
        ] {
            let e = smtp(&[(URL_VAR, "smtp://h"), (CA_VAR, path.to_str().unwrap())]).unwrap_err();
            assert_eq!(e.name, CA_VAR, "{}: {e}", path.display());
            assert!(e.to_string().contains(CA_VAR));
        }
        let _ = std::fs::remove_file(not_pem);
        let _ = std::fs::remove_file(bad_pem);
    }

    #[test]
    fn the_helo_name_is_a_domain_or_an_address() {
        let helo = |name: &str| smtp(&[(URL_VAR, "smtp://h"), (HELO_VAR, name)]);
        assert_eq!(
            helo("mail.example.org").unwrap().unwrap().helo,
            Some(HeloName::Domain("mail.example.org".into()))
        );
        assert_eq!(
            helo("[192.0.2.7]").unwrap().unwrap().helo,
            Some(HeloName::Ip("192.0.2.7".parse().unwrap()))
        );
        for bad in [
            "mail example",
            "mail..example.org",
            "-x.org",
            "x\r\nMAIL FROM",
        ] {
            assert_eq!(helo(bad).unwrap_err().name, HELO_VAR, "{bad:?}");
        }
    }
}
