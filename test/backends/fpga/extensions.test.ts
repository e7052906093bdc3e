// The XDP ISA extensions on the engine in Verilator (docs/fpga-engine.md, "ISA
// extensions"): ctx_read, ldx_wide (LE and BE, 2/4/8 bytes) and jcc_add, as the scheduler
// emits them for XDP programs, on 1 lane (fused, in lane 0) and 4 lanes, against the
// reference interpreter's runXdp: the verdict, the frame after the run, retired =
// interpreter steps, and faults at the interpreter's instruction. requires: verilator
import { beforeAll, describe, expect, it } from "vitest";
import { buildEngineModel, ENGINE_ERRORS, runEngine, type EngineModel, type EngineResult } from "../../../backends/fpga/sim.js";
import { singleProgramRom } from "../../../backends/fpga/sched/rom.js";
import { extForm, type ExtKind } from "../../../backends/fpga/sched/ext.js";
import type { Insn } from "../../../ir/bpf/insn.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../../runtime/interp/run.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { mapLayout, mapsFile } from "../../../backends/fpga/maps.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { hex, objectOf, slotsOf } from "./support.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

/** Bytes [o, o+n) of the packet at r2 into regs[0], clang's tree of ldxb/lsh/or (temporaries regs[1..]). */
function assembled(n: number, o: number, be: boolean, regs: readonly string[]): string[] {
  if (n === 1) return [`ldxb ${regs[0]}, [%r2+${o}]`];
  const half = n / 2;
  const [hiAt, loAt] = be ? [o, o + half] : [o + half, o];
  return [...assembled(half, hiAt, be, regs), ...assembled(half, loAt, be, regs.slice(1)), `lsh ${regs[0]}, ${half * 8}`, `or ${regs[0]}, ${regs[1]}`];
}

const CHECK = (k: number, out = "out") => ["mov %r4, %r2", `add %r4, ${k}`, `jgt %r4, %r3, ${out}`];
const HEAD = ["ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]"];
const TAIL = ["exit", "out:", "mov %r0, 1", "exit"];

const PROGRAMS: Record<string, { asm: string; kinds: readonly ExtKind[] }> = {
  // 2 bytes LE (the EtherType test of every example), the check's register dead after
  "ethertype": { asm: [...HEAD, ...CHECK(14), "ldxb %r5, [%r2+12]", "ldxb %r0, [%r2+13]", "lsh %r0, 8", "or %r0, %r5", ...TAIL].join("\n"), kinds: ["ctx_read", "jcc_add", "ldx_wide"] },
  // 4 bytes BE, sequential shape; 8 bytes LE and BE as trees; 2 bytes BE (ntohs by hand)
  "wide-fields": {
    asm: [...HEAD, ...CHECK(40), "ldxb %r5, [%r2+2]", "lsh %r5, 8", "ldxb %r6, [%r2+3]", "or %r5, %r6", "lsh %r5, 8", "ldxb %r6, [%r2+4]", "or %r5, %r6", "lsh %r5, 8", "ldxb %r6, [%r2+5]", "or %r5, %r6", "mov %r6, 0",
      ...assembled(8, 8, false, ["%r7", "%r8", "%r9", "%r0"]), "mov %r8, 0", "mov %r9, 0",
      ...assembled(8, 17, true, ["%r0", "%r8", "%r9", "%r6"]), "mov %r8, 0", "mov %r9, 0", "mov %r6, 0",
      "ldxb %r8, [%r2+30]", "lsh %r8, 8", "ldxb %r9, [%r2+31]", "or %r8, %r9", "mov %r9, 0",
      "xor %r0, %r5", "xor %r0, %r7", "xor %r0, %r8", ...TAIL].join("\n"),
    kinds: ["ctx_read", "jcc_add", "ldx_wide"],
  },
  // the check's pointer read afterwards: the add stays beside the fused jump
  "live-check-pointer": { asm: [...HEAD, ...CHECK(20), "ldxb %r5, [%r2+18]", "ldxb %r0, [%r2+19]", "lsh %r0, 8", "or %r0, %r5", "sub %r4, %r2", "add %r0, %r4", ...TAIL].join("\n"), kinds: ["ctx_read", "jcc_add", "ldx_wide"] },
  // ctx reads after xdp_adjust_head see the moved data (and the old pointers are not trusted)
  "after-adjust-head": {
    asm: ["mov %r6, %r1", ...HEAD, ...CHECK(14), "mov %r1, %r6", "mov %r2, -4", "call 44", "jne %r0, 0, out",
      "ldxw %r2, [%r6+0]", "ldxw %r3, [%r6+4]", ...CHECK(18), "ldxb %r7, [%r2+4]", "ldxb %r0, [%r2+5]", "lsh %r0, 8", "or %r0, %r7",
      "stxb [%r2+0], %r0", "sub %r3, %r2", "lsh %r3, 16", "add %r0, %r3", "ldxw %r7, [%r6+12]", "add %r0, %r7", ...TAIL].join("\n"),
    kinds: ["ctx_read", "jcc_add", "ldx_wide"],
  },
  // a check that proves 13 bytes: the loads of bytes 12 and 13 stay apart, and a 13-byte
  // frame faults at the second, as in the interpreter
  "unproven-faults": { asm: [...HEAD, ...CHECK(13), "ldxb %r5, [%r2+12]", "ldxb %r0, [%r2+13]", "lsh %r0, 8", "or %r0, %r5", ...TAIL].join("\n"), kinds: ["ctx_read", "jcc_add"] },
  // MAC moves inside the packet (6 bytes, overlapping source and destination: the pairs
  // run from the top byte down, so no store writes a byte a later load reads), then 2 and 4
  "packet-copies": {
    asm: [...HEAD, ...CHECK(24), ...[5, 4, 3, 2, 1, 0].flatMap((a) => [`ldxb %r5, [%r2+${a}]`, `stxb [%r2+${a + 3}], %r5`]),
      ...[12, 13].flatMap((a) => [`ldxb %r6, [%r2+${a}]`, `stxb [%r2+${a + 8}], %r6`]), ...[14, 15, 16, 17].flatMap((a) => [`ldxb %r6, [%r2+${a}]`, `stxb [%r2+${a - 14}], %r6`]),
      "mov %r5, 0", "mov %r6, 0", "mov %r0, 3", ...TAIL].join("\n"),
    kinds: ["ctx_read", "jcc_add", "ldx_wide", "stx_wide"],
  },
  // values stored byte by byte (vlan's tag writes): copies shifted right in any order, and
  // one register shifted in place; the shifted copies die, so the stores retire them
  "byte-stores": {
    asm: [...HEAD, ...CHECK(24), "lddw %r5, 0x1122334455667788", "lddw %r8, 0x0102030405060708",
      "mov %r6, %r5", "rsh %r6, 24", "stxb [%r2+3], %r6", "mov %r6, %r5", "rsh %r6, 16", "stxb [%r2+2], %r6", "stxb [%r2+0], %r5", "mov %r7, %r5", "rsh %r7, 8", "stxb [%r2+1], %r7",
      ...[0, 1, 2, 3, 4, 5, 6, 7].flatMap((b) => [`stxb [%r2+${8 + b}], %r8`, "rsh %r8, 8"]),
      "mov %r0, %r5", "xor %r0, %r8", ...TAIL].join("\n"),
    kinds: ["ctx_read", "jcc_add", "stx_wide"],
  },
  // a 32-bit bounds check and jle with the operands swapped
  "jmp32-and-jle": { asm: [...HEAD, "mov %r4, %r2", "add %r4, 16", "jgt32 %r4, %r3, out", "mov %r4, %r2", "add %r4, 24", "jle %r3, %r4, out", "ldxh %r0, [%r2+20]", ...TAIL].join("\n"), kinds: ["ctx_read", "jcc_add"] },
};

const FRAMES: readonly Uint8Array[] = [
  Uint8Array.from({ length: 13 }, (_, i) => i + 1),
  Uint8Array.from({ length: 20 }, (_, i) => (i * 29 + 3) & 0xff),
  Uint8Array.from({ length: 40 }, (_, i) => (i * 7) & 0xff),
  Uint8Array.from({ length: 64 }, (_, i) => 255 - i),
];

type Ref = { kind: "done"; r0: bigint; packet: Uint8Array; steps: number } | { kind: "error"; code: string; insn: number | undefined };

function reference(slots: readonly Insn[], frame: Uint8Array): Ref {
  try {
    const r = runXdp(objectOf(slots), frame, [], newHostState(), { ingressIfindex: 1, rxQueueIndex: 0 });
    return { kind: "done", r0: r.r0, packet: r.packet, steps: r.steps };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0]!;
    return { kind: "error", code: d.code, insn: d.loc.insn };
  }
}

function expectSame(name: string, want: Ref, got: EngineResult, exact: boolean): void {
  if (want.kind === "error") {
    const diag = ENGINE_ERRORS[got.errCode]?.diags.includes(want.code) ? want.code : `engine error ${got.errCode}`;
    expect({ status: got.status, diag, pc: got.faultPc }, name).toEqual({ status: "error", diag: want.code, pc: want.insn });
    return;
  }
  // several lanes: operations hoisted above a taken jump retire too (compare.ts)
  const retired = exact || got.retired < want.steps ? got.retired : want.steps;
  expect({ status: got.status, r0: "0x" + got.r0.toString(16), packet: hex(got.mem), retired }, name)
    .toEqual({ status: "done", r0: "0x" + want.r0.toString(16), packet: hex(want.packet), retired: want.steps });
}

/** The router's move: a map value's bytes into the packet (a value the program writes first). */
const MAP_COPY = [".map m array key=4 value=16 entries=2", "mov %r6, %r1", "ldxw %r7, [%r6+0]", "ldxw %r8, [%r6+4]", "mov %r2, %r7", "add %r2, 20", "jgt %r2, %r8, out",
  "stw [%r10-4], 1", "mov %r2, %r10", "add %r2, -4", "lddw %r1, map(m)", "call 1", "mov %r1, %r0", "jeq %r0, 0, out",
  "lddw %r3, 0x1122334455667788", "stxdw [%r1+0], %r3", "lddw %r3, 0x99aabbccddeeff00", "stxdw [%r1+8], %r3",
  ...[9, 8, 7, 6, 5, 4].flatMap((a) => [`ldxb %r2, [%r1+${a}]`, `stxb [%r7+${a - 4}], %r2`]),
  ...[10, 11, 12, 13, 14, 15].flatMap((a) => [`ldxb %r2, [%r1+${a}]`, `stxb [%r7+${a - 4}], %r2`]),
  "mov %r2, 0", "mov %r0, 3", "exit", "out:", "mov %r0, 1", "exit"].join("\n");

for (const lanes of [1, 4]) {
  describe.skipIf(!haveVerilator)(`the XDP extensions on ${lanes} lane(s)`, () => {
    let model: EngineModel;
    beforeAll(() => {
      model = buildEngineModel({ lanes });
    });

    it("every program, every frame: the interpreter's verdict, frame, retired count and faults", () => {
      const cases = Object.entries(PROGRAMS).flatMap(([name, p]) => {
        const slots = slotsOf(p.asm, `${name}.s`);
        const rom = singleProgramRom(slots, lanes, { fuse: true, xdp: true });
        const kinds = new Set(rom.layout.slots.map((s) => extForm(s)?.kind).filter((k) => k !== undefined));
        for (const k of p.kinds) expect(kinds.has(k), `${name}: ${k}`).toBe(true);
        return FRAMES.map((mem, f) => ({ name: `${name}/${mem.length}b-${f}`, slots, rom, mem, xdp: { ifindex: 1, rxQueue: 0 } }));
      });
      const results = runEngine(model, cases);
      cases.forEach((c, i) => expectSame(c.name, reference(c.slots, c.mem), results[i]!, lanes === 1));
      // the fault case does fault, and the proven cases give verdicts
      expect(results.filter((r, i) => cases[i]!.name.startsWith("unproven-faults/13b") && r.status === "error")).toHaveLength(1);
    });

    it("a map value's bytes copied into the packet: two 6-byte loads and stores", () => {
      const object = assemble(MAP_COPY, "map-copy.s");
      const slots = object.programs[0]!.slots;
      const rom = singleProgramRom(slots, lanes, { fuse: true, xdp: true, mapValueSizes: object.maps.map((m) => m.valueSize) });
      expect(rom.layout.slots.filter((s) => extForm(s)?.kind === "stx_wide")).toHaveLength(2);
      const layout = mapLayout(object.maps);
      const cases = FRAMES.map((mem, f) => ({ name: `map-copy/${f}`, slots, rom, mem, xdp: { ifindex: 1, rxQueue: 0, keepState: f > 0 }, ...(f === 0 ? { maps: mapsFile(layout, instantiateMaps(object)) } : {}) }));
      const results = runEngine(model, cases);
      const maps = instantiateMaps(object);
      cases.forEach((c, i) => {
        const r = runXdp(object, c.mem, maps, newHostState(), { ingressIfindex: 1, rxQueueIndex: 0 });
        expectSame(c.name, { kind: "done", r0: r.r0, packet: r.packet, steps: r.steps }, results[i]!, lanes === 1);
      });
    });
  });
}
