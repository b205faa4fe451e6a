//! Queries: word ids, n-gram lookups and scoring against the memory-mapped tables.

use super::*;

impl Model {
    #[inline(always)]
    pub(super) fn bytes(&self) -> &[u8] {
        self.backing.bytes()
    }

    #[inline(always)]
    fn clamp_id(&self, w: WordId) -> WordId {
        if w < self.vocab_size { w } else { UNK }
    }

    /// The 8 bytes at `at` (little-endian).
    ///
    /// # Safety
    /// `at + 8` must not exceed the model's length.
    #[inline(always)]
    unsafe fn read_u64(&self, at: usize) -> u64 {
        // SAFETY: the caller keeps `at + 8` within the bytes `base` points to (see `Base`).
        u64::from_le(unsafe { self.base.0.add(at).cast::<u64>().read_unaligned() })
    }

    /// The raw entry of slot `slot` of `t` (its low `t.width` bits; the bits above are
    /// neighbouring slots', which every field mask drops). `slot < t.slots` is all it needs:
    /// open checked that the table holds `ceil(slots * width / 8) + 8` bytes.
    #[inline(always)]
    pub(super) fn entry(&self, t: &Table, slot: u64) -> u64 {
        debug_assert!(slot < t.slots && (slot * u64::from(t.width)) / 8 + 8 <= t.len as u64);
        let bit = slot.min(t.slots.saturating_sub(1)) * u64::from(t.width);
        // SAFETY: bit / 8 + 8 <= ceil(slots * width / 8) + 8 = t.len, and the table lies
        // inside the model (both checked at open).
        unsafe { self.read_u64(t.off + (bit >> 3) as usize) >> (bit & 7) }
    }

    #[inline(always)]
    pub(super) fn unigram(&self, w: WordId) -> Hit {
        // `w` is clamped below vocab_size, which is the unigram table's slot count.
        let t = &self.tables[0];
        let e = self.entry(t, u64::from(w));
        Hit {
            p: (e & t.p_mask) as usize,
            b: ((e >> t.b_shift) & t.b_mask) as usize,
        }
    }

    /// Looks up the n-gram of order `k ≥ 2` with key `h`.
    #[inline(always)]
    pub(super) fn find(&self, k: usize, h: u64) -> Option<Hit> {
        let t = self.tables.get(k - 1)?;
        let h = h.rotate_left(t.rot);
        let fp = fingerprint(h, t.fp_mask);
        let mut s = home(h, t.slots);
        for _ in 0..=t.max_probe {
            let e = self.entry(t, s);
            let f = e & t.fp_mask;
            if f == fp {
                return Some(Hit {
                    p: ((e >> t.p_shift) & t.p_mask) as usize,
                    b: ((e >> t.b_shift) & t.b_mask) as usize,
                });
            }
            if f < fp {
                return None;
            }
            s += 1;
            if s == t.slots {
                s = 0;
            }
        }
        None
    }

    /// Asks the CPU to start loading the home slot of key `h` in the order-`k` table.
    #[inline(always)]
    fn prefetch_slot(&self, k: usize, h: u64) {
        if let Some(t) = self.tables.get(k - 1) {
            let byte =
                t.off + ((home(h.rotate_left(t.rot), t.slots) * u64::from(t.width)) >> 3) as usize;
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the home slot is inside the table (see `entry`); a prefetch never faults.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                    self.base.0.add(byte).cast::<i8>(),
                )
            };
            #[cfg(not(target_arch = "x86_64"))]
            let _ = byte;
        }
    }

    #[inline(always)]
    pub(super) fn p(&self, k: usize, hit: Hit) -> f32 {
        // Indices are masked to the codebook's bits and codebooks are padded to 1 << bits.
        self.pcodes
            .get(k - 1)
            .and_then(|c| c.get(hit.p))
            .copied()
            .unwrap_or(0.0)
    }

    #[inline(always)]
    pub(super) fn b(&self, k: usize, hit: Hit) -> f32 {
        self.bcodes
            .get(k - 1)
            .and_then(|c| c.get(hit.b))
            .copied()
            .unwrap_or(0.0)
    }

    /// log10 P(word | context). `context` holds the preceding ids, most recent last; any
    /// length is accepted and only the last `order - 1` are used. Backoff semantics are the
    /// standard (ARPA/KenLM) ones: the longest stored n-gram ending in `word` gives the
    /// probability, plus the backoffs of every longer stored context.
    #[inline]
    pub fn log10_prob(&self, context: &[WordId], word: WordId) -> f32 {
        let keep = context.len().min(self.order - 1);
        let ctx = context.get(context.len() - keep..).unwrap_or(&[]);
        let word = self.clamp_id(word);
        let mut p = self.p(1, self.unigram(word));
        // Keys of the candidate n-grams (w with 1, 2, … context words) and of the contexts,
        // with the n-gram slots prefetched so the table reads overlap.
        let mut nkeys = [0u64; MAX_ORDER];
        let mut ckeys = [0u64; MAX_ORDER];
        let mut h = start(word);
        let mut hc = 0u64;
        for (i, ((&c, nk), ck)) in ctx
            .iter()
            .rev()
            .zip(nkeys.iter_mut())
            .zip(ckeys.iter_mut())
            .enumerate()
        {
            let c = self.clamp_id(c);
            hc = if i == 0 { start(c) } else { extend(hc, c) };
            h = extend(h, c);
            *nk = h;
            *ck = hc;
            self.prefetch_slot(i + 2, h);
        }
        let mut extending = true;
        let mut backoff = 0f32;
        for (i, ((&c, &nk), &ck)) in ctx
            .iter()
            .rev()
            .zip(nkeys.iter())
            .zip(ckeys.iter())
            .enumerate()
        {
            if extending {
                if let Some(hit) = self.find(i + 2, nk) {
                    p = self.p(i + 2, hit);
                    continue;
                }
                extending = false;
            }
            // The (i+2)-gram is missing: add the backoff of the (i+1)-word context.
            if i == 0 {
                backoff += self.b(1, self.unigram(self.clamp_id(c)));
            } else {
                match self.find(i + 1, ck) {
                    Some(hit) => backoff += self.b(i + 1, hit),
                    None => break,
                }
            }
        }
        p + backoff
    }

    /// The state at the start of a sentence (context `<s>`).
    pub fn begin_sentence(&self) -> State {
        let mut s = State::default();
        if self.order > 1 {
            s.words[0] = BOS;
            s.backoff[0] = self.b(1, self.unigram(BOS));
            s.len = 1;
        }
        s
    }

    /// An empty state (no context).
    pub fn null_state(&self) -> State {
        State::default()
    }

    /// Starts loading (CPU prefetch) the table slots that [`Model::score`] of `word` after
    /// `state` will read first, without waiting for them: issue it for several queries, then
    /// score them, and their memory reads overlap. Only a hint; results never change.
    #[inline]
    pub fn prefetch(&self, state: &State, word: WordId) {
        self.prefetch_parts(&state.words, state.len, word);
    }

    /// [`Model::prefetch`] on a state's raw parts (see [`State::into_parts`]).
    #[inline]
    pub fn prefetch_parts(&self, words: &[WordId; MAX_ORDER], len: u8, word: WordId) {
        let word = self.clamp_id(word);
        let len = (len as usize).min(self.order - 1).min(MAX_ORDER - 1);
        let mut h = start(word);
        for (i, &c) in words.iter().enumerate().take(len) {
            h = extend(h, c);
            self.prefetch_slot(i + 2, h);
        }
    }

    /// Scores `word` after `state` (log10 probability, as [`Model::log10_prob`]) and writes
    /// the following state to `out`.
    #[inline]
    pub fn score(&self, state: &State, word: WordId, out: &mut State) -> f32 {
        let (p, len) = self.score_parts(
            &state.words,
            &state.backoff,
            state.len,
            word,
            &mut out.words,
            &mut out.backoff,
        );
        out.len = len;
        p
    }

    /// [`Model::score`] on raw state parts (see [`State::into_parts`]), for callers that keep
    /// states in their own type: reads the state's words, backoffs and length, writes the next
    /// state's words and backoffs, returns the log10 probability and the next state's length.
    /// Entries of `out_words`/`out_backoff` past that length are left as they were.
    #[inline]
    pub fn score_parts(
        &self,
        words: &[WordId; MAX_ORDER],
        backoff: &[f32; MAX_ORDER],
        len: u8,
        word: WordId,
        out_words: &mut [WordId; MAX_ORDER],
        out_backoff: &mut [f32; MAX_ORDER],
    ) -> (f32, u8) {
        let word = self.clamp_id(word);
        let uni = self.unigram(word);
        let mut p = self.p(1, uni);
        let n = self.order;
        // At most MAX_ORDER - 1 context words: every index below is in bounds.
        let len = (len as usize).min(n - 1).min(MAX_ORDER - 1);
        let mut out_len = 0u8;
        if n > 1 {
            out_words[0] = word;
            out_backoff[0] = self.b(1, uni);
            out_len = 1;
        }
        // Hash every candidate n-gram first and prefetch their slots, so that the table
        // reads of all orders overlap instead of waiting for each other.
        let mut keys = [0u64; MAX_ORDER];
        let mut h = start(word);
        for i in 0..len {
            h = extend(h, words[i]);
            keys[i] = h;
            self.prefetch_slot(i + 2, h);
        }
        let mut matched = 0usize;
        for i in 0..len {
            let k = i + 2;
            let Some(hit) = self.find(k, keys[i]) else {
                break;
            };
            p = self.p(k, hit);
            matched = i + 1;
            if k < n {
                out_words[k - 1] = words[i];
                out_backoff[k - 1] = self.b(k, hit);
                out_len = k as u8;
            }
        }
        for &b in &backoff[matched..len] {
            p += b;
        }
        (p, out_len)
    }

    /// log10 probability of a sentence of ids (without `<s>`/`</s>`, which are added).
    pub fn sentence_log10(&self, ids: &[WordId]) -> f32 {
        let mut st = self.begin_sentence();
        let mut next = State::default();
        let mut total = 0f32;
        let n = ids.len();
        let word_at = |j: usize| -> WordId {
            match j.cmp(&n) {
                std::cmp::Ordering::Less => self.clamp_id(ids[j]),
                std::cmp::Ordering::Equal => EOS,
                std::cmp::Ordering::Greater => BOS,
            }
        };
        for j in 0..=n {
            // The words before a position are known before its lookups are, so the slots
            // of the next word's n-grams (with its full context) are requested now and load
            // while this word is scored.
            if j < n {
                let mut h = start(word_at(j + 1));
                for (i, back) in (0..(self.order - 1).min(j + 2)).enumerate() {
                    // Context word `back` positions before j + 1 (j + 1 - 1 - back), `<s>`
                    // in front of the sentence.
                    let c = if back <= j { word_at(j - back) } else { BOS };
                    h = extend(h, c);
                    self.prefetch_slot(i + 2, h);
                }
            }
            total += self.score(&st, word_at(j), &mut next);
            st = next;
        }
        total
    }

    /// log10 probability of a sentence of normalised words (see [`crate::lm_sentences`];
    /// `<s>`/`</s>` are added): [`Model::id`] of every word, then [`Model::sentence_log10`].
    /// Mapping the words first lets their vocabulary reads overlap.
    pub fn sentence_log10_words<S: AsRef<str>>(&self, words: &[S]) -> f32 {
        let mut ids = [0 as WordId; 64];
        if words.len() <= ids.len() {
            for (id, w) in ids.iter_mut().zip(words) {
                *id = self.id(w.as_ref());
            }
            self.sentence_log10(ids.get(..words.len()).unwrap_or(&[]))
        } else {
            let ids: Vec<WordId> = words.iter().map(|w| self.id(w.as_ref())).collect();
            self.sentence_log10(&ids)
        }
    }
}

#[cfg(test)]
mod unchecked_reads {
    use super::*;

    /// Every slot read by the query path's unchecked `entry` equals the bounds-checked
    /// reference read, in every table, for default and lossless layouts.
    #[test]
    fn entry_equals_checked_read_in_every_slot() {
        let data = crate::estimate_from_texts(
            ["the cat sat on the mat . the dog sat on the log . a cat and a dog ."],
            &crate::BuildOptions {
                order: 4,
                min_word_count: 1,
                prune_threshold: 0.0,
                ..Default::default()
            },
        )
        .unwrap()
        .0;
        for opts in [
            BinaryOptions::default(),
            BinaryOptions {
                prob_bits: 16,
                backoff_bits: 16,
                unigram_bits: 16,
                fingerprint_bits: 33,
                ..Default::default()
            },
        ] {
            let bytes = binary_bytes(&data, &opts, Path::new("x")).unwrap();
            let m = Model::load_bytes(&bytes).unwrap();
            for t in m.tables.iter().take(m.order) {
                let table = &bytes[t.off..t.off + t.len];
                for s in 0..t.slots {
                    let mask = low_mask(t.width);
                    let want = get_bits(table, s * u64::from(t.width), t.width);
                    assert_eq!(m.entry(t, s) & mask, want, "slot {s} of {t:?}");
                }
            }
        }
    }
}
