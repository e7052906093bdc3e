// Packet order on the NPU (codegen/ordering.ts, docs/npu-isa.md §Packet order): which
// commands get `ord` and which lookups `rel`, and that streams of packets over several
// keys leave verdicts and maps exactly as the interpreter's (one packet after another)
// on one thread, eight threads and two engines of eight, whatever the order of arrivals.
// The programs are the shapes of a per-key counter: look up, add on a hit, insert on a
// miss (BPF_NOEXIST or BPF_ANY), look up again when the insert fails (a full map).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { compileForNpu, moduleOf, npuDescriptor, simulate } from "../../../backends/npu/backend.js";
import { OP_BY_NAME, type Word } from "../../../backends/npu/isa.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { hex } from "../fpga/support.js";

const d = npuDescriptor();

/** A per-key counter: key = packet byte 0, amount = byte 1; `hit` is the found path (r0 the value pointer, r7 the amount). */
function counter(kind: string, flags: number, hit: string): string {
  return `
.map h ${kind} key=4 value=16 entries=4
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 2
  jgt %r4, %r3, out
  ldxb %r6, [%r2+0]
  ldxb %r7, [%r2+1]
  stxw [%r10-4], %r6
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map(h)
  call 1
  jne %r0, 0, hit
  stdw [%r10-24], 1
  stxdw [%r10-16], %r7
  mov %r2, %r10
  add %r2, -4
  mov %r3, %r10
  add %r3, -24
  mov %r4, ${flags}
  lddw %r1, map(h)
  call 2
  jeq %r0, 0, out
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map(h)
  call 1
  jeq %r0, 0, full
hit:
${hit}
out:
  mov %r0, 2
  exit
full:
  mov %r0, 1
  exit
`;
}

const ADD = `  mov %r1, 1
  lock add [%r0+0], %r1
  lock add [%r0+8], %r7
  ja out`;
const ADD_AND_READ = `  mov %r1, 1
  lock add [%r0+0], %r1
  ldxdw %r0, [%r0+0]
  and %r0, 3
  exit`;
const READ = `  ldxdw %r0, [%r0+8]
  and %r0, 3
  exit`;

const PROGRAMS = {
  // Inserts only (BPF_NOEXIST), counters added: the adds need no order, a found key releases it.
  "insert-only counter": { text: counter("hash", 1, ADD), rel: true, atomOrd: false },
  // BPF_ANY may overwrite a value while another packet adds to it: the adds are ordered, so is the found path.
  "overwriting counter": { text: counter("hash", 0, ADD), rel: false, atomOrd: true },
  // The counter is read back: the adds no longer commute with what packets see.
  "counter read back": { text: counter("hash", 1, ADD_AND_READ), rel: false, atomOrd: true },
  // An LRU lookup moves the key to the young end and an insert may evict: everything ordered.
  "LRU counter": { text: counter("lru_hash", 1, ADD), rel: false, atomOrd: true },
  // Inserts only and reads: a value never changes once its key exists, so the reads need no order.
  "insert-only reads": { text: counter("hash", 1, READ), rel: true, atomOrd: false },
} as const;

const op = (name: string) => OP_BY_NAME.get(name)!.code;

function run(words: readonly Word[], text: string, frames: readonly Uint8Array[], engines: number, threads: number) {
  const object = assemble(text, "order.s");
  const maps = instantiateMaps(object);
  const r = simulate(words, maps, frames.map((frame) => ({ kind: "xdp" as const, frame, ifindex: 1 })), d, { engines, threads, maxCycles: 1e8 });
  return { verdicts: r.results.map((x) => "0x" + x.r0.toString(16)), packets: r.results.map((x) => hex(x.data)), maps: formatMapsState(maps), stats: r.stats };
}

function interpret(text: string, frames: readonly Uint8Array[]) {
  const object = assemble(text, "order.s");
  const maps = instantiateMaps(object);
  const host = newHostState();
  const out = frames.map((p) => runXdp(object, p, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 }));
  return { verdicts: out.map((x) => "0x" + x.r0.toString(16)), packets: out.map((x) => hex(x.packet)), maps: formatMapsState(maps) };
}

// Keys 0-5 into a map of 4 entries: inserts fail once it is full (E2BIG), LRU evicts.
const stream = fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 255 })).map(([k, n]) => Uint8Array.of(k, n, 0, 0)), { minLength: 1, maxLength: 40 });

describe("packet order", () => {
  for (const [name, p] of Object.entries(PROGRAMS)) {
    describe(name, () => {
      const code = compileForNpu(moduleOf(assemble(p.text, "order.s"), 0, "xdp"), d);

      it(`ord and rel bits: lookups ordered${p.rel ? ", released when found" : ""}; atomics ${p.atomOrd ? "" : "not "}ordered`, () => {
        const lookups = code.words.filter((w) => w.op === op("lkp") && w.cond === 0);
        expect(lookups.length).toBe(2);
        expect(lookups.every((w) => w.ord === 1)).toBe(true);
        expect(lookups.every((w) => w.rel === (p.rel ? 1 : 0))).toBe(true);
        const atoms = code.words.filter((w) => w.op === op("atom"));
        expect(atoms.every((w) => w.ord === (p.atomOrd ? 1 : 0))).toBe(true);
      });

      it("streams of packets: verdicts and maps as the interpreter's on 1x1, 1x8 and 2x8 threads", () => {
        fc.assert(fc.property(stream, (frames) => {
          const want = interpret(p.text, frames);
          for (const [engines, threads] of [[1, 1], [1, 8], [2, 8]] as const) {
            const got = run(code.words, p.text, frames, engines, threads);
            expect({ verdicts: got.verdicts, packets: got.packets, maps: got.maps }).toEqual(want);
          }
        }), { numRuns: 25, seed: 5 });
      });
    });
  }

  it("rel shortens the time packets are held by order, with the same results", () => {
    const p = PROGRAMS["insert-only counter"];
    const code = compileForNpu(moduleOf(assemble(p.text, "order.s"), 0, "xdp"), d);
    const frames = Array.from({ length: 120 }, (_, i) => Uint8Array.of([1, 2, 2, 3, 1, 3][i % 6]!, i & 0xff, 0, 0));
    const withRel = run(code.words, p.text, frames, 1, 8);
    const without = run(code.words.map((w) => ({ ...w, rel: 0 })), p.text, frames, 1, 8);
    expect(withRel.verdicts).toEqual(without.verdicts);
    expect(withRel.maps).toEqual(without.maps);
    expect(withRel.maps).toEqual(interpret(p.text, frames).maps);
    expect(withRel.stats.orderHeld).toBeLessThan(without.stats.orderHeld / 2);
    expect(withRel.stats.cycles).toBeLessThan(without.stats.cycles);
  });
});
