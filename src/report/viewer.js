// notewise report viewer: zoomable, pannable views with the score and a playback cursor, and a
// live remix of the stems (solo / mute / gain per group, A/B against the mix) with Web Audio.
// Plain code, no libraries; reads window.NW_DATA (report/data.js), window.NW_AUDIO
// (report/audio.js: base64 MP3 listening copies, or null) and window.NW_NOTES (report/notes.js:
// per note, its share of the mix in 1/6-octave bands at a low frame rate, deflated, or null).
// Clicking a note of a piano roll solos it: the page masks the mix's STFT with the note's
// share (W_n h_n over W H, interpolated in time) and plays the result.
(function () {
  'use strict';
  const D = window.NW_DATA, A = window.NW_AUDIO || null, NN = (A && window.NW_NOTES) || null;
  window.nwErrors = window.nwErrors || [];
  const root = document.getElementById('nw-viewer');
  if (!D || !root) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = 'report/viewer.css';
  document.head.appendChild(link);

  const LEFT = 56;          // px of the y-axis labels
  const MIN_SPAN = 0.25;    // s: the deepest zoom
  const G = D.groups.length;
  const state = {
    t0: 0, t1: D.duration, time: 0, playing: false, mode: A ? 'stems' : 'mix',
    solo: new Set(), mute: new Set(), gainDb: D.groups.map(() => 0), note: -1,
  };

  // ---- layout ----
  const el = (tag, attrs, parent, text) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    if (parent) parent.appendChild(e);
    return e;
  };
  const bar = el('div', { class: 'nw-bar' }, root);
  const playBtn = el('button', { id: 'nw-play', title: 'Play / pause (space)' }, bar, 'Play');
  const timeEl = el('span', { class: 'nw-time', id: 'nw-time' }, bar);
  const mixBtn = el('button', { id: 'nw-ab-mix', title: 'Listen to the input recording' }, bar, 'A: mix');
  const stemsBtn = el('button', { id: 'nw-ab-stems', title: 'Listen to the stems, remixed by the controls below' }, bar, 'B: stems');
  const outBtn = el('button', { id: 'nw-zoom-out', title: 'Zoom out' }, bar, '\u2212');
  const inBtn = el('button', { id: 'nw-zoom-in', title: 'Zoom in' }, bar, '+');
  const fitBtn = el('button', { id: 'nw-zoom-fit', title: 'Whole recording' }, bar, 'fit');
  const noteChip = el('span', { class: 'nw-note-chip', id: 'nw-note' }, bar);
  const noteOff = el('button', { id: 'nw-note-off', title: 'Back to the stems' }, bar, '\u00d7');
  noteChip.style.display = noteOff.style.display = 'none';
  el('span', { class: 'nw-hint' }, bar, 'wheel: zoom, drag: pan, click: seek, space: play' +
     (NN ? ', click a note of the score: solo it' : ''));
  if (A && !NN && D.no_note_solo_reason)
    el('div', { class: 'nw-note' }, root, 'Solo per note unavailable: ' + D.no_note_solo_reason + '.');
  if (!A) {
    stemsBtn.disabled = true;
    el('div', { class: 'nw-note' }, root, 'Live remix unavailable: ' + (D.no_preview_reason || 'no listening copies') +
       '. The players below still play every file.');
  }
  const groupsEl = el('div', { class: 'nw-groups', id: 'nw-groups' }, root);
  const groupUi = D.groups.map((g, k) => {
    el('span', { class: 'nw-swatch', style: 'background:' + g.color }, groupsEl);
    el('span', {}, groupsEl, g.name + ' (' + g.notes + ' notes)');
    const solo = el('button', { 'data-group': g.name, class: 'nw-solo', title: 'Listen to this group alone' }, groupsEl, 'S');
    const mute = el('button', { 'data-group': g.name, class: 'nw-mute', title: 'Silence this group' }, groupsEl, 'M');
    const gain = el('input', { type: 'range', min: '-30', max: '12', step: '1', value: '0', 'data-group': g.name, class: 'nw-gain' }, groupsEl);
    const db = el('span', { class: 'nw-time' }, groupsEl, '0 dB');
    for (const b of [solo, mute, gain]) b.disabled = !A;
    solo.onclick = () => { toggle(state.solo, k); };
    mute.onclick = () => { toggle(state.mute, k); };
    gain.oninput = () => { state.gainDb[k] = Number(gain.value); db.textContent = gain.value + ' dB'; applyGains(); };
    return { solo, mute };
  });
  function toggle(set, k) {
    if (set.has(k)) set.delete(k); else set.add(k);
    if (state.mode !== 'stems') setMode('stems');
    applyGains();
  }

  const viewsEl = el('div', { class: 'nw-views' }, root);
  const axisCanvas = el('canvas', { id: 'nw-time-axis' }, viewsEl);
  axisCanvas.style.height = '22px';
  const views = D.views.map((v) => {
    const wrap = el('div', { class: 'nw-view' }, viewsEl);
    const canvas = el('canvas', { 'data-view': v.id }, wrap);
    canvas.style.height = (v.kind === 'pitch' ? 220 : 170) + 'px';
    el('span', { class: 'nw-title' }, wrap, v.title);
    const img = new Image();
    img.onload = () => drawAll();
    img.onerror = () => { window.nwErrors.push('image ' + v.image); };
    img.src = v.image;
    const view = Object.assign({}, v, { canvas, img });
    attachPointer(canvas, view);
    return view;
  });

  // ---- drawing ----
  const clamp = (x, a, b) => Math.min(b, Math.max(a, x));
  const span = () => state.t1 - state.t0;
  const xOf = (t, w) => LEFT + (t - state.t0) / span() * (w - LEFT);
  const tOf = (x, w) => state.t0 + (x - LEFT) / (w - LEFT) * span();
  const names = ['C', 'C#', 'D', 'D#', 'E', 'F', 'F#', 'G', 'G#', 'A', 'A#', 'B'];
  const noteName = (p) => names[p % 12] + (Math.floor(p / 12) - 1);
  const hz = (p) => 440 * Math.pow(2, (p - 69) / 12);
  function yFreq(f, h) { return h - Math.log2(f / D.freq.fmin) * D.freq.bins_per_octave / D.freq.rows * h; }
  function yPitch(p, h) { return h - (p - D.pitch.min + 0.5) / (D.pitch.max - D.pitch.min + 1) * h; }
  function sizeCanvas(c) {
    const dpr = window.devicePixelRatio || 1, w = c.clientWidth, h = c.clientHeight;
    if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) { c.width = Math.round(w * dpr); c.height = Math.round(h * dpr); }
    const ctx = c.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    return { ctx, w, h };
  }
  function niceStep(s) {
    const raw = s / 8, p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
    return 10 * p;
  }
  function fmtTime(t) {
    const m = Math.floor(t / 60), s = t - 60 * m;
    return m + ':' + (s < 10 ? '0' : '') + s.toFixed(span() < 10 ? 2 : 1);
  }
  function drawAxis() {
    const { ctx, w, h } = sizeCanvas(axisCanvas);
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = '#333';
    ctx.font = '11px sans-serif';
    const step = niceStep(span());
    for (let t = Math.ceil(state.t0 / step) * step; t <= state.t1; t += step) {
      const x = xOf(t, w);
      ctx.fillRect(x, h - 6, 1, 6);
      ctx.fillText(fmtTime(t), x + 2, h - 8);
    }
  }
  function drawView(v) {
    const { ctx, w, h } = sizeCanvas(v.canvas);
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, w, h);
    if (v.img.complete && v.img.naturalWidth > 0) {
      const iw = v.img.naturalWidth, ih = v.img.naturalHeight;
      const sx = state.t0 / D.image_seconds * iw, sw = span() / D.image_seconds * iw;
      ctx.imageSmoothingEnabled = sw > w - LEFT;  // zoomed in: frames as blocks, not blurred
      ctx.drawImage(v.img, sx, 0, Math.max(sw, 1e-3), ih, LEFT, 0, w - LEFT, h);
      v.drawn = { level: 0 };
      if (v.fine && sw < w - LEFT) drawFine(v, ctx, w, h);  // fewer overview columns than pixels
    }
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, LEFT, h);
    ctx.fillStyle = '#333';
    ctx.font = '10px sans-serif';
    const pitchY = (p) => (v.kind === 'pitch' ? yPitch(p, h) : yFreq(hz(p), h));
    // y ticks: every C (and every note name when few fit on the pitch axis)
    const lo = v.kind === 'pitch' ? D.pitch.min : 24, hi = v.kind === 'pitch' ? D.pitch.max : 120;
    const every = v.kind === 'pitch' && hi - lo < 30 ? 2 : 12;
    for (let p = lo; p <= hi; p++) {
      if ((p % 12) % every !== 0 && !(every === 2 && p % 12 === 0)) continue;
      const y = pitchY(p);
      if (y < 6 || y > h - 4) continue;
      ctx.fillRect(LEFT - 5, y, 5, 1);
      ctx.fillText(v.kind === 'pitch' ? noteName(p) : noteName(p) + ' ' + Math.round(hz(p)), 2, y + 3);
    }
    if (v.roll) {
      const row = v.kind === 'pitch' ? h / (D.pitch.max - D.pitch.min + 1) : h / D.freq.rows * D.freq.bins_per_octave / 12;
      ctx.lineWidth = 1.2;
      D.notes.forEach(([on, du, p, g], i) => {
        if (on + du < state.t0 || on > state.t1) return;
        const x0 = Math.max(LEFT, xOf(on, w)), x1 = xOf(on + du, w), y = pitchY(p);
        const soloed = state.mode === 'note' && state.note === i;
        ctx.strokeStyle = soloed ? '#fff' : D.groups[g].color;
        ctx.lineWidth = soloed ? 2.5 : 1.2;
        ctx.strokeRect(x0, y - row / 2, Math.max(1, x1 - x0), Math.max(2, row));
      });
    }
    const xc = xOf(state.time, w);
    if (xc >= LEFT && xc <= w) {
      ctx.fillStyle = '#fff';
      ctx.fillRect(xc - 0.5, 0, 1.5, h);
    }
  }
  // The fine level over the overview: the tiles the visible span needs, loaded on first use
  // (the overview stays visible where a tile has not arrived yet).
  function tile(v, k) {
    v.tiles = v.tiles || [];
    if (!v.tiles[k]) {
      const img = new Image();
      img.onload = () => drawAll();
      img.onerror = () => { window.nwErrors.push('tile ' + v.fine.files[k]); };
      img.src = v.fine.files[k];
      v.tiles[k] = img;
    }
    return v.tiles[k];
  }
  function drawFine(v, ctx, w, h) {
    const f = v.fine, cps = f.cols / D.image_seconds;  // columns per second
    const c0 = Math.max(0, Math.floor(state.t0 * cps)), c1 = Math.min(f.cols, Math.ceil(state.t1 * cps));
    ctx.imageSmoothingEnabled = c1 - c0 > w - LEFT;
    let complete = true;
    for (let k = Math.floor(c0 / f.tile); k * f.tile < c1; k++) {
      const img = tile(v, k);
      if (!img.complete || !img.naturalWidth) { complete = false; continue; }
      const a = Math.max(c0, k * f.tile), b = Math.min(c1, (k + 1) * f.tile);
      const x0 = xOf(a / cps, w), x1 = xOf(b / cps, w);
      ctx.drawImage(img, a - k * f.tile, 0, b - a, img.naturalHeight, x0, 0, x1 - x0, h);
    }
    v.drawn = { level: 1, from: c0 / cps, to: c1 / cps, complete };
  }
  function drawAll() {
    drawAxis();
    for (const v of views) drawView(v);
    timeEl.textContent = fmtTime(state.time) + ' / ' + fmtTime(D.duration);
  }

  // The note of a piano-roll view under canvas point (x, y), or -1: the nearest row among the
  // notes sounding at that time, within a few pixels (rows are thin on the frequency axis).
  function rowHeight(v, h) { return v.kind === 'pitch' ? h / (D.pitch.max - D.pitch.min + 1) : h / D.freq.rows * D.freq.bins_per_octave / 12; }
  function noteY(v, p, h) { return v.kind === 'pitch' ? yPitch(p, h) : yFreq(hz(p), h); }
  function noteAt(v, x, y, w, h) {
    if (!v.roll || x < LEFT) return -1;
    const t = tOf(x, w), tol = Math.max(4, rowHeight(v, h) / 2 + 1);
    let best = -1, bestD = tol;
    D.notes.forEach(([on, du, p], i) => {
      if (t < on || t > on + du) return;
      const d = Math.abs(noteY(v, p, h) - y);
      if (d <= bestD) { best = i; bestD = d; }
    });
    return best;
  }

  // ---- zoom, pan, seek ----
  function setRange(t0, t1) {
    let s = clamp(t1 - t0, Math.min(MIN_SPAN, D.duration), D.duration);
    t0 = clamp(t0, 0, D.duration - s);
    state.t0 = t0;
    state.t1 = t0 + s;
    drawAll();
  }
  function zoom(factor, at) {
    const c = at === undefined ? (state.t0 + state.t1) / 2 : at;
    setRange(c - (c - state.t0) * factor, c + (state.t1 - c) * factor);
  }
  function attachPointer(canvas, view) {
    let down = null;
    canvas.addEventListener('pointerdown', (e) => { down = { x: e.clientX, t0: state.t0, t1: state.t1, moved: false }; canvas.setPointerCapture(e.pointerId); });
    canvas.addEventListener('pointermove', (e) => {
      if (!down) return;
      const dx = e.clientX - down.x;
      if (Math.abs(dx) > 3) down.moved = true;
      if (down.moved) {
        const dt = dx / (canvas.clientWidth - LEFT) * (down.t1 - down.t0);
        setRange(down.t0 - dt, down.t1 - dt);
      }
    });
    canvas.addEventListener('pointerup', (e) => {
      if (down && !down.moved) {
        const r = canvas.getBoundingClientRect();
        const i = NN ? noteAt(view, e.clientX - r.left, e.clientY - r.top, r.width, r.height) : -1;
        if (i >= 0 && NN.notes[i]) soloNote(i).catch((err) => { window.nwErrors.push('note ' + err); console.error(err); });
        else seek(tOf(e.clientX - r.left, r.width));
      }
      down = null;
    });
    canvas.addEventListener('wheel', (e) => {
      e.preventDefault();
      const r = canvas.getBoundingClientRect();
      zoom(e.deltaY > 0 ? 1.25 : 0.8, tOf(e.clientX - r.left, r.width));
    }, { passive: false });
  }
  inBtn.onclick = () => zoom(0.5);
  outBtn.onclick = () => zoom(2);
  fitBtn.onclick = () => setRange(0, D.duration);
  window.addEventListener('resize', drawAll);
  document.addEventListener('keydown', (e) => {
    if (e.code === 'Space' && e.target === document.body) { e.preventDefault(); togglePlay(); }
  });

  // ---- audio: Web Audio graph (listening copies) or the mix's <audio> element ----
  let ctx = null, master = null, mixGain = null, noteGain = null, groupGains = [], buffers = null, sources = [], startedAt = 0, loading = null;
  let soloed = null;  // { index, buffer, start, source }: the soloed note's masked mix
  const targets = { mix: 0, note: 0, groups: D.groups.map(() => 0) };
  const fallback = !A && D.mix ? el('audio', { src: D.mix, preload: 'metadata', id: 'nw-mix-audio' }, root) : null;
  function decode(b64) {
    const bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return ctx.decodeAudioData(bytes.buffer);
  }
  function ensureGraph() {
    if (!A) return Promise.resolve(false);
    if (loading) return loading;
    ctx = new (window.AudioContext || window.webkitAudioContext)();
    master = ctx.createGain();
    master.connect(ctx.destination);
    mixGain = ctx.createGain();
    mixGain.connect(master);
    noteGain = ctx.createGain();
    noteGain.connect(master);
    groupGains = D.groups.map(() => { const g = ctx.createGain(); g.connect(master); return g; });
    loading = Promise.all([decode(A.mix), ...A.groups.map(decode)]).then((b) => {
      buffers = { mix: b[0], groups: b.slice(1) };
      applyGains();
      return true;
    });
    return loading;
  }
  function applyGains() {
    const anySolo = state.solo.size > 0;
    targets.mix = state.mode === 'mix' ? 1 : 0;
    targets.note = state.mode === 'note' ? 1 : 0;
    targets.groups = D.groups.map((g, k) => {
      if (state.mode !== 'stems' || state.mute.has(k) || (anySolo && !state.solo.has(k))) return 0;
      return Math.pow(10, state.gainDb[k] / 20);
    });
    groupUi.forEach((u, k) => { u.solo.classList.toggle('on', state.solo.has(k)); u.mute.classList.toggle('on', state.mute.has(k)); });
    mixBtn.classList.toggle('on', state.mode === 'mix');
    stemsBtn.classList.toggle('on', state.mode === 'stems');
    noteChip.style.display = noteOff.style.display = state.mode === 'note' ? '' : 'none';
    if (!ctx) return;
    const now = ctx.currentTime;
    mixGain.gain.setTargetAtTime(targets.mix, now, 0.01);  // 10 ms: no clicks on a switch
    noteGain.gain.setTargetAtTime(targets.note, now, 0.01);
    groupGains.forEach((g, k) => g.gain.setTargetAtTime(targets.groups[k], now, 0.01));
  }
  function setMode(m) {
    if (m === 'stems' && !A) return;
    state.mode = m;
    applyGains();
    drawAll();
  }
  noteOff.onclick = () => setMode('stems');
  mixBtn.onclick = () => setMode('mix');
  stemsBtn.onclick = () => setMode('stems');

  async function play() {
    if (state.playing) return;
    if (A) {
      await ensureGraph();
      if (ctx.state === 'suspended') await ctx.resume();
      const start = (buf, node) => { const s = ctx.createBufferSource(); s.buffer = buf; s.connect(node); s.start(0, state.time); return s; };
      sources = [start(buffers.mix, mixGain), ...buffers.groups.map((b, k) => start(b, groupGains[k]))];
      if (soloed) {  // the note's buffer covers [start, start + duration) only
        const s = ctx.createBufferSource();
        s.buffer = soloed.buffer;
        s.connect(noteGain);
        const offset = state.time - soloed.start;
        if (offset < soloed.buffer.duration) s.start(ctx.currentTime + Math.max(0, -offset), Math.max(0, offset));
        soloed.source = s;
        sources.push(s);
      }
      startedAt = ctx.currentTime - state.time;
    } else if (fallback) {
      fallback.currentTime = state.time;
      await fallback.play();
    } else return;
    state.playing = true;
    playBtn.textContent = 'Pause';
    requestAnimationFrame(tick);
  }
  function pause() {
    if (!state.playing) return;
    if (A) {
      state.time = ctx.currentTime - startedAt;
      for (const s of sources) { try { s.stop(); } catch (e) { /* never started: past the note */ } }
      sources = [];
      if (soloed) soloed.source = null;
    } else if (fallback) {
      fallback.pause();
      state.time = fallback.currentTime;
    }
    state.playing = false;
    playBtn.textContent = 'Play';
    drawAll();
  }
  function togglePlay() { return state.playing ? pause() : play(); }
  playBtn.onclick = togglePlay;
  function seek(t) {
    const was = state.playing;
    if (was) pause();
    state.time = clamp(t, 0, D.duration);
    drawAll();
    if (was) play();
  }
  function tick() {
    if (!state.playing) return;
    state.time = A ? ctx.currentTime - startedAt : fallback.currentTime;
    if (state.time >= D.duration) { pause(); state.time = 0; drawAll(); return; }
    // The view follows the cursor when it leaves it.
    if (state.time > state.t1 || state.time < state.t0) setRange(state.time - 0.05 * span(), state.time + 0.95 * span());
    else drawAll();
    requestAnimationFrame(tick);
  }

  // ---- solo per note: the note's share of the mix as a mask on the mix's STFT ----
  let noteBytes = null;
  async function noteData() {
    if (!noteBytes) {
      const bin = atob(NN.data), z = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) z[i] = bin.charCodeAt(i);
      const raw = new Blob([z]).stream().pipeThrough(new DecompressionStream('deflate'));
      noteBytes = new Uint8Array(await new Response(raw).arrayBuffer());
    }
    return noteBytes;
  }
  function fft(re, im) {  // in place, radix 2, forward (e^-i)
    const n = re.length;
    for (let i = 1, j = 0; i < n; i++) {
      let bit = n >> 1;
      for (; j & bit; bit >>= 1) j ^= bit;
      j ^= bit;
      if (i < j) { let t = re[i]; re[i] = re[j]; re[j] = t; t = im[i]; im[i] = im[j]; im[j] = t; }
    }
    for (let len = 2; len <= n; len <<= 1) {
      const a = -2 * Math.PI / len, wr = Math.cos(a), wi = Math.sin(a), half = len >> 1;
      for (let i = 0; i < n; i += len) {
        let cr = 1, ci = 0;
        for (let k = 0; k < half; k++) {
          const p = i + k, q = p + half, xr = re[q] * cr - im[q] * ci, xi = re[q] * ci + im[q] * cr;
          re[q] = re[p] - xr; im[q] = im[p] - xi; re[p] += xr; im[p] += xi;
          const t = cr * wr - ci * wi; ci = cr * wi + ci * wr; cr = t;
        }
      }
    }
  }
  // The masked mix over the note's frames (plus one FFT length each side), every channel:
  // Hann frames of ~46 ms at hop 1/4, each bin scaled by its band's share at the frame's time
  // (linear between the data's columns, zero outside them), overlap-added.
  async function maskNote(i) {
    const bytes = await noteData();
    const [begin, cols, offset] = NN.notes[i];
    const fs = NN.frame_seconds, step = NN.step, B = NN.bands, mix = buffers.mix, sr = mix.sampleRate;
    const n = Math.pow(2, Math.round(Math.log2(0.046 * sr))), hop = n / 4;
    const t0 = begin * fs, t1 = (begin + cols * step) * fs;
    const s0 = Math.max(0, Math.floor(t0 * sr) - n), s1 = Math.min(mix.length, Math.ceil(t1 * sr) + n), len = s1 - s0;
    const band = new Int32Array(n / 2 + 1);
    for (let k = 0; k <= n / 2; k++)
      band[k] = clamp(Math.round(Math.log2(Math.max(k * sr / n, NN.fmin) / NN.fmin) * NN.bands_per_octave), 0, B - 1);
    const win = new Float64Array(n);
    for (let k = 0; k < n; k++) win[k] = 0.5 - 0.5 * Math.cos(2 * Math.PI * k / n);
    const share = new Float64Array(B);
    function shareAt(t) {  // t: seconds
      share.fill(0);
      if (t < t0 || t >= t1) return;
      const x = clamp((t / fs - begin - (step - 1) / 2) / step, 0, cols - 1), c = Math.floor(x), c2 = Math.min(cols - 1, c + 1), f = x - c;
      for (let b = 0; b < B; b++) share[b] = ((1 - f) * bytes[offset + c * B + b] + f * bytes[offset + c2 * B + b]) / 255;
    }
    const out = ctx.createBuffer(mix.numberOfChannels, len, sr);
    const re = new Float64Array(n), im = new Float64Array(n);
    for (let ch = 0; ch < mix.numberOfChannels; ch++) {
      const x = mix.getChannelData(ch), y = new Float64Array(len), norm = new Float64Array(len);
      for (let q = hop - n; q < len; q += hop) {
        for (let k = 0; k < n; k++) { const j = s0 + q + k; re[k] = j >= s0 && j < s1 ? x[j] * win[k] : 0; im[k] = 0; }
        fft(re, im);
        shareAt((s0 + q + n / 2) / sr);
        for (let k = 0; k <= n / 2; k++) {
          const m = share[band[k]];
          re[k] *= m; im[k] *= m;
          if (k > 0 && k < n / 2) { re[n - k] *= m; im[n - k] *= m; }
        }
        for (let k = 0; k < n; k++) im[k] = -im[k];  // inverse by conjugation
        fft(re, im);
        for (let k = 0; k < n; k++) {
          const j = q + k;
          if (j < 0 || j >= len) continue;
          y[j] += re[k] / n * win[k];
          norm[j] += win[k] * win[k];
        }
      }
      const o = out.getChannelData(ch);
      for (let j = 0; j < len; j++) o[j] = norm[j] > 1e-6 ? y[j] / norm[j] : 0;
    }
    return { buffer: out, start: s0 / sr };
  }
  async function soloNote(i) {
    if (!NN || !NN.notes[i] || !(await ensureGraph())) return;
    const masked = await maskNote(i);
    if (state.playing) pause();
    soloed = Object.assign({ index: i, source: null }, masked);
    state.note = i;
    const [on, , p, g] = D.notes[i];
    noteChip.textContent = 'note ' + noteName(p) + ' at ' + fmtTime(on) + ' (' + D.groups[g].name + ')';
    state.time = clamp(on - 0.05, 0, D.duration);
    setMode('note');
    await play();
  }

  // What a test (or a curious user in the console) can read and drive.
  window.notewiseViewer = {
    state: () => ({ t0: state.t0, t1: state.t1, time: state.time, playing: state.playing, mode: state.mode,
                    solo: [...state.solo], mute: [...state.mute], gainDb: state.gainDb.slice(), note: state.note }),
    graph: () => ({ context: ctx ? ctx.state : null, targets: { mix: targets.mix, note: targets.note, groups: targets.groups.slice() },
                    gains: ctx ? { mix: mixGain.gain.value, note: noteGain.gain.value, groups: groupGains.map((g) => g.gain.value) } : null,
                    sources: sources.length, decoded: !!buffers,
                    note: soloed ? { index: soloed.index, start: soloed.start, duration: soloed.buffer.duration,
                                     playing: !!soloed.source && sources.includes(soloed.source) } : null }),
    // The soloed note's buffer and the mix over the same samples (AudioBuffers), for checks.
    noteAudio: () => {
      if (!soloed) return null;
      const m = buffers.mix, s0 = Math.round(soloed.start * m.sampleRate), b = soloed.buffer;
      const seg = ctx.createBuffer(m.numberOfChannels, b.length, m.sampleRate);
      for (let ch = 0; ch < m.numberOfChannels; ch++) seg.getChannelData(ch).set(m.getChannelData(ch).subarray(s0, s0 + b.length));
      return { note: b, mix: seg, pitch: D.notes[soloed.index][2] };
    },
    // Canvas coordinates (CSS px) of time t and MIDI pitch p in a view.
    where: (id, t, p) => {
      const v = views.find((u) => u.id === id);
      return { x: xOf(t, v.canvas.clientWidth), y: noteY(v, p, v.canvas.clientHeight) };
    },
    notes: () => D.notes, hasNoteSolo: !!NN, soloNote,
    ready: () => views.every((v) => v.img.complete && v.img.naturalWidth > 0),
    // Per view: whether it has a fine level, how many of its tiles are loaded, what it drew last.
    levels: () => views.map((v) => ({ id: v.id, fine: v.fine ? v.fine.files.length : 0,
                                      loaded: (v.tiles || []).filter((i) => i && i.complete && i.naturalWidth > 0).length,
                                      drawn: v.drawn || null })),
    ensureGraph, play, pause, seek, zoom, setRange,
  };
  applyGains();
  drawAll();
})();
