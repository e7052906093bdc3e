// The calling ABI of bpfoff's native code (x86_64 and arm64), as data. Generated code
// reads these offsets; runtime/native/bpfoff_native.h declares the same layout in C and
// a test compiles it and compares every offset (test/backends/native/abi.test.ts).
//
//   uint64_t prog(void *ctx, uint64_t len, struct bpfoff_rt *rt);
//
// ctx and len arrive in the first two argument registers, which are BPF r1 and r2 in
// both register maps (System V: rdi, rsi; AAPCS64: x0, x1), so the raw program type's
// contract (r1 = input memory, r2 = its length) costs nothing; an XDP program gets a
// struct xdp_md whose data/data_end/data_meta are host pointers below 4 GiB (the runtime
// allocates frames there), so the program's 4-byte loads read them unchanged. rt is the
// runtime: bounds of the memory regions the inline checks test, the slow-path check and
// fault handlers, the helper table (by Linux helper number) and the map descriptors.

/** struct bpfoff_rt field offsets. */
export const RT = {
  /** Input memory (raw) or the packet window [data_meta, data_end) (xdp): checked inline. */
  regionLo: 0,
  regionHi: 8,
  /** The BPF stack area, every frame: checked inline for pointers other than r10. */
  stackLo: 16,
  stackHi: 24,
  /** Lowest r10 a bpf-to-bpf call may start from (8 frames of 512 bytes, MAX_CALL_DEPTH). */
  callLimit: 32,
  /** void check(rt, addr, info): map values, ctx, global data; does not return on a fault. */
  check: 40,
  /** void fault(rt, addr, info): never returns (the runtime unwinds to its caller). */
  fault: 48,
  /** The instruction index of the helper call in progress, for faults a helper reports. */
  pc: 56,
  /**
   * The value the last map lookup found, [value_lo, value_hi): checked inline as a third
   * region, since a program's map value accesses nearly always follow their lookup.
   */
  valueLo: 64,
  valueHi: 72,
  /**
   * The lowest stack address zeroed in this run: frame 0 at entry, each deeper frame the
   * first time a call reaches it (the interpreter's frames start zeroed when first used).
   */
  stackZeroed: 80,
  /** uint64_t helpers[HELPER_SLOTS](r1, r2, r3, r4, r5, rt). */
  helpers: 88,
} as const;

/** Helper table slots: Linux helper numbers 0..HELPER_SLOTS-1 (bpf_xdp_adjust_tail is 65). */
export const HELPER_SLOTS = 72;
/** struct bpfoff_map descriptors start after the helper table. */
export const RT_MAPS = RT.helpers + 8 * HELPER_SLOTS;
export const MAX_MAPS = 64;

/** struct bpfoff_map field offsets (one per map of the object, in object order). */
export const MAP_DESC = {
  /** Array maps: max_entries values of `stride` bytes; global data is element 0. */
  values: 0,
  maxEntries: 8,
  stride: 12,
  kind: 16,
  keySize: 20,
  valueSize: 24,
  flags: 28,
  impl: 32,
  size: 48,
} as const;

/**
 * Array values sit in slots rounded up to 8 bytes (64-bit atomics on values stay aligned,
 * which arm64 needs) plus an 8-byte guard gap: the interpreter gives every value its own
 * region, so an access just past a value's end faults there, and with the gap it faults
 * here too. (An access further on reaches the next value: past the guard, native code
 * relies on the verifier's map-value bounds, as the kernel's JITs do.)
 */
export const valueStride = (valueSize: number): number => ((valueSize + 7) & ~7) + 8;

/** The BPF stack: 8 frames of 512 bytes (RFC 9669 §2.1; the interpreter's MAX_CALL_DEPTH). */
export const STACK_FRAME = 512;
export const STACK_FRAMES = 8;
export const STACK_BYTES = STACK_FRAME * STACK_FRAMES;

/**
 * The info word check() and fault() receive: the instruction index, the access size,
 * whether it is a store, and what went wrong (FAULT), so the runtime reports what the
 * interpreter would.
 */
export const INFO = { pcBits: 24, sizeShift: 24, storeShift: 28, kindShift: 29 } as const;
export const FAULT = { mem: 0, depth: 1, fellOff: 2, readonly: 3, helper: 4, timeout: 5, tailCall: 6 } as const;

export function infoWord(pc: number, size: number, store: boolean, kind: number): number {
  return (pc | (size << INFO.sizeShift) | ((store ? 1 : 0) << INFO.storeShift) | (kind << INFO.kindShift)) >>> 0;
}
