//! In-memory backoff model (the content of an ARPA file), shared by the estimator, the ARPA
//! reader/writer and the binary writer.

use std::collections::HashMap;

/// Id of `<unk>` in models built or compiled by this crate.
pub const UNK: u32 = 0;
/// Id of `<s>`.
pub const BOS: u32 = 1;
/// Id of `</s>`.
pub const EOS: u32 = 2;

/// The n-grams of one order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderData {
    /// The n-gram length.
    pub n: usize,
    /// Word ids, `n` per entry, entries sorted lexicographically.
    pub ids: Vec<u32>,
    /// log10 probability of each entry.
    pub prob: Vec<f32>,
    /// log10 backoff of each entry (all zero for the highest order).
    pub backoff: Vec<f32>,
}

impl OrderData {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.prob.len()
    }
    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.prob.is_empty()
    }
    /// Word ids of entry `i`.
    pub fn entry(&self, i: usize) -> &[u32] {
        &self.ids[i * self.n..(i + 1) * self.n]
    }
}

/// A complete backoff language model held in memory.
///
/// `vocab[id]` is the word of `id`; ids 0, 1, 2 are `<unk>`, `<s>`, `</s>`.
/// `orders[k-1]` holds the k-grams; `orders[0]` has exactly one entry per vocabulary id,
/// in id order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NgramData {
    /// Word of each id.
    pub vocab: Vec<String>,
    /// n-grams per order.
    pub orders: Vec<OrderData>,
}

impl NgramData {
    /// Model order (length of the longest n-grams).
    pub fn order(&self) -> usize {
        self.orders.len()
    }

    /// Sorts the entries of every order lexicographically by ids.
    pub(crate) fn sort(&mut self) {
        for o in &mut self.orders {
            let n = o.n;
            let mut idx: Vec<usize> = (0..o.len()).collect();
            idx.sort_by(|&a, &b| o.ids[a * n..(a + 1) * n].cmp(&o.ids[b * n..(b + 1) * n]));
            let mut ids = Vec::with_capacity(o.ids.len());
            for &i in &idx {
                ids.extend_from_slice(&o.ids[i * n..(i + 1) * n]);
            }
            o.ids = ids;
            o.prob = idx.iter().map(|&i| o.prob[i]).collect();
            o.backoff = idx.iter().map(|&i| o.backoff[i]).collect();
        }
    }
}

/// A slow but obviously correct backoff query over [`NgramData`] (for tests and checks).
pub struct RefQuery<'a> {
    data: &'a NgramData,
    maps: Vec<HashMap<&'a [u32], usize>>,
}

impl<'a> RefQuery<'a> {
    /// Indexes `data`.
    pub fn new(data: &'a NgramData) -> Self {
        let maps = data
            .orders
            .iter()
            .map(|o| (0..o.len()).map(|i| (o.entry(i), i)).collect())
            .collect();
        RefQuery { data, maps }
    }

    /// log10 P(w | context) with standard backoff semantics.
    pub fn log10_prob(&self, context: &[u32], w: u32) -> f32 {
        let n = self.data.order();
        let ctx = &context[context.len().saturating_sub(n - 1)..];
        self.rec(ctx, w)
    }

    fn rec(&self, ctx: &[u32], w: u32) -> f32 {
        let mut g = ctx.to_vec();
        g.push(w);
        let k = g.len();
        if let Some(&i) = self.maps[k - 1].get(g.as_slice()) {
            return self.data.orders[k - 1].prob[i];
        }
        if ctx.is_empty() {
            return self.rec(&[], UNK);
        }
        let b = self.maps[ctx.len() - 1]
            .get(ctx)
            .map(|&i| self.data.orders[ctx.len() - 1].backoff[i])
            .unwrap_or(0.0);
        b + self.rec(&ctx[1..], w)
    }
}
