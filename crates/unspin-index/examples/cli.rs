//! Stand-alone driver for `crates/unspin/src/cli_index.rs` (the module the `unspin` binary
//! mounts as `index`, `find`, `compare` and `learn`), used by this crate's tests and
//! benchmarks until (and independently of) the main binary.
//!
//! `cargo run --release -p unspin-index --example unspin-index-cli -- find suspect.txt`
#[path = "../../unspin/src/cli_index.rs"]
mod cli_index;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "unspin", about = "source finding subcommands of unspin")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build and maintain the source index.
    Index(cli_index::IndexArgs),
    /// Find the sources of a suspect text in the index.
    Find(cli_index::FindArgs),
    /// Align a suspect with a source: passages and substitution table.
    Compare(cli_index::CompareArgs),
    /// Learn a user lexicon from suspect/source pairs.
    Learn(cli_index::LearnArgs),
}

fn main() {
    let cli = Cli::parse();
    let r = match cli.cmd {
        Cmd::Index(a) => a.run(),
        Cmd::Find(a) => a.run(),
        Cmd::Compare(a) => a.run(),
        Cmd::Learn(a) => a.run(),
    };
    match r {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("unspin: {e:#}");
            std::process::exit(2);
        }
    }
}
