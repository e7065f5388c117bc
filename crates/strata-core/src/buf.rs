//! A writer whose bytes can be read while it is shared: what a command wrote to its output, or what
//! `--dry-run` showed, captured for a test or a caller.

use std::io::{self, Write};
use std::sync::{Arc, Mutex, PoisonError};

/// A clone writes to the same bytes.
#[derive(Clone, Default)]
pub struct SharedBuf(Arc<Mutex<Vec<u8>>>);

impl SharedBuf {
    pub fn new() -> SharedBuf {
        SharedBuf::default()
    }

    /// Everything written so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Everything written so far, leaving the buffer empty.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Everything written so far, as text (bytes that are not UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clones_share_the_bytes() {
        let buf = SharedBuf::new();
        let mut w = buf.clone();
        w.write_all(b"caf\xc3\xa9 \xff").unwrap();
        assert_eq!(buf.bytes(), b"caf\xc3\xa9 \xff");
        assert_eq!(buf.text(), "café \u{fffd}");
        assert_eq!(buf.take(), b"caf\xc3\xa9 \xff");
        assert_eq!(buf.bytes(), b"");
    }
}
