//! Back to n-gram data and ARPA: decoding a binary model, and compiling ARPA into one.

use super::*;

impl Model {
    /// Decodes the model back into an in-memory [`NgramData`] (dequantised values).
    /// Needs the n-gram lists, which [`BinaryOptions::store_ngram_list`] controls.
    pub fn to_data(&self) -> Result<NgramData, LmError> {
        let bytes = self.bytes();
        let bad = |what: String| LmError::corrupt(&self.path, what);
        let v = self.vocab_size as usize;
        let mut vocab = Vec::with_capacity(v);
        for id in 0..v as u32 {
            let w = self
                .word(id)
                .filter(|w| !w.is_empty())
                .ok_or_else(|| bad(format!("no word for id {id}")))?;
            vocab.push(w.to_string());
        }
        let mut orders = Vec::with_capacity(self.order);
        let mut uni = OrderData {
            n: 1,
            ..Default::default()
        };
        for id in 0..v as u32 {
            let hit = self.unigram(id);
            uni.ids.push(id);
            uni.prob.push(self.p(1, hit));
            uni.backoff
                .push(if self.order > 1 { self.b(1, hit) } else { 0.0 });
        }
        orders.push(uni);
        for k in 2..=self.order {
            let (off, end) = self.lists.get(k - 1).copied().flatten().ok_or_else(|| {
                bad(format!(
                    "the model was built without n-gram lists; cannot list {k}-grams"
                ))
            })?;
            let sec = bytes.get(off..end).unwrap_or(&[]);
            let sum = self
                .sections
                .iter()
                .find(|x| x.0 == K_NGRAMS && x.1 == k as u32)
                .map(|x| x.4);
            if sum != Some(checksum(sec)) {
                return Err(bad(format!("checksum mismatch in the {k}-gram list")));
            }
            let raw_len =
                rd_u64(sec, 0).ok_or_else(|| bad(format!("{k}-gram list truncated")))? as usize;
            let prev = orders.last().ok_or_else(|| bad("no lower order".into()))?;
            let count = self.tables[k - 1].count as usize;
            let limit = 10 * (count + prev.len()) + 16;
            if raw_len > limit {
                return Err(bad(format!("{k}-gram list claims {raw_len} bytes")));
            }
            let raw = zstd::bulk::decompress(sec.get(8..).unwrap_or(&[]), raw_len)
                .map_err(|e| bad(format!("{k}-gram list: {e}")))?;
            let mut o = OrderData {
                n: k,
                ..Default::default()
            };
            let mut pos = 0usize;
            let mut gram: Vec<u32> = Vec::with_capacity(k);
            for i in 0..prev.len() {
                let nchild = read_varint(&raw, &mut pos)
                    .ok_or_else(|| bad(format!("{k}-gram list truncated")))?;
                if nchild > v as u64 {
                    return Err(bad(format!("{k}-gram list: {nchild} extensions")));
                }
                let mut w: u64 = 0;
                for c in 0..nchild {
                    let gap = read_varint(&raw, &mut pos)
                        .ok_or_else(|| bad(format!("{k}-gram list truncated")))?;
                    w = if c == 0 { gap } else { w + 1 + gap };
                    if w >= v as u64 {
                        return Err(bad(format!("{k}-gram list: word id {w} out of range")));
                    }
                    gram.clear();
                    gram.extend_from_slice(prev.entry(i));
                    gram.push(w as u32);
                    let hit = self
                        .find(k, key_of(&gram))
                        .ok_or_else(|| bad(format!("listed {k}-gram not in its table")))?;
                    o.ids.extend_from_slice(&gram);
                    o.prob.push(self.p(k, hit));
                    o.backoff
                        .push(if k < self.order { self.b(k, hit) } else { 0.0 });
                }
            }
            if o.len() != count {
                return Err(bad(format!(
                    "{k}-gram list has {} entries, header says {count}",
                    o.len()
                )));
            }
            orders.push(o);
        }
        Ok(NgramData { vocab, orders })
    }

    /// Writes the model in ARPA format (dequantised values).
    pub fn write_arpa(&self, w: &mut dyn Write) -> Result<(), LmError> {
        let data = self.to_data()?;
        crate::arpa::write_arpa_data(&data, w)
    }
}

/// Converts an ARPA file (e.g. from KenLM) into a binary model with default options.
pub fn compile_arpa(arpa: &Path, out: &Path) -> Result<crate::BuildStats, LmError> {
    compile_arpa_with(arpa, out, &BinaryOptions::default())
}

/// Converts an ARPA file into a binary model with the given layout options.
pub fn compile_arpa_with(
    arpa: &Path,
    out: &Path,
    opts: &BinaryOptions,
) -> Result<crate::BuildStats, LmError> {
    let t0 = std::time::Instant::now();
    let data = crate::arpa::read_arpa(arpa)?;
    let file_bytes = write_binary(&data, out, opts)?;
    Ok(crate::BuildStats {
        vocab_size: data.vocab.len(),
        ngrams: data.orders.iter().map(|o| o.len() as u64).collect(),
        ngrams_before_pruning: data.orders.iter().map(|o| o.len() as u64).collect(),
        file_bytes,
        seconds: t0.elapsed().as_secs_f64(),
        ..Default::default()
    })
}
