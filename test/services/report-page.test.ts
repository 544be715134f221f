import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeHtml, html } from '../../src/services/report-page/html.js';
import { reportCsp } from '../../src/services/report-page/page.js';
import { STYLES } from '../../src/services/report-page/styles.js';
import { brokenPath, niceTicks } from '../../src/services/report-page/svg.js';

describe('the report page’s HTML', () => {
  it('escapes every interpolated value, and only fragments it built pass as markup', () => {
    const hostile = `<img src=x onerror="alert('1')">&amp;`;
    expect(escapeHtml(hostile)).toBe('&lt;img src=x onerror=&quot;alert(&#39;1&#39;)&quot;&gt;&amp;amp;');
    const cell = html`<td title="${hostile}">${hostile}</td>`;
    expect(cell.value).toBe(`<td title="${escapeHtml(hostile)}">${escapeHtml(hostile)}</td>`);
    expect(html`<tr>${[cell, hostile, 3, null, undefined, false]}</tr>`.value).toBe(`<tr>${cell.value}${escapeHtml(hostile)}3</tr>`);
    expect(html`${Number.NaN}|${Infinity}`.value).toBe('|');
  });

  it('allows nothing but its own inline stylesheet (by hash) and data: images', () => {
    const hash = createHash('sha256').update(STYLES).digest('base64');
    const csp = reportCsp();
    expect(csp.header).toBe(`default-src 'none'; img-src data:; style-src 'sha256-${hash}'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
    expect(csp.meta).toBe(csp.header.replace("; frame-ancestors 'none'", ''));
    // No construct in the stylesheet that would load anything.
    expect(STYLES).not.toMatch(/url\(|@import|@font-face/);
  });

  it('draws chart scaffolding: round ticks, lines broken at empty buckets', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.4, 0.9, 5)).toEqual([0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    expect(niceTicks(3, 3)).toEqual([3]);
    expect(brokenPath([{ x: 0, y: 1 }, { x: 1.006, y: 2 }, null, { x: 3, y: 4 }])).toBe('M0,1L1.01,2M3,4');
  });
});
