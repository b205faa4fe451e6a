//! The argument types the commands share: the engine's options (`check`, `restore`, `eval`)
//! and the parsers that check numbers before a command runs.

use anyhow::{Context, Result, bail};
use clap::Args;
use unspin_core::models;
use unspin_engine::{DEFAULT_THRESHOLD, Params};

use crate::input;

/// Options shared by `check` and `restore`.
#[derive(Args, Clone)]
pub(crate) struct EngineOpts {
    #[command(flatten)]
    pub(crate) model: models::ModelArgs,
    /// Act on findings with confidence at least this, 0 to 1: `check` reports them, `restore`
    /// replaces them (lower finds more, higher is surer).
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_parser = parse_unit)]
    pub(crate) threshold: f64,
    /// How to read inputs.
    #[arg(long, value_enum, default_value_t = input::InputFormat::Auto)]
    pub(crate) input: input::InputFormat,
    /// Refuse inputs larger than this many bytes.
    #[arg(long, default_value_t = input::DEFAULT_MAX_BYTES, value_name = "BYTES", value_parser = parse_count_u64)]
    pub(crate) max_bytes: u64,
    /// Screening scientific papers: substitutions learned from tortured phrases (*bosom
    /// peril* → *breast cancer*) are judged at a rate of their own, since a paper is rarely
    /// spun throughout but may carry a few of them. Finds more tortured phrases in otherwise
    /// clean text, at more false alarms on clean prose.
    #[arg(long)]
    pub(crate) papers: bool,
    /// Override a decoder parameter (experts; see `Params` in unspin-engine), e.g.
    /// `--set prior_spun=0.05`.
    #[arg(long = "set", value_name = "NAME=VALUE", hide_short_help = true, value_parser = parse_set)]
    pub(crate) overrides: Vec<String>,
    /// Source index: where a passage's source is found in it, restore that passage from
    /// the alignment with the source (findings marked with the source id and offsets); the
    /// rest is restored without a source.
    #[arg(long, value_name = "DIR|URL")]
    pub(crate) index: Option<std::path::PathBuf>,
}

/// A finite number (NaN and infinities are refused).
pub(crate) fn parse_finite(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number"))?;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("`{s}` is not a finite number"))
    }
}

/// A number between 0 and 1 (a threshold, a score, a share).
pub(crate) fn parse_unit(s: &str) -> Result<f64, String> {
    unspin_core::answers::check_unit(parse_finite(s)?)
}

/// A whole number of at least 1 (a count of threads, results, documents, bytes).
pub(crate) fn parse_count(s: &str) -> Result<usize, String> {
    let v: usize = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a whole number"))?;
    if v == 0 {
        Err("must be at least 1".into())
    } else {
        Ok(v)
    }
}

/// Like [`parse_count`], for byte sizes.
pub(crate) fn parse_count_u64(s: &str) -> Result<u64, String> {
    parse_count(s).map(|v| v as u64)
}

/// Parameters of the decoder that are probabilities (in [0, 1)) and counts (at least 1).
const RATE_PARAMS: [&str; 4] = ["clean_rate", "prior_rate", "prior_spun", "learned_rate"];
const COUNT_PARAMS: [&str; 4] = ["em_iterations", "max_candidates", "beam", "max_scored"];

/// `--set NAME=VALUE`: a known parameter and a finite value in its range.
pub(crate) fn parse_set(s: &str) -> Result<String, String> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected NAME=VALUE"))?;
    let x = parse_finite(v).map_err(|e| format!("{k}: {e}"))?;
    unspin_engine::Params::default().set(k, x)?;
    if RATE_PARAMS.contains(&k) && !(0.0..1.0).contains(&x) {
        return Err(format!("{k}: {x} is not a rate in [0, 1)"));
    }
    if COUNT_PARAMS.contains(&k) && (x < 1.0 || x.fract() != 0.0) {
        return Err(format!("{k}: {x} is not a whole number of at least 1"));
    }
    if ["prior_words", "coverage_a", "coverage_b"].contains(&k) && x <= 0.0 {
        return Err(format!("{k}: {x} is not above 0"));
    }
    Ok(s.to_string())
}

/// The index of `--index`, opened.
pub(crate) fn open_index(o: &EngineOpts) -> Result<Option<unspin_index::Index>> {
    o.index
        .as_deref()
        .map(|d| {
            unspin_index::Index::open(d)
                .with_context(|| format!("{}: cannot open the index", d.display()))
        })
        .transpose()
}

pub(crate) fn engine(o: &EngineOpts) -> Result<unspin_engine::Engine> {
    let params = params_with(&o.overrides)?;
    models::load_engine(&o.model, params)
}

/// Default parameters with `NAME=VALUE` overrides applied.
pub(crate) fn params_with(overrides: &[String]) -> Result<Params> {
    let mut params = Params::default();
    for kv in overrides {
        let (k, v) = kv
            .split_once('=')
            .with_context(|| format!("--set {kv}: expected NAME=VALUE"))?;
        let v: f64 = v
            .trim()
            .parse()
            .with_context(|| format!("--set {kv}: not a number"))?;
        if !v.is_finite() {
            bail!("--set {kv}: not a finite number");
        }
        params.set(k, v).map_err(anyhow::Error::msg)?;
    }
    Ok(params)
}
