//! One SMTP connection, opened on our socket and made ready for MAIL FROM: greeted,
//! encrypted as the settings say, logged in.

use std::io;

use anyhow::Context;
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use tokio::net::TcpStream;

use super::error::classify;
use super::tls_first::TlsFirst;
use super::SendError;
use crate::config::{SmtpSettings, SmtpTls};

/// The SMTP server of the settings and how to talk to it, in lettre's terms.
pub(super) struct SmtpServer {
    /// As the resolver wants it: an IPv6 address without its brackets.
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
    /// The name given in EHLO: this machine's host name, as lettre's transport gave.
    hello: ClientId,
    /// For logs and errors: `smtp://host:port`, never the credentials.
    described: String,
}

impl SmtpServer {
    pub(super) fn new(settings: &SmtpSettings) -> anyhow::Result<Self> {
        let tls_parameters = TlsParameters::new(settings.host.clone())
            .with_context(|| format!("cannot set up TLS for {}", settings.host))?;
        let tls = match settings.tls {
            SmtpTls::Implicit => Tls::Wrapper(tls_parameters),
            SmtpTls::StartTlsRequired => Tls::Required(tls_parameters),
            SmtpTls::StartTlsOpportunistic => Tls::Opportunistic(tls_parameters),
        };
        Ok(Self {
            host: settings.host.clone(),
            port: settings.port,
            tls,
            credentials: settings
                .credentials
                .as_ref()
                .map(|c| Credentials::new(c.user.clone(), c.password.clone())),
            hello: ClientId::default(),
            described: settings.describe(),
        })
    }

    pub(super) fn describe(&self) -> &str {
        &self.described
    }

    /// A TCP connection to the server with Nagle's algorithm off (see the module doc
    /// of the transport).
    pub(super) async fn open_socket(&self) -> io::Result<TcpStream> {
        let socket = TcpStream::connect((self.host.as_str(), self.port)).await?;
        socket.set_nodelay(true)?;
        Ok(socket)
    }

    /// A connection ready for MAIL FROM: greeted, encrypted as configured, logged in.
    pub(super) async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
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
            Tls::Required(parameters) => conn.starttls(parameters.clone(), &self.hello).await,
            _ => Ok(()),
        }
        .map_err(classify)?;
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(classify)?;
        }
        Ok(conn)
    }
}
