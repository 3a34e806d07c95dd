//! Implicit TLS (`smtps://`) on a socket of our own (see the parent module on why the
//! sockets are ours).

use std::io;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

#[allow(deprecated)] // see `TlsFirst`
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::{AsyncTokioStream, TlsParameters};
use tokio::net::TcpStream;

use super::error::classify;
use super::SendError;
/// Implicit TLS (`smtps://`) on our socket. lettre takes a custom stream only before
/// it reads the greeting, which on `smtps://` comes after the TLS handshake, and has no
/// public way to run that handshake but its `AsyncNetworkStream` (public, deprecated as
/// "not meant to be"): it does the handshake with lettre's own TLS settings (rustls,
/// the platform's certificate verifier, the host name), and this adapter presents the
/// result to lettre again as a plain Tokio stream.
#[allow(deprecated)]
#[derive(Debug)]
pub(super) struct TlsFirst(AsyncNetworkStream);

#[allow(deprecated)]
impl TlsFirst {
    pub(super) async fn handshake(
        socket: TcpStream,
        parameters: TlsParameters,
    ) -> Result<Self, SendError> {
        let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(socket));
        stream.upgrade_tls(parameters).await.map_err(classify)?;
        Ok(Self(stream))
    }
}

impl tokio::io::AsyncRead for TlsFirst {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        use futures_util::io::AsyncRead;
        let read = Pin::new(&mut self.0).poll_read(cx, buf.initialize_unfilled());
        read.map_ok(|n| buf.advance(n))
    }
}

impl tokio::io::AsyncWrite for TlsFirst {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        futures_util::io::AsyncWrite::poll_write(Pin::new(&mut self.0), cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        futures_util::io::AsyncWrite::poll_flush(Pin::new(&mut self.0), cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        futures_util::io::AsyncWrite::poll_close(Pin::new(&mut self.0), cx)
    }
}

impl AsyncTokioStream for TlsFirst {
    fn peer_addr(&self) -> io::Result<std::net::SocketAddr> {
        #[allow(deprecated)]
        self.0.peer_addr()
    }
}
