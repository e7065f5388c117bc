//! Any bytes as one line of `zfs diff -H -F -t`: the decoder returns a line or an error, never
//! panics; a decoded line written back the way ZFS writes it decodes to the same line; and any
//! bytes escaped as ZFS escapes them unescape to themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_zfs::diff;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = diff::parse_line(data) {
        let again = diff::format_line(&line);
        assert_eq!(diff::parse_line(&again), Ok(line), "{:?}", String::from_utf8_lossy(&again));
    }
    let escaped = diff::escape(data);
    assert_eq!(diff::unescape(&escaped).as_deref(), Ok(data));
});
