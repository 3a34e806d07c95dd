//! One SMTP connection, opened on our socket and made ready for MAIL FROM: greeted,
//! encrypted as the settings say, logged in. Credentials never cross a connection that
//! is not encrypted unless the operator wrote `tls=opportunistic` (PRODUCT.md E).

use std::io;

use anyhow::Context;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::commands::Ehlo;
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;

use super::error::classify;
use super::tls_first::TlsFirst;
use super::transaction::{offers_pipelining, Connection};
use super::SendError;
use crate::config::{HeloName, SmtpSettings, SmtpTls};

/// The SMTP server of the settings and how to talk to it, in lettre's terms.
pub(super) struct SmtpServer {
    /// As the resolver wants it: an IPv6 address without its brackets.
    host: String,
    port: u16,
    mode: SmtpTls,
    tls: Tls,
    credentials: Option<Credentials>,
    /// The name given in EHLO: `CONVENE_SMTP_HELO`, or this machine's host name as
    /// lettre's transport gives.
    hello: ClientId,
    /// For logs and errors: `smtp://host:port`, never the credentials.
    described: String,
}

impl SmtpServer {
    pub(super) fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let mut builder = TlsParameters::builder(settings.host.clone());
        if let Some(ca) = &settings.extra_ca {
            builder = builder.add_root_certificate(ca.certificate.clone());
        }
        let tls_parameters = builder
            .build()
            .with_context(|| format!("cannot set up TLS for {}", settings.host))?;
        let tls = match settings.tls {
            SmtpTls::Implicit => Tls::Wrapper(tls_parameters),
            SmtpTls::StartTlsRequired => Tls::Required(tls_parameters),
            SmtpTls::StartTlsOpportunistic => Tls::Opportunistic(tls_parameters),
        };
        Ok(Self {
            host: settings.host.clone(),
            port: settings.port,
            mode: settings.tls,
            tls,
            credentials: settings
                .credentials
                .as_ref()
                .map(|c| Credentials::new(c.user.clone(), c.password.clone())),
            hello: match &settings.helo {
                None => ClientId::default(),
                Some(HeloName::Domain(name)) => ClientId::Domain(name.clone()),
                Some(HeloName::Ip(std::net::IpAddr::V4(ip))) => ClientId::Ipv4(*ip),
                Some(HeloName::Ip(std::net::IpAddr::V6(ip))) => ClientId::Ipv6(*ip),
            },
            described: settings.describe(),
        })
    }

    pub(super) fn describe(&self) -> &str {
        &self.described
    }

    /// How the connection is encrypted, for the start-up log.
    pub(super) fn mode(&self) -> SmtpTls {
        self.mode
    }

    /// A TCP connection to the server with Nagle's algorithm off (see the module doc
    /// of the transport).
    pub(super) async fn open_socket(&self) -> io::Result<TcpStream> {
        let socket = TcpStream::connect((self.host.as_str(), self.port)).await?;
        socket.set_nodelay(true)?;
        Ok(socket)
    }

    /// A connection ready for MAIL FROM: greeted, encrypted as configured, logged in.
    pub(super) async fn connect(&self) -> Result<Connection, SendError> {
        let socket = self.open_socket().await.map_err(|e| {
            SendError::Transient(format!("cannot connect to {}: {e}", self.describe()))
        })?;
        let mut conn = match &self.tls {
            Tls::Wrapper(parameters) => {
                let stream = TlsFirst::handshake(socket, parameters.clone()).await?;
                AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await
            }
            _ => AsyncSmtpConnection::connect_with_transport(Box::new(socket), &self.hello).await,
        }
        .map_err(classify)?;
        // As lettre's transport: upgrade when offered, or insist.
        match &self.tls {
            Tls::Opportunistic(parameters) if conn.can_starttls() => {
                conn.starttls(parameters.clone(), &self.hello).await
            }
            Tls::Required(_) if !conn.can_starttls() => {
                // Said here rather than by lettre, so that the email's last_error tells
                // the organizers why it waits. Transient: the server may be fixed.
                conn.abort().await;
                return Err(SendError::Transient(format!(
                    "{} does not offer STARTTLS, which CONVENE_SMTP_URL requires; \
                     neither the email nor a password was sent",
                    self.describe()
                )));
            }
            Tls::Required(parameters) => conn.starttls(parameters.clone(), &self.hello).await,
            _ => Ok(()),
        }
        .map_err(classify)?;
        // A second guard on the rule above, should the TLS handling ever change: our
        // implicit-TLS stream is not one lettre knows as encrypted, hence the mode.
        let encrypted = self.mode == SmtpTls::Implicit || conn.is_encrypted();
        if self.credentials.is_some() && !encrypted && self.mode != SmtpTls::StartTlsOpportunistic {
            conn.abort().await;
            return Err(SendError::Transient(format!(
                "refusing to log in to {} on a connection that is not encrypted",
                self.describe()
            )));
        }
        // lettre keeps of the EHLO reply only the extensions it uses, and PIPELINING is
        // not one of them: asked again (RFC 5321 allows a second EHLO; before AUTH it
        // resets nothing), once per connection.
        let pipelining = match conn.command(Ehlo::new(self.hello.clone())).await {
            Ok(reply) => offers_pipelining(reply.message()),
            Err(e) => {
                conn.abort().await;
                return Err(classify(e));
            }
        };
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(classify)?;
        }
        Ok(Connection {
            smtp: conn,
            pipelining,
        })
    }
}
