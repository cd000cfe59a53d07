"""The pages' shared head and stylesheet (inline: pages are single self-contained files).

The Content-Security-Policy forbids scripts and every fetch (styles may only be inline,
images only data: URLs), so even a missed escape could neither run code nor call out.
"""

from __future__ import annotations

import re

from ..escape import h1

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

CSS = """
:root {
  --ink:#1f2937;
  --muted:#4b5563;
  --line:#d1d5db;
  --soft:#f3f4f6;
  --accent:#1d4ed8;
  --ok:#166534;
  --ok-bg:#dcfce7;
  --bad:#991b1b;
  --bad-bg:#fee2e2;
  --warn:#92400e;
  --warn-bg:#fef3c7;
}
* {
  box-sizing:border-box;
}
html {
  -webkit-text-size-adjust:100%;
}
body {
  margin:0;
  color:var(--ink);
  background:#fff;
  line-height:1.5;
  font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
}
.page {
  max-width:62rem;
  margin:0 auto;
  padding:1.5rem 1.25rem 3rem;
}
.report .page {
  max-width:72rem;
}
a {
  color:var(--accent);
}
a:focus-visible,summary:focus-visible {
  outline:3px solid var(--accent);
  outline-offset:2px;
}
h1 {
  font-size:1.75rem;
  line-height:1.2;
  margin:.1rem 0 .3rem;
  overflow-wrap:anywhere;
}
h2 {
  font-size:1.3rem;
  margin:2.2rem 0 .6rem;
  padding-bottom:.25rem;
  border-bottom:2px solid var(--soft);
}
h3 {
  font-size:1.1rem;
  margin:1.4rem 0 .5rem;
}
h4 {
  font-size:1rem;
  margin:1rem 0 .4rem;
}
p {
  margin:.4rem 0;
}
code,pre,.mono {
  font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;
  font-size:.88em;
}
pre {
  white-space:pre-wrap;
  overflow-wrap:anywhere;
  background:var(--soft);
  border-radius:6px;
  padding:.55rem .7rem;
  margin:.35rem 0;
  max-height:28rem;
  overflow:auto;
}
.eyebrow {
  color:var(--muted);
  font-size:.9rem;
  margin:0;
  text-transform:uppercase;
  letter-spacing:.04em;
}
.meta {
  color:var(--muted);
  font-size:.92rem;
}
.vh {
  position:absolute!important;
  width:1px;
  height:1px;
  overflow:hidden;
  clip:rect(0 0 0 0);
  white-space:nowrap;
}
.skip {
  position:absolute;
  left:-999px;
}
.skip:focus {
  left:1rem;
  top:1rem;
  background:#fff;
  padding:.4rem;
  z-index:2;
}
.card {
  border:1px solid var(--line);
  border-radius:10px;
  padding:1rem 1.2rem;
  margin:1rem 0;
}
.card>h2:first-child,.card>h2.vh+* {
  margin-top:0;
}
.scorecard {
  display:flex;
  flex-wrap:wrap;
  gap:1.2rem 2.5rem;
  align-items:center;
}
.total {
  font-size:1.1rem;
}
.total .big {
  font-size:3rem;
  font-weight:700;
  line-height:1;
}
.total .pct {
  display:block;
  color:var(--muted);
}
.parts {
  list-style:none;
  margin:0;
  padding:0;
  flex:1;
  min-width:16rem;
}
.parts li {
  display:grid;
  grid-template-columns:9.5rem 1fr 6.5rem;
  gap:.6rem;
  align-items:center;
  margin:.3rem 0;
}
.parts .pts {
  text-align:right;
  font-variant-numeric:tabular-nums;
}
.meter {
  height:.7rem;
  background:var(--soft);
  border-radius:99px;
  overflow:hidden;
  border:1px solid var(--line);
}
.meter>span {
  display:block;
  height:100%;
  background:var(--accent);
}
.meter.full>span {
  background:var(--ok);
}
.banner {
  border-left:6px solid var(--warn);
  background:var(--warn-bg);
  padding:.8rem 1rem;
  border-radius:6px;
  margin:1rem 0;
}
.banner.bad {
  border-color:var(--bad);
  background:var(--bad-bg);
}
.banner.ok {
  border-color:var(--ok);
  background:var(--ok-bg);
}
.banner h2 {
  border:0;
  margin:0 0 .3rem;
  font-size:1.15rem;
  padding:0;
}
.next ol {
  margin:.3rem 0;
  padding-left:1.4rem;
}
.next li {
  margin:.55rem 0;
}
.hint {
  border-left:4px solid var(--accent);
  background:#eff6ff;
  padding:.35rem .6rem;
  margin:.4rem 0;
  border-radius:0 6px 6px 0;
}
.fn {
  margin:1rem 0 1.4rem;
}
.fn h4 {
  display:flex;
  justify-content:space-between;
  gap:1rem;
  border-bottom:1px solid var(--line);
  padding-bottom:.2rem;
}
details.fn>summary {
  list-style:none;
  display:flex;
  justify-content:space-between;
  gap:1rem;
  border-bottom:1px solid var(--line);
  padding:.15rem 0;
  color:var(--ink);
}
details.fn>summary::-webkit-details-marker {
  display:none;
}
details.fn>summary .fname::before {
  content:"▸ ";
  color:var(--accent);
}
details.fn[open]>summary .fname::before {
  content:"▾ ";
}
.fname {
  font-weight:700;
}
.fn h4 .pts,details.fn>summary .pts {
  font-weight:400;
  color:var(--muted);
  font-variant-numeric:tabular-nums;
  white-space:nowrap;
}
.checks {
  list-style:none;
  margin:0;
  padding:0;
}
.check {
  display:grid;
  grid-template-columns:5.2rem 1fr auto;
  gap:.2rem .8rem;
  padding:.4rem .2rem;
  border-bottom:1px solid var(--soft);
}
.check .body {
  min-width:0;
}
.check .pts {
  font-variant-numeric:tabular-nums;
  white-space:nowrap;
  color:var(--muted);
}
.tag {
  display:inline-block;
  font-size:.78rem;
  font-weight:700;
  padding:.05rem .45rem;
  border-radius:99px;
  text-align:center;
  white-space:nowrap;
  height:fit-content;
}
.tag.ok {
  background:var(--ok-bg);
  color:var(--ok);
}
.tag.bad {
  background:var(--bad-bg);
  color:var(--bad);
}
.tag.part {
  background:var(--warn-bg);
  color:var(--warn);
}
.tag.none {
  background:var(--soft);
  color:var(--muted);
}
.check.fail .name {
  font-weight:600;
}
figure {
  margin:.6rem 0;
}
figcaption {
  color:var(--muted);
  font-size:.92rem;
}
svg.chart {
  max-width:100%;
  height:auto;
  display:block;
}
table {
  border-collapse:collapse;
  width:100%;
  margin:.5rem 0;
  font-size:.94rem;
}
table.fixed {
  table-layout:fixed;
}
th,td {
  overflow-wrap:break-word;
  text-align:left;
  padding:.35rem .5rem;
  border-bottom:1px solid var(--line);
  vertical-align:top;
}
th {
  background:var(--soft);
  font-weight:600;
}
td.num,th.num {
  text-align:right;
  font-variant-numeric:tabular-nums;
  white-space:nowrap;
}
.rate {
  display:flex;
  align-items:center;
  gap:.5rem;
}
.rate .meter {
  flex:1;
}
.table-wrap {
  overflow-x:auto;
}
details {
  margin:.5rem 0;
}
summary {
  cursor:pointer;
  color:var(--accent);
}
.q {
  border:1px solid var(--line);
  border-radius:8px;
  padding:.6rem .9rem;
  margin:.7rem 0;
  page-break-inside:avoid;
}
.q header {
  display:flex;
  justify-content:space-between;
  gap:1rem;
  align-items:baseline;
}
.q h3 {
  margin:0;
  font-size:1rem;
}
.q .prompt {
  margin:.3rem 0 .4rem;
}
.q ul {
  margin:.2rem 0;
  padding-left:1.2rem;
}
.explanation {
  color:var(--ink);
  background:var(--ok-bg);
  border-radius:6px;
  padding:.35rem .6rem;
}
.flag {
  color:var(--bad);
  font-weight:600;
}
.muted {
  color:var(--muted);
}
footer {
  margin-top:3rem;
  color:var(--muted);
  font-size:.88rem;
  border-top:1px solid var(--line);
  padding-top:.8rem;
}
@media (max-width:40rem) {
  .parts li {
    grid-template-columns:1fr 5.5rem;
  }
  .parts .meter {
    display:none;
  }
  .check {
    grid-template-columns:1fr auto;
  }
  .check .tag {
    grid-column:1;
  }
}
@page {
  margin:14mm 12mm;
}
@media print {
  table {
    font-size:8.5pt;
  }
  th,td {
    padding:.2rem .3rem;
  }
  body {
    font-size:11pt;
  }
  .page {
    max-width:none;
    padding:0;
  }
  a {
    color:inherit;
    text-decoration:none;
  }
  .skip {
    display:none;
  }
  pre {
    max-height:none;
    overflow:visible;
  }
  h2,h3,h4 {
    break-after:avoid;
  }
  .card,.q,figure,.check,.keep {
    break-inside:avoid;
  }
  * {
    -webkit-print-color-adjust:exact;
    print-color-adjust:exact;
  }
}
"""


_MINIFY = re.compile(r"\s*([{};:,>])\s*|\s*\n\s*")
MINIFIED = _MINIFY.sub(lambda m: m.group(1) or "", CSS).strip()


def head(title: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n<meta name="robots" content="noindex">\n'
        f"<title>{h1(title, 400)}</title>\n<style>{MINIFIED}</style>\n</head>\n"
    )
