// bpf_redirect (helper 23) on the Verilog BPF engine against the reference interpreter:
// the verdict r0, the frame, and the redirect target reported with XDP_REDIRECT
// (runXdp's `redirect`), over a packet stream: flags 0 and not, two calls in one run (the
// last one counts), a call and then another verdict (no target reported), a run without
// a call after one with (the target does not leak from packet to packet), ifindex from
// the packet (all 32 bits), and a raw program calling it.
// requires: verilator
import { beforeAll, describe, expect, it } from "vitest";
import { fpgaBackend } from "../../../backends/fpga/backend.js";
import { buildEngineModel } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { instantiateMaps, runRaw, runXdp } from "../../../runtime/interp/run.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { hex } from "./support.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

beforeAll(() => {
  if (haveVerilator) buildEngineModel({ jobs: 2 });
});

describe.skipIf(!haveVerilator)("bpf_redirect on the FPGA engine matches the interpreter", () => {
  it("verdicts, frames and redirect targets over a packet stream", () => {
    // Frame byte 0 picks the case; bytes 4..7 an ifindex (little-endian), byte 8 the flags.
    const object = assemble(`ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r2, %r6
add %r2, 12
mov %r0, 1
jgt %r2, %r7, out
ldxb %r8, [%r6+0]
ldxw %r1, [%r6+4]
ldxb %r2, [%r6+8]
mov %r0, 2
jeq %r8, 0, out
call 23
stxb [%r6+1], %r0
jeq %r8, 1, out
jne %r8, 2, +4
mov %r1, 77
mov %r2, 0
call 23
ja out
jne %r8, 3, +2
mov %r0, 2
ja out
jne %r8, 4, out
mov %r1, 5
mov %r2, 1
call 23
out:
exit`, "r.s");
    const F = (c: number, ifindex: number, flags: number, len = 16) => {
      const f = Uint8Array.from({ length: len }, (_, j) => j * 3);
      f[0] = c;
      new DataView(f.buffer).setUint32(4, ifindex >>> 0, true);
      f[8] = flags;
      return f;
    };
    const frames = [F(1, 2, 0), F(0, 9, 0), F(1, 3, 1), F(2, 4, 0), F(3, 5, 0), F(1, 0xfffffffe, 0), F(4, 6, 0), F(1, 7, 0x80), F(1, 0, 0), F(1, 2, 0, 10)];
    const maps = instantiateMaps(object);
    const host = newHostState();
    const ref = frames.map((f) => {
      const r = runXdp(object, f, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
      return { r0: r.r0, packet: hex(r.packet), ifindex: r.redirect?.ifindex };
    });
    const got = fpgaBackend.runXdp!({ object, program: 0, frames, ifindex: 1, maxSteps: 100_000 });
    expect(got.packets.map((p) => ({ r0: p.r0, packet: hex(p.packet), ifindex: p.redirect?.ifindex }))).toEqual(ref);
    // the cases did what they say: targets reported, flags refused, none leaking
    expect(ref.map((r) => r.ifindex)).toEqual([2, undefined, undefined, 77, undefined, 0xfffffffe, undefined, undefined, 0, undefined]);
    expect(ref.map((r) => Number(r.r0))).toEqual([4, 2, 0, 4, 2, 4, 0, 0, 4, 1]);
  });

  it("a raw program: r0 is XDP_REDIRECT or XDP_ABORTED as in the interpreter", () => {
    for (const flags of [0, 2]) {
      const object = assemble(`mov %r1, 3\nmov %r2, ${flags}\ncall 23\nexit`, "r.s");
      const ref = runRaw(object, undefined);
      const got = fpgaBackend.runRaw!({ object, program: 0, maxSteps: 1000 });
      expect(got.r0).toBe(ref.r0);
    }
  });
});
