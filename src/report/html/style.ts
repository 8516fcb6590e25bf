/** The report's stylesheet: light, print-friendly (A4, page breaks between candidates), no external fonts. */
export const CSS = `
:root { --ink: #1b1b1b; --muted: #5a5a5a; --line: #d0d0d0; --soft: #f4f5f7; --blue: #0072B2; --orange: #E69F00; --verm: #D55E00; --purple: #CC79A7; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; color: var(--ink); background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 22px 0 8px; }
h4 { font-size: 14px; margin: 16px 0 6px; }
p { margin: 6px 0; }
code, pre, .mono { font-family: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", "Liberation Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.subtitle { color: var(--muted); margin: 0 0 14px; word-break: break-all; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 10px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-word; }
nav.toc { background: var(--soft); border: 1px solid var(--line); padding: 8px 14px; margin: 14px 0; }
nav.toc ol { margin: 4px 0; padding-left: 22px; }
nav.toc a { color: var(--blue); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; background: var(--soft); border-bottom: 1px solid #aaa; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 12px 0 18px; }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 2px; }
svg { display: block; width: 100%; height: auto; overflow: visible; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", Arial, sans-serif; fill: var(--ink); }
svg .gutter, svg .lane-label { font-size: 11.5px; }
svg .row-label { font-size: 12.5px; font-weight: 700; }
svg .band-text { font-size: 11px; fill: #222; }
svg .band-bar { fill: #E9E9E9; stroke: #6E6E6E; stroke-width: 0.8; }
svg .seg-text-on { font-size: 11px; fill: #fff; font-weight: 600; }
svg .seg-text { font-size: 11px; font-weight: 600; fill: #000; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
svg .row-frame { fill: none; stroke: #444; stroke-width: 0.7; }
svg .lane-base { stroke: #BDBDBD; stroke-width: 0.7; }
svg .sym { font-weight: 700; }
svg .grid { stroke: #C9C9C9; stroke-width: 0.8; stroke-dasharray: 3 3; }
svg .axis line { stroke: #333; stroke-width: 1; }
svg .tick-label { font-size: 11px; }
svg .axis-note, svg .axis-title { font-size: 11px; fill: var(--muted); }
svg .break { font-size: 14px; fill: #333; }
svg .callout text, svg .callout-more { font-size: 10.5px; fill: #0B4F7A; font-weight: 600; }
svg .callout line { stroke: #0B4F7A; stroke-width: 1; }
svg .marker line { stroke: #000; stroke-width: 1.4; stroke-dasharray: 5 3; }
svg .marker text { font-size: 11px; font-weight: 700; paint-order: stroke; stroke: #fff; stroke-width: 3px; }
svg .bar-label { font-size: 12px; }
svg .bar-count { font-size: 11.5px; font-weight: 700; }
svg .bar-count.on { fill: #fff; }
svg .bar-count.halo { paint-order: stroke; stroke: #fff; stroke-width: 3px; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 18px; margin: 6px 0 4px; font-size: 12.5px; }
.legend .item { display: inline-flex; align-items: center; gap: 6px; }
.legend svg.swatch, .how svg.swatch { display: inline-block; width: 22px; height: 14px; vertical-align: -2px; }
.how { background: var(--soft); border: 1px solid var(--line); padding: 10px 14px; margin: 12px 0; font-size: 13px; }
.how ul { margin: 4px 0; padding-left: 20px; }
.candidate { margin-top: 8px; }
.candidate > h2 { border-bottom-width: 3px; }
.tags { color: var(--muted); font-size: 12.5px; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--blue); border-radius: 3px; padding: 10px 14px; margin: 10px 0; background: #fff; break-inside: avoid; }
.card.error { border-left-color: var(--verm); }
.card.warning { border-left-color: var(--orange); }
.card.info { border-left-color: var(--blue); }
.card .head { display: flex; flex-wrap: wrap; gap: 8px; align-items: baseline; margin-bottom: 4px; }
.sev { font-weight: 700; font-size: 12px; text-transform: uppercase; letter-spacing: 0.03em; padding: 1px 6px; border: 1.5px solid currentColor; border-radius: 3px; }
.sev.error { color: #A33F00; }
.sev.warning { color: #7A5400; }
.sev.info { color: #00558A; }
.code { font-weight: 700; }
.where { color: var(--muted); font-size: 12.5px; }
.fix { margin-top: 8px; padding: 8px 10px; background: #F3F8FC; border: 1px solid #B9D3E6; border-radius: 3px; }
.fix .title { font-weight: 700; }
.verified { display: inline-block; font-weight: 700; color: #00558A; border: 1.5px solid #00558A; border-radius: 3px; padding: 0 6px; font-size: 12px; margin-left: 6px; }
.unverified { display: inline-block; font-weight: 700; color: #7A5400; border: 1.5px dashed #7A5400; border-radius: 3px; padding: 0 6px; font-size: 12px; margin-left: 6px; }
pre.cmd { background: #fff; border: 1px solid #B9D3E6; padding: 6px 8px; margin: 6px 0 2px; white-space: pre-wrap; overflow-wrap: anywhere; }
.examples { font-size: 12.5px; margin: 6px 0 2px; }
.examples ul { margin: 2px 0; padding-left: 18px; }
.examples li { break-inside: avoid; }
.examples .mono { font-size: 12px; }
dl.entry { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, max-content)); gap: 2px 18px; margin: 6px 0; font-size: 12.5px; }
dl.entry div { display: flex; gap: 6px; }
dl.entry dt { color: var(--muted); }
dl.entry dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
table.small { font-size: 12.5px; }
table.small td, table.small th { padding: 2px 8px; }
table.rules td { white-space: nowrap; }
table.rules td.desc { color: var(--muted); max-width: 260px; white-space: normal; }
table.rules tr.shadowed td { background: #F6F0F6; }
table.rules tr.unused td.hits .n { color: var(--muted); }
table.rules td.hits { width: 215px; white-space: nowrap; }
table.rules td.hits svg { display: inline-block; width: 150px; height: 14px; vertical-align: middle; }
table.rules td.hits .n { display: inline-block; min-width: 48px; text-align: right; font-variant-numeric: tabular-nums; margin-right: 6px; }
.act { font-weight: 700; white-space: nowrap; }
.act.allow { color: #00558A; }
.act.deny { color: #A33F00; }
.tag { display: inline-block; font-size: 11.5px; border: 1px solid #888; border-radius: 3px; padding: 0 5px; margin: 1px 4px 1px 0; white-space: nowrap; }
.tag.unused { border-style: dashed; color: #444; }
.tag.shadowed { border-color: var(--purple); background: #F5DCEA; color: #5A1F45; font-weight: 700; }
.tag.lint { color: #444; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 14px; }
.grid2 > div { border: 1px solid var(--line); padding: 8px 12px; min-width: 0; }
.grid2 h4 { margin-top: 0; }
table.diff td.chg { background: #FFF3C4; font-weight: 700; }
table.diff td.chg::before { content: "≠ "; color: #7A5400; }
table.diff tr.added td.b, table.diff tr.removed td.a { background: #FFF3C4; }
table.diff td.sep { border-left: 2px solid #888; }
table.changes td.arrow { text-align: center; font-weight: 700; }
.outcome { white-space: nowrap; font-weight: 600; }
.summary-line { font-size: 15px; margin: 6px 0 10px; }
.none { color: var(--muted); font-style: italic; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 8px; }
@page { size: A4; margin: 12mm 10mm; }
@media print {
  body { font-size: 11.5px; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  .candidate, .page { break-before: page; }
  h2, h3, h4 { break-after: avoid; }
  figure, .card, tr, .grid2 > div { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;
