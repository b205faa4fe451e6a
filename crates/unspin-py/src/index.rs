//! `unspin.Index`: the source index of `unspin index add` and `unspin find`.

use crate::{err, guarded, loads};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use unspin_core::answers::{check_unit, find_response};
use unspin_index::{DEFAULT_MAX_EVALUE, FindOptions};
use unspin_index::{Index as Reader, IndexWriter, NewDoc};

/// A source index in a directory (the one `unspin index add --index DIR` builds and
/// `unspin find --index DIR` searches; the two can be used on the same directory).
///
/// `Index(path)` opens it, or, when there is none yet, makes it on the first `add`.
#[pyclass(module = "unspin._unspin")]
pub struct Index {
    dir: PathBuf,
    /// The index as last committed (opened on first use, opened again after `add`).
    reader: Mutex<Option<Arc<Reader>>>,
}

/// One document to add: a dict with `id` (str or int) and `text` (and optionally `title`,
/// `url`, `html`), or a tuple `(id, text)`. HTML (by `html`, else by how the text starts,
/// as for JSONL lines of `index add`) is indexed by its visible text.
fn new_doc(i: usize, d: &Bound<'_, PyAny>) -> PyResult<NewDoc> {
    let bad = |what: &str| PyTypeError::new_err(format!("docs[{i}]: {what}"));
    let id_of = |v: Bound<'_, PyAny>| -> PyResult<String> {
        if let Ok(s) = v.extract::<String>() {
            Ok(s)
        } else if let Ok(n) = v.extract::<i64>() {
            Ok(n.to_string())
        } else {
            Err(bad("\"id\" must be a str or an int"))
        }
    };
    let str_of = |v: Option<Bound<'_, PyAny>>, key: &str| -> PyResult<Option<String>> {
        v.map(|v| {
            v.extract::<String>()
                .map_err(|_| bad(&format!("\"{key}\" must be a str")))
        })
        .transpose()
    };
    let (id, text, title, url, html) = if let Ok(dict) = d.cast::<PyDict>() {
        let id = dict
            .get_item("id")?
            .ok_or_else(|| bad("missing \"id\" (string or number)"))?;
        let text =
            str_of(dict.get_item("text")?, "text")?.ok_or_else(|| bad("missing \"text\""))?;
        let html = match dict.get_item("html")? {
            Some(h) => Some(
                h.extract::<bool>()
                    .map_err(|_| bad("\"html\" must be a bool"))?,
            ),
            None => None,
        };
        (
            id_of(id)?,
            text,
            str_of(dict.get_item("title")?, "title")?.unwrap_or_default(),
            str_of(dict.get_item("url")?, "url")?.unwrap_or_default(),
            html,
        )
    } else if let Ok((id, text)) = d.extract::<(Bound<'_, PyAny>, String)>() {
        (id_of(id)?, text, String::new(), String::new(), None)
    } else {
        return Err(bad(
            "expected a dict with \"id\" and \"text\", or a tuple (id, text)",
        ));
    };
    let mut doc = crate::doc(text, html, &format!("docs[{i}]")).map_err(err)?;
    if doc.text.trim().is_empty() {
        return Err(err(format!("docs[{i}]: empty input, nothing to read")));
    }
    doc.id = Some(id);
    doc.title = title;
    doc.url = url;
    unspin_index::new_doc(doc).map_err(|e| err(format!("docs[{i}]: {e}")))
}

impl Index {
    /// The committed index, opened when it was not yet.
    fn reader(&self) -> Result<Arc<Reader>, String> {
        let mut r = self
            .reader
            .lock()
            .map_err(|_| "index lock poisoned".to_string())?;
        if let Some(ix) = r.as_ref() {
            return Ok(Arc::clone(ix));
        }
        let ix = Arc::new(
            Reader::open(&self.dir)
                .map_err(|e| format!("{}: cannot open the index: {e}", self.dir.display()))?,
        );
        *r = Some(Arc::clone(&ix));
        Ok(ix)
    }
}

#[pymethods]
impl Index {
    #[new]
    fn new(path: PathBuf) -> Self {
        Index {
            dir: path,
            reader: Mutex::new(None),
        }
    }

    /// Adds documents and commits them (re-adding an id replaces its document); returns how
    /// many were added. Nothing is added when one of them is refused.
    fn add(&self, py: Python<'_>, docs: &Bound<'_, PyAny>) -> PyResult<usize> {
        if docs.is_instance_of::<PyString>() || docs.is_instance_of::<PyDict>() {
            return Err(PyTypeError::new_err(
                "docs must be an iterable of documents (dicts or (id, text) tuples)",
            ));
        }
        let docs = docs
            .try_iter()?
            .enumerate()
            .map(|(i, d)| new_doc(i, &d?))
            .collect::<PyResult<Vec<_>>>()?;
        let n = docs.len();
        let dir = self.dir.clone();
        py.detach(|| {
            guarded(|| {
                let e = |e: unspin_index::IndexError| format!("{}: {e}", dir.display());
                let mut w = IndexWriter::open(&dir).map_err(e)?;
                for d in docs {
                    w.add(d).map_err(e)?;
                }
                w.commit().map_err(e)
            })
        })
        .map_err(err)?;
        // the next search sees the new documents
        *self
            .reader
            .lock()
            .map_err(|_| err("index lock poisoned".into()))? = None;
        Ok(n)
    }

    /// The sources of a (spun) text, best first: the dict `unspin find --format json`
    /// gives (`suspect` "-", `sources` with E-value, similarity, coverage and ranges,
    /// `threshold`, and `near_miss` when a candidate fell short of it, whose `admit_with`
    /// names this method's argument that would report it).
    #[pyo3(signature = (text, *, limit = 10, min_coverage = 0.05, max_evalue = DEFAULT_MAX_EVALUE, min_passage = 1))]
    fn find<'py>(
        &self,
        py: Python<'py>,
        text: String,
        limit: usize,
        min_coverage: f64,
        max_evalue: f64,
        min_passage: usize,
    ) -> PyResult<Bound<'py, PyAny>> {
        if limit == 0 {
            return Err(err("limit: must be at least 1".into()));
        }
        let min_coverage =
            check_unit(min_coverage).map_err(|e| err(format!("min_coverage: {e}")))?;
        if let Some(m) = unspin_core::answers::find_request_problem(
            Some(u32::try_from(min_passage).unwrap_or(u32::MAX)),
            Some(max_evalue),
        ) {
            return Err(err(m.replace("invalid request: ", "")));
        }
        let text = crate::doc(text, None, "text")
            .map_err(err)?
            .into_visible_text();
        let opt = FindOptions {
            limit,
            min_coverage,
            min_passage,
            max_evalue,
            ..FindOptions::default()
        };
        let json = py
            .detach(|| {
                guarded(|| {
                    let ix = self.reader()?;
                    let v = find_response(&ix, &text, &opt).map_err(|e| e.to_string())?;
                    serde_json::to_string(&v).map_err(|e| e.to_string())
                })
            })
            .map_err(err)?;
        loads(py, &json)
    }

    /// What `unspin index stats --format json` prints: documents, segments, bytes...
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ix = self.reader().map_err(err)?;
        let json = serde_json::to_string(&ix.stats()).map_err(|e| err(e.to_string()))?;
        loads(py, &json)
    }

    /// Number of documents in the index (0 when there is none yet).
    fn __len__(&self) -> PyResult<usize> {
        if !self.dir.join("MANIFEST.json").exists() {
            return Ok(0);
        }
        Ok(self.reader().map_err(err)?.stats().docs as usize)
    }

    fn __repr__(&self) -> String {
        format!("unspin.Index({:?})", self.dir.display().to_string())
    }
}
