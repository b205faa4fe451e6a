//! The writer: sections, hash tables and n-gram lists of a binary model.

use super::*;

struct SectionOut {
    kind: u32,
    order: u32,
    bytes: Vec<u8>,
}

/// Checks that every n-gram's prefix and suffix are stored one order lower.
fn check_closed(data: &NgramData, path: &Path) -> Result<(), LmError> {
    for k in 2..=data.order() {
        let (lo, hi) = (&data.orders[k - 2], &data.orders[k - 1]);
        let set: std::collections::HashSet<&[u32]> = (0..lo.len()).map(|i| lo.entry(i)).collect();
        for i in 0..hi.len() {
            let e = hi.entry(i);
            for part in [&e[..k - 1], &e[1..]] {
                if !set.contains(part) {
                    let words: Vec<&str> = part
                        .iter()
                        .map(|&x| {
                            data.vocab
                                .get(x as usize)
                                .map(String::as_str)
                                .unwrap_or("?")
                        })
                        .collect();
                    return Err(LmError::build(
                        path,
                        format!(
                            "{k}-gram #{i} needs the {}-gram {words:?}, which is missing",
                            k - 1
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Writes `data` as a binary model to `out`; returns the file size.
pub fn write_binary(data: &NgramData, out: &Path, opts: &BinaryOptions) -> Result<u64, LmError> {
    let bytes = binary_bytes(data, opts, out)?;
    let tmp = out.with_extension("tmp");
    std::fs::write(&tmp, &bytes).map_err(|e| LmError::io(&tmp, e))?;
    std::fs::rename(&tmp, out).map_err(|e| LmError::io(out, e))?;
    Ok(bytes.len() as u64)
}

/// Serialises `data` as a binary model (`path` names the destination in errors).
pub fn binary_bytes(
    data: &NgramData,
    opts: &BinaryOptions,
    path: &Path,
) -> Result<Vec<u8>, LmError> {
    let n = data.order();
    let v = data.vocab.len();
    if n == 0 || n > MAX_ORDER {
        return Err(LmError::build(
            path,
            format!("order {n} not in 1..={MAX_ORDER}"),
        ));
    }
    if v < 3
        || data.vocab.get(UNK as usize).map(String::as_str) != Some("<unk>")
        || data.vocab.get(BOS as usize).map(String::as_str) != Some("<s>")
        || data.vocab.get(EOS as usize).map(String::as_str) != Some("</s>")
    {
        return Err(LmError::build(
            path,
            "vocabulary must start with <unk>, <s>, </s>",
        ));
    }
    if data.orders[0].len() != v || (0..v).any(|i| data.orders[0].ids[i] != i as u32) {
        return Err(LmError::build(
            path,
            "unigrams must list every vocabulary id in order",
        ));
    }
    for b in [opts.prob_bits, opts.backoff_bits, opts.unigram_bits] {
        if !(1..=16).contains(&b) {
            return Err(LmError::build(
                path,
                format!("codebook bits must be 1..=16, got {b}"),
            ));
        }
    }
    if !(0.3..=0.97).contains(&opts.load_factor) {
        return Err(LmError::build(
            path,
            format!("load factor {} out of range", opts.load_factor),
        ));
    }
    check_closed(data, path)?;
    let mut sections: Vec<SectionOut> = Vec::new();
    let mut meta: Vec<u8> = Vec::new();

    // Vocabulary: strings by id, their offsets, and a probing table word -> id + 1.
    let mut seen = std::collections::HashSet::with_capacity(v);
    let mut blob = Vec::new();
    let mut offs = Vec::with_capacity(4 * (v + 1));
    for w in &data.vocab {
        if !seen.insert(w.as_str()) {
            return Err(LmError::build(
                path,
                format!("duplicate vocabulary word {w:?}"),
            ));
        }
        offs.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        blob.extend_from_slice(w.as_bytes());
    }
    offs.extend_from_slice(&(blob.len() as u32).to_le_bytes());
    let vslots = (v as u64 * 4).div_ceil(3) + 1;
    let mut vt = vec![0u64; vslots as usize];
    let mut vmax = 0u32;
    let idb = id_bits(v as u32);
    let mut tags = std::collections::HashSet::with_capacity(v);
    for (id, w) in data.vocab.iter().enumerate() {
        let h = hash_bytes(w.as_bytes());
        if !tags.insert(word_tag(h, idb)) {
            return Err(LmError::build(
                path,
                format!("vocabulary hash tags collide at {w:?}"),
            ));
        }
        let mut s = home(h, vslots);
        let mut dist = 0u32;
        while vt[s as usize] != 0 {
            s = if s + 1 == vslots { 0 } else { s + 1 };
            dist += 1;
        }
        vt[s as usize] = (id as u64 + 1) | word_tag(h, idb);
        vmax = vmax.max(dist);
    }
    let mut vhash = vmax.to_le_bytes().to_vec();
    vhash.extend_from_slice(&[0; 4]);
    vhash.extend(vt.iter().flat_map(|x| x.to_le_bytes()));
    sections.push(SectionOut {
        kind: K_VSTR,
        order: 0,
        bytes: blob,
    });
    sections.push(SectionOut {
        kind: K_VOFF,
        order: 0,
        bytes: offs,
    });
    sections.push(SectionOut {
        kind: K_VHASH,
        order: 0,
        bytes: vhash,
    });

    for k in 1..=n {
        let o = &data.orders[k - 1];
        let (pb, bb) = if k == 1 {
            (opts.unigram_bits, if n > 1 { opts.unigram_bits } else { 0 })
        } else {
            (opts.prob_bits, if k < n { opts.backoff_bits } else { 0 })
        };
        let pcodes = build_codebook(&o.prob, pb, &[-99.0, 0.0]);
        let bcodes = if bb > 0 {
            build_codebook(&o.backoff, bb, &[0.0])
        } else {
            vec![0.0]
        };
        let pidx: Vec<u64> = o
            .prob
            .iter()
            .map(|&x| u64::from(encode(&pcodes, x)))
            .collect();
        let bidx: Vec<u64> = if bb > 0 {
            o.backoff
                .iter()
                .map(|&x| u64::from(encode(&bcodes, x)))
                .collect()
        } else {
            vec![0; o.len()]
        };
        let (table, slots, fpb, max_probe, rot) = if k == 1 {
            let width = pb + bb;
            let mut t = vec![0u8; (v as u64 * u64::from(width)).div_ceil(8) as usize + 8];
            for i in 0..v {
                put_bits(
                    &mut t,
                    i as u64 * u64::from(width),
                    width,
                    pidx[i] | (bidx[i] << pb),
                );
            }
            (t, v as u64, 0u32, 0u32, 0u32)
        } else {
            build_table(o, &pidx, &bidx, pb, bb, opts, path)?
        };
        for (val, width) in [(o.len() as u64, 8), (slots, 8), (u64::from(max_probe), 4)] {
            meta.extend_from_slice(&val.to_le_bytes()[..width]);
        }
        meta.extend_from_slice(&[fpb as u8, pb as u8, bb as u8, rot as u8]);
        meta.extend_from_slice(&(pcodes.len() as u32).to_le_bytes());
        meta.extend_from_slice(&(bcodes.len() as u32).to_le_bytes());
        let f32s = |c: &[f32]| c.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        sections.push(SectionOut {
            kind: K_PCODES,
            order: k as u32,
            bytes: f32s(&pcodes),
        });
        sections.push(SectionOut {
            kind: K_BCODES,
            order: k as u32,
            bytes: f32s(&bcodes),
        });
        sections.push(SectionOut {
            kind: K_TABLE,
            order: k as u32,
            bytes: table,
        });
        if k >= 2 && opts.store_ngram_list {
            sections.push(SectionOut {
                kind: K_NGRAMS,
                order: k as u32,
                bytes: ngram_list(data, k, path)?,
            });
        }
    }
    sections.insert(
        0,
        SectionOut {
            kind: K_META,
            order: 0,
            bytes: meta,
        },
    );

    // Assemble.
    let header_len = 32 + 8 * n + DIR_REC * sections.len();
    let mut out =
        Vec::with_capacity(header_len + sections.iter().map(|s| s.bytes.len()).sum::<usize>());
    out.extend_from_slice(MAGIC);
    for x in [FORMAT_VERSION, n as u32, v as u32, sections.len() as u32] {
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.extend_from_slice(&[0u8; 8]);
    for o in &data.orders {
        out.extend_from_slice(&(o.len() as u64).to_le_bytes());
    }
    let mut off = header_len as u64;
    for s in &sections {
        out.extend_from_slice(&s.kind.to_le_bytes());
        out.extend_from_slice(&s.order.to_le_bytes());
        out.extend_from_slice(&off.to_le_bytes());
        out.extend_from_slice(&(s.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&checksum(&s.bytes).to_le_bytes());
        off += s.bytes.len() as u64;
    }
    let hc = header_checksum(&out[..header_len]);
    out[24..32].copy_from_slice(&hc.to_le_bytes());
    for s in &sections {
        out.extend_from_slice(&s.bytes);
    }
    Ok(out)
}

#[allow(clippy::type_complexity)]
fn build_table(
    o: &OrderData,
    pidx: &[u64],
    bidx: &[u64],
    pb: u32,
    bb: u32,
    opts: &BinaryOptions,
    path: &Path,
) -> Result<(Vec<u8>, u64, u32, u32, u32), LmError> {
    let count = o.len() as u64;
    let slots = ((count as f64 / opts.load_factor).ceil() as u64).max(count + 1);
    let keys: Vec<u64> = (0..o.len()).map(|i| key_of(o.entry(i))).collect();
    let max_fp = 57 - pb - bb;
    let mut fpb = opts.fingerprint_bits.clamp(8, max_fp);
    let mut slot_of: Vec<u32> = vec![u32::MAX; slots as usize];
    let mut fps: Vec<u64> = vec![0; slots as usize];
    loop {
        // Try several rotations of the hash (different bits for home slot and fingerprint)
        // before spending another fingerprint bit.
        for attempt in 0..16u32 {
            let rot = attempt * 5 % 64;
            let fmask = low_mask(fpb);
            slot_of.fill(u32::MAX);
            fps.fill(0);
            let mut ok = true;
            // Ordered hashing (Amble & Knuth): along every probe path fingerprints
            // decrease, so a lookup stops at the first smaller fingerprint (or an empty
            // slot, fingerprint 0) instead of scanning to the end of the cluster.
            'outer: for (i, &h) in keys.iter().enumerate() {
                let h = h.rotate_left(rot);
                let mut cur = i as u32;
                let mut fp = fingerprint(h, fmask);
                let mut s = home(h, slots);
                loop {
                    let su = s as usize;
                    if slot_of[su] == u32::MAX {
                        slot_of[su] = cur;
                        fps[su] = fp;
                        break;
                    }
                    if fps[su] == fp {
                        // Two n-grams would be confused on this probe path.
                        ok = false;
                        break 'outer;
                    }
                    if fps[su] < fp {
                        std::mem::swap(&mut slot_of[su], &mut cur);
                        std::mem::swap(&mut fps[su], &mut fp);
                    }
                    s += 1;
                    if s == slots {
                        s = 0;
                    }
                }
            }
            let mut max_probe = 0u32;
            if ok {
                for (s, &i) in slot_of.iter().enumerate() {
                    if let Some(&h) = keys.get(i as usize) {
                        let home = home(h.rotate_left(rot), slots);
                        let d = (s as u64 + slots - home) % slots;
                        max_probe = max_probe.max(d as u32);
                    }
                }
            }
            if ok {
                let width = fpb + pb + bb;
                let mut t = vec![0u8; (slots * u64::from(width)).div_ceil(8) as usize + 8];
                for (s, &i) in slot_of.iter().enumerate() {
                    if i != u32::MAX {
                        let i = i as usize;
                        let val = fps[s] | (pidx[i] << fpb) | (bidx[i] << (fpb + pb));
                        put_bits(&mut t, s as u64 * u64::from(width), width, val);
                    }
                }
                return Ok((t, slots, fpb, max_probe, rot));
            }
        }
        if fpb >= max_fp {
            return Err(LmError::build(
                path,
                format!(
                    "{}-gram hash fingerprints collide even with {fpb} bits",
                    o.n
                ),
            ));
        }
        fpb += 1;
    }
}

/// Encodes the k-grams as, for each (k-1)-gram in order, its number of extensions and the
/// gaps between their last word ids (varints), compressed with zstd.
fn ngram_list(data: &NgramData, k: usize, path: &Path) -> Result<Vec<u8>, LmError> {
    let (lo, hi) = (&data.orders[k - 2], &data.orders[k - 1]);
    let mut raw = Vec::with_capacity(hi.len() * 2 + lo.len());
    let mut j = 0usize;
    for i in 0..lo.len() {
        let prefix = lo.entry(i);
        let start_j = j;
        while j < hi.len() && &hi.entry(j)[..k - 1] == prefix {
            j += 1;
        }
        varint(&mut raw, (j - start_j) as u64);
        let mut prev: Option<u32> = None;
        for e in start_j..j {
            let w = hi.entry(e)[k - 1];
            varint(
                &mut raw,
                u64::from(match prev {
                    None => w,
                    Some(p) => w - p - 1,
                }),
            );
            prev = Some(w);
        }
    }
    if j != hi.len() {
        return Err(LmError::build(
            path,
            format!("{k}-grams are not sorted or lack their contexts"),
        ));
    }
    let mut out = (raw.len() as u64).to_le_bytes().to_vec();
    let z = zstd::bulk::compress(&raw, 19).map_err(|e| LmError::io(path, e))?;
    out.extend_from_slice(&z);
    Ok(out)
}
