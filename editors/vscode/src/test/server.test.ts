// Tests of src/server.ts with Node's test runner (`npm test` runs them after
// compiling): the setting's path, and what the probe and the message say for a
// missing program, a vasrec without the `lsp` feature and one with it. The
// "programs" are small shell scripts written to a temporary folder.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  INSTALL_COMMAND,
  probeServer,
  problemMessage,
  resolveServerCommand,
} from '../server';

describe('resolveServerCommand', () => {
  const home = path.join(path.sep, 'home', 'me');
  const folder = path.join(path.sep, 'work', 'rules');

  it('defaults to vasrec on PATH', () => {
    assert.equal(resolveServerCommand(undefined, folder, home), 'vasrec');
    assert.equal(resolveServerCommand('  ', folder, home), 'vasrec');
  });
  it('leaves a bare name to PATH and an absolute path as it is', () => {
    assert.equal(resolveServerCommand(' vasrec-dev ', folder, home), 'vasrec-dev');
    const absolute = path.join(path.sep, 'opt', 'bin', 'vasrec');
    assert.equal(resolveServerCommand(absolute, folder, home), absolute);
  });
  it('expands ~ to the home folder', () => {
    assert.equal(
      resolveServerCommand('~/.cargo/bin/vasrec', folder, home),
      path.join(home, '.cargo', 'bin', 'vasrec'),
    );
  });
  it('takes a relative path from the workspace folder', () => {
    assert.equal(
      resolveServerCommand('target/debug/vasrec', folder, home),
      path.join(folder, 'target', 'debug', 'vasrec'),
    );
    assert.equal(resolveServerCommand('target/debug/vasrec', undefined, home), 'target/debug/vasrec');
  });
});

describe('probeServer and problemMessage', { skip: process.platform === 'win32' }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vasrec-vscode-test-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  function program(name: string, script: string, mode = 0o755): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `#!/bin/sh\n${script}\n`, { mode });
    return file;
  }

  it('accepts a vasrec that has `lsp`', async () => {
    const withLsp = program(
      'vasrec-with-lsp',
      '[ "$1" = lsp ] && [ "$2" = --help ] && { echo "Serve editors over stdio"; exit 0; }\nexit 2',
    );
    const probe = await probeServer(withLsp);
    assert.deepEqual(probe, { kind: 'ok' });
    assert.equal(problemMessage(withLsp, probe), undefined);
  });

  it('says how to install vasrec when the program is not found', async () => {
    const missing = path.join(dir, 'no-such-vasrec');
    const probe = await probeServer(missing);
    assert.deepEqual(probe, { kind: 'not-found' });
    const message = problemMessage(missing, probe) ?? '';
    assert.match(message, /was not found/);
    assert.ok(message.includes(`\`${missing}\``), message);
    assert.ok(message.includes(`\`${INSTALL_COMMAND}\``), message);
    assert.ok(message.includes('vasrec.server.path'), message);
  });

  it('finds a name on PATH, and not a name that is not there', async () => {
    const saved = process.env.PATH;
    try {
      process.env.PATH = `${dir}${path.delimiter}${saved ?? ''}`;
      assert.deepEqual(await probeServer('vasrec-with-lsp'), { kind: 'ok' });
      assert.deepEqual(await probeServer('vasrec-not-on-path'), { kind: 'not-found' });
    } finally {
      process.env.PATH = saved;
    }
  });

  it('says the `lsp` feature is missing when `lsp` is not a command', async () => {
    // What clap prints for a vasrec built without `--features lsp`.
    const withoutLsp = program(
      'vasrec-without-lsp',
      `echo "error: unrecognized subcommand 'lsp'" >&2\necho >&2\necho "Usage: vasrec <COMMAND>" >&2\nexit 2`,
    );
    const probe = await probeServer(withoutLsp);
    assert.deepEqual(probe, { kind: 'no-lsp', detail: "error: unrecognized subcommand 'lsp'" });
    const message = problemMessage(withoutLsp, probe) ?? '';
    assert.match(message, /built without the language server/);
    assert.ok(message.includes(INSTALL_COMMAND), message);
  });

  it('reports a program that cannot be run', async () => {
    const notExecutable = program('vasrec-not-executable', 'exit 0', 0o644);
    const probe = await probeServer(notExecutable);
    assert.equal(probe.kind, 'failed');
    assert.match(problemMessage(notExecutable, probe) ?? '', /could not run .*EACCES/);
  });

  it('gives up on a program that does not answer', async () => {
    const hangs = program('vasrec-hangs', 'exec sleep 30');
    const probe = await probeServer(hangs, undefined, 300);
    assert.deepEqual(probe, { kind: 'failed', detail: 'no answer within 0.3 s' });
  });
});
