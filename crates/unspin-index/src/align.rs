//! Passage detection and word alignment between a suspect text and a source.
//!
//! 1. *Seeds*: pairs of content words (suspect i, source j) with the same exact form, or in
//!    the same (non-common) synonym class. Words frequent in the source are skipped.
//! 2. *Chains*: seeds are chained in suspect order when both gaps are small and the diagonal
//!    drifts little (multi-word substitutions shift it by a few words); chains with enough
//!    seeds are passages. Nearby passages on the same diagonal are merged, and a passage that
//!    mostly overlaps a stronger one in the suspect is dropped.
//! 3. *Word alignment* (for [`compare`]): exact seeds of a passage are anchors; the words
//!    between consecutive anchors are aligned by a word-level edit distance, and every run of
//!    non-matching words between two matches is one substitution (source phrase → spun phrase).

use crate::features::{COMMON, WordFeat};
use crate::hash::FxMap;
use serde::Serialize;
use std::collections::BTreeMap;

/// Parameters of passage detection.
#[derive(Debug, Clone, Copy)]
pub struct AlignParams {
    /// Largest gap, in words, between consecutive seeds of a chain (on both sides).
    pub max_gap: u32,
    /// Largest change of diagonal between consecutive seeds.
    pub max_drift: u32,
    /// Fewest seeds for a passage.
    pub min_seeds: usize,
    /// Words occurring more often than this in the source are not seeded.
    pub max_occ: usize,
    /// Longest phrase (words) on either side of a substitution.
    pub max_phrase: usize,
    /// Least share of the suspect's content words in a chain that are seeds.
    pub min_density: f64,
}

impl Default for AlignParams {
    fn default() -> Self {
        AlignParams {
            max_gap: 14,
            max_drift: 6,
            min_seeds: 6,
            max_occ: 24,
            max_phrase: 6,
            min_density: 0.4,
        }
    }
}

/// A passage of the suspect found in the source (word indices are into the word feature
/// lists, ranges are half-open).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassageMatch {
    /// Word range in the suspect.
    pub suspect: (u32, u32),
    /// Word range in the source.
    pub source: (u32, u32),
    /// Seeds in the passage (exact or class matches).
    pub seeds: usize,
    /// Exact-form seeds, in order: the alignment anchors.
    pub anchors: Vec<(u32, u32)>,
}

impl PassageMatch {
    /// Content words of the suspect inside the passage.
    pub fn suspect_content(&self, sus: &[WordFeat]) -> usize {
        sus[self.suspect.0 as usize..self.suspect.1 as usize]
            .iter()
            .filter(|w| w.is_content())
            .count()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Chain {
    start: (u32, u32),
    last: (u32, u32),
    seeds: usize,
    anchors: Vec<(u32, u32)>,
}

/// Source positions by word hash: the positions of each hash, ascending, in one array.
struct Occurrences {
    pos: Vec<u32>,
    index: FxMap<u64, (u32, u32)>,
}

impl Occurrences {
    /// From `(hash, position)` pairs in ascending position order.
    fn new(pairs: Vec<(u64, u32)>) -> Self {
        // count per hash, then give each hash its range and fill it in position order
        let mut index: FxMap<u64, (u32, u32)> =
            FxMap::with_capacity_and_hasher(pairs.len(), Default::default());
        for &(h, _) in &pairs {
            index.entry(h).or_insert((0, 0)).1 += 1;
        }
        let mut acc = 0u32;
        for r in index.values_mut() {
            let n = r.1;
            *r = (acc, acc);
            acc += n;
        }
        let mut pos = vec![0u32; pairs.len()];
        for &(h, j) in &pairs {
            if let Some(r) = index.get_mut(&h) {
                pos[r.1 as usize] = j;
                r.1 += 1;
            }
        }
        Occurrences { pos, index }
    }
    fn get(&self, h: u64) -> Option<&[u32]> {
        self.index
            .get(&h)
            .map(|&(a, b)| &self.pos[a as usize..b as usize])
    }
}

/// A chain of seeds under construction in [`passages`].
struct Live {
    start: (u32, u32),
    last: (u32, u32),
    seeds: usize,
    anchor: u32,
}

/// Takes the chain at position `k` of the active list out (the last one moves into its place)
/// and off both position indexes; returns its id.
fn retire(
    k: usize,
    active: &mut Vec<u32>,
    slot: &mut [u32],
    by_src: &mut Buckets,
    by_sus: &mut Buckets,
    chains: &[Live],
) -> u32 {
    let id = active.swap_remove(k);
    if let Some(&moved) = active.get(k) {
        slot[moved as usize] = k as u32;
    }
    let c = &chains[id as usize];
    by_src.unlink(c.last.1, id);
    by_sus.unlink(c.last.0, id);
    id
}

/// Doubly linked lists of chain ids, one list per word position, and a bitmap of the
/// positions whose list is not empty.
struct Buckets {
    head: Vec<u32>,
    next: Vec<u32>,
    prev: Vec<u32>,
    occupied: Vec<u64>,
}

const NIL: u32 = u32::MAX;

impl Buckets {
    fn new(positions: usize, ids: usize) -> Self {
        Buckets {
            head: vec![NIL; positions],
            next: Vec::with_capacity(ids),
            prev: Vec::with_capacity(ids),
            occupied: vec![0; positions.div_ceil(64) + 1],
        }
    }
    /// Calls `f` with every non-empty position in `lo..hi`, ascending.
    #[inline]
    fn occupied_in(&self, lo: u32, hi: u32, mut f: impl FnMut(u32)) {
        let mut w = lo / 64;
        while w * 64 < hi {
            let mut bits = self.occupied[w as usize];
            if w == lo / 64 {
                bits &= u64::MAX << (lo % 64);
            }
            if (w + 1) * 64 > hi {
                bits &= (1u64 << (hi % 64)) - 1;
            }
            while bits != 0 {
                f(w * 64 + bits.trailing_zeros());
                bits &= bits - 1;
            }
            w += 1;
        }
    }
    /// Makes room for one more chain id (ids are numbered from 0 without gaps).
    #[inline]
    fn grow(&mut self) {
        self.next.push(NIL);
        self.prev.push(NIL);
    }
    /// Files chain `id` under `pos`.
    #[inline]
    fn link(&mut self, pos: u32, id: u32) {
        let i = id as usize;
        let h = self.head[pos as usize];
        self.next[i] = h;
        self.prev[i] = NIL;
        if h != NIL {
            self.prev[h as usize] = id;
        }
        self.head[pos as usize] = id;
        self.occupied[pos as usize / 64] |= 1 << (pos % 64);
    }
    #[inline]
    fn unlink(&mut self, pos: u32, id: u32) {
        let (n, p) = (self.next[id as usize], self.prev[id as usize]);
        if p == NIL {
            self.head[pos as usize] = n;
            if n == NIL {
                self.occupied[pos as usize / 64] &= !(1 << (pos % 64));
            }
        } else {
            self.next[p as usize] = n;
        }
        if n != NIL {
            self.prev[n as usize] = p;
        }
    }
}

/// Chains seeds (in suspect order) into passages: each seed extends the active chain with
/// the most seeds (the earliest in `active` order on a tie) that ends within `max_gap` words
/// before it on both sides with a drift of at most `max_drift`, or starts a new chain.
/// Chains that can no longer be extended are retired (removed from `active` by
/// `swap_remove`, scanning it from the front); the `good` ones are returned in retirement
/// order, followed by the good ones still active.
///
/// Active chains are also filed by the source and by the suspect position of their last
/// seed, so a seed only looks at the chains that end in the `max_gap` source words before
/// it, and retirement only visits the chains that retire (the result is the same as
/// scanning every active chain each time).
fn chain_seeds(
    seeds: &[(u32, u32, bool)],
    src_len: usize,
    p: &AlignParams,
    good: &dyn Fn(&Chain) -> bool,
) -> Vec<Chain> {
    let sus_len = seeds.last().map_or(0, |s| s.0 as usize + 1);
    // chains under construction (`Live`); their anchors are kept in one arena as backward
    // lists (index of the last anchor, each anchor with the index of the one before it)
    let mut arena: Vec<((u32, u32), u32)> = Vec::new();
    let finish = |c: &Live, arena: &[((u32, u32), u32)]| {
        let mut anchors = Vec::new();
        let mut a = c.anchor;
        while a != NIL {
            anchors.push(arena[a as usize].0);
            a = arena[a as usize].1;
        }
        anchors.reverse();
        Chain {
            start: c.start,
            last: c.last,
            seeds: c.seeds,
            anchors,
        }
    };
    let is_good = |c: &Live| {
        good(&Chain {
            start: c.start,
            last: c.last,
            seeds: c.seeds,
            anchors: Vec::new(),
        })
    };
    // every seed adds at most one chain and one anchor: room for all of them up front
    arena.reserve(seeds.len());
    let mut chains: Vec<Live> = Vec::with_capacity(seeds.len());
    // chain ids in the order of a plain active list
    let mut active: Vec<u32> = Vec::with_capacity(seeds.len().min(512));
    // chain id -> position in `active`
    let mut slot: Vec<u32> = Vec::with_capacity(seeds.len());
    let mut by_src = Buckets::new(src_len, seeds.len());
    let mut by_sus = Buckets::new(sus_len, seeds.len());
    let mut done: Vec<Chain> = Vec::new();
    let mut retiring: Vec<u32> = Vec::new();
    // suspect positions below this hold no active chain
    let mut retired_below = 0u32;
    let mut current_i = u32::MAX;
    for &(i, j, exact) in seeds {
        // retire chains that can no longer be extended (once per suspect word)
        if i != current_i {
            current_i = i;
            let limit = i.saturating_sub(p.max_gap); // last.0 < limit: retire
            if limit > retired_below {
                retiring.clear();
                for li in retired_below..limit {
                    let mut id = by_sus.head[li as usize];
                    while id != NIL {
                        retiring.push(slot[id as usize]);
                        id = by_sus.next[id as usize];
                    }
                }
                retired_below = limit;
                retiring.sort_unstable();
                // what a front-to-back scan with swap_remove does: visit the retiring
                // positions in order; a chain moved into a visited position is checked there
                for &k in &retiring {
                    let k = k as usize;
                    while k < active.len() && chains[active[k] as usize].last.0 < limit {
                        let id =
                            retire(k, &mut active, &mut slot, &mut by_src, &mut by_sus, &chains);
                        let c = &chains[id as usize];
                        if is_good(c) {
                            done.push(finish(c, &arena));
                        }
                    }
                }
            }
        }
        let mut best: Option<(usize, u32)> = None; // (seeds, slot)
        let mut best_id = 0u32;
        by_src.occupied_in(j.saturating_sub(p.max_gap), j, |lj| {
            let mut id = by_src.head[lj as usize];
            while id != NIL {
                let c = &chains[id as usize];
                let li = c.last.0;
                if li < i && (i - li).abs_diff(j - lj) <= p.max_drift {
                    let s = slot[id as usize];
                    if best.is_none_or(|(bs, bslot)| c.seeds > bs || (c.seeds == bs && s < bslot)) {
                        best = Some((c.seeds, s));
                        best_id = id;
                    }
                }
                id = by_src.next[id as usize];
            }
        });
        match best {
            Some(_) => {
                let c = &mut chains[best_id as usize];
                let old = c.last;
                c.last = (i, j);
                c.seeds += 1;
                if exact {
                    arena.push(((i, j), c.anchor));
                    c.anchor = arena.len() as u32 - 1;
                }
                by_src.unlink(old.1, best_id);
                by_src.link(j, best_id);
                by_sus.unlink(old.0, best_id);
                by_sus.link(i, best_id);
            }
            None => {
                if active.len() >= 512 {
                    // keep the work bounded on pathological input: drop the weakest chain
                    if let Some((k, _)) = active
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, id)| chains[**id as usize].seeds)
                    {
                        let id =
                            retire(k, &mut active, &mut slot, &mut by_src, &mut by_sus, &chains);
                        let c = &chains[id as usize];
                        if is_good(c) {
                            done.push(finish(c, &arena));
                        }
                    }
                }
                let id = chains.len() as u32;
                let anchor = if exact {
                    arena.push(((i, j), NIL));
                    arena.len() as u32 - 1
                } else {
                    NIL
                };
                chains.push(Live {
                    start: (i, j),
                    last: (i, j),
                    seeds: 1,
                    anchor,
                });
                by_src.grow();
                by_sus.grow();
                slot.push(active.len() as u32);
                active.push(id);
                by_src.link(j, id);
                by_sus.link(i, id);
            }
        }
    }
    for id in active {
        let c = &chains[id as usize];
        if is_good(c) {
            done.push(finish(c, &arena));
        }
    }
    done
}

/// Finds the passages of `sus` that come from `src`.
pub fn passages(sus: &[WordFeat], src: &[WordFeat], p: &AlignParams) -> Vec<PassageMatch> {
    let mut exact_pairs: Vec<(u64, u32)> = Vec::with_capacity(src.len());
    let mut key_pairs: Vec<(u64, u32)> = Vec::with_capacity(src.len());
    for (j, w) in src.iter().enumerate() {
        if !w.is_content() {
            continue;
        }
        exact_pairs.push((w.exact, j as u32));
        if !w.is_immutable() && w.flags & COMMON == 0 {
            key_pairs.push((w.key, j as u32));
        }
    }
    let by_exact = Occurrences::new(exact_pairs);
    let by_key = Occurrences::new(key_pairs);
    // seeds in suspect order; (i, j, exact)
    let mut seeds: Vec<(u32, u32, bool)> = Vec::with_capacity(4 * sus.len());
    let mut row: Vec<(u32, bool)> = Vec::new();
    for (i, w) in sus.iter().enumerate() {
        if !w.is_content() {
            continue;
        }
        row.clear();
        if let Some(js) = by_exact.get(w.exact).filter(|v| v.len() <= p.max_occ) {
            row.extend(js.iter().map(|&j| (j, true)));
        }
        let classed = !w.is_immutable() && w.flags & COMMON == 0;
        if let Some(js) = by_key
            .get(w.key)
            .filter(|v| classed && v.len() <= p.max_occ)
        {
            for &j in js {
                if src[j as usize].exact != w.exact {
                    row.push((j, false));
                }
            }
        }
        row.sort_unstable();
        seeds.extend(row.iter().map(|&(j, e)| (i as u32, j, e)));
    }
    // content words before each suspect position, for chain densities
    let mut content_before = Vec::with_capacity(sus.len() + 1);
    content_before.push(0u32);
    for w in sus {
        let last = content_before.last().copied().unwrap_or(0);
        content_before.push(last + u32::from(w.is_content()));
    }
    let good = |c: &Chain| {
        let content = content_before[c.last.0 as usize + 1] - content_before[c.start.0 as usize];
        c.seeds >= p.min_seeds && c.seeds as f64 >= p.min_density * f64::from(content)
    };
    let mut done = chain_seeds(&seeds, src.len(), p, &good);
    // strongest first; drop chains mostly overlapping a stronger one in the suspect
    done.sort_by(|a, b| b.seeds.cmp(&a.seeds).then(a.start.cmp(&b.start)));
    let mut kept: Vec<Chain> = Vec::new();
    for c in done {
        let len = c.last.0 + 1 - c.start.0;
        let overlap: u32 = kept
            .iter()
            .map(|k| {
                (c.last.0 + 1)
                    .min(k.last.0 + 1)
                    .saturating_sub(c.start.0.max(k.start.0))
            })
            .sum();
        if overlap * 2 <= len {
            kept.push(c);
        }
    }
    kept.sort_by_key(|c| c.start);
    // merge consecutive chains on about the same diagonal
    let mut merged: Vec<Chain> = Vec::new();
    for c in kept {
        if let Some(m) = merged.last_mut() {
            let gi = c.start.0.saturating_sub(m.last.0);
            let diag_m = i64::from(m.last.1) - i64::from(m.last.0);
            let diag_c = i64::from(c.start.1) - i64::from(c.start.0);
            if c.start.0 > m.last.0
                && c.start.1 > m.last.1
                && gi <= 4 * p.max_gap
                && (diag_m - diag_c).abs() <= 4 * i64::from(p.max_gap)
            {
                m.last = c.last;
                m.seeds += c.seeds;
                m.anchors.extend(c.anchors);
                continue;
            }
        }
        merged.push(c);
    }
    merged
        .into_iter()
        .map(|c| PassageMatch {
            suspect: (c.start.0, c.last.0 + 1),
            source: (c.start.1, c.last.1 + 1),
            seeds: c.seeds,
            anchors: c.anchors,
        })
        .collect()
}

/// One substitution found by alignment: word ranges (half-open) in source and suspect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubPair {
    /// Word range in the source.
    pub source: (u32, u32),
    /// Word range in the suspect.
    pub suspect: (u32, u32),
}

/// Aligns the words of a passage and returns its substitutions.
///
/// The alignment runs between the exact anchors of the passage and also a few words before
/// the first and after the last anchor (a substitution right at the edge of a passage is kept
/// when it is enclosed by a match or by the start/end of both texts).
pub fn substitutions(
    sus: &[WordFeat],
    src: &[WordFeat],
    m: &PassageMatch,
    p: &AlignParams,
) -> Vec<SubPair> {
    let mut out = Vec::new();
    let edge = p.max_phrase as u32 + 2;
    let mut anchors = m.anchors.clone();
    anchors.dedup_by_key(|a| a.0);
    let Some(&first) = anchors.first() else {
        return out;
    };
    let Some(&last) = anchors.last() else {
        return out;
    };
    // before the first anchor
    let si = first.0.saturating_sub(edge);
    let sj = first.1.saturating_sub(edge);
    let open_start = !(si == 0 && sj == 0);
    align_gap(
        sus,
        src,
        (si, first.0),
        (sj, first.1),
        (open_start, false),
        (false, true),
        p,
        &mut out,
    );
    for w in anchors.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b.0 <= a.0 || b.1 <= a.1 {
            continue;
        }
        align_gap(
            sus,
            src,
            (a.0 + 1, b.0),
            (a.1 + 1, b.1),
            (false, false),
            (true, true),
            p,
            &mut out,
        );
    }
    let ei = (last.0 + 1 + edge).min(sus.len() as u32);
    let ej = (last.1 + 1 + edge).min(src.len() as u32);
    let open_end = !(ei == sus.len() as u32 && ej == src.len() as u32);
    align_gap(
        sus,
        src,
        (last.0 + 1, ei),
        (last.1 + 1, ej),
        (false, open_end),
        (true, false),
        p,
        &mut out,
    );
    out
}

/// Word-level edit-distance alignment of `sus[si]` against `src[sj]`; runs of non-matching
/// words between matches become [`SubPair`]s. With `open.0`/`open.1` the run before the
/// first / after the last match is not reported (the texts may simply diverge there);
/// `anchored.0`/`anchored.1` say whether the words just before / just after the region are
/// matched anchors.
///
/// A run with words on one side only (the spinner put in a phrase that contains the
/// original word: `from` → `away from`, `all` → `all put together`) is joined with the
/// matched word after it, or before it when there is none after it.
#[allow(clippy::too_many_arguments)]
fn align_gap(
    sus: &[WordFeat],
    src: &[WordFeat],
    si: (u32, u32),
    sj: (u32, u32),
    open: (bool, bool),
    anchored: (bool, bool),
    p: &AlignParams,
    out: &mut Vec<SubPair>,
) {
    let (open_start, open_end) = open;
    let a = &sus[si.0 as usize..si.1 as usize];
    let b = &src[sj.0 as usize..sj.1 as usize];
    let (n, m) = (a.len(), b.len());
    if n == 0 && m == 0 {
        return;
    }
    if n > 200 || m > 200 {
        return; // not a substitution region
    }
    // cost: match 0, substitute 1, insert/delete 1; ties prefer substitution (pairs runs)
    let w = m + 1;
    let mut d = vec![0u16; (n + 1) * w];
    for i in 0..=n {
        d[i * w] = i as u16;
    }
    for (j, x) in d.iter_mut().take(m + 1).enumerate() {
        *x = j as u16;
    }
    for i in 1..=n {
        for j in 1..=m {
            let eq = a[i - 1].exact == b[j - 1].exact;
            let diag = d[(i - 1) * w + j - 1] + u16::from(!eq);
            let up = d[(i - 1) * w + j] + 1;
            let left = d[i * w + j - 1] + 1;
            d[i * w + j] = diag.min(up).min(left);
        }
    }
    // backtrace into matched pairs
    let mut matches: Vec<(usize, usize)> = Vec::new();
    let (mut i, mut j) = (n, m);
    while i > 0 && j > 0 {
        let eq = a[i - 1].exact == b[j - 1].exact;
        let cur = d[i * w + j];
        if eq && cur == d[(i - 1) * w + j - 1] {
            matches.push((i - 1, j - 1));
            i -= 1;
            j -= 1;
        } else if cur == d[(i - 1) * w + j - 1] + 1 {
            i -= 1;
            j -= 1;
        } else if cur == d[(i - 1) * w + j] + 1 {
            i -= 1;
        } else {
            j -= 1;
        }
    }
    matches.reverse();
    // runs between matches (with virtual matches at the ends)
    let mut prev: (isize, isize) = (-1, -1);
    let k = matches.len();
    for (idx, &(mi, mj)) in matches.iter().chain(std::iter::once(&(n, m))).enumerate() {
        let (ri, rj) = ((prev.0 + 1) as usize, (prev.1 + 1) as usize);
        let is_first = idx == 0;
        let is_last = idx == k;
        prev = (mi as isize, mj as isize);
        if (is_first && open_start) || (is_last && open_end) {
            continue;
        }
        if ri >= mi && rj >= mj {
            continue;
        }
        if ri >= mi || rj >= mj {
            // one-sided run: join it with a neighbouring matched word
            let right_ok = !is_last || anchored.1;
            let left_ok = !is_first || anchored.0;
            let (gs, gd) = (si.0 as isize, sj.0 as isize);
            let pair = if right_ok {
                Some((
                    (gs + ri as isize, gs + mi as isize + 1),
                    (gd + rj as isize, gd + mj as isize + 1),
                ))
            } else if left_ok {
                Some((
                    (gs + ri as isize - 1, gs + mi as isize),
                    (gd + rj as isize - 1, gd + mj as isize),
                ))
            } else {
                None
            };
            if let Some(((a0, a1), (b0, b1))) = pair {
                let ok =
                    a0 >= 0 && b0 >= 0 && (a1 as usize) <= sus.len() && (b1 as usize) <= src.len();
                if ok && (a1 - a0) as usize <= p.max_phrase && (b1 - b0) as usize <= p.max_phrase {
                    out.push(SubPair {
                        suspect: (a0 as u32, a1 as u32),
                        source: (b0 as u32, b1 as u32),
                    });
                }
            }
            continue;
        }
        if mi - ri > p.max_phrase || mj - rj > p.max_phrase {
            continue;
        }
        // equal-length runs of content words are word-for-word swaps ("careful review" →
        // "cautious examination"); runs with function words stay whole ("at once" → "right away")
        let all_content = a[ri..mi].iter().chain(&b[rj..mj]).all(WordFeat::is_content);
        if mi - ri == mj - rj && mi - ri > 1 && all_content {
            for t in 0..mi - ri {
                out.push(SubPair {
                    suspect: (si.0 + (ri + t) as u32, si.0 + (ri + t + 1) as u32),
                    source: (sj.0 + (rj + t) as u32, sj.0 + (rj + t + 1) as u32),
                });
            }
            continue;
        }
        out.push(SubPair {
            suspect: (si.0 + ri as u32, si.0 + mi as u32),
            source: (sj.0 + rj as u32, sj.0 + mj as u32),
        });
    }
}

/// Whether a sentence ends between word `k - 1` and word `k` of `text` (false at the ends).
fn sentence_break(words: &[WordFeat], text: &str, k: u32) -> bool {
    let k = k as usize;
    if k == 0 || k >= words.len() {
        return false;
    }
    let gap = text
        .get(words[k - 1].end as usize..words[k].start as usize)
        .unwrap_or("");
    gap.contains(['.', '!', '?'])
}

/// Splits a substitution that runs across a sentence end on one side only, where the other
/// side's sentence ends at the substitution's edge: *summer. Both* spun into *summer time.
/// Each* aligns as one run *Both* → *time. Each*; the sentence end says it is *summer* →
/// *summer time* and *Both* → *Each*. The part cut off is joined with the matched word
/// beside it (as for one-sided runs).
fn split_at_sentence_end(
    x: SubPair,
    (sus, sus_text): (&[WordFeat], &str),
    (src, src_text): (&[WordFeat], &str),
) -> Vec<SubPair> {
    let (a0, a1) = x.suspect;
    let (b0, b1) = x.source;
    let inner = |w: &[WordFeat], t: &str, lo: u32, hi: u32| -> Vec<u32> {
        (lo + 1..hi).filter(|&k| sentence_break(w, t, k)).collect()
    };
    let matched = |i: u32, j: u32| {
        (i as usize) < sus.len()
            && (j as usize) < src.len()
            && sus[i as usize].exact == src[j as usize].exact
    };
    let ks = inner(sus, sus_text, a0, a1);
    let kd = inner(src, src_text, b0, b1);
    let brk_s = |k| sentence_break(sus, sus_text, k);
    let brk_d = |k| sentence_break(src, src_text, k);
    let pair = |s: (u32, u32), d: (u32, u32)| SubPair {
        suspect: s,
        source: d,
    };
    match (ks.as_slice(), kd.as_slice()) {
        // both sides break once inside: split both there
        (&[k], &[l]) => vec![pair((a0, k), (b0, l)), pair((k, a1), (l, b1))],
        // the suspect breaks inside, the source at an edge
        (&[k], []) if brk_d(b0) && !brk_s(a0) && a0 > 0 && b0 > 0 && matched(a0 - 1, b0 - 1) => {
            vec![pair((a0 - 1, k), (b0 - 1, b0)), pair((k, a1), (b0, b1))]
        }
        (&[k], []) if brk_d(b1) && !brk_s(a1) && matched(a1, b1) => {
            vec![pair((a0, k), (b0, b1)), pair((k, a1 + 1), (b1, b1 + 1))]
        }
        // the source breaks inside, the suspect at an edge
        ([], &[l]) if brk_s(a0) && !brk_d(b0) && a0 > 0 && b0 > 0 && matched(a0 - 1, b0 - 1) => {
            vec![pair((a0 - 1, a0), (b0 - 1, l)), pair((a0, a1), (l, b1))]
        }
        ([], &[l]) if brk_s(a1) && !brk_d(b1) && matched(a1, b1) => {
            vec![pair((a0, a1), (b0, l)), pair((a1, a1 + 1), (l, b1 + 1))]
        }
        _ => vec![x],
    }
}

/// A passage in the style of the PAN text-alignment task: offsets and lengths in characters
/// (Unicode scalar values), plus the byte ranges.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Passage {
    /// Character offset in the suspect.
    pub suspect_offset: usize,
    /// Length in characters in the suspect.
    pub suspect_length: usize,
    /// Character offset in the source.
    pub source_offset: usize,
    /// Length in characters in the source.
    pub source_length: usize,
    /// Byte range in the suspect.
    pub suspect_bytes: (usize, usize),
    /// Byte range in the source.
    pub source_bytes: (usize, usize),
    /// Seeds (matching words) in the passage.
    pub seeds: usize,
}

/// One substitution instance with byte ranges and text.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Substitution {
    /// Source phrase as written.
    pub source: String,
    /// Spun phrase as written.
    pub spun: String,
    /// Byte range in the source.
    pub source_bytes: (usize, usize),
    /// Byte range in the suspect.
    pub spun_bytes: (usize, usize),
}

/// Substitution table row: lowercase source phrase → lowercase spun phrase, with a count.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TableRow {
    /// Source phrase (lowercase, single spaces).
    pub source: String,
    /// Spun phrase (lowercase, single spaces).
    pub spun: String,
    /// Occurrences.
    pub count: usize,
}

/// Full comparison of a suspect with a source.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Aligned passages, in suspect order.
    pub passages: Vec<Passage>,
    /// Every substitution instance, in suspect order.
    pub substitutions: Vec<Substitution>,
    /// The substitution table, most frequent first.
    pub table: Vec<TableRow>,
    /// Share of the suspect's content words inside passages.
    pub coverage: f64,
    /// Share of the suspect's content words inside passages that match the source exactly or
    /// by synonym class.
    pub similarity: f64,
}

/// Byte → character offset conversion for one text.
struct CharPos<'a> {
    text: &'a str,
    last_byte: usize,
    last_char: usize,
}

impl CharPos<'_> {
    fn at(&mut self, byte: usize) -> usize {
        let byte = byte.min(self.text.len());
        if byte < self.last_byte {
            self.last_byte = 0;
            self.last_char = 0;
        }
        self.last_char += self.text[self.last_byte..byte].chars().count();
        self.last_byte = byte;
        self.last_char
    }
}

/// Lowercases a phrase and joins its words with single spaces.
pub fn phrase_key(text: &str) -> String {
    text.split_whitespace()
        .map(unspin_text::normalize)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Byte range in the text of the words `span.0..span.1` (a non-empty word range).
fn byte_span(words: &[WordFeat], span: (u32, u32)) -> (usize, usize) {
    (
        words[span.0 as usize].start as usize,
        words[span.1 as usize - 1].end as usize,
    )
}

/// Coverage and similarity of passages over the suspect.
pub fn coverage(sus: &[WordFeat], ps: &[PassageMatch]) -> (f64, f64) {
    let total = sus.iter().filter(|w| w.is_content()).count();
    // union of the passages' suspect ranges
    let mut ranges: Vec<(u32, u32)> = ps.iter().map(|m| m.suspect).collect();
    ranges.sort_unstable();
    let mut inside = 0usize;
    let mut reach = 0u32;
    for (a, b) in ranges {
        let a = a.max(reach);
        if a < b {
            inside += sus[a as usize..b as usize]
                .iter()
                .filter(|w| w.is_content())
                .count();
            reach = b;
        }
    }
    let seeds: usize = ps.iter().map(|m| m.seeds).sum();
    let cov = if total == 0 {
        0.0
    } else {
        inside as f64 / total as f64
    };
    let sim = if inside == 0 {
        0.0
    } else {
        (seeds as f64 / inside as f64).min(1.0)
    };
    (cov, sim)
}

/// Compares a suspect text with a source text.
pub fn compare(
    suspect: &str,
    source: &str,
    classes: &crate::SynClasses,
    p: &AlignParams,
) -> Comparison {
    let sus = crate::features::word_features(suspect, classes);
    let src = crate::features::word_features(source, classes);
    let mut ms = passages(&sus, &src, p);
    // A passage's substitutions may reach past its first or last matching word (the edges
    // are aligned too, and a run is joined with the matched word beside it): the passage
    // grows to hold them, so that every substitution listed lies in a passage shown.
    let pairs: Vec<Vec<SubPair>> = ms
        .iter()
        .map(|m| {
            substitutions(&sus, &src, m, p)
                .into_iter()
                .flat_map(|x| split_at_sentence_end(x, (&sus, suspect), (&src, source)))
                .collect()
        })
        .collect();
    for (m, subs) in ms.iter_mut().zip(&pairs) {
        for x in subs {
            m.suspect = (m.suspect.0.min(x.suspect.0), m.suspect.1.max(x.suspect.1));
            m.source = (m.source.0.min(x.source.0), m.source.1.max(x.source.1));
        }
    }
    let (cov, sim) = coverage(&sus, &ms);
    let mut cs = CharPos {
        text: suspect,
        last_byte: 0,
        last_char: 0,
    };
    let mut cd = CharPos {
        text: source,
        last_byte: 0,
        last_char: 0,
    };
    let mut passages_out = Vec::new();
    let mut subs = Vec::new();
    for (m, pairs) in ms.iter().zip(pairs) {
        let tb = byte_span(&sus, m.suspect);
        let sb = byte_span(&src, m.source);
        let (to, te) = (cs.at(tb.0), cs.at(tb.1));
        let (so, se) = (cd.at(sb.0), cd.at(sb.1));
        passages_out.push(Passage {
            suspect_offset: to,
            suspect_length: te - to,
            source_offset: so,
            source_length: se - so,
            suspect_bytes: tb,
            source_bytes: sb,
            seeds: m.seeds,
        });
        for s in pairs {
            let sb = byte_span(&src, s.source);
            let tb = byte_span(&sus, s.suspect);
            subs.push(Substitution {
                source: source[sb.0..sb.1].to_string(),
                spun: suspect[tb.0..tb.1].to_string(),
                source_bytes: sb,
                spun_bytes: tb,
            });
        }
    }
    subs.sort_by_key(|s| s.spun_bytes);
    subs.dedup_by_key(|s| s.spun_bytes);
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    for s in &subs {
        *counts
            .entry((phrase_key(&s.source), phrase_key(&s.spun)))
            .or_insert(0) += 1;
    }
    let mut table: Vec<TableRow> = counts
        .into_iter()
        .map(|((source, spun), count)| TableRow {
            source,
            spun,
            count,
        })
        .collect();
    table.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.source.cmp(&b.source)));
    Comparison {
        passages: passages_out,
        substitutions: subs,
        table,
        coverage: cov,
        similarity: sim,
    }
}

#[cfg(test)]
mod tests {

    /// The plain chaining loop [`chain_seeds`] must reproduce.
    fn chain_seeds_reference(
        seeds: &[(u32, u32, bool)],
        p: &AlignParams,
        good: &dyn Fn(&Chain) -> bool,
    ) -> Vec<Chain> {
        let mut active: Vec<Chain> = Vec::new();
        let mut done: Vec<Chain> = Vec::new();
        let mut current_i = u32::MAX;
        for &(i, j, exact) in seeds {
            // retire chains that can no longer be extended (once per suspect word)
            if i != current_i {
                current_i = i;
                let mut k = 0;
                while k < active.len() {
                    if active[k].last.0 + p.max_gap < i {
                        let c = active.swap_remove(k);
                        if good(&c) {
                            done.push(c);
                        }
                    } else {
                        k += 1;
                    }
                }
            }
            let mut best: Option<usize> = None;
            for (k, c) in active.iter().enumerate() {
                let (li, lj) = c.last;
                if li >= i || lj >= j || j - lj > p.max_gap {
                    continue;
                }
                let di = i - li;
                let dj = j - lj;
                if di.abs_diff(dj) > p.max_drift {
                    continue;
                }
                if best.is_none_or(|b| c.seeds > active[b].seeds) {
                    best = Some(k);
                }
            }
            match best {
                Some(k) => {
                    let c = &mut active[k];
                    c.last = (i, j);
                    c.seeds += 1;
                    if exact {
                        c.anchors.push((i, j));
                    }
                }
                None => {
                    if active.len() >= 512 {
                        // keep the work bounded on pathological input: drop the weakest chain
                        if let Some((k, _)) = active.iter().enumerate().min_by_key(|(_, c)| c.seeds)
                        {
                            let c = active.swap_remove(k);
                            if good(&c) {
                                done.push(c);
                            }
                        }
                    }
                    active.push(Chain {
                        start: (i, j),
                        last: (i, j),
                        seeds: 1,
                        anchors: if exact { vec![(i, j)] } else { Vec::new() },
                    });
                }
            }
        }
        done.extend(active.into_iter().filter(|c| good(c)));
        done
    }

    struct Lcg(u64);
    impl Lcg {
        fn random_range(&mut self, r: std::ops::Range<u32>) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            r.start + ((self.0 >> 33) as u32) % (r.end - r.start)
        }
        fn random_bool(&mut self, p: f64) -> bool {
            f64::from(self.random_range(0..1_000_000)) < p * 1e6
        }
    }

    #[test]
    fn chaining_matches_reference() {
        let mut rng = Lcg(7);
        for round in 0..300 {
            let p = AlignParams {
                max_gap: rng.random_range(1..16),
                max_drift: rng.random_range(0..8),
                ..AlignParams::default()
            };
            // every 10th round: dense random seeds, so that more than 512 chains are active
            let dense = round % 10 == 0;
            let n_src = rng.random_range(1..if dense { 20_000 } else { 400u32 });
            let n_sus = rng.random_range(1..if dense { 16 } else { 400u32 });
            let density = if dense {
                rng.random_range(300..900)
            } else {
                rng.random_range(1..30)
            };
            let mut seeds = Vec::new();
            for i in 0..n_sus {
                let mut row: Vec<(u32, bool)> = (0..rng.random_range(0..density))
                    .map(|_| {
                        // near the diagonal most of the time
                        let j = if rng.random_bool(if dense { 0.1 } else { 0.7 }) {
                            (i + rng.random_range(0..5)).min(n_src - 1)
                        } else {
                            rng.random_range(0..n_src)
                        };
                        (j, rng.random_bool(0.5))
                    })
                    .collect();
                row.sort_unstable();
                row.dedup_by_key(|x| x.0);
                seeds.extend(row.into_iter().map(|(j, e)| (i, j, e)));
            }
            let min = rng.random_range(1..6);
            let good = |c: &Chain| c.seeds >= min as usize;
            let a = chain_seeds(&seeds, n_src as usize, &p, &good);
            let b = chain_seeds_reference(&seeds, &p, &good);
            assert_eq!(a, b, "round {round}");
        }
    }
    use super::*;
    use crate::SynClasses;
    use unspin_lexicon::spin::Spinner;

    const TEXT: &str = "The committee met in Geneva on 12 March 2019 to discuss the large budget. \
        Delegates from Norway and Chile argued that the fund should grow quickly, while others \
        wanted a careful review of spending by the secretariat. After long debate the chair \
        proposed a compromise: an independent audit, followed by a modest increase in 2020. \
        The proposal passed with broad support and the meeting closed late in the evening.";

    fn spinner() -> Spinner {
        Spinner::from_entries(&[
            ("met", &["convened"]),
            ("discuss", &["talk over"]),
            ("large", &["big"]),
            ("argued", &["contended"]),
            ("grow", &["expand"]),
            ("careful", &["cautious"]),
            ("review", &["examination"]),
            ("spending", &["expenditure"]),
            ("long", &["lengthy"]),
            ("debate", &["discussion"]),
            ("proposed", &["suggested"]),
            ("modest", &["moderate"]),
            ("increase", &["rise"]),
            ("passed", &["succeeded"]),
            ("broad", &["wide"]),
            ("closed", &["ended"]),
            ("evening", &["night"]),
            ("wanted", &["desired"]),
            ("fund", &["kitty"]),
            ("quickly", &["rapidly"]),
        ])
    }

    #[test]
    fn recovers_logged_substitutions() {
        let (spun, log) = spinner().spin_words(TEXT, 1, 3).into_parts();
        assert!(log.len() >= 15);
        let c = compare(&spun, TEXT, SynClasses::embedded(), &AlignParams::default());
        assert_eq!(c.passages.len(), 1, "{:?}", c.passages);
        assert!(c.coverage > 0.9, "{}", c.coverage);
        let found: Vec<((usize, usize), (usize, usize))> = c
            .substitutions
            .iter()
            .map(|s| (s.source_bytes, s.spun_bytes))
            .collect();
        let mut hit = 0;
        for s in &log {
            if found.contains(&(s.orig_range(), s.spun_range())) {
                hit += 1;
            }
        }
        assert!(
            hit as f64 >= 0.9 * log.len() as f64,
            "{hit}/{} {:?}",
            log.len(),
            c.table
        );
        assert!(found.len() <= log.len() + 1);
        let row = c.table.iter().find(|r| r.source == "discuss").unwrap();
        assert_eq!(row.spun, "talk over");
    }

    /// Regression: a word put in at a sentence end (*summer* → *summer time.*) was joined
    /// with the next sentence's substitution into *Both* → *time. Each*.
    #[test]
    fn substitution_does_not_run_across_a_sentence_end() {
        let source = "The council will meet in the spring to discuss the new budget, and the \
            mayor said the plan would be ready before the summer. Both sides agree that the old \
            bridge needs work, but residents fear the costs may be higher than expected by the \
            engineers who inspected the bridge last year.";
        let suspect = "The council will meet in the spring to discuss the new budget, and the \
            mayor said the plan would be ready before the summer time. Each sides agree that the \
            old bridge needs work, but residents fear the costs may be higher than expected by \
            the engineers who inspected the bridge last year.";
        let c = compare(
            suspect,
            source,
            SynClasses::embedded(),
            &AlignParams::default(),
        );
        let rows: Vec<(&str, &str)> = c
            .table
            .iter()
            .map(|r| (r.source.as_str(), r.spun.as_str()))
            .collect();
        assert!(rows.contains(&("both", "each")), "{rows:?}");
        assert!(rows.contains(&("summer", "summer time")), "{rows:?}");
        assert_eq!(rows.len(), 2, "{rows:?}");
    }

    /// Regression: a substitution at a passage's edge (aligned past its first or last
    /// matching word) was listed but lay outside every passage shown.
    #[test]
    fn every_substitution_lies_in_a_passage() {
        let other = "Photosynthesis converts light energy into chemical energy stored in glucose \
            while chlorophyll absorbs mostly blue and red wavelengths.";
        let inside = |c: &Comparison, x: &Substitution| {
            c.passages.iter().any(|p| {
                p.suspect_bytes.0 <= x.spun_bytes.0
                    && x.spun_bytes.1 <= p.suspect_bytes.1
                    && p.source_bytes.0 <= x.source_bytes.0
                    && x.source_bytes.1 <= p.source_bytes.1
            })
        };
        // *the kitty* before the first matching content word (*should*): aligned, listed,
        // and once outside the passage
        let suspect = "Cats are small animals that people keep at home as pets. That the kitty \
            should grow quickly, while others wanted a careful review of spending by the \
            secretariat. After long debate the chair proposed a compromise: an independent \
            audit, followed by a modest increase in 2020.";
        let c = compare(
            suspect,
            TEXT,
            SynClasses::embedded(),
            &AlignParams::default(),
        );
        let kitty = c.substitutions.iter().find(|x| x.spun == "kitty");
        let kitty = kitty.unwrap_or_else(|| panic!("{:?}", c.substitutions));
        assert_eq!(kitty.source, "fund");
        assert!(inside(&c, kitty), "{kitty:?} outside {:?}", c.passages);
        let mut checked = 0;
        for every in 1..=3 {
            for seed in 0..12 {
                let spun = spinner().spin_words(TEXT, every, seed).into_parts().0;
                let words: Vec<usize> = spun
                    .match_indices(char::is_whitespace)
                    .map(|(i, _)| i + 1)
                    .collect();
                // the suspect starts and ends inside the source, at other text
                for cut in [0, 3, 7, 12] {
                    let (a, b) = (words[cut], words[words.len() - 1 - cut]);
                    let suspect = format!("{other} {} {other}", &spun[a..b]);
                    let c = compare(
                        &suspect,
                        TEXT,
                        SynClasses::embedded(),
                        &AlignParams::default(),
                    );
                    for x in &c.substitutions {
                        assert!(inside(&c, x), "{x:?} outside {:?}", c.passages);
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 500, "{checked}");
    }

    #[test]
    fn unrelated_texts_have_no_passage() {
        let other = "Photosynthesis converts light energy into chemical energy stored in glucose. \
            Chlorophyll absorbs mostly blue and red wavelengths, reflecting green light, and \
            the process releases oxygen as a by-product in plants, algae and cyanobacteria.";
        let c = compare(other, TEXT, SynClasses::embedded(), &AlignParams::default());
        assert!(c.passages.is_empty());
        assert!(c.table.is_empty());
        assert_eq!(c.coverage, 0.0);
    }

    #[test]
    fn char_offsets_follow_unicode() {
        let src = format!("Ünïcödé prefix words here. {TEXT}");
        let c = compare(TEXT, &src, SynClasses::embedded(), &AlignParams::default());
        assert_eq!(c.passages.len(), 1);
        let p = &c.passages[0];
        let sliced: String = src
            .chars()
            .skip(p.source_offset)
            .take(p.source_length)
            .collect();
        assert_eq!(sliced, src[p.source_bytes.0..p.source_bytes.1]);
    }
}
