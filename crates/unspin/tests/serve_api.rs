//! API integration tests: each test starts the real `unspin serve` binary on a free port with a
//! tiny model built here (a few sentences; `carpet`/`rug` may stand for `mat`) and talks HTTP
//! to it over a plain TCP socket.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

const CORPUS: &str = "the cat sat on the mat .\nthe dog sat on the mat .\nthe cat ate the fish .\n\
the dog lay on the mat .\na cat sat on a mat .\nthe cat sat on the sofa .\n";

/// Builds the tiny model once per test binary.
fn model_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let texts: Vec<&str> = std::iter::repeat_n(CORPUS, 30).collect();
        let opts = unspin_lm::BuildOptions {
            order: 3,
            min_word_count: 1,
            cutoffs: vec![],
            ..Default::default()
        };
        let (data, _) = unspin_lm::estimate_from_texts(texts, &opts).expect("tiny LM");
        unspin_lm::write_binary(&data, &dir.path().join("lm.bin"), &opts.binary)
            .expect("write lm.bin");
        let originals = vec!["cat".to_string(), "mat".to_string()];
        let keys: Vec<unspin_lexicon::KeyEntry> = vec![
            ("carpet".into(), vec![(1, -0.5, unspin_lexicon::MOBY)]),
            ("feline".into(), vec![(0, -0.5, unspin_lexicon::MOBY)]),
            ("rug".into(), vec![(1, -0.5, unspin_lexicon::MOBY)]),
        ];
        let bytes = unspin_lexicon::lexicon_bytes(&keys, &originals).expect("tiny lexicon");
        std::fs::write(dir.path().join("lexicon.bin"), bytes).expect("write lexicon.bin");
        dir
    })
    .path()
}

/// The original of [`SPUN`]; indexed with two unrelated documents by [`index_dir`].
pub const SOURCE: &str = "The old lighthouse stood at the edge of the northern cliffs for more than two hundred \
years. Sailors relied on its bright beam to guide their ships safely past the dangerous rocks below. \
During the long winter storms, the keeper climbed the narrow stairs every night to light the great \
lamp. He kept a careful record of every vessel that passed, writing the names in a large leather \
book. When the lighthouse was finally closed, the town decided to turn the building into a small \
museum. Visitors can now climb the same stairs and read the keeper's journal, which describes the \
hard and lonely life he lived by the sea.";

/// A spun copy of [`SOURCE`].
pub const SPUN: &str = "The old lighthouse stood at the border of the northern cliffs for more than two hundred \
years. Sailors depended on its brilliant beam to guide their ships securely past the dangerous rocks \
below. During the long winter storms, the keeper climbed the slender stairs every night to light the \
great lamp. He kept a cautious record of every vessel that passed, writing the names in a big leather \
book. When the lighthouse was finally shut, the town decided to turn the building into a little \
museum. Visitors can now climb the same stairs and read the keeper's journal, which describes the \
difficult and lonely life he lived by the sea.";

const OTHERS: [&str; 2] = [
    "Bread has been baked for thousands of years from flour, water and salt. Early bakers used wild \
yeast from the air, and the slow rise gave the loaves a sour taste that many people still prefer. \
Modern factories bake millions of loaves a day with fast yeast and large steel ovens.",
    "The river begins as a small stream high in the mountains, fed by melting snow each spring. It \
winds through forests and farmland before reaching the wide valley, where towns grew up along its \
banks and mills used its current to grind grain and saw timber.",
];

/// Builds the tiny index once per test binary.
fn index_dir() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        use unspin_index::{IndexWriter, NewDoc};
        let dir = tempfile::tempdir().expect("temp dir");
        let mut w = IndexWriter::open(dir.path()).expect("index writer");
        let docs = [
            ("lighthouse", SOURCE),
            ("bread", OTHERS[0]),
            ("river", OTHERS[1]),
        ];
        for (id, text) in docs {
            let doc = NewDoc {
                id: id.into(),
                title: format!("The {id}"),
                url: String::new(),
                text: text.into(),
            };
            w.add(doc).expect("add");
        }
        w.commit().expect("commit");
        dir
    })
    .path()
}

struct Server {
    child: Child,
    addr: String,
    stderr: BufReader<std::process::ChildStderr>,
}

impl Server {
    #[allow(clippy::zombie_processes)] // `Server`'s `Drop` kills and waits for the child
    fn start(extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_unspin"))
            .args(["serve", "--addr", "127.0.0.1:0", "--model"])
            .arg(model_dir())
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start unspin serve");
        let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        loop {
            line.clear();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                let status = child.wait();
                panic!("server exited before listening: {status:?}");
            }
            if let Some(rest) = line.split("listening on http://").nth(1) {
                let addr = rest.split('/').next().expect("address").to_string();
                return Server {
                    child,
                    addr,
                    stderr,
                };
            }
        }
    }

    fn request(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Response {
        let mut s = TcpStream::connect(&self.addr).expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        if let Some(ct) = content_type {
            head.push_str(&format!("Content-Type: {ct}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        s.write_all(head.as_bytes()).expect("write head");
        // A server may answer (413) before reading the whole body; ignore write errors then.
        let _ = s.write_all(body);
        read_response(s)
    }

    fn post_json(&self, path: &str, body: &serde_json::Value) -> Response {
        self.request(
            "POST",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }

    /// Sends SIGTERM and returns the exit status and what the server printed.
    fn terminate(mut self) -> (std::process::ExitStatus, String) {
        let st = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(st.success());
        let status = self.child.wait().expect("wait");
        let mut rest = String::new();
        let _ = self.stderr.read_to_string(&mut rest);
        (status, rest)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: String,
    body: String,
}

impl Response {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    }
    /// Asserts an error answer: the status, a JSON body `{"error": ...}` containing `needle`.
    fn assert_error(&self, status: u16, needle: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert!(
            self.header("content-type")
                .is_some_and(|c| c.starts_with("application/json")),
            "{self:?}"
        );
        let v = self.json();
        let msg = v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("no error message: {v}"));
        assert!(
            msg.contains(needle),
            "error {msg:?} does not mention {needle:?}"
        );
        assert_eq!(v.as_object().map(|o| o.len()), Some(1), "{v}");
    }
}

fn read_response(mut s: TcpStream) -> Response {
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read response");
    let text = String::from_utf8(raw).expect("UTF-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("response head");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .expect("status");
    let headers = head
        .split_once("\r\n")
        .map(|x| x.1)
        .unwrap_or("")
        .to_string();
    let body = if headers
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 {
            break;
        }
        out.push_str(&rest[..n]);
        s = &rest[n + 2..];
    }
    out
}

#[test]
fn healthz_reports_status() {
    let srv = Server::start(&[]);
    let r = srv.request("GET", "/healthz", None, b"");
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["status"], "ok");
    assert_eq!(v["index"], false);
    assert_eq!(v["threshold"], unspin_engine::DEFAULT_THRESHOLD);
}

#[test]
fn check_returns_the_cli_json_shape_with_byte_offsets() {
    let srv = Server::start(&[]);
    // Multi-byte characters before the finding: offsets must be UTF-8 byte offsets.
    let text = "Café ☕.\nthe cat sat on the carpet .";
    let r = srv.post_json("/v1/check", &serde_json::json!({ "text": text }));
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    assert_eq!(
        keys,
        ["findings", "path", "restored", "score", "verdict", "words"],
        "{v}"
    );
    assert_eq!(v["path"], "-");
    let f = &v["findings"][0];
    assert_eq!(f["text"], "carpet", "{v}");
    assert_eq!(f["suggestion"], "mat");
    let (start, end) = (
        f["start"].as_u64().unwrap() as usize,
        f["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[start..end], "carpet");
    assert!(f["alternatives"].is_array());
    assert!(
        f["confidence"]
            .as_f64()
            .is_some_and(|c| (0.5..=1.0).contains(&c)),
        "{f}"
    );
    assert_eq!(v["restored"], "Café ☕.\nthe cat sat on the mat .");
    assert!(
        v["score"]
            .as_f64()
            .is_some_and(|s| (0.0..=1.0).contains(&s))
    );

    // The CLI gives the same answer for the same text.
    let mut child = Command::new(env!("CARGO_BIN_EXE_unspin"))
        .args(["check", "--format", "jsonl", "--model"])
        .arg(model_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run the CLI");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let cli: serde_json::Value = serde_json::from_slice(&out.stdout).expect("CLI JSON");
    assert_eq!(cli, v);
}

#[test]
fn check_echoes_path_and_id_and_honours_threshold() {
    let srv = Server::start(&[]);
    let r = srv.post_json(
        "/v1/check",
        &serde_json::json!({ "text": "the cat sat on the carpet .", "path": "a.txt", "id": "7", "threshold": 1.0 }),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["path"], "a.txt");
    assert_eq!(v["id"], "7");
    assert_eq!(
        v["findings"],
        serde_json::json!([]),
        "threshold 1 keeps nothing: {v}"
    );
    assert_eq!(v["restored"], "the cat sat on the carpet .");
}

#[test]
fn html_offsets_refer_to_the_html() {
    let srv = Server::start(&[]);
    let html = "<p>the cat sat on the <b>carpet</b> .</p>";
    let r = srv.post_json(
        "/v1/check",
        &serde_json::json!({ "text": html, "html": true }),
    );
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    let f = &v["findings"][0];
    let (start, end) = (
        f["start"].as_u64().unwrap() as usize,
        f["end"].as_u64().unwrap() as usize,
    );
    assert_eq!(&html[start..end], "carpet", "{v}");
    assert_eq!(v["restored"], "<p>the cat sat on the <b>mat</b> .</p>");
}

#[test]
fn restore_returns_the_text() {
    let srv = Server::start(&[]);
    let r = srv.post_json(
        "/v1/restore",
        &serde_json::json!({ "text": "the cat sat on the rug .", "id": "x" }),
    );
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(
        r.json(),
        serde_json::json!({ "id": "x", "text": "the cat sat on the mat ." })
    );
}

#[test]
fn empty_text_is_fine() {
    let srv = Server::start(&[]);
    let r = srv.post_json("/v1/check", &serde_json::json!({ "text": "" }));
    assert_eq!(r.status, 200, "{r:?}");
    assert_eq!(r.json()["findings"], serde_json::json!([]));
}

#[test]
fn wrong_content_type_is_415() {
    let srv = Server::start(&[]);
    let body = br#"{"text":"a"}"#;
    srv.request("POST", "/v1/check", None, body)
        .assert_error(415, "application/json");
    srv.request("POST", "/v1/check", Some("text/plain"), body)
        .assert_error(415, "text/plain");
    srv.request(
        "POST",
        "/v1/restore",
        Some("application/x-www-form-urlencoded"),
        body,
    )
    .assert_error(415, "application/json");
    // Parameters and case do not matter.
    let r = srv.request(
        "POST",
        "/v1/check",
        Some("Application/JSON; charset=utf-8"),
        body,
    );
    assert_eq!(r.status, 200, "{r:?}");
}

#[test]
fn malformed_json_is_400_naming_the_problem() {
    let srv = Server::start(&[]);
    let j = Some("application/json");
    srv.request("POST", "/v1/check", j, b"{\"text\": ")
        .assert_error(400, "malformed JSON");
    srv.request("POST", "/v1/check", j, b"{\"text\": \"a\",}")
        .assert_error(400, "line 1 column");
    srv.request("POST", "/v1/check", j, b"")
        .assert_error(400, "malformed JSON");
    srv.request("POST", "/v1/check", j, b"{}")
        .assert_error(400, "missing field `text`");
    srv.request("POST", "/v1/check", j, b"[1]")
        .assert_error(400, "invalid request");
    srv.request("POST", "/v1/check", j, b"{\"text\": 5}")
        .assert_error(400, "invalid type");
    srv.request(
        "POST",
        "/v1/check",
        j,
        b"{\"text\": \"a\", \"treshold\": 0.5}",
    )
    .assert_error(400, "unknown field `treshold`");
    srv.request(
        "POST",
        "/v1/check",
        j,
        b"{\"text\": \"a\", \"threshold\": null}",
    )
    .assert_error(400, "invalid type");
    srv.request(
        "POST",
        "/v1/check",
        j,
        b"{\"text\": \"a\", \"threshold\": 2}",
    )
    .assert_error(400, "threshold");
    srv.request("POST", "/v1/check", j, b"{\"text\": \"\\ud800\"}")
        .assert_error(400, "malformed JSON");
    srv.request("POST", "/v1/check", j, b"\xff\xfe")
        .assert_error(400, "malformed JSON");
}

#[test]
fn body_over_the_limit_is_413() {
    let srv = Server::start(&["--max-body", "1000"]);
    let big = serde_json::json!({ "text": "the cat sat on the carpet . ".repeat(100) });
    srv.post_json("/v1/check", &big)
        .assert_error(413, "1000 bytes");
    // Without a Content-Length (chunked), the limit holds too.
    let body = big.to_string();
    let mut s = TcpStream::connect(&srv.addr).unwrap();
    let head = format!(
        "POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes());
    read_response(s).assert_error(413, "limit");
    // Just under the limit is fine.
    let ok = serde_json::json!({ "text": "the cat sat on the carpet ." });
    assert_eq!(srv.post_json("/v1/check", &ok).status, 200);
}

#[test]
fn unknown_routes_and_methods_are_json_errors() {
    let srv = Server::start(&[]);
    srv.request("GET", "/nope", None, b"")
        .assert_error(404, "no such route");
    let r = srv.request("GET", "/v1/check", None, b"");
    r.assert_error(405, "GET");
    assert!(
        r.header("allow").is_some_and(|a| a.contains("POST")),
        "{r:?}"
    );
    srv.request("DELETE", "/healthz", None, b"")
        .assert_error(405, "DELETE");
}

#[test]
fn find_and_compare_without_an_index_are_501() {
    let srv = Server::start(&[]);
    srv.post_json("/v1/find", &serde_json::json!({ "text": "a" }))
        .assert_error(501, "--index");
    srv.post_json("/v1/compare", &serde_json::json!({ "text": "a" }))
        .assert_error(501, "--index");
    // Bad requests are still 400 first.
    srv.post_json("/v1/find", &serde_json::json!({ "text": "a", "limit": 0 }))
        .assert_error(400, "limit");
    srv.post_json("/v1/compare", &serde_json::json!({}))
        .assert_error(400, "text");
}

#[test]
fn slow_requests_get_503_and_the_server_keeps_serving() {
    // A time limit of 1 ms cannot fit a check of a 400 kB text.
    let srv = Server::start(&["--timeout", "0.001"]);
    let big = serde_json::json!({ "text": "the cat sat on the carpet . ".repeat(15_000) });
    let r = srv.post_json("/v1/check", &big);
    r.assert_error(503, "time limit");
    assert_eq!(r.header("retry-after").as_deref(), Some("1"));
}

#[test]
fn concurrent_requests_all_succeed_with_the_same_answer() {
    let srv = Server::start(&["--workers", "2"]);
    let srv = &srv;
    let body =
        serde_json::json!({ "text": "the cat sat on the carpet .\nthe feline sat on the rug ." });
    let answers: Vec<Response> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..32)
            .map(|_| s.spawn(|| srv.post_json("/v1/check", &body)))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let first = answers[0].json();
    assert_eq!(
        first["findings"].as_array().map(|a| a.len()),
        Some(3),
        "{first}"
    );
    for a in &answers {
        assert_eq!(a.status, 200, "{a:?}");
        assert_eq!(a.json(), first);
    }
}

#[test]
fn page_and_assets_are_embedded_and_self_contained() {
    let srv = Server::start(&[]);
    let page = srv.request("GET", "/", None, b"");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .is_some_and(|c| c.starts_with("text/html"))
    );
    let csp = page.header("content-security-policy").expect("CSP header");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"),
        "{csp}"
    );
    assert!(page.body.contains("<textarea id=\"input\""));
    for (path, ct) in [
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/favicon.svg", "image/svg+xml"),
        ("/openapi.json", "application/json"),
    ] {
        let r = srv.request("GET", path, None, b"");
        assert_eq!(r.status, 200, "{path}");
        assert!(
            r.header("content-type").is_some_and(|c| c.starts_with(ct)),
            "{path}: {r:?}"
        );
        for external in [
            "src=\"http",
            "href=\"http",
            "url(http",
            "@import",
            "//cdn",
            "fetch('http",
            "fetch(\"http",
        ] {
            assert!(
                !r.body.contains(external),
                "{path} loads from another host: {external}"
            );
        }
    }
    let api: serde_json::Value =
        serde_json::from_str(&srv.request("GET", "/openapi.json", None, b"").body).unwrap();
    assert_eq!(api["openapi"], "3.0.3");
}

/// Regression: `axum::serve` sets no timer, so a client that sent half a request head kept
/// its connection (and a file descriptor) forever.
#[test]
fn a_request_head_sent_too_slowly_closes_the_connection() {
    let srv = Server::start(&["--header-timeout", "0.5"]);
    let mut slow = TcpStream::connect(&srv.addr).expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .expect("half a head");
    slow.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let t = std::time::Instant::now();
    let mut buf = Vec::new();
    // the server closes the connection (EOF), perhaps after an error response
    let r = slow.read_to_end(&mut buf);
    assert!(
        r.is_ok(),
        "connection still open after {:?}: {r:?}",
        t.elapsed()
    );
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    // a prompt client is served meanwhile and after
    assert_eq!(srv.request("GET", "/healthz", None, b"").status, 200);
}

#[test]
fn sigterm_shuts_down_cleanly() {
    let srv = Server::start(&[]);
    assert_eq!(srv.request("GET", "/healthz", None, b"").status, 200);
    let (status, log) = srv.terminate();
    assert!(status.success(), "{status:?}: {log}");
    assert!(log.contains("shutting down"), "{log}");
}

#[test]
fn bad_options_fail_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_unspin"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--model",
            "/nonexistent/model",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("model directory not found"));
    let out = Command::new(env!("CARGO_BIN_EXE_unspin"))
        .args(["serve", "--timeout", "0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn find_and_compare_with_an_index() {
    let dir = index_dir().to_str().unwrap().to_string();
    let srv = Server::start(&["--index", &dir]);
    assert_eq!(
        srv.request("GET", "/healthz", None, b"").json()["index"],
        true
    );

    // The answers have the fields /openapi.json promises (schemathesis cannot reach these
    // answers with random texts, so this checks them).
    let api = srv.request("GET", "/openapi.json", None, b"").json();
    let promised = |name: &str| -> Vec<String> {
        api["components"]["schemas"][name]["required"]
            .as_array()
            .unwrap_or_else(|| panic!("schema {name}"))
            .iter()
            .map(|k| k.as_str().expect("a field name").to_string())
            .collect()
    };
    // Index answers may carry more fields than promised (the index adds some), never fewer.
    let has_promised = |v: &serde_json::Value, name: &str| {
        let o = v.as_object().expect("an object");
        for k in promised(name) {
            assert!(o.contains_key(&k), "{name} lacks `{k}`: {v}");
        }
    };

    let r = srv.post_json("/v1/find", &serde_json::json!({ "text": SPUN }));
    assert_eq!(r.status, 200, "{r:?}");
    let v = r.json();
    assert_eq!(v["sources"][0]["id"], "lighthouse", "{v}");
    has_promised(&v, "FindResponse");
    has_promised(&v["sources"][0], "Hit");
    assert_eq!(v["sources"][0]["title"], "The lighthouse");
    assert!(
        v["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["id"] != "bread"),
        "{v}"
    );
    let none = srv.post_json("/v1/find", &serde_json::json!({ "text": OTHERS[1].replace("river", "creek"), "min_coverage": 1.0, "limit": 1 }));
    assert_eq!(none.status, 200, "{none:?}");
    // min_passage as `unspin find --min-passage`, echoed in the threshold
    let v = srv
        .post_json(
            "/v1/find",
            &serde_json::json!({ "text": SPUN, "min_passage": 5 }),
        )
        .json();
    assert_eq!(v["threshold"]["min_passage"], 5, "{v}");
    assert_eq!(v["sources"][0]["id"], "lighthouse", "{v}");
    srv.post_json(
        "/v1/find",
        &serde_json::json!({ "text": SPUN, "min_passage": 0 }),
    )
    .assert_error(400, "min_passage");

    for req in [
        serde_json::json!({ "text": SPUN }),
        serde_json::json!({ "text": SPUN, "source": "lighthouse" }),
    ] {
        let r = srv.post_json("/v1/compare", &req);
        assert_eq!(r.status, 200, "{r:?}");
        let c = r.json();
        assert_eq!(c["source"], "lighthouse");
        assert_eq!(c["source_text"], SOURCE);
        let subs = c["substitutions"].as_array().expect("substitutions");
        assert!(subs.len() >= 5, "{c}");
        for s in subs {
            let b = |k: &str, i: usize| s[k][i].as_u64().unwrap() as usize;
            assert_eq!(
                SPUN[b("spun_bytes", 0)..b("spun_bytes", 1)],
                *s["spun"].as_str().unwrap()
            );
            assert_eq!(
                SOURCE[b("source_bytes", 0)..b("source_bytes", 1)],
                *s["source"].as_str().unwrap()
            );
        }
        assert!(
            subs.iter()
                .any(|s| s["spun"] == "brilliant" && s["source"] == "bright"),
            "{c}"
        );
        has_promised(&c, "CompareResponse");
        has_promised(&subs[0], "Substitution");
        has_promised(&c["passages"][0], "Passage");
        has_promised(&c["table"][0], "TableRow");
    }
    srv.post_json(
        "/v1/compare",
        &serde_json::json!({ "text": SPUN, "source": "nope" }),
    )
    .assert_error(404, "`nope`");
    srv.post_json(
        "/v1/compare",
        &serde_json::json!({ "text": "nothing like it at all" }),
    )
    .assert_error(404, "no source");
}

#[test]
fn documents_added_to_the_index_while_serving_are_found() {
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(index_dir()).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
        }
    }
    let srv = Server::start(&["--index", dir.path().to_str().unwrap()]);
    let suspect = OTHERS[1]
        .replace("begins", "starts")
        .replace("small", "little");
    let find = || srv.post_json("/v1/find", &serde_json::json!({ "text": suspect }));
    let before = find().json();
    assert_eq!(before["sources"][0]["id"], "river", "{before}");

    // Another process replaces the river with a new document while the server runs.
    {
        use unspin_index::{IndexWriter, NewDoc};
        let mut w = IndexWriter::open(dir.path()).unwrap();
        assert!(w.remove("river").unwrap());
        let doc = NewDoc {
            id: "river-2".into(),
            text: OTHERS[1].into(),
            ..Default::default()
        };
        w.add(doc).unwrap();
        w.commit().unwrap();
    }
    let after = find().json();
    assert_eq!(after["sources"][0]["id"], "river-2", "{after}");
    assert!(
        after["sources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["id"] != "river"),
        "{after}"
    );
}

#[test]
fn a_missing_index_fails_at_start() {
    let out = Command::new(env!("CARGO_BIN_EXE_unspin"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--index",
            "/nonexistent/index",
            "--model",
        ])
        .arg(model_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot open the index"),
        "{out:?}"
    );
}

/// Not a test: writes the tiny model (and index) to `$UNSPIN_TINY_MODEL_OUT` for `tests/e2e/run.sh`, so that
/// the browser test needs no full model and stays in step with the model formats.
#[test]
#[ignore = "a helper for tests/e2e/run.sh"]
fn write_tiny_model() {
    let out = std::env::var_os("UNSPIN_TINY_MODEL_OUT").expect("set UNSPIN_TINY_MODEL_OUT");
    let out = Path::new(&out);
    std::fs::create_dir_all(out).expect("create the output directory");
    for f in ["lm.bin", "lexicon.bin"] {
        std::fs::copy(model_dir().join(f), out.join(f)).expect("copy the tiny model");
    }
    // And the tiny index, in `index/` beside the model, with the spun text to paste.
    let ix = out.join("index");
    std::fs::create_dir_all(&ix).expect("create the index directory");
    for e in std::fs::read_dir(index_dir()).expect("read the tiny index") {
        let e = e.expect("index entry");
        if e.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::copy(e.path(), ix.join(e.file_name())).expect("copy the tiny index");
        }
    }
    std::fs::write(out.join("spun.txt"), SPUN).expect("write spun.txt");
}

#[test]
fn papers_is_a_server_default_a_request_can_override() {
    let srv = Server::start(&["--papers"]);
    let h = srv.request("GET", "/healthz", None, &[]);
    assert_eq!(h.json()["papers"], true, "{h:?}");
    for papers in [serde_json::json!(true), serde_json::json!(false)] {
        let r = srv.post_json(
            "/v1/check",
            &serde_json::json!({ "text": "the feline sat on the rug .", "papers": papers }),
        );
        assert_eq!(r.status, 200, "{r:?}");
    }
    srv.post_json(
        "/v1/check",
        &serde_json::json!({ "text": "a", "papers": "yes" }),
    )
    .assert_error(400, "papers: invalid type");
}

/// Sends `raw` as it is and reads the answer (at most 10 s).
fn raw_request(addr: &str, raw: &[u8]) -> Response {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = s.write_all(raw);
    read_response(s)
}

/// A request head for `POST /v1/check` with these extra header lines.
fn check_head(extra: &str) -> String {
    format!(
        "POST /v1/check HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\n{extra}\r\n"
    )
}

#[test]
fn arrays_wrong_types_and_bad_escapes_are_refused_naming_the_problem() {
    let srv = Server::start(&[]);
    let j = Some("application/json");
    let post = |body: &[u8]| srv.request("POST", "/v1/check", j, body);
    post(b"[\"the cat\", false]").assert_error(400, "must be a JSON object");
    post(b"  [1]").assert_error(400, "got an array");
    post(b"\"the cat\"").assert_error(400, "got a string");
    post(b"null").assert_error(400, "got null");
    post(b"5").assert_error(400, "got a number");
    post(b"").assert_error(400, "empty");
    post(b"{\"text\": 5}").assert_error(400, "text: invalid type: integer");
    post(b"{\"text\": [\"a\"]}").assert_error(400, "text: invalid type: sequence");
    post(b"{\"text\": \"a\", \"papers\": \"yes\"}").assert_error(400, "papers: invalid type");
    post(b"{\"text\": \"a\", \"threshold\": \"0.5\"}").assert_error(400, "threshold: invalid type");
    post(b"{\"text\": {\"x\": 1}}").assert_error(400, "text: invalid type");
    srv.request("POST", "/v1/find", j, b"{\"text\": \"a\", \"limit\": 2.5}")
        .assert_error(400, "limit: invalid type");
    for bad in [
        &b"{\"text\": \"\\ud800\"}"[..],
        b"{\"text\": \"\\udc00\"}",
        b"{\"text\": \"\\ud800\\u0041\"}",
    ] {
        let r = post(bad);
        r.assert_error(400, "unpaired UTF-16 surrogate");
        let msg = r.json()["error"].as_str().unwrap().to_string();
        assert!(!msg.contains("leading"), "{msg}");
    }
    // A correct pair is fine.
    assert_eq!(post(b"{\"text\": \"\\ud83d\\ude00\"}").status, 200);
    // No message has an unknown-path placeholder.
    for body in [&b"{\"text\": \"a\",}"[..], b"{\"text\": \"a\"} x", b"{"] {
        let r = post(body);
        let msg = r.json()["error"].as_str().unwrap().to_string();
        assert!(!msg.contains("?:"), "{msg}");
    }
}

#[test]
fn errors_hyper_answers_itself_have_json_bodies() {
    let srv = Server::start(&[]);
    // A header line without a colon: 400.
    raw_request(
        &srv.addr,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
    )
    .assert_error(400, "request head");
    // A bad request line: 400.
    raw_request(&srv.addr, b"GET\x01 / HTTP/1.1\r\nHost: x\r\n\r\n")
        .assert_error(400, "request head");
    // Too many header lines: 431.
    let mut head = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..200 {
        head.push_str(&format!("X-Filler-{i}: y\r\n"));
    }
    head.push_str("\r\n");
    raw_request(&srv.addr, head.as_bytes()).assert_error(431, "too large");
    // The server still answers.
    assert_eq!(srv.request("GET", "/healthz", None, b"").status, 200);
}

#[test]
fn the_body_budget_is_checked_before_a_body_is_read() {
    let srv = Server::start(&["--max-body", "1000", "--max-inflight-bytes", "1500"]);
    // A holds 1000 bytes of the budget: its head is sent, its body not yet.
    let body_a = format!(
        "{{\"text\": \"the cat sat on the carpet .\"{}}}",
        " ".repeat(960)
    );
    let mut a = TcpStream::connect(&srv.addr).unwrap();
    a.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    a.write_all(check_head(&format!("Content-Length: {}\r\n", body_a.len())).as_bytes())
        .unwrap();
    a.write_all(&body_a.as_bytes()[..10]).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    // B would go over the budget: 503 with Retry-After, without sending its body.
    let r = raw_request(&srv.addr, check_head("Content-Length: 800\r\n").as_bytes());
    r.assert_error(503, "--max-inflight-bytes");
    assert_eq!(r.header("retry-after").as_deref(), Some("1"), "{r:?}");
    // C is over --max-body: 413, without sending its body.
    raw_request(
        &srv.addr,
        check_head("Content-Length: 5000000\r\n").as_bytes(),
    )
    .assert_error(413, "--max-body");
    // A chunked body counts as it arrives: 600 more bytes go over the budget.
    let chunk = format!("{{\"text\": \"{}\"}}", "a".repeat(590));
    let mut chunked = check_head("Transfer-Encoding: chunked\r\n");
    chunked.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    raw_request(&srv.addr, chunked.as_bytes()).assert_error(503, "--max-inflight-bytes");
    // A finishes and is answered; its bytes are then free again.
    a.write_all(&body_a.as_bytes()[10..]).unwrap();
    let ra = read_response(a);
    assert_eq!(ra.status, 200, "{ra:?}");
    let ok = serde_json::json!({ "text": "the cat sat on the carpet .".repeat(20) });
    assert_eq!(srv.post_json("/v1/check", &ok).status, 200);
    // A chunk whose size is a huge hex number is answered 413 once --max-body bytes came.
    let mut huge = check_head("Transfer-Encoding: chunked\r\n");
    huge.push_str("fffffffffffff\r\n");
    huge.push_str(&"a".repeat(1200));
    raw_request(&srv.addr, huge.as_bytes()).assert_error(413, "--max-body");
    // The budget must hold the largest body.
    let out = Command::new(env!("CARGO_BIN_EXE_unspin"))
        .args([
            "serve",
            "--max-body",
            "2000",
            "--max-inflight-bytes",
            "1000",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-inflight-bytes"));
}

#[test]
fn connections_over_the_limit_are_refused_at_once() {
    let srv = Server::start(&["--max-connections", "2"]);
    let idle: Vec<TcpStream> = (0..2)
        .map(|_| TcpStream::connect(&srv.addr).unwrap())
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let t = std::time::Instant::now();
    let r = raw_request(&srv.addr, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    r.assert_error(503, "--max-connections");
    assert_eq!(r.header("retry-after").as_deref(), Some("1"), "{r:?}");
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
    // Once they close, there is room again.
    drop(idle);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let r = srv.request("GET", "/healthz", None, b"");
        if r.status == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{r:?}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_body_sent_too_slowly_gets_408() {
    let srv = Server::start(&["--body-timeout", "0.5"]);
    let mut head = check_head("Content-Length: 100\r\n");
    head.push_str("{\"text\": \"a");
    raw_request(&srv.addr, head.as_bytes()).assert_error(408, "--body-timeout");
    // A chunked body that never ends, too.
    let mut chunked = check_head("Transfer-Encoding: chunked\r\n");
    chunked.push_str("fffffffffffff\r\n{\"text\": \"a");
    raw_request(&srv.addr, chunked.as_bytes()).assert_error(408, "--body-timeout");
    assert_eq!(srv.request("GET", "/healthz", None, b"").status, 200);
}

#[test]
fn the_limits_are_in_help() {
    let out = Command::new(env!("CARGO_BIN_EXE_unspin"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--max-inflight-bytes",
        "--max-connections",
        "--body-timeout",
    ] {
        assert!(help.contains(flag), "{flag} missing from serve --help");
    }
}

#[test]
fn a_timed_out_check_is_stopped_and_the_worker_freed() {
    // One worker, a time limit far shorter than the check of a few MB of text: the 503 comes
    // at the limit, the engine stops at its next passage (counted in /healthz, logged), and
    // the worker takes the next request.
    let mut srv = Server::start(&[
        "--workers",
        "1",
        "--timeout",
        "0.3",
        "--max-body",
        "8000000",
    ]);
    let big = serde_json::json!({ "text": "The cat sat on the carpet. ".repeat(150_000) });
    srv.post_json("/v1/check", &big)
        .assert_error(503, "time limit");
    let mut cancelled = 0;
    for _ in 0..600 {
        cancelled = srv.request("GET", "/healthz", None, b"").json()["cancelled"]
            .as_u64()
            .expect("healthz has cancelled");
        if cancelled > 0 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(
        cancelled, 1,
        "the timed-out check was not reported as cancelled"
    );
    let small = serde_json::json!({ "text": "the cat sat on the carpet ." });
    let r = srv.post_json("/v1/check", &small);
    assert_eq!(r.status, 200, "{r:?}");
    let mut line = String::new();
    srv.stderr.read_line(&mut line).expect("log line");
    assert!(
        line.contains("checking") && line.contains("timed out"),
        "{line}"
    );
}

#[test]
fn with_an_index_check_restores_from_the_source_and_find_has_a_near_miss() {
    let srv = Server::start(&["--index", index_dir().to_str().unwrap()]);
    let suspect = OTHERS[1]
        .replace("begins", "starts")
        .replace("small", "little");
    let rep = srv
        .post_json("/v1/check", &serde_json::json!({ "text": suspect }))
        .json();
    assert_eq!(rep["sources"][0]["id"], "river", "{rep}");
    let from: Vec<&serde_json::Value> = rep["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["source"] == "river")
        .collect();
    assert!(
        from.iter()
            .any(|f| f["text"] == "starts" && f["suggestion"] == "begins"),
        "{rep}"
    );
    assert_eq!(rep["restored"], OTHERS[1], "{rep}");
    let r = srv
        .post_json("/v1/restore", &serde_json::json!({ "text": suspect }))
        .json();
    assert_eq!(r["text"], OTHERS[1]);
    // a floor no passage reaches: no source, and the near miss says what would admit it
    let f = srv
        .post_json(
            "/v1/find",
            &serde_json::json!({ "text": suspect, "min_passage": 1000 }),
        )
        .json();
    assert_eq!(f["sources"].as_array().unwrap().len(), 0, "{f}");
    assert_eq!(f["near_miss"]["id"], "river", "{f}");
    assert!(
        f["near_miss"]["admit_with"]
            .as_str()
            .unwrap()
            .starts_with("min_passage "),
        "{f}"
    );
    assert_eq!(f["threshold"]["min_passage"], 1000);
    for bad in [
        serde_json::json!({ "text": "x", "min_passage": 0 }),
        serde_json::json!({ "text": "x", "max_evalue": 0 }),
    ] {
        assert_eq!(srv.post_json("/v1/find", &bad).status, 400, "{bad}");
    }
}
