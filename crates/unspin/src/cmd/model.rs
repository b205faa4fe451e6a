//! `unspin model …`: building, inspecting, importing and exporting models.

use crate::input;
use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Subcommand)]
pub enum ModelCmd {
    /// Build the English model (lm.bin, vectors.bin, lexicon.bin) from the corpus and thesauri.
    #[command(
        after_help = "Example (from the repository root, after scripts/fetch-sources.sh):\n  \
        unspin model build --out model/en"
    )]
    Build(BuildArgs),
    /// Show what a model contains.
    Info {
        /// Model directory (default: the built-in model).
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
    },
    /// Write the language model in ARPA format (e.g. to load it in KenLM).
    ExportArpa {
        /// Model directory (default: the built-in model).
        #[arg(long, value_name = "DIR")]
        model: Option<PathBuf>,
        /// Output file (`-` for standard output).
        out: String,
    },
    /// Compile an ARPA language model (e.g. from KenLM's lmplz) into DIR/lm.bin.
    ImportArpa {
        /// ARPA file.
        arpa: PathBuf,
        /// Model directory to write lm.bin into (add a lexicon.bin to use it with check).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Export a spinner dictionary for `unspin spin`: `root<TAB>syn|syn…` (moby, wordnet) for
    /// `--every`, or a commercial spinner's `entry|alt|alt` lines (mythes, tortured) for `--rate`.
    #[command(after_help = "Examples:\n  \
        unspin model spinner-dict --source wordnet --out wordnet.tsv\n  \
        unspin model spinner-dict --source mythes --seed 3 --phrases-from clean.jsonl --out dict.txt\n  \
        unspin model spinner-dict --source tortured --out tortured.txt")]
    SpinnerDict(SpinnerDictArgs),
}

/// `unspin model spinner-dict`.
#[derive(Args)]
pub struct SpinnerDictArgs {
    /// moby, wordnet (thesaurus spinners), mythes or tortured (dictionary spinners).
    #[arg(long)]
    source: String,
    /// Output file.
    #[arg(long)]
    out: PathBuf,
    /// Directory with moby.txt and wordnet/ (from scripts/fetch-sources.sh).
    #[arg(long, default_value = "data/sources")]
    sources: PathBuf,
    /// MyThes thesaurus (mythes): Debian's mythes-en-us.
    #[arg(long, default_value = "/usr/share/mythes/th_en_US_v2.dat")]
    mythes: PathBuf,
    /// Tortured-phrase pairs (tortured): CSV tortured,expected,papers.
    #[arg(long, default_value = "../shared/lexicons/tortured_phrases_train.csv")]
    tortured: PathBuf,
    /// Seed of the dictionary's choices (mythes).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Most alternatives per entry (mythes, tortured).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=10))]
    max_alts: u64,
    /// Clean JSONL ({"id","text"}) whose commonest phrases become phrase lines (mythes).
    #[arg(long, value_name = "JSONL")]
    phrases_from: Option<String>,
    /// How many everyday phrases to add (mythes, with --phrases-from).
    #[arg(long, default_value_t = 3000)]
    phrases: usize,
}

impl SpinnerDictArgs {
    fn run(self) -> Result<i32> {
        use unspin_lexicon::spin::build as sb;
        let max_alts = self.max_alts as usize;
        let lines = match self.source.as_str() {
            "moby" | "wordnet" => {
                let (src, path) = if self.source == "moby" {
                    (
                        unspin_lexicon::DictSource::Moby,
                        self.sources.join("moby.txt"),
                    )
                } else {
                    (
                        unspin_lexicon::DictSource::WordNet,
                        self.sources.join("wordnet"),
                    )
                };
                let n = unspin_lexicon::write_spinner_dict(src, &path, &self.out)?;
                eprintln!("wrote {n} entries to {}", self.out.display());
                return Ok(0);
            }
            "mythes" => {
                let text = std::fs::read_to_string(&self.mythes).with_context(|| {
                    format!(
                        "{}: cannot read (Debian package mythes-en-us)",
                        self.mythes.display()
                    )
                })?;
                let morph = unspin_lexicon::Morphology::load(&self.sources.join("wordnet"))?;
                let words = sb::from_mythes(&text, &morph, self.seed, max_alts);
                let sample = match &self.phrases_from {
                    Some(p) => input::read_docs(p, input::InputFormat::Jsonl, u64::MAX >> 1)?,
                    None => Vec::new(),
                };
                let texts: Vec<&str> = sample.iter().map(|d| d.text.as_str()).collect();
                let mut lines = sb::everyday_phrases(&texts, &words, self.seed, self.phrases, 3);
                lines.extend(words);
                lines
            }
            "tortured" => {
                let rows = unspin_lexicon::load_tortured(&self.tortured)?;
                sb::from_tortured(&rows, max_alts)
            }
            s => bail!("--source {s}: expected moby, wordnet, mythes or tortured"),
        };
        let n = sb::write(&lines, &self.out)?;
        eprintln!("wrote {n} lines to {}", self.out.display());
        Ok(0)
    }
}

#[derive(Args)]
pub struct BuildArgs {
    /// Output directory (required, so that the shipped model/en is never overwritten by
    /// accident: `scripts/build-model.sh` passes `--out model/en`).
    #[arg(long)]
    out: PathBuf,
    /// Corpus (JSONL, zstd-compressed or plain) for the language model and word counts.
    #[arg(long, default_value = "../shared/corpora/enwiki2015.jsonl.zst")]
    corpus: PathBuf,
    /// Directory with moby.txt and wordnet/ (from scripts/fetch-sources.sh).
    #[arg(long, default_value = "data/sources")]
    sources: PathBuf,
    /// Tortured-phrase pairs (CSV: tortured,expected,...).
    #[arg(long, default_value = "../shared/lexicons/tortured_phrases_train.csv")]
    tortured: PathBuf,
    /// Only read this many corpus documents (for quick experiments).
    #[arg(long)]
    max_docs: Option<usize>,
    /// Build only one part.
    #[arg(long, value_parser = ["lm", "lexicon", "vectors"])]
    only: Option<String>,
    /// Also write the language model in ARPA format here.
    #[arg(long)]
    arpa: Option<PathBuf>,
}

impl ModelCmd {
    pub fn run(self) -> Result<i32> {
        match self {
            ModelCmd::Build(a) => build(a),
            ModelCmd::Info { model } => {
                let t = Instant::now();
                let (lm, lex) = crate::models::load_parts(model.as_deref())?;
                let terms = crate::models::load_terms(model.as_deref(), &lm)?;
                let fw = crate::models::load_function_words(model.as_deref())?;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                println!("model: {}", crate::models::describe(model.as_deref()));
                println!("loaded in {ms:.1} ms");
                println!(
                    "language model: order {}, {} words, n-grams per order {:?}, {}",
                    lm.0.order(),
                    lm.0.vocab_size(),
                    lm.0.counts(),
                    input::human_bytes(lm.0.size_bytes() as u64)
                );
                println!(
                    "lexicon: {} keys up to {} words, {} pairs, {} originals",
                    lex.inner().len(),
                    lex.inner().max_key_words(),
                    lex.inner().num_pairs(),
                    lex.inner().num_originals()
                );
                println!(
                    "known terms: {} (up to {} words)",
                    terms.len(),
                    terms.max_words()
                );
                match fw {
                    Some(f) => println!("function-word pairs: {} keys", f.len()),
                    None => println!("function-word pairs: none"),
                }
                Ok(0)
            }
            ModelCmd::ExportArpa { model, out } => {
                let (lm, _) = crate::models::load_parts(model.as_deref())?;
                if out == "-" {
                    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
                    lm.0.write_arpa(&mut w)?;
                    w.flush()?;
                } else {
                    let f = std::fs::File::create(&out)
                        .with_context(|| format!("{out}: cannot create"))?;
                    let mut w = std::io::BufWriter::new(f);
                    lm.0.write_arpa(&mut w)
                        .with_context(|| format!("{out}: cannot write"))?;
                    w.flush()?;
                }
                Ok(0)
            }
            ModelCmd::ImportArpa { arpa, out } => {
                std::fs::create_dir_all(&out)
                    .with_context(|| format!("{}: cannot create", out.display()))?;
                let st = unspin_lm::compile_arpa(&arpa, &out.join("lm.bin"))?;
                eprintln!(
                    "wrote {} ({})",
                    out.join("lm.bin").display(),
                    input::human_bytes(st.file_bytes)
                );
                Ok(0)
            }
            ModelCmd::SpinnerDict(a) => a.run(),
        }
    }
}

fn build(a: BuildArgs) -> Result<i32> {
    std::fs::create_dir_all(&a.out)
        .with_context(|| format!("{}: cannot create", a.out.display()))?;
    let mut progress = |m: &str| eprintln!("  {m}");
    let only = a.only.as_deref();
    if only.is_none() || only == Some("vectors") {
        eprintln!("word vectors from {}", a.corpus.display());
        let opts = unspin_vectors::TrainOptions {
            max_docs: a.max_docs,
            threads: rayon::current_num_threads(),
            ..Default::default()
        };
        let (bytes, st) = unspin_vectors::train(&a.corpus, &opts, &mut progress)?;
        let path = a.out.join("vectors.bin");
        std::fs::write(&path, &bytes)
            .with_context(|| format!("{}: cannot write", path.display()))?;
        eprintln!(
            "  wrote vectors.bin: {} words, {} ({:.0}s reading, {:.0}s training)",
            st.words,
            input::human_bytes(bytes.len() as u64),
            st.read_seconds,
            st.train_seconds
        );
        if only.is_some() {
            return Ok(0);
        }
    }
    if only != Some("lexicon") {
        eprintln!("language model from {}", a.corpus.display());
        let opts = unspin_lm::BuildOptions {
            max_docs: a.max_docs,
            arpa_out: a.arpa.clone(),
            ..Default::default()
        };
        let st =
            unspin_lm::build_from_corpus(&a.corpus, &a.out.join("lm.bin"), &opts, &mut progress)?;
        eprintln!(
            "  wrote lm.bin: {} in {:.0}s",
            input::human_bytes(st.file_bytes),
            st.seconds
        );
    }
    if only != Some("lm") {
        eprintln!("lexicon from {}", a.sources.display());
        let root = std::env::current_dir()?;
        let mut opts = unspin_lexicon::BuildOptions::with_root(&root);
        opts.moby = a.sources.join("moby.txt");
        opts.wordnet_dir = a.sources.join("wordnet");
        opts.tortured_csv = Some(a.tortured.clone());
        opts.corpus = a.corpus.clone();
        opts.max_docs = a.max_docs;
        let st = unspin_lexicon::build(&opts, &a.out.join("lexicon.bin"), &mut progress)?;
        eprintln!("  wrote lexicon.bin: {} keys", st.keys);
    }
    Ok(0)
}
