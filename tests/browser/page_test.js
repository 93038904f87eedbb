#!/usr/bin/env node
// Real-browser test of mer serve's page (service/web): drives Debian's Chromium
// through puppeteer-core against a running `mer serve` and checks what a user
// would see and do: the dots on the map, a mood search, the track panel with
// its timeline, audio playback, search by example, an arc playlist.
//
//   node tests/browser/page_test.js BASE_URL AUDIO_FILE OUT_DIR
//
// BASE_URL    e.g. http://127.0.0.1:18080 (the server must already run)
// AUDIO_FILE  a file to upload to search by example (needs serve --model)
// OUT_DIR     receives page.png (whole page) and track.png (a track open)
// env CHROMIUM   the browser binary (default /usr/bin/chromium)
// env NODE_PATH  where puppeteer-core is: scripts/install-deps.sh --browser
//                puts it in ${BUILD_DIR:-build}/node/node_modules
//
// Prints `page_test: ok (...)` and exits 0, or `page_test: FAIL: <what>` and
// exits 1. Any console error or uncaught exception in the page is a failure.
'use strict';

const fs = require('fs');
const path = require('path');

function loadPuppeteer() {
  try {
    return require('puppeteer-core');
  } catch (_) {
    // NODE_PATH is read at start-up; this also covers a relative NODE_PATH.
    for (const dir of (process.env.NODE_PATH || '').split(path.delimiter).filter(Boolean)) {
      try {
        return require(path.resolve(dir, 'puppeteer-core'));
      } catch (_) { /* next */ }
    }
  }
  return null;
}

const STEP_MS = 20000;        // default wait for one step
const EXAMPLE_MS = 120000;    // by-example decodes and runs the model on 2 cores
const TOTAL_MS = 300000;

let browser = null;
async function fail(what) {
  console.log(`page_test: FAIL: ${what}`);
  if (browser) await browser.close().catch(() => {});
  process.exit(1);
}

// Waits for a selector or fails with a sentence saying what did not appear.
async function waitFor(page, selector, what, timeout = STEP_MS) {
  try {
    return await page.waitForSelector(selector, {timeout});
  } catch (_) {
    return fail(`${what} (no '${selector}' after ${timeout / 1000} s)`);
  }
}

// Polls fn in the page until it returns a truthy value.
async function waitUntil(page, fn, arg, what, timeout = STEP_MS) {
  try {
    const h = await page.waitForFunction(fn, {timeout, polling: 100}, arg);
    return await h.jsonValue();
  } catch (_) {
    return fail(`${what} (not within ${timeout / 1000} s)`);
  }
}

// In the page: counts #map pixels that carry each mood's hue (the mood
// colours come from style.css's --happy ... custom properties) and returns one
// pixel well inside a dot for clicking. Grid, axes and background are grey,
// so saturated pixels can only be dots; alpha blending keeps the hue.
function scanMapPixels() {
  const moods = ['happy', 'tense', 'sad', 'calm'];
  const hsv = (r, g, b) => {
    const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
    let h = 0;
    if (d) {
      if (max === r) h = ((g - b) / d) % 6;
      else if (max === g) h = (b - r) / d + 2;
      else h = (r - g) / d + 4;
      h = (h * 60 + 360) % 360;
    }
    return [h, max ? d / max : 0, max / 255];
  };
  const probe = document.createElement('canvas').getContext('2d');
  const hues = moods.map((m) => {
    probe.fillStyle = getComputedStyle(document.documentElement).getPropertyValue(`--${m}`).trim();
    probe.fillRect(0, 0, 1, 1);
    const [r, g, b] = probe.getImageData(0, 0, 1, 1).data;
    return hsv(r, g, b)[0];
  });
  const c = document.querySelector('#map');
  const {width: w, height: h} = c;
  const data = c.getContext('2d').getImageData(0, 0, w, h).data;
  const moodAt = (x, y) => {
    const o = (y * w + x) * 4;
    const [hh, s, v] = hsv(data[o], data[o + 1], data[o + 2]);
    if (s < 0.4 || v < 0.3) return -1;
    for (let m = 0; m < 4; m++) {
      const dh = Math.abs(hh - hues[m]);
      if (Math.min(dh, 360 - dh) < 18) return m;
    }
    return -1;
  };
  const counts = [0, 0, 0, 0];
  let target = null;
  for (let y = 2; y < h - 2; y++) {
    for (let x = 2; x < w - 2; x++) {
      const m = moodAt(x, y);
      if (m < 0) continue;
      counts[m]++;
      // A pixel whose 2-px neighbourhood is the same mood is inside a dot.
      if (!target && moodAt(x - 2, y) === m && moodAt(x + 2, y) === m &&
          moodAt(x, y - 2) === m && moodAt(x, y + 2) === m) {
        const r = c.getBoundingClientRect();
        target = {x: r.left + (x / w) * r.width, y: r.top + (y / h) * r.height, mood: moods[m]};
      }
    }
  }
  return {counts: Object.fromEntries(moods.map((m, k) => [m, counts[k]])), target};
}

async function main() {
  const [baseArg, audioFile, outDir] = process.argv.slice(2);
  if (!baseArg || !audioFile || !outDir) {
    console.log('usage: node tests/browser/page_test.js BASE_URL AUDIO_FILE OUT_DIR');
    process.exit(2);
  }
  const base = baseArg.replace(/\/+$/, '');
  if (!fs.existsSync(audioFile)) return fail(`no audio file ${audioFile}`);
  fs.mkdirSync(outDir, {recursive: true});
  const puppeteer = loadPuppeteer();
  if (!puppeteer) {
    return fail('cannot load puppeteer-core: run scripts/install-deps.sh --browser and set ' +
                'NODE_PATH=${BUILD_DIR:-build}/node/node_modules');
  }
  setTimeout(() => fail(`the whole test took over ${TOTAL_MS / 1000} s`), TOTAL_MS).unref();

  let stats;
  try {
    const res = await fetch(`${base}/api/v1/stats`);
    stats = await res.json();
    if (!res.ok) return fail(`GET /api/v1/stats: ${res.status} ${JSON.stringify(stats)}`);
  } catch (e) {
    return fail(`GET ${base}/api/v1/stats: ${e.message} (is mer serve running?)`);
  }
  if (!(stats.tracks > 0)) return fail(`the index has no tracks (stats ${JSON.stringify(stats)})`);

  const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
  try {
    browser = await puppeteer.launch({executablePath, headless: true,
                                      args: ['--no-sandbox', '--disable-gpu']});
  } catch (e) {
    return fail(`cannot start ${executablePath}: ${e.message.split('\n')[0]}`);
  }
  const page = await browser.newPage();
  await page.setViewport({width: 1400, height: 900});
  const pageErrors = [];
  page.on('console', (m) => {
    if (m.type() === 'error') {
      const loc = m.location() && m.location().url ? ` [${m.location().url}]` : '';
      pageErrors.push(`console error: ${m.text()}${loc}`);
    }
  });
  page.on('pageerror', (e) => pageErrors.push(`page error: ${e.message}`));
  const checkErrors = (when) => {
    if (pageErrors.length) return fail(`${when}: ${pageErrors[0]}` +
                                       (pageErrors.length > 1 ? ` (+${pageErrors.length - 1} more)` : ''));
  };

  // 1. The map: one dot per track, in at least two mood colours.
  try {
    await page.goto(`${base}/`, {waitUntil: 'load', timeout: STEP_MS});
  } catch (e) {
    return fail(`cannot load ${base}/: ${e.message}`);
  }
  await waitFor(page, '#map[data-dots]', 'the map never drew its dots', 60000);
  // Let the first frames settle (the sidebar layout can resize the map once).
  await new Promise((r) => setTimeout(r, 300));
  const dots = await page.$eval('#map', (c) => +c.dataset.dots);
  if (dots !== stats.tracks) return fail(`the map drew ${dots} dots, /api/v1/stats says ${stats.tracks} tracks`);
  const scan = await page.evaluate(scanMapPixels);
  const per = stats.per_quadrant || {};
  const moodsWithTracks = Object.keys(per).filter((m) => per[m] > 0);
  const coloured = Object.keys(scan.counts).filter((m) => scan.counts[m] >= 4);
  const needColours = Math.min(2, moodsWithTracks.length);
  if (coloured.length < needColours) {
    return fail(`the map shows ${coloured.length} mood colour(s) (pixels ${JSON.stringify(scan.counts)}), ` +
                `want ${needColours}`);
  }
  checkErrors('loading the page');

  // 2. Hovering a dot shows its id, clicking it opens the track panel.
  if (!scan.target) return fail('no pixel well inside a dot to click');
  await page.mouse.move(scan.target.x, scan.target.y);
  const tip = await waitUntil(page, () => {
    const t = document.querySelector('#tooltip');
    return t && !t.hidden && t.textContent;
  }, null, 'hovering a dot shows no tooltip');
  await page.mouse.click(scan.target.x, scan.target.y);
  const dotId = await waitUntil(page, () => {
    const p = document.querySelector('#track');
    return p && !p.hidden && document.querySelector('#track-id').textContent;
  }, null, 'clicking a dot opens no track panel');
  if (!tip.includes(dotId)) return fail(`the tooltip '${tip}' does not name the clicked track '${dotId}'`);

  // 3. The mood with the most tracks: its button lists tracks of that mood.
  const mood = moodsWithTracks.sort((a, b) => per[b] - per[a])[0];
  await page.click(`.mood[data-mood="${mood}"]`);
  await waitFor(page, '#results li[data-id]', `the ${mood} button lists no results`);
  const got = await page.$$eval('#results li[data-id]', (lis) => lis.map((li) => ({id: li.dataset.id, mood: li.dataset.mood})));
  const wrong = got.find((r) => r.mood !== mood);
  if (wrong) return fail(`the ${mood} search lists '${wrong.id}' as ${wrong.mood}`);

  // 4. The first result opens in the track panel with its timeline.
  await page.click('#results li[data-id]');
  await waitUntil(page, (id) => document.querySelector('#track-id').textContent === id,
                  got[0].id, `clicking result '${got[0].id}' does not show it in #track`);
  const points = await page.$eval('#track-time', (c) => +(c.dataset.points || 0));
  if (!(points > 0)) return fail(`track '${got[0].id}' shows no timeline`);
  await new Promise((r) => setTimeout(r, 300));  // the map re-fits to the narrower space
  await page.screenshot({path: path.join(outDir, 'track.png')});

  // 5. Play: the audio element loads the stream without a media error.
  await page.click('#play');
  await page.evaluate(() => document.querySelector('#audio').play().catch(() => {}));
  const audio = await waitUntil(page, () => {
    const a = document.querySelector('#audio');
    if (a.error) return {error: a.error.code, message: a.error.message};
    return a.readyState >= 2 || a.currentTime > 0 ? {readyState: a.readyState, t: a.currentTime} : null;
  }, null, `the audio of '${got[0].id}' never loaded`);
  if (audio.error) return fail(`the audio of '${got[0].id}' fails: media error ${audio.error} ${audio.message}`);
  await page.evaluate(() => document.querySelector('#audio').pause());
  checkErrors('opening and playing a track');

  // 6. Search by example: upload the file, see the clip's mood and hits.
  if (stats.by_example === false) return fail('/api/v1/stats says by_example is off: start mer serve with --model');
  const input = await waitFor(page, '#drop-input', 'no file input for search by example');
  await input.uploadFile(path.resolve(audioFile));
  const example = await waitUntil(page, () => {
    const err = document.querySelector('#example .error');
    if (err) return {error: err.textContent};
    const m = document.querySelector('#example-mood');
    // Hits by embedding, or by V-A distance when the index has no embeddings.
    const n = document.querySelectorAll('#example-results li, #example-nearest li').length;
    return m && n ? {mood: m.dataset.mood, n} : null;
  }, null, `search by example with ${path.basename(audioFile)} shows no answer`, EXAMPLE_MS);
  if (example.error) return fail(`search by example: ${example.error}`);
  if (!['happy', 'tense', 'sad', 'calm'].includes(example.mood)) {
    return fail(`search by example shows mood '${example.mood}'`);
  }

  // 7. An arc of two waypoints makes a playlist.
  await page.click('#arc-mode');
  const box = await (await page.$('#map')).boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const r = Math.min(box.width, box.height) * 0.3;
  await page.mouse.click(cx - r, cy + r);   // low valence, low arousal
  await page.mouse.click(cx + r, cy - r);   // high valence, high arousal
  await page.click('#arc-make');
  const arc = await waitUntil(page, () => {
    const err = document.querySelector('#arc-head .error');
    if (err) return {error: err.textContent};
    const n = document.querySelectorAll('#playlist li').length;
    return n ? {n} : null;
  }, null, 'the arc playlist never appeared');
  if (arc.error) return fail(`arc playlist: ${arc.error}`);
  await page.click('#arc-mode');  // leave arc mode

  await new Promise((r) => setTimeout(r, 200));
  await page.screenshot({path: path.join(outDir, 'page.png'), fullPage: true});
  checkErrors('the whole session');
  await browser.close();
  console.log(`page_test: ok (${dots} dots in ${coloured.length} mood colours, ${got.length} ${mood} results, ` +
              `timeline ${points} segments, audio readyState ${audio.readyState}, ` +
              `by-example ${example.mood} with ${example.n} hits, arc ${arc.n} tracks)`);
  process.exit(0);
}

main().catch((e) => fail(`unexpected: ${e.stack || e}`));
