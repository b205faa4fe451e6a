//! `unspin learn`: aligned substitutions turned into a user lexicon for `check --lexicon`.

use super::*;
use anyhow::{Result, bail};
use clap::Args;
use std::path::PathBuf;
use unspin_index::Index;
use unspin_index::LearnedLexicon as Lexicon;
use unspin_index::SynClasses;
use unspin_index::{AlignParams, compare};
use unspin_index::{FindOptions, find};

/// `unspin learn`: turn aligned substitutions into a user lexicon.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  unspin learn --out lexicon.tsv spun1.txt orig1.txt spun2.txt orig2.txt\n  unspin learn --out lexicon.tsv --from-index --index ./idx spun/*.txt\n\nThe lexicon (TSV: spun<TAB>original<TAB>count, lowercase) is merged into --out if it exists; check and restore read it."
)]
pub struct LearnArgs {
    /// SUSPECT SOURCE pairs; with --from-index, suspects only.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Lexicon file to create or extend.
    #[arg(long, short, value_name = "FILE")]
    out: PathBuf,
    /// Find each suspect's best source in the index instead of naming it.
    #[arg(long)]
    from_index: bool,
    /// Index directory or redis:// URL (with --from-index).
    #[arg(long, value_name = "DIR|URL")]
    index: Option<PathBuf>,
    /// Drop pairs seen fewer times than this (over the whole lexicon).
    #[arg(long, default_value_t = 1, value_parser = crate::args::parse_count_u64)]
    min_count: u64,
}

impl LearnArgs {
    /// Runs `learn`; returns the exit code.
    pub fn run(self) -> Result<i32> {
        let mut lx = Lexicon::read(&self.out)?;
        let before = lx.pairs.len();
        let classes = SynClasses::embedded();
        let p = AlignParams::default();
        let mut learned = 0usize;
        let mut add = |sus: &str, src: &str, lx: &mut Lexicon| {
            let c = compare(sus, src, classes, &p);
            learned += c.substitutions.len();
            lx.add_table(&c.table);
        };
        if self.from_index {
            let ix = Index::open(&index_dir(&self.index))?;
            for f in &self.files {
                let sus = read_text(f)?;
                let hits = find(&ix, &sus, &FindOptions::default())?;
                let Some(h) = hits.first() else {
                    eprintln!("unspin: {}: no source found, skipped", f.display());
                    continue;
                };
                let src = ix.text(h.doc)?;
                add(&sus, &src, &mut lx);
            }
        } else {
            if !self.files.len().is_multiple_of(2) {
                bail!(
                    "learn expects SUSPECT SOURCE pairs (got {} files); use --from-index to look sources up",
                    self.files.len()
                );
            }
            for pair in self.files.chunks(2) {
                let sus = read_text(&pair[0])?;
                let src = read_text(&pair[1])?;
                add(&sus, &src, &mut lx);
            }
        }
        lx.write(&self.out, self.min_count)?;
        eprintln!(
            "learned {learned} substitutions; {} now has {} pairs ({} new)",
            self.out.display(),
            lx.pairs.len(),
            lx.pairs.len().saturating_sub(before)
        );
        Ok(0)
    }
}
