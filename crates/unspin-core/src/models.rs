//! Finding and loading the model (language model + lexicon) and adapting it to the engine.

use anyhow::{Context, Result, bail};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use unspin_engine::{
    Candidate, CandidateSource, Engine, LM_STATE_WORDS, LanguageModel, LmState, Meaning, Params,
    Sources, Terms, UserLexicon, WordId,
};

// The engine's state holds the LM crate's state unchanged.
const _: () = assert!(LM_STATE_WORDS == unspin_lm::MAX_ORDER);

fn from_lm(s: unspin_lm::State) -> LmState {
    let (words, aux, len) = s.into_parts();
    LmState { words, aux, len }
}

/// The language model behind the engine's trait.
pub struct Lm(pub unspin_lm::Model);

impl LanguageModel for Lm {
    fn order(&self) -> usize {
        self.0.order()
    }
    fn id(&self, word: &str) -> WordId {
        self.0.id(word)
    }
    fn unk(&self) -> WordId {
        self.0.unk()
    }
    fn bos(&self) -> WordId {
        self.0.bos()
    }
    fn eos(&self) -> WordId {
        self.0.eos()
    }
    fn log10_prob(&self, context: &[WordId], word: WordId) -> f32 {
        self.0.log10_prob(context, word)
    }
    fn begin_sentence(&self) -> LmState {
        from_lm(self.0.begin_sentence())
    }
    #[inline]
    fn prefetch(&self, state: &LmState, word: WordId) {
        self.0.prefetch_parts(&state.words, state.len, word);
    }
    #[inline]
    fn score(&self, state: &LmState, word: WordId, out: &mut LmState) -> f32 {
        // The engine's state is the LM's, field for field: scored in place, no copies.
        let (p, len) = self.0.score_parts(
            &state.words,
            &state.aux,
            state.len,
            word,
            &mut out.words,
            &mut out.aux,
        );
        out.len = len;
        p
    }
}

/// The compiled lexicon behind the engine's trait, with every original's LM word ids
/// resolved once (on first use) so that the decoder's hot path handles no strings.
pub struct Lex {
    lex: unspin_lexicon::Lexicon,
    ids: std::sync::OnceLock<(Vec<u32>, Vec<WordId>)>,
    /// Per LM word id: is it a one-word original.
    originals: std::sync::OnceLock<Vec<bool>>,
}

impl Lex {
    /// Wraps a compiled lexicon.
    pub fn new(lex: unspin_lexicon::Lexicon) -> Self {
        Lex {
            lex,
            ids: std::sync::OnceLock::new(),
            originals: std::sync::OnceLock::new(),
        }
    }

    /// The compiled lexicon.
    pub fn inner(&self) -> &unspin_lexicon::Lexicon {
        &self.lex
    }

    fn table(&self, lm: &dyn LanguageModel) -> &(Vec<u32>, Vec<WordId>) {
        self.ids.get_or_init(|| {
            let n = self.lex.num_originals();
            let mut offs = Vec::with_capacity(n + 1);
            let mut words = Vec::with_capacity(n * 2);
            offs.push(0);
            for id in 0..n as u32 {
                if let Some(o) = self.lex.original(id) {
                    words.extend(o.split(' ').map(|w| lm.id(w)));
                }
                offs.push(words.len() as u32);
            }
            (offs, words)
        })
    }
}

thread_local! {
    static BUF: RefCell<Vec<(u32, f32, u8)>> = const { RefCell::new(Vec::new()) };
    /// The decoder asks for keys that grow word by word: each continues the last one's walk.
    static WALK: RefCell<unspin_lexicon::Walk> = RefCell::new(unspin_lexicon::Walk::default());
}

impl CandidateSource for Lex {
    fn max_key_words(&self) -> usize {
        self.lex.max_key_words()
    }
    fn candidates(&self, key: &str, out: &mut Vec<Candidate>) {
        self.candidates_up_to(key, usize::MAX, out);
    }
    fn candidates_up_to(&self, key: &str, limit: usize, out: &mut Vec<Candidate>) {
        BUF.with(|b| {
            let mut b = b.borrow_mut();
            b.clear();
            WALK.with(|w| {
                self.lex
                    .candidate_ids_walk_up_to(&mut w.borrow_mut(), key, limit, &mut b)
            });
            out.extend(b.iter().map(|&(id, ln, dicts)| Candidate {
                id,
                source: 0,
                ln_channel: ln,
                dicts,
            }));
        })
    }
    fn extends(&self, key: &str) -> bool {
        WALK.with(|w| self.lex.extends_walk(&mut w.borrow_mut(), key))
    }
    fn original(&self, c: &Candidate) -> String {
        self.lex.original(c.id).unwrap_or_default().to_string()
    }
    fn is_original(&self, _norm: &str, id: WordId, lm: &dyn LanguageModel) -> bool {
        let set = self.originals.get_or_init(|| {
            let (offs, words) = self.table(lm);
            let n = words.iter().max().map_or(0, |&m| m as usize + 1);
            let mut set = vec![false; n];
            for w in offs.windows(2) {
                if w[1] == w[0] + 1
                    && let Some(s) = set.get_mut(words[w[0] as usize] as usize)
                {
                    *s = true;
                }
            }
            set
        });
        id != lm.unk() && set.get(id as usize).copied().unwrap_or(false)
    }
    fn words(&self, c: &Candidate, lm: &dyn LanguageModel, out: &mut Vec<WordId>) {
        let (offs, words) = self.table(lm);
        let i = c.id as usize;
        if let (Some(&a), Some(&b)) = (offs.get(i), offs.get(i + 1)) {
            // One or two words nearly always: pushed one by one, not through a memcpy call.
            for &w in words.get(a as usize..b as usize).unwrap_or(&[]) {
                out.push(w);
            }
        }
    }
}

#[cfg(embedded_model)]
static EMBEDDED_LM: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../model/en/lm.bin"
));
#[cfg(embedded_model)]
static EMBEDDED_LEX: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../model/en/lexicon.bin"
));

#[cfg(embedded_model)]
static EMBEDDED_VECTORS: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../model/en/vectors.bin"
));

#[cfg(embedded_model)]
static EMBEDDED_TERMS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../model/en/terms.txt"
));

#[cfg(embedded_model)]
static EMBEDDED_FUNCTION_WORDS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../model/en/function-words.tsv"
));

/// The model's function-word pairs file (connectives, modals, prepositions and their phrase
/// forms: *therefore* ↔ *due to this fact*, *may* ↔ *could*), which the thesauri lack.
pub const FUNCTION_WORDS_FILE: &str = "function-words.tsv";

/// Which model to load and what to add to it: the flags `check`, `restore`, `eval` and
/// `serve` share.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct ModelArgs {
    /// Model directory (lm.bin + lexicon.bin); default: $UNSPIN_MODEL, else the built-in model.
    #[arg(long, value_name = "DIR")]
    pub model: Option<PathBuf>,
    /// Extra substitution pairs (`spun<TAB>original<TAB>count`, e.g. from `unspin learn`).
    #[arg(long = "lexicon", value_name = "TSV")]
    pub lexicons: Vec<PathBuf>,
    /// Leave out the model's function-word pairs (*due to this fact* → *therefore*, *Could* →
    /// *May*): fewer findings on clean text, none of those swaps found.
    #[arg(long)]
    pub no_function_words: bool,
}

/// The function-word pairs of the model (`function-words.tsv` in the model directory; optional
/// there), as a candidate source.
pub fn load_function_words(model: Option<&Path>) -> Result<Option<UserLexicon>> {
    let (text, name): (std::borrow::Cow<'static, str>, String) = match resolve_dir(model) {
        Some(dir) => {
            let p = dir.join(FUNCTION_WORDS_FILE);
            if !p.is_file() {
                return Ok(None);
            }
            let t = std::fs::read_to_string(&p)
                .with_context(|| format!("{}: cannot read the function-word pairs", p.display()))?;
            (t.into(), p.display().to_string())
        }
        None => match embedded_function_words() {
            Some(t) => (t.into(), format!("built-in {FUNCTION_WORDS_FILE}")),
            None => return Ok(None),
        },
    };
    Ok(Some(UserLexicon::parse(&text, &name)?))
}

#[cfg(embedded_model)]
fn embedded_function_words() -> Option<&'static str> {
    Some(EMBEDDED_FUNCTION_WORDS)
}

#[cfg(not(embedded_model))]
fn embedded_function_words() -> Option<&'static str> {
    None
}

/// The known terms of the model (`terms.txt` in the model directory; optional there).
pub fn load_terms(model: Option<&Path>, lm: &Lm) -> Result<Terms> {
    let text: Option<std::borrow::Cow<'static, str>> = match resolve_dir(model) {
        Some(dir) => {
            let p = dir.join(unspin_lexicon::TERMS_FILE);
            if p.is_file() {
                Some(
                    std::fs::read_to_string(&p)
                        .with_context(|| format!("{}: cannot read the known terms", p.display()))?
                        .into(),
                )
            } else {
                None
            }
        }
        None => embedded_terms().map(Into::into),
    };
    Ok(text.map(|t| Terms::parse(&t, lm)).unwrap_or_default())
}

#[cfg(embedded_model)]
fn embedded_terms() -> Option<&'static str> {
    Some(EMBEDDED_TERMS)
}

#[cfg(not(embedded_model))]
fn embedded_terms() -> Option<&'static str> {
    None
}

/// Where the model comes from, for messages.
pub fn describe(model: Option<&Path>) -> String {
    match resolve_dir(model) {
        Some(d) => d.display().to_string(),
        None if cfg!(embedded_model) => "built-in English model".into(),
        None => "none".into(),
    }
}

fn resolve_dir(model: Option<&Path>) -> Option<PathBuf> {
    model.map(Path::to_path_buf).or_else(|| {
        std::env::var_os("UNSPIN_MODEL")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    })
}

/// Loads the language model and the lexicon: from `--model DIR`, else `$UNSPIN_MODEL`, else the
/// model built into the binary.
pub fn load_parts(model: Option<&Path>) -> Result<(Lm, Lex)> {
    if let Some(dir) = resolve_dir(model) {
        if !dir.is_dir() {
            bail!("{}: model directory not found", dir.display());
        }
        let lm_path = dir.join("lm.bin");
        let lex_path = dir.join("lexicon.bin");
        let lm = unspin_lm::Model::open(&lm_path)
            .with_context(|| format!("{}: cannot load the language model", lm_path.display()))?;
        let lex = unspin_lexicon::Lexicon::open(&lex_path)
            .with_context(|| format!("{}: cannot load the lexicon", lex_path.display()))?;
        return Ok((Lm(lm), Lex::new(lex)));
    }
    embedded()
}

#[cfg(embedded_model)]
fn embedded() -> Result<(Lm, Lex)> {
    let lm = unspin_lm::Model::from_static(EMBEDDED_LM).context("built-in language model")?;
    let lex = unspin_lexicon::Lexicon::from_static(EMBEDDED_LEX).context("built-in lexicon")?;
    Ok((Lm(lm), Lex::new(lex)))
}

#[cfg(not(embedded_model))]
fn embedded() -> Result<(Lm, Lex)> {
    bail!(
        "no model: this binary was built without one. Build it with `unspin model build` \
         (see README) and rebuild, or pass --model DIR or set UNSPIN_MODEL"
    )
}

/// Word vectors keyed by the language model's word ids (the engine's [`Meaning`] port).
pub struct VecMeaning {
    vectors: unspin_vectors::Vectors,
    /// Row of each LM word id (`u32::MAX`: no vector).
    rows: Vec<u32>,
}

impl VecMeaning {
    /// Maps every word of `vectors` to the LM's id of it.
    pub fn new(vectors: unspin_vectors::Vectors, lm: &dyn LanguageModel) -> VecMeaning {
        let mut rows = Vec::new();
        for (w, r) in vectors.words() {
            let id = lm.id(w);
            if id == lm.unk() {
                continue;
            }
            let id = id as usize;
            if rows.len() <= id {
                rows.resize(id + 1, u32::MAX);
            }
            rows[id] = r;
        }
        VecMeaning { vectors, rows }
    }

    fn rows(&self, ids: &[WordId], out: &mut smallvec::SmallVec<[u32; 8]>) {
        out.extend(
            ids.iter()
                .filter_map(|&i| self.rows.get(i as usize).copied())
                .filter(|&r| r != u32::MAX),
        );
    }
}

impl Meaning for VecMeaning {
    fn similarity(&self, a: &[WordId], b: &[WordId]) -> Option<f32> {
        let (mut ra, mut rb) = (smallvec::SmallVec::new(), smallvec::SmallVec::new());
        self.rows(a, &mut ra);
        self.rows(b, &mut rb);
        self.vectors.similarity_rows(&ra, &rb)
    }
}

/// The model's word vectors (`vectors.bin` of `--model DIR` when it has one, else the built-in
/// model's), or `None` when there are none.
fn load_meaning(
    model: Option<&std::path::Path>,
    lm: &dyn LanguageModel,
) -> Result<Option<VecMeaning>> {
    let vectors = match model {
        Some(dir) => {
            let p = dir.join("vectors.bin");
            if !p.is_file() {
                return Ok(None);
            }
            unspin_vectors::Vectors::open(&p)
                .with_context(|| format!("{}: cannot load the word vectors", p.display()))?
        }
        None => embedded_vectors()?,
    };
    Ok(Some(VecMeaning::new(vectors, lm)))
}

#[cfg(embedded_model)]
fn embedded_vectors() -> Result<unspin_vectors::Vectors> {
    unspin_vectors::Vectors::from_static(EMBEDDED_VECTORS).context("built-in word vectors")
}

#[cfg(not(embedded_model))]
fn embedded_vectors() -> Result<unspin_vectors::Vectors> {
    bail!("no model: this binary was built without one")
}

/// The engine with the model, its function-word pairs (unless turned off) and any user
/// lexicons (`spun<TAB>original<TAB>count` files).
pub fn load_engine(m: &ModelArgs, params: Params) -> Result<Engine> {
    let model = m.model.as_deref();
    let (lm, lex) = load_parts(model)?;
    let terms = load_terms(model, &lm)?;
    // the vectors are read only when something uses them (they are off by default)
    let wants_meaning = params.meaning_weight != 0.0
        || params.meaning_choice_weight != 0.0
        || params.candidate_pool > params.max_candidates;
    let meaning = if wants_meaning {
        load_meaning(model, &lm)?
    } else {
        None
    };
    let with = |e: Engine| match meaning {
        Some(m) => e.with_meaning(Box::new(m)),
        None => e,
    };
    let function_words = if m.no_function_words {
        None
    } else {
        load_function_words(model)?
    };
    if m.lexicons.is_empty() && function_words.is_none() {
        return Ok(with(
            Engine::new(Box::new(lm), Box::new(lex), params).with_terms(terms),
        ));
    }
    let mut sources: Vec<Box<dyn CandidateSource>> = vec![Box::new(lex)];
    if let Some(f) = function_words {
        sources.push(Box::new(f));
    }
    for p in &m.lexicons {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("{}: cannot read the user lexicon", p.display()))?;
        let u = UserLexicon::parse(&text, &p.display().to_string())?;
        sources.push(Box::new(u));
    }
    Ok(with(
        Engine::new(Box::new(lm), Box::new(Sources(sources)), params).with_terms(terms),
    ))
}

#[cfg(all(test, embedded_model))]
mod tests {
    use super::*;

    #[test]
    fn the_lexicon_knows_which_words_its_dictionaries_replace() {
        let (lm, lex) = load_parts(None).expect("built-in model");
        let is = |w: &str| lex.is_original(w, lm.id(w), &lm);
        assert!(is("big") && is("important") && is("therefore"));
        // Unknown words and words no thesaurus lists are left alone by any spinner.
        assert!(!is("zqxjv"));
        for w in ["wikipedia", "toyota"] {
            assert_ne!(lm.id(w), lm.unk(), "{w} is in the LM's vocabulary");
            assert!(!is(w), "{w}");
        }
    }
}
