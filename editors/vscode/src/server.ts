// Finding and checking the `vasrec` program before the client starts it. This
// file uses Node.js only (no `vscode`), so its tests run without VS Code:
// src/test/server.test.ts (`npm test`).

import { execFile } from 'child_process';
import * as path from 'path';

/** The command that installs a `vasrec` with the language server in it. */
export const INSTALL_COMMAND = 'cargo install --path . --features lsp';

/**
 * The program to run, from the `vasrec.server.path` setting: empty means
 * `vasrec`; `~/...` is in the home folder; a relative path with a separator
 * (`target/debug/vasrec`) is taken from the workspace folder; a bare name is
 * left to be looked up on PATH.
 */
export function resolveServerCommand(
  configured: string | undefined,
  workspaceFolder: string | undefined,
  home: string,
): string {
  let command = (configured ?? '').trim();
  if (command === '') {
    return 'vasrec';
  }
  if (command === '~' || command.startsWith('~/') || command.startsWith('~\\')) {
    command = path.join(home, command.slice(1));
  }
  if (!path.isAbsolute(command) && /[\\/]/.test(command) && workspaceFolder !== undefined) {
    command = path.join(workspaceFolder, command);
  }
  return command;
}

/** What running `COMMAND lsp --help` told about the program. */
export type Probe =
  | { kind: 'ok' }
  | { kind: 'not-found' }
  | { kind: 'no-lsp'; detail: string }
  | { kind: 'failed'; detail: string };

/**
 * Runs `command lsp --help`: it succeeds only with a vasrec built with the
 * `lsp` feature. A vasrec without it exits with "unrecognized subcommand".
 */
export function probeServer(command: string, cwd?: string, timeoutMs = 10_000): Promise<Probe> {
  return new Promise((resolve) => {
    execFile(command, ['lsp', '--help'], { cwd, timeout: timeoutMs, windowsHide: true }, (error, _stdout, stderr) => {
      if (error === null) {
        resolve({ kind: 'ok' });
        return;
      }
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        resolve({ kind: 'not-found' });
      } else if (typeof code === 'string') {
        // EACCES (not executable), ENOTDIR, a bad cwd...
        resolve({ kind: 'failed', detail: `${code}: ${error.message}` });
      } else if (error.killed) {
        resolve({ kind: 'failed', detail: `no answer within ${timeoutMs / 1000} s` });
      } else {
        const firstLine = String(stderr).split(/\r?\n/).find((line) => line.trim() !== '');
        resolve({ kind: 'no-lsp', detail: (firstLine ?? `exit code ${String(code)}`).trim() });
      }
    });
  });
}

/** The message for the user when the server cannot be started; none when it can. */
export function problemMessage(command: string, probe: Probe): string | undefined {
  const install = `Install it from the root of the vasrec repository with \`${INSTALL_COMMAND}\``;
  switch (probe.kind) {
    case 'ok':
      return undefined;
    case 'not-found':
      return (
        `vasrec: the language server program \`${command}\` was not found. ` +
        `${install} (the language server is in the \`lsp\` feature, not in the default build), ` +
        'or set `vasrec.server.path` to the program. Highlighting works without it.'
      );
    case 'no-lsp':
      return (
        `vasrec: \`${command} lsp\` does not run (${probe.detail}): this vasrec was built without ` +
        `the language server. ${install}, or set \`vasrec.server.path\` to a vasrec that has it.`
      );
    case 'failed':
      return (
        `vasrec: could not run \`${command} lsp\` (${probe.detail}). ` +
        `${install}, or set \`vasrec.server.path\` to the program.`
      );
  }
}
