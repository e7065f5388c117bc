//! PLACEHOLDER: replaced by the tool's implementation.

use strata_core::doc::ManDoc;
use strata_core::{Ctx, Outcome, Tool};

pub const TOOL: Tool = Tool { name: "strata-sshtui", command, run, doc: &ManDoc::EMPTY };

pub fn command() -> clap::Command {
    clap::Command::new("strata-sshtui")
}

pub fn run(_: &clap::ArgMatches, _: &mut Ctx) -> anyhow::Result<Outcome> {
    anyhow::bail!("not built yet")
}
