//! User lexicon learned from aligned substitutions, merged and written in the format that
//! [`unspin_text::userlex`] owns (read back by `check` and `restore`).

use crate::align::TableRow;
use crate::error::IndexError;
use std::collections::BTreeMap;
use std::path::Path;
use unspin_text::userlex::normalize_phrase;

/// Counts of (spun, original) pairs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lexicon {
    /// (spun, original) → count.
    pub pairs: BTreeMap<(String, String), u64>,
}

impl Lexicon {
    /// Reads a lexicon file; a missing file is an empty lexicon.
    pub fn read(path: &Path) -> Result<Self, IndexError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(IndexError::io(path, e)),
        };
        let rows = unspin_text::userlex::parse(&text).map_err(|e| IndexError::BadInput {
            path: path.to_path_buf(),
            problem: e.to_string(),
        })?;
        let mut lx = Self::default();
        for r in rows {
            // Counts written by `to_tsv` are whole; a hand-edited fraction rounds up.
            *lx.pairs.entry((r.spun, r.original)).or_insert(0) += r.count.ceil() as u64;
        }
        Ok(lx)
    }

    /// Adds the rows of a substitution table.
    pub fn add_table(&mut self, table: &[TableRow]) {
        for r in table {
            let (s, o) = (normalize_phrase(&r.spun), normalize_phrase(&r.source));
            if s.is_empty() || o.is_empty() || s == o {
                continue;
            }
            *self.pairs.entry((s, o)).or_insert(0) += r.count as u64;
        }
    }

    /// TSV text, most frequent first, dropping pairs seen fewer than `min_count` times.
    pub fn to_tsv(&self, min_count: u64) -> String {
        let mut v: Vec<(&(String, String), &u64)> = self
            .pairs
            .iter()
            .filter(|(_, c)| **c >= min_count)
            .collect();
        v.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let mut out = String::new();
        for ((s, o), c) in v {
            unspin_text::userlex::write_line(&mut out, s, o, *c);
        }
        out
    }

    /// Writes the lexicon atomically (temporary file + rename).
    pub fn write(&self, path: &Path, min_count: u64) -> Result<(), IndexError> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, self.to_tsv(min_count)).map_err(|e| IndexError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| IndexError::io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_merge() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("lex.tsv");
        let mut lx = Lexicon::default();
        lx.add_table(&[TableRow {
            source: "Artificial  intelligence".into(),
            spun: "counterfeit consciousness".into(),
            count: 2,
        }]);
        lx.write(&p, 1).unwrap();
        let mut back = Lexicon::read(&p).unwrap();
        assert_eq!(back, lx);
        back.add_table(&[TableRow {
            source: "artificial intelligence".into(),
            spun: "Counterfeit Consciousness".into(),
            count: 1,
        }]);
        assert_eq!(
            back.to_tsv(1),
            "counterfeit consciousness\tartificial intelligence\t3\n"
        );
        std::fs::write(&p, "bad line\n").unwrap();
        assert!(Lexicon::read(&p).is_err());
    }
}
