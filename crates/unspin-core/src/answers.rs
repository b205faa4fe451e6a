//! The JSON answers of `find` and `compare` (the CLI's, the server's and the Python
//! package's), and the checks of the options they share.

use unspin_index::Comparison;
use unspin_index::Index;
use unspin_index::{FindOptions, find_all};

/// A number between 0 and 1 (a threshold, a score, a share); the message says what is wrong.
pub fn check_unit(v: f64) -> Result<f64, String> {
    if !v.is_finite() {
        Err(format!("`{v}` is not a finite number"))
    } else if (0.0..=1.0).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 0 and 1"))
    }
}

/// The answer of `compare --format json` for the suspect named `suspect` and the source
/// named `source`.
pub fn compare_json(suspect: &str, source: &str, c: &Comparison) -> serde_json::Value {
    serde_json::json!({
        "suspect": suspect,
        "source": source,
        "coverage": c.coverage,
        "similarity": c.similarity,
        "passages": c.passages,
        "substitutions": c.substitutions,
        "table": c.table,
    })
}

/// The answer of the API's `/v1/find`: the sources, the threshold, and the near miss when
/// nothing passed it.
pub fn find_response(
    ix: &Index,
    text: &str,
    opt: &FindOptions,
) -> Result<serde_json::Value, unspin_index::IndexError> {
    let f = find_all(ix, text, opt)?;
    let mut v = serde_json::json!({
        "suspect": "-",
        "sources": f.hits,
        "threshold": { "max_evalue": opt.max_evalue, "min_coverage": opt.min_coverage, "min_passage": opt.min_passage },
    });
    if let Some(n) = f.near_miss {
        let mut n = NearMiss::new(n, opt);
        // the request's field names, not the command line's
        n.admit_with = n
            .admit_with
            .split(' ')
            .map(|t| match t.strip_prefix("--") {
                Some(name) => name.replace('-', "_"),
                None => t.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        v["near_miss"] = serde_json::to_value(n).unwrap_or_default();
    }
    Ok(v)
}

/// What is wrong with the API's `min_passage` and `max_evalue`, if anything.
pub fn find_request_problem(min_passage: Option<u32>, max_evalue: Option<f64>) -> Option<String> {
    if min_passage == Some(0) {
        return Some("invalid request: min_passage must be at least 1".into());
    }
    if max_evalue.is_some_and(|e| !(e > 0.0 && e.is_finite())) {
        return Some("invalid request: max_evalue must be a positive number".into());
    }
    None
}

/// The strongest candidate when none passed the threshold, and the option that would admit
/// it.
#[derive(Debug, serde::Serialize)]
pub struct NearMiss {
    /// The candidate, with its evidence.
    #[serde(flatten)]
    pub hit: unspin_index::Hit,
    /// Options that would report it (e.g. `--max-evalue 0.02`).
    pub admit_with: String,
}

impl NearMiss {
    /// The near miss `hit` under the options `opt`.
    pub fn new(hit: unspin_index::Hit, opt: &FindOptions) -> NearMiss {
        let mut flags = Vec::new();
        if hit.evalue > opt.max_evalue {
            flags.push(format!("--max-evalue {}", round_up_evalue(hit.evalue)));
        }
        if hit.best_passage < opt.min_passage {
            flags.push(format!("--min-passage {}", hit.best_passage));
        }
        if hit.coverage < opt.min_coverage {
            flags.push(format!(
                "--min-coverage {}",
                (hit.coverage * 100.0).floor() / 100.0
            ));
        }
        NearMiss {
            hit,
            admit_with: flags.join(" "),
        }
    }

    /// One line for stderr.
    pub fn describe(&self) -> String {
        let h = &self.hit;
        format!(
            "nothing passed the threshold; the best candidate, {}, has {} matching words in its strongest passage, E-value {}, coverage {:.2} ({} would report it)",
            h.id,
            h.best_passage,
            fmt_evalue(h.evalue),
            h.coverage,
            self.admit_with
        )
    }
}

/// The smallest "nice" number (1, 2 or 5 times a power of ten) at or above `e`.
fn round_up_evalue(e: f64) -> String {
    if !e.is_finite() || e <= 0.0 {
        return format!("{e}");
    }
    let p = e.log10().floor();
    let base = 10f64.powf(p);
    let m = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * base >= e * (1.0 - 1e-12))
        .unwrap_or(10.0);
    format!("{}", m * base)
        .parse::<f64>()
        .map_or_else(|_| format!("{e}"), fmt_evalue)
}

/// An E-value for reading: `3e-12`, `0.02`.
pub fn fmt_evalue(e: f64) -> String {
    if e == 0.0 {
        "0".into()
    } else if (0.01..1e4).contains(&e) {
        let s = format!("{e:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{e:.0e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_is_between_0_and_1_and_finite() {
        assert_eq!(check_unit(0.0), Ok(0.0));
        assert_eq!(check_unit(1.0), Ok(1.0));
        assert_eq!(check_unit(2.0), Err("2 is not between 0 and 1".into()));
        assert_eq!(check_unit(-0.5), Err("-0.5 is not between 0 and 1".into()));
        assert!(check_unit(f64::NAN).is_err() && check_unit(f64::INFINITY).is_err());
    }

    #[test]
    fn compare_json_has_the_cli_keys() {
        let c = unspin_index::compare(
            "the city council will meet on May 15 to discuss the budget",
            "the metropolis council will meet on Could 15 to debate the budget",
            unspin_index::SynClasses::embedded(),
            &unspin_index::AlignParams::default(),
        );
        let v = compare_json("a", "b", &c);
        let keys: Vec<&str> = v
            .as_object()
            .map_or(vec![], |o| o.keys().map(String::as_str).collect());
        for k in [
            "suspect",
            "source",
            "coverage",
            "similarity",
            "passages",
            "substitutions",
            "table",
        ] {
            assert!(keys.contains(&k), "{k}");
        }
        assert_eq!(v["suspect"], "a");
        assert_eq!(v["source"], "b");
    }

    #[test]
    fn evalues_read_as_the_cli_prints_them() {
        assert_eq!(fmt_evalue(0.0), "0");
        assert_eq!(fmt_evalue(0.02), "0.02");
        assert_eq!(fmt_evalue(5e-21), "5e-21");
        assert_eq!(round_up_evalue(8.7e-8), "1e-7");
        assert_eq!(round_up_evalue(3e-21), "5e-21");
    }
}
