// The engine's fixed costs, directed (docs/fpga-engine.md, "Hazards, forwarding and
// stalls", "Hash maps", "Measured figures"): bundle 0 decoded in the start cycle (a run's
// first counted cycle executes it, packet after packet), hash lookups that hit or miss in
// the home slot and in later ones with keys of one, two and three words, and atomics back
// to back on one word. Each case matches the interpreter; the cycle figures are pinned, so
// that a change in what a lookup or a start costs shows here.
// requires: verilator
import { beforeAll, describe, expect, it } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { hashHome } from "../../../backends/fpga/maps.js";
import { buildEngineModel, runEngine, type EngineModel } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { instantiateMaps } from "../../../runtime/interp/run.js";
import type { BpfMap } from "../../../runtime/maps/map.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { slotsOf } from "./support.js";
import { compareRaw, expectSameAsInterpreter } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

/** Cycles of a raw run on the default (4-lane) engine; r0 is not compared (value pointers are the engine's own numbers). */
function cyclesOf(src: string, seed: (o: BpfObject) => BpfMap[]): number {
  const object = assemble(src, "t.s");
  const r = fpgaBackend.runRaw!({ object, program: 0, mem: undefined, maxSteps: 100_000, maps: seed(object) });
  return Number(/fpga: (\d+) cycles/.exec(r.stats!)![1]);
}

/** Maps holding the given entries (key bytes → value bytes), in this order, for both sides. */
const withEntries = (entries: readonly (readonly [Uint8Array, Uint8Array])[]) => (o: BpfObject): BpfMap[] => {
  const maps = instantiateMaps(o);
  for (const [k, v] of entries) expect(maps[0]!.update(k, v, 0)).toBe(0);
  return maps;
};

const u32 = (n: number, bytes = 4): Uint8Array => {
  const b = new Uint8Array(bytes);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
const value = (n: number): Uint8Array => Uint8Array.from({ length: 8 }, (_, i) => (n + i) & 0xff);

/** Keys (made from 0, 1, 2, ... by make) whose home slot is home, the first count of them. */
function keysHomedAt(home: number, entries: number, count: number, make: (i: number) => Uint8Array, skip = 0): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = skip; out.length < count; i++) if (hashHome(make(i), entries) === home) out.push(make(i));
  return out;
}

/** The stack words that hold key k at [r10 - len], and r2 pointing at it. */
function keyAt(k: Uint8Array): string {
  const len = k.length;
  const dv = new DataView(k.buffer, k.byteOffset, k.byteLength);
  const words: string[] = [];
  for (let at = 0; at < len; at += 4) words.push(`stw [%r10-${len - at}], ${dv.getInt32(at, true)}`);
  return `${words.join("\n")}\nmov %r2, %r10\nadd %r2, -${len}\n`;
}

/** A lookup whose result folds into r6: the value's first byte, or 1 when not found. */
const lookupFold = (k: Uint8Array) => `${keyAt(k)}lddw %r1, map(h)\ncall 1\nmov %r1, 1\njeq %r0, 0, +1\nldxb %r1, [%r0]\nlsh %r6, 4\nxor %r6, %r1\n`;
/** One lookup left as the program's result (cycles only): the call against the same program with mov r0, 0. */
const lookupOnly = (map: string, k: Uint8Array, call = true) => `${map}\n${keyAt(k)}lddw %r1, map(h)\n${call ? "call 1" : "mov %r0, 0"}\nexit\n`;

describe.skipIf(!haveVerilator)("the start cycle: bundle 0 executes in a run's first cycle", () => {
  let one: EngineModel;
  let four: EngineModel;
  beforeAll(() => {
    one = buildEngineModel({ lanes: 1 });
    four = buildEngineModel();
  });

  it("a straight-line program of n slots takes n cycles on one lane, its first slot reading r1, r2 and r10", () => {
    const mem = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
    const cases = [
      { name: "exit", slots: slotsOf("exit") },
      { name: "r1", slots: slotsOf("ldxw %r0, [%r1+4]\nexit"), mem },
      { name: "r2", slots: slotsOf("mov %r0, %r2\nlsh %r0, 4\nadd %r0, 1\nexit"), mem },
      { name: "r10", slots: slotsOf("stdw [%r10-8], 42\nldxdw %r0, [%r10-8]\nexit") },
    ];
    const got = runEngine(one, cases);
    cases.forEach((c, i) => expectSameAsInterpreter(c, got[i]!, { lanes: 1 }));
    expect(got.map((r) => r.cycles)).toEqual([1, 2, 4, 3]);
  });

  it("a jump in bundle 0: ja from decode, a conditional jump on r1/r2 in execute", () => {
    const cases = [
      { name: "ja", slots: slotsOf("ja +1\nmov %r0, 7\nmov %r0, 9\nexit") },
      { name: "jeq-taken", slots: slotsOf("jeq %r2, 4, +1\nmov %r0, 7\nexit"), mem: new Uint8Array(4) },
      { name: "jeq-not", slots: slotsOf("jeq %r2, 5, +1\nmov %r0, 7\nexit"), mem: new Uint8Array(4) },
      { name: "jne-r1", slots: slotsOf("jne %r1, 0, +2\nmov %r0, 1\nexit\nmov %r0, 2\nexit") },
    ];
    for (const [model, lanes] of [[one, 1], [four, 4]] as const) {
      const got = runEngine(model, cases);
      cases.forEach((c, i) => expectSameAsInterpreter(c, got[i]!, { lanes }));
    }
  });

  it("back-to-back packets cost the same cycles, the first one too (bundle 0 fetched again as each run stops)", () => {
    // the frame's length from the ctx pointers (bundle 0 reads r1), then a store into the frame
    const src = "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, %r3\nsub %r0, %r2\nstb [%r2+0], 0x5a\nexit\n";
    const frames = [20, 64, 60, 33, 100].map((n, k) => Uint8Array.from({ length: n }, (_, i) => (i * 3 + k) & 0xff));
    for (const model of [one, four]) {
      const got = runEngine(model, frames.map((mem, k) => ({ name: `p${k}`, slots: slotsOf(src), mem, xdp: { ifindex: 1, keepState: k > 0, stream: k % 2 === 1 } })));
      got.forEach((r, k) => {
        expect(r.status).toBe("done");
        expect(r.r0).toBe(BigInt(frames[k]!.length));
        expect(r.mem[0]).toBe(0x5a);
      });
      expect(new Set(got.map((r) => r.cycles)).size).toBe(1);
    }
  });
});

describe.skipIf(!haveVerilator)("hash lookups: the home slot and later ones, keys of one to three words", () => {
  beforeAll(() => {
    buildEngineModel();
  });
  const ENTRIES = 8;
  const HOME = ENTRIES - 1;    // collisions wrap to slot 0

  it("one-word keys: hits in the home slot and after one and two live slots (wrapping), misses on an empty home slot, after live slots and past a tombstone", () => {
    const [a, b, c, d] = keysHomedAt(HOME, ENTRIES, 4, (i) => u32(i * 7919 + 3));
    const empty = keysHomedAt(2, ENTRIES, 1, (i) => u32(i * 7919 + 3))[0]!;
    const seed = withEntries([[a!, value(0x10)], [b!, value(0x20)], [c!, value(0x30)]]);
    const map = `.map h hash key=4 value=8 entries=${ENTRIES}`;
    const src = `${map}\nmov %r6, 0\n${[a, b, c, d, empty].map((k) => lookupFold(k!)).join("")}` +
      `${keyAt(b!)}lddw %r1, map(h)\ncall 3\nlsh %r6, 4\nxor %r6, %r0\n${lookupFold(c!)}${lookupFold(b!)}${lookupFold(d!)}mov %r0, %r6\nexit\n`;
    compareRaw(src, undefined, seed);
    const base = cyclesOf(lookupOnly(map, a!, false), seed);
    const cost = [a, b, c, d, empty].map((k) => cyclesOf(lookupOnly(map, k!), seed) - base);
    console.log(`fpga hash lookup, 4-byte key (cycles over the program without the call): home ${cost[0]}, +1 slot ${cost[1]}, +2 slots ${cost[2]}, miss after 3 live ${cost[3]}, miss on an empty home ${cost[4]}`);
    // key read, hash with the home slot's meta and key word, answer; then one cycle a slot
    expect(cost).toEqual([3, 4, 5, 6, 3]);
  });

  it("two-word keys: the first word read beside the meta word, the second after it; a first-word match that fails on the second goes on", () => {
    const make = (w0: number, w2: number) => (i: number): Uint8Array => {
      const k = new Uint8Array(12);
      const dv = new DataView(k.buffer);
      dv.setUint32(0, w0 + i * 7919, true);
      dv.setUint32(4, 0xc0a80000 + i, true);
      dv.setUint32(8, w2, true);
      return k;
    };
    const [a, b] = keysHomedAt(HOME, ENTRIES, 2, make(11, 0x1234));
    // same first word as a, another second word, the same home: compared past its first word
    let twin: Uint8Array | undefined;
    for (let w2 = 0; !twin && w2 < 100_000; w2++) {
      const k = Uint8Array.from(a!);
      new DataView(k.buffer).setUint32(8, w2, true);
      if (w2 !== 0x1234 && hashHome(k, ENTRIES) === HOME) twin = k;
    }
    expect(twin).toBeDefined();
    const seed = withEntries([[a!, value(0x40)], [b!, value(0x50)]]);
    const map = `.map h hash key=12 value=8 entries=${ENTRIES}`;
    const src = `${map}\nmov %r6, 0\n${[a, b, twin].map((k) => lookupFold(k!)).join("")}mov %r0, %r6\nexit\n`;
    compareRaw(src, undefined, seed);
    const base = cyclesOf(lookupOnly(map, a!, false), seed);
    const cost = [a, b, twin].map((k) => cyclesOf(lookupOnly(map, k!), seed) - base);
    console.log(`fpga hash lookup, 12-byte key: home ${cost[0]}, +1 slot ${cost[1]}, miss after 2 live (the first one's first word matching) ${cost[2]}`);
    // + 2 for the second word's read, + 1 for its compare in a slot whose first word matches
    expect(cost).toEqual([6, 7, 8]);
  });

  it("three-word keys (an IPv6 LPM trie): a /128 hit, a /64 hit after the /128 misses, a miss", () => {
    const key = (plen: number, last: number) => `stw [%r10-20], ${plen}\nstw [%r10-16], 0xb80d0120\nstw [%r10-12], 0x01000000\nstw [%r10-8], 0\nstw [%r10-4], ${last}\nmov %r2, %r10\nadd %r2, -20\n`;
    const fold = (k: string) => `${k}lddw %r1, map(h)\ncall 1\nmov %r1, 1\njeq %r0, 0, +1\nldxb %r1, [%r0]\nlsh %r6, 4\nxor %r6, %r1\n`;
    const bytes = (plen: number, last: number): Uint8Array => {
      const k = new Uint8Array(20);
      const dv = new DataView(k.buffer);
      [plen, 0xb80d0120, 0x01000000, 0, last].forEach((w, i) => dv.setUint32(4 * i, w >>> 0, true));
      return k;
    };
    const seed = withEntries([[bytes(128, 0x05000000), value(0x60)], [bytes(64, 0), value(0x70)]]);
    const src = `.map h lpm_trie key=20 value=8 entries=8\nmov %r6, 0\n${fold(key(128, 0x05000000))}${fold(key(128, 0x06000000))}${fold(key(32, 0))}mov %r0, %r6\nexit\n`;
    compareRaw(src, undefined, seed);
  });
});

describe.skipIf(!haveVerilator)("atomics: the memory stage writes, the next access waits for it", () => {
  let one: EngineModel;
  let four: EngineModel;
  beforeAll(() => {
    one = buildEngineModel({ lanes: 1 });
    four = buildEngineModel();
  });
  const mem = Uint8Array.from({ length: 16 }, (_, i) => (i * 37 + 5) & 0xff);
  const programs: Record<string, string> = {
    // back to back on one word, each reading what the one before wrote
    "adds": "mov %r2, 3\nlock add [%r1+0], %r2\nlock add [%r1+0], %r2\nlock add32 [%r1+0], %r2\nldxdw %r0, [%r1+0]\nexit",
    // fetch variants: the old value forwarded into the next bundle, as a load's
    "fetches": "mov %r2, 5\nmov %r3, 7\nlock fetch add [%r1+8], %r2\nlock fetch xor [%r1+8], %r3\nmov %r0, %r2\nlsh %r0, 8\nadd %r0, %r3\nldxw %r4, [%r1+8]\nadd %r0, %r4\nexit",
    // xchg, or, and, then cmpxchg (its own two-cycle path) on the word just written
    "mixed": "mov %r2, 0x1234\nlock xchg [%r1+0], %r2\nmov %r3, 0xff0\nlock or32 [%r1+4], %r3\nlock and [%r1+0], %r3\nldxdw %r0, [%r1+0]\nlock cmpxchg [%r1+0], %r3\nldxdw %r4, [%r1+0]\nadd %r0, %r4\nexit",
    // a store and a load right after an atomic to the same word, and on the stack
    "store-after": "mov %r2, 9\nstxdw [%r10-8], %r2\nlock add [%r10-8], %r2\nstb [%r10-8], 1\nlock fetch add [%r10-8], %r2\nldxdw %r0, [%r10-8]\nadd %r0, %r2\nexit",
    // the run ends while the last atomic writes: the memory after the run holds it
    "exit-after": "mov %r2, 0x77\nlock add [%r1+12], %r2\nmov %r0, 1\nexit",
  };
  const cases = Object.entries(programs).map(([name, asm]) => ({ name, slots: slotsOf(asm), mem }));

  it("back to back on one word, fetching or not, beside loads and stores: the interpreter's results and memory on 1 and 4 lanes", () => {
    for (const [model, lanes] of [[one, 1], [four, 4]] as const) {
      const got = runEngine(model, cases);
      cases.forEach((c, i) => expectSameAsInterpreter(c, got[i]!, { lanes }));
    }
  });

  it("a non-fetching add costs no cycle unless the next bundle accesses memory", () => {
    const alone = [{ name: "add-alu", slots: slotsOf("mov %r2, 1\nlock add [%r1+0], %r2\nmov %r0, 2\nadd %r0, 3\nexit"), mem },
      { name: "no-add", slots: slotsOf("mov %r2, 1\nmov %r3, 1\nmov %r0, 2\nadd %r0, 3\nexit"), mem },
      { name: "add-add", slots: slotsOf("mov %r2, 1\nlock add [%r1+0], %r2\nlock add [%r1+8], %r2\nmov %r0, 2\nexit"), mem },
      { name: "no-add-add", slots: slotsOf("mov %r2, 1\nmov %r3, 1\nmov %r3, 1\nmov %r0, 2\nexit"), mem }];
    const got = runEngine(one, alone);
    alone.forEach((c, i) => expectSameAsInterpreter(c, got[i]!, { lanes: 1 }));
    const [add, none, two, none2] = got.map((r) => r.cycles);
    console.log(`fpga atomics, 1 lane: an add before ALU slots +${add! - none!} cycles, two adds back to back +${two! - none2!}`);
    expect([add! - none!, two! - none2!]).toEqual([0, 1]);
  });

  it("counters in a map value (the counter example's two adds)", () => {
    const seed = (o: BpfObject): BpfMap[] => instantiateMaps(o);
    compareRaw(".map c array key=4 value=16 entries=2\nstw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(c)\ncall 1\njeq %r0, 0, +6\nmov %r1, 1\nmov %r2, 60\nlock add [%r0+0], %r1\nlock add [%r0+8], %r2\nlock fetch add [%r0+0], %r1\nmov %r0, %r1\nexit\n", undefined, seed);
  });
});
