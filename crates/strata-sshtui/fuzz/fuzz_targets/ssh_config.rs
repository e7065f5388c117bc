//! Any bytes as an ssh configuration: loading returns a configuration or an error, never
//! panics, and resolving its first aliases as `ssh -G` would never panics either.
//!
//! The target stays off the file system and never runs a program: input naming `Include` is
//! skipped (it reads files of this machine), and `Match exec` commands go to a runner that
//! answers "no" without running anything.
#![no_main]

use std::path::PathBuf;

use libfuzzer_sys::fuzz_target;
use strata_core::runner::{Cmd, Output, RunError, Runner};
use strata_sshtui::config::{Config, Env};

/// Every command "fails": `Match exec` is false.
struct NoExec;

impl Runner for NoExec {
    fn output(&self, _cmd: &Cmd) -> Result<Output, RunError> {
        Ok(Output::failed(1, Vec::new()))
    }
    fn stream(&self, _cmd: &Cmd) -> Result<Box<dyn std::io::Read>, RunError> {
        Ok(Box::new(std::io::empty()))
    }
}

fn env() -> Env {
    Env {
        local_user: "fuzz".into(),
        uid: 1000,
        home: PathBuf::from("/nonexistent/fuzz-home"),
        passwd_home: PathBuf::from("/nonexistent/fuzz-home"),
        hostname: "fuzzhost".into(),
        shell: "/bin/false".into(),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.windows(7).any(|w| w.eq_ignore_ascii_case(b"include")) {
        return;
    }
    let text = String::from_utf8_lossy(data);
    let env = env();
    let Ok(cfg) = Config::from_text("/fuzz/config", &text, &env) else { return };
    for alias in cfg.aliases.iter().take(4) {
        let _ = cfg.resolve(&alias.name, &env, &NoExec);
    }
    let _ = cfg.resolve("fuzz.example", &env, &NoExec);
});
