//! `unspin._unspin`: the Python bindings (the `unspin` package re-exports them).
//!
//! Every answer is built by `unspin-core`, as the CLI's and the server's are: a check is the
//! [`DocReport`](unspin_core::report::DocReport) that `check --format json` prints, serialised by the same code and read
//! back with Python's `json.loads` (so the keys, their order and the numbers are the CLI's
//! byte for byte). Work on text runs with the GIL released; a panic in Rust becomes an
//! [`UnspinError`], never a crash.

#![warn(missing_docs)]

mod index;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyString;
use rayon::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use unspin_core::answers::{check_unit, compare_json};
use unspin_core::models::{ModelArgs, load_engine};
use unspin_core::report::check_doc;
use unspin_engine::{CheckOptions, DEFAULT_THRESHOLD, Engine, Params};
use unspin_input::{Doc, InputError};

// The CLI's allocator (see crates/unspin/src/main.rs): the check allocates on worker threads.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pyo3::create_exception!(
    unspin,
    UnspinError,
    PyValueError,
    "An input or option unspin refuses, or a model or index it cannot read; the message is the CLI's."
);

/// The engine with the built-in model (or `$UNSPIN_MODEL`'s, as for the CLI), loaded once.
fn engine() -> PyResult<&'static Engine> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(|| {
            load_engine(&ModelArgs::default(), Params::default()).map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(|e| UnspinError::new_err(e.clone()))
}

/// Runs `f`, turning a panic into an error (the message says where it came from).
pub(crate) fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| {
        let msg = p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".into());
        Err(format!("internal error (please report it): {msg}"))
    })
}

/// An error message as an [`UnspinError`].
pub(crate) fn err(msg: String) -> PyErr {
    UnspinError::new_err(msg)
}

/// `threshold` and `papers` as the engine's options, refused as the CLI refuses them.
fn options(threshold: f64, papers: bool) -> PyResult<CheckOptions> {
    let threshold = check_unit(threshold).map_err(|e| err(format!("threshold: {e}")))?;
    Ok(CheckOptions { threshold, papers })
}

/// The document of a text given in Python, named `name` in messages: refused as the CLI
/// refuses a file with NUL bytes; HTML when `html` says so, else when it starts like HTML
/// (the CLI's rule for a file without a telling name).
pub(crate) fn doc(text: String, html: Option<bool>, name: &str) -> Result<Doc, String> {
    if text.contains('\0') {
        return Err(InputError::Binary { path: name.into() }.to_string());
    }
    let html = html.unwrap_or_else(|| {
        unspin_input::sniff(unspin_input::Format::Auto, "-", text.as_bytes(), true)
            == unspin_input::Format::Html
    });
    Ok(Doc {
        path: "-".into(),
        text,
        html,
        ..Doc::default()
    })
}

/// Checks `doc` and serialises its report as `check --format jsonl` does.
fn report_json(engine: &Engine, doc: Doc, opts: &CheckOptions) -> Result<String, String> {
    guarded(|| {
        let rep = check_doc(engine, doc, opts, None);
        serde_json::to_string(&rep).map_err(|e| e.to_string())
    })
}

/// Python's `json.loads(s)`.
pub(crate) fn loads<'py>(py: Python<'py>, s: &str) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .getattr("loads")?
        .call1((PyString::new(py, s),))
}

/// Checks a text: finds the substituted words and phrases, scores how spun it is, and
/// suggests the originals.
///
/// Returns the dict `unspin check --format json` gives for one document: `path` ("-"),
/// `score` (0 to 1), `verdict`, `words`, `findings` (each with byte offsets `start`/`end`,
/// `text`, `suggestion`, `alternatives`, `confidence`) and `restored`.
///
/// `threshold` (0 to 1): least confidence of a finding. `papers`: screening scientific
/// papers for tortured phrases (`--papers`). `html`: read the text as HTML (offsets refer
/// to the HTML); by default, when it starts like HTML.
#[pyfunction]
#[pyo3(signature = (text, *, threshold = DEFAULT_THRESHOLD, papers = false, html = None))]
fn check<'py>(
    py: Python<'py>,
    text: String,
    threshold: f64,
    papers: bool,
    html: Option<bool>,
) -> PyResult<Bound<'py, PyAny>> {
    let opts = options(threshold, papers)?;
    let engine = engine()?;
    let d = doc(text, html, "-").map_err(err)?;
    let json = py.detach(|| report_json(engine, d, &opts)).map_err(err)?;
    loads(py, &json)
}

/// The restored text: every finding at or above `threshold` replaced by its suggestion
/// (what `unspin restore` prints).
#[pyfunction]
#[pyo3(signature = (text, *, threshold = DEFAULT_THRESHOLD, papers = false, html = None))]
fn restore(
    py: Python<'_>,
    text: String,
    threshold: f64,
    papers: bool,
    html: Option<bool>,
) -> PyResult<String> {
    let opts = options(threshold, papers)?;
    let engine = engine()?;
    let d = doc(text, html, "-").map_err(err)?;
    py.detach(|| guarded(|| Ok(check_doc(engine, d, &opts, None).restored)))
        .map_err(err)
}

/// The texts of an iterable of `str` (a list, a tuple, a pandas Series...).
fn texts_of(texts: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if texts.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err(
            "texts must be an iterable of str, not a str",
        ));
    }
    texts
        .try_iter()?
        .enumerate()
        .map(|(i, t)| {
            t?.extract::<String>()
                .map_err(|_| PyTypeError::new_err(format!("texts[{i}] is not a str")))
        })
        .collect()
}

/// Checks many texts on all cores (or `jobs` threads) with the GIL released.
///
/// Returns one dict per text, in order, each what `check` returns for it (the same on any
/// number of threads).
#[pyfunction]
#[pyo3(signature = (texts, *, threshold = DEFAULT_THRESHOLD, papers = false, jobs = None, html = None))]
fn check_many<'py>(
    py: Python<'py>,
    texts: &Bound<'py, PyAny>,
    threshold: f64,
    papers: bool,
    jobs: Option<usize>,
    html: Option<bool>,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let opts = options(threshold, papers)?;
    if jobs == Some(0) {
        return Err(err("jobs: must be at least 1".into()));
    }
    let engine = engine()?;
    let docs = texts_of(texts)?
        .into_iter()
        .enumerate()
        .map(|(i, t)| doc(t, html, &format!("texts[{i}]")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(err)?;
    let run = move || -> Result<Vec<String>, String> {
        docs.into_par_iter()
            .map(|d| report_json(engine, d, &opts))
            .collect()
    };
    let out = py
        .detach(|| match jobs {
            Some(j) => rayon::ThreadPoolBuilder::new()
                .num_threads(j)
                .build()
                .map_err(|e| format!("jobs: {e}"))?
                .install(run),
            None => run(),
        })
        .map_err(err)?;
    out.iter().map(|s| loads(py, s)).collect()
}

/// Lines a suspect (spun) text up with a source text: aligned passages and every
/// substitution (what `unspin compare --format json` gives; `suspect` and `source` are "-").
/// HTML (text that starts like HTML) is compared by its visible text, as by the CLI.
#[pyfunction]
fn compare<'py>(py: Python<'py>, suspect: String, source: String) -> PyResult<Bound<'py, PyAny>> {
    let visible = |t: String, name: &str| doc(t, None, name).map(Doc::into_visible_text);
    let sus = visible(suspect, "suspect").map_err(err)?;
    let src = visible(source, "source").map_err(err)?;
    let json = py
        .detach(|| {
            guarded(|| {
                let c = unspin_index::compare(
                    &sus,
                    &src,
                    unspin_index::SynClasses::embedded(),
                    &unspin_index::AlignParams::default(),
                );
                serde_json::to_string(&compare_json("-", "-", &c)).map_err(|e| e.to_string())
            })
        })
        .map_err(err)?;
    loads(py, &json)
}

/// The Python module `unspin._unspin`.
#[pymodule]
fn _unspin(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("UnspinError", m.py().get_type::<UnspinError>())?;
    m.add("DEFAULT_THRESHOLD", DEFAULT_THRESHOLD)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(restore, m)?)?;
    m.add_function(wrap_pyfunction!(check_many, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_class::<index::Index>()?;
    Ok(())
}
