//! `unspin compare`: a suspect aligned with a source, side by side, and the substitution table.

use super::*;
use anyhow::Result;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use unspin_core::answers::compare_json;
use unspin_index::LearnedLexicon as Lexicon;
use unspin_index::SynClasses;
use unspin_index::{AlignParams, Comparison, compare};

/// `unspin compare`: aligned passages and the substitution table.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  unspin compare suspect.txt original.txt\n  unspin compare --format json suspect.txt original.txt\n  unspin compare suspect.txt original.txt --learn my-lexicon.tsv\n\nOffsets are in characters (PAN text-alignment style); JSON also gives byte ranges. For HTML input they refer to the extracted text."
)]
pub struct CompareArgs {
    /// The suspect (spun) text.
    suspect: PathBuf,
    /// The source (original) text.
    source: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t)]
    format: Format,
    /// Width of the side-by-side view, 40 to 1000 (default: terminal width or 100).
    #[arg(long, value_parser = parse_width)]
    width: Option<usize>,
    /// Also add the substitution table to this lexicon file (TSV spun, original, count).
    #[arg(long, value_name = "FILE")]
    learn: Option<PathBuf>,
}

impl CompareArgs {
    /// Runs `compare`; returns the exit code.
    pub fn run(self) -> Result<i32> {
        let sus = read_text(&self.suspect)?;
        let src = read_text(&self.source)?;
        let c = compare(&sus, &src, SynClasses::embedded(), &AlignParams::default());
        if let Some(p) = &self.learn {
            let mut lx = Lexicon::read(p)?;
            lx.add_table(&c.table);
            lx.write(p, 1)?;
        }
        let mut out = std::io::stdout().lock();
        match self.format {
            Format::Json => {
                let v = compare_json(
                    &self.suspect.display().to_string(),
                    &self.source.display().to_string(),
                    &c,
                );
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            }
            Format::Text => {
                let width = self.width.unwrap_or_else(terminal_width).max(40);
                let color =
                    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
                render_text(&mut out, &sus, &src, &c, width, color)?;
            }
        }
        Ok(0)
    }
}

/// `--width`: 40 to 1000 columns.
fn parse_width(s: &str) -> Result<usize, String> {
    let v = crate::args::parse_count(s)?;
    if (40..=1000).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{v} is not between 40 and 1000 columns"))
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// A word of the side-by-side view and whether it follows the previous one without a space
/// (punctuation: *budget.*).
type Word<'a> = (&'a str, bool);

/// The words of `text[a..b]`, the first marked when no whitespace precedes it in `text` (the
/// passage's first word, at `start`, never is).
fn words_in(text: &str, (a, b): (usize, usize), start: usize) -> Vec<Word<'_>> {
    let Some(part) = text.get(a..b) else {
        return Vec::new();
    };
    let glued = a > start
        && !part.starts_with(char::is_whitespace)
        && text[..a]
            .chars()
            .next_back()
            .is_some_and(|c| !c.is_whitespace());
    part.split_whitespace()
        .enumerate()
        .map(|(i, w)| (w, glued && i == 0))
        .collect()
}

/// One unit of the side-by-side view: the source's words and the suspect's words that stand
/// for each other (a matched word, or a substitution when `sub`).
#[derive(Debug, PartialEq)]
struct Cell<'a> {
    src: Vec<Word<'a>>,
    sus: Vec<Word<'a>>,
    sub: bool,
}

/// The passage `p` as cells in reading order: the substitutions inside it, and between them
/// the matched text, word for word when both sides have as many words (else as one cell).
/// A substitution out of order with the ones before it (overlapping them on one side) is
/// shown as matched text.
fn cells<'a>(
    src: &'a str,
    sus: &'a str,
    p: &unspin_index::Passage,
    subs: &[unspin_index::Substitution],
) -> Vec<Cell<'a>> {
    let (s0, s1) = p.source_bytes;
    let (t0, t1) = p.suspect_bytes;
    let mut inside: Vec<&unspin_index::Substitution> = subs
        .iter()
        .filter(|x| {
            x.source_bytes.0 >= s0
                && x.source_bytes.1 <= s1
                && x.spun_bytes.0 >= t0
                && x.spun_bytes.1 <= t1
        })
        .collect();
    inside.sort_by_key(|x| x.source_bytes);
    let mut out = Vec::new();
    let (mut a, mut b) = (s0, t0);
    let gap = |out: &mut Vec<Cell<'a>>, x: (usize, usize), y: (usize, usize)| {
        let (xs, ys) = (words_in(src, x, s0), words_in(sus, y, t0));
        if xs.len() == ys.len() {
            out.extend(xs.into_iter().zip(ys).map(|(x, y)| Cell {
                src: vec![x],
                sus: vec![y],
                sub: false,
            }));
        } else if !xs.is_empty() || !ys.is_empty() {
            out.push(Cell {
                src: xs,
                sus: ys,
                sub: false,
            });
        }
    };
    for x in inside {
        let (sa, sb) = x.source_bytes;
        let (ta, tb) = x.spun_bytes;
        if sa < a || ta < b {
            continue;
        }
        gap(&mut out, (a, sa), (b, ta));
        out.push(Cell {
            src: words_in(src, (sa, sb), s0),
            sus: words_in(sus, (ta, tb), t0),
            sub: true,
        });
        (a, b) = (sb, tb);
    }
    gap(&mut out, (a, s1), (b, t1));
    out
}

/// A rendered line and its visible width.
type Line = (String, usize);

/// Lays cells out in rows of at most `col` visible characters per side, keeping every cell's
/// two sides on the same row (so the columns never drift apart); a cell too wide for one row
/// gets rows of its own.
fn sync_rows(cells: &[Cell], col: usize, color: bool) -> Vec<(Line, Line)> {
    // (rendered, visible width, glued to the previous word); a substitution is bracketed as
    // a whole without colour, highlighted word by word with it
    let style = |ws: &[Word], sub: bool| -> Vec<(String, usize, bool)> {
        let n = ws.len();
        ws.iter()
            .enumerate()
            .map(|(i, &(w, glued))| {
                let shown = match (sub && !color, i == 0, i + 1 == n) {
                    (true, true, true) => format!("[{w}]"),
                    (true, true, false) => format!("[{w}"),
                    (true, false, true) => format!("{w}]"),
                    _ => w.to_string(),
                };
                let width = shown.chars().count();
                if sub && color {
                    (format!("\x1b[1;33m{shown}\x1b[0m"), width, glued)
                } else {
                    (shown, width, glued)
                }
            })
            .collect()
    };
    // width with a space before every word that is not glued on
    let width = |ws: &[(String, usize, bool)]| -> usize {
        ws.iter().map(|w| w.1 + usize::from(!w.2)).sum::<usize>()
    };
    let push = |line: &mut Line, ws: &[(String, usize, bool)]| {
        for (w, n, glued) in ws {
            if line.1 > 0 && !glued {
                line.0.push(' ');
                line.1 += 1;
            }
            line.0.push_str(w);
            line.1 += n;
        }
    };
    let mut rows: Vec<(Line, Line)> = Vec::new();
    let mut cur: (Line, Line) = Default::default();
    for c in cells {
        let (l, r) = (style(&c.src, c.sub), style(&c.sus, c.sub));
        let (lw, rw) = (width(&l), width(&r));
        // on an empty line the first space is not printed
        let fits = |line: &Line, w: usize| w == 0 || line.1 + w <= col + usize::from(line.1 == 0);
        if fits(&cur.0, lw) && fits(&cur.1, rw) {
            push(&mut cur.0, &l);
            push(&mut cur.1, &r);
            continue;
        }
        if cur.0.1 > 0 || cur.1.1 > 0 {
            rows.push(std::mem::take(&mut cur));
        }
        if lw <= col + 1 && rw <= col + 1 {
            push(&mut cur.0, &l);
            push(&mut cur.1, &r);
            continue;
        }
        // wider than a row: each side word-wrapped on rows of its own
        let wrap_side = |ws: &[(String, usize, bool)]| -> Vec<Line> {
            let mut lines: Vec<Line> = Vec::new();
            let mut line: Line = Default::default();
            for w in ws {
                if line.1 > 0 && line.1 + 1 + w.1 > col {
                    lines.push(std::mem::take(&mut line));
                }
                push(&mut line, std::slice::from_ref(w));
            }
            if line.1 > 0 {
                lines.push(line);
            }
            lines
        };
        let (ll, rl) = (wrap_side(&l), wrap_side(&r));
        for i in 0..ll.len().max(rl.len()) {
            rows.push((
                ll.get(i).cloned().unwrap_or_default(),
                rl.get(i).cloned().unwrap_or_default(),
            ));
        }
    }
    if cur.0.1 > 0 || cur.1.1 > 0 {
        rows.push(cur);
    }
    rows
}

fn render_text(
    out: &mut impl Write,
    sus: &str,
    src: &str,
    c: &Comparison,
    width: usize,
    color: bool,
) -> Result<()> {
    writeln!(
        out,
        "{} passage{}, coverage {:.2}, similarity {:.2}, {}",
        c.passages.len(),
        if c.passages.len() == 1 { "" } else { "s" },
        c.coverage,
        c.similarity,
        plural(
            c.substitutions.len() as u64,
            "substitution",
            "substitutions"
        )
    )?;
    let col = (width - 3) / 2;
    for (k, p) in c.passages.iter().enumerate() {
        writeln!(out)?;
        writeln!(
            out,
            "passage {}: source chars {}..{}  suspect chars {}..{}",
            k + 1,
            p.source_offset,
            p.source_offset + p.source_length,
            p.suspect_offset,
            p.suspect_offset + p.suspect_length
        )?;
        writeln!(out, "{:<col$} | SUSPECT", "SOURCE")?;
        for ((ls, ll), (rs, _)) in sync_rows(&cells(src, sus, p, &c.substitutions), col, color) {
            writeln!(out, "{ls}{} | {rs}", " ".repeat(col.saturating_sub(ll)))?;
        }
    }
    if !c.table.is_empty() {
        writeln!(out)?;
        writeln!(out, "substitution table (source → spun, count):")?;
        for r in &c.table {
            writeln!(out, "  {:>4}  {} → {}", r.count, r.source, r.spun)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(sus: &str, src: &str, col: usize) -> Vec<(String, String)> {
        let c = unspin_index::compare(
            sus,
            src,
            unspin_index::SynClasses::embedded(),
            &unspin_index::AlignParams::default(),
        );
        let p = &c.passages[0];
        sync_rows(&cells(src, sus, p, &c.substitutions), col, false)
            .into_iter()
            .map(|((l, _), (r, _))| (l, r))
            .collect()
    }

    /// Regression: the two columns were wrapped each on its own, so a long spun phrase pushed
    /// the suspect column lines behind the source column.
    #[test]
    fn side_by_side_columns_stay_in_step() {
        let src = "The council will meet on May 15 to discuss the new budget. Road repairs are \
            high on their agenda, and the mayor said the plan would therefore be ready before \
            the summer. The council has always said that safety comes first in every project.";
        let sus = "The council will meet on Could 15 to debate the new budget. Road repairs are \
            excessive on their agenda, and the mayor stated the plan would due to this fact be \
            ready before the summer. The council has at all times stated that security comes \
            first in every project.";
        for col in [20, 30, 48] {
            let rows = view(sus, src, col);
            for (l, r) in &rows {
                assert!(
                    l.chars().count() <= col && r.chars().count() <= col,
                    "{l} | {r}"
                );
            }
            // every row holds the same matched words on both sides (a substitution may
            // continue on the next row: bracket depth carries over)
            let plain = |s: &str, depth: &mut i32| -> Vec<String> {
                let mut out = String::new();
                for ch in s.chars() {
                    match ch {
                        '[' => *depth += 1,
                        ']' => *depth -= 1,
                        _ if *depth == 0 => out.push(ch),
                        _ => out.push(' '),
                    }
                }
                out.split_whitespace().map(str::to_string).collect()
            };
            let (mut dl, mut dr) = (0, 0);
            for (l, r) in &rows {
                assert_eq!(plain(l, &mut dl), plain(r, &mut dr), "{rows:#?}");
            }
            let row = rows
                .iter()
                .find(|(l, _)| l.contains("[therefore]"))
                .expect("the substitution is shown");
            assert!(row.1.contains("[due to this fact]"), "{row:?}");
        }
    }

    #[test]
    fn punctuation_stays_on_its_word() {
        let tail = " Then the members of the council left the old town hall together and walked \
            along the river to the station, where a crowd of residents was waiting for them.";
        let rows = view(
            &format!("The council met to debate the finances.{tail}"),
            &format!("The council met to discuss the budget.{tail}"),
            40,
        );
        let text: String = rows
            .iter()
            .map(|(l, _)| l.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains("[budget]."), "{rows:?}");
        assert!(!text.contains(" ."), "{rows:?}");
    }
}
