// The engine's 32-bit address map and the per-thread frame layout: the code generator
// computes addresses with it and the simulator decodes them with it. An address is a
// 16-bit window number and a 16-bit offset, so a memory command's target memory is its
// address's upper half (the memory unit routes on it; no region field in the microword).

/** Address windows (address >>> 16). */
export const WINDOW = {
  /** The thread's local memory: call frames (BPF stack, arguments, spill slots). */
  local: 1,
  /** The thread's packet buffer (XDP: headroom, frame, tailroom) or a raw program's input memory. */
  packet: 2,
  /** The thread's packet descriptor: xdp_md with 32-bit pointers. */
  ctx: 3,
  /** Array maps and global data: window arrayBase + map number, values back to back. */
  arrayBase: 0x10,
  /** Hash, LPM and TCAM values: a window per value, handed out by the lookup engine on first use. */
  dynamicBase: 0x100,
} as const;

export const WINDOW_BYTES = 1 << 16;

export const windowAddress = (window: number, offset = 0): number => ((window << 16) + offset) >>> 0;

/**
 * A call frame in local memory, growing upward:
 *   [FP - 576, FP - 512)  argument area: 5 arguments, the return value, the link address
 *   [FP - 512, FP)        the BPF stack (RFC 9669: 512 bytes below r10)
 *   [FP, FP + spill)      the function's spill slots
 * The callee's frame starts where the caller's spill slots end.
 */
export const FRAME = {
  argBytes: 64,
  stackBytes: 512,
  /** Argument i at FP - 576 + 8i; the return value and the link address after them. */
  argOffset: (i: number): number => -576 + 8 * i,
  retOffset: -576 + 40,
  linkOffset: -576 + 48,
  /** The entry function's FP: the local window plus its argument area and stack. */
  entryFp: windowAddress(1, 576),
} as const;

/** Local memory per thread: eight frames with room for spills. */
export const LOCAL_BYTES = 16384;
