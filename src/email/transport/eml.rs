//! Mail written as `.eml` files, when no SMTP server is configured.

use std::path::Path;

use super::SendError;

/// Writes `<id>.eml` through a temporary file and a rename, so that a reader of the
/// folder never sees half a message.
pub(super) fn write_eml(dir: &Path, id: &str, bytes: &[u8]) -> Result<(), SendError> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(SendError::Permanent(format!(
            "'{id}' cannot be used as a file name"
        )));
    }
    let io =
        |e: std::io::Error| SendError::Transient(format!("cannot write to the mail folder: {e}"));
    std::fs::create_dir_all(dir).map_err(io)?;
    let partial = dir.join(format!(".{id}.eml.partial"));
    std::fs::write(&partial, bytes).map_err(io)?;
    std::fs::rename(&partial, dir.join(format!("{id}.eml"))).map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_eml_file_is_named_after_the_email() {
        let dir = std::env::temp_dir().join(format!("convene-eml-{}", uuid::Uuid::new_v4()));
        write_eml(&dir, "abc-123", b"Subject: x\r\n\r\nbody").unwrap();
        assert_eq!(
            std::fs::read(dir.join("abc-123.eml")).unwrap(),
            b"Subject: x\r\n\r\nbody"
        );
        assert!(write_eml(&dir, "../escape", b"x")
            .unwrap_err()
            .is_permanent());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
