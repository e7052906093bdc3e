// The helper functions bpfoff implements, by their Linux numbers (enum bpf_func_id in
// include/uapi/linux/bpf.h). Each row says which program types may call it: offload
// hooks read this table to decide what a device must provide.
import { fail } from "../../ir/diag/diag.js";
import { ERRNO } from "../maps/def.js";
import { adjustHead, adjustMeta, adjustTail } from "../interp/xdp.js";
import type { HelperEnv, HelperFn } from "./env.js";
import type { BpfMap } from "../maps/map.js";

export interface HelperRow {
  readonly id: number;
  readonly name: string;
  readonly args: number;
  readonly xdpOnly: boolean;
  readonly fn: HelperFn;
}

const neg = (errno: number): bigint => BigInt.asUintN(64, BigInt(-errno));
const retInt = (v: number): bigint => BigInt.asUintN(64, BigInt(v));

function mapArg(env: HelperEnv, addr: bigint, insn: number, helper: string): BpfMap {
  const m = env.mapAt(addr);
  if (!m) fail("run-helper-fail", { insn }, [helper, `r1 = 0x${addr.toString(16)} is not a map`]);
  return m;
}

function keyArg(env: HelperEnv, map: BpfMap, addr: bigint, insn: number): Uint8Array {
  return env.space.slice(addr, map.def.keySize, insn).slice();
}

/** xorshift32: deterministic, seedable, and cheap enough to model in hardware. */
function nextRandom(env: HelperEnv): number {
  let x = env.host.rng;
  x ^= x << 13;
  x >>>= 0;
  x ^= x >>> 17;
  x ^= x << 5;
  x >>>= 0;
  env.host.rng = x;
  return x;
}

/** 32-bit one's-complement sum with end-around carry, as the kernel's csum_partial folds it. */
function csumAdd(sum: number, word: number): number {
  const s = sum + word;
  return (s > 0xffffffff ? s - 0xffffffff : s) >>> 0;
}


export const HELPERS: readonly HelperRow[] = [
  {
    id: 1, name: "map_lookup_elem", args: 2, xdpOnly: false,
    fn: (env, [m, k], insn) => {
      const map = mapArg(env, m, insn, "map_lookup_elem");
      const value = map.lookup(keyArg(env, map, k, insn));
      return value ? env.valueAddress(map, value) : 0n;
    },
  },
  {
    id: 2, name: "map_update_elem", args: 4, xdpOnly: false,
    fn: (env, [m, k, v, flags], insn) => {
      const map = mapArg(env, m, insn, "map_update_elem");
      const value = env.space.slice(v, map.def.valueSize, insn).slice();
      return retInt(map.update(keyArg(env, map, k, insn), value, Number(flags & 0xffffffffn)));
    },
  },
  {
    id: 3, name: "map_delete_elem", args: 2, xdpOnly: false,
    fn: (env, [m, k], insn) => {
      const map = mapArg(env, m, insn, "map_delete_elem");
      return retInt(map.delete(keyArg(env, map, k, insn)));
    },
  },
  {
    id: 5, name: "ktime_get_ns", args: 0, xdpOnly: false,
    fn: (env) => {
      env.host.timeNs += env.host.clockStepNs;
      return env.host.timeNs;
    },
  },
  { id: 7, name: "get_prandom_u32", args: 0, xdpOnly: false, fn: (env) => BigInt(nextRandom(env)) },
  { id: 8, name: "get_smp_processor_id", args: 0, xdpOnly: false, fn: (env) => BigInt(env.host.cpu) },
  {
    // The interpreter performs the jump; a missing entry falls through with an error code.
    id: 12, name: "tail_call", args: 3, xdpOnly: false,
    fn: (env, [, m, index], insn) => {
      const map = mapArg(env, m, insn, "tail_call");
      if (map.def.kind !== "prog_array") return neg(ERRNO.EINVAL);
      if (index > 0xffffffffn) return neg(ERRNO.ENOENT);
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, Number(index), true);
      const entry = map.lookup(key);
      if (!entry) return neg(ERRNO.ENOENT);
      return { tailCall: new DataView(entry.buffer, entry.byteOffset, 4).getUint32(0, true) };
    },
  },
  {
    id: 23, name: "redirect", args: 2, xdpOnly: false,
    fn: (env, [ifindex, flags]) => {
      // net/core/filter.c: any flag bit makes bpf_redirect fail with XDP_ABORTED for XDP.
      if (flags !== 0n) return 0n;
      env.redirect = { ifindex: Number(ifindex & 0xffffffffn) };
      return 4n;
    },
  },
  {
    id: 28, name: "csum_diff", args: 5, xdpOnly: false,
    fn: (env, [from, fromSize, to, toSize, seed], insn) => {
      const fs = Number(fromSize), ts = Number(toSize);
      // net/core/filter.c: sizes are multiples of 4 and the diff fits 512 bytes.
      if (fs % 4 || ts % 4 || fromSize > 512n || toSize > 512n || fs + ts > 512) return neg(ERRNO.EINVAL);
      let sum = Number(seed & 0xffffffffn);
      const a = env.space.slice(from, fs, insn);
      const b = env.space.slice(to, ts, insn);
      const va = new DataView(a.buffer, a.byteOffset, a.byteLength);
      const vb = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let i = 0; i < fs; i += 4) sum = csumAdd(sum, ~va.getUint32(i, true) >>> 0);
      for (let i = 0; i < ts; i += 4) sum = csumAdd(sum, vb.getUint32(i, true));
      return BigInt(sum);
    },
  },
  {
    id: 44, name: "xdp_adjust_head", args: 2, xdpOnly: true,
    fn: (env, [, delta]) => retInt(adjustHead(env.xdp!, Number(BigInt.asIntN(32, delta)))),
  },
  {
    id: 51, name: "redirect_map", args: 3, xdpOnly: true,
    fn: (env, [m, key, flags], insn) => {
      const map = mapArg(env, m, insn, "redirect_map");
      const k = new Uint8Array(4);
      new DataView(k.buffer).setUint32(0, Number(key & 0xffffffffn), true);
      const entry = map.def.kind === "devmap" ? map.lookup(k) : undefined;
      // The low two bits of flags are the action returned when the lookup fails.
      if (!entry) return flags & 3n;
      env.redirect = { map: map.def.name, key: Number(key & 0xffffffffn), ifindex: new DataView(entry.buffer, entry.byteOffset, 4).getUint32(0, true) };
      return 4n;
    },
  },
  {
    id: 54, name: "xdp_adjust_meta", args: 2, xdpOnly: true,
    fn: (env, [, delta]) => retInt(adjustMeta(env.xdp!, Number(BigInt.asIntN(32, delta)))),
  },
  {
    id: 65, name: "xdp_adjust_tail", args: 2, xdpOnly: true,
    fn: (env, [, delta]) => retInt(adjustTail(env.xdp!, Number(BigInt.asIntN(32, delta)))),
  },
];

export const HELPERS_BY_ID: ReadonlyMap<number, HelperRow> = new Map(HELPERS.map((h) => [h.id, h]));
