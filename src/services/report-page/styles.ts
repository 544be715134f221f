/**
 * The page's only stylesheet, inline. Its SHA-256 goes into the Content-Security-Policy (`style-src
 * 'sha256-…'`), so nothing else may style the page: no style attributes anywhere (charts use classes and
 * SVG geometry attributes), no external sheet, no font.
 */
export const STYLES = `
:root{--ink:#1d2330;--muted:#5b6475;--line:#d9dee7;--bg:#f6f7fa;--card:#fff;--accent:#2f6fdf;--ok:#1f8a4c;--watch:#b7791f;--bad:#c53030}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header,main,footer{max-width:1100px;margin:0 auto;padding:0 20px}
header{padding-top:24px}
h1{font-size:24px;margin:0 0 4px}
h2{font-size:18px;margin:0 0 10px}
h3{font-size:15px;margin:18px 0 8px}
a{color:var(--accent)}
.meta{color:var(--muted);margin:0 0 12px}
.status{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;color:#fff;font-size:12px;text-transform:uppercase;letter-spacing:.04em;vertical-align:middle}
.status-ok{background:var(--ok)}.status-watch{background:var(--watch)}.status-action{background:var(--bad)}
.headline{font-size:16px;margin:10px 0}
section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 18px;margin:16px 0}
.columns{display:grid;grid-template-columns:1fr 1fr;gap:16px}
@media (max-width:800px){.columns{grid-template-columns:1fr}}
ul.lines{margin:0;padding-left:20px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin:12px 0}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
.kpi b{display:block;font-size:20px}
.kpi>span{color:var(--muted);font-size:12px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
.note,.empty{color:var(--muted)}
.sev-none,.sev-low{color:var(--ok)}.sev-medium{color:var(--watch)}.sev-high,.sev-critical{color:var(--bad)}
.tag{display:inline-block;padding:0 6px;border-radius:4px;background:#eef1f6;font-size:12px}
.tag.critical,.tag.failed,.tag.fail{background:#fde2e2;color:var(--bad)}
.tag.warning,.tag.pending,.tag.awaiting_live,.tag.kept{background:#fdf0d5;color:#8a5a00}
.tag.succeeded,.tag.promoted,.tag.pass,.tag.production{background:#dcf3e5;color:var(--ok)}
svg.chart{display:block;width:100%;max-width:100%;height:auto;font-size:11px;margin:6px 0}
svg.chart text{fill:var(--muted)}
svg.chart .grid{stroke:#eceff4}
svg.chart .baseline,svg.chart .tick{stroke:#9aa3b2}
svg.chart .line{fill:none;stroke:var(--accent);stroke-width:2}
svg.chart .line.thin{stroke-width:1;stroke:#9aa3b2}
svg.chart .point{fill:var(--accent);stroke:#fff;stroke-width:1.5}
svg.chart .point.calibration{fill-opacity:.85}
svg.chart .volume{fill:#c9d6ee}
svg.chart .marker line{stroke:#6b46c1;stroke-width:1.5;stroke-dasharray:4 3}
svg.chart .marker text{fill:#6b46c1;font-weight:600}
svg.chart .marker.rolled-back line{stroke:var(--bad)}
svg.chart .marker.rolled-back text{fill:var(--bad)}
svg.chart .bar.stable{fill:#9fb3d1}
svg.chart .bar.drifted{fill:var(--bad)}
svg.chart .bar.drifted.sev-low{fill:#e8a1a1}
svg.chart .bar.drifted.sev-medium{fill:#dd6b20}
svg.chart .bar.residual{fill:var(--accent);fill-opacity:.75}
svg.chart .feature text.name{fill:var(--ink)}
svg.chart text.overflow{fill:#fff;font-weight:600}
svg.chart .threshold line{stroke:#555;stroke-dasharray:3 3}
svg.chart .zero{stroke:#555;stroke-width:1}
svg.chart .mean{stroke:var(--bad);stroke-width:1.5;stroke-dasharray:5 3}
svg.chart .diagonal{stroke:#9aa3b2;stroke-dasharray:4 4}
svg.chart .severity-point{stroke:#fff;stroke-width:1.5}
svg.chart .severity-point.sev-none,svg.chart .severity-point.sev-low{fill:var(--ok)}
svg.chart .severity-point.sev-medium{fill:var(--watch)}
svg.chart .severity-point.sev-high,svg.chart .severity-point.sev-critical{fill:var(--bad)}
details{margin-top:6px}
summary{cursor:pointer;color:var(--muted)}
footer{color:var(--muted);padding:8px 20px 30px}
@media print{body{background:#fff}section{break-inside:avoid;border-color:#bbb}}
`;
