// The XDP program type and the helpers, from the kernel's documented behaviour
// (include/uapi/linux/bpf.h helper descriptions, net/core/filter.c limits).
import { describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { newHostState } from "../../../runtime/helpers/env.js";
import { checkHelpers, instantiateMaps, runRaw, runXdp } from "../../../runtime/interp/run.js";
import { loadMapsState } from "../../../runtime/maps/state.js";

const frame = (n: number) => Uint8Array.from({ length: n }, (_, i) => i & 0xff);
const meta = { ingressIfindex: 7, rxQueueIndex: 3 };

function xdp(src: string, packet = frame(64), state?: object) {
  const obj = assemble(src, "x.s");
  const maps = instantiateMaps(obj);
  if (state) loadMapsState(maps, JSON.stringify(state), "state.json");
  return { ...runXdp(obj, packet, maps, newHostState(), meta), maps };
}

describe("xdp_md", () => {
  it("data_end - data is the packet length; the kernel widens the u32 loads to pointers", () => {
    const r = xdp("ldxw %r2, [%r1+0]\nldxw %r3, [%r1+4]\nmov %r0, %r3\nsub %r0, %r2\nexit", frame(60));
    expect(r.r0).toBe(60n);
  });
  it("ingress_ifindex and rx_queue_index come from the run", () => {
    expect(xdp("ldxw %r0, [%r1+12]\nexit").r0).toBe(7n);
    expect(xdp("ldxw %r0, [%r1+16]\nexit").r0).toBe(3n);
  });
  it("ctx is read-only and its pointer fields only load as 4 bytes", () => {
    expect(() => xdp("stw [%r1+0], 1\nmov %r0, 2\nexit")).toThrow(/instruction 0: 4-byte store to read-only xdp_md/);
    expect(() => xdp("ldxdw %r0, [%r1+0]\nexit")).toThrow(/instruction 0: 8-byte load .* not a readable field of xdp_md/s);
  });
  it("reads and writes inside the packet; one byte past data_end is refused", () => {
    const r = xdp("ldxw %r2, [%r1+0]\nstb [%r2+5], 0xab\nldxb %r0, [%r2+5]\nexit");
    expect(r.r0).toBe(0xabn);
    expect(r.packet[5]).toBe(0xab);
    expect(() => xdp("ldxw %r2, [%r1+4]\nldxb %r0, [%r2+0]\nexit")).toThrow(/1-byte load at address/);
  });
  it("verdicts by value; unknown values act as XDP_ABORTED", () => {
    expect(["0", "1", "2", "3", "4", "9"].map((v) => xdp(`mov %r0, ${v}\nexit`).verdict)).toEqual(["XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT", "XDP_ABORTED"]);
  });
});

describe("packet adjustment helpers", () => {
  it("xdp_adjust_head(-14) grows the front by 14 bytes; +14 shrinks it", () => {
    const grow = xdp("mov %r2, -14\ncall 44\nexit", frame(64));
    expect(grow.r0).toBe(0n);
    expect(grow.packet.length).toBe(78);
    expect([...grow.packet.subarray(14, 20)]).toEqual([0, 1, 2, 3, 4, 5]);
    const shrink = xdp("mov %r2, 14\ncall 44\nexit", frame(64));
    expect(shrink.packet.length).toBe(50);
    expect(shrink.packet[0]).toBe(14);
  });
  it("xdp_adjust_head fails with -EINVAL beyond the headroom or below an Ethernet header", () => {
    expect(BigInt.asIntN(64, xdp("mov %r2, -300\ncall 44\nexit").r0)).toBe(-22n);
    expect(BigInt.asIntN(64, xdp("mov %r2, 51\ncall 44\nexit", frame(64)).r0)).toBe(-22n);
    expect(xdp("mov %r2, 50\ncall 44\nexit", frame(64)).r0).toBe(0n);
  });
  it("xdp_adjust_tail grows with zeroes and shrinks; limits give -EINVAL", () => {
    const grow = xdp("mov %r2, 4\ncall 65\nexit", frame(64));
    expect(grow.packet.length).toBe(68);
    expect([...grow.packet.subarray(64)]).toEqual([0, 0, 0, 0]);
    expect(xdp("mov %r2, -50\ncall 65\nexit", frame(64)).packet.length).toBe(14);
    expect(BigInt.asIntN(64, xdp("mov %r2, -51\ncall 65\nexit", frame(64)).r0)).toBe(-22n);
    expect(BigInt.asIntN(64, xdp("mov %r2, 1000\ncall 65\nexit", frame(64)).r0)).toBe(-22n);
  });
  it("xdp_adjust_meta makes 4-byte-aligned room of at most 32 bytes before data", () => {
    const src = (d: number) => `mov %r6, %r1\nmov %r2, ${d}\ncall 54\nmov %r7, %r0\nldxw %r2, [%r6+8]\nldxw %r3, [%r6+0]\nmov %r0, %r3\nsub %r0, %r2\nlsh %r7, 32\nor %r0, %r7\nexit`;
    expect(xdp(src(-8)).r0).toBe(8n);
    expect(xdp(src(-6)).r0 >> 32n).toBe(0xffffffean);
    expect(xdp(src(-36)).r0 >> 32n).toBe(0xffffffean);
  });
});

describe("redirect helpers", () => {
  it("bpf_redirect(ifindex, 0) returns XDP_REDIRECT and records the ifindex", () => {
    const r = xdp("mov %r1, 5\nmov %r2, 0\ncall 23\nexit");
    expect(r.verdict).toBe("XDP_REDIRECT");
    expect(r.redirect?.ifindex).toBe(5);
  });
  it("bpf_redirect with flags fails with XDP_ABORTED", () => {
    expect(xdp("mov %r1, 5\nmov %r2, 1\ncall 23\nexit").verdict).toBe("XDP_ABORTED");
  });
  it("bpf_redirect_map: a present devmap entry redirects; a missing one returns the low flag bits", () => {
    const src = (key: number) => `.map ports devmap key=4 value=4 entries=4\nlddw %r1, map(ports)\nmov %r2, ${key}\nmov %r3, 2\ncall 51\nexit`;
    const state = { ports: [{ key: ["0x01", "0x00", "0x00", "0x00"], value: ["0x09", "0x00", "0x00", "0x00"] }] };
    const hit = xdp(src(1), frame(64), state);
    expect(hit.verdict).toBe("XDP_REDIRECT");
    expect(hit.redirect?.ifindex).toBe(9);
    expect(xdp(src(2), frame(64), state).verdict).toBe("XDP_PASS");
  });
});

describe("map helpers from a program", () => {
  const prog = `.map counts hash key=4 value=8 entries=2
stw [%r10-4], 7
mov %r2, %r10
add %r2, -4
lddw %r1, map(counts)
call 1
jeq %r0, 0, insert
mov %r1, 1
lock add [%r0+0], %r1
mov %r0, 2
exit
insert:
stdw [%r10-16], 1
mov %r2, %r10
add %r2, -4
mov %r3, %r10
add %r3, -16
mov %r4, 1
lddw %r1, map(counts)
call 2
exit`;
  it("lookup misses, update inserts (BPF_NOEXIST), lookup then updates in place", () => {
    const obj = assemble(prog, "count.s");
    const maps = instantiateMaps(obj);
    const host = newHostState();
    const runs = [0, 1, 2].map(() => runXdp(obj, frame(20), maps, host, meta).r0);
    expect(runs).toEqual([0n, 2n, 2n]);
    const [entry] = [...maps[0]!.entries()];
    expect(Buffer.from(entry!.value).readBigUInt64LE()).toBe(3n);
  });
  it("map_delete_elem of a missing key returns -ENOENT", () => {
    const r = xdp(".map m hash key=4 value=4 entries=2\nstw [%r10-4], 1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(m)\ncall 3\nexit");
    expect(BigInt.asIntN(64, r.r0)).toBe(-2n);
  });
  it("a map value pointer is bounded by the value size", () => {
    expect(() => xdp(".map a array key=4 value=8 entries=1\nstw [%r10-4], 0\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, map(a)\ncall 1\nldxdw %r0, [%r0+8]\nexit")).toThrow(/8-byte load at address/);
  });
});

describe("other helpers", () => {
  it("tail_call jumps to the program at the prog_array index; a missing entry falls through", () => {
    const obj = assemble(".map jmp prog_array key=4 value=4 entries=2\nlddw %r2, map(jmp)\nmov %r3, 1\ncall 12\nmov %r0, 7\nexit");
    // Program 1 of the object returns 42: a second program sharing the maps.
    const callee = assemble("mov %r0, 42\nexit").programs[0]!;
    const both = { ...obj, programs: [obj.programs[0]!, { ...callee, name: "callee" }] };
    const maps = instantiateMaps(both);
    expect(runRaw(both, undefined, { maps }).r0).toBe(7n);
    expect(maps[0]!.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(1, 0, 0, 0), 0)).toBe(0);
    expect(runRaw(both, undefined, { maps }).r0).toBe(42n);
  });
  it("ktime_get_ns is monotonic and deterministic; get_prandom_u32 follows its seed", () => {
    const obj = assemble("call 5\nmov %r6, %r0\ncall 5\nsub %r0, %r6\nexit");
    expect(runRaw(obj, undefined).r0).toBe(1000n);
    const rnd = assemble("call 7\nexit");
    const a = runRaw(rnd, undefined, { host: newHostState(5) }).r0;
    expect(runRaw(rnd, undefined, { host: newHostState(5) }).r0).toBe(a);
    expect(runRaw(rnd, undefined, { host: newHostState(6) }).r0).not.toBe(a);
  });
  it("csum_diff of equal buffers is the seed; of 4 new bytes their one's-complement sum", () => {
    const src = (fromSize: number, toSize: number, seed: number) =>
      `stw [%r10-4], 0x01020304\nstw [%r10-8], 0x01020304\nmov %r1, %r10\nadd %r1, -4\nmov %r2, ${fromSize}\nmov %r3, %r10\nadd %r3, -8\nmov %r4, ${toSize}\nmov %r5, ${seed}\ncall 28\nexit`;
    // ~x + x is 0xffffffff, which end-around-carry addition keeps as -0.
    expect(runRaw(assemble(src(4, 4, 0)), undefined).r0).toBe(0xffffffffn);
    expect(runRaw(assemble(src(0, 4, 0)), undefined).r0).toBe(0x01020304n);
    expect(BigInt.asIntN(64, runRaw(assemble(src(3, 4, 0)), undefined).r0)).toBe(-22n);
  });
  it("an unknown helper, or an XDP helper in a raw program, is refused before the run", () => {
    expect(() => checkHelpers(assemble("mov %r0, 1\nja +1\ncall 4242\nexit"), "xdp")).toThrow(/instruction 2: unknown helper function 4242/);
    expect(() => runRaw(assemble("call 44\nexit"), undefined)).toThrow(/instruction 0: helper xdp_adjust_head failed: only XDP programs may call it/);
  });
  it("get_smp_processor_id is CPU 0: one CPU is modelled", () => {
    expect(runRaw(assemble("call 8\nexit"), undefined).r0).toBe(0n);
  });
});
