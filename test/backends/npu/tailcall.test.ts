// Tail calls on the NPU (bpf_tail_call through a prog_array: every program of the object
// in the control store behind a tail-call table, lkp.tail, the 33-call limit) against the
// reference interpreter on the same objects, packet streams and prog_array contents:
// verdicts, frames and the final maps, on one thread, eight threads and two engines of
// eight; the listing of such an image; what the NPU still refuses.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { compileObjectForNpu, listing, npuBackend, npuDescriptor, objectBpfLines, simulate } from "../../../backends/npu/backend.js";
import { decodeWord, OP_BY_NAME, LOOKUP_KINDS } from "../../../backends/npu/isa.js";
import { buildInMemory } from "../../../backends/common/pipeline.js";
import { UNSOURCED_TAGS } from "../../../backends/npu/codegen/vcode.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import type { BpfMap } from "../../../runtime/maps/map.js";
import { u32leBytes } from "../../../runtime/maps/map.js";
import { formatMapsState } from "../../../runtime/maps/state.js";
import { hex } from "../fpga/support.js";

const d = npuDescriptor();
const MAPS = ".map jmp prog_array key=4 value=4 entries=4\n.map arr array key=4 value=8 entries=2\n";

/** One object from several assembler programs sharing the maps above (program i = texts[i]). */
function objectOf(texts: readonly string[]): BpfObject {
  const parts = texts.map((t, i) => assemble(MAPS + t, `p${i}.s`));
  return { ...parts[0]!, programs: parts.map((p, i) => ({ ...p.programs[0]!, name: `p${i}` })) };
}

/** arr[slot] += n, then bpf_tail_call(ctx, jmp, index register) (r6 holds ctx). */
const bumpThenTail = (slot: number, n: number, index: string) => `
  stw [%r10-4], ${slot}
  mov %r2, %r10
  add %r2, -4
  lddw %r1, map(arr)
  call 1
  jeq %r0, 0, +3
  ldxdw %r1, [%r0+0]
  add %r1, ${n}
  stxdw [%r0+0], %r1
  mov %r1, %r6
  lddw %r2, map(jmp)
  mov %r3, ${index}
  call 12
`;

// p0: the index from packet byte 0; a missing entry falls through with -ENOENT (its low byte the verdict).
const P0 = `
  mov %r6, %r1
  ldxw %r2, [%r1+0]
  ldxw %r3, [%r1+4]
  mov %r4, %r2
  add %r4, 2
  jgt %r4, %r3, short
  ldxb %r7, [%r2+0]
${bumpThenTail(0, 1, "%r7")}
  and %r0, 0xff
  exit
short:
  mov %r0, 1
  exit
`;
// p1: adds 10 to arr[1], then tail-calls entry 2; back here only if that entry is missing.
const P1 = `
  mov %r6, %r1
${bumpThenTail(1, 10, "2")}
  mov %r0, 2
  exit
`;
// p2: adds 1 to arr[0] and tail-calls entry 3 (itself, when jmp[3] = 2) until the 33-call limit.
const P2 = `
  mov %r6, %r1
${bumpThenTail(0, 1, "3")}
  mov %r0, 3
  exit
`;

function withTable(object: BpfObject, table: Readonly<Record<number, number>>): BpfMap[] {
  const maps = instantiateMaps(object);
  for (const [k, v] of Object.entries(table)) expect(maps[0]!.update(u32leBytes(Number(k)), u32leBytes(v), 0)).toBe(0);
  return maps;
}

function interpret(object: BpfObject, table: Readonly<Record<number, number>>, frames: readonly Uint8Array[]) {
  const maps = withTable(object, table);
  const host = newHostState();
  const out = frames.map((f) => runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 }));
  return { verdicts: out.map((x) => "0x" + x.r0.toString(16)), packets: out.map((x) => hex(x.packet)), maps: formatMapsState(maps) };
}

function onNpu(object: BpfObject, table: Readonly<Record<number, number>>, frames: readonly Uint8Array[], engines: number, threads: number) {
  const code = compileObjectForNpu(object, 0, "xdp", d);
  const maps = withTable(object, table);
  const r = simulate(code.words, maps, frames.map((frame) => ({ kind: "xdp" as const, frame, ifindex: 1 })), d, { engines, threads, maxCycles: 1e8 });
  return { verdicts: r.results.map((x) => "0x" + x.r0.toString(16)), packets: r.results.map((x) => hex(x.data)), maps: formatMapsState(maps) };
}

const TABLES: readonly Readonly<Record<number, number>>[] = [
  {}, // every tail call falls through
  { 1: 1, 2: 2, 3: 2 }, // p0 -> p1 -> p2 -> p2 ... until the limit
  { 0: 0 }, // p0 calls itself: 33 tail calls, then it falls through
  { 1: 1, 3: 2 }, // p1's entry 2 is missing: it returns; p2 loops
];

describe("tail calls on the NPU", () => {
  const object = objectOf([P0, P1, P2]);

  it("the image: dispatch word, a table slot per program, lkp.tail bounded by the program count", () => {
    const code = compileObjectForNpu(object, 0, "xdp", d);
    expect(code.programs!.map((p) => p.name)).toEqual(["p0", "p1", "p2"]);
    const br = OP_BY_NAME.get("br")!.code;
    expect(code.words.slice(0, 4).map((w) => [w.op, w.imm])).toEqual([[br, code.programs![0]!.at], ...code.programs!.map((p) => [br, p.at])]);
    const tails = code.words.filter((w) => w.op === OP_BY_NAME.get("lkp")!.code && w.cond === LOOKUP_KINDS.indexOf("tail"));
    expect(tails.length).toBe(3);
    expect(tails.every((w) => w.imm === 3 && w.swap === 1)).toBe(true);
  });

  for (const [n, table] of TABLES.entries()) {
    it(`verdicts, frames and maps as the interpreter's, table ${JSON.stringify(table)}`, () => {
      fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 4 }).map((b) => (b.length > 0 ? Uint8Array.of(b[0]! % 5, ...b.slice(1)) : b)), { minLength: 1, maxLength: 12 }), (frames) => {
        const want = interpret(object, table, frames);
        for (const [engines, threads] of [[1, 1], [1, 8], [2, 8]] as const) expect(onNpu(object, table, frames, engines, threads)).toEqual(want);
      }), { numRuns: 12, seed: 21 + n });
    });
  }

  it("the 33-call limit: a program calling itself runs 34 times, as in the interpreter", () => {
    const frames = [Uint8Array.of(0, 0)];
    const got = onNpu(object, { 0: 0 }, frames, 1, 1);
    expect(got).toEqual(interpret(object, { 0: 0 }, frames));
    // arr[0] counted 34 runs of p0; the verdict is -ENOENT's low byte.
    expect(JSON.parse(got.maps).arr[0].value[0]).toBe("0x22");
    expect(got.verdicts).toEqual(["0xfe"]);
  });

  it("bpfoff run --target npu goes the same way (runXdp)", () => {
    const frames = [Uint8Array.of(1, 5), Uint8Array.of(0, 1), Uint8Array.of(3)];
    const maps = withTable(object, TABLES[1]!);
    const r = npuBackend.runXdp!({ object, program: 0, frames, ifindex: 1, maps, maxSteps: 100000 });
    expect(r.packets.map((p) => "0x" + p.r0.toString(16))).toEqual(interpret(object, TABLES[1]!, frames).verdicts);
  });

  it("the listing: every program under its name, the table words tagged, BPF text from each program", () => {
    const code = compileObjectForNpu(object, 0, "xdp", d);
    const text = listing(code, objectBpfLines(object));
    for (const p of ["p0", "p1", "p2"]) expect(text).toContain(`; function ${p}\n`);
    const words = text.split("\n").filter((l) => /; +\d+  [0-9a-f]{16}/.test(l));
    const untagged = words.filter((l) => {
      const rest = /[0-9a-f]{16}(.*)$/.exec(l)![1]!.trim();
      return !/^\d+: \S/.test(rest) && !UNSOURCED_TAGS.some((t) => rest.startsWith(t));
    });
    expect(untagged).toEqual([]);
    expect(text).toMatch(/^lkp\.tail .*call 12/m);
  });

  it("a bundle: the table in the manifest, the image runs the same from program p1 as the entry", () => {
    const files = buildInMemory({ object, file: "tail.o", bytes: new Uint8Array(0), target: "npu", program: "p1", type: "xdp" });
    const manifest = JSON.parse(Buffer.from(files.find(([f]) => f === "manifest.json")![1]).toString("utf8"));
    expect(manifest.resources.tail_call_entries.map((e: { program: string; table: number }) => [e.program, e.table])).toEqual([["p0", 1], ["p1", 2], ["p2", 3]]);
    const image = Buffer.from(files.find(([f]) => f === "microcode.bin")![1]);
    const words = Array.from({ length: image.length / 8 }, (_, k) => decodeWord(image.readBigUInt64LE(8 * k)));
    // Word 0 sends the threads to p1; p1 adds 10 to arr[1], then p2 loops to the limit.
    expect(words[0]!.imm).toBe(manifest.resources.tail_call_entries[1].at);
    const maps = withTable(object, TABLES[1]!);
    const r = simulate(words, maps, [{ kind: "xdp", frame: Uint8Array.of(9), ifindex: 1 }], d, { engines: 1, threads: 1, maxCycles: 1e7 });
    expect(r.results[0]!.r0).toBe(3n);
    // p1 -> p2 is tail call 1, p2 -> p2 calls 2..33: p2 ran 33 times, then its 34th call failed.
    expect(JSON.parse(formatMapsState(maps)).arr.map((e: { value: string[] }) => e.value[0])).toEqual(["0x21", "0x0a"]);
  });

  it("refuses tail calls in raw programs, naming them", () => {
    const raw = { ...objectOf([P1]), programs: objectOf([P1]).programs.map((p) => ({ ...p, section: "raw" })) };
    try {
      compileObjectForNpu(raw, 0, "raw", d);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      expect((e as DiagnosticError).diagnostics[0]!.message).toContain("tail calls in raw programs");
    }
  });
});
