// Generators of JSON *text*, for round-trip properties. A value built in JavaScript and written with
// JSON.stringify only ever has the spellings the printer itself writes; servers send others: `1e20`,
// `9007199254740993.0`, `-0`, `1E-7`, 400-digit integers, `1e400`.
import fc from 'fast-check';

const digits = (minLength: number, maxLength: number) => fc.string({ unit: fc.constantFrom(...'0123456789'), minLength, maxLength });

/** Any number the JSON grammar allows, including ones past the largest double and below the smallest. */
const grammarNumber = fc
  .record({
    minus: fc.boolean(),
    whole: fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 24)).map(([a, b]) => a + b)),
    fraction: fc.option(digits(1, 20), { nil: undefined }),
    exponent: fc.option(fc.tuple(fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.integer({ min: 0, max: 330 })), { nil: undefined }),
  })
  .map(({ minus, whole, fraction, exponent }) => {
    const e = exponent === undefined ? '' : `${exponent[0]}${exponent[1]}${exponent[2]}`;
    return `${minus ? '-' : ''}${whole}${fraction === undefined ? '' : `.${fraction}`}${e}`;
  });

/** Integers around and past 2^53, spelled as integers, with a `.0`, or with an exponent. */
const bigInteger = fc
  .tuple(fc.bigInt({ min: 2n ** 52n, max: 2n ** 80n }), fc.boolean(), fc.constantFrom('', '.0', '.000', 'e0', '0e-1'))
  .map(([n, minus, tail]) => `${minus ? '-' : ''}${n}${tail}`);

/** Every double, in the shortest form (what the lock writes) and in a 17-digit exponent form. */
const doubleText = fc
  .double({ noNaN: true, noDefaultInfinity: true })
  .chain((d) => fc.constantFrom(String(d), d.toExponential(16)));

export const NUMBER_SPECIALS = [
  '1e20',
  '1E20',
  '100000000000000000000',
  '9007199254740993.0',
  '9007199254740993',
  '9007199254740992',
  '-9007199254740992.0',
  '12345678901234567890',
  '12345678901234567000',
  '121639032720186176',
  '18446744073709551615',
  '-0',
  '-0.0',
  '0e-5',
  '1e400',
  '-1e400',
  '1e-400',
  '5e-324',
  '2.4703282292062328e-324',
  '1.7976931348623157e308',
  '1.7976931348623159e308',
  '0.1',
  '1E-7',
] as const;

export const numberText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: grammarNumber, weight: 4 },
  { arbitrary: bigInteger, weight: 2 },
  { arbitrary: doubleText, weight: 2 },
  { arbitrary: fc.constantFrom(...NUMBER_SPECIALS), weight: 2 },
);

/** Keys a schema uses, plus integer-like ones and `__proto__`, which plain objects reorder or lose. */
const key = fc.constantFrom('maximum', 'minimum', 'default', 'enum', 'type', '10', '2', '__proto__', 'a/b', '~');
const space = fc.constantFrom('', ' ', '\n  ', '\t');

/** JSON text of a value whose leaves are mostly numbers, spelled every way numberText spells them. */
export const jsonText: fc.Arbitrary<string> = fc.letrec<{ value: string; array: string; object: string }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    numberText,
    fc.constantFrom('true', 'null', '"x"'),
    tie('array'),
    tie('object'),
  ),
  array: fc.tuple(fc.array(tie('value'), { maxLength: 4 }), space).map(([items, s]) => `[${s}${items.join(`,${s}`)}${s}]`),
  object: fc
    .tuple(fc.uniqueArray(fc.tuple(key, tie('value')), { selector: ([k]) => k, maxLength: 4 }), space)
    .map(([entries, s]) => `{${s}${entries.map(([k, v]) => `${JSON.stringify(k)}:${s}${v}`).join(`,${s}`)}${s}}`),
})).value;

/** A tool definition as a server would send it: a name and an input schema holding `schema`. */
export const toolText: fc.Arbitrary<string> = fc
  .tuple(jsonText, numberText)
  .map(([schema, n]) => `{"name":"t","inputSchema":{"type":"object","properties":{"n":{"type":"number","maximum":${n}},"x":${schema}}}}`);
