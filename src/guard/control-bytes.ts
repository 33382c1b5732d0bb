/**
 * Whether bytes hold a control byte (0x00 to 0x1F): the check behind every large server line the
 * guard lets go ahead or reads through its skeleton (large-line.ts), on every chunk of a result of
 * megabytes. JavaScript has no native search for any of several bytes: 32 searches for one byte
 * cost 0.35 ms a megabyte (19 µs a 64 KiB chunk, much of it the calls themselves). One pass of
 * WebAssembly SIMD (16 bytes compared at once) over a copy of the bytes costs 0.05 ms (3 µs).
 * Where WebAssembly cannot run (`node --jitless`), the 32 searches do.
 */

/**
 * The module, in the binary format (a WebAssembly text form is beside each part): one function,
 * `scan(length)`, true when a byte of memory[0, length) is below 0x20. It reads whole blocks of 64
 * bytes, so the caller pads the bytes it copied in with spaces up to the next block.
 */
function moduleBytes(): Uint8Array {
  const leb = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...leb(n >>> 7)]);
  const section = (id: number, content: number[]): number[] => [id, ...leb(content.length), ...content];
  const name = (text: string): number[] => [text.length, ...Buffer.from(text)];
  const SIMD = 0xfd;
  const [I32, V128] = [0x7f, 0x7b];
  const spaces = [SIMD, 0x0c, ...Array<number>(16).fill(0x20)]; // v128.const i8x16 0x20 ×16
  // (local.get $acc) (i8x16.lt_u (v128.load offset=OFFSET (local.get $i)) spaces) v128.or
  const block = (offset: number): number[] => [0x20, 0x01, SIMD, 0x00, 0x00, offset, ...spaces, SIMD, 0x26, SIMD, 0x50];
  const body = [
    0x02, 0x01, I32, 0x01, V128, // locals: $i i32 (local 1), $acc v128 (local 2); $length is local 0
    0x02, 0x40, 0x03, 0x40, // block, loop
    0x20, 0x01, 0x20, 0x00, 0x4f, 0x0d, 0x01, // br_if 1 (i32.ge_u $i $length)
    0x20, 0x02, ...block(0), 0x21, 0x02, // $acc |= bytes[$i, $i+16) < 0x20
    0x20, 0x02, ...block(16), 0x21, 0x02,
    0x20, 0x02, ...block(32), 0x21, 0x02,
    0x20, 0x02, ...block(48), 0x21, 0x02,
    0x20, 0x01, 0x41, 0xc0, 0x00, 0x6a, 0x21, 0x01, // $i += 64
    0x0c, 0x00, 0x0b, 0x0b, // br 0, end loop, end block
    0x20, 0x02, SIMD, 0x53, // v128.any_true $acc
    0x0b,
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [0x01, 0x60, 0x01, I32, 0x01, I32]), // (type (func (param i32) (result i32)))
    ...section(3, [0x01, 0x00]), // (func (type 0))
    ...section(5, [0x01, 0x00, 0x02]), // (memory 2): 128 KiB
    ...section(7, [0x02, ...name('memory'), 0x02, 0x00, ...name('scan'), 0x00, 0x00]),
    ...section(10, [0x01, ...leb(body.length), ...body]),
  ]);
}

/** Bytes copied into the module's memory at once: with the padding, within its 128 KiB. */
const WINDOW = 64 * 1024;
const BLOCK = 64;

interface Scanner {
  memory: Uint8Array;
  scan: (length: number) => number;
}

/** The API this file uses; the DOM's type library, which declares it, is not part of the build. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: { memory: { buffer: ArrayBuffer }; scan: (length: number) => number } };
}

let scanner: Scanner | null | undefined;

/** The compiled scanner, made at the first use; null where WebAssembly or its SIMD is not there. */
function simdScanner(): Scanner | null {
  if (scanner !== undefined) return scanner;
  try {
    const api = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
    if (api === undefined) return (scanner = null);
    const { exports } = new api.Instance(new api.Module(moduleBytes()));
    scanner = { memory: new Uint8Array(exports.memory.buffer), scan: exports.scan };
  } catch {
    scanner = null;
  }
  return scanner;
}

/** Whether the scanner is WebAssembly's (tests: the fallback must not be the only path tested). */
export function scansWithSimd(): boolean {
  return simdScanner() !== null;
}

/** The 32 native searches, one per control byte: where WebAssembly cannot run, and what the scanner is tested against. */
export function holdsControlByteBySearch(bytes: Uint8Array): boolean {
  for (let b = 0; b < 0x20; b++) if (bytes.includes(b)) return true;
  return false;
}

/** Whether `bytes` hold a byte below 0x20. */
export function holdsControlByte(bytes: Uint8Array): boolean {
  const simd = simdScanner();
  if (simd === null) return holdsControlByteBySearch(bytes);
  for (let at = 0; at < bytes.length; at += WINDOW) {
    const length = Math.min(WINDOW, bytes.length - at);
    simd.memory.set(bytes.subarray(at, at + length));
    simd.memory.fill(0x20, length, length + BLOCK);
    if (simd.scan(length) !== 0) return true;
  }
  return false;
}
