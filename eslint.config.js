import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NO_FOCUSED_TESTS = { selector: "CallExpression[callee.object.name=/^(it|test|describe)$/][callee.property.name=/^(only|skip)$/]", message: 'No focused or skipped tests.' };

/**
 * A layer of src/ that must not import some others: `import` and `await import()` alike (the
 * commands load one another lazily, which no-restricted-imports does not see). `dirs` are the
 * src/ directories refused, at any depth of relative path (core/findings/ sits one level deeper
 * than core/); './' refuses siblings. `extraPatterns` are more modules refused statically.
 */
function layer(files, dirs, message, extraPatterns = []) {
  const siblings = dirs.includes('./');
  const names = dirs.filter((d) => d !== './');
  const alternatives = [...(names.length > 0 ? [`(\\.\\.\\/)+(${names.join('|')})\\/`] : []), ...(siblings ? ['\\.\\/'] : [])];
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: [...extraPatterns, ...names.map((d) => `**/${d}/**`), ...(siblings ? ['./*'] : [])], message }] }],
      'no-restricted-syntax': ['error', NO_FOCUSED_TESTS, { selector: `ImportExpression[source.value=/^(${alternatives.join('|')})/]`, message }],
    },
  };
}

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'test/fixtures/**/node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', NO_FOCUSED_TESTS],
    },
  },
  {
    // CommonJS on purpose: the bin (see rolldown.config.mjs) and a test's require tracer.
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'writable', __filename: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The layers and what each may import. core is pure; adapters talk to the world; app holds the
  // workflow steps commands share (load the project, snapshot and compare, review and lock);
  // commands are thin and never import each other; render and tui turn values into text and
  // do no I/O of their own.
  {
    // The pure core never touches the outside world: no fs, processes, env or clock.
    ...layer(
      ['src/core/**/*.ts'],
      ['adapters', 'app', 'commands', 'render', 'tui', 'guard'],
      'core/ is pure: it takes values and returns values.',
      ['node:fs*', 'node:child_process', 'node:net', 'node:http*', 'execa', 'ink', 'react', '@modelcontextprotocol/*', '**/deps.js'],
    ),
  },
  { files: ['src/core/**/*.ts'], rules: { 'no-restricted-properties': ['error', { object: 'process', property: 'env' }, { object: 'process', property: 'cwd' }, { object: 'Date', property: 'now' }] } },
  layer(['src/commands/**/*.ts'], ['./'], 'commands never import each other: put what two commands share in src/app/.'),
  layer(['src/app/**/*.ts'], ['commands'], 'app/ serves commands and never imports them.'),
  layer(['src/render/**/*.ts'], ['commands', 'app', 'adapters', 'tui'], 'render/ turns values into text: it is given what it prints.'),
  layer(['src/tui/**/*.{ts,tsx}'], ['adapters', 'app', 'commands'], 'tui/ shows the review model and returns decisions; the command does the I/O.', ['node:fs*']),
);
