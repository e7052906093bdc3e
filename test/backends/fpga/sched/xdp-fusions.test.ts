// The dataflow fusions (fuse.ts with ptrs.ts): random XDP programs made of the patterns
// compilers emit (xdp_md loads, bounds checks `rX = data + K; if rX > data_end`, packet
// fields assembled byte by byte with shifts and ors, little- and big-endian, 2/4/8 bytes),
// scheduled onto 1..4 lanes with the fusions, run by the bundle interpreter over random
// packets: r0 equal to the reference interpreter's, the retired count equal on
// straight-line runs, and a fault (a load past the packet) at the reference's instruction.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { insn, type Insn } from "../../../../ir/bpf/insn.js";
import { DiagnosticError } from "../../../../ir/diag/diag.js";
import { newHostState } from "../../../../runtime/helpers/env.js";
import { runXdp } from "../../../../runtime/interp/run.js";
import { BundleFault, runBundles } from "../../../../backends/fpga/sched/interp.js";
import { schedule, sourceIndex, type Schedule } from "../../../../backends/fpga/sched/schedule.js";
import { disasmSlot, extForm } from "../../../../backends/fpga/sched/ext.js";
import { objectOf, slotsOf } from "../support.js";

// r1 data, r2 data_end, r6 ctx, r9 the bounds checks' pointer; the rest hold scalars only
const SCRATCH = [0, 3, 4, 5, 7, 8];
const scratch = fc.constantFrom(...SCRATCH);
const cls = fc.constantFrom(0x04, 0x07);
const ALU_CODES = [0x00, 0x10, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xc0];

type Item = { slots: Insn[]; jumpAhead?: number };

/** Bytes [o, o+n) of the packet into regs[0], using regs[1..] as temporaries (clang's shapes). */
function assemble(n: number, o: number, be: boolean, regs: readonly number[]): Insn[] {
  if (n === 1) return [insn(0x71, regs[0]!, 1, o)];
  const half = n / 2;
  // the half that ends up high: the second half (LE) or the first (BE)
  const [hiAt, loAt] = be ? [o, o + half] : [o + half, o];
  const hi = assemble(half, hiAt, be, regs);
  const lo = assemble(half, loAt, be, regs.slice(1));
  return [...hi, ...lo, insn(0x67, regs[0]!, 0, 0, half * 8), insn(0x4f, regs[0]!, regs[1]!)];
}

const item: fc.Arbitrary<Item> = fc.oneof(
  // a field assembled byte by byte; sometimes its temporaries die right after (so it fuses)
  { weight: 6, arbitrary: fc.tuple(fc.constantFrom(2, 4, 8), fc.integer({ min: 0, max: 40 }), fc.boolean(), fc.shuffledSubarray(SCRATCH, { minLength: 4, maxLength: 4 }), fc.boolean(), fc.boolean())
      .map(([n, o, be, regs, kill, swapFirst]) => {
        const body = assemble(n, o, be, regs);
        // clang often issues the second load first (LE pairs): same meaning, other order
        if (swapFirst && n === 2) [body[0], body[1]] = [body[1]!, body[0]!];
        const used = new Set(body.map((s) => s.dst));
        used.delete(regs[0]!);
        return { slots: [...body, ...(kill ? [...used].map((r) => insn(0xb7, r, 0, 0, r)) : [])] };
      }) },
  // a bounds check: r9 = data + K (64-bit add, fused mov or in place); jCC to a later item
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 48 }), fc.constantFrom(0x2d, 0x3d, 0xad, 0xbd), fc.boolean(), fc.integer({ min: 0, max: 5 }))
      .map(([k, jop, inPlace, ahead]) => {
        // jgt/jge: data + K > data_end fails the check; jlt/jle with the operands swapped
        const jump = (jop & 0xf0) === 0xa0 || (jop & 0xf0) === 0xb0 ? insn(jop, 2, 9) : insn(jop, 9, 2);
        // in place: r9 = data + K as one add on a copy made earlier (no mov to fuse with)
        return { slots: inPlace ? [insn(0xbf, 9, 1), insn(0xb7, 8, 0, 0, k), insn(0x07, 9, 0, 0, k), jump] : [insn(0xbf, 9, 1), insn(0x07, 9, 0, 0, k), jump], jumpAhead: ahead };
      }) },
  // the bounds check's pointer read afterwards (so the add must stay): r8 = r9 - data = K
  { weight: 1, arbitrary: fc.constant<Item>({ slots: [insn(0xbf, 8, 9), insn(0x1f, 8, 1)] }) },
  // a byte-by-byte copy inside the packet (MAC moves): n pairs ldxb/stxb through one temporary,
  // in either order, overlapping or not; sometimes the temporary dies right after
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(2, 4, 6, 8), fc.integer({ min: 0, max: 30 }), fc.integer({ min: -8, max: 12 }), scratch, fc.boolean(), fc.boolean())
      .map(([n, o, d, t, reverse, kill]) => {
        const offs = Array.from({ length: n }, (_, i) => o + (reverse ? n - 1 - i : i));
        const to = (x: number) => Math.max(0, x + d);
        return { slots: [...offs.flatMap((a) => [insn(0x71, t, 1, a), insn(0x73, 1, t, to(a))]), ...(kill ? [insn(0xb7, t, 0, 0, 5)] : [])] };
      }) },
  // a value stored byte by byte (vlan's tag writes): mov/rsh/mov32 by whole bytes, stxb, in any order
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom(2, 4, 6, 8), fc.integer({ min: 0, max: 40 }), scratch, scratch, fc.boolean(), fc.boolean(), fc.boolean())
      .map(([n, o, v, t, inPlace, reverse, narrow]) => {
        const order = Array.from({ length: n }, (_, i) => (reverse ? n - 1 - i : i));
        const slots: Insn[] = narrow ? [insn(0xbc, v, v)] : [];
        if (inPlace) for (const b of Array.from({ length: n }, (_, i) => i)) slots.push(insn(0x73, 1, v, o + b), insn(0x77, v, 0, 0, 8));
        else for (const b of order) slots.push(...(b === 0 ? [insn(0x73, 1, v, o)] : [insn(0xbf, t, v), insn(0x77, t, 0, 0, 8 * b), insn(0x73, 1, t, o + b)]));
        return { slots };
      }) },
  // the ctx pointer reloaded from its spill slot, or the slot overwritten (then the
  // reloaded r6 is no pointer, and a ctx read through it faults, as in the interpreter)
  { weight: 2, arbitrary: fc.constant<Item>({ slots: [insn(0x79, 6, 10, -8)] }) },
  { weight: 1, arbitrary: fc.constantFrom<Item>({ slots: [insn(0x62, 10, 0, -4, 7)] }, { slots: [insn(0x7b, 10, 6, -8)] }, { slots: [insn(0x63, 10, 3, -12)] }) },
  // ctx fields: scalars, and data again
  { weight: 2, arbitrary: fc.tuple(scratch, fc.constantFrom(12, 16)).map(([d, f]) => ({ slots: [insn(0x61, d, 6, f)] })) },
  { weight: 1, arbitrary: fc.constant<Item>({ slots: [insn(0x61, 1, 6, 0), insn(0x61, 2, 6, 4)] }) },
  // ALU on scalars
  { weight: 3, arbitrary: fc.tuple(cls, fc.constantFrom(...ALU_CODES), scratch, fc.integer({ min: -16, max: 16 })).map(([c, op, d, k]) => ({ slots: [insn(c | op, d, 0, 0, op === 0x60 || op === 0x70 || op === 0xc0 ? k & 31 : k)] })) },
  { weight: 2, arbitrary: fc.tuple(cls, fc.constantFrom(...ALU_CODES), scratch, scratch).map(([c, op, d, s]) => ({ slots: [insn(c | 0x08 | op, d, s)] })) },
);

/** A head that proves k0 bytes (or leaves for the fold), the items, the fold of the scalars into r0. */
function program(items: readonly Item[], straight: boolean, k0: number): Insn[] {
  const head: Insn[] = [insn(0x7b, 10, 1, -8), insn(0xbf, 6, 1), insn(0x61, 2, 6, 4), insn(0x61, 1, 6, 0)];
  for (const r of SCRATCH) head.push(insn(0xb7, r, 0, 0, r * 7 + 1));
  const check = head.length + 2;
  head.push(insn(0xbf, 9, 1), insn(0x07, 9, 0, 0, k0), insn(0x2d, 9, 2));
  const body = items.filter((it) => !straight || it.jumpAhead === undefined);
  const starts: number[] = [];
  let at = head.length;
  for (const it of body) {
    starts.push(at);
    at += it.slots.length;
  }
  const end = at;
  const out = [...head];
  out[check] = { ...out[check]!, off: end - (check + 1) };
  body.forEach((it, i) => {
    if (it.jumpAhead === undefined) return out.push(...it.slots);
    const target = i + 1 + it.jumpAhead < body.length ? starts[i + 1 + it.jumpAhead]! : end;
    const last = it.slots.length - 1;
    out.push(...it.slots.slice(0, last), { ...it.slots[last]!, off: target - (starts[i]! + last + 1) });
  });
  for (const r of SCRATCH) if (r !== 0) out.push(insn(0xaf, 0, r));
  out.push(insn(0x95));
  return out;
}

type Outcome = { kind: "done"; r0: bigint; steps: number; packet: string } | { kind: "fault"; insn: number | undefined };
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString("hex");

function reference(slots: readonly Insn[], packet: Uint8Array): Outcome {
  try {
    const r = runXdp(objectOf(slots), packet, [], newHostState(), { ingressIfindex: 1, rxQueueIndex: 0 });
    return { kind: "done", r0: r.r0, steps: r.steps, packet: hexOf(r.packet) };
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    return { kind: "fault", insn: e.diagnostics[0]!.loc.insn };
  }
}

function bundles(s: Schedule, packet: Uint8Array): Outcome {
  try {
    const p = packet.slice();
    const r = runBundles(s, { xdp: { packet: p, ifindex: 1, rxQueue: 0 } });
    return { kind: "done", r0: r.r0, steps: r.retired, packet: hexOf(p) };
  } catch (e) {
    if (!(e instanceof BundleFault)) throw e;
    return { kind: "fault", insn: sourceIndex(s, e.bundle) };
  }
}

function check(slots: readonly Insn[], packet: Uint8Array, lanes: number, straight: boolean): Schedule {
  const s = schedule(slots, { lanes, fuse: true, xdp: true });
  const ref = reference(slots, packet);
  const got = bundles(s, packet);
  if (ref.kind === "fault") {
    expect(got).toEqual(ref);
    return s;
  }
  expect(got.kind).toBe("done");
  if (got.kind !== "done") return s;
  expect(got.r0).toBe(ref.r0);
  expect(got.packet).toBe(ref.packet);
  if (straight || lanes === 1) expect(got.steps).toBe(ref.steps);
  else expect(got.steps).toBeGreaterThanOrEqual(ref.steps);
  return s;
}

const packet = fc.uint8Array({ minLength: 0, maxLength: 64 });
// straight-line runs keep the head's check untaken (k0 <= 56 < 64): nothing is hoisted past a taken jump
const longPacket = fc.uint8Array({ minLength: 64, maxLength: 80 });
const k0 = fc.integer({ min: 0, max: 56 });

describe("fpga scheduler: the XDP fusions", () => {
  it("straight-line XDP programs: the bundles equal the interpreter on 1..4 lanes", () => {
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 30 }), longPacket, k0, fc.integer({ min: 1, max: 4 }), (items, p, k, lanes) => {
      check(program(items, true, k), p, lanes, true);
    }), { numRuns: 300 });
  });

  it("branchy XDP programs with bounds checks: the bundles equal the interpreter on 1..4 lanes", () => {
    fc.assert(fc.property(fc.array(item, { minLength: 1, maxLength: 30 }), packet, k0, fc.integer({ min: 1, max: 4 }), (items, p, k, lanes) => {
      check(program(items, false, k), p, lanes, false);
    }), { numRuns: 400 });
  });

  it("the generated programs do fuse: every extension appears", () => {
    const kinds = new Set<string>();
    fc.assert(fc.property(fc.array(item, { minLength: 5, maxLength: 30 }), (items) => {
      const s = schedule(program(items, false, 48), { lanes: 4, xdp: true });
      for (const b of s.bundles) for (const x of b) if (x && extForm(x.insn)) kinds.add(extForm(x.insn)!.kind);
    }), { numRuns: 200 });
    expect([...kinds].sort()).toEqual(expect.arrayContaining(["ctx_read", "jcc_add", "ldx_wide", "stx_wide"]));
  });

  it("the generated programs put proven loads in lane 1, some hoisted above a jump they follow", () => {
    let laneLoads = 0;
    let hoisted = 0;
    fc.assert(fc.property(fc.array(item, { minLength: 5, maxLength: 30 }), (items) => {
      const s = schedule(program(items, false, 48), { lanes: 4, xdp: true });
      s.bundles.forEach((b, i) => {
        const load = b[1];
        if (!load || load.origin.length === 0 || (load.insn.opcode & 7) !== 1) return;
        laneLoads++;
        // a jump at or after this bundle that comes before the load in the program
        const jumps = s.bundles.slice(i).flatMap((x) => (x[0] && (x[0].insn.opcode & 7) === 5 ? [x[0].origin.at(-1)!] : []));
        if (jumps.some((j) => j < load.origin[0]!)) hoisted++;
      });
    }), { numRuns: 200 });
    expect(laneLoads).toBeGreaterThan(50);
    expect(hoisted).toBeGreaterThan(10);
  });

  const fw = `ldxw %r2, [%r1+4]
ldxw %r1, [%r1+0]
mov %r5, %r1
add %r5, 14
jgt %r5, %r2, +6
ldxb %r3, [%r1+12]
ldxb %r4, [%r1+13]
lsh %r4, 8
or %r4, %r3
jne %r4, 8, +1
mov %r0, 1
exit
`;

  it("the firewall's prologue: ctx reads side by side, one fused bounds check, one 2-byte load hoisted beside it", () => {
    const s = schedule(slotsOf(fw), { lanes: 4, xdp: true });
    const text = s.bundles.map((b) => b.filter(Boolean).map((x) => disasmSlot(x!.insn)).join(" | "));
    // the load is proven only below the check; in lane 1 (no fault) it runs beside it,
    // and on a 13-byte packet (the check taken) it reads past the end, its value dead
    expect(text.slice(0, 3)).toEqual([
      "ctx %r2, data_end | ctx %r1, data",
      "jgt %r1+14, %r2, +2 (3) | ldxle16 %r4, [%r1+12] (4)",
      "jne %r4, 8, +1",
    ]);
    expect(s.bundles[1]![1]!.insn.opcode & 0xe7).toBe(0xe1);
    for (const p of [new Uint8Array(13), Uint8Array.from({ length: 20 }, (_, i) => (i === 12 ? 8 : 0))]) check(slotsOf(fw), p, 4, false);
  });

  it("does not combine what no bounds check proves, nor a raw program's loads from r1", () => {
    // the check proves 13 bytes: byte 13 could fault on its own, so the loads stay
    const s = schedule(slotsOf(fw.replace("add %r5, 14", "add %r5, 13")), { lanes: 4, xdp: true });
    expect(s.bundles.flat().filter((x) => x && extForm(x.insn)?.kind === "ldx_wide")).toHaveLength(0);
    for (const p of [new Uint8Array(13), new Uint8Array(14)]) check(slotsOf(fw.replace("add %r5, 14", "add %r5, 13")), p, 4, false);
    const raw = schedule(slotsOf(fw), { lanes: 4 });
    expect(raw.bundles.flat().filter((x) => x && extForm(x.insn)?.kind === "ctx_read")).toHaveLength(0);
    expect(raw.bundles.flat().filter((x) => x && extForm(x.insn)?.kind === "ldx_wide")).toHaveLength(0);
  });

  it("keeps the bounds check's add when its register is read later, in the jump's bundle", () => {
    const src = fw.replace("mov %r0, 1\nexit", "mov %r0, %r5\nexit");
    const s = schedule(slotsOf(src), { lanes: 4, xdp: true });
    const jump = s.bundles.findIndex((b) => b[0] && extForm(b[0].insn)?.kind === "jcc_add");
    expect(s.bundles[jump]!.filter(Boolean).map((x) => disasmSlot(x!.insn))).toEqual(["jgt %r1+14, %r2, +2 (1)", "ldxle16 %r4, [%r1+12] (4)", "add %r5, %r1, 14"]);
  });

  it("follows the ctx pointer through its stack spill until a store may overwrite it", () => {
    const reads = (between: string) => schedule(slotsOf(`stxdw [%r10-104], %r1
${between}
ldxdw %r5, [%r10-104]
ldxw %r0, [%r5+12]
exit
`), { lanes: 4, xdp: true }).bundles.flat().filter((x) => x && extForm(x.insn)?.kind === "ctx_read").length;
    expect(reads("mov %r2, 1")).toBe(1);
    expect(reads("stw [%r10-100], 1")).toBe(0);
    expect(reads("stw [%r10-96], 1")).toBe(1);
    expect(reads("mov %r2, %r10\nstb [%r2-1], 1")).toBe(0);
    expect(reads("mov %r2, 0\ncall 7")).toBe(1);
  });

  it("forgets packet pointers after xdp_adjust_head, keeps them across a map lookup", () => {
    const after = (call: string) => schedule(slotsOf(`mov %r6, %r1
ldxw %r2, [%r1+4]
ldxw %r7, [%r1+0]
mov %r5, %r7
add %r5, 14
jgt %r5, %r2, +9
mov %r1, %r6
mov %r2, 0
${call}
ldxb %r3, [%r7+12]
ldxb %r4, [%r7+13]
lsh %r4, 8
or %r4, %r3
mov %r0, %r4
exit
mov %r0, 0
exit
`), { lanes: 4, xdp: true }).bundles.flat().filter((x) => x && extForm(x.insn)?.kind === "ldx_wide").length;
    expect(after("call 44")).toBe(0);
    expect(after("call 7")).toBe(1);
  });
});
