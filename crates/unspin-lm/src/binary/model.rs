//! The reader: opening and validating a binary model, and what it holds.

use super::*;

/// Where the model bytes live.
pub(super) enum Backing {
    Mmap(memmap2::Mmap),
    Static(&'static [u8]),
    Owned(Vec<u8>),
    /// A private copy in anonymous memory, 2 MiB-aligned and advised as huge pages.
    Resident {
        map: memmap2::Mmap,
        start: usize,
        len: usize,
    },
}

/// Size of a transparent huge page on x86-64 and most aarch64 kernels.
const HUGE_PAGE: usize = 2 << 20;

impl Backing {
    #[inline(always)]
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Backing::Mmap(m) => m,
            Backing::Static(s) => s,
            Backing::Owned(v) => v,
            Backing::Resident { map, start, len } => map.get(*start..*start + *len).unwrap_or(&[]),
        }
    }

    /// Anonymous memory of `len` bytes, backed by huge pages where the kernel allows (Linux
    /// transparent huge pages in `madvise` or `always` mode; elsewhere plain pages), filled
    /// by `fill`. A lookup touches a few random slots of tables tens of MB large: with 4 KiB
    /// pages nearly each is also a TLB miss, with 2 MiB pages the whole model fits the TLB.
    fn resident(
        len: usize,
        fill: impl FnOnce(&mut [u8]) -> std::io::Result<()>,
    ) -> std::io::Result<Backing> {
        let total = len
            .checked_add(HUGE_PAGE)
            .ok_or_else(|| std::io::Error::other("model too large"))?;
        let mut map = memmap2::MmapMut::map_anon(total)?;
        let start = map.as_ptr().align_offset(HUGE_PAGE).min(HUGE_PAGE);
        #[cfg(target_os = "linux")]
        {
            // Only a hint: without THP the pages stay small and everything still works.
            let span = len.next_multiple_of(HUGE_PAGE).min(map.len() - start);
            let _ = map.advise_range(memmap2::Advice::HugePage, start, span);
        }
        fill(&mut map[start..start + len])?;
        Ok(Backing::Resident {
            map: map.make_read_only()?,
            start,
            len,
        })
    }
}

/// One order's table as found in the file.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Table {
    pub(super) off: usize,
    pub(super) len: usize,
    pub(super) count: u64,
    pub(super) slots: u64,
    pub(super) width: u32,
    pub(super) fp_mask: u64,
    pub(super) p_shift: u32,
    pub(super) p_mask: u64,
    pub(super) b_shift: u32,
    pub(super) b_mask: u64,
    pub(super) max_probe: u32,
    pub(super) rot: u32,
}

/// Address of the first model byte. The bytes belong to the model's `backing` (kept alive
/// by the same `Model`), are never written after open and never move: a memory map, a
/// static slice, or a `Vec` that is not touched again.
#[derive(Clone, Copy)]
pub(super) struct Base(pub(super) *const u8);

// SAFETY: `Base` only points into immutable bytes that the owning `Model` keeps alive; the
// model is read-only, so sharing or sending it between threads is as safe as sharing `&[u8]`.
unsafe impl Send for Base {}
// SAFETY: as above.
unsafe impl Sync for Base {}

/// Codebook indices of one entry.
#[derive(Clone, Copy)]
pub(super) struct Hit {
    pub(super) p: usize,
    pub(super) b: usize,
}

/// A read-only n-gram language model in the binary format (memory-mapped or embedded).
///
/// Opening only validates the header and checksums; queries read the mapped bytes
/// directly. `Model` is `Send + Sync` and cheap to share behind an `Arc`.
pub struct Model {
    pub(super) backing: Arc<Backing>,
    pub(super) path: PathBuf,
    pub(super) order: usize,
    pub(super) vocab_size: u32,
    /// (offset, end) of the word strings, of the u32 offsets, of the hash slots.
    pub(super) vstr: (usize, usize),
    pub(super) voff: (usize, usize),
    pub(super) vhash: (usize, usize),
    pub(super) vslots: u64,
    pub(super) vmax_probe: u32,
    pub(super) vid_mask: u64,
    /// tables[k-1] is the table of k-grams (`order` of them in use).
    pub(super) tables: [Table; MAX_ORDER],
    /// Codebooks per order, each padded to `1 << bits` entries so that a masked index is
    /// always inside.
    pub(super) pcodes: [Box<[f32]>; MAX_ORDER],
    pub(super) bcodes: [Box<[f32]>; MAX_ORDER],
    /// Start of the model bytes, for the unchecked reads of the query path.
    pub(super) base: Base,
    pub(super) lists: Vec<Option<(usize, usize)>>,
    /// (kind, order, offset, end, checksum) of every section.
    pub(super) sections: Vec<(u32, u32, usize, usize, u64)>,
}

/// A KenLM-style query state: the context words that can still extend an n-gram (most
/// recent first) with their backoffs, so that scoring the next word needs no backoff lookups.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct State {
    pub(super) words: [WordId; MAX_ORDER],
    pub(super) backoff: [f32; MAX_ORDER],
    pub(super) len: u8,
}

impl State {
    /// The context words, most recent first.
    pub fn words(&self) -> &[WordId] {
        self.words.get(..self.len as usize).unwrap_or(&[])
    }

    /// The raw parts (words most recent first, their backoffs, the number in use), for
    /// callers that keep states in their own type.
    pub fn into_parts(self) -> ([WordId; MAX_ORDER], [f32; MAX_ORDER], u8) {
        (self.words, self.backoff, self.len)
    }

    /// A state from parts made by [`State::into_parts`]. Parts that did not come from this
    /// model give wrong scores, never a panic.
    pub fn from_parts(words: [WordId; MAX_ORDER], backoff: [f32; MAX_ORDER], len: u8) -> State {
        State {
            words,
            backoff,
            len: len.min(MAX_ORDER as u8),
        }
    }
}

impl Model {
    /// Opens a binary model by memory-mapping `path`.
    pub fn open(path: &Path) -> Result<Model, LmError> {
        let file = std::fs::File::open(path).map_err(|e| LmError::io(path, e))?;
        // SAFETY: the mapping is read-only; the model file must not be modified while open
        // (as with any memory-mapped file). All reads are bounds-checked.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| LmError::io(path, e))?;
        Model::from_backing(Backing::Mmap(map), path.to_path_buf())
    }

    /// Reads the model at `path` into private memory backed by huge pages where the OS
    /// allows: lookups are faster than through [`Model::open`]'s mapping (fewer TLB misses
    /// on the large tables), at the cost of reading the whole file at open and holding it
    /// in the process's own memory rather than in the shared page cache.
    pub fn load(path: &Path) -> Result<Model, LmError> {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(|e| LmError::io(path, e))?;
        let len = file.metadata().map_err(|e| LmError::io(path, e))?.len();
        let len = usize::try_from(len).map_err(|_| LmError::corrupt(path, "file too large"))?;
        let backing =
            Backing::resident(len, |buf| file.read_exact(buf)).map_err(|e| LmError::io(path, e))?;
        Model::from_backing(backing, path.to_path_buf())
    }

    /// Copies `bytes` (e.g. a model embedded with `include_bytes!`) into private memory
    /// backed by huge pages where the OS allows, as [`Model::load`] does with a file.
    pub fn load_bytes(bytes: &[u8]) -> Result<Model, LmError> {
        let path = PathBuf::from("<memory>");
        let backing = Backing::resident(bytes.len(), |buf| {
            buf.copy_from_slice(bytes);
            Ok(())
        })
        .map_err(|e| LmError::io(&path, e))?;
        Model::from_backing(backing, path)
    }

    /// Uses a model embedded in the binary (e.g. with `include_bytes!`).
    pub fn from_static(bytes: &'static [u8]) -> Result<Model, LmError> {
        Model::from_backing(Backing::Static(bytes), PathBuf::from("<embedded>"))
    }

    /// Uses a model held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Model, LmError> {
        Model::from_backing(Backing::Owned(bytes), PathBuf::from("<memory>"))
    }

    fn from_backing(backing: Backing, path: PathBuf) -> Result<Model, LmError> {
        let b = backing.bytes();
        let bad = |what: String| LmError::corrupt(&path, what);
        if b.len() < 32 {
            return if b.get(..b.len().min(8)) == MAGIC.get(..b.len().min(8)) {
                Err(bad(format!("only {} bytes", b.len())))
            } else {
                Err(LmError::BadMagic { path: path.clone() })
            };
        }
        if b.get(..8) != Some(&MAGIC[..]) {
            return Err(LmError::BadMagic { path: path.clone() });
        }
        let version = rd_u32(b, 8).unwrap_or(0);
        if version != FORMAT_VERSION {
            return Err(LmError::Version {
                path: path.clone(),
                found: version,
                expected: FORMAT_VERSION,
            });
        }
        let order = rd_u32(b, 12).unwrap_or(0) as usize;
        let vocab_size = rd_u32(b, 16).unwrap_or(0);
        let nsec = rd_u32(b, 20).unwrap_or(0) as usize;
        if order == 0 || order > MAX_ORDER {
            return Err(bad(format!("order {order} not in 1..={MAX_ORDER}")));
        }
        if vocab_size < 3 {
            return Err(bad(format!("vocabulary size {vocab_size}")));
        }
        if nsec > 4 * MAX_ORDER + 4 {
            return Err(bad(format!("{nsec} sections")));
        }
        let header_len = 32 + 8 * order + DIR_REC * nsec;
        let header = b
            .get(..header_len)
            .ok_or_else(|| bad(format!("header needs {header_len} bytes")))?;
        if rd_u64(b, 24) != Some(header_checksum(header)) {
            return Err(bad("header checksum mismatch".into()));
        }
        let mut counts = Vec::with_capacity(order);
        for k in 0..order {
            counts.push(rd_u64(b, 32 + 8 * k).unwrap_or(0));
        }
        // Directory.
        let mut found: HashMap<(u32, u32), (usize, usize)> = HashMap::new();
        let mut dir = Vec::with_capacity(nsec);
        for s in 0..nsec {
            let at = 32 + 8 * order + DIR_REC * s;
            let (kind, ord) = (rd_u32(b, at).unwrap_or(0), rd_u32(b, at + 4).unwrap_or(0));
            let (off, len, sum) = (
                rd_u64(b, at + 8).unwrap_or(0),
                rd_u64(b, at + 16).unwrap_or(0),
                rd_u64(b, at + 24).unwrap_or(0),
            );
            let end = off
                .checked_add(len)
                .filter(|&e| e <= b.len() as u64)
                .ok_or_else(|| {
                    bad(format!(
                        "section {s} (kind {kind}) spans bytes {off}..{} of a {}-byte file",
                        off.saturating_add(len),
                        b.len()
                    ))
                })?;
            let (off, end) = (off as usize, end as usize);
            // The big hash tables and n-gram lists are checked by `verify` (and the lists
            // also when decoded); everything else is checked here.
            let deferred = (kind == K_TABLE && ord >= 2) || kind == K_NGRAMS;
            if !deferred && checksum(b.get(off..end).unwrap_or(&[])) != sum {
                return Err(bad(format!(
                    "checksum mismatch in section {s} (kind {kind}, order {ord})"
                )));
            }
            dir.push((kind, ord, off, end, sum));
            if found.insert((kind, ord), (off, end)).is_some() {
                return Err(bad(format!("duplicate section kind {kind} order {ord}")));
            }
        }
        let get = |kind: u32, ord: u32| -> Result<(usize, usize), LmError> {
            found
                .get(&(kind, ord))
                .copied()
                .ok_or_else(|| bad(format!("missing section kind {kind} for order {ord}")))
        };
        let (moff, mend) = get(K_META, 0)?;
        if mend - moff != META_REC * order {
            return Err(bad(format!(
                "META section has {} bytes, expected {}",
                mend - moff,
                META_REC * order
            )));
        }
        let mut tables = [Table::default(); MAX_ORDER];
        let mut pcodes: [Box<[f32]>; MAX_ORDER] = Default::default();
        let mut bcodes: [Box<[f32]>; MAX_ORDER] = Default::default();
        let mut lists = Vec::with_capacity(order);
        for k in 1..=order {
            let at = moff + META_REC * (k - 1);
            let count = rd_u64(b, at).unwrap_or(0);
            let slots = rd_u64(b, at + 8).unwrap_or(0);
            let max_probe = rd_u32(b, at + 16).unwrap_or(0);
            let [fpb, pb, bb, rot] = b
                .get(at + 20..at + 24)
                .and_then(|s| <[u8; 4]>::try_from(s).ok())
                .unwrap_or([0; 4])
                .map(u32::from);
            if rot >= 64 || (k == 1 && rot != 0) {
                return Err(bad(format!("order {k}: bad hash rotation {rot}")));
            }
            let np = rd_u32(b, at + 24).unwrap_or(0) as usize;
            let nb = rd_u32(b, at + 28).unwrap_or(0) as usize;
            let width = fpb + pb + bb;
            if count != counts[k - 1] {
                return Err(bad(format!(
                    "order {k}: META count {count} differs from header {}",
                    counts[k - 1]
                )));
            }
            if pb == 0
                || pb > 16
                || bb > 16
                || width > 57
                || (k > 1 && fpb == 0)
                || (k == 1 && fpb != 0)
            {
                return Err(bad(format!("order {k}: bad bit widths {fpb}/{pb}/{bb}")));
            }
            if k == 1 && (slots != u64::from(vocab_size) || count != slots) {
                return Err(bad(format!(
                    "unigram table has {slots} slots for {vocab_size} words"
                )));
            }
            if k > 1 && (slots <= count || slots > (1u64 << 40)) {
                return Err(bad(format!("order {k}: {slots} slots for {count} entries")));
            }
            if max_probe as u64 >= slots.max(1) {
                return Err(bad(format!("order {k}: max probe {max_probe}")));
            }
            let (toff, tend) = get(K_TABLE, k as u32)?;
            let need = (slots * u64::from(width)).div_ceil(8) + 8;
            if (tend - toff) as u64 != need {
                return Err(bad(format!(
                    "order {k}: table has {} bytes, expected {need}",
                    tend - toff
                )));
            }
            let codes = |kind: u32, nc: usize, bits: u32| -> Result<Vec<f32>, LmError> {
                let (o, e) = get(kind, k as u32)?;
                if e - o != 4 * nc || nc == 0 || nc > (1usize << bits.max(1)) {
                    return Err(bad(format!(
                        "order {k}: codebook kind {kind} has {} bytes for {nc} codes",
                        e - o
                    )));
                }
                let mut c: Vec<f32> = (0..nc)
                    .map(|i| {
                        f32::from_le_bytes(
                            b.get(o + 4 * i..o + 4 * i + 4)
                                .and_then(|s| s.try_into().ok())
                                .unwrap_or([0; 4]),
                        )
                    })
                    .collect();
                if c.iter().any(|x| !x.is_finite()) {
                    return Err(bad(format!("order {k}: non-finite codebook value")));
                }
                let last = c.last().copied().unwrap_or(0.0);
                c.resize(1usize << bits.max(1), last);
                Ok(c)
            };
            pcodes[k - 1] = codes(K_PCODES, np, pb)?.into_boxed_slice();
            bcodes[k - 1] = codes(K_BCODES, nb, bb)?.into_boxed_slice();
            lists.push(found.get(&(K_NGRAMS, k as u32)).copied());
            tables[k - 1] = Table {
                off: toff,
                len: tend - toff,
                count,
                slots,
                width,
                fp_mask: low_mask(fpb),
                p_shift: fpb,
                p_mask: low_mask(pb),
                b_shift: fpb + pb,
                b_mask: low_mask(bb),
                max_probe,
                rot,
            };
        }
        let vstr = get(K_VSTR, 0)?;
        let voff = get(K_VOFF, 0)?;
        let vhash = get(K_VHASH, 0)?;
        if voff.1 - voff.0 != 4 * (vocab_size as usize + 1) {
            return Err(bad(format!(
                "word offsets: {} bytes for {vocab_size} words",
                voff.1 - voff.0
            )));
        }
        let hlen = vhash.1 - vhash.0;
        if hlen < 16 || hlen % 8 != 0 || (hlen / 8 - 1) as u64 <= u64::from(vocab_size) {
            return Err(bad(format!("word hash table has {hlen} bytes")));
        }
        let vslots = (hlen / 8 - 1) as u64;
        let vmax_probe = rd_u32(b, vhash.0).unwrap_or(0);
        if u64::from(vmax_probe) >= vslots {
            return Err(bad(format!("word hash table max probe {vmax_probe}")));
        }
        let backing = Arc::new(backing);
        let base = Base(backing.bytes().as_ptr());
        let m = Model {
            backing,
            base,
            path,
            order,
            vocab_size,
            vstr,
            voff,
            vhash: (vhash.0 + 8, vhash.1),
            vslots,
            vmax_probe,
            vid_mask: low_mask(id_bits(vocab_size)),
            tables,
            pcodes,
            bcodes,
            lists,
            sections: dir,
        };
        for (name, want) in [("<unk>", UNK), ("<s>", BOS), ("</s>", EOS)] {
            if m.id(name) != want || m.word(want) != Some(name) {
                return Err(LmError::corrupt(
                    &m.path,
                    format!("{name} does not have id {want}"),
                ));
            }
        }
        Ok(m)
    }

    /// Model order.
    pub fn order(&self) -> usize {
        self.order
    }

    /// Number of words in the vocabulary (with `<unk>`, `<s>`, `</s>`).
    pub fn vocab_size(&self) -> usize {
        self.vocab_size as usize
    }

    /// Number of n-grams stored per order (`[unigrams, bigrams, …]`).
    pub fn counts(&self) -> Vec<u64> {
        self.tables
            .iter()
            .take(self.order)
            .map(|t| t.count)
            .collect()
    }

    /// Layout of each order's table: (slots, fingerprint bits, bits per slot, longest probe).
    pub fn table_layout(&self) -> Vec<(u64, u32, u32, u32)> {
        self.tables
            .iter()
            .take(self.order)
            .map(|t| (t.slots, t.fp_mask.count_ones(), t.width, t.max_probe))
            .collect()
    }

    /// Bytes per section, as (name, order, bytes), sorted.
    pub fn section_sizes(&self) -> Vec<(&'static str, usize, usize)> {
        let mut v: Vec<_> = self
            .sections
            .iter()
            .map(|&(k, o, a, z, _)| {
                let name = match k {
                    K_META => "meta",
                    K_VSTR => "vocab-strings",
                    K_VOFF => "vocab-offsets",
                    K_VHASH => "vocab-hash",
                    K_PCODES => "prob-codebook",
                    K_BCODES => "backoff-codebook",
                    K_TABLE => "table",
                    K_NGRAMS => "ngram-list",
                    _ => "unknown",
                };
                (name, o as usize, z - a)
            })
            .collect();
        v.sort();
        v
    }

    /// Checks the checksums of the sections that opening does not check (the hash tables of
    /// orders ≥ 2 and the n-gram lists), i.e. reads the whole file. Opening already rejects
    /// truncated files and damage anywhere else; damage inside a table would only yield
    /// wrong scores, never a panic.
    pub fn verify(&self) -> Result<(), LmError> {
        let b = self.bytes();
        for &(kind, ord, a, z, sum) in &self.sections {
            if checksum(b.get(a..z).unwrap_or(&[])) != sum {
                return Err(LmError::corrupt(
                    &self.path,
                    format!("checksum mismatch in section kind {kind}, order {ord}"),
                ));
            }
        }
        Ok(())
    }

    /// Size in bytes of the model data.
    pub fn size_bytes(&self) -> usize {
        self.backing.bytes().len()
    }

    /// Id of a normalised word (see [`crate::lm_sentences`]); [`Model::unk`] when absent.
    pub fn id(&self, normalized_word: &str) -> WordId {
        let bytes = self.bytes();
        let table = bytes.get(self.vhash.0..self.vhash.1).unwrap_or(&[]);
        let h = hash_bytes(normalized_word.as_bytes());
        let tag = word_tag(h, id_bits(self.vocab_size));
        let mut s = home(h, self.vslots);
        for _ in 0..=self.vmax_probe {
            let e = rd_u64(table, 8 * s as usize).unwrap_or(0);
            if e == 0 {
                return UNK;
            }
            // The tag holds the hash bits above the id (≥ 40 bits for any realistic
            // vocabulary), so like KenLM the string itself is not compared.
            if e & !self.vid_mask == tag {
                let id = (e & self.vid_mask).wrapping_sub(1);
                return if id < u64::from(self.vocab_size) {
                    id as WordId
                } else {
                    UNK
                };
            }
            s += 1;
            if s == self.vslots {
                s = 0;
            }
        }
        UNK
    }

    fn word_bytes<'a>(&self, bytes: &'a [u8], id: WordId) -> Option<&'a [u8]> {
        if id >= self.vocab_size {
            return None;
        }
        let offs = bytes.get(self.voff.0..self.voff.1)?;
        let a = rd_u32(offs, 4 * id as usize)? as usize;
        let z = rd_u32(offs, 4 * id as usize + 4)? as usize;
        bytes.get(self.vstr.0..self.vstr.1)?.get(a..z)
    }

    /// The word of `id` (`None` for ids outside the vocabulary).
    pub fn word(&self, id: WordId) -> Option<&str> {
        std::str::from_utf8(self.word_bytes(self.bytes(), id)?).ok()
    }

    /// Id of `<unk>`.
    pub fn unk(&self) -> WordId {
        UNK
    }
    /// Id of `<s>`.
    pub fn bos(&self) -> WordId {
        BOS
    }
    /// Id of `</s>`.
    pub fn eos(&self) -> WordId {
        EOS
    }
}
