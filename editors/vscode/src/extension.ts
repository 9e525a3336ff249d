// The vasrec extension's client: starts `vasrec lsp` (JSON-RPC over stdio) for
// rule files (language `vas`) and catalog.yaml, and restarts it when the
// `vasrec.server.path` setting changes. Highlighting and brackets need no
// server: they come from syntaxes/ and language-configuration.json.

import * as os from 'os';
import * as vscode from 'vscode';
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';
import { probeServer, problemMessage, resolveServerCommand } from './server';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('vasrec');
  context.subscriptions.push(output);

  context.subscriptions.push(
    vscode.commands.registerCommand('vasrec.restartServer', () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('vasrec.server.path')) {
        void restart();
      }
    }),
  );

  await start();
}

export async function deactivate(): Promise<void> {
  await stop();
}

function workspaceFolderPath(): string | undefined {
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder?.uri.scheme === 'file' ? folder.uri.fsPath : undefined;
}

async function start(): Promise<void> {
  const cwd = workspaceFolderPath();
  const configured = vscode.workspace.getConfiguration('vasrec').get<string>('server.path');
  const command = resolveServerCommand(configured, cwd, os.homedir());

  // Ask the program first: a missing program, or a vasrec built without the
  // `lsp` feature, gets one clear message instead of the client's retries.
  const problem = problemMessage(command, await probeServer(command, cwd));
  if (problem !== undefined) {
    output?.appendLine(problem);
    void showProblem(problem); // not awaited: activation does not wait for the user
    return;
  }

  // No `transport` here on purpose: with `TransportKind.stdio` the client would
  // append `--stdio` to the arguments, and `vasrec lsp` speaks on stdio anyway.
  const serverOptions: ServerOptions = { command, args: ['lsp'], options: { cwd } };
  const clientOptions: LanguageClientOptions = {
    // The server reads the package from disk: only files on disk are sent.
    documentSelector: [
      { scheme: 'file', language: 'vas' },
      { scheme: 'file', pattern: '**/catalog.yaml' },
      // A table's rows (`rows "offers.csv"`): an edit is checked again.
      { scheme: 'file', pattern: '**/*.csv' },
    ],
    outputChannel: output,
  };
  // The id `vasrec` makes the client read the `vasrec.trace.server` setting.
  client = new LanguageClient('vasrec', 'vasrec language server', serverOptions, clientOptions);
  try {
    await client.start();
    output?.appendLine(`started \`${command} lsp\``);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    client = undefined;
    const problem = problemMessage(command, { kind: 'failed', detail: reason });
    if (problem !== undefined) {
      output?.appendLine(problem);
      void showProblem(problem);
    }
  }
}

async function showProblem(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(message, 'Open Settings');
  if (choice === 'Open Settings') {
    await vscode.commands.executeCommand('workbench.action.openSettings', 'vasrec.server.path');
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    try {
      await running.stop();
    } catch (error) {
      output?.appendLine(`stopping the language server: ${String(error)}`);
    }
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
