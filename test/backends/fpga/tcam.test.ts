// TCAM maps on the Verilog BPF engine (rows of value, mask and priority in match order,
// scanned by the lookup) in Verilator against the reference interpreter's
// runtime/maps/tcam.ts: generated tables (few priorities, so that ties fall to insertion
// order; masks from all-care to don't-care) and generated keys (many derived from the
// rows, so that several rows match): r0 with every result folded in, data written through
// the returned pointer, and the final maps (formatMapsState, rows in order); update and
// delete from a program are -EOPNOTSUPP after the same pointer checks; faults at the
// interpreter's instruction.
// requires: verilator
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { mapLayout, mapProblems, mapSlots, storeMapMemory, tableWord, tcamSlot } from "../../../backends/fpga/maps.js";
import { buildEngineModel } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { instantiateMaps } from "../../../runtime/interp/run.js";
import { isTcam, type BpfMap } from "../../../runtime/maps/map.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { compareRaw } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

beforeAll(() => {
  if (haveVerilator) buildEngineModel({ jobs: 2 });
});

const lit = (n: bigint) => `0x${n.toString(16)}`;

function keyAt(key: Uint8Array): string {
  const padded = new Uint8Array(16);
  padded.set(key);
  const v = new DataView(padded.buffer);
  return `lddw %r1, ${lit(v.getBigUint64(0, true))}\nstxdw [%r10-16], %r1\nlddw %r1, ${lit(v.getBigUint64(8, true))}\nstxdw [%r10-8], %r1\nmov %r2, %r10\nadd %r2, -16\n`;
}

interface Row {
  value: Uint8Array;
  mask: Uint8Array;
  priority: number;
}

/** Lookups (a data byte incremented through the pointer and returned), then an update and a delete (-EOPNOTSUPP); r6 folds every result. */
function tcamProgram(keySize: number, valueSize: number, entries: number, keys: readonly Uint8Array[]): string {
  let src = `.map t tcam key=${keySize} value=${valueSize} entries=${entries}\nmov %r6, 0\n`;
  keys.forEach((k, i) => {
    src += keyAt(k) + "lddw %r1, map(t)\n";
    if (i % 9 === 8) src += "mov %r3, %r10\nadd %r3, -48\nmov %r4, 0\ncall 2\n";
    else if (i % 9 === 7) src += "call 3\n";
    else src += "call 1\njeq %r0, 0, +4\nldxb %r1, [%r0+0]\nadd %r1, 1\nstxb [%r0+0], %r1\nmov %r0, %r1\n";
    src += "mul %r6, 31\nadd %r6, %r0\n";
  });
  return src + "mov %r0, %r6\nexit\n";
}

function tcamSeeded(rows: readonly Row[]) {
  return (object: BpfObject): BpfMap[] => {
    const maps = instantiateMaps(object);
    const t = maps[0]!;
    if (!isTcam(t)) throw new Error("not a tcam");
    rows.forEach((r, i) => {
      const rc = t.insert(r.value, r.mask, r.priority, Uint8Array.from({ length: t.def.valueSize }, (_, j) => (i * 16 + j) & 0xff));
      expect([0, -28]).toContain(rc); // -ENOSPC once full
    });
    return maps;
  };
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

/** A table and keys: masks per byte from {0x00, 0xff, 0xf0, random}; keys mostly a row's value with the don't-care bits randomised. */
function tableArb(keySize: number, entries: number) {
  const maskByte = fc.oneof(fc.constant(0xff), fc.constant(0x00), fc.constant(0xf0), fc.integer({ min: 0, max: 255 }));
  const row = fc.record({
    value: bytes(keySize),
    mask: fc.array(maskByte, { minLength: keySize, maxLength: keySize }).map((m) => Uint8Array.from(m)),
    priority: fc.oneof(fc.constantFrom(0, 1, 5, 0xffffffff), fc.integer({ min: 0, max: 10 })),
  });
  return fc.array(row, { minLength: 0, maxLength: entries + 1 }).chain((rows) => {
    const derived = rows.length === 0 ? bytes(keySize) : fc.tuple(fc.integer({ min: 0, max: rows.length - 1 }), bytes(keySize)).map(([i, noise]) => Uint8Array.from(rows[i]!.value, (b, j) => (b & rows[i]!.mask[j]!) | (noise[j]! & ~rows[i]!.mask[j]!)));
    return fc.tuple(fc.constant(rows), fc.array(fc.oneof({ weight: 3, arbitrary: derived }, { weight: 1, arbitrary: bytes(keySize) }), { minLength: 5, maxLength: 30 }));
  });
}

describe("TCAM layout (backends/fpga/maps.ts)", () => {
  it("rows of data, value, mask and priority after the row count; the table word's TCAM bit; read back in row order", () => {
    const o = assemble(".map t tcam key=6 value=4 entries=3\nmov %r0, 0\nexit", "t.s");
    const l = mapLayout(o.maps);
    expect(tcamSlot(o.maps[0]!)).toEqual({ valueOffset: 8, maskOffset: 16, priorityOffset: 24, bytes: 32 });
    expect(l.maps.map((p) => [p.start, p.base, p.shift, p.bytes])).toEqual([[0, 8, 5, 8 + 96]]);
    expect(tableWord(l.maps[0]!)).toBe(4n | (1n << 15n) | (5n << 16n) | (3n << 20n) | (5n << 36n) | (8n << 40n) | (1n << 63n));
    const maps = instantiateMaps(o);
    const t = maps[0]!;
    if (!isTcam(t)) throw new Error("not a tcam");
    const k = (b: number) => new Uint8Array(6).fill(b);
    expect(t.insert(k(1), k(0xff), 1, Uint8Array.of(1, 1, 1, 1))).toBe(0);
    expect(t.insert(k(2), k(0x0f), 7, Uint8Array.of(2, 2, 2, 2))).toBe(0);
    expect(t.insert(k(3), k(0xf0), 1, Uint8Array.of(3, 3, 3, 3))).toBe(0);
    const region = mapSlots(l.maps[0]!, t);
    expect(region[0]).toBe(3);
    expect([...region.subarray(8, 12)]).toEqual([2, 2, 2, 2]); // priority 7 first
    const memory = new Uint8Array(l.bytes);
    memory.set(region, 0);
    const back = instantiateMaps(o);
    storeMapMemory(l, memory, back);
    expect(formatMapsState(back)).toBe(formatMapsState(maps));
  });
  it("refuses TCAM keys over 16 bytes", () => {
    expect(mapProblems(assemble(".map t tcam key=16 value=4 entries=3\n.map u tcam key=17 value=4 entries=3\nmov %r0, 0\nexit", "t.s").maps)).toEqual([
      "map 'u' has 17-byte keys (the engine's TCAMs take 1 to 16)",
    ]);
  });
});

describe.skipIf(!haveVerilator)("TCAM maps on the FPGA engine match the interpreter", () => {
  const CONFIGS: [keySize: number, valueSize: number, entries: number][] = [[4, 8, 6], [1, 3, 4], [8, 16, 8], [12, 8, 5], [16, 24, 10]];
  for (const [keySize, valueSize, entries] of CONFIGS) {
    it(`key ${keySize}, value ${valueSize}, ${entries} rows: generated tables and keys`, () => {
      fc.assert(fc.property(tableArb(keySize, entries), ([rows, keys]) => {
        const r = compareRaw(tcamProgram(keySize, valueSize, entries, keys), undefined, tcamSeeded(rows));
        expect(r.kind).toBe("done");
      }), { numRuns: 10, seed: 2000 + keySize * 10 + entries });
    });
  }

  const rows: Row[] = [
    { value: Uint8Array.of(10, 0, 0, 0), mask: Uint8Array.of(0xff, 0, 0, 0), priority: 1 },
    { value: Uint8Array.of(10, 1, 0, 0), mask: Uint8Array.of(0xff, 0xff, 0, 0), priority: 2 },
  ];
  const FAULTS: Record<string, string> = {
    "a key crossing the stack's end": "mov %r2, %r10\nadd %r2, -2\nlddw %r1, map(t)\ncall 1\nexit",
    "an update value crossing the stack's end (checked before -EOPNOTSUPP)": `${keyAt(Uint8Array.of(10, 1, 2, 3))}mov %r3, %r10\nadd %r3, -4\nmov %r4, 0\nlddw %r1, map(t)\ncall 2\nexit`,
    "a delete with a bad key pointer": "mov %r2, 16\nlddw %r1, map(t)\ncall 3\nexit",
    "a store past the data": `${keyAt(Uint8Array.of(10, 1, 2, 3))}lddw %r1, map(t)\ncall 1\njeq %r0, 0, +1\nstw [%r0+6], 1\nexit`,
  };
  for (const [name, body] of Object.entries(FAULTS)) {
    it(`faults like the interpreter: ${name}`, () => {
      expect(compareRaw(`.map t tcam key=4 value=8 entries=4\n${body}`, undefined, tcamSeeded(rows))).toMatchObject({ kind: "error" });
    });
  }
});
