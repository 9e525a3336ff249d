#!/usr/bin/env node
// Renders a .vas file highlighted by this extension's grammar, to show what the
// highlighting looks like without VS Code: vscode-textmate (VS Code's own
// TextMate engine) and vscode-oniguruma tokenize the file with
// syntaxes/vas.tmLanguage.json and colour it with the Dark+ theme's colours
// for the scopes; the result is an HTML page, which headless Chromium turns
// into a PNG. It is not a VS Code window.
//
//   node scripts/render-sample.js [input.vas] [output.png]
//   (defaults: scripts/sample.vas, images/highlighting.png; the HTML is kept
//   in out/highlighting.html)

'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const root = path.join(__dirname, '..');
const input = path.resolve(process.argv[2] || path.join(root, 'scripts', 'sample.vas'));
const png = path.resolve(process.argv[3] || path.join(root, 'images', 'highlighting.png'));
const html = path.join(root, 'out', 'highlighting.html');

// The colours VS Code's "Dark+" theme gives these scopes (its
// dark_vs.json / dark_plus.json), enough for what the grammar emits.
const theme = {
  name: 'Dark+ (subset)',
  settings: [
    { settings: { foreground: '#D4D4D4', background: '#1E1E1E' } },
    { scope: 'comment', settings: { foreground: '#6A9955' } },
    { scope: 'string', settings: { foreground: '#CE9178' } },
    { scope: 'constant.character.escape', settings: { foreground: '#D7BA7D' } },
    { scope: 'constant.numeric', settings: { foreground: '#B5CEA8' } },
    { scope: ['constant.language', 'keyword', 'storage.type', 'storage.modifier', 'variable.language'], settings: { foreground: '#569CD6' } },
    { scope: 'keyword.control', settings: { foreground: '#C586C0' } },
    { scope: 'keyword.operator', settings: { foreground: '#D4D4D4' } },
    { scope: ['keyword.operator.logical', 'keyword.operator.in'], settings: { foreground: '#569CD6' } },
    { scope: ['entity.name.type', 'support.type', 'support.class'], settings: { foreground: '#4EC9B0' } },
    { scope: ['entity.name.function', 'support.function', 'variable.function'], settings: { foreground: '#DCDCAA' } },
    { scope: ['variable', 'variable.other.property', 'meta.definition.variable.name'], settings: { foreground: '#9CDCFE' } },
    { scope: 'variable.other.constant', settings: { foreground: '#4FC1FF' } },
    { scope: 'variable.language', settings: { foreground: '#569CD6' } },
    { scope: 'invalid', settings: { foreground: '#F44747' } },
  ],
};

async function main() {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== 'source.vas') return null;
      const file = path.join(root, 'syntaxes', 'vas.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
    theme,
  });
  const grammar = await registry.loadGrammar('source.vas');
  const colors = registry.getColorMap();

  const lines = fs.readFileSync(input, 'utf8').replace(/\n$/, '').split(/\r?\n/);
  let state = vsctm.INITIAL;
  const rows = lines.map((line, i) => {
    const result = grammar.tokenizeLine2(line, state);
    state = result.ruleStack;
    const t = result.tokens; // pairs: start offset, metadata
    let cells = '';
    for (let k = 0; k < t.length; k += 2) {
      const start = t[k];
      const end = k + 2 < t.length ? t[k + 2] : line.length;
      const meta = t[k + 1];
      const fg = colors[(meta >>> 15) & 0x1ff]; // bits 15-23: foreground colour id
      cells += `<span style="color:${fg}">${escape(line.slice(start, end))}</span>`;
    }
    return `<div class="l"><span class="n">${i + 1}</span>${cells || ' '}</div>`;
  });

  const page = `<!doctype html><meta charset="utf-8"><title>${escape(path.basename(input))}</title>
<style>
  html, body { margin: 0; background: #1E1E1E; }
  body { font: 14px/20px "DejaVu Sans Mono", "Noto Sans Mono CJK SC", monospace; color: #D4D4D4; }
  .tab { background: #252526; color: #CCCCCC; font: 13px/34px sans-serif; padding: 0 16px; }
  pre { margin: 0; padding: 8px 0; white-space: pre; }
  .n { display: inline-block; width: 3em; padding-right: 1.5em; text-align: right; color: #858585; }
  .cap { background: #252526; color: #9D9D9D; font: 12px/28px sans-serif; padding: 0 16px; }
</style>
<div class="tab">${escape(path.basename(input))}</div>
<pre>${rows.join('')}</pre>
<div class="cap">Highlighting by the extension's grammar (syntaxes/vas.tmLanguage.json), rendered with vscode-textmate and the Dark+ colours; not a VS Code window.</div>
`;
  fs.mkdirSync(path.dirname(html), { recursive: true });
  fs.writeFileSync(html, page);
  console.log(`wrote ${path.relative(process.cwd(), html)}`);

  const browser = ['chromium', 'chromium-browser', 'google-chrome'].find(available);
  if (!browser) {
    console.log('no chromium found: open the HTML page in a browser to see it');
    return;
  }
  const height = 34 + 16 + lines.length * 20 + 28;
  fs.mkdirSync(path.dirname(png), { recursive: true });
  // A fresh profile, and no background connections: it renders a local file.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'vasrec-render-'));
  try {
    execFileSync(browser, [
      '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
      '--no-first-run', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', `--user-data-dir=${profile}`,
      '--force-device-scale-factor=1', `--window-size=1000,${height}`,
      `--screenshot=${png}`, 'file://' + html,
    ], { stdio: 'pipe' }); // its stderr is noise (no D-Bus here); on failure it is in the thrown error
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`wrote ${path.relative(process.cwd(), png)} (${fs.statSync(png).size} bytes)`);
}

function escape(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function available(cmd) {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
