/**
 * The console's one HTML page and its style sheet, as strings: the build compiles only TypeScript, so a page kept
 * here ships in dist/ and the image without a copy step. The script (web/main.ts) draws every view into #app.
 */
const STYLE = `
:root { --fg:#1d2330; --muted:#5d6678; --line:#d9dde5; --bg:#f6f7f9; --accent:#b3261e; --ok:#1b7f3b; --warn:#a15c00; --bad:#b3261e; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
body { margin: 0; }
header { display:flex; gap:1.5rem; align-items:center; padding:.6rem 1.2rem; background:#20242c; color:#fff; }
header a { color:#fff; text-decoration:none; opacity:.85 } header a:hover { opacity:1 }
header .brand { font-weight:700; color:#ff6b5e; opacity:1 }
header .who { margin-left:auto; font-size:12px; opacity:.8 }
main { padding: 1rem 1.2rem; max-width: 1400px; }
h1 { font-size: 1.35rem; margin: .2rem 0 1rem } h2 { font-size:1.05rem; margin:1.4rem 0 .5rem }
table { border-collapse: collapse; width: 100%; background:#fff; border:1px solid var(--line) }
th, td { text-align:left; padding:.35rem .6rem; border-bottom:1px solid var(--line); white-space:nowrap }
th { background:#eef0f4; font-weight:600; font-size:12px; text-transform:uppercase; color:var(--muted) }
td.wrap { white-space: normal }
.phase-Ready { color:var(--ok); font-weight:600 } .phase-Failover, .phase-Degraded, .phase-Failed { color:var(--bad); font-weight:600 }
.phase-Creating, .phase-Updating, .phase-Pending { color:var(--warn); font-weight:600 }
.backup-Succeeded { color:var(--ok); font-weight:600 } .backup-Failed { color:var(--bad); font-weight:600 } .backup-Running, .backup-Pending { color:var(--warn) }
.toolbar { display:flex; gap:.6rem; align-items:center; margin-bottom:.8rem }
input, select, textarea, button { font: inherit }
input[type=text], input[type=number], input[type=password], select, textarea { padding:.25rem .4rem; border:1px solid #b9bfcb; border-radius:4px; background:#fff }
button { padding:.3rem .8rem; border:1px solid #8d95a5; border-radius:4px; background:#fff; cursor:pointer }
button.primary { background:#b3261e; border-color:#b3261e; color:#fff } button.danger { color:var(--bad); border-color:var(--bad) }
button:disabled { opacity:.5; cursor:default }
.cards { display:grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 1rem }
.card { background:#fff; border:1px solid var(--line); border-radius:6px; padding:.8rem 1rem }
.muted { color: var(--muted) } .error { color: var(--bad) } .ok { color: var(--ok) }
.field { margin:.35rem 0 } .field > label { display:block; font-weight:600 } .field .help { font-size:12px; color:var(--muted) }
.field .field-error { color: var(--bad); font-size: 12px; font-weight:600 }
fieldset { border:1px solid var(--line); border-radius:6px; margin:.5rem 0; padding:.3rem .8rem; background:#fff }
fieldset fieldset { background:#fbfbfc }
legend { font-weight:700; cursor:pointer }
fieldset.collapsed > :not(legend) { display:none }
.editor { display:grid; grid-template-columns: minmax(420px, 1fr) minmax(360px, 1fr); gap:1rem; align-items:start }
.editor #yaml { width:100%; min-height: 520px; font: 12px/1.4 ui-monospace, monospace; box-sizing:border-box }
.schema-form textarea { font: 12px/1.4 ui-monospace, monospace; max-width:100%; box-sizing:border-box }
.timeline { list-style:none; padding-left:0; border-left:3px solid var(--line); margin-left:.4rem }
.timeline li { padding:.2rem .8rem; position:relative } .timeline li::before { content:''; position:absolute; left:-8px; top:.6rem; width:10px; height:10px; border-radius:50%; background:var(--accent) }
.banner { padding:.5rem .8rem; border-radius:4px; background:#fff4e5; border:1px solid #f0c27a; margin-bottom:.8rem }
.login { max-width: 460px; margin: 3rem auto } .login textarea { width:100%; min-height:6rem }
.pill { display:inline-block; padding:0 .45rem; border-radius:9px; font-size:12px; background:#eef0f4 }
.actions { display:flex; flex-wrap:wrap; gap:.5rem; align-items:center }
`;

export function renderPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Redwing console</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header><a class="brand" href="#/">Redwing</a><a href="#/">Stores</a><a href="#/create">Create</a><a href="#/policies">Policies</a><span class="who" id="who"></span></header>
<div id="connection" class="banner" hidden></div>
<main id="app"><p class="muted">Loading…</p></main>
<script type="module" src="/assets/main.js"></script>
</body>
</html>
`;
}
