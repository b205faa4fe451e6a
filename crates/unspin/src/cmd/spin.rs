//! `unspin spin`: spin text with a dictionary, logging the truth (to make evaluation sets).

use crate::input;
use anyhow::Result;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use unspin_engine::eval::{Labelled, TrueEdit};

/// `unspin spin`.
#[derive(Args)]
pub struct SpinArgs {
    /// Clean documents: JSONL with "id" and "text" (`-` for standard input).
    input: String,
    /// Spinner dictionary: `root<TAB>syn|syn…` with --every, `entry|alt|alt` with --rate (from
    /// `unspin model spinner-dict`).
    #[arg(long)]
    dict: PathBuf,
    /// WordNet dict directory (for inflecting replacements; --every).
    #[arg(long, default_value = "data/sources/wordnet")]
    wordnet: PathBuf,
    /// Thesaurus spinner: replace every Nth eligible word (default 4).
    #[arg(long, conflicts_with = "rate", value_parser = clap::value_parser!(u64).range(1..))]
    every: Option<u64>,
    /// Dictionary spinner: spin this share of the spots the dictionary claims (0 to 1).
    #[arg(long, value_parser = crate::args::parse_unit)]
    rate: Option<f64>,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

enum AnySpinner {
    Thesaurus(Box<unspin_lexicon::spin::Spinner>, usize),
    Dictionary(unspin_lexicon::spin::DictSpinner, f64),
}

impl SpinArgs {
    pub fn run(self) -> Result<i32> {
        let spinner = match self.rate {
            Some(rate) => AnySpinner::Dictionary(
                unspin_lexicon::spin::DictSpinner::from_file(&self.dict)?,
                rate,
            ),
            None => {
                let morph = unspin_lexicon::Morphology::load(&self.wordnet)?;
                AnySpinner::Thesaurus(
                    Box::new(unspin_lexicon::spin::Spinner::from_dict(&self.dict, morph)?),
                    self.every.unwrap_or(4) as usize,
                )
            }
        };
        let docs = input::read_docs(&self.input, input::InputFormat::Jsonl, u64::MAX >> 1)?;
        let mut out = std::io::BufWriter::new(std::io::stdout().lock());
        for (n, d) in docs.into_iter().enumerate() {
            let seed = self.seed.wrapping_add(n as u64);
            let spun = match &spinner {
                AnySpinner::Thesaurus(s, every) => s.spin(&d.text, *every, seed),
                AnySpinner::Dictionary(s, rate) => s.spin(&d.text, *rate, seed),
            };
            let rec = Labelled {
                id: d.id.unwrap_or_default(),
                text: spun.text,
                original: d.text,
                edits: spun
                    .edits
                    .into_iter()
                    .map(|e| TrueEdit {
                        start: e.start,
                        end: e.end,
                        original: e.original,
                        spun: e.spun,
                    })
                    .collect(),
            };
            serde_json::to_writer(&mut out, &rec)?;
            writeln!(out)?;
        }
        out.flush()?;
        Ok(0)
    }
}
