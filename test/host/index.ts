/**
 * Entry point of the in-host test suite (VS Code's `extensionTestsPath`): the extension host
 * loads this bundle (out/test/host/index.js) and calls `run()`; its result becomes the exit
 * code that the workbench passes to `window.codeAutomationExit` (test/browser/host-suite.test.ts
 * drives it through code-server + Chromium).
 *
 * Each test result is also printed as one line `PADLOCK_TEST {json}` through console.log, which
 * VS Code forwards from the extension host to the page, so the outer runner reports every
 * in-host test as its own test.
 *
 * To add host tests: create test/host/<name>.test.ts (TDD UI: suite/test/suiteSetup…) and add
 * `import './<name>.test';` below. The order matters: './mochaSetup' must stay first.
 */
import Mocha from 'mocha';
import { mocha } from './mochaSetup';
import './smoke.test';
import './extension.test';
import './palette.test';

export const RESULT_PREFIX = 'PADLOCK_TEST ';
export const DONE_PREFIX = 'PADLOCK_TEST_DONE ';

export interface HostTestResult {
  name: string;
  state: 'passed' | 'failed' | 'skipped';
  durationMs?: number;
  error?: { message: string; stack?: string };
}

const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;

/** Reports through console.log only; one JSON line per test (and per failed hook). */
class PadlockReporter extends Mocha.reporters.Base {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    const emit = (r: HostTestResult) => console.log(RESULT_PREFIX + JSON.stringify(r));
    runner.on(EVENT_TEST_PASS, (t) => emit({ name: t.fullTitle(), state: 'passed', durationMs: t.duration }));
    runner.on(EVENT_TEST_PENDING, (t) => emit({ name: t.fullTitle(), state: 'skipped' }));
    // Also fires for failing hooks ("before all" hook …): those count as failures too.
    runner.on(EVENT_TEST_FAIL, (t, err: Error) =>
      emit({ name: t.fullTitle(), state: 'failed', durationMs: t.duration, error: { message: String(err?.message ?? err), stack: err?.stack } }),
    );
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats;
      console.log(DONE_PREFIX + JSON.stringify({ passes: s?.passes ?? 0, failures: s?.failures ?? 0, pending: s?.pending ?? 0 }));
    });
  }
}

export function run(): Promise<void> {
  mocha.reporter(PadlockReporter);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => (failures > 0 ? reject(new Error(`${failures} host test(s) failed`)) : resolve()));
    } catch (e) {
      reject(e);
    }
  });
}
