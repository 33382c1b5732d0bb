import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// Process warnings fail the suite (execa's rule): a warning is a bug we would otherwise ship.
process.on('warning', (warning) => {
  throw warning;
});

// Ink renders only its last frame when `is-in-ci` sees CI set (it reads it once, on import), and
// the component tests assert on every frame. CI runs this suite with CI=true; the tests that spawn
// mcpm in a terminal set CI=true explicitly to check the product copes with it.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;

// On a pull request's CI run these name the target branch, and mcpm then compares every lock with
// it (app/base.ts); the tests' temporary projects are not in that repository. The tests that check
// the default set them explicitly.
delete process.env.GITHUB_BASE_REF;
delete process.env.CI_MERGE_REQUEST_TARGET_BRANCH_NAME;

// Every mcpm a test file starts keeps its caches (compiled code, lock outlines and indexes) in a
// directory of that file's own, removed after it: never in the developer's cache, where each test's
// temporary project would leave an outline behind, and never shared between test files.
// The same for its state (the key of the values found to match a lock: adapters/value-matches.ts).
const cacheHome = mkdtempSync(join(tmpdir(), 'mcpm-test-cache-'));
process.env.XDG_CACHE_HOME = cacheHome;
process.env.XDG_STATE_HOME = join(cacheHome, 'state');
afterAll(() => {
  try {
    rmSync(cacheHome, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // A process a test left running may still be writing there: the temporary directory stays.
  }
});
