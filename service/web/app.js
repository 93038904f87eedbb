// mer serve's page: the emotion map of one catalogue and the searches on it.
// Plain JS, no build step, no libraries. Everything comes from /api/v1
// (contract: notes/api.md). Layout of this file:
//   1. helpers (DOM, formatting, API calls, errors)
//   2. the map: points, view transform, drawing (base canvas + overlay), input
//   3. sidebar features: search, by-example, arc playlist, themes
//   4. the track panel (timeline, player, "more like this")
//   5. start-up
//
// The map is two stacked canvases. #map holds the plane and the dots only,
// redrawn on pan/zoom/resize: dots are grouped by mood and confidence (16
// batches); up to 3000 are canvas arcs, more are stamped straight into an
// ImageData (100 000 in ~15 ms). #overlay holds everything that changes
// often: hover, highlights, the open track's timeline, the arc, the box,
// quadrant labels. Both redraw in one requestAnimationFrame callback.
'use strict';

(() => {
  // ==== 1. helpers ==========================================================

  const MOODS = ['happy', 'tense', 'sad', 'calm'];  // index = /points "mood" value
  const rootStyle = getComputedStyle(document.documentElement);
  const MOOD_COLOR = MOODS.map((m) => rootStyle.getPropertyValue(`--${m}`).trim());
  const ACCENT = rootStyle.getPropertyValue('--accent').trim();
  const MAP_BG = rootStyle.getPropertyValue('--map-bg').trim();
  const VALENCE_COLOR = '#f2f4f8';
  const AROUSAL_COLOR = '#a78bfa';

  const $ = (sel) => document.querySelector(sel);
  const moodIndex = (m) => MOODS.indexOf(m);
  const moodColor = (m) => MOOD_COLOR[typeof m === 'number' ? m : moodIndex(m)] || '#888';
  const basename = (id) => String(id).split('/').pop();
  const fmt = (x, d = 2) => (x == null || Number.isNaN(+x) ? '–' : (+x).toFixed(d));
  const pct = (x) => (x == null ? '–' : `${Math.round(x * 100)}%`);
  const trackUrl = (id) => `/api/v1/tracks/${encodeURIComponent(id)}`;
  const clamp = (x, lo, hi) => Math.max(lo, Math.min(hi, x));

  function fmtTime(s) {
    if (!Number.isFinite(s)) return '–:––';
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const ss = String(s % 60).padStart(2, '0');
    return h ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
  }

  // el('li', {class: 'x', dataset: {id}}, child, 'text') — small DOM builder.
  function el(tag, attrs = {}, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v == null || v === false) continue;
      if (k === 'dataset') Object.assign(e.dataset, v);
      else if (k === 'style') e.style.cssText = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat()) if (c != null) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  class ApiError extends Error {}

  // fetch() that turns {"error": "..."} answers and network faults into
  // ApiError with a readable message. raw: return the Response (for blobs).
  async function api(path, {method = 'GET', json, body, headers = {}, raw = false} = {}) {
    const init = {method, headers: {...headers}};
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers['Content-Type'] = 'application/json';
    } else if (body !== undefined) {
      init.body = body;
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      throw new ApiError(`${method} ${path}: the server did not answer (${e.message})`);
    }
    if (!res.ok) {
      let msg = `${res.status} ${res.statusText}`;
      try {
        const j = await res.json();
        if (j && j.error) msg = `${j.error} (${res.status})`;
      } catch (_) { /* not JSON: keep the status line */ }
      throw new ApiError(msg);
    }
    if (raw) return res;
    try {
      return await res.json();
    } catch (e) {
      throw new ApiError(`${method} ${path}: the answer is not JSON`);
    }
  }

  let toastTimer = 0;
  function toast(msg) {
    const t = $('#toast');
    t.textContent = msg;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 7000);
  }
  $('#toast').addEventListener('click', () => { $('#toast').hidden = true; });

  // Shows an error inside a section (replacing its content) and as a toast.
  function showError(container, err, what) {
    const msg = `${what}: ${err instanceof ApiError ? err.message : err}`;
    container.replaceChildren(el('div', {class: 'error'}, msg));
    toast(msg);
  }

  // A list item for one track (search hit, example hit, theme member).
  function trackItem(hit, {why = true} = {}) {
    const li = el('li', {dataset: {id: hit.track_id, mood: hit.mood}, title: hit.track_id},
      el('span', {class: 'sw', style: `--c:${moodColor(hit.mood)}`}),
      el('span', {class: 't-title'}, basename(hit.track_id)),
      el('span', {class: 't-nums'},
        `${hit.mood || ''}  V ${fmt(hit.valence)}  A ${fmt(hit.arousal)}` +
        (hit.confidence != null ? `  ${pct(hit.confidence)}` : '')));
    if (why && hit.why != null && hit.why !== '') {
      const text = typeof hit.why === 'object'
        ? Object.entries(hit.why).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join(', ')
        : String(hit.why);
      li.append(el('span', {class: 't-why'}, text));
    }
    return li;
  }

  // Lists of tracks open the track on click and light it on the map on hover.
  function wireTrackList(list) {
    list.addEventListener('click', (e) => {
      const li = e.target.closest('[data-id]');
      if (li) openTrack(li.dataset.id);
    });
    list.addEventListener('mouseover', (e) => {
      const li = e.target.closest('[data-id]');
      S.hoverIdx = li ? indexOf(li.dataset.id) : -1;
      requestDraw(false);
    });
    list.addEventListener('mouseleave', () => { S.hoverIdx = -1; requestDraw(false); });
  }

  // ==== 2. the map ==========================================================

  const mapCanvas = $('#map');
  const overlay = $('#overlay');
  const mapCtx = mapCanvas.getContext('2d', {alpha: false});
  const ovCtx = overlay.getContext('2d');
  const wrap = $('#map-wrap');

  // All page state in one place.
  const S = {
    pts: null,        // {n, ids, v, a, conf (Float32Array), mood (Uint8Array), byId: Map}
    batches: [],      // 16 Int32Array of point indices: mood * 4 + confidence bucket
    grid: null,       // spatial hash for picking, see buildGrid
    W: 0, H: 0, dpr: 1,  // map size in CSS px, device pixel ratio
    img: null, buf: null,  // #map's pixels (ImageData) and a Uint32 view of them
    view: {cx: 0, cy: 0, scale: 1, fitted: true},  // scale: CSS px per unit of V/A
    fitScale: 1,
    hoverIdx: -1,     // dot under the mouse or list item under the mouse
    highlight: [],    // indices of the search results shown
    themeHi: null,    // indices of the hovered theme's tracks
    box: null,        // {v: [lo, hi], a: [lo, hi]} being dragged or set by sliders
    track: null,      // the open /tracks/{id} answer
    example: null,    // the last by-example clip
    exampleHi: [],    // indices of the by-example results
    arcMode: false,
    boxTool: false,
    waypoints: [],    // [[v, a], ...] set by clicks in arc mode
    arc: null,        // the last /playlists/arc answer
    query: null,      // the last search body (without cursor) and its label
    next: null,       // its "next" cursor
  };

  const indexOf = (id) => (S.pts ? S.pts.byId.get(id) ?? -1 : -1);
  const idsToIndices = (ids) => ids.map(indexOf).filter((i) => i >= 0);

  // ---- points --------------------------------------------------------------

  function setPoints(p) {
    const n = p.ids.length;
    const pts = {
      n, ids: p.ids, byId: new Map(),
      v: Float32Array.from(p.valence), a: Float32Array.from(p.arousal),
      conf: Float32Array.from(p.confidence), mood: Uint8Array.from(p.mood),
    };
    for (let i = 0; i < n; i++) pts.byId.set(p.ids[i], i);
    S.pts = pts;
    // Batches: one fill per (mood, confidence bucket).
    const counts = new Int32Array(16);
    const key = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      key[i] = (pts.mood[i] & 3) * 4 + confBucket(pts.conf[i]);
      counts[key[i]]++;
    }
    S.batches = Array.from(counts, (c) => new Int32Array(c));
    const fill = new Int32Array(16);
    for (let i = 0; i < n; i++) S.batches[key[i]][fill[key[i]]++] = i;
    buildGrid();
    renderLegend();
  }

  const confBucket = (c) => (c < 0.4 ? 0 : c < 0.6 ? 1 : c < 0.8 ? 2 : 3);
  const BUCKET_SCALE = [0.55, 0.8, 1.05, 1.3];

  // Dot radius in CSS px for bucket b: smaller when the catalogue is large,
  // a little larger when zoomed in.
  function dotRadius(b) {
    const n = S.pts ? S.pts.n : 1;
    const base = clamp(6.3 - 1.05 * Math.log10(Math.max(n, 1)), 1.1, 5);
    const zoom = clamp(Math.sqrt(S.view.scale / S.fitScale), 1, 3);
    return base * zoom * BUCKET_SCALE[b];
  }

  // A uniform grid over the plane (CSR layout) so that picking the dot under
  // the mouse looks at a few cells, not 100 000 points.
  const GRID = 128, GRID_LO = -1.05, GRID_SPAN = 2.1;
  const gridCell = (x) => clamp(Math.floor(((x - GRID_LO) / GRID_SPAN) * GRID), 0, GRID - 1);

  function buildGrid() {
    const {n, v, a} = S.pts;
    const start = new Int32Array(GRID * GRID + 1);
    const cell = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      cell[i] = gridCell(a[i]) * GRID + gridCell(v[i]);
      start[cell[i] + 1]++;
    }
    for (let c = 0; c < GRID * GRID; c++) start[c + 1] += start[c];
    const items = new Int32Array(n);
    const fill = start.slice(0, GRID * GRID);
    for (let i = 0; i < n; i++) items[fill[cell[i]]++] = i;
    S.grid = {start, items};
  }

  // The index of the dot nearest to screen point (x, y) within maxPx, or -1.
  function pick(x, y, maxPx = 7) {
    if (!S.pts || !S.pts.n) return -1;
    const [wv, wa] = toWorld(x, y);
    const r = maxPx / S.view.scale;
    const c0 = gridCell(wv - r), c1 = gridCell(wv + r);
    const r0 = gridCell(wa - r), r1 = gridCell(wa + r);
    const {start, items} = S.grid;
    let best = -1, bestD = Infinity;
    for (let row = r0; row <= r1; row++) {
      for (let col = c0; col <= c1; col++) {
        const c = row * GRID + col;
        for (let k = start[c]; k < start[c + 1]; k++) {
          const i = items[k];
          const [sx, sy] = toScreen(S.pts.v[i], S.pts.a[i]);
          const d = (sx - x) ** 2 + (sy - y) ** 2;
          if (d < bestD) { bestD = d; best = i; }
        }
      }
    }
    const reach = Math.max(maxPx, best >= 0 ? dotRadius(confBucket(S.pts.conf[best])) + 2 : 0);
    return bestD <= reach * reach ? best : -1;
  }

  // ---- view transform ------------------------------------------------------

  const toScreen = (v, a) => [S.W / 2 + (v - S.view.cx) * S.view.scale,
                              S.H / 2 - (a - S.view.cy) * S.view.scale];
  const toWorld = (x, y) => [S.view.cx + (x - S.W / 2) / S.view.scale,
                             S.view.cy - (y - S.H / 2) / S.view.scale];

  function fitView() {
    S.fitScale = Math.max(10, (Math.min(S.W, S.H) - 40) / 2.2);
    S.view = {cx: 0, cy: 0, scale: S.fitScale, fitted: true};
  }

  function resize() {
    const r = wrap.getBoundingClientRect();
    S.dpr = window.devicePixelRatio || 1;
    S.W = Math.max(1, Math.round(r.width));
    S.H = Math.max(1, Math.round(r.height));
    for (const c of [mapCanvas, overlay]) {
      c.width = Math.round(S.W * S.dpr);
      c.height = Math.round(S.H * S.dpr);
    }
    if (S.view.fitted) {
      fitView();
    } else {  // keep the centre and zoom relative to the new fit
      const rel = S.view.scale / S.fitScale;
      S.fitScale = Math.max(10, (Math.min(S.W, S.H) - 40) / 2.2);
      S.view.scale = S.fitScale * rel;
    }
    // Resizing cleared both canvases; ResizeObserver runs before paint, so
    // drawing now (not in the next frame) shows no blank frame.
    needMap = true;
    if (rafId) cancelAnimationFrame(rafId);
    frame();
  }
  new ResizeObserver(resize).observe(wrap);

  // ---- drawing -------------------------------------------------------------

  let needMap = false;
  let rafId = 0;
  function requestDraw(map = true) {
    needMap = needMap || map;
    if (!rafId) rafId = requestAnimationFrame(frame);
  }
  function frame() {
    rafId = 0;
    if (needMap) drawMap();
    needMap = false;
    drawOverlay();
  }

  // The plane (background, grid, axes) and the dots of big catalogues are
  // written straight into one reused ImageData: reading canvas pixels back
  // (getImageData) costs more than drawing 100 000 dots this way. Small
  // catalogues get canvas arcs on top; the text labels come last.
  function drawMap() {
    const ctx = mapCtx;
    const w = mapCanvas.width, h = mapCanvas.height;
    if (!S.img || S.img.width !== w || S.img.height !== h) {
      S.img = ctx.createImageData(w, h);
      S.buf = new Uint32Array(S.img.data.buffer);  // little-endian: 0xAABBGGRR
    }
    S.buf.fill(packRgb(MAP_BG));
    drawGridPixels();
    const pixels = S.pts && S.pts.n > PIXEL_PATH_MIN;
    let drawn = pixels ? drawDotsPixels() : 0;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.putImageData(S.img, 0, 0);
    ctx.setTransform(S.dpr, 0, 0, S.dpr, 0, 0);
    if (S.pts && !pixels) drawn = drawDotsPaths(ctx);
    drawAxisLabels(ctx);
    if (S.pts) mapCanvas.dataset.dots = String(drawn);
  }

  const GRID_COLOR = '#1b1f27', BORDER_COLOR = '#343a47', AXIS_COLOR = '#4a5263';

  // Grid every 0.25, the [-1, 1] square and the axes through 0, as pixel runs.
  function drawGridPixels() {
    const w = mapCanvas.width, h = mapCanvas.height, buf = S.buf;
    const lw = Math.max(1, Math.round(S.dpr));
    const dev = (v, a) => toScreen(v, a).map((t) => Math.round(t * S.dpr));
    const [x0, y0] = dev(-1, 1), [x1, y1] = dev(1, -1);  // top left, bottom right
    const hline = (y, color) => {
      const c = packRgb(color), xa = clamp(x0, 0, w), xb = clamp(x1 + lw, 0, w);
      for (let t = 0; t < lw; t++) if (y + t >= 0 && y + t < h) buf.fill(c, (y + t) * w + xa, (y + t) * w + xb);
    };
    const vline = (x, color) => {
      const c = packRgb(color), ya = clamp(y0, 0, h), yb = clamp(y1 + lw, 0, h);
      for (let t = 0; t < lw; t++) {
        if (x + t < 0 || x + t >= w) continue;
        for (let y = ya; y < yb; y++) buf[y * w + x + t] = c;
      }
    };
    for (const t of [-0.75, -0.5, -0.25, 0.25, 0.5, 0.75]) {
      const [gx, gy] = dev(t, t);
      vline(gx, GRID_COLOR);
      hline(gy, GRID_COLOR);
    }
    hline(y0, BORDER_COLOR); hline(y1, BORDER_COLOR);
    vline(x0, BORDER_COLOR); vline(x1, BORDER_COLOR);
    const [zx, zy] = dev(0, 0);
    hline(zy, AXIS_COLOR);
    vline(zx, AXIS_COLOR);
  }

  // Small catalogues: one path and one fill per batch, off-screen points
  // skipped. Canvas paths cost ~2 us an arc in software, too slow for 100 000.
  function drawDotsPaths(ctx) {
    const {v, a} = S.pts;
    const {cx, cy, scale} = S.view;
    const ox = S.W / 2, oy = S.H / 2;
    ctx.globalAlpha = 0.92;
    let drawn = 0;
    for (let b = 0; b < 16; b++) {
      const idx = S.batches[b];
      if (!idx.length) continue;
      const r = dotRadius(b & 3);
      ctx.fillStyle = MOOD_COLOR[b >> 2];
      ctx.beginPath();
      for (let k = 0; k < idx.length; k++) {
        const i = idx[k];
        const x = ox + (v[i] - cx) * scale;
        const y = oy - (a[i] - cy) * scale;
        if (x < -r || y < -r || x > S.W + r || y > S.H + r) continue;
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        drawn++;
      }
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    return drawn;
  }

  const PIXEL_PATH_MIN = 3000;
  const DOT_ALPHA = 0.75;

  // Large catalogues: stamp anti-aliased discs into S.buf with integer alpha
  // blending, about 10 ms for 100 000 dots.
  function drawDotsPixels() {
    const w = mapCanvas.width, h = mapCanvas.height, dpr = S.dpr, buf = S.buf;
    const {v, a} = S.pts;
    const {cx, cy, scale} = S.view;
    const ox = (S.W / 2) * dpr, oy = (S.H / 2) * dpr, sc = scale * dpr;
    let drawn = 0;
    for (let b = 0; b < 16; b++) {
      const idx = S.batches[b];
      if (!idx.length) continue;
      const [cr, cg, cb] = rgbOf(MOOD_COLOR[b >> 2]);
      const st = discStamp(dotRadius(b & 3) * dpr);
      const R = st.R, n = st.dx.length;
      for (let k = 0; k < idx.length; k++) {
        const i = idx[k];
        const x = Math.round(ox + (v[i] - cx) * sc);
        const y = Math.round(oy - (a[i] - cy) * sc);
        if (x < -R || y < -R || x >= w + R || y >= h + R) continue;
        const inside = x >= R && y >= R && x < w - R && y < h - R;
        for (let j = 0; j < n; j++) {
          const px = x + st.dx[j], py = y + st.dy[j];
          if (!inside && (px < 0 || py < 0 || px >= w || py >= h)) continue;
          const o = py * w + px;
          const p = buf[o], al = st.a[j], ia = 256 - al;
          buf[o] = 0xff000000 |
            ((((p >>> 16) & 255) * ia + cb * al) >> 8) << 16 |
            ((((p >>> 8) & 255) * ia + cg * al) >> 8) << 8 |
            (((p & 255) * ia + cr * al) >> 8);
        }
        drawn++;
      }
    }
    return drawn;
  }

  // Pixel offsets of a disc of radius r (device px) with their alpha (0..256:
  // edge coverage times DOT_ALPHA), cached by radius.
  const stampCache = new Map();
  function discStamp(r) {
    const key = Math.round(r * 8);
    let st = stampCache.get(key);
    if (st) return st;
    r = Math.max(key / 8, 0.5);
    const R = Math.ceil(r + 0.5), dx = [], dy = [], al = [];
    for (let y = -R; y <= R; y++) {
      for (let x = -R; x <= R; x++) {
        const cover = clamp(r + 0.5 - Math.hypot(x, y), 0, 1);
        if (cover <= 0) continue;
        dx.push(x); dy.push(y); al.push(Math.round(cover * DOT_ALPHA * 256));
      }
    }
    st = {R, dx: Int32Array.from(dx), dy: Int32Array.from(dy), a: Int32Array.from(al)};
    stampCache.set(key, st);
    return st;
  }

  function rgbOf(color) {
    const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
    return m ? [1, 2, 3].map((k) => parseInt(m[k], 16)) : [136, 136, 136];
  }
  const packRgb = (color) => {
    const [r, g, b] = rgbOf(color);
    return (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;
  };

  // Tick labels and axis titles (drawn over the dots).
  function drawAxisLabels(ctx) {
    const [x1, y1] = toScreen(1, 1);
    const [zx, zy] = toScreen(0, 0);
    ctx.fillStyle = '#6b7384';
    ctx.font = '11px "DejaVu Sans", sans-serif';
    // Tick labels stay on screen when the plane is panned off it.
    const ly = clamp(zy + 4, 4, S.H - 16);
    const lx = clamp(zx - 5, 30, S.W - 4);
    ctx.textBaseline = 'top';
    ctx.textAlign = 'center';
    for (const t of [-1, -0.5, 0.5, 1]) ctx.fillText(String(t), toScreen(t, 0)[0], ly);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const t of [-1, -0.5, 0.5, 1]) ctx.fillText(String(t), lx, toScreen(0, t)[1]);
    ctx.fillStyle = '#8f96a6';
    ctx.font = '12px "DejaVu Sans", sans-serif';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'bottom';
    ctx.fillText('valence →', x1 - 4, zy - 4);
    ctx.save();
    ctx.translate(zx + 16, y1 + 4);
    ctx.rotate(-Math.PI / 2);
    ctx.textAlign = 'right';
    ctx.textBaseline = 'top';
    ctx.fillText('arousal →', 0, 0);
    ctx.restore();
  }

  function drawOverlay() {
    const ctx = ovCtx;
    ctx.setTransform(S.dpr, 0, 0, S.dpr, 0, 0);
    ctx.clearRect(0, 0, S.W, S.H);
    drawQuadrantLabels(ctx);
    if (!S.pts) return;
    if (S.box) drawBox(ctx, S.box);
    rings(ctx, S.highlight, '#ffffff', 0.6, 2.5, 1.2);
    if (S.themeHi) rings(ctx, S.themeHi, ACCENT, 1);
    rings(ctx, S.exampleHi, '#ffffff', 0.6, 2.5, 1.2);
    if (S.arc) drawArcPlaylist(ctx);
    drawWaypoints(ctx);
    if (S.example) drawExample(ctx);
    if (S.track) drawTrackTimeline(ctx);
    if (S.hoverIdx >= 0) rings(ctx, [S.hoverIdx], '#ffffff', 1, 3, 2);
    drawLabels(ctx);
  }

  function drawQuadrantLabels(ctx) {
    ctx.font = 'bold 15px "DejaVu Sans", sans-serif';
    ctx.globalAlpha = 0.8;
    const corner = [[1, 1, 'right', 'top'], [-1, 1, 'left', 'top'],
                    [-1, -1, 'left', 'bottom'], [1, -1, 'right', 'bottom']];
    corner.forEach(([v, a, align, base], m) => {
      const [x, y] = toScreen(v, a);
      ctx.fillStyle = MOOD_COLOR[m];
      ctx.textAlign = align;
      ctx.textBaseline = base;
      ctx.fillText(MOODS[m], x + (v > 0 ? -8 : 8), y + (a > 0 ? 8 : -8));
    });
    ctx.globalAlpha = 1;
  }

  // Rings around the dots of the given indices.
  function rings(ctx, indices, color, alpha, extra = 2.5, width = 1.5) {
    if (!indices || !indices.length) return;
    ctx.strokeStyle = color;
    ctx.globalAlpha = alpha;
    ctx.lineWidth = width;
    ctx.beginPath();
    for (const i of indices) {
      const [x, y] = toScreen(S.pts.v[i], S.pts.a[i]);
      const r = Math.max(dotRadius(confBucket(S.pts.conf[i])), 2) + extra;
      ctx.moveTo(x + r, y);
      ctx.arc(x, y, r, 0, 2 * Math.PI);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  function drawBox(ctx, box) {
    const [x0, y0] = toScreen(box.v[0], box.a[1]);
    const [x1, y1] = toScreen(box.v[1], box.a[0]);
    ctx.fillStyle = 'rgba(109, 143, 214, 0.10)';
    ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    ctx.setLineDash([5, 4]);
    ctx.strokeStyle = '#8fb0f0';
    ctx.lineWidth = 1;
    ctx.strokeRect(x0 + 0.5, y0 + 0.5, x1 - x0, y1 - y0);
    ctx.setLineDash([]);
  }

  function arrowHead(ctx, x0, y0, x1, y1, size) {
    const ang = Math.atan2(y1 - y0, x1 - x0);
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x1 - size * Math.cos(ang - 0.45), y1 - size * Math.sin(ang - 0.45));
    ctx.lineTo(x1 - size * Math.cos(ang + 0.45), y1 - size * Math.sin(ang + 0.45));
    ctx.closePath();
    ctx.fill();
  }

  // A polyline through V-A points with a ring at the start and an arrow at the
  // end (ends); with moods, the vertices are dots in their segment's colour.
  function drawPath(ctx, pts, color, {moods = null, width = 2, dash = null, ends = true} = {}) {
    if (!pts.length) return;
    const sp = pts.map(([v, a]) => toScreen(v, a));
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = width;
    ctx.lineJoin = 'round';
    if (dash) ctx.setLineDash(dash);
    ctx.beginPath();
    sp.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
    ctx.setLineDash([]);
    if (moods) {
      sp.forEach(([x, y], k) => {
        ctx.fillStyle = moodColor(moods[k]);
        ctx.beginPath();
        ctx.arc(x, y, 2.5, 0, 2 * Math.PI);
        ctx.fill();
      });
      ctx.fillStyle = color;
    }
    if (!ends) return;
    const [sx, sy] = sp[0];
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(sx, sy, 6, 0, 2 * Math.PI);
    ctx.stroke();
    if (sp.length > 1) {
      const [px, py] = sp[sp.length - 2];
      const [ex, ey] = sp[sp.length - 1];
      if (Math.hypot(ex - px, ey - py) > 0.5) arrowHead(ctx, px, py, ex, ey, 10);
    }
  }

  function drawTrackTimeline(ctx) {
    const tl = S.track.timeline || [];
    if (tl.length) {
      const raw = tl.map((s) => [s.valence, s.arousal]);
      const moods = tl.map((s) => s.mood);
      if (tl.length > SMOOTH_FROM) {
        // Many short segments zigzag: show them faintly, and the trend (a
        // moving average) as the path with its start ring and end arrow.
        ctx.globalAlpha = 0.35;
        drawPath(ctx, raw, '#ffffff', {moods, width: 1, ends: false});
        ctx.globalAlpha = 0.95;
        drawPath(ctx, smooth(raw), '#ffffff', {width: 2.2});
      } else {
        ctx.globalAlpha = 0.9;
        drawPath(ctx, raw, '#ffffff', {moods, width: 1.8});
      }
      ctx.globalAlpha = 1;
    }
    // The track itself: a thick ring and its title.
    const [x, y] = toScreen(S.track.valence, S.track.arousal);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(x, y, 9, 0, 2 * Math.PI);
    ctx.stroke();
    labels.push({text: S.track.title || basename(S.track.track_id), x, y});
    if (!tl.length) return;
    // Where the playback is now, interpolated between segment starts.
    const audio = $('#audio');
    if (audio.currentTime > 0) {
      const [v, a] = timelineAt(tl, audio.currentTime);
      const [x, y] = toScreen(v, a);
      ctx.fillStyle = '#ffffff';
      ctx.strokeStyle = MAP_BG;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, 6, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }

  // Timelines longer than this are drawn smoothed (and faintly raw).
  const SMOOTH_FROM = 12;

  // Centred moving average over about a twelfth of the points.
  function smooth(pts) {
    const k = clamp(Math.round(pts.length / 24), 1, 10);
    return pts.map((_, i) => {
      let v = 0, a = 0, n = 0;
      for (let j = Math.max(0, i - k); j <= Math.min(pts.length - 1, i + k); j++) {
        v += pts[j][0]; a += pts[j][1]; n++;
      }
      return [v / n, a / n];
    });
  }

  function timelineAt(tl, t) {
    let k = 0;
    while (k + 1 < tl.length && tl[k + 1].start <= t) k++;
    if (k + 1 >= tl.length) return [tl[k].valence, tl[k].arousal];
    const f = clamp((t - tl[k].start) / Math.max(1e-6, tl[k + 1].start - tl[k].start), 0, 1);
    return [tl[k].valence + f * (tl[k + 1].valence - tl[k].valence),
            tl[k].arousal + f * (tl[k + 1].arousal - tl[k].arousal)];
  }

  function drawExample(ctx) {
    const c = S.example;
    const tl = c.timeline || [];
    if (tl.length > 1) {
      const raw = tl.map((s) => [s.valence, s.arousal]);
      ctx.globalAlpha = 0.6;
      drawPath(ctx, tl.length > SMOOTH_FROM ? smooth(raw) : raw, '#ffffff', {width: 1.4, dash: [4, 3]});
      ctx.globalAlpha = 1;
    }
    // A diamond marker with a label.
    const [x, y] = toScreen(c.valence, c.arousal);
    ctx.fillStyle = moodColor(c.mood);
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y - 10); ctx.lineTo(x + 10, y); ctx.lineTo(x, y + 10); ctx.lineTo(x - 10, y);
    ctx.closePath();
    ctx.fill();
    ctx.stroke();
    labels.push({text: 'your clip', x, y});
  }

  // Text labels of markers, collected while drawing the overlay and placed
  // last: each takes the first corner around its anchor that overlaps no
  // label already placed.
  const labels = [];
  function drawLabels(ctx) {
    ctx.font = '12px "DejaVu Sans", sans-serif';
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    // The markers themselves are obstacles too.
    const placed = labels.map(({x, y}) => ({x: x - 10, y: y - 10, w: 20, h: 20}));
    for (const {text, x, y} of labels) {
      const w = ctx.measureText(text).width + 8, h = 18;
      const spots = [[x + 12, y - 12 - h / 2], [x + 12, y + 12 - h / 2],
                     [x - 12 - w, y - 12 - h / 2], [x - 12 - w, y + 12 - h / 2]];
      const free = ([sx, sy]) => placed.every((r) =>
        sx + w <= r.x || r.x + r.w <= sx || sy + h <= r.y || r.y + r.h <= sy);
      const [lx, ly] = spots.find(free) || spots[0];
      placed.push({x: lx, y: ly, w, h});
      ctx.fillStyle = 'rgba(12, 14, 18, 0.85)';
      ctx.fillRect(lx, ly, w, h);
      ctx.fillStyle = '#ffffff';
      ctx.fillText(text, lx + 4, ly + h / 2);
    }
    labels.length = 0;
  }

  function drawWaypoints(ctx) {
    if (!S.waypoints.length) return;
    const sp = S.waypoints.map(([v, a]) => toScreen(v, a));
    ctx.strokeStyle = ACCENT;
    ctx.lineWidth = 1.5;
    ctx.setLineDash([6, 5]);
    ctx.beginPath();
    sp.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.font = 'bold 11px "DejaVu Sans", sans-serif';
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    sp.forEach(([x, y], k) => {
      ctx.fillStyle = ACCENT;
      ctx.beginPath();
      ctx.arc(x, y, 10, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = '#1a0f1d';
      ctx.fillText(String(k + 1), x, y + 0.5);
    });
  }

  function drawArcPlaylist(ctx) {
    const tracks = S.arc.tracks || [];
    if (!tracks.length) return;
    const pts = tracks.map((t) => [t.valence, t.arousal]);
    drawPath(ctx, pts, ACCENT, {width: 2.5});
    // Arrows halfway along each step show the direction of travel.
    const sp = pts.map(([v, a]) => toScreen(v, a));
    ctx.fillStyle = ACCENT;
    for (let k = 1; k < sp.length; k++) {
      const [x0, y0] = sp[k - 1], [x1, y1] = sp[k];
      if (Math.hypot(x1 - x0, y1 - y0) > 24) arrowHead(ctx, x0, y0, (x0 + x1) / 2, (y0 + y1) / 2, 8);
    }
    ctx.strokeStyle = '#ffffff';
    ctx.lineWidth = 1.5;
    for (const [x, y] of sp) {
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  function renderLegend() {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < S.pts.n; i++) counts[S.pts.mood[i] & 3]++;
    $('#legend').replaceChildren(
      ...MOODS.map((m, k) => el('div', {},
        el('span', {class: 'sw', style: `--c:${MOOD_COLOR[k]};margin-top:0`}), m,
        el('span', {class: 'n'}, counts[k].toLocaleString('en')))),
      el('div', {class: 'foot'}, 'dot size: confidence'));
  }

  // ---- map input: pan, zoom, pick, box, arc waypoints ----------------------

  const tooltip = $('#tooltip');
  let drag = null;  // {kind: 'pan'|'box', x0, y0, cx, cy, moved}

  function localXY(e) {
    const r = mapCanvas.getBoundingClientRect();
    return [e.clientX - r.left, e.clientY - r.top];
  }

  mapCanvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    const [x, y] = localXY(e);
    const kind = e.shiftKey || S.boxTool ? 'box' : 'pan';
    drag = {kind, x0: x, y0: y, cx: S.view.cx, cy: S.view.cy, moved: false};
    try {
      mapCanvas.setPointerCapture(e.pointerId);  // keep the drag when the mouse leaves the map
    } catch (_) { /* synthetic events have no live pointer */ }
    if (kind === 'pan' && !S.arcMode) mapCanvas.classList.add('dragging');
  });

  mapCanvas.addEventListener('pointermove', (e) => {
    const [x, y] = localXY(e);
    if (drag) {
      if (Math.hypot(x - drag.x0, y - drag.y0) > 4) drag.moved = true;
      if (!drag.moved) return;
      tooltip.hidden = true;
      if (drag.kind === 'pan') {
        S.view.cx = drag.cx - (x - drag.x0) / S.view.scale;
        S.view.cy = drag.cy + (y - drag.y0) / S.view.scale;
        S.view.fitted = false;
        requestDraw(true);
      } else {
        const [v0, a0] = toWorld(drag.x0, drag.y0);
        const [v1, a1] = toWorld(x, y);
        S.box = {v: [Math.min(v0, v1), Math.max(v0, v1)], a: [Math.min(a0, a1), Math.max(a0, a1)]};
        requestDraw(false);
      }
      return;
    }
    hover(x, y);
  });

  mapCanvas.addEventListener('pointerup', (e) => {
    if (!drag) return;
    const d = drag;
    drag = null;
    mapCanvas.classList.remove('dragging');
    const [x, y] = localXY(e);
    if (!d.moved) return mapClick(x, y);
    if (d.kind === 'box' && S.box) {
      const r2 = (t) => Math.round(clamp(t, -1, 1) * 100) / 100;  // the sliders' grid
      S.box = {v: S.box.v.map(r2), a: S.box.a.map(r2)};
      setSliders(S.box);
      searchFromFilters();
    }
  });
  mapCanvas.addEventListener('pointercancel', () => { drag = null; });

  mapCanvas.addEventListener('pointerleave', () => {
    tooltip.hidden = true;
    if (S.hoverIdx >= 0) { S.hoverIdx = -1; requestDraw(false); }
  });

  mapCanvas.addEventListener('wheel', (e) => {
    e.preventDefault();
    const [x, y] = localXY(e);
    const [v, a] = toWorld(x, y);
    const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    const scale = clamp(S.view.scale * Math.exp(-dy * 0.0015), S.fitScale * 0.5, S.fitScale * 400);
    // Keep the point under the cursor still.
    S.view.scale = scale;
    S.view.cx = v - (x - S.W / 2) / scale;
    S.view.cy = a + (y - S.H / 2) / scale;
    S.view.fitted = false;
    requestDraw(true);
  }, {passive: false});

  function hover(x, y) {
    const i = pick(x, y);
    if (i !== S.hoverIdx) {
      S.hoverIdx = i;
      requestDraw(false);
    }
    if (i < 0) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = `${S.pts.ids[i]}  ·  ${MOODS[S.pts.mood[i]]}  V ${fmt(S.pts.v[i])} A ${fmt(S.pts.a[i])}`;
    tooltip.hidden = false;
    // Right of and below the cursor, flipped near the edges, never cut off.
    tooltip.style.maxWidth = `${S.W - 8}px`;
    const tw = tooltip.offsetWidth, th = tooltip.offsetHeight;
    const left = x + 14 + tw > S.W ? x - 14 - tw : x + 14;
    const top = y + 14 + th > S.H ? y - 14 - th : y + 14;
    tooltip.style.left = `${clamp(left, 4, Math.max(4, S.W - tw - 4))}px`;
    tooltip.style.top = `${clamp(top, 4, Math.max(4, S.H - th - 4))}px`;
  }

  function mapClick(x, y) {
    if (S.arcMode) {
      const [v, a] = toWorld(x, y);
      const r2 = (t) => Math.round(clamp(t, -1, 1) * 1000) / 1000;
      S.waypoints.push([r2(v), r2(a)]);
      updateModeHint();
      requestDraw(false);
      return;
    }
    const i = pick(x, y);
    if (i >= 0) openTrack(S.pts.ids[i]);
  }

  function updateModeHint() {
    const hint = $('#mode-hint');
    const nw = S.waypoints.length;
    $('#arc-waypoints').textContent = nw ? `${nw} waypoint${nw === 1 ? '' : 's'}` : 'no waypoints';
    mapCanvas.classList.toggle('arc', S.arcMode);
    mapCanvas.classList.toggle('box', S.boxTool && !S.arcMode);
    $('#arc-mode').setAttribute('aria-pressed', String(S.arcMode));
    $('#tool-box').setAttribute('aria-pressed', String(S.boxTool));
    if (S.arcMode) {
      const n = S.waypoints.length;
      hint.textContent = `arc mode: click to add waypoint ${n + 1}` +
        (n >= 2 ? ' — or “make playlist”' : '') + (n ? ' · Backspace undoes' : '') + ' · Esc to leave';
    } else if (S.boxTool) {
      hint.textContent = 'box tool: drag a box to list its tracks · Esc to leave';
    }
    hint.hidden = !(S.arcMode || S.boxTool);
  }

  $('#tool-box').addEventListener('click', () => {
    S.boxTool = !S.boxTool;
    if (S.boxTool) S.arcMode = false;
    updateModeHint();
  });
  $('#view-reset').addEventListener('click', () => { fitView(); requestDraw(true); });

  document.addEventListener('keydown', (e) => {
    // Backspace in arc mode takes back the last waypoint (not while typing).
    if (e.key === 'Backspace' && S.arcMode && S.waypoints.length &&
        !e.target.closest('input, select, textarea')) {
      e.preventDefault();
      S.waypoints.pop();
      updateModeHint();
      requestDraw(false);
      return;
    }
    if (e.key !== 'Escape') return;
    if (S.arcMode || S.boxTool) {
      S.arcMode = false;
      S.boxTool = false;
      updateModeHint();
    } else if (S.track) {
      closeTrack();
    }
  });

  // ==== 3. sidebar ==========================================================

  // ---- search: mood buttons, V/A range sliders, min confidence -------------

  const results = $('#results');
  const resultsHead = $('#results-head');
  const moreBtn = $('#more');
  const PAGE = 50;
  let activeMood = null;
  wireTrackList(results);
  resultsHead.textContent = 'Pick a mood, move a slider or shift-drag a box on the map.';

  const slider = (id) => $(`#${id}`);
  const rangeOf = (axis) => [+slider(`${axis}-lo`).value, +slider(`${axis}-hi`).value];
  const isFull = ([lo, hi]) => lo <= -1 && hi >= 1;

  // Paints the filled part of a two-thumb slider and its readout.
  function paintRange(axis) {
    const [lo, hi] = rangeOf(axis);
    const dual = $(`#${axis}-dual`);
    dual.style.setProperty('--lo', `${((lo + 1) / 2) * 100}%`);
    dual.style.setProperty('--hi', `${((hi + 1) / 2) * 100}%`);
    $(`#${axis}-out`).textContent = isFull([lo, hi]) ? 'all' : `${fmt(lo)} … ${fmt(hi)}`;
  }
  function paintConf() {
    const c = +$('#conf').value;
    $('#conf-out').textContent = c > 0 ? `≥ ${fmt(c)}` : 'any';
  }
  // The box shown on the map follows the sliders.
  function boxFromSliders() {
    const v = rangeOf('v'), a = rangeOf('a');
    S.box = isFull(v) && isFull(a) ? null : {v, a};
    requestDraw(false);
  }
  function setSliders(box) {
    slider('v-lo').value = box.v[0]; slider('v-hi').value = box.v[1];
    slider('a-lo').value = box.a[0]; slider('a-hi').value = box.a[1];
    paintRange('v');
    paintRange('a');
  }

  for (const axis of ['v', 'a']) {
    const lo = slider(`${axis}-lo`), hi = slider(`${axis}-hi`);
    // Thumbs cannot cross: the one being moved pushes the other.
    lo.addEventListener('input', () => { if (+lo.value > +hi.value) hi.value = lo.value; });
    hi.addEventListener('input', () => { if (+hi.value < +lo.value) lo.value = hi.value; });
    for (const s of [lo, hi]) {
      s.addEventListener('input', () => { paintRange(axis); boxFromSliders(); });
      s.addEventListener('change', searchFromFilters);
    }
    paintRange(axis);
  }
  $('#conf').addEventListener('input', paintConf);
  $('#conf').addEventListener('change', searchFromFilters);
  paintConf();

  $('#mood-buttons').addEventListener('click', (e) => {
    const b = e.target.closest('[data-mood]');
    if (!b) return;
    activeMood = activeMood === b.dataset.mood ? null : b.dataset.mood;
    for (const x of document.querySelectorAll('.mood')) {
      x.classList.toggle('active', x.dataset.mood === activeMood);
    }
    searchFromFilters();
  });
  $('#search-btn').addEventListener('click', searchFromFilters);
  $('#search-clear').addEventListener('click', () => {
    clearFilters();
    results.replaceChildren();
    resultsHead.textContent = 'Pick a mood, move a slider or shift-drag a box on the map.';
    moreBtn.hidden = true;
    S.highlight = [];
    requestDraw(false);
  });

  function clearFilters() {
    activeMood = null;
    for (const x of document.querySelectorAll('.mood')) x.classList.remove('active');
    setSliders({v: [-1, 1], a: [-1, 1]});
    $('#conf').value = 0;
    paintConf();
    S.box = null;
  }

  function searchFromFilters() {
    const q = {limit: PAGE};
    const parts = [];
    if (activeMood) { q.mood = activeMood; parts.push(activeMood); }
    const c = +$('#conf').value;
    if (c > 0) { q.min_confidence = c; parts.push(`confidence ≥ ${fmt(c)}`); }
    const v = rangeOf('v'), a = rangeOf('a');
    if (!isFull(v) || !isFull(a)) {
      q.box = {valence: v, arousal: a};
      if (!isFull(v)) parts.push(`V ${fmt(v[0])}…${fmt(v[1])}`);
      if (!isFull(a)) parts.push(`A ${fmt(a[0])}…${fmt(a[1])}`);
    }
    boxFromSliders();
    runSearch(q, parts.join(' · ') || 'all tracks');
  }

  // Runs a search body; append: follow S.next ("more").
  let searchSeq = 0;
  async function runSearch(body, labelText, append = false) {
    const seq = ++searchSeq;  // a newer search wins over a slow older one
    if (!append) {
      S.query = {body, label: labelText};
      S.next = null;
    }
    const req = append ? {...S.query.body, cursor: S.next} : body;
    moreBtn.disabled = true;
    try {
      const ans = await api('/api/v1/search', {method: 'POST', json: req});
      if (seq !== searchSeq) return;
      if (!append) {
        results.replaceChildren();
        S.highlight = [];
      }
      results.append(...ans.results.map((h) => trackItem(h)));
      S.highlight = S.highlight.concat(idsToIndices(ans.results.map((h) => h.track_id)));
      S.next = ans.next || null;
      const n = results.querySelectorAll('li[data-id]').length;
      if (!n) results.replaceChildren(el('li', {class: 'empty'}, 'No tracks match.'));
      resultsHead.textContent = `${n}${S.next ? '+' : ''} result${n === 1 ? '' : 's'} · ` +
        `${S.query.label}${ans.order ? ` · by ${ans.order}` : ''}`;
      moreBtn.hidden = !S.next;
      requestDraw(false);
    } catch (err) {
      if (seq !== searchSeq) return;
      resultsHead.replaceChildren(el('div', {class: 'error'}, `search: ${err.message}`));
      toast(`search: ${err.message}`);
    } finally {
      moreBtn.disabled = false;
    }
  }
  moreBtn.addEventListener('click', () => { if (S.next) runSearch(null, null, true); });

  // ---- search by example: drop or pick an audio file ------------------------

  const drop = $('#drop');
  const dropInput = $('#drop-input');
  const example = $('#example');
  let byExampleOn = true;

  // Files dropped anywhere on the page go to by-example (and the browser does
  // not navigate away to the file).
  window.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  window.addEventListener('dragleave', (e) => {
    if (!e.relatedTarget) drop.classList.remove('over');
  });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) searchByExample(f);
  });
  dropInput.addEventListener('change', () => {
    const f = dropInput.files[0];
    if (f) searchByExample(f);
    dropInput.value = '';  // choosing the same file again fires change again
  });
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); dropInput.click(); }
  });

  async function searchByExample(file) {
    if (!byExampleOn) {
      toast('search by example needs mer serve started with --model');
      return;
    }
    drop.classList.add('busy');
    example.replaceChildren(el('div', {class: 'busy-note'},
      `analysing ${file.name} (${(file.size / 1e6).toFixed(1)} MB)…`));
    try {
      const ans = await api('/api/v1/by-example?limit=10', {
        method: 'POST', body: file,
        headers: {'Content-Type': file.type || 'application/octet-stream'},
      });
      const c = ans.clip;
      S.example = c;
      S.exampleHi = idsToIndices((ans.results || []).map((h) => h.track_id));
      const exResults = el('ol', {id: 'example-results', class: 'tracks'},
                           (ans.results || []).map((h) => trackItem(h)));
      const exNearest = el('ol', {id: 'example-nearest', class: 'tracks'},
                           (ans.nearest_va || []).map((h) => trackItem(h, {why: false})));
      wireTrackList(exResults);
      wireTrackList(exNearest);
      // Without an embedding (an older model) only the V-A neighbours exist.
      const soundHits = exResults.children.length
        ? [el('div', {class: 'list-head'}, 'sounds closest (embedding)'), exResults]
        : [el('div', {class: 'list-head'}, 'no embedding hits: the index has no embeddings')];
      const nearBox = el('details', {class: 'sub', open: !exResults.children.length},
        el('summary', {class: 'list-head'}, `closest in valence-arousal (${exNearest.children.length})`),
        exNearest);
      example.replaceChildren(
        el('div', {class: 'clip'},
          el('div', {},
            el('span', {id: 'example-mood', class: 'pill', dataset: {mood: c.mood},
                        style: `--c:${moodColor(c.mood)}`}, c.mood),
            ' ', el('span', {class: 'mono'},
                    `V ${fmt(c.valence)}  A ${fmt(c.arousal)}  ${pct(c.confidence)}  ${fmtTime(c.duration)}`)),
          el('div', {class: 'hint', title: file.name}, file.name)),
        ...soundHits, nearBox);
      requestDraw(false);
    } catch (err) {
      S.example = null;
      S.exampleHi = [];
      requestDraw(false);
      showError(example, err, `search by example with ${file.name}`);
    } finally {
      drop.classList.remove('busy');
    }
  }

  // ---- arc playlist ----------------------------------------------------------

  const playlist = $('#playlist');
  const arcHead = $('#arc-head');
  wireTrackList(playlist);

  $('#arc-mode').addEventListener('click', () => {
    S.arcMode = !S.arcMode;
    if (S.arcMode) S.boxTool = false;
    updateModeHint();
  });
  $('#arc-clear').addEventListener('click', () => {
    S.waypoints = [];
    S.arc = null;
    playlist.replaceChildren();
    arcHead.replaceChildren();
    $('#arc-export').hidden = true;
    updateModeHint();
    requestDraw(false);
  });

  function arcBody() {
    const count = clamp(Math.round(+$('#arc-count').value || 12), 2, 200);
    return {waypoints: S.waypoints, count};
  }

  $('#arc-make').addEventListener('click', async () => {
    if (S.waypoints.length < 2) {
      arcHead.replaceChildren(el('div', {class: 'error'},
        'Add at least two waypoints: press “arc”, then click the map.'));
      return;
    }
    arcHead.replaceChildren(el('div', {class: 'busy-note'}, 'making the playlist…'));
    try {
      const ans = await api('/api/v1/playlists/arc', {method: 'POST', json: arcBody()});
      S.arc = ans;
      const tracks = ans.tracks || [];
      playlist.replaceChildren(...tracks.map((t) => el('li', {dataset: {id: t.track_id, mood: t.mood}, title: t.track_id},
        el('span', {class: 'sw', style: `--c:${moodColor(t.mood)}`}),
        el('span', {class: 't-title'}, t.title || basename(t.track_id)),
        el('span', {class: 't-nums'},
           `${t.mood}  V ${fmt(t.valence)}  A ${fmt(t.arousal)}  ${fmtTime(t.duration)}`))));
      const total = tracks.reduce((s, t) => s + (+t.duration || 0), 0);
      arcHead.textContent = `${tracks.length} tracks · ${fmtTime(total)} · ` +
        `${S.waypoints.length} waypoints`;
      $('#arc-export').hidden = !tracks.length;
      requestDraw(false);
    } catch (err) {
      S.arc = null;
      playlist.replaceChildren();
      $('#arc-export').hidden = true;
      requestDraw(false);
      showError(arcHead, err, 'arc playlist');
    }
  });

  // The exports are the same POST with ?format=; a link cannot POST, so fetch
  // it and hand the browser a Blob to save.
  async function exportArc(format, ext) {
    try {
      const res = await api(`/api/v1/playlists/arc?format=${format}`,
                            {method: 'POST', json: arcBody(), raw: true});
      const url = URL.createObjectURL(await res.blob());
      const a = el('a', {href: url, download: `mer-arc.${ext}`});
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
    } catch (err) {
      toast(`export ${format}: ${err.message}`);
    }
  }
  $('#arc-m3u').addEventListener('click', (e) => { e.preventDefault(); exportArc('m3u', 'm3u'); });
  $('#arc-xspf').addEventListener('click', (e) => { e.preventDefault(); exportArc('xspf', 'xspf'); });

  // ---- themes ---------------------------------------------------------------

  const themesBox = $('#themes');
  $('#themes-btn').addEventListener('click', async () => {
    const mood = $('#theme-mood').value;
    themesBox.replaceChildren(el('div', {class: 'busy-note'}, `finding ${mood} themes…`));
    try {
      const ans = await api(`/api/v1/themes?mood=${encodeURIComponent(mood)}`);
      const themes = ans.themes || [];
      if (!themes.length) {
        themesBox.replaceChildren(el('div', {class: 'hint'}, `no ${mood} themes`));
        return;
      }
      themesBox.replaceChildren(...themes.map((t, k) => {
        const ids = t.tracks || [];
        const shown = ids.slice(0, 12);
        const chips = el('div', {class: 'chips'}, shown.map((id) =>
          el('span', {class: 'chip', dataset: {id}, title: id}, basename(id))));
        if (ids.length > shown.length) {
          chips.append(el('span', {class: 'chip', onclick: (e) => {
            e.stopPropagation();
            e.currentTarget.replaceWith(...ids.slice(shown.length).map((id) =>
              el('span', {class: 'chip', dataset: {id}, title: id}, basename(id))));
          }}, `+${ids.length - shown.length} more`));
        }
        const box = el('div', {class: 'theme'},
          el('div', {class: 'theme-head'},
            el('span', {class: 'sw', style: `--c:${moodColor(mood)};display:inline-block;margin-right:6px`}),
            `Theme ${k + 1} · ${t.size} track${t.size === 1 ? '' : 's'} `,
            el('span', {class: 'mono'}, `V ${fmt(t.valence)} A ${fmt(t.arousal)}`)),
          chips);
        const hi = idsToIndices(ids);
        box.addEventListener('mouseenter', () => { S.themeHi = hi; requestDraw(false); });
        box.addEventListener('mouseleave', () => { S.themeHi = null; requestDraw(false); });
        box.addEventListener('click', (e) => {
          const c = e.target.closest('[data-id]');
          if (c) openTrack(c.dataset.id);
        });
        return box;
      }));
    } catch (err) {
      showError(themesBox, err, `${mood} themes`);
    }
  });

  // ==== 4. the track panel ====================================================

  const panel = $('#track');
  const audio = $('#audio');
  const playBtn = $('#play');
  const timeCanvas = $('#track-time');
  let trackSeq = 0;

  async function openTrack(id) {
    const seq = ++trackSeq;
    try {
      const t = await api(trackUrl(id));
      if (seq !== trackSeq) return;
      showTrack(t);
    } catch (err) {
      toast(`track ${id}: ${err.message}`);
    }
  }

  function showTrack(t) {
    S.track = t;
    const c = moodColor(t.mood);
    $('#track-title').textContent = t.title || basename(t.track_id);
    $('#track-id').textContent = t.track_id;
    $('#track-summary').replaceChildren(
      el('span', {class: 'pill', style: `--c:${c}`}, t.mood),
      el('span', {}, `confidence ${pct(t.confidence)}`));
    const kv = (k, v) => el('div', {}, el('dt', {}, k), el('dd', {}, v));
    $('#track-numbers').replaceChildren(kv('valence', fmt(t.valence)), kv('arousal', fmt(t.arousal)),
      kv('length', fmtTime(t.duration)), kv('segments', String((t.timeline || []).length)));
    const probs = t.quadrant_probs || {};
    $('#track-probs').replaceChildren(...MOODS.map((m) => el('div', {class: 'prob', style: `--c:${moodColor(m)}`},
      el('span', {}, m),
      el('span', {class: 'bar'}, el('i', {style: `width:${clamp((probs[m] || 0) * 100, 0, 100)}%`})),
      el('span', {class: 'p'}, pct(probs[m] || 0)))));
    const tags = Object.entries(t.tags || {}).sort((x, y) => y[1] - x[1]).slice(0, 12);
    $('#track-tags').replaceChildren(...tags.map(([k, v]) => el('span', {class: 'chip'}, `${k} ${fmt(v)}`)));
    const when = t.indexed_at_unix ? new Date(t.indexed_at_unix * 1000).toISOString().slice(0, 16).replace('T', ' ') : '–';
    $('#track-meta').textContent = `model ${t.model_id || '–'} · indexed ${when} UTC`;
    for (const li of document.querySelectorAll('ol.tracks li.current')) li.classList.remove('current');
    for (const li of document.querySelectorAll('ol.tracks li[data-id]')) {
      if (li.dataset.id === t.track_id) li.classList.add('current');
    }

    audio.pause();
    audio.src = t.audio_url || `${trackUrl(t.track_id)}/audio`;
    playBtn.textContent = '▶ play';
    $('#play-time').textContent = `0:00 / ${fmtTime(t.duration)}`;
    panel.hidden = false;  // the map shrinks; ResizeObserver redraws it
    timeCanvas.dataset.points = String((t.timeline || []).length);
    drawTimeCurves();
    requestDraw(false);
  }

  function closeTrack() {
    audio.pause();
    audio.removeAttribute('src');
    audio.load();
    S.track = null;
    panel.hidden = true;
    requestDraw(false);
  }
  $('#track-close').addEventListener('click', closeTrack);

  $('#track-similar').addEventListener('click', () => {
    if (!S.track) return;
    clearFilters();
    runSearch({similar_to: S.track.track_id, limit: PAGE},
              `like “${S.track.title || basename(S.track.track_id)}”`);
    const sec = results.closest('details');
    sec.open = true;
    sec.scrollIntoView({block: 'start', behavior: 'smooth'});
  });

  // ---- player ----------------------------------------------------------------

  playBtn.addEventListener('click', () => {
    if (!audio.src) return;
    if (audio.paused) {
      // play() rejects when the browser blocks autoplay or the source fails;
      // the 'error' listener reports the latter.
      audio.play().catch((err) => {
        if (err.name !== 'AbortError') toast(`play: ${err.message}`);
      });
    } else {
      audio.pause();
    }
  });
  audio.addEventListener('play', () => { playBtn.textContent = '❚❚ pause'; });
  audio.addEventListener('pause', () => { playBtn.textContent = '▶ play'; });
  audio.addEventListener('ended', () => { playBtn.textContent = '▶ play'; });
  audio.addEventListener('timeupdate', () => {
    if (!S.track) return;
    const dur = Number.isFinite(audio.duration) ? audio.duration : S.track.duration;
    $('#play-time').textContent = `${fmtTime(audio.currentTime)} / ${fmtTime(dur)}`;
    drawTimeCurves();
    requestDraw(false);
  });
  audio.addEventListener('error', () => {
    if (!S.track || !audio.getAttribute('src')) return;
    const codes = {1: 'aborted', 2: 'network error', 3: 'cannot decode', 4: 'format not supported'};
    const e = audio.error;
    toast(`cannot play ${S.track.title || S.track.track_id}: ` +
          `${e ? codes[e.code] || e.code : 'unknown'}${e && e.message ? ` (${e.message})` : ''}`);
  });

  // Click on the curves to seek there.
  timeCanvas.addEventListener('click', (e) => {
    if (!S.track || !audio.src) return;
    const r = timeCanvas.getBoundingClientRect();
    const {x0, w, dur} = timeLayout(r.width);
    const t = clamp(((e.clientX - r.left - x0) / w) * dur, 0, dur);
    audio.currentTime = t;
    if (audio.paused) {
      audio.play().catch((err) => { if (err.name !== 'AbortError') toast(`play: ${err.message}`); });
    }
  });

  function trackDuration(t) {
    const tl = t.timeline || [];
    const last = tl.length ? tl[tl.length - 1].start : 0;
    const step = tl.length > 1 ? tl[1].start - tl[0].start : 0;
    return Math.max(+t.duration || 0, last + step, 1);
  }
  const timeLayout = (width) => ({x0: 26, w: Math.max(10, width - 34), dur: trackDuration(S.track)});

  // Valence and arousal against seconds, a mood strip under them, and the
  // playback position.
  function drawTimeCurves() {
    if (!S.track) return;
    const dpr = window.devicePixelRatio || 1;
    const cw = timeCanvas.clientWidth || 300, ch = timeCanvas.clientHeight || 130;
    if (timeCanvas.width !== Math.round(cw * dpr)) timeCanvas.width = Math.round(cw * dpr);
    if (timeCanvas.height !== Math.round(ch * dpr)) timeCanvas.height = Math.round(ch * dpr);
    const ctx = timeCanvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cw, ch);
    const tl = S.track.timeline || [];
    const {x0, w, dur} = timeLayout(cw);
    const top = 8, stripH = 6, bottom = ch - 18 - stripH - 4;  // curve area: top..bottom
    const X = (s) => x0 + (s / dur) * w;
    const Y = (v) => top + ((1 - v) / 2) * (bottom - top);

    ctx.font = '10px "DejaVu Sans", sans-serif';
    ctx.fillStyle = '#6b7384';
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const v of [1, 0, -1]) ctx.fillText(v > 0 ? '+1' : String(v), x0 - 5, Y(v));
    ctx.strokeStyle = '#2c313c';
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const v of [1, 0, -1]) { ctx.moveTo(x0, Math.round(Y(v)) + 0.5); ctx.lineTo(x0 + w, Math.round(Y(v)) + 0.5); }
    ctx.stroke();
    // Time ticks: about five, on round numbers of seconds.
    const step = [5, 10, 15, 30, 60, 120, 300, 600].find((s) => dur / s <= 6) || 1200;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let s = 0; s <= dur + 1e-6; s += step) ctx.fillText(fmtTime(s), clamp(X(s), x0 + 10, x0 + w - 12), ch - 14);

    if (tl.length) {
      // Mood strip: each segment from its start to the next one's.
      const sy = bottom + 4;
      tl.forEach((s, k) => {
        const end = k + 1 < tl.length ? tl[k + 1].start : dur;
        ctx.fillStyle = moodColor(s.mood);
        ctx.fillRect(X(s.start), sy, Math.max(1, X(end) - X(s.start)), stripH);
      });
      // Curves through the segment centres.
      const mid = (k) => (k + 1 < tl.length ? (tl[k].start + tl[k + 1].start) / 2 : (tl[k].start + dur) / 2);
      for (const [key, color] of [['arousal', AROUSAL_COLOR], ['valence', VALENCE_COLOR]]) {
        ctx.strokeStyle = color;
        ctx.lineWidth = 1.8;
        ctx.lineJoin = 'round';
        ctx.beginPath();
        tl.forEach((s, k) => (k ? ctx.lineTo(X(mid(k)), Y(s[key])) : ctx.moveTo(X(mid(k)), Y(s[key]))));
        ctx.stroke();
      }
    }
    if (audio.currentTime > 0) {
      const x = Math.round(X(Math.min(audio.currentTime, dur))) + 0.5;
      ctx.strokeStyle = ACCENT;
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(x, top - 4);
      ctx.lineTo(x, bottom + 4 + stripH);
      ctx.stroke();
    }
  }

  // ==== 5. start-up ==========================================================

  async function loadStats() {
    const s = await api('/api/v1/stats');
    const per = s.per_quadrant || {};
    const parts = [
      el('span', {}, el('b', {}, (s.tracks ?? 0).toLocaleString('en')), ' tracks'),
      el('span', {}, el('b', {}, fmt(s.audio_hours, 1)), ' h audio'),
      ...MOODS.map((m) => el('span', {class: 'stat-mood'},
        el('span', {class: 'sw', style: `--c:${moodColor(m)};margin-top:0`}), `${m} `,
        el('b', {}, (per[m] ?? 0).toLocaleString('en')))),
      el('span', {}, 'model ', el('b', {class: 'mono'}, s.model_id || '–')),
    ];
    if (s.failures) parts.push(el('span', {title: 'tracks the indexer could not label'}, `${s.failures} failed`));
    if (s.ann_fresh === false) parts.push(el('span', {title: 'similarity search uses a stale ANN index'}, 'ANN stale'));
    $('#stats').replaceChildren(...parts);
    byExampleOn = s.by_example !== false;
    if (!byExampleOn) {
      drop.classList.add('disabled');
      dropInput.disabled = true;
      drop.replaceChildren(dropInput, el('strong', {}, 'Search by example is off'),
                           el('span', {}, 'start mer serve with --model to enable it'));
    }
  }

  async function loadPoints() {
    const p = await api('/api/v1/points');
    setPoints(p);
    $('#map-status').hidden = true;
    requestDraw(true);
  }

  updateModeHint();
  requestDraw(true);
  loadStats().catch((err) => {
    $('#stats').replaceChildren(el('span', {class: 'error'}, `stats: ${err.message}`));
  });
  loadPoints().catch((err) => {
    $('#map-status').replaceChildren(el('span', {class: 'error'}, `cannot load the map: ${err.message}`));
  });
})();
