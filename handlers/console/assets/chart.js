// The last hour's deliveries per minute, drawn as SVG: stacked bars of succeeded and failed
// attempts on the left axis, p50 and p99 latency as lines on the right one.
import { h, s } from './dom.js';

const W = 760, H = 260;
const pad = { left: 44, right: 56, top: 16, bottom: 30 };

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, so the axis reads well.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// round shows an axis value without a needless fraction (2.5, 5, 10).
const round = (v) => String(Number(v.toFixed(1)));

function hhmm(iso) {
  const d = new Date(iso);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

// statsChart draws minutes ([{minute, succeeded, failed, p50Ms, p99Ms}], oldest first).
export function statsChart(minutes) {
  const n = Math.max(minutes.length, 1);
  const plotW = W - pad.left - pad.right, plotH = H - pad.top - pad.bottom;
  const countMax = niceMax(Math.max(0, ...minutes.map((m) => (m.succeeded || 0) + (m.failed || 0))));
  const msMax = niceMax(Math.max(0, ...minutes.map((m) => Math.max(m.p50Ms || 0, m.p99Ms || 0))));
  const slot = plotW / n, barW = Math.max(1, slot * 0.7);
  const x = (i) => pad.left + i * slot;
  const yCount = (v) => pad.top + plotH - (v / countMax) * plotH;
  const yMs = (v) => pad.top + plotH - (v / msMax) * plotH;

  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', testid: 'stats-chart',
    'aria-label': 'Deliveries per minute by outcome, and p50/p99 latency, over the last hour' });
  // Grid and axes.
  for (const f of [0, 0.25, 0.5, 0.75, 1]) {
    const y = pad.top + plotH - f * plotH;
    svg.append(s('line', { x1: pad.left, x2: W - pad.right, y1: y, y2: y, class: 'grid' }));
    if (f !== 0 && f !== 0.5 && f !== 1) continue; // labels where the numbers are round
    svg.append(s('text', { x: pad.left - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, round(countMax * f)));
    svg.append(s('text', { x: W - pad.right + 6, y: y + 4, class: 'axis', 'text-anchor': 'start' }, `${round(msMax * f)} ms`));
  }
  minutes.forEach((m, i) => {
    if (i % 10 === 0 || i === minutes.length - 1) {
      svg.append(s('text', { x: x(i) + slot / 2, y: H - 10, class: 'axis', 'text-anchor': 'middle' }, hhmm(m.minute)));
    }
  });
  // Bars: succeeded at the bottom, failed on top.
  minutes.forEach((m, i) => {
    const ok = m.succeeded || 0, bad = m.failed || 0;
    const g = s('g', { class: 'minute', testid: 'stats-minute', 'data-minute': m.minute, 'data-succeeded': ok, 'data-failed': bad });
    g.append(s('title', {}, `${hhmm(m.minute)}: ${ok} succeeded, ${bad} failed, p50 ${m.p50Ms || 0} ms, p99 ${m.p99Ms || 0} ms`));
    const bx = x(i) + (slot - barW) / 2;
    if (ok > 0) g.append(s('rect', { x: bx, width: barW, y: yCount(ok), height: yCount(0) - yCount(ok), class: 'bar-succeeded' }));
    if (bad > 0) g.append(s('rect', { x: bx, width: barW, y: yCount(ok + bad), height: yCount(ok) - yCount(ok + bad), class: 'bar-failed' }));
    // An invisible full-height target, so that every minute shows its tooltip.
    g.append(s('rect', { x: x(i), width: slot, y: pad.top, height: plotH, class: 'hover' }));
    svg.append(g);
  });
  // Latency lines over minutes with attempts, with a dot on each, so that one minute shows too.
  for (const [key, cls, testid] of [['p50Ms', 'line-p50', 'p50-line'], ['p99Ms', 'line-p99', 'p99-line']]) {
    const pts = minutes
      .map((m, i) => ((m.succeeded || 0) + (m.failed || 0) > 0 ? [x(i) + slot / 2, yMs(m[key] || 0)] : null))
      .filter(Boolean);
    svg.append(s('polyline', { points: pts.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' '), class: cls, testid }));
    for (const [px, py] of pts) svg.append(s('circle', { cx: px.toFixed(1), cy: py.toFixed(1), r: 2.5, class: `dot ${cls}` }));
  }
  return svg;
}

// legend names the chart's colours.
export function legend() {
  const item = (cls, label) => h('span', { class: 'legend-item' }, h('span', { class: `swatch ${cls}` }), label);
  return h('div', { class: 'legend' }, item('bar-succeeded', 'succeeded'), item('bar-failed', 'failed'),
    item('line-p50', 'p50 latency'), item('line-p99', 'p99 latency'));
}
