// XDP programs without maps on the Verilog BPF engine (xdp_mode = 1) in Verilator against
// the reference interpreter's runXdp: the verdict (r0), the frame after the run, retired
// instructions = interpreter steps, and faults at the same instruction. The frames go
// 14..128 bytes; short frames make the unchecked programs fault. requires: verilator
import { beforeAll, describe, expect, it } from "vitest";
import { buildEngineModel, ENGINE_ERRORS, runEngine, type EngineCase, type EngineModel, type EngineResult } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { newHostState, type HostState } from "../../../runtime/helpers/env.js";
import { runXdp } from "../../../runtime/interp/run.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { hex } from "./support.js";
import { XDP_PROGRAMS } from "../../support/xdp-programs.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

let model: EngineModel;
beforeAll(() => {
  if (haveVerilator) model = buildEngineModel();
});

const KERNEL_PROGRAMS = XDP_PROGRAMS;

/** Directed programs on the context and the packet window, faults included. */
const DIRECTED: Record<string, string> = {
  "ctx-fields": "ldxw %r2, [%r1+12]\nldxw %r3, [%r1+16]\nldxw %r4, [%r1+20]\nmov %r0, %r2\nlsh %r0, 8\nadd %r0, %r3\nadd %r0, %r4\nexit",
  "packet-length": "ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nldxw %r4, [%r1+8]\nmov %r0, %r3\nsub %r0, %r2\nsub %r4, %r2\nadd %r0, %r4\nexit",
  "pointer-as-r0": "ldxw %r0, [%r1+4]\nexit",
  "ctx-8-byte-load-faults": "mov %r0, 2\nldxdw %r2, [%r1+0]\nexit",
  "ctx-bad-offset-faults": "mov %r0, 2\nldxw %r2, [%r1+24]\nexit",
  "ctx-unaligned-faults": "mov %r0, 2\nldxw %r2, [%r1+2]\nexit",
  "ctx-store-faults": "mov %r0, 2\nstw [%r1+12], 7\nexit",
  "headroom-read-faults": "ldxw %r2, [%r1+0]\nmov %r0, 2\nldxb %r3, [%r2-1]\nexit",
  "read-past-end-faults": "ldxw %r2, [%r1+4]\nmov %r0, 2\nldxb %r3, [%r2+0]\nexit",
  "ctx-in-subprogram": "call local f\nexit\nf:\nldxw %r0, [%r1+12]\nexit",
  "unchecked-read-at-100": "ldxw %r2, [%r1+0]\nldxb %r0, [%r2+100]\nand %r0, 3\nexit",
};

/** A small deterministic generator (xorshift) of packet-reading programs. */
function generated(seed: number, checked: boolean): string {
  let s = seed >>> 0 || 1;
  const rnd = (n: number): number => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % n;
  };
  const len = 14 + rnd(50);
  const regs = ["%r5", "%r6", "%r7", "%r8", "%r9"];
  const r = () => regs[rnd(regs.length)]!;
  const sizes: [string, number][] = [["b", 1], ["h", 2], ["w", 4], ["dw", 8]];
  const lines = ["ldxw %r2, [%r1+0]", "ldxw %r3, [%r1+4]", ...regs.map((x, i) => `mov ${x}, ${i * 3 + 1}`)];
  if (checked) lines.push("mov %r4, %r2", `add %r4, ${len}`, "mov %r0, 1", "jgt %r4, %r3, out");
  const n = 6 + rnd(12);
  for (let i = 0; i < n; i++) {
    const [sfx, size] = sizes[rnd(4)]!;
    const off = rnd(len - size + 1);
    switch (rnd(6)) {
      case 0:
      case 1: lines.push(`ldx${sfx} ${r()}, [%r2+${off}]`); break;
      case 2: lines.push(`stx${sfx} [%r2+${off}], ${r()}`); break;
      case 3: lines.push(`${["add", "xor", "mul", "or", "sub"][rnd(5)]} ${r()}, ${r()}`); break;
      case 4: lines.push(`${["lsh", "rsh", "arsh"][rnd(3)]}${rnd(2) ? "32" : ""} ${r()}, ${rnd(31)}`); break;
      default: lines.push(`ldxw ${r()}, [%r1+${[12, 16, 20][rnd(3)]}]`); break;
    }
  }
  lines.push(`mov %r0, ${r()}`, "xor %r0, %r5", "and %r0, 3", "out:", "exit");
  return lines.join("\n");
}

const FRAMES: readonly Uint8Array[] = [
  new Uint8Array(14).fill(0x11),
  Uint8Array.from({ length: 60 }, (_, i) => i * 7),
  new Uint8Array(60).fill(0xff),
  Uint8Array.from({ length: 64 }, (_, i) => 255 - i),
  Uint8Array.from({ length: 128 }, (_, i) => (i * 37 + 5) & 0xff),
  Uint8Array.from({ length: 101 }, (_, i) => (i * 13) & 0xff),
];
const IFINDEX = 3;
const RXQ = 0;

type XdpRef =
  | { readonly kind: "done"; readonly r0: bigint; readonly packet: Uint8Array; readonly steps: number }
  | { readonly kind: "error"; readonly code: string; readonly insn: number | undefined };

function xdpReference(object: BpfObject, frame: Uint8Array, host: HostState = newHostState()): XdpRef {
  try {
    const r = runXdp(object, frame, [], host, { ingressIfindex: IFINDEX, rxQueueIndex: RXQ });
    return { kind: "done", r0: r.r0, packet: r.packet, steps: r.steps };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    const d = e.diagnostics[0]!;
    return { kind: "error", code: d.code, insn: d.loc.insn };
  }
}

function expectSame(want: XdpRef, got: EngineResult): void {
  if (want.kind === "error") {
    const diag = ENGINE_ERRORS[got.errCode]?.diags.includes(want.code) ? want.code : `engine error ${got.errCode}`;
    expect({ status: got.status, diag, pc: got.faultPc }).toEqual({ status: "error", diag: want.code, pc: want.insn });
    return;
  }
  // 4 lanes: operations hoisted above a taken jump retire too (compare.ts), so at least the steps
  const retired = got.retired >= want.steps ? want.steps : got.retired;
  expect({ status: got.status, r0: "0x" + got.r0.toString(16), packet: hex(got.mem), retired })
    .toEqual({ status: "done", r0: "0x" + want.r0.toString(16), packet: hex(want.packet), retired: want.steps });
}

describe.skipIf(!haveVerilator)("XDP programs on the FPGA engine match runXdp", () => {
  const programs: [string, string][] = [
    ...Object.entries(KERNEL_PROGRAMS),
    ...Object.entries(DIRECTED),
    ...Array.from({ length: 12 }, (_, i): [string, string] => [`generated-${i}${i % 3 === 2 ? "-unchecked" : ""}`, generated(0x9e3779b9 + i * 7919, i % 3 !== 2)]),
  ];
  const cases = programs.flatMap(([name, asm]) => {
    const object = assemble(asm, `${name}.s`);
    return FRAMES.map((frame, f) => ({ name: `${name}/${frame.length}b-${f}`, object, frame }));
  });
  const results = new Map<string, EngineResult>();
  const streamed = new Map<string, EngineResult>();
  beforeAll(() => {
    // Each case twice: the frame written through the host port, and sent through the receive stream.
    const engineCases: EngineCase[] = cases.flatMap((c) => [false, true].map((stream) => ({
      name: `${c.name}${stream ? "+stream" : ""}`, slots: c.object.programs[0]!.slots, mem: c.frame, xdp: { ifindex: IFINDEX, rxQueue: RXQ, stream },
    })));
    for (const r of runEngine(model, engineCases)) (r.name.endsWith("+stream") ? streamed : results).set(r.name.replace(/\+stream$/, ""), r);
  });

  for (const c of cases) {
    it(c.name, () => {
      const want = xdpReference(c.object, c.frame);
      expectSame(want, results.get(c.name)!);
      expectSame(want, streamed.get(c.name)!);
    });
  }

  it("some generated programs fault on short frames, and most give a verdict", () => {
    const statuses = [...results.entries()].filter(([n]) => n.startsWith("generated")).map(([, r]) => r.status);
    expect(statuses).toContain("error");
    expect(statuses.filter((s) => s === "done").length).toBeGreaterThan(statuses.length / 2);
  });

  it("the MAC swap sends the frame back with XDP_TX and the addresses exchanged", () => {
    const r = results.get(`swap-macs/60b-1`)!;
    expect(r.r0).toBe(3n);
    const f = FRAMES[1]!;
    expect(hex(r.mem)).toBe(hex(Uint8Array.from([...f.subarray(6, 12), ...f.subarray(0, 6), ...f.subarray(12)])));
  });
});

describe.skipIf(!haveVerilator)("a packet stream keeps the helper state from packet to packet", () => {
  it("ktime_get_ns and get_prandom_u32 go on as the interpreter's host state does", () => {
    const object = assemble("call 5\nmov %r6, %r0\ncall 7\nxor %r0, %r6\nldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r4, %r2\nadd %r4, 8\njgt %r4, %r3, out\nstxdw [%r2+0], %r0\nout:\nexit", "stream.s");
    const slots = object.programs[0]!.slots;
    const host = newHostState();
    const want = FRAMES.map((f) => xdpReference(object, f, host));
    const got = runEngine(model, FRAMES.map((mem, i) => ({ name: `p${i}`, slots, mem, xdp: { ifindex: IFINDEX, keepState: i > 0 } })));
    got.forEach((g, i) => expectSame(want[i]!, g));
  });
});

describe.skipIf(!haveVerilator)("the receive stream", () => {
  it("takes frames of every length 0..17 and a full-size one, keeping the last beat's valid bytes only", () => {
    const object = assemble("ldxw %r2, [%r1+0]\nldxw %r0, [%r1+4]\nsub %r0, %r2\nexit", "len.s");
    const slots = object.programs[0]!.slots;
    const lengths = [...Array.from({ length: 18 }, (_, i) => i), 3584];
    const got = runEngine(model, lengths.map((n) => ({ name: `len${n}`, slots, mem: Uint8Array.from({ length: n }, (_, i) => i), xdp: { ifindex: 1, stream: true } })));
    expect(got.map((r) => [r.status, Number(r.r0), r.mem.length])).toEqual(lengths.map((n) => ["done", n, n]));
    expect(hex(got[17]!.mem)).toBe(hex(Uint8Array.from({ length: 17 }, (_, i) => i)));
  });
});

describe.skipIf(!haveVerilator)("the transmit stream", () => {
  // Every XDP case of these tests is drained from the transmit stream by the testbench,
  // with back-pressure, and compared with the frame read back through the host port (the
  // testbench exits with 3 on a difference, which fails runEngine): these cases add the
  // lengths at the beat boundaries, an empty frame, frames moved by adjust_head, and the
  // largest frame the buffer holds (3584 bytes grown by 256 with adjust_tail).
  it("carries the frame after the run, whatever its length and alignment", () => {
    const grow = assemble("mov %r6, %r1\nmov %r2, 256\ncall 65\nmov %r0, 3\nexit", "grow.s").programs[0]!.slots;
    const shift = assemble("mov %r2, -13\ncall 44\nmov %r0, 3\nexit", "shift.s").programs[0]!.slots;
    const pass = assemble("mov %r0, 2\nexit", "pass.s").programs[0]!.slots;
    const cases: EngineCase[] = [
      ...[0, 1, 7, 8, 9, 15, 16, 17, 64, 65].map((n) => ({ name: `pass${n}`, slots: pass, mem: Uint8Array.from({ length: n }, (_, i) => i + 1), xdp: { ifindex: 1, stream: n % 2 === 0 } })),
      ...[14, 20, 61].map((n) => ({ name: `shift${n}`, slots: shift, mem: Uint8Array.from({ length: n }, (_, i) => 255 - i), xdp: { ifindex: 1 } })),
      { name: "grow3584", slots: grow, mem: Uint8Array.from({ length: 3584 }, (_, i) => i & 0xff), xdp: { ifindex: 1, stream: true } },
    ];
    const got = runEngine(model, cases);
    expect(got.map((r) => [r.status, r.mem.length])).toEqual([
      ...[0, 1, 7, 8, 9, 15, 16, 17, 64, 65].map((n) => ["done", n]),
      ...[14, 20, 61].map((n) => ["done", n + 13]),
      ["done", 3840],
    ]);
  });
});

describe.skipIf(!haveVerilator)("raw and XDP cases in one batch", () => {
  it("a raw case after XDP cases sees r1 = its memory again, bounds [0, len)", () => {
    const slots = assemble("ldxb %r0, [%r1+0]\nexit", "raw.s").programs[0]!.slots;
    const [x, r] = runEngine(model, [
      { name: "x", slots, mem: Uint8Array.of(9, 8, 7), xdp: { ifindex: 1 } },
      { name: "r", slots, mem: Uint8Array.of(5, 6) },
    ]);
    // XDP: r1 is the context, whose byte load faults; raw: the first byte
    expect([x!.status, x!.errCode, r!.status, r!.r0]).toEqual(["error", 1, "done", 5n]);
    expect(hex(r!.mem)).toBe("0506");
  });
});
