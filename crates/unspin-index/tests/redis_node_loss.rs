//! Node loss: a primary of a Redis Cluster is killed (SIGKILL) while `index add` runs; the
//! add then completes through the replica's failover or fails with an error naming the batch,
//! and every document whose batch was acknowledged is found afterwards. Three runs, each on a
//! cluster of its own (ports 7100–7105, started and stopped with `scripts/redis-cluster.sh`),
//! so that the cluster of the other tests is not touched.
//!
//! Runs when `UNSPIN_REDIS_CLUSTER` is set (Redis is installed: `.ci/run` sets it); without
//! it, prints a note and passes. Also a read-only cluster (primaries refusing writes) is a
//! clear error.

mod common;

use common::corpus;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use unspin_index::{FindOptions, find};
use unspin_index::{Index, IndexWriter, NewDoc};

const PORT: u16 = 7100;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/redis-cluster.sh")
}

/// A cluster of this test's own, stopped (and its directory removed) when dropped.
struct Cluster {
    dir: PathBuf,
    url: String,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let out = Command::new("bash")
            .arg(script())
            .arg("start")
            .arg(dir)
            .env("PORT", PORT.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "cluster start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Cluster {
            dir: dir.to_path_buf(),
            url: String::from_utf8_lossy(&out.stdout).trim().to_string(),
        }
    }

    fn cli(&self, port: u16, args: &[&str]) -> String {
        let out = Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Ports of the primaries.
    fn primaries(&self) -> Vec<u16> {
        self.cli(PORT, &["cluster", "nodes"])
            .lines()
            .filter(|l| l.contains("master") && !l.contains("fail"))
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter_map(|a| a.split(['@', ':']).nth(1)?.parse().ok())
            .collect()
    }

    fn kill(&self, port: u16) {
        let pid =
            std::fs::read_to_string(self.dir.join(port.to_string()).join("redis.pid")).unwrap();
        let ok = Command::new("kill")
            .args(["-9", pid.trim()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -9 {pid} failed");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(script())
            .arg("stop")
            .arg(&self.dir)
            .env("PORT", PORT.to_string())
            .status();
    }
}

fn enabled() -> bool {
    let on = std::env::var("UNSPIN_REDIS_CLUSTER").is_ok_and(|s| !s.is_empty());
    if !on {
        eprintln!("note: UNSPIN_REDIS_CLUSTER is not set: the Redis node-loss test is skipped");
    }
    on
}

/// One run: returns (documents acknowledged, lost, whether the add completed).
fn run(round: u64, tmp: &Path) -> (usize, usize, bool) {
    let c = Cluster::start(&tmp.join(format!("cluster-{round}")));
    let url = PathBuf::from(format!("{}/loss{round}", c.url));
    let mut docs: Vec<(String, String)> = corpus(800, 120).into_iter().collect();
    docs.sort();
    let acked = Arc::new(Mutex::new(0usize));
    let writer = {
        let (url, docs, acked) = (url.clone(), docs.clone(), Arc::clone(&acked));
        std::thread::spawn(move || -> Result<(), String> {
            let mut w = IndexWriter::open(&url).map_err(|e| e.to_string())?;
            w.batch_docs = 50;
            for (i, (id, text)) in docs.iter().enumerate() {
                let nd = NewDoc {
                    id: id.clone(),
                    text: text.clone(),
                    ..Default::default()
                };
                if w.add(nd).map_err(|e| e.to_string())? {
                    *acked.lock().unwrap() = i + 1;
                }
            }
            w.commit().map_err(|e| e.to_string())?;
            *acked.lock().unwrap() = docs.len();
            Ok(())
        })
    };
    // a primary dies a third of the way in
    let t = Instant::now();
    while *acked.lock().unwrap() < 250 && t.elapsed() < Duration::from_secs(120) {
        std::thread::sleep(Duration::from_millis(5));
    }
    let primaries = c.primaries();
    assert_eq!(primaries.len(), 3, "{primaries:?}");
    c.kill(primaries[(round as usize) % 3]);
    let done = match writer.join().unwrap() {
        Ok(()) => true,
        Err(e) => {
            assert!(
                e.contains("batch ") && e.contains("not acknowledged"),
                "{e}"
            );
            eprintln!("run {round}: add stopped: {e}");
            false
        }
    };
    let n = *acked.lock().unwrap();
    // every acknowledged document is there, and found
    let ix = Index::open(&url).unwrap();
    let mut lost = 0;
    for (id, text) in &docs[..n] {
        let ok = ix
            .find_id(id)
            .unwrap()
            .is_some_and(|r| ix.text(r).is_ok_and(|t| &t == text));
        lost += usize::from(!ok);
    }
    for (id, text) in docs[..n].iter().step_by(40) {
        let hits = find(&ix, text, &FindOptions::default()).unwrap();
        assert_eq!(hits.first().map(|h| &h.id), Some(id));
    }
    if done {
        assert_eq!(ix.stats().docs, docs.len() as u64);
    }
    (n, lost, done)
}

#[test]
fn acknowledged_documents_survive_a_lost_primary() {
    if !enabled() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let (acked, lost, done) = run(round, tmp.path());
        eprintln!("run {round}: {acked} acknowledged, {lost} lost, completed: {done}");
        assert!(acked >= 250);
        assert_eq!(
            lost, 0,
            "run {round}: {lost} of {acked} acknowledged documents lost"
        );
    }
    read_only(tmp.path());
}

/// Primaries that refuse writes (`min-replicas-to-write` above their replicas): opening a
/// writer says so, naming the index.
fn read_only(tmp: &Path) {
    let c = Cluster::start(&tmp.join("cluster-ro"));
    let url = PathBuf::from(format!("{}/ro", c.url));
    for p in c.primaries() {
        c.cli(p, &["config", "set", "min-replicas-to-write", "5"]);
    }
    let e = IndexWriter::open(&url).unwrap_err().to_string();
    assert!(
        e.starts_with(url.to_str().unwrap())
            && e.contains("refuses writes")
            && e.contains("NOREPLICAS"),
        "{e}"
    );
}
