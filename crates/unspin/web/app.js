// unspin page: paste or drop a text, see the findings, accept or reject each, copy the result.
// Plain JavaScript, no dependencies; talks only to this server's /v1 API.
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const enc = new TextEncoder();
  const dec = new TextDecoder();

  // The document on screen: text, its UTF-8 bytes (finding offsets are byte offsets), the
  // findings with the user's choices, the report.
  let doc = null;
  let health = null;
  let docName = '';
  let active = -1;
  let hideTimer = 0;
  let lastResult = null;

  const status = (msg, isError) => {
    const s = $('status');
    s.textContent = msg;
    s.classList.toggle('error', !!isError);
  };

  fetch('/healthz')
    .then((r) => r.json())
    .then((h) => {
      health = h;
      if (typeof h.papers === 'boolean') $('papers').checked = h.papers;
      if (typeof h.threshold === 'number') {
        $('threshold').value = String(h.threshold);
        $('thr-out').textContent = Number($('threshold').value).toFixed(2);
      }
    })
    .catch(() => {});

  const slice = (a, b) => dec.decode(doc.bytes.subarray(a, b));
  const confClass = (c) => (c >= 0.8 ? 'c-high' : c >= 0.6 ? 'c-mid' : 'c-low');
  const confWord = (c) => (c >= 0.8 ? 'high' : c >= 0.6 ? 'medium' : 'low');
  const pct = (c) => `${Math.round(c * 100)}%`;
  const options = (f) => [f.suggestion, ...f.alternatives.filter((a) => a !== f.suggestion)];

  async function postJSON(path, body) {
    const r = await fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    let data = null;
    try {
      data = await r.json();
    } catch (_) {
      data = null;
    }
    if (!r.ok) {
      const e = new Error((data && data.error) || `HTTP ${r.status}`);
      e.status = r.status;
      throw e;
    }
    return data;
  }

  async function check() {
    const text = $('input').value;
    if (!text.trim()) {
      status('Paste, type or drop a text first.', true);
      $('input').focus();
      return;
    }
    $('go').disabled = true;
    status('Checking…');
    const req = {
      text,
      html: $('html').checked,
      threshold: Number($('threshold').value),
      papers: $('papers').checked,
    };
    if (docName) req.path = docName;
    try {
      const rep = await postJSON('/v1/check', req);
      show(text, rep);
      const n = doc.findings.length;
      status(`Done: ${n} finding${n === 1 ? '' : 's'}.`);
      if (health && health.index) compare(text);
    } catch (e) {
      status(`Could not check the text: ${e.message}`, true);
    } finally {
      $('go').disabled = false;
    }
  }

  function show(text, rep) {
    const sorted = rep.findings.slice().sort((a, b) => a.start - b.start);
    const findings = [];
    let end = 0;
    for (const f of sorted) {
      if (f.start < end) continue; // never overlap
      findings.push({ ...f, accepted: true, choice: f.suggestion });
      end = f.end;
    }
    doc = { text, bytes: enc.encode(text), findings, report: rep };
    lastResult = rep;
    active = -1;
    hidePop();
    const score = rep.score;
    $('score').textContent = score.toFixed(2);
    $('meter').value = score;
    const v = $('verdict');
    // the server's verdict (the CLI's words): "too short to judge" below its minimum length
    const short = rep.verdict === 'too short to judge';
    v.textContent = `${rep.verdict}, ${rep.words} word${rep.words === 1 ? '' : 's'}`;
    v.className = 'verdict ' + (short ? 'short' : score >= 0.8 ? 'spun' : score >= 0.4 ? 'maybe' : 'clean');
    $('results').hidden = false;
    $('tab-source').hidden = true;
    renderAll();
  }

  function renderAll() {
    renderMarked();
    renderViews();
  }

  function findingLabel(f) {
    const state = f.accepted ? `accepted: will read “${f.choice}”` : 'rejected: kept as written';
    return `${f.text}, probably was “${f.suggestion}”, ${pct(f.confidence)} sure, ${state}`;
  }

  function renderMarked() {
    const box = $('marked');
    box.textContent = '';
    const frag = document.createDocumentFragment();
    let pos = 0;
    doc.findings.forEach((f, i) => {
      if (f.start > pos) frag.append(slice(pos, f.start));
      const b = document.createElement('button');
      b.type = 'button';
      b.className = `finding ${confClass(f.confidence)}${f.source ? ' from-source' : ''}`;
      b.dataset.i = String(i);
      b.textContent = slice(f.start, f.end);
      frag.append(b);
      updateButton(b, f);
      pos = f.end;
    });
    if (pos < doc.bytes.length) frag.append(slice(pos, doc.bytes.length));
    box.append(frag);
  }

  function updateButton(b, f) {
    b.classList.toggle('rejected', !f.accepted);
    b.setAttribute('aria-pressed', f.accepted ? 'true' : 'false');
    b.setAttribute('aria-label', findingLabel(f));
  }

  function restoredText() {
    let out = '';
    let pos = 0;
    for (const f of doc.findings) {
      out += slice(pos, f.start);
      out += f.accepted ? f.choice : slice(f.start, f.end);
      pos = f.end;
    }
    return out + slice(pos, doc.bytes.length);
  }

  function renderViews() {
    const acc = doc.findings.filter((f) => f.accepted).length;
    const n = doc.findings.length;
    const srcs = (doc.report && doc.report.sources) || [];
    const fromSrc = srcs.length
      ? ` · restored from ${srcs.length === 1 ? 'a source' : `${srcs.length} sources`}: ${srcs.map((s) => s.title || s.id).join(', ')}`
      : '';
    $('counts').textContent = (n
      ? `${n} finding${n === 1 ? '' : 's'}, ${acc} accepted, ${n - acc} rejected`
      : 'No findings at this threshold.') + fromSrc;
    $('restored').textContent = restoredText();
    const diff = $('diff');
    diff.textContent = '';
    const frag = document.createDocumentFragment();
    let pos = 0;
    for (const f of doc.findings) {
      frag.append(slice(pos, f.start));
      if (f.accepted && f.choice !== slice(f.start, f.end)) {
        const d = document.createElement('del');
        d.textContent = slice(f.start, f.end);
        const ins = document.createElement('ins');
        ins.textContent = f.choice;
        frag.append(d, ins);
      } else {
        frag.append(slice(f.start, f.end));
      }
      pos = f.end;
    }
    frag.append(slice(pos, doc.bytes.length));
    diff.append(frag);
  }

  function refresh(i) {
    const b = $('marked').querySelector(`[data-i="${i}"]`);
    if (b) updateButton(b, doc.findings[i]);
    renderViews();
    if (active === i && !$('pop').hidden) fillPop(i);
  }

  function toggle(i) {
    const f = doc.findings[i];
    f.accepted = !f.accepted;
    if (f.accepted && !f.choice) f.choice = f.suggestion;
    refresh(i);
  }

  function choose(i, k) {
    const f = doc.findings[i];
    const opts = options(f);
    if (k < 0 || k >= opts.length) return;
    f.choice = opts[k];
    f.accepted = true;
    refresh(i);
  }

  // The popover with the suggestion, the alternatives and accept / reject.
  function fillPop(i) {
    const f = doc.findings[i];
    $('pop-sugg').textContent = f.suggestion;
    $('pop-conf').textContent = f.source
      ? `(restored from the source ${f.source}, bytes ${f.source_start}–${f.source_end})`
      : `(${pct(f.confidence)}, ${confWord(f.confidence)} confidence)`;
    const alts = $('pop-alts');
    alts.textContent = '';
    options(f).forEach((o, k) => {
      const b = document.createElement('button');
      b.type = 'button';
      b.textContent = k < 9 ? `${k + 1}. ${o}` : o;
      b.setAttribute('aria-pressed', f.accepted && f.choice === o ? 'true' : 'false');
      b.addEventListener('click', () => choose(i, k));
      alts.append(b);
    });
    $('pop-accept').setAttribute('aria-pressed', f.accepted ? 'true' : 'false');
    $('pop-reject').setAttribute('aria-pressed', f.accepted ? 'false' : 'true');
    $('pop').setAttribute('aria-label', `Finding “${f.text}”`);
  }

  function showPop(i, anchor) {
    clearTimeout(hideTimer);
    active = i;
    fillPop(i);
    const pop = $('pop');
    pop.hidden = false;
    const r = anchor.getBoundingClientRect();
    const w = pop.offsetWidth;
    const left = Math.max(4, Math.min(r.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - w - 4));
    pop.style.left = `${left}px`;
    pop.style.top = `${r.bottom + window.scrollY + 6}px`;
  }

  function hidePop() {
    clearTimeout(hideTimer);
    $('pop').hidden = true;
  }

  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(() => {
      const pop = $('pop');
      if (!pop.matches(':hover') && !pop.contains(document.activeElement)) {
        const b = document.activeElement;
        if (!(b && b.classList && b.classList.contains('finding') && !b.classList.contains('demo'))) hidePop();
      }
    }, 300);
  }

  const buttons = () => Array.from($('marked').querySelectorAll('button.finding'));
  const indexOf = (el) => (el && el.dataset && el.dataset.i !== undefined ? Number(el.dataset.i) : -1);

  const marked = $('marked');
  marked.addEventListener('click', (e) => {
    const b = e.target.closest('button.finding');
    if (!b) return;
    const i = indexOf(b);
    toggle(i);
    showPop(i, b);
  });
  marked.addEventListener('mouseover', (e) => {
    const b = e.target.closest('button.finding');
    if (b) showPop(indexOf(b), b);
  });
  marked.addEventListener('mouseout', (e) => {
    if (e.target.closest('button.finding')) hideSoon();
  });
  marked.addEventListener('focusin', (e) => {
    const b = e.target.closest('button.finding');
    if (b) showPop(indexOf(b), b);
  });
  marked.addEventListener('focusout', () => hideSoon());
  marked.addEventListener('keydown', (e) => {
    const b = e.target.closest('button.finding');
    if (!b) return;
    const i = indexOf(b);
    const all = buttons();
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      e.preventDefault();
      const j = e.key === 'ArrowRight' ? Math.min(i + 1, all.length - 1) : Math.max(i - 1, 0);
      all[j].focus();
    } else if (/^[1-9]$/.test(e.key) && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      choose(i, Number(e.key) - 1);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      showPop(i, b);
      const first = $('pop').querySelector('button');
      if (first) first.focus();
    } else if (e.key === 'Escape') {
      hidePop();
    }
  });

  const pop = $('pop');
  pop.addEventListener('mouseover', () => clearTimeout(hideTimer));
  pop.addEventListener('mouseout', () => hideSoon());
  pop.addEventListener('focusout', () => hideSoon());
  pop.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' || e.key === 'ArrowUp') {
      e.preventDefault();
      const b = $('marked').querySelector(`[data-i="${active}"]`);
      if (b) b.focus();
      if (e.key === 'Escape') hidePop();
    }
  });
  $('pop-accept').addEventListener('click', () => {
    if (active < 0) return;
    const f = doc.findings[active];
    f.accepted = true;
    if (!f.choice) f.choice = f.suggestion;
    refresh(active);
  });
  $('pop-reject').addEventListener('click', () => {
    if (active < 0) return;
    doc.findings[active].accepted = false;
    refresh(active);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('pop').hidden) hidePop();
  });

  function setAll(accepted) {
    if (!doc) return;
    doc.findings.forEach((f) => {
      f.accepted = accepted;
      if (accepted && !f.choice) f.choice = f.suggestion;
    });
    buttons().forEach((b) => updateButton(b, doc.findings[indexOf(b)]));
    renderViews();
    if (!$('pop').hidden && active >= 0) fillPop(active);
  }
  $('accept-all').addEventListener('click', () => setAll(true));
  $('reject-all').addEventListener('click', () => setAll(false));

  // Tabs (WAI-ARIA pattern: arrows move between tabs).
  const tabs = () => Array.from(document.querySelectorAll('[role=tab]')).filter((t) => !t.hidden);
  function selectTab(t) {
    for (const x of document.querySelectorAll('[role=tab]')) {
      const on = x === t;
      x.setAttribute('aria-selected', on ? 'true' : 'false');
      x.tabIndex = on ? 0 : -1;
      $(x.getAttribute('aria-controls')).hidden = !on;
    }
    hidePop();
  }
  for (const t of document.querySelectorAll('[role=tab]')) {
    t.addEventListener('click', () => selectTab(t));
    t.addEventListener('keydown', (e) => {
      const list = tabs();
      const k = list.indexOf(t);
      let j = -1;
      if (e.key === 'ArrowRight') j = (k + 1) % list.length;
      else if (e.key === 'ArrowLeft') j = (k - 1 + list.length) % list.length;
      else if (e.key === 'Home') j = 0;
      else if (e.key === 'End') j = list.length - 1;
      if (j >= 0) {
        e.preventDefault();
        selectTab(list[j]);
        list[j].focus();
      }
    });
  }

  // Copy and download.
  $('copy').addEventListener('click', async () => {
    if (!doc) return;
    const text = restoredText();
    try {
      await navigator.clipboard.writeText(text);
      status('Restored text copied.');
    } catch (_) {
      const ta = document.createElement('textarea');
      ta.value = text;
      ta.setAttribute('readonly', '');
      ta.style.position = 'fixed';
      ta.style.opacity = '0';
      document.body.append(ta);
      ta.select();
      const ok = document.execCommand && document.execCommand('copy');
      ta.remove();
      status(ok ? 'Restored text copied.' : 'Copying is blocked here; select the text and copy it.', !ok);
    }
  });
  $('download').addEventListener('click', () => {
    if (!doc) return;
    const blob = new Blob([restoredText()], { type: 'text/plain;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    const base = (docName || 'text').replace(/\.[^.]*$/, '');
    a.download = `${base}.restored.txt`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });

  // Source comparison (only when the server has an index).
  async function compare(text) {
    try {
      const c = await postJSON('/v1/compare', { text });
      if (!c || typeof c.source_text !== 'string' || !doc || doc.text !== text) return;
      renderSource(text, c);
      $('tab-source').hidden = false;
    } catch (e) {
      if (e.status !== 501 && e.status !== 404) status(`Source comparison failed: ${e.message}`, true);
    }
  }

  function markRanges(text, ranges, cls) {
    const bytes = enc.encode(text);
    const frag = document.createDocumentFragment();
    let pos = 0;
    for (const [a, b] of ranges.slice().sort((x, y) => x[0] - y[0])) {
      if (a < pos || b > bytes.length) continue;
      frag.append(dec.decode(bytes.subarray(pos, a)));
      const m = document.createElement('mark');
      m.className = cls;
      m.textContent = dec.decode(bytes.subarray(a, b));
      frag.append(m);
      pos = b;
    }
    frag.append(dec.decode(bytes.subarray(pos)));
    return frag;
  }

  function renderSource(text, c) {
    const subs = Array.isArray(c.substitutions) ? c.substitutions : [];
    const id = c.title ? `${c.title} (${c.source})` : c.source;
    $('src-h').textContent = `Source: ${id}`;
    const parts = [`Matched source: ${id}`];
    if (typeof c.coverage === 'number') parts.push(`coverage ${pct(c.coverage)}`);
    if (typeof c.similarity === 'number') parts.push(`similarity ${pct(c.similarity)}`);
    parts.push(`${subs.length} substitution${subs.length === 1 ? '' : 's'}`);
    $('source-info').textContent = parts.join(', ');
    const a = $('src-this');
    a.textContent = '';
    a.append(markRanges(text, subs.map((s) => s.spun_bytes), 'sub'));
    const b = $('src-that');
    b.textContent = '';
    b.append(markRanges(c.source_text, subs.map((s) => s.source_bytes), 'sub'));
  }

  // Input: form, keyboard shortcut, file picker, drag and drop.
  $('form').addEventListener('submit', (e) => {
    e.preventDefault();
    check();
  });
  $('input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      check();
    }
  });
  $('input').addEventListener('input', () => {
    docName = '';
  });
  $('threshold').addEventListener('input', () => {
    $('thr-out').textContent = Number($('threshold').value).toFixed(2);
  });
  $('threshold').addEventListener('change', () => {
    if (lastResult && $('input').value === doc.text) check();
  });
  $('papers').addEventListener('change', () => {
    if (lastResult && $('input').value === doc.text) check();
  });

  async function loadFile(file) {
    if (!file) return;
    if (health && file.size > health.max_body) {
      status(`${file.name} is too large (the server accepts up to ${health.max_body} bytes).`, true);
      return;
    }
    const text = await file.text();
    $('input').value = text;
    docName = file.name;
    $('html').checked = /\.x?html?$/i.test(file.name) || /^\s*<(!doctype|html)/i.test(text);
    status(`Loaded ${file.name}.`);
    check();
  }
  $('file').addEventListener('change', (e) => loadFile(e.target.files[0]));
  const drop = $('drop');
  ['dragenter', 'dragover'].forEach((t) =>
    drop.addEventListener(t, (e) => {
      e.preventDefault();
      drop.classList.add('dragging');
    }),
  );
  ['dragleave', 'drop'].forEach((t) => drop.addEventListener(t, () => drop.classList.remove('dragging')));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) loadFile(f);
  });
})();
