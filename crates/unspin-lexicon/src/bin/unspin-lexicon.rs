//! Command-line tool: build the lexicon, export spinner dictionaries, spin text, look up keys
//! and measure coverage.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use unspin_lexicon::Morphology;
use unspin_lexicon::spin::Spinner;
use unspin_lexicon::{BuildOptions, Candidate, DictSource, Holdout, Lexicon, Prune, holdout_split};
use unspin_lexicon::{load_tortured, phrase_key};

#[derive(Parser)]
#[command(about = "unspin candidate lexicon tools")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Build the compiled lexicon.
    Build {
        /// Workspace root (inputs default to data/sources and ../shared).
        #[arg(long, default_value = ".")]
        root: PathBuf,
        /// Output file.
        #[arg(long, default_value = "model/en/lexicon.bin")]
        out: PathBuf,
        /// Hold this fraction of the tortured CSV out of learning (for evaluation builds).
        #[arg(long)]
        holdout: Option<f64>,
        /// Seed of the hold-out split.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Most candidates per key.
        #[arg(long)]
        top_k: Option<usize>,
        /// Originals vocabulary size.
        #[arg(long)]
        vocab: Option<usize>,
        /// Only read this many corpus documents.
        #[arg(long)]
        max_docs: Option<usize>,
        /// Also use Moby's reverse listings (Y lists X).
        #[arg(long)]
        moby_reverse: bool,
        /// Exponent of ln P(X) in the ranking.
        #[arg(long)]
        prior_weight: Option<f64>,
        /// Exponent of the evidence factor (1 = as measured, 0 = none).
        #[arg(long)]
        evidence_weight: Option<f64>,
        /// Size limit in bytes.
        #[arg(long)]
        max_bytes: Option<usize>,
        /// Weight of WordNet's more general and similar terms (0: synonyms only).
        #[arg(long)]
        related_weight: Option<f64>,
        /// Evidence factor of pairs only WordNet's related terms propose (0: dropped).
        #[arg(long)]
        unlisted_evidence: Option<f64>,
        /// Size pruning order: `rank`, `posterior` or `joint`.
        #[arg(long, default_value = "joint")]
        prune: String,
    },
    /// Write a forward dictionary for the evaluation spinner.
    Dict {
        /// `moby` or `wordnet`.
        source: String,
        /// Moby text file or WordNet dict directory.
        input: PathBuf,
        /// Output file.
        out: PathBuf,
    },
    /// Print the candidates of observed keys.
    Lookup {
        #[arg(long, default_value = "model/en/lexicon.bin")]
        lexicon: PathBuf,
        keys: Vec<String>,
    },
    /// Spin text from stdin with a forward dictionary.
    Spin {
        #[arg(long)]
        dict: PathBuf,
        #[arg(long, default_value = "data/sources/wordnet")]
        wordnet: PathBuf,
        #[arg(long, default_value_t = 3)]
        every: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Coverage on the held-out part of the tortured CSV.
    EvalTortured {
        #[arg(long)]
        lexicon: PathBuf,
        #[arg(long, default_value = "../shared/lexicons/tortured_phrases_train.csv")]
        csv: PathBuf,
        #[arg(long, default_value_t = 0.2)]
        fraction: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print this many misses.
        #[arg(long, default_value_t = 0)]
        show_misses: usize,
        /// Also write the held-out rows here as JSONL (`{"id", "text", "expected"}`), for
        /// end-to-end evaluation with `unspin check` (bench/check/tortured.sh).
        #[arg(long)]
        jsonl: Option<PathBuf>,
    },
    /// Candidate recall on text spun by the evaluation spinner.
    EvalSpin {
        #[arg(long, default_value = "model/en/lexicon.bin")]
        lexicon: PathBuf,
        #[arg(long)]
        dict: PathBuf,
        #[arg(long, default_value = "data/sources/wordnet")]
        wordnet: PathBuf,
        #[arg(long, default_value = "../shared/corpora/enwiki2018.jsonl.zst")]
        corpus: PathBuf,
        #[arg(long, default_value_t = 300)]
        docs: usize,
        #[arg(long, default_value_t = 3)]
        every: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print this many misses.
        #[arg(long, default_value_t = 0)]
        show_misses: usize,
    },
}

fn main() {
    if let Err(e) = run() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().cmd {
        Cmd::Build {
            root,
            out,
            holdout,
            seed,
            top_k,
            vocab,
            max_docs,
            prune,
            max_bytes,
            prior_weight,
            evidence_weight,
            moby_reverse,
            related_weight,
            unlisted_evidence,
        } => {
            let mut o = BuildOptions::with_root(&root);
            o.holdout = holdout.map(|fraction| Holdout { fraction, seed });
            if let Some(k) = top_k {
                o.top_k = k;
            }
            if let Some(v) = vocab {
                o.vocab_size = v;
            }
            o.max_docs = max_docs;
            o.moby_reverse = moby_reverse;
            if let Some(w) = prior_weight {
                o.prior_weight = w;
            }
            if let Some(w) = evidence_weight {
                o.evidence_weight = w;
            }
            if let Some(b) = max_bytes {
                o.max_bytes = b;
            }
            if let Some(w) = unlisted_evidence {
                o.unlisted_evidence = w;
            }
            if let Some(w) = related_weight {
                o.related_weight = w;
            }
            o.prune = match prune.as_str() {
                "rank" => Prune::Rank,
                "posterior" => Prune::Posterior,
                "joint" => Prune::Joint,
                other => return Err(format!("unknown prune order {other:?}").into()),
            };
            let t = std::time::Instant::now();
            let stats = unspin_lexicon::build(&o, &out, &mut |m| {
                eprintln!("[{:7.1}s] {m}", t.elapsed().as_secs_f64())
            })?;
            println!("{stats:#?}");
        }
        Cmd::Dict { source, input, out } => {
            let src = match source.as_str() {
                "moby" => DictSource::Moby,
                "wordnet" => DictSource::WordNet,
                other => return Err(format!("unknown source {other:?} (moby or wordnet)").into()),
            };
            let n = unspin_lexicon::write_spinner_dict(src, &input, &out)?;
            println!("{n} entries written to {}", out.display());
        }
        Cmd::Lookup { lexicon, keys } => {
            let lex = Lexicon::open(&lexicon)?;
            let mut out = Vec::new();
            for k in keys {
                lex.candidates(&phrase_key(&k), &mut out);
                println!("{k}: {} candidates", out.len());
                for c in &out {
                    println!(
                        "  {:<30} {:7.2}  src {:04b}",
                        c.original, c.ln_channel, c.sources
                    );
                }
            }
        }
        Cmd::Spin {
            dict,
            wordnet,
            every,
            seed,
        } => {
            let sp = Spinner::from_dict(&dict, Morphology::load(&wordnet)?)?;
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            let spun = sp.spin(&text, every, seed);
            println!("{}", spun.text);
            for e in &spun.edits {
                eprintln!("{}..{}\t{}\t{}", e.start, e.end, e.original, e.spun);
            }
        }
        Cmd::EvalTortured {
            lexicon,
            csv,
            fraction,
            seed,
            show_misses,
            jsonl,
        } => {
            let lex = Lexicon::open(&lexicon)?;
            let rows = load_tortured(&csv)?;
            let (_, test) = holdout_split(&rows, Holdout { fraction, seed });
            if let Some(path) = &jsonl {
                let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
                for (i, r) in test.iter().enumerate() {
                    let rec = serde_json::json!({"id": i.to_string(), "text": r.tortured, "expected": r.expected});
                    writeln!(w, "{rec}")?;
                }
                w.flush()?;
            }
            let mut out: Vec<Candidate> = Vec::new();
            let (mut hit, mut eq_n, mut eq_hit, mut whole_hit, mut cands) = (0, 0, 0, 0, 0usize);
            let mut shown = 0;
            for r in &test {
                lex.candidates(&r.tortured, &mut out);
                let whole = out.iter().any(|c| phrase_key(&c.original) == r.expected);
                let t: Vec<&str> = r.tortured.split(' ').collect();
                let e: Vec<&str> = r.expected.split(' ').collect();
                let mut words = false;
                if t.len() == e.len() {
                    eq_n += 1;
                    words = t.iter().zip(&e).all(|(tw, ew)| {
                        lex.candidates(tw, &mut out);
                        cands += out.len();
                        tw == ew || out.iter().any(|c| phrase_key(&c.original) == *ew)
                    });
                    eq_hit += usize::from(words || whole);
                }
                whole_hit += usize::from(whole);
                if !(words || whole) && shown < show_misses {
                    shown += 1;
                    println!("miss: {} <- {}", r.tortured, r.expected);
                }
                hit += usize::from(words || whole);
            }
            println!(
                "held-out rows {}: covered {hit} ({:.1}%); equal-length {eq_n}: {eq_hit} ({:.1}%); whole phrase {whole_hit}; mean candidates per word {:.1}",
                test.len(),
                100.0 * hit as f64 / test.len().max(1) as f64,
                100.0 * eq_hit as f64 / eq_n.max(1) as f64,
                cands as f64
                    / test
                        .iter()
                        .map(|r| r.tortured.split(' ').count())
                        .sum::<usize>()
                        .max(1) as f64,
            );
        }
        Cmd::EvalSpin {
            lexicon,
            dict,
            wordnet,
            corpus,
            docs,
            every,
            seed,
            show_misses,
        } => {
            let lex = Lexicon::open(&lexicon)?;
            let sp = Spinner::from_dict(&dict, Morphology::load(&wordnet)?)?;
            let f = std::fs::File::open(&corpus)?;
            let r = BufReader::new(zstd::Decoder::new(f)?);
            let mut out: Vec<Candidate> = Vec::new();
            let (mut n, mut hit, mut cands, mut hit_rank) = (0usize, 0usize, 0usize, 0usize);
            let (mut n1, mut hit1) = (0usize, 0usize);
            let mut shown = 0;
            for (i, line) in r.lines().enumerate() {
                if i >= docs {
                    break;
                }
                let v: serde_json::Value = serde_json::from_str(&line?)?;
                let text = v["text"].as_str().unwrap_or("");
                let spun = sp.spin(text, every, seed.wrapping_add(i as u64));
                for e in &spun.edits {
                    let key = phrase_key(&e.spun);
                    let orig = phrase_key(&e.original);
                    lex.candidates(&key, &mut out);
                    n += 1;
                    cands += out.len();
                    let pos = out.iter().position(|c| phrase_key(&c.original) == orig);
                    hit += usize::from(pos.is_some());
                    if pos.is_none() && shown < show_misses {
                        shown += 1;
                        let top: Vec<&str> =
                            out.iter().take(5).map(|c| c.original.as_str()).collect();
                        println!("miss: {key} <- {orig}   [{}]", top.join(", "));
                    }
                    hit_rank += pos.map_or(0, |p| p + 1);
                    if !key.contains(' ') && !orig.contains(' ') {
                        n1 += 1;
                        hit1 += usize::from(pos.is_some());
                    }
                }
            }
            println!(
                "edits {n}: candidate recall {:.1}% (single word → single word: {:.1}% of {n1}); mean candidates {:.1}; mean rank of hits {:.1}",
                100.0 * hit as f64 / n.max(1) as f64,
                100.0 * hit1 as f64 / n1.max(1) as f64,
                cands as f64 / n.max(1) as f64,
                hit_rank as f64 / hit.max(1) as f64,
            );
        }
    }
    Ok(())
}
