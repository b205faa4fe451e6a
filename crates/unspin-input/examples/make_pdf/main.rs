//! `cargo run -p unspin-input --example make_pdf -- [--scan] [--lines N] IN.txt OUT.pdf ...`:
//! writes each text file as a PDF with a text layer (see `pdfgen.rs`): for test fixtures
//! and the PDF benchmark (BENCHMARKS.md). `--scan` writes pages without a text layer.

mod pdfgen;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let scan = args.iter().any(|a| a == "--scan");
    args.retain(|a| a != "--scan");
    let mut layout = pdfgen::Layout::default();
    if let Some(i) = args.iter().position(|a| a == "--lines") {
        layout.lines = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(40);
        args.drain(i..(i + 2).min(args.len()));
    }
    if args.is_empty() || !args.len().is_multiple_of(2) {
        eprintln!("usage: make_pdf [--scan] [--lines N] IN.txt OUT.pdf [IN.txt OUT.pdf ...]");
        std::process::exit(2);
    }
    for pair in args.chunks(2) {
        let text = match std::fs::read_to_string(&pair[0]) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("make_pdf: {}: {e}", pair[0]);
                std::process::exit(1);
            }
        };
        if let Err(e) = std::fs::write(&pair[1], pdfgen::pdf(&text, &layout, !scan)) {
            eprintln!("make_pdf: {}: {e}", pair[1]);
            std::process::exit(1);
        }
    }
}
