//! Any bytes: the unit parser returns assignments or an error, never panics, and what it keeps
//! is valid UTF-8 from known sections; building the settings from them never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strata_harden_check::{assess, context, load::Scope, parse, policy::Policy};

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = parse::parse(data, &["Unit", "Service", "Install"]) {
        for a in &parsed.assignments {
            assert!(["Unit", "Service", "Install"].contains(&a.section.as_str()));
        }
        let names = context::Names { name: "fuzz@x.service", fragment: "/etc/systemd/system/fuzz@.service" };
        let info = context::build(&[("/etc/systemd/system/fuzz@.service".to_string(), parsed.assignments)], &names, Scope::System);
        let outcomes = assess::assess(&info, &Policy::default());
        assert!(assess::exposure_tenths(&outcomes) <= 100);
    }
});
