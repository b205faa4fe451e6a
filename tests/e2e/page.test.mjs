// End-to-end test of the unspin page in headless Chromium (Debian's `chromium`, driven by
// playwright-core): starts `unspin serve`, pastes a spun paragraph, checks that the findings are
// highlighted, that accept/reject work from the keyboard, that the restored and diff views show
// the restored text, that nothing is loaded from other hosts, that text contrast is at least
// 4.5:1 and that the page fits a narrow screen.
//
// Environment: UNSPIN_BIN (the binary), UNSPIN_MODEL_DIR (a model directory; with the tiny test
// model, UNSPIN_TINY=1, the exact findings are known), UNSPIN_INDEX_DIR (an index: then the
// source view is checked too; E2E_SPUN is a file with a spun copy of an indexed document, pasted
// after the tiny text), CHROMIUM (default /usr/bin/chromium), SCREENSHOT (write a screenshot of
// the page with findings there), E2E_TEXT (a file with the text to paste instead).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const bin = process.env.UNSPIN_BIN || '../../target/debug/unspin';
const modelDir = process.env.UNSPIN_MODEL_DIR;
const tiny = process.env.UNSPIN_TINY === '1';
const TINY_TEXT = 'the cat sat on the carpet .\nthe feline sat on the rug .\nthe dog lay on the mat .\n';
const TINY_RESTORED = 'the cat sat on the mat .\nthe cat sat on the mat .\nthe dog lay on the mat .\n';
const indexDir = process.env.UNSPIN_INDEX_DIR;
const spun = process.env.E2E_SPUN ? readFileSync(process.env.E2E_SPUN, 'utf8') : '';
const text = process.env.E2E_TEXT ? readFileSync(process.env.E2E_TEXT, 'utf8') : TINY_TEXT + (spun ? `\n${spun}\n` : '');

function startServer() {
  const args = ['serve', '--addr', '127.0.0.1:0'];
  if (modelDir) args.push('--model', modelDir);
  if (indexDir) args.push('--index', indexDir);
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 120_000);
    child.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/listening on (http:\/\/[^/\s]+)\//);
      if (m) {
        clearTimeout(timer);
        resolve({ child, base: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}):\n${log}`)));
  });
}

// WCAG contrast of every visible text element against its effective background.
function contrastReport() {
  const parse = (c) => {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  };
  const lum = ({ r, g, b }) => {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bgOf = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0.5) return c;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  };
  const bad = [];
  let checked = 0;
  for (const el of document.querySelectorAll('body *')) {
    if (!el.offsetParent && el.tagName !== 'BODY') continue;
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const st = getComputedStyle(el);
    if (st.visibility === 'hidden' || Number(st.opacity) < 1) continue;
    const fg = parse(st.color);
    const bg = bgOf(el);
    const l1 = lum(fg);
    const l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    checked++;
    if (ratio < 4.5) bad.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}": ${ratio.toFixed(2)}`);
  }
  return { checked, bad };
}

const { child, base } = await startServer();
let browser;
try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
  const page = await context.newPage();
  const foreign = [];
  const errors = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });

  await page.goto(`${base}/`);
  await page.getByLabel('Text to check').fill(text);
  // The Paper box follows the server's default (off here) and goes with each check.
  const paper = page.getByLabel('Paper');
  assert.equal(await paper.isChecked(), false, 'the Paper box follows the server default');
  const sent = [];
  page.on('request', (r) => {
    if (r.url().endsWith('/v1/check') && r.method() === 'POST') sent.push(JSON.parse(r.postData()).papers);
  });
  await paper.check();
  await page.getByRole('button', { name: /^Check/ }).click();
  await page.locator('#marked button.finding').first().waitFor({ timeout: 60_000 });
  await paper.uncheck(); // a change re-checks the text, without papers
  await page.waitForFunction(() => document.getElementById('go') && !document.getElementById('go').disabled);
  await page.getByRole('button', { name: /^Check/ }).click();
  await page.locator('#marked button.finding').first().waitFor({ timeout: 60_000 });
  assert.equal(sent[0], true, 'a check with the Paper box ticked sends papers: true');
  assert.equal(sent[sent.length - 1], false, 'and without it papers: false');

  // What the API says for the same text (the page must agree with it).
  const api = await (await fetch(`${base}/v1/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text, threshold: Number(await page.locator('#threshold').inputValue()) }),
  })).json();
  assert.ok(api.findings.length > 0, 'the API finds something in the spun text');

  const findings = page.locator('#marked button.finding');
  const n = await findings.count();
  assert.equal(n, api.findings.length, 'one highlight per finding');
  const shown = await findings.allTextContents();
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  const bytes = enc.encode(text);
  assert.deepEqual(shown, api.findings.map((f) => dec.decode(bytes.subarray(f.start, f.end))));
  if (tiny) {
    // the tiny text's own findings; the spun paragraph's source is in the index, so each of its
    // findings is restored from it and marked so on the page
    assert.deepEqual(shown.slice(0, 3), ['carpet', 'feline', 'rug']);
    assert.ok(api.findings.slice(0, 3).every((f) => !f.source), 'the tiny text has no source');
    if (spun) {
      assert.ok(api.findings.length > 3 && api.findings.slice(3).every((f) => f.source), 'the spun paragraph is restored from its source');
      const marked = await findings.evaluateAll((bs) => bs.map((b) => b.classList.contains('from-source')));
      assert.deepEqual(marked, api.findings.map((f) => Boolean(f.source)), 'findings from a source are marked');
    }
  }
  for (const cls of await findings.evaluateAll((bs) => bs.map((b) => b.className))) {
    assert.match(cls, /\bc-(high|mid|low)\b/, 'highlighted by confidence');
  }
  assert.match(await page.locator('#score').textContent(), /^\d\.\d\d$/);
  assert.equal(await page.locator('#marked').textContent(), text, 'the highlighted view shows the text as given');

  // Hover shows the suggested original and the alternatives.
  await findings.first().hover();
  await page.locator('#pop').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#pop-sugg').textContent(), api.findings[0].suggestion);
  assert.ok((await page.locator('#pop-alts button').count()) >= 1);

  // Restored view: the API's restored text.
  await page.getByRole('tab', { name: 'Restored' }).click();
  assert.equal(await page.locator('#restored').textContent(), api.restored);
  if (tiny) assert.ok(api.restored.startsWith(TINY_RESTORED), 'the tiny text restored');
  if (tiny && spun) assert.ok(!api.restored.includes('brilliant beam'), 'the spun paragraph restored from its source');

  // Copy and download give the restored text.
  await page.getByRole('button', { name: 'Copy restored text' }).click();
  await page.locator('#status', { hasText: 'copied' }).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), api.restored);
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download .txt' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'text.restored.txt');
  assert.equal(readFileSync(await download.path(), 'utf8'), api.restored);

  // Keyboard: Tab reaches a finding, Space rejects it, Enter accepts it again.
  await page.getByRole('tab', { name: 'Findings' }).click();
  await page.locator('#accept-all').focus();
  let reached = false;
  for (let i = 0; i < 12 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement.classList.contains('finding'));
  }
  assert.ok(reached, 'Tab reaches the findings');
  const focused = page.locator('#marked button.finding:focus');
  assert.equal(await focused.getAttribute('aria-pressed'), 'true');
  await page.keyboard.press('Space');
  assert.equal(await focused.getAttribute('aria-pressed'), 'false', 'Space rejects');
  const f0 = api.findings[0];
  const rejectedText = dec.decode(bytes.subarray(0, f0.end)) + api.restored.slice(
    (dec.decode(bytes.subarray(0, f0.start)) + f0.suggestion).length,
  );
  assert.equal(await page.locator('#restored').textContent(), rejectedText, 'a rejected finding keeps the spun text');
  await page.keyboard.press('Enter');
  assert.equal(await focused.getAttribute('aria-pressed'), 'true', 'Enter accepts');
  // ↓ moves into the choices, Escape comes back; a digit picks an original.
  await page.keyboard.press('ArrowDown');
  assert.ok(await page.evaluate(() => document.getElementById('pop').contains(document.activeElement)), '↓ opens the choices');
  await page.keyboard.press('Escape');
  assert.ok(await page.evaluate(() => document.activeElement.classList.contains('finding')), 'Escape returns to the finding');
  const opts = [f0.suggestion, ...f0.alternatives.filter((a) => a !== f0.suggestion)];
  if (opts.length > 1) {
    await page.keyboard.press('2');
    assert.ok((await page.locator('#restored').textContent()).startsWith(dec.decode(bytes.subarray(0, f0.start)) + opts[1]), '2 picks the second original');
    await page.keyboard.press('1');
  }
  assert.equal(await page.locator('#restored').textContent(), api.restored);
  await page.keyboard.press('ArrowRight');
  if (n > 1) assert.equal(await page.evaluate(() => document.activeElement.dataset.i), '1', '→ moves to the next finding');

  // Diff view: every accepted finding as a deletion and an insertion.
  await page.getByRole('tab', { name: 'Diff' }).click();
  assert.equal(await page.locator('#diff del').count(), api.findings.filter((f) => f.text !== f.suggestion).length);
  assert.equal(await page.locator('#diff ins').first().textContent(), api.findings[0].suggestion);
  await page.getByRole('tab', { name: 'Findings' }).click();

  // With an index: the matched source side by side, substitutions highlighted on both sides.
  if (indexDir && spun) {
    await page.locator('#tab-source:not([hidden])').waitFor({ timeout: 30_000 });
    await page.getByRole('tab', { name: 'Source' }).click();
    const mine = await page.locator('#src-this mark.sub').allTextContents();
    const theirs = await page.locator('#src-that mark.sub').allTextContents();
    assert.ok(mine.length >= 5 && mine.length === theirs.length, `substitutions: ${mine} / ${theirs}`);
    assert.ok(mine.includes('brilliant') && theirs.includes('bright'), `${mine} / ${theirs}`);
    assert.match(await page.locator('#source-info').textContent(), /lighthouse/);
    const contrastSrc = await page.evaluate(contrastReport);
    assert.deepEqual(contrastSrc.bad, [], 'source view contrast at least 4.5:1');
    await page.getByRole('tab', { name: 'Findings' }).click();
  }

  if (!indexDir) assert.ok(await page.locator('#tab-source').isHidden(), 'no source view without an index');

  // Contrast and self-containedness.
  await page.mouse.move(0, 0);
  const contrast = await page.evaluate(contrastReport);
  assert.ok(contrast.checked > 10, 'contrast was measured');
  assert.deepEqual(contrast.bad, [], 'text contrast at least 4.5:1');
  assert.deepEqual(foreign, [], 'nothing is loaded from other hosts');
  assert.deepEqual(errors, [], 'no script errors');

  if (process.env.SCREENSHOT) {
    await findings.nth(n - 1).hover();
    await page.locator('#pop').waitFor({ state: 'visible' });
    await page.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  }

  // Opening a file checks it at once and names the download after it.
  await page.evaluate(() => {
    document.getElementById('status').textContent = '';
    document.getElementById('marked').textContent = '';
  });
  await page.locator('#file').setInputFiles({ name: 'draft.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await page.locator('#status', { hasText: 'Done' }).waitFor();
  assert.equal(await page.locator('#marked button.finding').count(), n);
  assert.equal(await page.locator('#input').inputValue(), text);
  await page.getByRole('tab', { name: 'Restored' }).click();
  const [download2] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download .txt' }).click(),
  ]);
  assert.equal(download2.suggestedFilename(), 'draft.restored.txt');
  await page.getByRole('tab', { name: 'Findings' }).click();

  // Dropping a file does the same.
  await page.locator('#input').fill('');
  await page.evaluate((t) => {
    document.getElementById('status').textContent = '';
    document.getElementById('marked').textContent = '';
    const dt = new DataTransfer();
    dt.items.add(new File([t], 'dropped.txt', { type: 'text/plain' }));
    const drop = document.getElementById('drop');
    drop.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    drop.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, text);
  await page.locator('#status', { hasText: 'Done' }).waitFor();
  assert.equal(await page.locator('#input').inputValue(), text);
  assert.equal(await page.locator('#marked button.finding').count(), n);

  // Narrow screen: nothing wider than the viewport.
  await page.setViewportSize({ width: 360, height: 740 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than a narrow screen`);

  // Bad input is reported, not thrown: an empty text.
  await page.getByLabel('Text to check').fill('');
  await page.getByRole('button', { name: /^Check/ }).click();
  assert.match(await page.locator('#status').textContent(), /first/);

  console.log(`e2e: ok (${n} findings highlighted, ${contrast.checked} text elements contrast-checked)`);
} finally {
  if (browser) await browser.close();
  child.kill('SIGTERM');
}
