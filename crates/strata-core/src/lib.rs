//! Domain-free plumbing shared by every strata tool.
//!
//! A tool crate exposes a [`cli::Tool`]: a pure `command()` that builds its `clap::Command` and a
//! `run()` that does the work against a [`cli::Ctx`]. The binaries, the `strata` dispatcher, the man
//! page and completion generator and the tests all reuse the same `Tool`.

pub mod buf;
pub mod check;
pub mod cli;
pub mod clock;
pub mod complete;
pub mod doc;
pub mod exit;
pub mod fs;
pub mod input;
pub mod lock;
pub mod output;
pub mod parse;
pub mod progress;
pub mod runner;
pub mod sanitize;
pub mod shell;
pub mod table;
pub mod time;
pub mod timeline;

pub use cli::{Ctx, Tool};
pub use exit::Outcome;
pub use output::Record;

/// Terminal styles, for the tools' own human views (never hand-written escape codes).
pub use anstyle;
/// The command-line parser every [`Tool`] is built with, for those that walk its commands.
pub use clap;
