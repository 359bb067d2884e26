// A node:test reporter that counts *leaf* tests, for the one-line total of scripts/test.mjs.
//
//   PADLOCK_COUNT_FILE=counts.json node --test --test-reporter=spec --test-reporter-destination=stdout \
//       --test-reporter=./scripts/count-reporter.mjs --test-reporter-destination=/dev/null ...
//
// Counted: every test without subtests (describe blocks and tests with t.test() children are
// containers, not tests). A container that fails for its own reason (a failing before() hook,
// an exception in an async describe body) counts as one failure, so a broken file can never
// look green. Skipped and todo tests count as neither. Output: one JSON object
// { passed, failed, skipped, failures: [names] } in $PADLOCK_COUNT_FILE, kept up to date.

import { writeFileSync } from 'node:fs';

export default async function* countReporter(source) {
  const counts = { passed: 0, failed: 0, skipped: 0, failures: [] };
  // Children are reported before their parent. For each file and nesting level, remember
  // whether an event one level deeper arrived since the last event at this level: if so, the
  // next event at this level is a container.
  const sawChild = new Map();
  const key = (file, nesting) => `${file ?? ''}\0${nesting}`;

  // Saved synchronously after every result: with --test-force-exit the process exits as soon
  // as the run ends, before this generator finishes or its output stream is flushed.
  const save = () => {
    if (process.env.PADLOCK_COUNT_FILE) writeFileSync(process.env.PADLOCK_COUNT_FILE, JSON.stringify(counts) + '\n');
  };
  save();

  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { name, nesting, file, details = {}, skip, todo } = event.data;
    const isContainer = details.type === 'suite' || sawChild.get(key(file, nesting)) === true;
    sawChild.set(key(file, nesting), false);
    if (nesting > 0) sawChild.set(key(file, nesting - 1), true);

    if (isContainer) {
      // Failures caused by children are already counted through the children.
      const ft = details.error?.failureType;
      if (event.type === 'test:fail' && ft !== 'subtestsFailed') {
        counts.failed++;
        counts.failures.push(`${name} (${ft ?? 'failed'})`);
      }
    } else if (skip || todo) counts.skipped++;
    else if (event.type === 'test:pass') counts.passed++;
    else {
      counts.failed++;
      counts.failures.push(name);
    }
    save();
  }
  save();
  yield '';
}
