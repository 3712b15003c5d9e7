// Drives headless Chromium over a notewise report as a user would, from file:// (no server):
//   node tests/report/browser_test.js DIR/report.html SCREENSHOT.png
// Asserts: at 1280x800 the verdict block is in the first screen and says "good" (--verdict WORD:
// only that, for another run); the page loads with no console error and every image and view loads; the zoom
// button halves the visible span and a wheel zooms in; a click on a view seeks there; playing
// moves the cursor; soloing a group changes the page's audio graph (the other groups' gains go
// to zero, the soloed group's stays at one); A/B to the mix silences the stems; clicking a
// note of the piano roll solos it (the graph plays the note's masked mix, the mix and stems
// are silent, and the note's audio has far less energy an octave below its pitch than the mix
// there, where the other hand plays). Exit 1 on the first failed check, naming it.
'use strict';
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

// With --verdict WORD: only the first-viewport checks (the verdict block says WORD), e.g. for a
// run on a wrong score.
const args = process.argv.slice(2);
let want_verdict = 'good', verdict_only = false;
if (args[0] === '--verdict') {
  want_verdict = args[1];
  verdict_only = true;
  args.splice(0, 2);
}
const [page_path, shot] = args;
if (!page_path || !shot) {
  console.error('usage: node browser_test.js [--verdict WORD] REPORT.html SCREENSHOT.png');
  process.exit(2);
}
function check(ok, what) {
  if (!ok) {
    console.error('FAILED: ' + what);
    process.exit(1);
  }
  console.log('ok: ' + what);
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
  try {
    // The first screen: at 1280 x 800, before any scrolling, the verdict block is wholly in view
    // and says what the run should say; its stem links, and every other link of the page to a
    // file, resolve to files of the output folder.
    {
      const first = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await first.goto('file://' + path.resolve(page_path));
      const v = await first.evaluate(() => {
        const el = document.getElementById('nw-verdict');
        if (!el) return null;
        const r = el.getBoundingClientRect();
        const word = el.querySelector('.nw-verdict-word');
        return { top: r.top, bottom: r.bottom, height: r.height, scroll: window.scrollY, data: el.dataset.verdict,
                 word: word ? word.textContent.trim() : '', visible: r.width > 0 && getComputedStyle(el).visibility === 'visible',
                 stems: [...el.querySelectorAll('a.nw-stem')].map((a) => a.getAttribute('href')),
                 links: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
                 next: [...el.querySelectorAll('.nw-next code')].map((c) => c.textContent) };
      });
      check(v !== null, 'the page has a verdict block');
      check(v.visible && v.scroll === 0 && v.top >= 0 && v.bottom <= 800,
            'the verdict block lies within the first 1280x800 screen (top ' + v.top.toFixed(0) + ', bottom ' + v.bottom.toFixed(0) + ' px)');
      check(v.word.toLowerCase() === want_verdict && v.data === want_verdict, 'the verdict says ' + want_verdict + ' (' + v.word + ')');
      const dir = path.dirname(path.resolve(page_path));
      const local = v.links.filter((h) => !/^[a-z]+:/i.test(h) && !h.startsWith('#'));
      check(v.stems.length >= 2 && v.stems.every((h) => fs.existsSync(path.join(dir, decodeURIComponent(h)))),
            'the verdict links every stem to its file (' + v.stems.join(', ') + ')');
      check(local.every((h) => !h.startsWith('/') && fs.existsSync(path.join(dir, decodeURIComponent(h)))),
            'every link of the page is relative and names an existing file (' + local.length + ' links)');
      check(v.next.some((c) => c.startsWith('notewise edit ')) && v.next.some((c) => c.startsWith('notewise separate ') && c.includes('--group')),
            'the verdict gives the next commands (edit, regroup)');
      await first.screenshot({ path: shot.replace(/\.png$/, '') + '-first-screen.png', fullPage: false });
      await first.close();
      if (verdict_only) return;
    }
    const page = await browser.newPage({ viewport: { width: 1280, height: 1300 } });
    // Until `condition` holds in the page (at most a minute; the check after it says what failed).
    const settle = (condition) => page.waitForFunction(condition, null, { timeout: 60000, polling: 50 }).catch(() => {});
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto('file://' + path.resolve(page_path));
    await page.waitForFunction(() => window.notewiseViewer && window.notewiseViewer.ready(), null, { timeout: 60000 });
    await page.waitForFunction(() => document.body.dataset.selfcheck, null, { timeout: 60000 }).catch(() => {});
    const self = await page.evaluate(() => document.body.dataset.selfcheck);
    const m = /images (\d+)\/(\d+), audio (\d+)\/(\d+), errors (\d+)/.exec(self || '');
    check(m && m[1] === m[2] && m[3] === m[4] && m[5] === '0', 'every image and audio file of the page loads (' + self + ')');
    const views = await page.$$('#nw-viewer canvas[data-view]');
    check(views.length >= 4, 'the viewer shows the mix, stems, activations and masks (' + views.length + ' views)');

    const s0 = await page.evaluate(() => window.notewiseViewer.state());
    await page.click('#nw-zoom-in');
    const s1 = await page.evaluate(() => window.notewiseViewer.state());
    check(Math.abs((s1.t1 - s1.t0) - (s0.t1 - s0.t0) / 2) < 1e-6, 'the + button halves the visible span');
    const box = await views[0].boundingBox();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2);
    await page.mouse.wheel(0, -200);
    const s2 = await page.evaluate(() => window.notewiseViewer.state());
    check(s2.t1 - s2.t0 < s1.t1 - s1.t0, 'the wheel zooms in');
    // Zoomed in, every view draws from its fine tiles (one column per frame) over the span, and
    // loads only the tiles it needs.
    await page.waitForFunction(() => window.notewiseViewer.levels().every((l) => l.drawn && l.drawn.level === 1 && l.drawn.complete),
                               null, { timeout: 60000 }).catch(() => {});
    const lv = await page.evaluate(() => window.notewiseViewer.levels());
    check(lv.every((l) => l.fine > 1 && l.drawn.level === 1 && l.drawn.complete && l.drawn.from <= s2.t0 + 1e-6 && l.drawn.to >= s2.t1 - 1e-6),
          'zoomed in, every view draws its fine tiles over the visible span (' + lv.map((l) => l.loaded + '/' + l.fine).join(' ') + ' tiles)');
    check(lv.every((l) => l.loaded < l.fine), 'only the tiles of the visible span are loaded (the example has 2 per view)');
    await page.click('#nw-zoom-fit');

    // A click at 3/4 of the plotted width (the first 56 px are the axis) seeks to 3/4 of the piece
    // (near the top of the mix view: no note there to solo).
    const full = await page.evaluate(() => window.notewiseViewer.state());
    const x = box.x + 56 + (box.width - 56) * 0.75;
    await page.mouse.click(x, box.y + 3);
    const s3 = await page.evaluate(() => window.notewiseViewer.state());
    const want = full.t0 + 0.75 * (full.t1 - full.t0);
    check(Math.abs(s3.time - want) < 0.02 * (full.t1 - full.t0), 'a click seeks (' + s3.time.toFixed(2) + ' s, want ' + want.toFixed(2) + ' s)');

    // Playback moves the cursor and builds the audio graph from the listening copies.
    await page.evaluate(() => window.notewiseViewer.seek(1));
    await page.click('#nw-play');
    // Waits for what is checked, never for a fixed time: on a busy machine playback and the
    // gain ramps advance late, and a test of wall-clock progress fails there for no fault.
    await settle(() => { const s = window.notewiseViewer.state(), g = window.notewiseViewer.graph(); return g.decoded && s.playing && s.time > 1.2; });
    const g0 = await page.evaluate(() => window.notewiseViewer.graph());
    const s4 = await page.evaluate(() => window.notewiseViewer.state());
    check(g0.decoded && g0.sources > 1, 'the listening copies decode into a Web Audio graph (' + g0.sources + ' sources)');
    check(s4.playing && s4.time > 1.2, 'playing moves the cursor (' + s4.time.toFixed(2) + ' s)');

    // Solo the first group: the others fall silent in the graph, the soloed one plays at 0 dB.
    const groups = await page.$$('#nw-groups button.nw-solo');
    await groups[0].click();
    await settle(() => { const g = window.notewiseViewer.graph(); return Math.abs(g.gains.groups[0] - 1) < 0.05 && g.gains.groups.slice(1).every((v) => v < 0.05); });
    const g1 = await page.evaluate(() => window.notewiseViewer.graph());
    check(g1.targets.groups[0] === 1 && g1.targets.groups.slice(1).every((v) => v === 0) && g1.targets.mix === 0,
          'solo: the graph\'s targets are 1 for the soloed group, 0 for the others and the mix');
    check(Math.abs(g1.gains.groups[0] - 1) < 0.05 && g1.gains.groups.slice(1).every((v) => v < 0.05),
          'solo: the gain nodes follow (' + g1.gains.groups.map((v) => v.toFixed(3)).join(', ') + ')');
    await page.click('#nw-ab-mix');
    await settle(() => { const g = window.notewiseViewer.graph(); return g.gains.mix > 0.95 && g.gains.groups.every((v) => v < 0.05); });
    const g2 = await page.evaluate(() => window.notewiseViewer.graph());
    check(g2.gains.mix > 0.95 && g2.gains.groups.every((v) => v < 0.05), 'A/B: the mix plays, the stems are silent');

    // Click a note of the piano roll on the activations view: a high note (>= C5) held while a
    // note at least 15 semitones lower sounds (the other hand, below the note's own partials).
    const notes = await page.evaluate(() => window.notewiseViewer.notes());
    const pick = notes.findIndex(([on, du, p]) => p >= 72 && du >= 0.25 &&
      notes.some(([o2, d2, p2]) => p2 <= p - 15 && o2 <= on + du / 2 && o2 + d2 >= on + du / 2));
    check(pick >= 0 && await page.evaluate(() => window.notewiseViewer.hasNoteSolo), 'the page has per-note data and a high note over a low one (note ' + pick + ')');
    const [on, du, pitch] = notes[pick];
    const act = await page.$('#nw-viewer canvas[data-view="activations"]');
    const abox = await act.boundingBox();
    const at = await page.evaluate(([t, p]) => window.notewiseViewer.where('activations', t, p), [on + du / 2, pitch]);
    await page.mouse.click(abox.x + at.x, abox.y + at.y);
    await page.waitForFunction(() => { const g = window.notewiseViewer.graph(); return g.note && g.note.playing; }, null, { timeout: 30000 });
    await settle(() => { const g = window.notewiseViewer.graph(); return g.gains.note > 0.95 && g.gains.mix < 0.05 && g.gains.groups.every((v) => v < 0.05); });
    const sn = await page.evaluate(() => window.notewiseViewer.state());
    const gn = await page.evaluate(() => window.notewiseViewer.graph());
    const got = notes[sn.note] || [];
    check(sn.mode === 'note' && got[2] === pitch && got[0] <= on + du / 2 && got[0] + got[1] >= on + du / 2,
          'a click on a note solos that note (' + sn.note + ', pitch ' + got[2] + ', want ' + pitch + ')');
    check(gn.targets.note === 1 && gn.targets.mix === 0 && gn.targets.groups.every((v) => v === 0) &&
          gn.gains.note > 0.95 && gn.gains.mix < 0.05 && gn.gains.groups.every((v) => v < 0.05),
          'note solo: the graph plays the note\'s source alone (gains note ' + gn.gains.note.toFixed(3) + ')');
    check(gn.note.start <= on && gn.note.start + gn.note.duration >= on + du,
          'the note\'s source covers the note (' + gn.note.start.toFixed(2) + ' s + ' + gn.note.duration.toFixed(2) + ' s)');
    // Energy below half the note's fundamental (4 low-pass biquads, 48 dB/octave): the mix there
    // holds the other hand, the note's share should hold almost none of it.
    const low = await page.evaluate(async () => {
      const a = window.notewiseViewer.noteAudio();
      const cutoff = 440 * Math.pow(2, (a.pitch - 69) / 12) / 2;
      async function fraction(buf) {
        const oc = new OfflineAudioContext(1, buf.length, buf.sampleRate);
        const src = oc.createBufferSource();
        src.buffer = buf;
        let node = src;
        for (let i = 0; i < 4; i++) { const f = oc.createBiquadFilter(); f.type = 'lowpass'; f.frequency.value = cutoff; f.Q.value = -3.0103; node.connect(f); node = f; }  // Q in dB: Butterworth
        node.connect(oc.destination);
        src.start();
        const out = (await oc.startRendering()).getChannelData(0);
        let e = 0, lo = 0;
        for (let ch = 0; ch < buf.numberOfChannels; ch++) for (const v of buf.getChannelData(ch)) e += v * v / buf.numberOfChannels;
        for (const v of out) lo += v * v;
        return { total: e, low: lo / Math.max(e, 1e-20) };
      }
      return { note: await fraction(a.note), mix: await fraction(a.mix) };
    });
    check(low.note.total > 1e-6 * low.mix.total && low.note.total < low.mix.total,
          'the note\'s audio is neither silent nor the whole mix (energy ' + (low.note.total / low.mix.total).toFixed(3) + ' of the mix\'s)');
    check(low.note.low < 0.1 * low.mix.low,
          'the note\'s audio leaves out what lies below it (low-band fraction ' + low.note.low.toFixed(4) + ' vs the mix\'s ' + low.mix.low.toFixed(4) + ')');
    await page.click('#nw-note-off');
    const gb = await page.evaluate(() => window.notewiseViewer.graph());
    check(gb.targets.note === 0 && gb.targets.groups.some((v) => v > 0), 'the x button returns to the stems');
    await page.click('#nw-play');  // pause

    await page.screenshot({ path: shot, fullPage: false });
    check(errors.length === 0, 'no console error (' + errors.join(' | ') + ')');
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error('FAILED: ' + e.message);
  process.exit(1);
});
