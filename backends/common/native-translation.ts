// What both JITs set up before translating a program, and what they decide the same way
// about its slots: the facts and control flow of native-ctx.ts, a label per slot, the
// fault stubs (a label and the info word its stub hands to rt->fault), and the meaning of
// an lddw's pseudo source. The emitters differ (X64Emitter, A64Emitter); all this needs of
// one is a fresh label.
import { formOf, lddwValue, type Insn } from "../../ir/bpf/insn.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import { diag, type Diagnostic } from "../../ir/diag/diag.js";
import { FAULT, HELPER_SLOTS, infoWord, MAX_MAPS } from "./native-abi.js";
import { HELPERS_BY_ID } from "../../runtime/helpers/table.js";
import type { MapDef } from "../../runtime/maps/def.js";
import { controlFlow, nativeFacts, type ControlFlow, type NativeFacts } from "./native-ctx.js";

export interface LabelSource<L> {
  newLabel(): L;
}

/** A fault stub: the code at `label` calls rt->fault with `info` and does not return. */
export interface FaultStub<L> {
  readonly label: L;
  readonly info: number;
}

export interface Translation<L> extends NativeFacts, ControlFlow {
  readonly slots: readonly Insn[];
  /** Constructs the JIT cannot translate, each with its slot index; the build fails with all of them. */
  readonly problems: Diagnostic[];
  /** labels[i] is slot i's code; labels[n] the end of the program (falling off it faults). */
  readonly labels: readonly L[];
  /** The label of each function start (entry and bpf-to-bpf call targets), for `call`. */
  readonly callLabels: ReadonlyMap<number, L>;
  readonly stubs: FaultStub<L>[];
  /** Code offset of each slot's first instruction, for the listing. */
  readonly offsets: number[];
  /** Helpers the program calls through rt (emitted in the header's helper table). */
  readonly helpers: Set<number>;
  /** A new label whose stub faults with `info`. */
  faultAt(info: number): L;
  /** A jump target's label; a target outside the program stops the run there (run-fell-off). */
  jumpLabel(target: number): L;
  /** A diagnostic for a construct this architecture does not translate. */
  unsupported(insn: number, what: string): Diagnostic;
  /** What the `call` at slot i is, or why it cannot be translated. */
  callAt(i: number): CallKind<L> | Diagnostic;
}

/**
 * A `call` as the JITs translate it: a bpf-to-bpf call to a function start, bpf_tail_call,
 * a lookup in an array map r1 is known to hold (inlined as address arithmetic), or a
 * helper called through the runtime's table.
 */
export type CallKind<L> =
  | { readonly kind: "local"; readonly label: L }
  | { readonly kind: "tail" }
  | { readonly kind: "inline-array"; readonly map: MapDef }
  | { readonly kind: "helper"; readonly id: number };

export function beginTranslation<L>(object: BpfObject, program: number, type: "raw" | "xdp", arch: string, e: LabelSource<L>): Translation<L> {
  const slots = object.programs[program]!.slots;
  const problems: Diagnostic[] = [];
  if (object.maps.length > MAX_MAPS) problems.push(diag("offload-unsupported", {}, [arch, `more than ${MAX_MAPS} maps`]));
  const n = slots.length;
  const labels: L[] = Array.from({ length: n + 1 }, () => e.newLabel());
  const flow = controlFlow(slots);
  const callLabels = new Map<number, L>([...flow.starts].map((s) => [s, e.newLabel()]));
  const stubs: FaultStub<L>[] = [];
  const faultAt = (info: number): L => {
    const label = e.newLabel();
    stubs.push({ label, info });
    return label;
  };
  const unsupported = (insn: number, what: string): Diagnostic => diag("offload-unsupported", { insn }, [arch, what]);
  const r1Maps = mapInR1(slots, flow, object.maps.length);
  const callAt = (i: number): CallKind<L> | Diagnostic => {
    const s = slots[i]!;
    if (s.src === 1) {
      const target = i + 1 + s.imm;
      const label = callLabels.get(target);
      return target <= 0 || target >= n || !label ? unsupported(i, `a call to instruction ${target}`) : { kind: "local", label };
    }
    if (s.src !== 0) return unsupported(i, s.src === 2 ? "kfunc calls" : `call with src ${s.src}`);
    if (!HELPERS_BY_ID.get(s.imm) || s.imm >= HELPER_SLOTS) return diag("run-helper", { insn: i }, [s.imm]);
    if (s.imm === 12) return { kind: "tail" };
    const r1 = r1Maps[i];
    const map = r1 !== undefined ? object.maps[r1] : undefined;
    // Not a BPF_F_RDONLY_PROG (0x80) array: those lookups go through the runtime's helper.
    if (s.imm === 1 && map?.kind === "array" && !(map.flags & 0x80)) return { kind: "inline-array", map };
    return { kind: "helper", id: s.imm };
  };
  return {
    ...nativeFacts(slots, type),
    ...flow,
    slots,
    problems,
    labels,
    callLabels,
    stubs,
    offsets: new Array<number>(n).fill(0),
    helpers: new Set<number>(),
    faultAt,
    jumpLabel: (target) => (target >= 0 && target <= n ? labels[target]! : faultAt(infoWord(target < 0 ? 0 : Math.min(target, (1 << 24) - 1), 0, false, FAULT.fellOff))),
    unsupported,
    callAt,
  };
}

/** What an lddw loads (RFC 9669 §5.4): a constant, a map's address, or an address in a map's value (global data). */
export type LddwMeaning = { readonly kind: "imm"; readonly value: bigint } | { readonly kind: "map"; readonly map: number } | { readonly kind: "value"; readonly map: number; readonly off: number };

/** The meaning of the lddw at slot i, or a diagnostic: a map index out of range, or a pseudo source the JITs do not take. */
export function lddwMeaning(slots: readonly Insn[], i: number, mapCount: number, unsupported: (insn: number, what: string) => Diagnostic): LddwMeaning | Diagnostic {
  const s = slots[i]!;
  const value = lddwValue(s, slots[i + 1] ?? s);
  if (s.src === 0) return { kind: "imm", value };
  if (s.src !== 1 && s.src !== 2) return unsupported(i, `lddw with pseudo source ${s.src}`);
  const map = s.src === 1 ? s.imm : Number(value & 0xffffffffn);
  if (map >= mapCount) return diag("run-map", { insn: i }, [map, mapCount]);
  return s.src === 1 ? { kind: "map", map } : { kind: "value", map, off: Number(BigInt.asIntN(32, value >> 32n)) };
}

/** Instruction shapes that write their dst register. */
const WRITES_DST = new Set(["alu_imm", "alu_reg", "unary", "movsx", "end", "ldx", "lddw"]);

/**
 * For each slot, the map whose address r1 holds on entry (loaded by `lddw r1, map` in the
 * same straight-line run), else undefined: a `call bpf_map_lookup_elem` with a known array
 * map is inlined as address arithmetic. Function starts and jump targets forget it (another
 * path may arrive there), as does anything that writes r1 or calls.
 */
export function mapInR1(slots: readonly Insn[], flow: ControlFlow, mapCount: number): (number | undefined)[] {
  const out: (number | undefined)[] = new Array(slots.length).fill(undefined);
  let r1: number | undefined;
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    if (flow.starts.has(i) || flow.targets.has(i)) r1 = undefined;
    out[i] = r1;
    if (!f) continue;
    if (f.shape === "lddw") {
      r1 = s.src === 1 && s.dst === 1 && s.imm < mapCount ? s.imm : s.dst === 1 ? undefined : r1;
      i++;
      continue;
    }
    if ((s.dst === 1 && WRITES_DST.has(f.shape)) || f.shape === "call" || (f.shape === "atomic" && s.src === 1)) r1 = undefined;
  }
  return out;
}
