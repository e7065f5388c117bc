//! Host tests of every binary: one test binary, a module per tool (cargo's own testsuite layout).
//! Real-ZFS scenarios live in `tests/lab/` and run in the lab VM (`cargo xtask lab test`).

mod fakezfs;
mod util;

mod completions;
mod contract;
mod contrib_ansible;
mod contrib_deb;
mod contrib_nix;
mod contrib_systemd;
mod core;
mod diff;
mod dispatcher;
mod harden_check;
mod policy;
mod prune;
mod quota;
mod send;
mod snapshot;
mod sshtui;
