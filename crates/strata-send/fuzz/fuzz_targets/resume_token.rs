//! Any bytes as a `receive_resume_token`: the decoder returns a token or an error, never panics;
//! a decoded token encoded again the way the kernel packs it decodes to the same token; and any
//! bytes as a packed nvlist (the part a checksum would otherwise keep random inputs from) unpack
//! or fail, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_send::token;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = token::decode(&text) {
        assert_eq!(token::decode(&token::encode(&t, &[])), Ok(t));
    }
    let _ = token::unpack(data);
});
