// The ROM of a multi-lane engine: every program of a RomLayout (programs.ts) scheduled
// on its own (schedule.ts) and laid out bundle after bundle, the entry program first.
// The result is again a RomLayout, in bundle units (its slots are the ROM's words, LANES
// a bundle), so that the program table and the testbench take it as they took slots; and
// the schedules, to name a fault's original instruction and to print the listing.
import type { Insn } from "../../../ir/bpf/insn.js";
import type { RomLayout } from "../programs.js";
import { schedule, scheduleFigures, scheduleWords, sourceIndex, type Schedule, type SchedPass } from "./schedule.js";
import { disasmSlot } from "./ext.js";
import type { DataflowFusion } from "./fuse.js";

export interface BundleRom {
  readonly lanes: number;
  /** The ROM words (LANES per bundle); programs' base and len count bundles. */
  readonly layout: RomLayout;
  /** Per program of layout.programs, in the same order. */
  readonly schedules: readonly Schedule[];
}

/**
 * fuse: onto the extensions (default: with more than one lane; one lane without is the
 * program itself). xdp: the ROM runs as XDP, so r1 is the xdp_md pointer on entry to the
 * entry program (only there: a tail-called program gets whatever r1 its caller passed).
 */
export function bundleRom(rom: RomLayout, lanes: number, opts: { fuse?: boolean; xdp?: boolean; fusions?: readonly DataflowFusion[]; mapValueSizes?: readonly number[]; passes?: readonly SchedPass[] } = {}): BundleRom {
  const words: Insn[] = [];
  const schedules: Schedule[] = [];
  const programs = rom.programs.map((p, k) => {
    const s = schedule(rom.slots.slice(p.base, p.base + p.len), { lanes, fuse: opts.fuse, xdp: (opts.xdp ?? false) && k === 0, ...(opts.fusions ? { fusions: opts.fusions } : {}), ...(opts.mapValueSizes ? { mapValueSizes: opts.mapValueSizes } : {}), ...(opts.passes ? { passes: opts.passes } : {}) });
    schedules.push(s);
    const base = words.length / lanes;
    words.push(...scheduleWords(s));
    return { ...p, base, len: s.bundles.length };
  });
  return { lanes, schedules, layout: { slots: words, entryLen: programs[0]!.len, programs, tailCalls: rom.tailCalls } };
}

/** A ROM of one program (no program table). */
export function singleProgramRom(slots: readonly Insn[], lanes: number, opts: { fuse?: boolean; xdp?: boolean; mapValueSizes?: readonly number[] } = {}): BundleRom {
  return bundleRom({ slots, entryLen: slots.length, programs: [{ index: 0, name: "main", base: 0, len: slots.length }], tailCalls: false }, lanes, opts);
}

/** The original instruction index of a fault at bundle faultPc of the program starting at bundle faultBase. */
export function faultSource(rom: BundleRom, faultBase: number, faultPc: number): number {
  const k = rom.layout.programs.findIndex((p) => p.base === faultBase);
  return k < 0 ? faultPc : sourceIndex(rom.schedules[k]!, faultPc);
}

/** Static figures of the whole ROM. */
export function romFigures(rom: BundleRom): { bundles: number; slots: number; filled: number; instructions: number } {
  const total = { bundles: 0, slots: 0, filled: 0, instructions: 0 };
  for (const s of rom.schedules) {
    const f = scheduleFigures(s);
    total.bundles += f.bundles;
    total.slots += f.slots;
    total.filled += f.filled;
    total.instructions += f.instructions;
  }
  return total;
}

/** Static figures as the listing's header says them: bundles, how full they are, BPF instructions per bundle. */
function figureLine(f: { bundles: number; slots: number; filled: number; instructions: number }): string {
  const per = (n: number): string => (f.bundles > 0 ? (n / f.bundles).toFixed(2) : "0");
  return `${f.bundles} bundles, ${f.filled} of ${f.slots} slots filled (${per(f.filled)} a bundle), ${f.instructions} BPF instructions (${per(f.instructions)} a bundle)`;
}

/**
 * The listing: static figures (the ROM's, then each program's); per program, per bundle
 * its index, then each lane's slot with the original instruction index(es) it carries
 * ("-" an empty slot, "hi" an lddw's second half).
 */
export function romListing(rom: BundleRom): string {
  const out: string[] = [`; ${rom.lanes} lane(s); bundle: lane slot [original instruction index]`, `; ${figureLine(romFigures(rom))}`];
  rom.layout.programs.forEach((p, k) => {
    const s = rom.schedules[k]!;
    const passes = s.passStats ? `; ${s.passStats.webs} value(s) renamed, ${s.passStats.copied} tail(s) copied` : "";
    out.push(`; program ${p.name} (index ${p.index}): bundles ${p.base}..${p.base + p.len - 1}`, `;   ${figureLine(scheduleFigures(s))}${passes}`);
    rom.schedules[k]!.bundles.forEach((b, i) => {
      const lanes = b.map((slot, lane) => {
        if (!slot) return `${lane}: -`;
        if (slot.origin.length === 0) return `${lane}: hi`;
        return `${lane}: ${disasmSlot(slot.insn, b[lane + 1]?.insn ?? rom.schedules[k]!.bundles[i + 1]?.[0]?.insn)} [${slot.origin.join(",")}]`;
      });
      out.push(`${String(p.base + i).padStart(5)}  ${lanes.join("  |  ")}`);
    });
  });
  return out.join("\n") + "\n";
}
