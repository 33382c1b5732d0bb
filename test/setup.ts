// Process warnings fail the suite (execa's rule): a warning is a bug we would otherwise ship.
process.on('warning', (warning) => {
  throw warning;
});
