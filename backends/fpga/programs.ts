// Several programs in one ROM, for tail calls (docs/fpga-engine.md, "Tail calls and
// redirect_map"): the entry program at slot 0, then every other program of the object
// (a prog_array names programs by their index in the object, and its contents may come
// from --maps-in, so any of them can be reached); the program table tells bpf_core
// where each one starts and how long it is. Also the map kinds the table word does not
// carry (prog_array, devmap), and the build-time rule that keeps their handles away from
// the map helpers 1-3, which the engine runs for plain arrays and hashes only.
import { branchTarget, formOf, isLddw, type Insn } from "../../ir/bpf/insn.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import type { MapDef, MapKind } from "../../runtime/maps/def.js";

/** bpf_core's program table has eight entries (ptab_idx is 3 bits): programs 0..7 of an object. */
export const MAX_PROGRAMS = 8;

/**
 * bpf_core mt_kind codes, written beside the map table word (map_kind_we). Both kinds are
 * array-shaped: a u32 key and a 4-byte value (devmap: 4 or 8, the ifindex first) in an
 * 8-byte slot.
 */
export const MAP_KIND_CODES: Partial<Record<MapKind, number>> = {
  prog_array: 1, // the slot: the program index in bytes 0-3, 1 in bytes 4-7 when set
  devmap: 2, // the slot: the ifindex in bytes 0-3, 0 when empty (as the kernel's devmap)
};

/** Which helper may take a handle of each kind, and in which argument register. */
const HANDLE_USE: Partial<Record<MapKind, { helper: number; reg: number; name: string }>> = {
  prog_array: { helper: 12, reg: 2, name: "bpf_tail_call" },
  devmap: { helper: 51, reg: 1, name: "bpf_redirect_map" },
};

export interface RomProgram {
  /** Index in object.programs (the value a prog_array holds). */
  readonly index: number;
  readonly name: string;
  readonly base: number;
  readonly len: number;
}

export interface RomLayout {
  /** The ROM's slots: the entry program, then the others in object order. */
  readonly slots: readonly Insn[];
  /** Slots of the entry program (prog_len). */
  readonly entryLen: number;
  /** Every program in the ROM, the entry first. */
  readonly programs: readonly RomProgram[];
  /** The object has a prog_array: the program table is written (even for one program). */
  readonly tailCalls: boolean;
}

/** Tail calls are possible only with a prog_array; without one the ROM is the entry program alone. */
export function hasTailCalls(object: BpfObject): boolean {
  return object.maps.some((m) => m.kind === "prog_array");
}

export function romLayout(object: BpfObject, entry: number): RomLayout {
  const order = [entry, ...(hasTailCalls(object) ? object.programs.map((_, i) => i).filter((i) => i !== entry) : [])];
  const slots: Insn[] = [];
  const programs = order.map((index) => {
    const p = object.programs[index]!;
    const base = slots.length;
    slots.push(...p.slots);
    return { index, name: p.name, base, len: p.slots.length };
  });
  return { slots, entryLen: object.programs[entry]!.slots.length, programs, tailCalls: hasTailCalls(object) };
}

/** The testbench's MAPS-file lines for the program table ("p IDX BASE LEN", hex) and the map kinds ("k IDX KIND"). */
export function tableLines(layout: RomLayout, maps: readonly MapDef[]): string {
  const out: string[] = [];
  maps.forEach((m, i) => {
    const code = MAP_KIND_CODES[m.kind];
    if (code !== undefined) out.push(`k ${i} ${code}`);
  });
  if (layout.tailCalls) for (const p of layout.programs) out.push(`p ${p.index} ${p.base.toString(16)} ${p.len.toString(16)}`);
  return out.map((l) => l + "\n").join("");
}

/** What the ROM layout cannot hold. */
export function programProblems(object: BpfObject, romSlots: number): string[] {
  const out: string[] = [];
  if (hasTailCalls(object) && object.programs.length > MAX_PROGRAMS) out.push(`${object.programs.length} programs with a prog_array (the engine's program table has ${MAX_PROGRAMS} entries)`);
  const total = hasTailCalls(object) ? object.programs.reduce((n, p) => n + p.slots.length, 0) : 0;
  if (total > romSlots) out.push(`${total} slots in the object's programs together (the ROM holds ${romSlots})`);
  return out;
}

/**
 * Every place a prog_array or devmap handle could reach something other than its own
 * helper. After `lddw rX, map(m)` the handle is followed through straight-line code (no
 * jump, no branch target, no exit in between): plain register copies (`mov rY, rX`) add
 * holders, overwrites remove them, and any other instruction reading a holder is refused;
 * the next helper call must be bpf_tail_call with the handle in r2 (prog_array) or
 * bpf_redirect_map with it in r1 (devmap), every holder among r1-r5 (which the call
 * clobbers; a verified program cannot read them after it). That covers what clang and
 * bpfoff's code generator emit. Returns [instruction, reason] pairs.
 */
export function slotHandleProblems(slots: readonly Insn[], maps: readonly MapDef[]): [number, string][] {
  const targets = new Set<number>();
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    const f = formOf(s);
    const t = f ? branchTarget(i, s, f) : undefined;
    if (t !== undefined) targets.add(t);
    if (isLddw(s)) i++;
  }
  const out: [number, string][] = [];
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i]!;
    if (!isLddw(s)) continue;
    const def = s.src === 1 ? maps[s.imm] : undefined;
    const use = def ? HANDLE_USE[def.kind] : undefined;
    if (!def || !use) {
      i++;
      continue;
    }
    const why = `the handle of ${def.kind} '${def.name}' is used other than as ${use.name}'s r${use.reg} (the engine's map helpers take plain arrays and hashes)`;
    if (!handleReachesOnly(slots, i + 2, s.dst, use, targets)) out.push([i, why]);
    i++;
  }
  return out;
}

const MOV = 0xb0;

function handleReachesOnly(slots: readonly Insn[], from: number, reg: number, use: { helper: number; reg: number }, targets: ReadonlySet<number>): boolean {
  const live = new Set([reg]);
  for (let j = from; j < slots.length; j++) {
    const n = slots[j]!;
    const f = formOf(n);
    if (!f || targets.has(j) || branchTarget(j, n, f) !== undefined || f.shape === "exit" || f.shape === "callx") return false;
    if (f.shape === "call") return n.imm === use.helper && live.has(use.reg) && [...live].every((r) => r >= 1 && r <= 5);
    const mov = (n.opcode & 0xf0) === MOV && n.off === 0 && (f.shape === "alu_imm" || f.shape === "alu_reg");
    const writesDst = f.shape === "alu_imm" || f.shape === "alu_reg" || f.shape === "unary" || f.shape === "end" || f.shape === "movsx" || f.shape === "ldx" || f.shape === "lddw";
    const readsSrc = f.shape === "alu_reg" || f.shape === "movsx" || f.shape === "ldx" || f.shape === "stx" || f.shape === "atomic";
    const readsDst = !(mov || f.shape === "ldx" || f.shape === "lddw" || f.shape === "movsx");
    if (mov && f.shape === "alu_reg" && (n.opcode & 7) === 7 && live.has(n.src)) {
      live.add(n.dst); // a 64-bit copy: one more holder
    } else {
      if ((readsSrc && live.has(n.src)) || (readsDst && live.has(n.dst))) return false;
      if (writesDst) live.delete(n.dst);
      if (live.size === 0) return true;
    }
    if (isLddw(n)) j++;
  }
  return false;
}
