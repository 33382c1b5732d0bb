// Process warnings fail the suite (execa's rule): a warning is a bug we would otherwise ship.
process.on('warning', (warning) => {
  throw warning;
});

// Ink renders only its last frame when `is-in-ci` sees CI set (it reads it once, on import), and
// the component tests assert on every frame. CI runs this suite with CI=true; the tests that spawn
// mcpm in a terminal set CI=true explicitly to check the product copes with it.
delete process.env.CI;
delete process.env.CONTINUOUS_INTEGRATION;
