/**
 * Creates the in-host Mocha instance and installs its TDD globals (suite, test, setup, …)
 * *at import time*. test/host/index.ts imports this module first and the test files after it:
 * esbuild bundles the static imports in order, so the globals exist when the test files'
 * top-level `suite(...)` calls run.
 */
import Mocha from 'mocha';

export const mocha = new Mocha({
  ui: 'tdd',
  color: false,
  // Activation and webviews in a real VS Code can take seconds on a 2-core CI machine.
  timeout: Number(process.env.PADLOCK_HOST_TEST_TIMEOUT ?? 30_000),
  grep: process.env.PADLOCK_TEST_GREP || undefined,
});

mocha.suite.emit(Mocha.Suite.constants.EVENT_FILE_PRE_REQUIRE, globalThis, 'host-tests', mocha);
