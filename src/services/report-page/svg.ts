import { type Fragment, Html, coord, html } from './html.js';

/** Scales, ticks and the frame shared by the report's server-rendered SVG charts. */

export interface Box {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export const plotWidth = (b: Box) => b.width - b.left - b.right;
export const plotHeight = (b: Box) => b.height - b.top - b.bottom;

/** Maps [d0, d1] onto [r0, r1] (a degenerate domain maps to the middle). */
export function linear(d0: number, d1: number, r0: number, r1: number): (x: number) => number {
  if (!(d1 > d0)) return () => (r0 + r1) / 2;
  return (x) => r0 + ((x - d0) / (d1 - d0)) * (r1 - r0);
}

/** About `count` round tick values covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (max <= min) return [min];
  const raw = (max - min) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step - 1e-9) * step; t <= max + step * 1e-9; t += step) ticks.push(Number(t.toPrecision(12)));
  return ticks;
}

export interface ChartFrame {
  id: string;
  /** `data-chart`: what the browser test looks for. */
  kind: string;
  title: string;
  description: string;
  box: Box;
}

/** An accessible SVG: role img, labelled by its <title> and <desc>; hovering any mark shows its own <title>. */
export function svgChart(frame: ChartFrame, body: Fragment): Html {
  const { id, box } = frame;
  return html`<svg id="${id}" class="chart" data-chart="${frame.kind}" viewBox="0 0 ${box.width} ${box.height}" width="${box.width}" height="${box.height}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="${id}-title">${frame.title}</title><desc id="${id}-desc">${frame.description}</desc>${body}</svg>`;
}

/** Horizontal grid lines with labels on the left. */
export function yAxis(box: Box, ticks: number[], y: (v: number) => number, label: (v: number) => string): Html {
  return html`<g class="axis y">${ticks.map(
    (t) => html`<line class="grid" x1="${coord(box.left)}" x2="${coord(box.width - box.right)}" y1="${coord(y(t))}" y2="${coord(y(t))}"/><text x="${coord(box.left - 6)}" y="${coord(y(t) + 4)}" text-anchor="end">${label(t)}</text>`,
  )}</g>`;
}

/** Tick labels under the plot. */
export function xAxis(box: Box, ticks: { at: number; label: string }[]): Html {
  const base = box.height - box.bottom;
  return html`<g class="axis x"><line class="baseline" x1="${coord(box.left)}" x2="${coord(box.width - box.right)}" y1="${coord(base)}" y2="${coord(base)}"/>${ticks.map(
    (t) => html`<line class="tick" x1="${coord(t.at)}" x2="${coord(t.at)}" y1="${coord(base)}" y2="${coord(base + 4)}"/><text x="${coord(t.at)}" y="${coord(base + 16)}" text-anchor="middle">${t.label}</text>`,
  )}</g>`;
}

export const empty = (message: string) => html`<p class="empty">${message}</p>`;

/** A polyline path through the points, broken wherever a point is null (an empty bucket). */
export function brokenPath(points: ({ x: number; y: number } | null)[]): string {
  let d = '';
  let pen = false;
  for (const p of points) {
    if (!p) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${coord(p.x)},${coord(p.y)}`;
    pen = true;
  }
  return d;
}

export { Html };
