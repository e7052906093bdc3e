// The register lattice: what the verifier knows about one register (or one spilled
// stack slot). Pointer kinds follow the kernel's enum bpf_reg_type; their spelling in
// logs follows the kernel's verifier log (`ctx()`, `pkt(off=14,r=14)`, `fp-8`).
import type { MapDef } from "../runtime/maps/def.js";
import { constant, formatScalar, isConstant, type Scalar } from "./scalar.js";

export type Reg =
  | { readonly k: "not_init" }
  /** id links copies of one value, so that a branch on one narrows them all; 0 = none. */
  | { readonly k: "scalar"; readonly s: Scalar; readonly id: number; readonly why?: string }
  /** xdp_md (or any program context); off is a constant offset added to it. */
  | { readonly k: "ctx"; readonly off: number }
  /** frame pointer of call frame `frame` plus a constant offset. */
  | { readonly k: "stack"; readonly frame: number; readonly off: number }
  /**
   * Packet (or metadata) pointer: data + var + off. Pointers with the same id share `var`;
   * `range` bytes from data + var are proved readable (by a comparison with data_end).
   */
  | { readonly k: "pkt" | "pkt_meta"; readonly off: number; readonly v: Scalar; readonly id: number; readonly range: number }
  | { readonly k: "pkt_end" }
  /** lddw of a map: the map handle, only good as a helper argument. */
  | { readonly k: "map_ptr"; readonly map: number }
  | { readonly k: "map_value"; readonly map: number; readonly off: number; readonly v: Scalar }
  /** map_lookup_elem's result before the null check; id links its copies. */
  | { readonly k: "map_value_or_null"; readonly map: number; readonly off: number; readonly v: Scalar; readonly id: number }
  /** The raw program type's input memory: r1 + var + off; its proved length lives in the state. */
  | { readonly k: "mem"; readonly off: number; readonly v: Scalar };

export type RegKind = Reg["k"];

export const NOT_INIT: Reg = { k: "not_init" };
export const scalarReg = (s: Scalar, id = 0): Reg => ({ k: "scalar", s, id });
export const constReg = (v: bigint): Reg => scalarReg(constant(v));
export const ZERO_VAR: Scalar = constant(0n);

export const isPointer = (r: Reg): boolean => r.k !== "scalar" && r.k !== "not_init";

/** The kernel's names for the register kinds, for messages. */
export const KIND_NAMES: Record<RegKind, string> = {
  not_init: "not_init",
  scalar: "scalar",
  ctx: "ctx",
  stack: "fp",
  pkt: "pkt",
  pkt_meta: "pkt_meta",
  pkt_end: "pkt_end",
  map_ptr: "map_ptr",
  map_value: "map_value",
  map_value_or_null: "map_value_or_null",
  mem: "mem",
};

function varPart(v: Scalar): string[] {
  if (isConstant(v) && v.umin === 0n) return [];
  const s = formatScalar(v);
  return [isConstant(v) ? `var=${s}` : s];
}

/** One register as the kernel's verifier log prints it. */
export function formatReg(r: Reg, maps: readonly MapDef[]): string {
  const mapPart = (m: number) => {
    const d = maps[m];
    return d ? `map=${d.name},ks=${d.keySize},vs=${d.valueSize}` : `map=#${m}`;
  };
  switch (r.k) {
    case "not_init":
      return "?";
    case "scalar": {
      const c = formatScalar(r.s);
      const inner = [r.id ? `id=${r.id}` : "", isConstant(r.s) ? "" : c].filter(Boolean).join(",");
      return isConstant(r.s) && !r.id ? c : `scalar(${inner})`;
    }
    case "ctx":
      return `ctx(${r.off ? `off=${r.off}` : ""})`;
    case "stack":
      return `fp${r.off}`;
    case "pkt":
    case "pkt_meta":
      return `${r.k}(${[r.id ? `id=${r.id}` : "", `off=${r.off}`, `r=${r.range}`, ...varPart(r.v)].filter(Boolean).join(",")})`;
    case "pkt_end":
      return "pkt_end()";
    case "map_ptr":
      return `map_ptr(${mapPart(r.map)})`;
    case "map_value":
      return `map_value(${[mapPart(r.map), `off=${r.off}`, ...varPart(r.v)].join(",")})`;
    case "map_value_or_null":
      return `map_value_or_null(${[`id=${r.id}`, mapPart(r.map), `off=${r.off}`, ...varPart(r.v)].join(",")})`;
    case "mem":
      return `mem(${[`off=${r.off}`, ...varPart(r.v)].join(",")})`;
  }
}
