//! The SMTP settings of `CONVENE_SMTP_URL`, parsed once at start so that the transport
//! gets typed values and a mistake stops the service with the variable's name instead of
//! surfacing at the first send.

use url::Url;

use super::ConfigError;

const URL_VAR: &str = "CONVENE_SMTP_URL";

/// The SMTP server to send through and how to talk to it. Its `Debug` hides the password.
#[derive(Clone, Debug)]
pub struct SmtpSettings {
    /// As the resolver wants it: an IPv6 address without its brackets.
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    pub credentials: Option<SmtpCredentials>,
}

/// How the connection is encrypted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    /// `smtps://`: TLS from the first byte.
    Implicit,
    /// `smtp://...?tls=required`: STARTTLS; a server that does not offer it is refused.
    StartTlsRequired,
    /// `smtp://`: STARTTLS when the server offers it, in the clear otherwise.
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

impl SmtpSettings {
    /// The SMTP settings, or None when `CONVENE_SMTP_URL` is unset (mail goes to files).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, ConfigError> {
        let set = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let Some(raw) = set(URL_VAR) else {
            return Ok(None);
        };
        let err = |name: &'static str| move |message: String| ConfigError { name, message };
        parse_url(&raw).map(Some).map_err(err(URL_VAR))
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

/// `smtp://[user:pass@]host[:port][?tls=required]` or `smtps://...`.
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
    // Today's rule: only `tls=required` means anything; other parameters are ignored.
    let required = url
        .query_pairs()
        .any(|(k, v)| k == "tls" && v.eq_ignore_ascii_case("required"));
    let tls = match (implicit, required) {
        (true, _) => SmtpTls::Implicit,
        (false, true) => SmtpTls::StartTlsRequired,
        (false, false) => SmtpTls::StartTlsOpportunistic,
    };
    let credentials = credentials(&url)?;
    let port = url.port().unwrap_or(if implicit { 465 } else { 25 });
    Ok(SmtpSettings {
        host,
        port,
        tls,
        credentials,
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
        ("", _) => Ok(None),
        (user, password) => Ok(Some(SmtpCredentials {
            user: decode(user)?,
            password: decode(password.unwrap_or_default())?,
        })),
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
        let plain = url("smtp://[::1]").unwrap();
        assert_eq!(plain.tls, SmtpTls::StartTlsOpportunistic, "no credentials");
        assert_eq!((plain.host.as_str(), plain.port), ("::1", 25));
        assert_eq!(plain.describe(), "smtp://[::1]:25");
        assert!(plain.credentials.is_none());
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
    }

    #[test]
    fn a_url_that_is_not_smtp_names_the_variable() {
        for bad in ["http://h", "smtp://", "not a url"] {
            let e = url(bad).unwrap_err();
            assert_eq!(e.name, URL_VAR, "{bad}");
            assert!(e.to_string().contains(URL_VAR), "{e}");
        }
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
}
