//! `unspin restore`: the restored text only, lines preserved exactly.

use anyhow::Result;
use clap::Args;
use unspin_engine::CheckOptions;

use crate::input;

#[derive(Args)]
pub struct RestoreArgs {
    /// File to restore; `-` reads standard input.
    #[arg(value_name = "FILE", default_value = "-")]
    file: String,
    #[command(flatten)]
    engine: crate::args::EngineOpts,
}

/// `unspin restore`.
pub fn run(a: RestoreArgs) -> Result<i32> {
    let engine = crate::args::engine(&a.engine)?;
    input::hint_if_terminal([a.file.as_str()]);
    let ix = crate::args::open_index(&a.engine)?;
    let items = input::read_items(&a.file, a.engine.input, a.engine.max_bytes)?;
    let opts = CheckOptions {
        threshold: a.engine.threshold,
        papers: a.engine.papers,
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut errors = 0;
    use std::io::Write;
    for item in items {
        let d = match item {
            input::Item::Doc(d) => d,
            input::Item::Bad(b) => {
                // the error record takes the line's place in the output
                errors += 1;
                writeln!(out, "{}", serde_json::to_string(&b)?)?;
                out.flush()?;
                input::report_bad_line(&b);
                continue;
            }
        };
        let jsonl = d.line.is_some();
        let rep = super::check::check_doc(&engine, d, &opts, ix.as_ref());
        if jsonl {
            writeln!(
                out,
                "{}",
                serde_json::json!({"id": rep.id, "text": rep.restored})
            )?;
        } else {
            out.write_all(rep.restored.as_bytes())?;
        }
    }
    out.flush()?;
    Ok(if errors > 0 { 2 } else { 0 })
}
