// The grammar against the language's own definition and the repository's rule
// files, with vscode-textmate (VS Code's TextMate engine). test/*.vas assert
// scopes column by column; this test checks what those files cannot:
//   - every keyword and operator of grammar/vas.pest is highlighted as one, so
//     a keyword added there fails here until the TextMate grammar has it;
//   - every valid .vas file of the repository (bundled rules, examples, the
//     `init` templates, test packages) tokenizes with no `invalid` scope, ends
//     outside any block, and has each keyword scoped as a keyword.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as vsctm from 'vscode-textmate';

const extensionRoot = path.join(__dirname, '..', '..');
const repositoryRoot = path.join(extensionRoot, '..', '..');
const pestFile = path.join(repositoryRoot, 'grammar', 'vas.pest');

interface Token {
  text: string;
  scopes: string[];
  after: string; // the rest of the line
}

/** The words of `kw_NAME = @{ "word" ... }` and the texts of `op_NAME = { "x" | ... }`. */
function pestTokens(): { keywords: string[]; operators: string[] } {
  const pest = fs.readFileSync(pestFile, 'utf8');
  const keywords = [...pest.matchAll(/^kw_\w+\s*=\s*@\{\s*"(\w+)"/gm)].map((m) => m[1]);
  const operators = [...pest.matchAll(/^op_\w+\s*=\s*\{([^}]*)\}/gm)].flatMap((m) =>
    [...m[1].matchAll(/"([^"]+)"/g)].map((q) => q[1]),
  );
  return { keywords, operators };
}

/** Every .vas file under `dir`, skipping build output and dependencies. */
function vasFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return ['target', 'node_modules', '.git'].includes(entry.name) ? [] : vasFiles(full);
    }
    return entry.name.endsWith('.vas') ? [full] : [];
  });
}

let grammar: vsctm.IGrammar;

async function loadGrammar(): Promise<vsctm.IGrammar> {
  const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns: string[]) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text: string) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName: string) => {
      if (scopeName !== 'source.vas') return null;
      const file = path.join(extensionRoot, 'syntaxes', 'vas.tmLanguage.json');
      return vsctm.parseRawGrammar(fs.readFileSync(file, 'utf8'), file);
    },
  });
  const loaded = await registry.loadGrammar('source.vas');
  assert.ok(loaded, 'the grammar source.vas loads');
  return loaded;
}

/** The tokens of a file, and whether it ends outside every begin/end region. */
function tokenize(text: string): { tokens: Token[]; closed: boolean } {
  let state = vsctm.INITIAL;
  const tokens: Token[] = [];
  for (const line of text.split(/\r?\n/)) {
    const result = grammar.tokenizeLine(line, state);
    state = result.ruleStack;
    for (const t of result.tokens) {
      tokens.push({
        text: line.slice(t.startIndex, t.endIndex),
        scopes: t.scopes,
        after: line.slice(t.endIndex),
      });
    }
  }
  // Depth 1 is the grammar's root: nothing left open.
  return { tokens, closed: state.depth === 1 };
}

const isKeywordScope = (scope: string) => /^(keyword|constant\.language|variable\.language)\./.test(scope);
const inTextOrComment = (t: Token) =>
  t.scopes.some((s) => /^(string|comment)\./.test(s) || s === 'source.rhai');

/** `script` is a keyword only before `{` or `"` (vas.pest: kw_script). */
const standsAsKeyword = (t: Token, keyword: string) =>
  keyword !== 'script' || /^\s*(?:[{"]|$)/.test(t.after);

describe('the TextMate grammar and grammar/vas.pest', () => {
  const { keywords, operators } = pestTokens();
  const ownTests = vasFiles(path.join(extensionRoot, 'test'));
  const repositoryFiles = [
    ...vasFiles(path.join(repositoryRoot, 'rules')),
    ...vasFiles(path.join(repositoryRoot, 'examples')),
    ...vasFiles(path.join(repositoryRoot, 'src', 'cli', 'init')),
    ...vasFiles(path.join(repositoryRoot, 'tests', 'packages')),
  ];

  before(async () => {
    grammar = await loadGrammar();
  });

  it('reads the keywords and operators of vas.pest', () => {
    for (const word of ['segment', 'rule', 'when', 'offer', 'because', 'not', 'in', 'pref', 'script']) {
      assert.ok(keywords.includes(word), `kw_${word} in ${pestFile}`);
    }
    for (const op of ['==', '!=', '<=', '+', '-', '%']) {
      assert.ok(operators.includes(op), `${op} in an op_ rule of ${pestFile}`);
    }
  });

  it('finds the repository rule files', () => {
    assert.ok(
      repositoryFiles.some((f) => f.endsWith(path.join('rules', 'rules.vas'))),
      `rules/rules.vas among ${repositoryFiles.length} files`,
    );
  });

  it('highlights each keyword and operator of vas.pest as one, in test/*.vas or the rule files', () => {
    const seenKeywords = new Set<string>();
    const seenOperators = new Set<string>();
    for (const file of [...ownTests, ...repositoryFiles]) {
      for (const t of tokenize(fs.readFileSync(file, 'utf8')).tokens) {
        if (inTextOrComment(t)) continue;
        const word = t.text.trim();
        if (t.scopes.some(isKeywordScope)) seenKeywords.add(word);
        if (t.scopes.some((s) => s.startsWith('keyword.operator.'))) seenOperators.add(word);
      }
    }
    assert.deepEqual(keywords.filter((k) => !seenKeywords.has(k)), [], 'keywords never highlighted');
    assert.deepEqual(operators.filter((o) => !seenOperators.has(o)), [], 'operators never highlighted');
  });

  it('tokenizes every valid rule file of the repository cleanly', () => {
    const problems: string[] = [];
    for (const file of repositoryFiles) {
      const name = path.relative(repositoryRoot, file);
      const { tokens, closed } = tokenize(fs.readFileSync(file, 'utf8'));
      if (!closed) problems.push(`${name}: ends inside a block, a text or a script`);
      for (const t of tokens) {
        const invalid = t.scopes.find((s) => s.startsWith('invalid.'));
        if (invalid) problems.push(`${name}: ${JSON.stringify(t.text)} is ${invalid}`);
        const word = t.text.trim();
        if (
          keywords.includes(word) &&
          !inTextOrComment(t) &&
          standsAsKeyword(t, word) &&
          !t.scopes.some(isKeywordScope)
        ) {
          problems.push(`${name}: keyword ${JSON.stringify(word)} scoped ${t.scopes.join(' ')}`);
        }
      }
    }
    assert.deepEqual(problems, []);
  });
});
