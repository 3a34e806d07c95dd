//! The bounce mailbox (`CONVENE_BOUNCE_IMAP_URL`): its unseen messages, read over IMAP
//! with TLS from the first byte, each handed to the caller and then flagged so that no
//! pass reads it twice. Blocking, as the sweep's tasks are (they run off the async threads).

use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};

use crate::config::BounceImapSettings;

/// Longest wait for the server: connecting, and each read or write after that.
const TIMEOUT: Duration = Duration::from_secs(30);
/// Most messages read in one pass; the rest wait for the next one.
const BATCH: usize = 100;

/// What became of one message, which decides its flags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handled {
    /// Read and applied: flagged `\Seen \Deleted`, and expunged at the end of the pass.
    Done,
    /// Not a delivery report (a reply to the bounce address, say): flagged `\Seen` only
    /// and kept, for a person to read.
    Kept,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub done: usize,
    pub kept: usize,
}

/// Reads up to [`BATCH`] unseen messages and hands each to `handle`. A message whose
/// handling fails stays unseen for the next pass, and the pass stops there (the database
/// is likely down).
pub fn drain<E>(
    settings: &BounceImapSettings,
    mut handle: impl FnMut(&[u8]) -> Result<Handled, E>,
) -> anyhow::Result<Result<Drained, E>> {
    let stream = connect(settings)?;
    let mut client = imap::Client::new(stream);
    client
        .read_greeting()
        .context("reading the IMAP greeting")?;
    let mut session = client
        .login(&settings.user, &settings.password)
        .map_err(|(e, _)| e)
        .context("logging in to the bounce mailbox")?;
    session
        .select(&settings.mailbox)
        .with_context(|| format!("selecting the mailbox {}", settings.mailbox))?;
    let mut uids: Vec<u32> = session.uid_search("UNSEEN")?.into_iter().collect();
    uids.sort_unstable();
    uids.truncate(BATCH);
    let mut drained = Drained::default();
    let mut outcome = Ok(());
    for uid in uids {
        // BODY.PEEK: reading does not set \Seen; only the outcome decides the flags.
        let fetches = session.uid_fetch(uid.to_string(), "BODY.PEEK[]")?;
        let Some(body) = fetches.iter().find_map(|f| f.body()) else {
            continue;
        };
        let flags = match handle(body) {
            Ok(Handled::Done) => {
                drained.done += 1;
                "+FLAGS.SILENT (\\Seen \\Deleted)"
            }
            Ok(Handled::Kept) => {
                drained.kept += 1;
                "+FLAGS.SILENT (\\Seen)"
            }
            Err(e) => {
                outcome = Err(e);
                break;
            }
        };
        session.uid_store(uid.to_string(), flags)?;
    }
    if drained.done > 0 {
        session.expunge()?;
    }
    // The work is done and flagged: a failed goodbye changes nothing.
    let _ = session.logout();
    Ok(outcome.map(|()| drained))
}

fn connect(
    settings: &BounceImapSettings,
) -> anyhow::Result<StreamOwned<ClientConnection, TcpStream>> {
    // Each address in turn (`localhost` may be ::1 first, and the server on 127.0.0.1).
    let mut last = None;
    let mut tcp = None;
    for address in (settings.host.as_str(), settings.port)
        .to_socket_addrs()
        .with_context(|| format!("resolving {}", settings.host))?
    {
        match TcpStream::connect_timeout(&address, TIMEOUT) {
            Ok(stream) => {
                tcp = Some(stream);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let tcp = match (tcp, last) {
        (Some(tcp), _) => tcp,
        (None, Some(e)) => {
            return Err(e).with_context(|| format!("connecting to {}", settings.describe()))
        }
        (None, None) => anyhow::bail!("{} has no address", settings.host),
    };
    tcp.set_read_timeout(Some(TIMEOUT))?;
    tcp.set_write_timeout(Some(TIMEOUT))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
        settings.extra_roots.iter().cloned(),
        provider.clone(),
    )?;
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    let name = ServerName::try_from(settings.host.clone())?;
    let connection = ClientConnection::new(Arc::new(config), name)?;
    let mut stream = StreamOwned::new(connection, tcp);
    // Finish the handshake now, so that a certificate the server cannot prove is
    // reported as such rather than as a failed greeting.
    while stream.conn.is_handshaking() {
        stream
            .conn
            .complete_io(&mut stream.sock)
            .with_context(|| format!("TLS with {}", settings.describe()))?;
    }
    Ok(stream)
}
