//! `pbitsim completions SHELL` and `pbitsim man DIR`: shell completions and man pages
//! generated from the same clap definition the parser uses, so they cannot drift from it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::Cli;
use crate::io::Staging;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write pbitsim.1 and pbitsim-COMMAND.1 into (must exist).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
}

/// Print the completion script for `args.shell` to stdout.
pub fn completions(args: &CompletionsArgs) -> Result<()> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "pbitsim", &mut std::io::stdout());
    Ok(())
}

/// Write `pbitsim.1` and one page per command into `args.out_dir`, all replaced together.
pub fn man_pages(args: &ManArgs, quiet: bool) -> Result<()> {
    let command = Cli::command();
    let mut pages: Vec<(String, clap::Command)> = vec![("pbitsim".to_string(), command.clone())];
    for sub in command.get_subcommands() {
        let name = format!("pbitsim-{}", sub.get_name());
        pages.push((name, sub.clone()));
    }
    let mut staging = Staging::default();
    let mut written = Vec::new();
    for (name, page) in pages {
        let target = args.out_dir.join(format!("{name}.1"));
        let staged =
            staging.stage(&target).with_context(|| format!("--out-dir {}", args.out_dir.display()))?;
        let mut bytes = Vec::new();
        clap_mangen::Man::new(page).title(name.to_uppercase()).render(&mut bytes)?;
        std::fs::write(&staged, bytes).with_context(|| format!("cannot write {}", staged.display()))?;
        written.push(target);
    }
    staging.commit()?;
    if !quiet {
        println!("wrote {} man pages in {}", written.len(), args.out_dir.display());
    }
    Ok(())
}
