/** Placeholder in-host test: the extension is present in the real VS Code and activates. */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'padlock.padlock-chat';

suite('smoke', () => {
  test('the extension is installed', () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} not found`);
  });

  test('the extension activates', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    await ext.activate();
    assert.equal(ext.isActive, true);
  });
});
