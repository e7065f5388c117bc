//! Any bytes as a `receive_resume_token`: the decoder returns a token or an error, never panics;
//! and a decoded token encoded again the way the kernel packs it decodes to the same token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_send::token;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = token::decode(&text) {
        assert_eq!(token::decode(&token::encode(&t, &[])), Ok(t));
    }
});
