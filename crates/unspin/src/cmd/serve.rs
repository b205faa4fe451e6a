//! `unspin serve`: the JSON API and the web page, in one binary.
//!
//! Routes: `GET /` (the page, with its script and style), `GET /healthz`, `GET /openapi.json`,
//! `POST /v1/check`, `POST /v1/restore`, `POST /v1/find` and `POST /v1/compare` (501 unless an
//! index is configured). Every error is JSON: `{"error": "..."}`.
//!
//! Checking is CPU-bound, so it runs on a fixed pool of `--workers` threads (one per core by
//! default), never on the async executor's threads; a semaphore bounds the work in flight to
//! one check per worker, and at most `--max-pending` requests may wait, more get 503 at once.
//! Every request has a time limit (`--timeout`, 503 beyond). A panic in a handler or in the
//! engine becomes a 500 for that request only. SIGTERM or Ctrl-C stops accepting connections
//! and lets the requests in flight finish.

use crate::cmd::check::{DocReport, check_doc_with};
use crate::input::{Doc, human_bytes};
use anyhow::{Context, Result};
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use unspin_engine::{Cancel, Cancelled, CheckOptions, DEFAULT_THRESHOLD, Engine, Params};

/// Options of `unspin serve`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
    unspin serve                                  page and API on http://127.0.0.1:8080/\n  \
    unspin serve --addr 0.0.0.0:9000 --workers 4\n  \
    curl -s localhost:8080/v1/check -H 'content-type: application/json' -d '{\"text\":\"...\"}'")]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub addr: String,
    /// Source index directory, or redis://HOST:PORT[,HOST:PORT...][/NAME] for a shared index
    /// on Redis Cluster (enables /v1/find and /v1/compare).
    #[arg(long, value_name = "DIR|URL")]
    pub index: Option<PathBuf>,
    #[command(flatten)]
    pub model: crate::models::ModelArgs,
    /// Default confidence threshold (a request may give its own).
    #[arg(long, default_value_t = DEFAULT_THRESHOLD, value_parser = crate::args::parse_unit)]
    pub threshold: f64,
    /// Screening scientific papers (as `unspin check --papers`) unless a request says
    /// otherwise (`"papers": false`).
    #[arg(long)]
    pub papers: bool,
    /// Largest request body accepted, in bytes; larger requests get 413.
    #[arg(long, default_value_t = 4 << 20, value_name = "BYTES", value_parser = crate::args::parse_count)]
    pub max_body: usize,
    /// Time limit of one request, in seconds; slower requests get 503.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS", value_parser = parse_secs)]
    pub timeout: f64,
    /// A connection that has not sent a whole request head this long after connecting (or
    /// after its previous response) is closed.
    #[arg(long, default_value = "10", value_name = "SECONDS", value_parser = parse_duration)]
    pub header_timeout: Duration,
    /// Documents checked at the same time (default: one per core).
    #[arg(long, value_name = "N", value_parser = crate::args::parse_count)]
    pub workers: Option<usize>,
    /// Requests that may wait for a worker; beyond this the server answers 503 at once.
    #[arg(long, default_value_t = 1024, value_name = "N", value_parser = crate::args::parse_count)]
    pub max_pending: usize,
    /// Request-body bytes all requests together may hold at a time; a request that would go
    /// over it gets 503 with Retry-After before its body is read (must be at least
    /// --max-body).
    #[arg(long, default_value_t = 256 << 20, value_name = "BYTES", value_parser = crate::args::parse_count)]
    pub max_inflight_bytes: usize,
    /// Open connections at a time; a connection beyond it gets 503 and is closed at once.
    #[arg(long, default_value_t = 256, value_name = "N", value_parser = crate::args::parse_count)]
    pub max_connections: usize,
    /// Time to receive a request body once its head has arrived; a slower body gets 408
    /// and the connection is closed.
    #[arg(long, default_value = "20", value_name = "SECONDS", value_parser = parse_duration)]
    pub body_timeout: Duration,
}

fn parse_secs(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if v.is_finite() && v > 0.0 && v <= 86_400.0 {
        Ok(v)
    } else {
        Err(format!("{v} is not between 0 and 86400 seconds"))
    }
}

fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    parse_secs(s).map(Duration::from_secs_f64)
}

/// A source index the server can search; the handlers only see this trait.
pub trait SourceIndex: Send + Sync {
    /// The indexed documents `text` was most likely spun from, best first.
    fn find(&self, req: &FindRequest) -> Result<serde_json::Value, ApiError>;
    /// `text` aligned with one indexed source, with the substitutions.
    fn compare(&self, req: &CompareRequest) -> Result<serde_json::Value, ApiError>;
    /// The index to restore from in check and restore (none: restore without sources).
    fn restore_index(&self) -> Option<Arc<unspin_index::Index>> {
        None
    }
}

/// Everything the handlers share.
pub struct AppState {
    engine: Arc<Engine>,
    threshold: f64,
    papers: bool,
    index: Option<Arc<dyn SourceIndex>>,
    /// The worker threads (a fixed pool, like the CLI's): checks never run on the async
    /// executor's threads.
    pool: rayon::ThreadPool,
    work: Arc<Semaphore>,
    pending: Arc<Semaphore>,
    max_body: usize,
    /// Request-body bytes in flight, one permit per byte (`--max-inflight-bytes`).
    inflight: Arc<Semaphore>,
    max_inflight: usize,
    body_timeout: Duration,
    timeout: Duration,
    model: String,
    /// Work stopped early because its request timed out or its client left.
    cancelled: Arc<AtomicU64>,
}

/// When a request's time is up (`--timeout` from its arrival): the time-limit layer puts it
/// in the request's extensions, and the work the request starts stops there.
#[derive(Debug, Clone, Copy)]
struct Deadline(Instant);

/// Calls the work off when the request's future is dropped: the time limit passed, or the
/// client went away.
struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// An error answer: a status and `{"error": message}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    /// An error with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    fn busy(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (
            self.status,
            Json(serde_json::json!({ "error": self.message })),
        )
            .into_response();
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        r
    }
}

/// Deserialises a present field, refusing `null` (absent fields use the default).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// `POST /v1/check` and `POST /v1/restore`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The text to check (plain text, or HTML when `html` is true).
    text: String,
    /// Treat `text` as HTML: only visible text is checked, offsets refer to the HTML.
    #[serde(default)]
    html: bool,
    /// Confidence threshold in [0, 1]; default: the server's.
    #[serde(default, deserialize_with = "present")]
    threshold: Option<f64>,
    /// Screening a scientific paper for tortured phrases (as `unspin check --papers`);
    /// default: the server's (`unspin serve --papers`).
    #[serde(default, deserialize_with = "present")]
    papers: Option<bool>,
    /// Name echoed as `path` (e.g. a file name); default `-`.
    #[serde(default, deserialize_with = "present")]
    path: Option<String>,
    /// Record id echoed as `id`.
    #[serde(default, deserialize_with = "present")]
    id: Option<String>,
}

/// `POST /v1/find` (the options of `unspin find`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindRequest {
    /// The suspect text.
    pub text: String,
    /// At most this many sources (1..=100, default 10).
    #[serde(default, deserialize_with = "present")]
    pub limit: Option<u32>,
    /// Least share of the suspect a source must cover (default 0.05).
    #[serde(default, deserialize_with = "present")]
    pub min_coverage: Option<f64>,
    /// Least matching words in a source's strongest passage (default 1).
    #[serde(default, deserialize_with = "present")]
    pub min_passage: Option<u32>,
    /// Largest E-value of a reported source (default as `unspin find`).
    #[serde(default, deserialize_with = "present")]
    pub max_evalue: Option<f64>,
}

/// `POST /v1/compare`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareRequest {
    /// The suspect text.
    pub text: String,
    /// Id of the indexed source to compare with (default: the best match).
    #[serde(default, deserialize_with = "present")]
    pub source: Option<String>,
}

/// `POST /v1/restore`'s answer (the shape of `unspin restore` with JSONL input).
#[derive(Serialize)]
struct RestoreResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    text: String,
}

/// A JSON request body: checks the content type (415), the size (413) and the syntax and
/// shape (400, naming the problem).
struct ApiJson<T>(T, tokio::sync::OwnedSemaphorePermit);

/// What a JSON body is when it is not an object (`None` when it is one, or is not JSON at
/// all: serde_json names that problem better).
fn not_an_object(body: &[u8]) -> Option<&'static str> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace())?;
    Some(match first {
        b'{' => return None,
        b'[' => "an array",
        b'"' => "a string",
        b'-' | b'0'..=b'9' => "a number",
        b't' | b'f' => "a boolean",
        b'n' => "null",
        _ => return None,
    })
}

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, st: &Arc<AppState>) -> Result<Self, ApiError> {
        let ct = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json"
            && !(essence.starts_with("application/") && essence.ends_with("+json"))
        {
            let got = if ct.is_empty() {
                "none".to_string()
            } else {
                format!("`{ct}`")
            };
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("expected Content-Type: application/json, got {got}"),
            ));
        }
        let too_large = || {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "request body is larger than the limit of {} bytes ({}; the server's --max-body)",
                    st.max_body,
                    human_bytes(st.max_body as u64)
                ),
            )
        };
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > st.max_body as u64) {
            return Err(too_large());
        }
        // The body's bytes count against the global budget before they are read: all of a
        // declared length at once, a chunked body as its bytes arrive.
        let mut held = st.reserve(declared.unwrap_or(0) as usize)?;
        let mut body = req.into_body();
        let mut bytes = Vec::with_capacity(declared.unwrap_or(0) as usize);
        let read = async {
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| {
                    ApiError::bad_request(format!("cannot read the request body: {e}"))
                })?;
                let Ok(data) = frame.into_data() else {
                    continue;
                };
                if bytes.len() + data.len() > st.max_body {
                    return Err(too_large());
                }
                if declared.is_none() {
                    held.merge(st.reserve(data.len())?);
                }
                bytes.extend_from_slice(&data);
            }
            Ok(())
        };
        match tokio::time::timeout(st.body_timeout, read).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(ApiError::new(
                    StatusCode::REQUEST_TIMEOUT,
                    format!(
                        "the request body did not arrive within {} s (the server's --body-timeout)",
                        st.body_timeout.as_secs_f64()
                    ),
                ));
            }
        }
        if let Some(kind) = not_an_object(&bytes) {
            return Err(ApiError::bad_request(format!(
                "invalid request: the body must be a JSON object ({{\"text\": ...}}), got {kind}"
            )));
        }
        let mut de = serde_json::Deserializer::from_slice(&bytes);
        let parsed = match serde_path_to_error::deserialize(&mut de) {
            // Nothing but whitespace may follow the value.
            Ok(v) => de.end().map(|()| v).map_err(|e| (String::new(), e)),
            Err(e) => Err((e.path().to_string(), e.into_inner())),
        };
        parsed.map(|v| ApiJson(v, held)).map_err(|(path, e)| {
            use serde_json::error::Category;
            let what = match e.classify() {
                Category::Syntax | Category::Eof | Category::Io => "malformed JSON",
                Category::Data => "invalid request",
            };
            let text = e.to_string();
            // serde_json calls every unpaired surrogate "leading", trailing ones too.
            let text = if text.contains("surrogate in hex escape")
                || text.contains("unexpected end of hex escape")
            {
                format!(
                    "a \\u escape is an unpaired UTF-16 surrogate (\\ud800-\\udfff must come \
                     as a high-low pair, e.g. \\ud83d\\ude00) at line {} column {}",
                    e.line(),
                    e.column()
                )
            } else if bytes.iter().all(u8::is_ascii_whitespace) {
                "the request body is empty; expected a JSON object".to_string()
            } else {
                text
            };
            // Name the field when the error is in one (`papers: invalid type: …`); the path
            // is `?` where it is not known.
            let path: Vec<&str> = path
                .split('.')
                .filter(|p| !p.is_empty() && *p != "?")
                .collect();
            let path = path.join(".");
            match path.as_str() {
                "" => ApiError::bad_request(format!("{what}: {text}")),
                _ => ApiError::bad_request(format!("{what}: {path}: {text}")),
            }
        })
    }
}

impl AppState {
    /// `n` bytes of the request-body budget, or a 503 when they are not free now.
    fn reserve(&self, n: usize) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        let busy = || {
            ApiError::busy(format!(
                "the server is holding too many request bodies (its --max-inflight-bytes of \
                 {}); try again shortly",
                human_bytes(self.max_inflight as u64)
            ))
        };
        let n = u32::try_from(n).map_err(|_| busy())?;
        Arc::clone(&self.inflight)
            .try_acquire_many_owned(n)
            .map_err(|_| busy())
    }

    /// Runs `f` on the worker pool once a worker is free.
    /// `body` is the request body's share of the budget: it is held until the work ends,
    /// since the work owns the text. Work whose request has gone (timed out, or its client
    /// left) before a worker took it up is skipped; work under way is stopped by the token
    /// `f` gets, cancelled at `deadline` and when the request goes (then it counts in
    /// `/healthz`'s `cancelled` and is logged on stderr).
    async fn run<R: Send + 'static>(
        &self,
        what: &'static str,
        body: Option<tokio::sync::OwnedSemaphorePermit>,
        deadline: Option<Deadline>,
        f: impl FnOnce(&Cancel) -> Result<R, Cancelled> + Send + 'static,
    ) -> Result<R, ApiError> {
        let _waiting = self
            .pending
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::busy("the server is busy; try again shortly"))?;
        let permit = self
            .work
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ApiError::busy("the server is shutting down"))?;
        // The permit moves into the job: if the request times out, the work still counts
        // against the bound until it really ends. A panic is caught in the job (rayon would
        // abort the process) and answered as a 500.
        let mut cancel = Cancel::new();
        if let Some(Deadline(at)) = deadline {
            cancel = cancel.with_deadline(at);
        }
        let _on_drop = CancelOnDrop(cancel.clone());
        let cancelled = Arc::clone(&self.cancelled);
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.pool.spawn(move || {
            if tx.is_closed() {
                let n = cancelled.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!(
                    "unspin serve: skipped {what}: the request timed out or its client left \
                     before a worker was free (cancelled so far: {n})"
                );
                return;
            }
            let started = Instant::now();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&cancel)));
            if let Ok(Err(Cancelled)) = r {
                let n = cancelled.fetch_add(1, Ordering::Relaxed) + 1;
                let past = match cancel.deadline() {
                    Some(d) if Instant::now() >= d => {
                        format!(", {} ms after its deadline", d.elapsed().as_millis())
                    }
                    _ => String::new(),
                };
                eprintln!(
                    "unspin serve: stopped {what} after {} ms: the request timed out or its \
                     client left{past} (cancelled so far: {n})",
                    started.elapsed().as_millis()
                );
            }
            drop(body);
            drop(permit);
            let _ = tx.send(r);
        });
        match rx.await {
            Ok(Ok(Ok(r))) => Ok(r),
            Ok(Ok(Err(Cancelled))) => Err(self.timed_out()),
            _ => Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("internal error while {what}"),
            )),
        }
    }

    fn options(
        &self,
        threshold: Option<f64>,
        papers: Option<bool>,
    ) -> Result<CheckOptions, ApiError> {
        let threshold = threshold.unwrap_or(self.threshold);
        if !(0.0..=1.0).contains(&threshold) {
            return Err(ApiError::bad_request(format!(
                "invalid request: threshold {threshold} is not between 0 and 1"
            )));
        }
        Ok(CheckOptions {
            threshold,
            papers: papers.unwrap_or(self.papers),
        })
    }

    /// The answer to a request that took longer than `--timeout`.
    fn timed_out(&self) -> ApiError {
        ApiError::busy(format!(
            "the request took longer than the time limit of {} s",
            self.timeout.as_secs_f64()
        ))
    }

    async fn check(
        &self,
        req: CheckRequest,
        body: Option<tokio::sync::OwnedSemaphorePermit>,
        deadline: Option<Deadline>,
    ) -> Result<DocReport, ApiError> {
        let opts = self.options(req.threshold, req.papers)?;
        let doc = Doc {
            path: req.path.unwrap_or_else(|| "-".into()),
            id: req.id,
            text: req.text,
            html: req.html,
            ..Doc::default()
        };
        let engine = Arc::clone(&self.engine);
        let ix = self.index.as_ref().and_then(|i| i.restore_index());
        self.run("checking", body, deadline, move |cancel| {
            check_doc_with(&engine, doc, &opts, ix.as_deref(), cancel)
        })
        .await
    }

    fn index(&self) -> Result<Arc<dyn SourceIndex>, ApiError> {
        self.index.clone().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_IMPLEMENTED,
                "no index configured: start the server with --index DIR",
            )
        })
    }
}

async fn check_handler(
    State(st): State<Arc<AppState>>,
    Extension(deadline): Extension<Deadline>,
    ApiJson(req, body): ApiJson<CheckRequest>,
) -> Result<Json<DocReport>, ApiError> {
    st.check(req, Some(body), Some(deadline)).await.map(Json)
}

async fn restore_handler(
    State(st): State<Arc<AppState>>,
    Extension(deadline): Extension<Deadline>,
    ApiJson(req, body): ApiJson<CheckRequest>,
) -> Result<Json<RestoreResponse>, ApiError> {
    let rep = st.check(req, Some(body), Some(deadline)).await?;
    Ok(Json(RestoreResponse {
        id: rep.id,
        text: rep.restored,
    }))
}

async fn find_handler(
    State(st): State<Arc<AppState>>,
    Extension(deadline): Extension<Deadline>,
    ApiJson(req, body): ApiJson<FindRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    if req.limit.is_some_and(|n| !(1..=100).contains(&n)) {
        return Err(ApiError::bad_request(
            "invalid request: limit must be between 1 and 100",
        ));
    }
    if req.min_coverage.is_some_and(|c| !(0.0..=1.0).contains(&c)) {
        return Err(ApiError::bad_request(
            "invalid request: min_coverage must be between 0 and 1",
        ));
    }
    if let Some(m) = unspin_core::answers::find_request_problem(req.min_passage, req.max_evalue) {
        return Err(ApiError::bad_request(m));
    }
    let index = st.index()?;
    st.run("searching", Some(body), Some(deadline), move |_| {
        Ok(index.find(&req))
    })
    .await?
    .map(Json)
}

async fn compare_handler(
    State(st): State<Arc<AppState>>,
    Extension(deadline): Extension<Deadline>,
    ApiJson(req, body): ApiJson<CompareRequest>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let index = st.index()?;
    st.run("comparing", Some(body), Some(deadline), move |_| {
        Ok(index.compare(&req))
    })
    .await?
    .map(Json)
}

async fn healthz(State(st): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "model": st.model,
        "index": st.index.is_some(),
        "threshold": st.threshold,
        "papers": st.papers,
        "max_body": st.max_body,
        "cancelled": st.cancelled.load(Ordering::Relaxed),
    }))
}

const INDEX_HTML: &str = include_str!("../../web/index.html");
const APP_JS: &str = include_str!("../../web/app.js");
const STYLE_CSS: &str = include_str!("../../web/style.css");
const FAVICON_SVG: &str = include_str!("../../web/favicon.svg");
const OPENAPI_JSON: &str = include_str!("../../web/openapi.json");

/// Nothing is loaded from other hosts; the page talks only to this server.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        body,
    )
        .into_response()
}

async fn not_found(method: Method) -> ApiError {
    if method == Method::GET || method == Method::HEAD || method == Method::POST {
        ApiError::new(StatusCode::NOT_FOUND, "no such route; see /openapi.json")
    } else {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {method} is not allowed here"),
        )
    }
}

/// Turns axum's bodiless 405 answers into JSON errors.
async fn json_405(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let res = next.run(req).await;
    if res.status() == StatusCode::METHOD_NOT_ALLOWED
        && !res.headers().contains_key(header::CONTENT_TYPE)
    {
        let allow = res.headers().get(header::ALLOW).cloned();
        let mut r = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("method {method} is not allowed here"),
        )
        .into_response();
        if let Some(a) = allow {
            r.headers_mut().insert(header::ALLOW, a);
        }
        return r;
    }
    res
}

/// The per-request time limit (the work a request started stops at its [`Deadline`]).
async fn time_limit(State(st): State<Arc<AppState>>, mut req: Request, next: Next) -> Response {
    req.extensions_mut()
        .insert(Deadline(Instant::now() + st.timeout));
    match tokio::time::timeout(st.timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => st.timed_out().into_response(),
    }
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
}

/// The whole application.
pub fn app(st: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route(
            "/favicon.svg",
            get(|| async { asset("image/svg+xml", FAVICON_SVG) }),
        )
        .route(
            "/openapi.json",
            get(|| async { asset("application/json", OPENAPI_JSON) }),
        )
        .route("/healthz", get(healthz))
        .route("/v1/check", post(check_handler))
        .route("/v1/restore", post(restore_handler))
        .route("/v1/find", post(find_handler))
        .route("/v1/compare", post(compare_handler));
    with_layers(routes, st)
}

/// The fallback and the layers every route gets: JSON 404/405, the time limit, and a panic
/// in a handler answered as a JSON 500.
fn with_layers(routes: Router<Arc<AppState>>, st: Arc<AppState>) -> Router {
    routes
        .fallback(not_found)
        .layer(middleware::from_fn(json_405))
        .layer(middleware::from_fn_with_state(Arc::clone(&st), time_limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            panic_response,
        ))
        .with_state(st)
}

/// An `unspin-index` index. Each search uses the latest committed generation: when the
/// manifest file has changed since the last search (`unspin index add` replaces it on every
/// commit), the index is opened again; requests already running keep their snapshot.
struct DiskIndex {
    dir: PathBuf,
    current: std::sync::RwLock<(Option<ManifestStamp>, Arc<unspin_index::Index>)>,
}

/// What identifies one version of the manifest file: inode, size and modification time.
type ManifestStamp = (u64, u64, std::time::SystemTime);

fn manifest_stamp(dir: &std::path::Path) -> Option<ManifestStamp> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(dir.join("MANIFEST.json")).ok()?;
    Some((m.ino(), m.len(), m.modified().ok()?))
}

impl DiskIndex {
    fn open(dir: &std::path::Path) -> Result<DiskIndex, unspin_index::IndexError> {
        let stamp = manifest_stamp(dir);
        let ix = unspin_index::Index::open(dir)?;
        Ok(DiskIndex {
            dir: dir.to_path_buf(),
            current: std::sync::RwLock::new((stamp, Arc::new(ix))),
        })
    }

    /// The index as of the latest commit (or the last one that could be opened).
    fn snapshot(&self) -> Arc<unspin_index::Index> {
        let stamp = manifest_stamp(&self.dir);
        let old = {
            let cur = self.current.read().unwrap_or_else(|e| e.into_inner());
            // a shared (Redis) index has no manifest file: it says when it changed
            if cur.0 == stamp && !cur.1.is_stale() {
                return Arc::clone(&cur.1);
            }
            Arc::clone(&cur.1)
        };
        let mut cur = self.current.write().unwrap_or_else(|e| e.into_inner());
        // not reopened meanwhile by another request
        if cur.0 != stamp || Arc::ptr_eq(&cur.1, &old) {
            match unspin_index::Index::open(&self.dir) {
                Ok(ix) => *cur = (stamp, Arc::new(ix)),
                // Keep serving the last good snapshot; try again on the next request.
                Err(e) => eprintln!("unspin serve: cannot reopen the index: {e}"),
            }
        }
        Arc::clone(&cur.1)
    }
}

fn index_error(e: unspin_index::IndexError) -> ApiError {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("index: {e}"))
}

impl SourceIndex for DiskIndex {
    fn find(&self, req: &FindRequest) -> Result<serde_json::Value, ApiError> {
        let d = unspin_index::FindOptions::default();
        let opt = unspin_index::FindOptions {
            limit: req.limit.map_or(d.limit, |n| n as usize),
            min_coverage: req.min_coverage.unwrap_or(d.min_coverage),
            min_passage: req.min_passage.map_or(d.min_passage, |n| n as usize),
            max_evalue: req.max_evalue.unwrap_or(d.max_evalue),
            ..d
        };
        let ix = self.snapshot();
        unspin_core::answers::find_response(&ix, &req.text, &opt).map_err(index_error)
    }

    fn restore_index(&self) -> Option<Arc<unspin_index::Index>> {
        Some(self.snapshot())
    }

    fn compare(&self, req: &CompareRequest) -> Result<serde_json::Value, ApiError> {
        let not_found = |m: String| ApiError::new(StatusCode::NOT_FOUND, m);
        let ix = self.snapshot();
        let r = match &req.source {
            Some(id) => ix
                .find_id(id)
                .map_err(index_error)?
                .ok_or_else(|| not_found(format!("no document with id `{id}` in the index")))?,
            None => {
                let opt = unspin_index::FindOptions {
                    limit: 1,
                    ..Default::default()
                };
                let hits = unspin_index::find(&ix, &req.text, &opt).map_err(index_error)?;
                hits.first()
                    .map(|h| h.doc)
                    .ok_or_else(|| not_found("no source found in the index".into()))?
            }
        };
        let doc = ix.doc(r).map_err(index_error)?;
        let c = unspin_index::compare(
            &req.text,
            &doc.text,
            ix.classes(),
            &unspin_index::AlignParams::default(),
        );
        Ok(serde_json::json!({
            "suspect": "-",
            "source": doc.id,
            "title": doc.title,
            "url": doc.url,
            "source_text": doc.text,
            "coverage": c.coverage,
            "similarity": c.similarity,
            "passages": c.passages,
            "substitutions": c.substitutions,
            "table": c.table,
        }))
    }
}

/// The shared state: the engine, the index if any, the worker threads and the limits from
/// `args`.
pub fn state(
    engine: Engine,
    index: Option<Arc<dyn SourceIndex>>,
    args: &ServeArgs,
) -> Result<Arc<AppState>> {
    let workers = args
        .workers
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        })
        .max(1);
    if args.max_inflight_bytes < args.max_body {
        anyhow::bail!(
            "--max-inflight-bytes {} is smaller than --max-body {}: no request of the largest \
             size could ever be read",
            args.max_inflight_bytes,
            args.max_body
        );
    }
    if args.max_inflight_bytes > Semaphore::MAX_PERMITS {
        anyhow::bail!(
            "--max-inflight-bytes {} is too large",
            args.max_inflight_bytes
        );
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .thread_name(|i| format!("unspin-worker-{i}"))
        .build()
        .context("cannot start the worker threads")?;
    Ok(Arc::new(AppState {
        engine: Arc::new(engine),
        threshold: args.threshold,
        papers: args.papers,
        index,
        pool,
        work: Arc::new(Semaphore::new(workers)),
        pending: Arc::new(Semaphore::new(args.max_pending.max(1))),
        max_body: args.max_body,
        inflight: Arc::new(Semaphore::new(args.max_inflight_bytes)),
        max_inflight: args.max_inflight_bytes,
        body_timeout: args.body_timeout,
        timeout: Duration::from_secs_f64(args.timeout),
        model: crate::models::describe(args.model.model.as_deref()),
        cancelled: Arc::new(AtomicU64::new(0)),
    }))
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed before this returns, so a
/// signal sent once the server has said it is listening is never missed.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot handle SIGINT")?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}

/// Serves `app` on `listener` until `stop` resolves, then lets the requests in flight finish
/// (at most `grace`). Each connection must send a request head within `header_timeout` or is
/// closed, so slow clients cannot hold connections (and file descriptors) open.
async fn serve_until(
    listener: tokio::net::TcpListener,
    app: Router,
    header_timeout: Duration,
    max_connections: usize,
    stop: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(max_connections.max(1)));
    let mut stop = std::pin::pin!(stop);
    loop {
        let stream = tokio::select! {
            r = listener.accept() => match r {
                Ok((s, _)) => s,
                Err(e) => {
                    // out of file descriptors and the like: wait instead of spinning
                    eprintln!("unspin serve: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let Ok(slot) = Arc::clone(&connections).try_acquire_owned() else {
            tokio::spawn(refuse_connection(stream, max_connections));
            continue;
        };
        let svc = hyper_util::service::TowerToHyperService::new(app.clone());
        let io = TokioIo::new(JsonErrors::new(stream));
        let conn = graceful.watch(http.serve_connection(io, svc));
        tokio::spawn(async move {
            let _ = conn.await;
            drop(slot);
        });
    }
    drop(listener);
    eprintln!("unspin serve: shutting down, finishing requests in flight");
    if tokio::time::timeout(grace, graceful.shutdown())
        .await
        .is_err()
    {
        eprintln!("unspin serve: requests still running after {grace:?}; stopping anyway");
    }
}

/// Answers a connection over `--max-connections` with a 503 and closes it, without reading
/// its request (at most a second is spent on it).
async fn refuse_connection(stream: tokio::net::TcpStream, max: usize) {
    let body = serde_json::json!({
        "error": format!(
            "the server has too many open connections (its --max-connections of {max}); \
             try again shortly"
        )
    })
    .to_string();
    let resp = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut rest = resp.as_bytes();
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while !rest.is_empty() {
            stream.writable().await?;
            match stream.try_write(rest) {
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })
    .await;
    if let Ok(s) = stream.into_std() {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
}

/// A connection's stream that gives hyper's own error answers (a request head it cannot
/// parse: 400, too large: 431, a URI too long: 414), which have no body, the JSON body
/// `{"error": ...}` every other error has. The application's answers always carry a
/// Content-Type, hyper's never do, so they are told apart by that.
struct JsonErrors<S> {
    inner: S,
    /// The replacement being written: bytes, how many are written, the length of hyper's
    /// answer it stands for.
    replacing: Option<(Vec<u8>, usize, usize)>,
}

impl<S> JsonErrors<S> {
    fn new(inner: S) -> Self {
        JsonErrors {
            inner,
            replacing: None,
        }
    }
}

/// hyper's bodiless error answer in `buf` (one whole head), rewritten with a JSON body.
fn json_error_head(buf: &[u8]) -> Option<Vec<u8>> {
    if buf.len() < 13
        || !buf.starts_with(b"HTTP/1.")
        || !matches!(&buf[9..12], b"400" | b"414" | b"431")
        || !buf.ends_with(b"\r\n\r\n")
    {
        return None;
    }
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    if head_end != buf.len() {
        return None;
    }
    let head = std::str::from_utf8(buf).ok()?;
    let lower = head.to_ascii_lowercase();
    if lower.contains("\r\ncontent-type:") || !lower.contains("\r\ncontent-length: 0\r\n") {
        return None;
    }
    let message = match &head[9..12] {
        "400" => "the request head could not be parsed (a bad request line or header)",
        "414" => "the request URI is too long",
        "431" => "the request head is too large (too many or too long header lines)",
        _ => return None,
    };
    let body = serde_json::json!({ "error": message }).to_string();
    let mut out = String::new();
    for line in head[..head_end - 4].split("\r\n") {
        let l = line.to_ascii_lowercase();
        if l.starts_with("content-length:") || l.starts_with("connection:") {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ));
    Some(out.into_bytes())
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for JsonErrors<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for JsonErrors<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        let this = &mut *self;
        if this.replacing.is_none()
            && let Some(r) = json_error_head(buf)
        {
            this.replacing = Some((r, 0, buf.len()));
        }
        let Some((data, done, stands_for)) = &mut this.replacing else {
            return std::pin::Pin::new(&mut this.inner).poll_write(cx, buf);
        };
        while *done < data.len() {
            match std::pin::Pin::new(&mut this.inner).poll_write(cx, &data[*done..]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(0)),
                Poll::Ready(Ok(n)) => *done += n,
                other => return other,
            }
        }
        let n = *stands_for;
        this.replacing = None;
        Poll::Ready(Ok(n))
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        // hyper's error answers are one head and nothing else: those go through poll_write.
        let mut parts = bufs.iter().filter(|b| !b.is_empty());
        if let (Some(first), None) = (parts.next(), parts.next())
            && (self.replacing.is_some() || json_error_head(first).is_some())
        {
            return self.poll_write(cx, first);
        }
        std::pin::Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Runs the server until SIGTERM or Ctrl-C; returns the exit code.
pub fn run(args: ServeArgs) -> Result<i32> {
    let index = match &args.index {
        Some(dir) => Some(
            DiskIndex::open(dir)
                .with_context(|| format!("--index {}: cannot open the index", dir.display()))?,
        ),
        None => None,
    };
    let engine = crate::models::load_engine(&args.model, Params::default())?;
    let index = index.map(|ix| Arc::new(ix) as Arc<dyn SourceIndex>);
    let st = state(engine, index, &args)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    rt.block_on(async move {
        let stop = shutdown_signal()?;
        let listener = tokio::net::TcpListener::bind(&args.addr)
            .await
            .with_context(|| format!("{}: cannot listen", args.addr))?;
        let local = listener
            .local_addr()
            .context("cannot read the listening address")?;
        eprintln!(
            "unspin serve: listening on http://{local}/ (model: {})",
            st.model
        );
        let grace = st.timeout + Duration::from_secs(5);
        serve_until(
            listener,
            app(st),
            args.header_timeout,
            args.max_connections,
            stop,
            grace,
        )
        .await;
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    fn toy_state() -> Arc<AppState> {
        let engine = Engine::new(
            Box::new(unspin_engine::toy::lm()),
            Box::new(unspin_engine::toy::lexicon()),
            Params::default(),
        );
        let args = ServeArgs {
            addr: "127.0.0.1:0".into(),
            index: None,
            model: Default::default(),
            threshold: DEFAULT_THRESHOLD,
            papers: false,
            max_body: 1000,
            timeout: 30.0,
            header_timeout: Duration::from_secs(10),
            workers: Some(1),
            max_pending: 4,
            max_inflight_bytes: 1 << 20,
            max_connections: 16,
            body_timeout: Duration::from_secs(10),
        };
        state(engine, None, &args).unwrap()
    }

    #[test]
    fn check_finds_toy_substitution() {
        let st = toy_state();
        let rt = runtime();
        let req: CheckRequest =
            serde_json::from_str(r#"{"text":"the cat sat on the carpet ."}"#).unwrap();
        let rep = rt.block_on(st.check(req, None, None)).unwrap();
        let v = serde_json::to_value(&rep).unwrap();
        assert_eq!(v["findings"][0]["suggestion"], "mat", "{v}");
        assert_eq!(v["restored"], "the cat sat on the mat .");
        assert_eq!(v["path"], "-");
    }

    #[test]
    fn work_past_its_deadline_stops_is_a_503_and_is_counted() {
        let st = toy_state();
        let rt = runtime();
        let req: CheckRequest =
            serde_json::from_str(r#"{"text":"the cat sat on the carpet ."}"#).unwrap();
        let past = Deadline(Instant::now());
        let e = rt.block_on(st.check(req, None, Some(past))).unwrap_err();
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(e.message.contains("time limit"), "{}", e.message);
        assert_eq!(st.cancelled.load(Ordering::Relaxed), 1);
        assert_eq!(st.work.available_permits(), 1);
    }

    #[test]
    fn requests_refuse_null_unknown_fields_and_bad_thresholds() {
        assert!(serde_json::from_str::<CheckRequest>(r#"{"text":"a","threshold":null}"#).is_err());
        assert!(serde_json::from_str::<CheckRequest>(r#"{"text":"a","treshold":0.5}"#).is_err());
        assert!(serde_json::from_str::<CheckRequest>(r#"{"html":true}"#).is_err());
        let st = toy_state();
        assert_eq!(
            st.options(Some(1.5), None).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            st.options(Some(f64::NAN), None).unwrap_err().status,
            StatusCode::BAD_REQUEST
        );
        assert!(st.options(None, None).is_ok());
        assert!(st.options(None, Some(true)).unwrap().papers);
        assert!(!st.options(None, None).unwrap().papers);
    }

    async fn boom() -> &'static str {
        panic!("handler bug")
    }

    #[test]
    fn a_panic_in_the_engine_or_a_handler_is_a_500_and_the_server_keeps_serving() {
        let st = toy_state();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let e = rt
            .block_on(
                st.run("checking", None, None, |_| -> Result<u32, Cancelled> {
                    panic!("engine bug")
                }),
            )
            .unwrap_err();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        // The worker permit came back.
        assert_eq!(st.work.available_permits(), 1);

        let routes = Router::new()
            .route("/panic", get(boom))
            .route("/healthz", get(healthz));
        let app = with_layers(routes, Arc::clone(&st));
        let (status_panic, status_after) = rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await });
            tokio::task::spawn_blocking(move || {
                let get = |path: &str| {
                    use std::io::{Read, Write};
                    let mut s = std::net::TcpStream::connect(addr).unwrap();
                    let req =
                        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    s.write_all(req.as_bytes()).unwrap();
                    let mut out = String::new();
                    s.read_to_string(&mut out).unwrap();
                    out
                };
                (get("/panic"), get("/healthz"))
            })
            .await
            .unwrap()
        });
        assert!(status_panic.starts_with("HTTP/1.1 500"), "{status_panic}");
        assert!(
            status_panic.contains(r#"{"error":"internal error"}"#),
            "{status_panic}"
        );
        assert!(status_after.starts_with("HTTP/1.1 200"), "{status_after}");
    }

    #[test]
    fn openapi_is_json_and_lists_every_route() {
        let v: serde_json::Value = serde_json::from_str(OPENAPI_JSON).unwrap();
        for p in [
            "/v1/check",
            "/v1/restore",
            "/v1/find",
            "/v1/compare",
            "/healthz",
        ] {
            assert!(v["paths"][p].is_object(), "{p} missing from openapi.json");
        }
    }
}
