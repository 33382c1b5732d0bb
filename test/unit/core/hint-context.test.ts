import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contextWords, withContext } from '../../../src/core/hint-context.js';

describe('contextWords', () => {
  it('keeps what the user gave, quoted for a shell', () => {
    expect(contextWords({})).toBe('');
    expect(contextWords({ cwd: 'my app', lockfile: 'ci.lock', config: ['a.json', 'b.json'] })).toBe(
      "-C 'my app' --config a.json --config b.json --lockfile ci.lock",
    );
  });

  it('--host drops -C unless a relative path still depends on it', () => {
    expect(contextWords({ cwd: 'app', host: 'cursor' })).toBe('--host cursor');
    expect(contextWords({ cwd: 'app', host: 'cursor', lockfile: '/abs/x.lock' })).toBe('--host cursor --lockfile /abs/x.lock');
    expect(contextWords({ cwd: 'app', host: 'cursor', lockfile: 'x.lock' })).toBe('-C app --host cursor --lockfile x.lock');
  });
});

describe('withContext', () => {
  it('adds the context to every suggested mcpm command, and only there', () => {
    const hint = 'run "mcpm diff notes" to see what changed, then "mcpm approve notes"; upgrade mcpm to read it';
    expect(withContext(hint, '-C app')).toBe('run "mcpm -C app diff notes" to see what changed, then "mcpm -C app approve notes"; upgrade mcpm to read it');
    expect(withContext('run "mcpm hook install" again', '-C a')).toBe('run "mcpm -C a hook install" again');
    // `mcpm run` lines carry their own options (a host starts them anywhere).
    expect(withContext('if no mcpm is running, mcpm run starts it', '-C a')).toBe('if no mcpm is running, mcpm run starts it');
  });

  it('inserts the options as they are, "$" in a path included', () => {
    // shellWord writes a path with a newline as $'…'; `$'`, `$&` and `$\`` are patterns to String.replace.
    const context = contextWords({ config: ['/tmp/a\nb/.mcp.json', 'x$&y.json', 'p$`q', "r$'s"] });
    expect(context).toBe(`--config $'/tmp/a\\nb/.mcp.json' --config 'x$&y.json' --config 'p$\`q' --config 'r$'\\''s'`);
    expect(withContext('run "mcpm install x" to lock it', context)).toBe(`run "mcpm ${context} install x" to lock it`);
  });

  it('changes nothing without a context, and never removes text', () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom('', '-C x', '--host cursor', "--config $'a\\nb'", "--lockfile 'a$&b'"), (text, context) => {
        const out = withContext(text, context);
        if (context === '') expect(out).toBe(text);
        expect(out.replaceAll(`mcpm ${context} `, 'mcpm ')).toBe(text.replaceAll(`mcpm ${context} `, 'mcpm '));
      }),
    );
  });
});
