//! Immutable segment files.
//!
//! A segment holds a batch of documents: their texts (zstd-compressed in blocks of about
//! [`BLOCK_BYTES`]), id/title/url, a sorted id-hash table (to find a document by id), the
//! chunk → document map, and per LSH band a sorted array of `(bucket key, chunk)` postings
//! that is binary-searched in place through a memory map.
//!
//! Layout (little-endian): a header with magic `USPNSEG\0`, [`SEGMENT_VERSION`], the MinHash
//! parameters, counts, the offsets of 8 sections (docs, meta, ids, chunk→doc, band
//! directory, postings, block directory, blocks), then (since version 2) the CRC-32 of the
//! body (every byte after the header) and the CRC-32 of the header before it. Every read is
//! bounds-checked, so a damaged file yields [`IndexError::Corrupt`], never a panic; and
//! [`Segment::open`] checks both checksums, so damage anywhere in the file is an error that
//! names it rather than a silently different answer.
//!
//! Version 1 segments (no checksums) are still read; `index verify` lists them as unchecked
//! and `index optimize` rewrites them as version 2.

use crate::error::IndexError;
use crate::hash::hash_str;
use crate::minhash::{BANDS, K, ROWS};
use memmap2::Mmap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Segment file format version (2: with checksums).
pub const SEGMENT_VERSION: u32 = 2;
const MAGIC: &[u8; 8] = b"USPNSEG\0";
/// Header of a version 1 segment: fields and section offsets.
const HEADER_V1: usize = 40 + 9 * 8;
/// Header of a version 2 segment: version 1's, then the body's CRC-32 and the header's.
const HEADER: usize = HEADER_V1 + 8;
/// What a damaged segment's error says to do.
const REPAIR_HINT: &str =
    "the segment is damaged (`unspin index verify --repair` drops it from the index)";

/// The format version of the segment at `path` (read from its header; not validated).
pub fn file_version(path: &Path) -> Result<u32, IndexError> {
    use std::io::Read;
    let mut head = [0u8; 12];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .map_err(|e| IndexError::io(path, e))?;
    Ok(u32::from_le_bytes([head[8], head[9], head[10], head[11]]))
}

/// A writer that keeps the CRC-32 of what passes through it.
struct Crc<W> {
    w: W,
    h: crc32fast::Hasher,
}

impl<W: Write> Write for Crc<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.w.write(buf)?;
        self.h.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.w.flush()
    }
}

/// CRC-32 of the file's bytes from `from` to the end, read in pieces (not through the
/// memory map, so checking a segment does not make the process hold its pages).
fn crc_of_file(file: &File, from: u64, len: u64) -> std::io::Result<u32> {
    use std::io::{Read, Seek};
    let mut f = file;
    f.seek(std::io::SeekFrom::Start(from))?;
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = f.read(&mut buf[..want])?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Ok(h.finalize())
}
/// Bytes per posting: the low 16 bits of the bucket key, then the chunk number.
const POSTING: usize = 6;
/// Largest uncompressed block accepted when reading (a single document may exceed
/// [`BLOCK_BYTES`]; anything beyond this is treated as corruption).
const MAX_BLOCK: u64 = 1 << 30;
/// Target uncompressed size of a text block.
pub const BLOCK_BYTES: usize = 32 * 1024;
/// zstd level of the text blocks. Measured on the 100,000 documents of the side-by-side
/// benchmark: level 3 compresses 3.3x faster than level 6 for 3% more bytes (0.410 vs 0.397
/// of the raw text); decompression speed is about the same.
const ZSTD_LEVEL: i32 = 3;

/// Target compressed size of the zstd blocks inside a text block's frame.
const TARGET_CBLOCK: u32 = 2048;

/// Compresses one text block with a per-thread compression context.
fn compress_block(raw: &[u8]) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static CCTX: std::cell::RefCell<Option<zstd::bulk::Compressor<'static>>> = const { std::cell::RefCell::new(None) };
    }
    CCTX.with(|c| {
        let mut c = c.borrow_mut();
        if c.is_none() {
            let mut z = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
            // small zstd blocks inside the frame: a reader decodes only up to its document
            z.set_parameter(zstd::zstd_safe::CParameter::TargetCBlockSize(TARGET_CBLOCK))?;
            *c = Some(z);
        }
        match c.as_mut() {
            Some(z) => z.compress(raw),
            None => Err(std::io::Error::other("no zstd context")),
        }
    })
}

/// A document ready to be written: text plus the band keys of each chunk.
#[derive(Debug, Clone)]
pub struct PreparedDoc {
    /// External id.
    pub id: String,
    /// Optional title.
    pub title: String,
    /// Optional URL.
    pub url: String,
    /// Full text.
    pub text: String,
    /// LSH band keys of each chunk.
    pub chunks: Vec<[u32; BANDS]>,
    /// Word keys counted in the document frequencies ([`crate::df::doc_terms`]; not stored in
    /// the segment).
    pub terms: Vec<u64>,
    /// Content words (for the document frequencies' mean length).
    pub content_words: usize,
}

/// A stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDoc {
    /// External id.
    pub id: String,
    /// Title (may be empty).
    pub title: String,
    /// URL (may be empty).
    pub url: String,
    /// Full text.
    pub text: String,
}

fn w32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}
fn w64(out: &mut Vec<u8>, v: u64) {
    out.extend_from_slice(&v.to_le_bytes());
}

/// Writes `docs` as a segment file at `path` (written to a temporary name, fsynced, then
/// renamed). Returns the number of chunks.
pub fn write_segment(path: &Path, docs: &[PreparedDoc]) -> Result<u32, IndexError> {
    let n_docs = docs.len();
    // texts into blocks (block boundaries first, then compression in parallel)
    let mut doc_rows: Vec<[u32; 5]> = Vec::with_capacity(n_docs);
    let mut meta: Vec<u8> = Vec::new();
    let mut block_docs: Vec<(usize, usize)> = Vec::new(); // doc range per block
    let (mut first, mut raw_len) = (0usize, 0usize);
    for (i, d) in docs.iter().enumerate() {
        if raw_len > 0 && raw_len + d.text.len() > BLOCK_BYTES {
            block_docs.push((first, i));
            first = i;
            raw_len = 0;
        }
        let meta_off = meta.len() as u32;
        meta.extend_from_slice(d.id.as_bytes());
        meta.push(0x1f);
        meta.extend_from_slice(d.title.as_bytes());
        meta.push(0x1f);
        meta.extend_from_slice(d.url.as_bytes());
        doc_rows.push([
            block_docs.len() as u32,
            raw_len as u32,
            d.text.len() as u32,
            meta_off,
            meta.len() as u32 - meta_off,
        ]);
        raw_len += d.text.len();
    }
    if raw_len > 0 || first < n_docs {
        block_docs.push((first, n_docs));
    }
    let blocks: Vec<Vec<u8>> = {
        use rayon::prelude::*;
        block_docs
            .par_iter()
            .map(|&(a, b)| {
                let mut raw = Vec::with_capacity(BLOCK_BYTES * 2);
                for d in &docs[a..b] {
                    raw.extend_from_slice(d.text.as_bytes());
                }
                compress_block(&raw).map_err(|e| IndexError::io(path, e))
            })
            .collect::<Result<_, _>>()?
    };
    // ids
    let mut ids: Vec<(u64, u32)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (hash_str(&d.id), i as u32))
        .collect();
    ids.sort_unstable();
    // chunks and postings
    let mut chunk_doc: Vec<u32> = Vec::new();
    for (i, d) in docs.iter().enumerate() {
        chunk_doc.extend(std::iter::repeat_n(i as u32, d.chunks.len()));
    }
    // order within a band: directory slot (top `bits` of the key), then the low 16 bits that
    // the posting stores (with fewer than 16 directory bits the bits in between are not
    // stored: a rare spurious match, never a missed one), then the chunk. Bands are built
    // and sorted in parallel, each as `(order << 32) | chunk` (key recovered from the order
    // below), which sorts like `(order, chunk)`.
    let bits = dir_bits(chunk_doc.len());
    let order = |k: u32| (u64::from(k >> (32 - bits)) << 16) | u64::from(k & 0xffff);
    let keys: Vec<&[u32; BANDS]> = docs.iter().flat_map(|d| d.chunks.iter()).collect();
    let postings: Vec<Vec<u64>> = {
        use rayon::prelude::*;
        (0..BANDS)
            .into_par_iter()
            .map(|b| {
                let mut p: Vec<u64> = keys
                    .iter()
                    .enumerate()
                    .map(|(c, k)| (order(k[b]) << 32) | c as u64)
                    .collect();
                p.sort_unstable();
                p.dedup();
                p
            })
            .collect()
    };
    drop(keys);
    // section sizes
    let s_docs = n_docs * 20;
    let s_meta = meta.len();
    let s_ids = ids.len() * 12;
    let s_chunk = chunk_doc.len() * 4;
    let s_dir = BANDS * ((1usize << bits) + 1) * 4;
    let total_post: usize = postings.iter().map(Vec::len).sum();
    let s_post = total_post * POSTING;
    let s_bdir = (blocks.len() + 1) * 8;
    let s_blocks: usize = blocks.iter().map(Vec::len).sum();
    let mut offs = [0u64; 9];
    let mut o = HEADER as u64;
    for (k, s) in [
        s_docs, s_meta, s_ids, s_chunk, s_dir, s_post, s_bdir, s_blocks,
    ]
    .iter()
    .enumerate()
    {
        offs[k] = o;
        o += *s as u64;
    }
    offs[8] = o;
    let mut head = Vec::with_capacity(HEADER);
    head.extend_from_slice(MAGIC);
    w32(&mut head, SEGMENT_VERSION);
    w32(&mut head, BANDS as u32);
    w32(&mut head, ROWS as u32);
    w32(&mut head, K as u32);
    w32(&mut head, n_docs as u32);
    w32(&mut head, chunk_doc.len() as u32);
    w32(&mut head, blocks.len() as u32);
    w32(&mut head, bits);
    for v in offs {
        w64(&mut head, v);
    }
    // checksums: written once the body has passed through the hasher
    head.extend_from_slice(&[0u8; 8]);
    debug_assert_eq!(head.len(), HEADER);
    let tmp = path.with_extension("tmp");
    let file = File::create(&tmp).map_err(|e| IndexError::io(&tmp, e))?;
    let io = |e| IndexError::io(&tmp, e);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    out.write_all(&head).map_err(io)?;
    let mut w = Crc {
        w: out,
        h: crc32fast::Hasher::new(),
    };
    let mut buf = Vec::with_capacity(1 << 16);
    for r in &doc_rows {
        for v in r {
            w32(&mut buf, *v);
        }
    }
    w.write_all(&buf).map_err(io)?;
    w.write_all(&meta).map_err(io)?;
    buf.clear();
    for (h, d) in &ids {
        w64(&mut buf, *h);
        w32(&mut buf, *d);
    }
    w.write_all(&buf).map_err(io)?;
    buf.clear();
    for c in &chunk_doc {
        w32(&mut buf, *c);
    }
    w.write_all(&buf).map_err(io)?;
    // bucket directory: for each band, the index of the first posting whose key has each
    // value of its top `bits` bits, then the band's end
    buf.clear();
    let mut base = 0usize;
    for p in &postings {
        let mut k = 0usize;
        for h in 0..(1u64 << bits) {
            while k < p.len() && p[k] >> 48 < h {
                k += 1;
            }
            w32(&mut buf, (base + k) as u32);
        }
        base += p.len();
        w32(&mut buf, base as u32);
    }
    w.write_all(&buf).map_err(io)?;
    for p in &postings {
        buf.clear();
        for &x in p {
            buf.extend_from_slice(&((x >> 32) as u16).to_le_bytes());
            w32(&mut buf, x as u32);
        }
        w.write_all(&buf).map_err(io)?;
    }
    buf.clear();
    let mut acc = 0u64;
    for b in &blocks {
        w64(&mut buf, acc);
        acc += b.len() as u64;
    }
    w64(&mut buf, acc);
    w.write_all(&buf).map_err(io)?;
    for b in &blocks {
        w.write_all(b).map_err(io)?;
    }
    let body_crc = w.h.finalize();
    let mut file =
        w.w.into_inner()
            .map_err(|e| IndexError::io(&tmp, e.into_error()))?;
    head[HEADER_V1..HEADER_V1 + 4].copy_from_slice(&body_crc.to_le_bytes());
    let head_crc = crc32fast::hash(&head[..HEADER_V1 + 4]);
    head[HEADER_V1 + 4..HEADER].copy_from_slice(&head_crc.to_le_bytes());
    {
        use std::io::Seek;
        file.seek(std::io::SeekFrom::Start(0)).map_err(io)?;
        file.write_all(&head).map_err(io)?;
    }
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&tmp, path).map_err(|e| IndexError::io(path, e))?;
    Ok(chunk_doc.len() as u32)
}

/// Bits of the bucket directory for a segment of `chunks` chunks (about 2–4 postings per
/// directory slot; 1..=16).
fn dir_bits(chunks: usize) -> u32 {
    let mut b = 1u32;
    while b < 16 && (1usize << (b + 2)) < chunks {
        b += 1;
    }
    b
}

/// A memory-mapped, read-only segment.
#[derive(Debug)]
pub struct Segment {
    path: PathBuf,
    map: Mmap,
    version: u32,
    n_docs: u32,
    n_chunks: u32,
    n_blocks: u32,
    bits: u32,
    offs: [usize; 9],
}

impl Segment {
    /// Opens and validates a segment file, checking its checksums (the whole file is read
    /// once; a version 1 segment has none to check).
    pub fn open(path: &Path) -> Result<Self, IndexError> {
        Self::open_checked(path, true)
    }

    /// Opens a segment checking only its header (and the header's checksum): for the writer,
    /// which looks up ids in every segment on each commit.
    pub fn open_header_checked(path: &Path) -> Result<Self, IndexError> {
        Self::open_checked(path, false)
    }

    /// The format version of this segment (1: no checksums).
    pub fn version(&self) -> u32 {
        self.version
    }

    fn open_checked(path: &Path, body: bool) -> Result<Self, IndexError> {
        let file = File::open(path).map_err(|e| IndexError::io(path, e))?;
        // SAFETY: segment files are immutable once renamed into place; writers never modify
        // them (they are only ever deleted, which keeps the mapping valid on Unix).
        let map = unsafe { Mmap::map(&file) }.map_err(|e| IndexError::io(path, e))?;
        // lookups are random: no readahead or fault-around (keeps a `find` process small)
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Random);
        let bad = |m: &str| IndexError::corrupt(path, m);
        if map.len() < HEADER_V1 || &map[..8] != MAGIC {
            return Err(bad("not a segment file (or its header is damaged)"));
        }
        let r32 = |o: usize| u32::from_le_bytes([map[o], map[o + 1], map[o + 2], map[o + 3]]);
        let version = r32(8);
        let head_ok =
            map.len() >= HEADER && crc32fast::hash(&map[..HEADER_V1 + 4]) == r32(HEADER_V1 + 4);
        let header = match version {
            SEGMENT_VERSION if head_ok => HEADER,
            SEGMENT_VERSION => {
                return Err(bad(&format!("header checksum mismatch: {REPAIR_HINT}")));
            }
            1 => HEADER_V1,
            // a later version (its header checks out as ours would) or a damaged one
            _ if head_ok => {
                return Err(IndexError::Version {
                    path: path.into(),
                    found: version,
                    expected: SEGMENT_VERSION,
                });
            }
            _ => {
                return Err(bad(&format!(
                    "header damaged (version field {version}): {REPAIR_HINT}"
                )));
            }
        };
        if (r32(12), r32(16), r32(20)) != (BANDS as u32, ROWS as u32, K as u32) {
            return Err(bad("MinHash parameters differ from this build"));
        }
        let (n_docs, n_chunks, n_blocks, bits) = (r32(24), r32(28), r32(32), r32(36));
        if !(1..=16).contains(&bits) {
            return Err(bad("bad bucket directory size"));
        }
        let mut offs = [0usize; 9];
        for (k, o) in offs.iter_mut().enumerate() {
            let p = 40 + 8 * k;
            let mut b = [0u8; 8];
            b.copy_from_slice(&map[p..p + 8]);
            *o = usize::try_from(u64::from_le_bytes(b)).map_err(|_| bad("offset overflow"))?;
        }
        if offs[8] != map.len() || offs.windows(2).any(|w| w[0] > w[1]) || offs[0] != header {
            return Err(bad(&format!(
                "section table does not match the file (truncated?): {REPAIR_HINT}"
            )));
        }
        if body && version >= 2 {
            let crc = crc_of_file(&file, header as u64, (map.len() - header) as u64)
                .map_err(|e| IndexError::io(path, e))?;
            if crc != r32(HEADER_V1) {
                return Err(bad(&format!("checksum mismatch: {REPAIR_HINT}")));
            }
        }
        let n = |k: usize| offs[k + 1] - offs[k];
        if n(0) != n_docs as usize * 20
            || n(2) != n_docs as usize * 12
            || n(3) != n_chunks as usize * 4
            || n(4) != BANDS * ((1usize << bits) + 1) * 4
            || n(6) != (n_blocks as usize + 1) * 8
            || n(5) % POSTING != 0
        {
            return Err(bad("section sizes do not match the counts"));
        }
        Ok(Segment {
            path: path.to_path_buf(),
            map,
            version,
            n_docs,
            n_chunks,
            n_blocks,
            bits,
            offs,
        })
    }

    /// Path of the file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// Number of documents (including ones deleted later).
    pub fn docs(&self) -> u32 {
        self.n_docs
    }
    /// Number of chunks.
    pub fn chunks(&self) -> u32 {
        self.n_chunks
    }
    /// File size in bytes.
    pub fn bytes(&self) -> usize {
        self.map.len()
    }

    #[inline]
    fn u32_at(&self, o: usize) -> u32 {
        let b = &self.map[o..o + 4];
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
    #[inline]
    fn u64_at(&self, o: usize) -> u64 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&self.map[o..o + 8]);
        u64::from_le_bytes(b)
    }

    fn corrupt(&self, m: &str) -> IndexError {
        IndexError::corrupt(&self.path, m)
    }

    /// The document a chunk belongs to.
    pub fn chunk_doc(&self, chunk: u32) -> Result<u32, IndexError> {
        if chunk >= self.n_chunks {
            return Err(self.corrupt("chunk number out of range"));
        }
        let d = self.u32_at(self.offs[3] + 4 * chunk as usize);
        if d >= self.n_docs {
            return Err(self.corrupt("chunk points past the documents"));
        }
        Ok(d)
    }

    /// Calls `f` with every chunk filed under `key` in `band`.
    pub fn lookup(&self, band: usize, key: u32, f: &mut dyn FnMut(u32)) -> Result<(), IndexError> {
        if band >= BANDS {
            return Ok(());
        }
        let total = ((self.offs[6] - self.offs[5]) / POSTING) as u64;
        let slots = (1usize << self.bits) + 1;
        let h = (u64::from(key) >> (32 - self.bits)) as usize;
        let d = self.offs[4] + 4 * (band * slots + h);
        let (lo, hi) = (u64::from(self.u32_at(d)), u64::from(self.u32_at(d + 4)));
        if lo > hi || hi > total {
            return Err(self.corrupt("bucket directory out of range"));
        }
        let base = self.offs[5];
        let low = key as u16;
        let mut a = lo as usize;
        while a < hi as usize {
            let o = base + POSTING * a;
            let k = u16::from_le_bytes([self.map[o], self.map[o + 1]]);
            if k == low {
                f(self.u32_at(o + 2));
            } else if k > low {
                break;
            }
            a += 1;
        }
        Ok(())
    }

    /// Calls `f(band, chunk)` with every chunk filed under `keys[band]` in every band whose
    /// bit in `skip` is clear (the same calls, in the same order, as [`Segment::lookup`] band
    /// by band). The directory entries and the first postings of all bands are read before
    /// any band is scanned, so that their cache misses overlap.
    pub fn lookup_bands(
        &self,
        keys: &[u32; BANDS],
        skip: u32,
        f: &mut dyn FnMut(usize, u32),
    ) -> Result<(), IndexError> {
        let total = (self.offs[6] - self.offs[5]) / POSTING;
        let slots = (1usize << self.bits) + 1;
        let base = self.offs[5];
        let mut range = [(0usize, 0usize); BANDS];
        for (b, r) in range.iter_mut().enumerate() {
            if skip >> b & 1 != 0 {
                continue;
            }
            let h = (u64::from(keys[b]) >> (32 - self.bits)) as usize;
            let d = self.offs[4] + 4 * (b * slots + h);
            let (lo, hi) = (self.u32_at(d) as usize, self.u32_at(d + 4) as usize);
            if lo > hi || hi > total {
                return Err(self.corrupt("bucket directory out of range"));
            }
            *r = (lo, hi);
        }
        let key16 = |a: usize| {
            let o = base + POSTING * a;
            u16::from_le_bytes([self.map[o], self.map[o + 1]])
        };
        let mut first = [u16::MAX; BANDS];
        for (b, &(lo, hi)) in range.iter().enumerate() {
            if lo < hi {
                first[b] = key16(lo);
            }
        }
        for (b, &(lo, hi)) in range.iter().enumerate() {
            let low = keys[b] as u16;
            if lo >= hi || first[b] > low {
                continue;
            }
            for a in lo..hi {
                let k = key16(a);
                if k == low {
                    f(b, self.u32_at(base + POSTING * a + 2));
                } else if k > low {
                    break;
                }
            }
        }
        Ok(())
    }

    /// Local numbers of documents whose id hashes to the hash of `id` (verify with
    /// [`Segment::meta`]).
    pub fn find_id(&self, id: &str) -> Result<Vec<u32>, IndexError> {
        let h = hash_str(id);
        let base = self.offs[2];
        let n = self.n_docs as usize;
        let (mut a, mut b) = (0usize, n);
        while a < b {
            let mid = (a + b) / 2;
            if self.u64_at(base + 12 * mid) < h {
                a = mid + 1
            } else {
                b = mid
            }
        }
        let mut out = Vec::new();
        while a < n && self.u64_at(base + 12 * a) == h {
            let d = self.u32_at(base + 12 * a + 8);
            if self.meta(d)?.0 == id {
                out.push(d);
            }
            a += 1;
        }
        Ok(out)
    }

    fn row(&self, doc: u32) -> Result<[u32; 5], IndexError> {
        if doc >= self.n_docs {
            return Err(self.corrupt("document number out of range"));
        }
        let o = self.offs[0] + 20 * doc as usize;
        Ok([
            self.u32_at(o),
            self.u32_at(o + 4),
            self.u32_at(o + 8),
            self.u32_at(o + 12),
            self.u32_at(o + 16),
        ])
    }

    /// (id, title, url) of a document.
    pub fn meta(&self, doc: u32) -> Result<(String, String, String), IndexError> {
        let r = self.row(doc)?;
        let (a, len) = (self.offs[1] + r[3] as usize, r[4] as usize);
        if a + len > self.offs[2] {
            return Err(self.corrupt("metadata out of range"));
        }
        let s = std::str::from_utf8(&self.map[a..a + len])
            .map_err(|_| self.corrupt("metadata is not UTF-8"))?;
        let mut it = s.split('\u{1f}');
        let id = it.next().unwrap_or("").to_string();
        let title = it.next().unwrap_or("").to_string();
        let url = it.next().unwrap_or("").to_string();
        Ok((id, title, url))
    }

    /// Decompresses one text block (tests compare it with prefix reads).
    #[cfg(test)]
    pub fn block(&self, b: u32) -> Result<Vec<u8>, IndexError> {
        self.block_prefix(b, usize::MAX)
    }

    /// Decompresses the first `want` bytes of a text block (all of it when it is shorter):
    /// the writer cuts blocks into small zstd blocks, and decoding stops after the one that
    /// holds byte `want - 1`.
    pub fn block_prefix(&self, b: u32, want: usize) -> Result<Vec<u8>, IndexError> {
        if b >= self.n_blocks {
            return Err(self.corrupt("block number out of range"));
        }
        let lo = self.u64_at(self.offs[6] + 8 * b as usize) as usize;
        let hi = self.u64_at(self.offs[6] + 8 * (b as usize + 1)) as usize;
        let data = &self.map[self.offs[7]..self.offs[8]];
        if lo > hi || hi > data.len() {
            return Err(self.corrupt("block directory out of range"));
        }
        let frame = &data[lo..hi];
        let err = |e: &dyn std::fmt::Display| {
            IndexError::corrupt(&self.path, format!("text block {b}: {e}"))
        };
        let size = match zstd::zstd_safe::get_frame_content_size(frame) {
            Ok(Some(n)) if n <= MAX_BLOCK => n as usize,
            _ => return Err(err(&"bad frame header")),
        };
        let want = want.min(size);
        thread_local! {
            static DCTX: std::cell::RefCell<Option<zstd::stream::raw::Decoder<'static>>> = const { std::cell::RefCell::new(None) };
        }
        DCTX.with(|c| {
            use zstd::stream::raw::{InBuffer, Operation, OutBuffer};
            let mut c = c.borrow_mut();
            if c.is_none() {
                *c = Some(zstd::stream::raw::Decoder::new().map_err(|e| err(&e))?);
            }
            let Some(d) = c.as_mut() else {
                return Err(err(&"no decompressor"));
            };
            d.reinit().map_err(|e| err(&e))?;
            // written by the decoder, not zeroed first
            let mut out: Vec<u8> = Vec::with_capacity(want);
            let mut input = InBuffer::around(frame);
            let mut output = OutBuffer::around(&mut out);
            while output.pos() < want {
                let before = (input.pos(), output.pos());
                let hint = d.run(&mut input, &mut output).map_err(|e| err(&e))?;
                if output.pos() < want && (hint == 0 || before == (input.pos(), output.pos())) {
                    return Err(err(&"frame ends before its content size"));
                }
            }
            Ok(out)
        })
    }

    /// The text of a document.
    pub fn text(&self, doc: u32) -> Result<String, IndexError> {
        let r = self.row(doc)?;
        let (a, len) = (r[1] as usize, r[2] as usize);
        let mut block = self.block_prefix(r[0], a.saturating_add(len))?;
        if a + len > block.len() {
            return Err(self.corrupt("text out of its block"));
        }
        // the text in place: no second allocation
        block.truncate(a + len);
        block.drain(..a);
        String::from_utf8(block).map_err(|_| self.corrupt("text is not UTF-8"))
    }

    /// A whole stored document.
    pub fn doc(&self, doc: u32) -> Result<StoredDoc, IndexError> {
        let (id, title, url) = self.meta(doc)?;
        Ok(StoredDoc {
            id,
            title,
            url,
            text: self.text(doc)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(i: usize) -> PreparedDoc {
        PreparedDoc {
            id: format!("d{i}"),
            title: format!("T{i}"),
            url: String::new(),
            text: format!("text number {i} ").repeat(i % 50 + 1),
            chunks: vec![[i as u32; BANDS], [i as u32 + 1000; BANDS]],
            terms: Vec::new(),
            content_words: 0,
        }
    }

    #[test]
    fn write_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.useg");
        let docs: Vec<PreparedDoc> = (0..500).map(doc).collect();
        assert_eq!(write_segment(&p, &docs).unwrap(), 1000);
        let s = Segment::open(&p).unwrap();
        assert_eq!(s.docs(), 500);
        for i in [0usize, 7, 499] {
            let d = s.doc(i as u32).unwrap();
            assert_eq!(d.id, docs[i].id);
            assert_eq!(d.text, docs[i].text);
            assert_eq!(s.find_id(&format!("d{i}")).unwrap(), [i as u32]);
            let mut got = Vec::new();
            s.lookup(3, i as u32 + 1000, &mut |c| got.push(c)).unwrap();
            assert_eq!(got.len(), 1);
            assert_eq!(s.chunk_doc(got[0]).unwrap(), i as u32);
            // all bands at once: the same chunks as band by band
            let keys: [u32; BANDS] = std::array::from_fn(|b| (i + b % 3 * 1000) as u32);
            for skip in [0u32, 0b1010_0110, u32::MAX] {
                let mut one = Vec::new();
                for (b, &k) in keys.iter().enumerate() {
                    if skip >> b & 1 == 0 {
                        s.lookup(b, k, &mut |c| one.push((b, c))).unwrap();
                    }
                }
                let mut all = Vec::new();
                s.lookup_bands(&keys, skip, &mut |b, c| all.push((b, c)))
                    .unwrap();
                assert_eq!(all, one);
                assert_eq!(all.is_empty(), skip == u32::MAX);
            }
        }
        assert!(s.find_id("nope").unwrap().is_empty());
        // partial decoding returns a prefix of the block
        for b in 0..s.n_blocks {
            let full = s.block(b).unwrap();
            for want in [0, 1, 4000, full.len() / 2, full.len(), full.len() + 10] {
                let part = s.block_prefix(b, want).unwrap();
                assert_eq!(part, full[..want.min(full.len())], "block {b} want {want}");
            }
        }
    }

    #[test]
    fn damaged_files_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.useg");
        write_segment(&p, &(0..50).map(doc).collect::<Vec<_>>()).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        for cut in [0, 10, HEADER, bytes.len() / 2, bytes.len() - 1] {
            std::fs::write(&p, &bytes[..cut]).unwrap();
            assert!(Segment::open(&p).is_err(), "cut {cut}");
        }
        // flip bytes in the compressed text: the checksum tells; opened without checking the
        // body, reads fail cleanly or return text, never panic
        let mut b = bytes.clone();
        let n = b.len();
        for x in &mut b[n - 200..n - 100] {
            *x ^= 0x5a;
        }
        std::fs::write(&p, &b).unwrap();
        let e = Segment::open(&p).unwrap_err().to_string();
        assert!(
            e.contains("s.useg") && e.contains("checksum mismatch"),
            "{e}"
        );
        let s = Segment::open_header_checked(&p).unwrap();
        for d in 0..50 {
            let _ = s.doc(d);
        }
    }

    /// Every random byte flip anywhere in a segment (each header byte, then 1,000 random
    /// places; 1 to 3 bytes each) is detected on open, with an error naming the file.
    #[test]
    fn random_byte_flips_are_all_detected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.useg");
        write_segment(&p, &(0..40).map(doc).collect::<Vec<_>>()).unwrap();
        let good = std::fs::read(&p).unwrap();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // the header's bytes first (each of them once), then random places
        let mut places: Vec<usize> = (0..HEADER).collect();
        places.extend((0..1000).map(|_| rnd() as usize % good.len()));
        for (k, &at) in places.iter().enumerate() {
            let mut b = good.clone();
            // one to three bytes, each XORed with a non-zero value
            for j in 0..=(k % 3) {
                let i = if j == 0 { at } else { rnd() as usize % b.len() };
                b[i] ^= (rnd() % 255 + 1) as u8;
            }
            std::fs::write(&p, &b).unwrap();
            let e = Segment::open(&p).expect_err(&format!("flip at {at} not detected"));
            assert!(e.to_string().contains("s.useg"), "{e}");
        }
        std::fs::write(&p, &good).unwrap();
        assert!(Segment::open(&p).is_ok());
    }

    /// A version 1 segment (no checksums) is still read.
    #[test]
    fn version_1_segments_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.useg");
        let docs: Vec<PreparedDoc> = (0..30).map(doc).collect();
        write_segment(&p, &docs).unwrap();
        let v2 = std::fs::read(&p).unwrap();
        // the same segment as version 1 wrote it: no checksums, offsets 8 bytes earlier
        let mut v1 = v2[..HEADER_V1].to_vec();
        v1[8..12].copy_from_slice(&1u32.to_le_bytes());
        for k in 0..9 {
            let o = 40 + 8 * k;
            let x = u64::from_le_bytes(v1[o..o + 8].try_into().unwrap()) - 8;
            v1[o..o + 8].copy_from_slice(&x.to_le_bytes());
        }
        v1.extend_from_slice(&v2[HEADER..]);
        std::fs::write(&p, &v1).unwrap();
        let s = Segment::open(&p).unwrap();
        assert_eq!((s.version(), s.docs()), (1, 30));
        assert_eq!(s.doc(7).unwrap().text, docs[7].text);
        assert_eq!(file_version(&p).unwrap(), 1);
        // a version from the future is named as such
        let mut v3 = v2.clone();
        v3[8..12].copy_from_slice(&3u32.to_le_bytes());
        let crc = crc32fast::hash(&v3[..HEADER_V1 + 4]);
        v3[HEADER_V1 + 4..HEADER].copy_from_slice(&crc.to_le_bytes());
        std::fs::write(&p, &v3).unwrap();
        let e = Segment::open(&p).unwrap_err();
        assert!(matches!(e, IndexError::Version { found: 3, .. }), "{e}");
    }
}
