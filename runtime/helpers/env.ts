// What a helper sees of the running program: memory, maps, the packet, and the
// host state that persists between runs (clock, random numbers). Nothing here is global:
// the caller owns a HostState and passes it to every run it makes.
import type { BpfMap } from "../maps/map.js";
import type { AddressSpace } from "../interp/memory.js";
import type { XdpPacket } from "../interp/xdp.js";

export interface HostState {
  /** bpf_ktime_get_ns: a deterministic clock that advances by `clockStepNs` per call. */
  timeNs: bigint;
  clockStepNs: bigint;
  /** bpf_get_prandom_u32: xorshift32 state, seeded by the caller. */
  rng: number;
  cpu: number;
}

export function newHostState(seed = 0x2545f491, startNs = 1_000_000_000n): HostState {
  return { timeNs: startNs, clockStepNs: 1000n, rng: seed >>> 0 || 1, cpu: 0 };
}

/** Where a redirect sends the packet (XDP_REDIRECT). */
export interface Redirect {
  ifindex?: number;
  map?: string;
  key?: number;
}

export interface HelperEnv {
  readonly space: AddressSpace;
  readonly maps: readonly BpfMap[];
  readonly host: HostState;
  readonly xdp?: XdpPacket;
  redirect?: Redirect;
  /** The map a map-handle address refers to (lddw src 1), or undefined. */
  mapAt(addr: bigint): BpfMap | undefined;
  /** The address of a map value buffer (creating its region on first use). */
  valueAddress(map: BpfMap, value: Uint8Array): bigint;
}

/** A helper either returns r0 or asks the interpreter to tail-call another program. */
export type HelperResult = bigint | { tailCall: number };

export type HelperFn = (env: HelperEnv, args: readonly [bigint, bigint, bigint, bigint, bigint], insn: number) => HelperResult;
