// IPv6 routes on the Verilog BPF engine: an LPM trie with 20-byte keys (u32 prefixlen +
// 16-byte address: three key words, prefix lengths up to 128), looked up by an XDP router
// on each frame's IPv6 destination, with routes added, replaced and withdrawn by the host
// (map commands with 20-byte keys) between the packets; against runXdp and the map API on
// the same script (compare.ts compareScript): verdicts, frames (the next hop written into
// the destination MAC, the hop limit decremented), every command's answer, the final trie.
// requires: verilator
import fc from "fast-check";
import { beforeAll, describe, it } from "vitest";
import { buildEngineModel, type EngineModel, type MapCommand } from "../../../backends/fpga/sim.js";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { instantiateMaps } from "../../../runtime/interp/run.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";
import { compareScript, type ScriptStep } from "./compare.js";

const haveVerilator = requireOrSkip("verilator", hasTool("verilator"), "verilator is not installed (apt-get install verilator)");

let model: EngineModel;
beforeAll(() => {
  if (haveVerilator) model = buildEngineModel({ jobs: 2 });
});

// Ethernet (14) + IPv6 (40): ethertype 0x86dd at 12, hop limit at 21, destination at 38..53.
// A hit: the route's next hop (value byte 0) into destination MAC byte 5, value byte 1
// into byte 4, the hop limit decremented, a hit counter (value byte 7) incremented,
// XDP_TX (3); no route: XDP_PASS (2); not IPv6 or too short: XDP_DROP (1).
const ROUTER = assemble(`.map routes lpm_trie key=20 value=8 entries=6
ldxw %r6, [%r1+0]
ldxw %r7, [%r1+4]
mov %r2, %r6
add %r2, 54
mov %r0, 1
jgt %r2, %r7, out
ldxh %r1, [%r6+12]
jne %r1, 0xdd86, out
stw [%r10-24], 128
ldxw %r1, [%r6+38]
stxw [%r10-20], %r1
ldxw %r1, [%r6+42]
stxw [%r10-16], %r1
ldxw %r1, [%r6+46]
stxw [%r10-12], %r1
ldxw %r1, [%r6+50]
stxw [%r10-8], %r1
mov %r2, %r10
add %r2, -24
lddw %r1, map(routes)
call 1
mov %r8, %r0
mov %r0, 2
jeq %r8, 0, out
ldxb %r1, [%r8+0]
stxb [%r6+5], %r1
ldxb %r1, [%r8+1]
stxb [%r6+4], %r1
ldxb %r1, [%r6+21]
sub %r1, 1
stxb [%r6+21], %r1
ldxb %r1, [%r8+7]
add %r1, 1
stxb [%r8+7], %r1
mov %r0, 3
out:
exit`, "router6.s");

/** Addresses from a few nested prefixes (2001:db8::/32, 2001:db8:1::/48, fe80::/10 ...), so that routes nest and share lengths. */
const ADDRS = [
  [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 9],
  [0x20, 0x01, 0x0d, 0xb8, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0],
  [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
];
const LENGTHS = [0, 10, 32, 48, 64, 127, 128];

function frame(dst: readonly number[], ethertype = 0x86dd, extra = 0): Uint8Array {
  const f = Uint8Array.from({ length: 54 + extra }, (_, j) => j & 0xff);
  f[12] = ethertype >> 8;
  f[13] = ethertype & 0xff;
  f[21] = 64;
  f.set(dst, 38);
  return f;
}

function routeKey(len: number, addr: readonly number[]): Uint8Array {
  const k = new Uint8Array(20);
  new DataView(k.buffer).setUint32(0, len, true);
  k.set(addr, 4);
  return k;
}

const addrArb = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ADDRS) }, { weight: 1, arbitrary: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 16, maxLength: 16 }) });
const frameArb = fc.oneof({ weight: 6, arbitrary: addrArb.map((a) => frame(a)) }, { weight: 1, arbitrary: addrArb.map((a) => frame(a, 0x0800)) });
const commandArb: fc.Arbitrary<MapCommand> = fc.record({
  op: fc.constantFrom<MapCommand["op"]>("update", "update", "update", "delete", "lookup"),
  len: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...LENGTHS) }, { weight: 1, arbitrary: fc.constant(129) }),
  addr: addrArb,
  value: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  flags: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(4) }),
}).map(({ op, len, addr, value, flags }) => ({ op, map: 0, key: routeKey(len, addr), valueSize: 8, ...(op === "update" ? { value, flags } : {}) }));
const stepArb: fc.Arbitrary<ScriptStep> = fc.oneof(
  fc.array(frameArb, { minLength: 1, maxLength: 4 }).map((frames) => ({ frames })),
  fc.array(commandArb, { minLength: 1, maxLength: 6 }).map((commands) => ({ commands })),
);

const route = (len: number, addr: readonly number[], hop: number, flags = 0): MapCommand => ({ op: "update", map: 0, key: routeKey(len, addr), value: Uint8Array.of(hop, 0x60, 0, 0, 0, 0, 0, 0), flags, valueSize: 8 });

describe.skipIf(!haveVerilator)("IPv6 routes (LPM trie, 20-byte keys) on the FPGA engine match the interpreter", () => {
  it("a router on the IPv6 destination, routes added and withdrawn by the host between packets", () => {
    const [a, b, c, d] = ADDRS as [number[], number[], number[], number[]];
    compareScript(model, ROUTER, [
      { frames: [frame(a), frame(d)] },
      { commands: [route(32, a, 1), route(48, a, 2), route(128, b, 3), route(0, d, 4), route(10, d, 5), route(128, b, 6, 1)] },
      { frames: [frame(a), frame(b), frame(c), frame(d), frame(a, 0x0800), frame(b, 0x86dd, 10)] },
      { commands: [{ op: "lookup", map: 0, key: routeKey(128, b), valueSize: 8 }, { op: "delete", map: 0, key: routeKey(128, b), valueSize: 8 }, { op: "delete", map: 0, key: routeKey(128, b), valueSize: 8 }, route(127, b, 7), route(129, b, 8)] },
      { frames: [frame(a), frame(b), frame(c), frame(d)] },
    ], instantiateMaps);
  });

  it("generated scripts: host route changes (every flag, prefixlens 0..128 and past it) between packets", () => {
    fc.assert(fc.property(fc.array(stepArb, { minLength: 1, maxLength: 8 }), (script) => {
      compareScript(model, ROUTER, script, instantiateMaps);
    }), { numRuns: 25, seed: 6006 });
  });
});
