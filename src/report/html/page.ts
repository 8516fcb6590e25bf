/** The document shell: one file, inline CSS, no scripts, and a Content-Security-Policy that forbids any fetch. */
import { html, trusted, type Html, type Part } from './escape.js';
import { patternDefs } from './palette.js';
import { CSS } from './style.js';

/** No scripts, no network: only the inline stylesheet and data: images may be used. */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

export function page(title: string, body: Part): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="aclreplay">
<title>${title}</title>
<style>${trusted(CSS)}</style>
</head>
<body>
${patternDefs()}
<main>
${body}
<footer>Written by aclreplay. Self-contained: no scripts, no network access; hover a chart element for exact numbers. Colours: Okabe–Ito palette, each also told by pattern, symbol or word.</footer>
</main>
</body>
</html>
`;
}
