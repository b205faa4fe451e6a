//! Evaluation: precision, recall and F1 of detection and of restoration on a labelled set, and
//! false alarms per 1,000 words on clean text.
//!
//! A labelled set is JSONL, one spun document per line:
//! `{"id", "text": <spun>, "original": <clean>, "edits": [{"start", "end", "original", "spun"}]}`
//! with `start`/`end` byte offsets of each substitution in the spun text (what `unspin spin`
//! writes).

use crate::Finding;
use serde::{Deserialize, Serialize};

/// One logged substitution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrueEdit {
    /// Byte offset of the spun span in the spun text.
    pub start: usize,
    /// End of the spun span.
    pub end: usize,
    /// What the original text said.
    pub original: String,
    /// What the spinner wrote.
    pub spun: String,
}

/// One labelled document.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Labelled {
    /// Document id.
    pub id: String,
    /// The spun text.
    pub text: String,
    /// The clean original. Absent in a clean-only record (`{"id", "text"}`), whose text
    /// [`Labelled::normalize`] moves here.
    #[serde(default)]
    pub original: String,
    /// The substitutions, in text order.
    #[serde(default)]
    pub edits: Vec<TrueEdit>,
}

impl TrueEdit {
    /// The edit without the words its two sides share at either end: a dictionary spinner
    /// that swaps *the law* for *the jurisprudence* changed one word, *law*. Returns the
    /// core's byte range in the spun text and the original's core words (normalised, single
    /// spaces); the whole edit when the sides share nothing or are equal.
    pub fn core(&self) -> (usize, usize, String) {
        let spun = unspin_text::tokenize(&self.spun);
        let orig: Vec<String> = unspin_text::tokenize(&self.original)
            .iter()
            .map(|t| unspin_text::normalize(t.text(&self.original)))
            .collect();
        let sw: Vec<String> = spun
            .iter()
            .map(|t| unspin_text::normalize(t.text(&self.spun)))
            .collect();
        let (mut a, mut b) = (0, 0);
        while a < sw.len().min(orig.len()) && sw[a] == orig[a] {
            a += 1;
        }
        while b < (sw.len() - a).min(orig.len() - a)
            && sw[sw.len() - 1 - b] == orig[orig.len() - 1 - b]
        {
            b += 1;
        }
        if (a == 0 && b == 0) || a + b >= sw.len() || a + b >= orig.len() {
            return (
                self.start,
                self.end,
                crate::model::normalize_key(&self.original),
            );
        }
        let start = self.start + spun[a].start;
        let end = self.start + spun[sw.len() - 1 - b].end;
        (start, end, orig[a..orig.len() - b].join(" "))
    }

    /// Whether `f` restores this edit: same span and words, or the same for the edit's core
    /// (see [`TrueEdit::core`]).
    pub fn restored_by(&self, f: &Finding) -> bool {
        if self.start == f.start && self.end == f.end && same_words(&self.original, &f.suggestion) {
            return true;
        }
        let (s, e, words) = self.core();
        s == f.start && e == f.end && crate::model::normalize_key(&f.suggestion) == words
    }
}

impl Labelled {
    /// A record without an original is clean text: it becomes the original, with no spun
    /// side (empty `text`), so that it counts towards false alarms only.
    pub fn normalize(mut self) -> Labelled {
        if self.original.is_empty() && self.edits.is_empty() {
            self.original = std::mem::take(&mut self.text);
        }
        self
    }

    /// Whether the record has a spun side.
    pub fn has_spun(&self) -> bool {
        !self.text.is_empty()
    }
}

/// Counts accumulated over documents.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Counts {
    /// Logged substitutions.
    pub truths: usize,
    /// Findings reported on the spun texts.
    pub findings: usize,
    /// Findings overlapping a substitution.
    pub detected_findings: usize,
    /// Substitutions overlapped by some finding.
    pub detected_truths: usize,
    /// Findings whose suggestion restores a substitution exactly (same span, same words; or
    /// the same for the substitution's core, without the words both sides share).
    pub restored: usize,
    /// Words in the clean originals.
    pub clean_words: usize,
    /// Findings on the clean originals.
    pub clean_findings: usize,
}

/// The figures a user reads.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Metrics {
    /// Detection precision.
    pub detection_precision: f64,
    /// Detection recall.
    pub detection_recall: f64,
    /// Detection F1.
    pub detection_f1: f64,
    /// Restoration precision.
    pub restoration_precision: f64,
    /// Restoration recall.
    pub restoration_recall: f64,
    /// Restoration F1.
    pub restoration_f1: f64,
    /// Findings per 1,000 words of clean text.
    pub false_alarms_per_1000_words: f64,
    /// The raw counts.
    pub counts: Counts,
}

#[cfg(test)]
mod core_tests {
    use super::*;

    fn edit(spun: &str, original: &str) -> TrueEdit {
        TrueEdit {
            start: 10,
            end: 10 + spun.len(),
            original: original.into(),
            spun: spun.into(),
        }
    }

    fn finding(start: usize, end: usize, suggestion: &str) -> Finding {
        Finding {
            start,
            end,
            text: String::new(),
            suggestion: suggestion.into(),
            alternatives: vec![],
            confidence: 0.9,
        }
    }

    #[test]
    fn the_core_leaves_out_the_shared_words() {
        let e = edit("the jurisprudence of", "the law of");
        assert_eq!(e.core(), (14, 27, "law".to_string()));
        assert!(e.restored_by(&finding(14, 27, "law")));
        assert!(e.restored_by(&finding(10, 30, "the law of")));
        assert!(!e.restored_by(&finding(14, 27, "rule")));
        // nothing shared, or one side all shared: the whole edit
        assert_eq!(edit("stated", "said").core(), (10, 16, "said".to_string()));
        assert_eq!(edit("at end", "at the end").core().2, "at the end");
    }
}

fn same_words(a: &str, b: &str) -> bool {
    crate::model::normalize_key(a) == crate::model::normalize_key(b)
}

impl Counts {
    /// Adds the findings on one spun document.
    pub fn add_spun(&mut self, truth: &[TrueEdit], findings: &[Finding]) {
        self.truths += truth.len();
        self.findings += findings.len();
        let overlaps = |f: &Finding, t: &TrueEdit| f.start < t.end && t.start < f.end;
        for f in findings {
            if truth.iter().any(|t| overlaps(f, t)) {
                self.detected_findings += 1;
            }
            if truth.iter().any(|t| t.restored_by(f)) {
                self.restored += 1;
            }
        }
        self.detected_truths += truth
            .iter()
            .filter(|t| findings.iter().any(|f| overlaps(f, t)))
            .count();
    }

    /// Adds the findings on one clean document of `words` words.
    pub fn add_clean(&mut self, words: usize, findings: usize) {
        self.clean_words += words;
        self.clean_findings += findings;
    }

    /// Adds another set of counts (e.g. from a parallel worker).
    pub fn merge(&mut self, o: &Counts) {
        self.truths += o.truths;
        self.findings += o.findings;
        self.detected_findings += o.detected_findings;
        self.detected_truths += o.detected_truths;
        self.restored += o.restored;
        self.clean_words += o.clean_words;
        self.clean_findings += o.clean_findings;
    }

    /// Precision, recall, F1 and false-alarm rate.
    pub fn metrics(&self) -> Metrics {
        let div = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
        let f1 = |p: f64, r: f64| {
            if p + r == 0.0 {
                0.0
            } else {
                2.0 * p * r / (p + r)
            }
        };
        let dp = div(self.detected_findings, self.findings);
        let dr = div(self.detected_truths, self.truths);
        let rp = div(self.restored, self.findings);
        let rr = div(self.restored, self.truths);
        Metrics {
            detection_precision: dp,
            detection_recall: dr,
            detection_f1: f1(dp, dr),
            restoration_precision: rp,
            restoration_recall: rr,
            restoration_f1: f1(rp, rr),
            false_alarms_per_1000_words: 1000.0 * div(self.clean_findings, self.clean_words),
            counts: self.clone(),
        }
    }
}

/// Number of word tokens, the unit of the false-alarm rate.
pub fn count_words(text: &str) -> usize {
    unspin_text::tokenize(text)
        .iter()
        .filter(|t| t.kind != unspin_text::TokenKind::Punct)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(start: usize, end: usize, s: &str) -> Finding {
        Finding {
            start,
            end,
            text: String::new(),
            suggestion: s.into(),
            alternatives: vec![],
            confidence: 0.9,
        }
    }

    #[test]
    fn counts_detection_and_restoration_separately() {
        let truth = vec![
            TrueEdit {
                start: 0,
                end: 5,
                original: "high".into(),
                spun: "large".into(),
            },
            TrueEdit {
                start: 10,
                end: 20,
                original: "therefore".into(),
                spun: "due to this".into(),
            },
        ];
        let mut c = Counts::default();
        // Right span, right word; right span, wrong word; a false alarm.
        c.add_spun(
            &truth,
            &[f(0, 5, "High"), f(10, 20, "thus"), f(30, 35, "x")],
        );
        let m = c.metrics();
        assert_eq!(c.detected_truths, 2);
        assert_eq!(c.detected_findings, 2);
        assert_eq!(c.restored, 1);
        assert!((m.detection_precision - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.restoration_recall - 0.5).abs() < 1e-9);
        c.add_clean(2000, 1);
        assert!((c.metrics().false_alarms_per_1000_words - 0.5).abs() < 1e-9);
    }
}
