/**
 * Keyboard for in-host tests. The extension host has no keyboard: `answer()` logs a request that
 * test/browser/host-suite.test.ts turns into real key presses in Chromium once the workbench
 * shows a quick input with this title, so a palette command is completed exactly as a user
 * without a mouse would (type to filter, arrows, Enter, Escape).
 */
export type Key = string | { type: string };

export function answer(title: string, ...keys: Key[]): void {
  console.log(`PADLOCK_KEYS ${JSON.stringify({ title, keys })}`);
}
