// Random BPF programs for the scheduler's property tests (schedule.test.ts on the bundle
// interpreter, engine-passes.test.ts on the engine in Verilator): ALU operations, the
// fusions' patterns, stack loads and stores, forward jumps, early exits; registers reused
// for values that die (renaming's case); jumps (`ja` and conditional, forward and
// backward) into small shared tails that fall into one another (tail duplication's case).
import fc from "fast-check";
import { insn, lddwSlots, type Insn } from "../../../../ir/bpf/insn.js";

const ALU_CODES = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
const JMP_CODES = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const reg = fc.integer({ min: 0, max: 9 });
const imm = fc.oneof(fc.integer({ min: -16, max: 16 }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));
const cls = fc.constantFrom(0x04, 0x07);

/** Shared tails a program has (`program`). */
const TAILS = 4;

/** One body item: a list of slots (a jump's offset is patched once the program is laid out: to an item ahead, or to a tail). */
export type Item = { slots: Insn[]; jumpAhead?: number; tail?: number };

export const item: fc.Arbitrary<Item> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(cls, fc.constantFrom(...ALU_CODES), reg, imm).map(([c, op, d, k]) => ({ slots: [insn(c | op, d, 0, 0, op === 0x60 || op === 0x70 || op === 0xc0 ? k & 31 : k)] })) },
  { weight: 6, arbitrary: fc.tuple(cls, fc.constantFrom(...ALU_CODES), reg, reg).map(([c, op, d, s]) => ({ slots: [insn(c | 0x08 | op, d, s)] })) },
  // mov then an op on the same register: the fusion's pattern, with both widths
  { weight: 6, arbitrary: fc.tuple(cls, cls, fc.constantFrom(0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0x80, 0xa0, 0xc0), reg, reg, fc.option(reg), imm)
      .map(([c1, c2, op, d, s, t, k]) => ({ slots: [insn(c1 | 0x08 | 0xb0, d, s), op === 0x80 ? insn(c2 | op, d) : t === null ? insn(c2 | op, d, 0, 0, k & 63) : insn(c2 | 0x08 | op, d, t)] })) },
  { weight: 1, arbitrary: fc.tuple(cls, reg, reg, fc.constantFrom(8, 16, 32)).map(([c, d, s, b]) => ({ slots: [insn(c | 0x08 | 0xb0, d, s, c === 0x04 && b === 32 ? 16 : b)] })) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.constantFrom(0xd4, 0xdc, 0xd7), fc.constantFrom(16, 32, 64)).map(([d, op, w]) => ({ slots: [insn(op, d, 0, 0, w)] })) },
  { weight: 1, arbitrary: fc.tuple(reg, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })).map(([d, v]) => ({ slots: lddwSlots(d, v) })) },
  // stack traffic: eight initialised 8-byte slots below r10
  { weight: 3, arbitrary: fc.tuple(reg, fc.integer({ min: 1, max: 8 }), fc.constantFrom(0x79, 0x61, 0x69, 0x71, 0x81, 0x89, 0x91)).map(([d, k, op]) => ({ slots: [insn(op, d, 10, -8 * k)] })) },
  { weight: 3, arbitrary: fc.tuple(reg, fc.integer({ min: 1, max: 8 }), fc.constantFrom(0x7b, 0x63, 0x6b, 0x73)).map(([s, k, op]) => ({ slots: [insn(op, 10, s, -8 * k)] })) },
  // a forward jump over the next few items
  { weight: 2, arbitrary: fc.tuple(fc.constantFrom(0x05, 0x06), fc.constantFrom(...JMP_CODES), reg, fc.option(reg), imm, fc.integer({ min: 0, max: 6 }))
      .map(([c, op, d, s, k, ahead]) => ({ slots: [s === null ? insn(c | op, d, 0, 0, k) : insn(c | 0x08 | op, d, s)], jumpAhead: ahead })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((ahead) => ({ slots: [insn(0x05)], jumpAhead: ahead })) },
  // an early exit with a constant, or with a register
  { weight: 1, arbitrary: fc.tuple(cls, imm).map(([c, k]) => ({ slots: [insn(c | 0xb0, 0, 0, 0, k), insn(0x95)] })) },
  // a register holding a value that dies, then reused for the next (clang's habit: the
  // renaming's case): load, add, store, then a new value in the same register
  { weight: 3, arbitrary: fc.tuple(reg, fc.integer({ min: 1, max: 8 }), imm, imm).map(([d, k, c, v]) => ({ slots: [insn(0x79, d, 10, -8 * k), insn(0x07, d, 0, 0, c), insn(0x7b, 10, d, -8 * (9 - k)), insn(0xb7, d, 0, 0, v)] })) },
  // a jump into one of the shared tails: `ja`, or conditional
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: TAILS - 1 }), fc.constantFrom(0x05, 0x15, 0x55, 0x25), reg, imm).map(([t, op, d, k]) => ({ slots: [insn(op, d, 0, 0, op === 0x05 ? 0 : k)], tail: t })) },
);

/** Shared tails after the program's exit (and one before its body: a backward jump): a few ALU slots on r0, then an exit or a fall into the next. */
const tailBody: fc.Arbitrary<Insn[]> = fc.tuple(fc.array(fc.tuple(cls, fc.constantFrom(0x00, 0x20, 0xa0, 0xb0), reg), { maxLength: 3 }), fc.boolean())
  .map(([ops, exit]) => [...ops.map(([c, op, r]) => insn(c | 0x08 | op, 0, r)), ...(exit ? [insn(0x95)] : [])]);
export const tails = fc.array(tailBody, { minLength: TAILS, maxLength: TAILS });

/** Registers folded into r0 at the end: all of r1-r9, or r6-r9 only (then r1-r5 are free to rename into). */
export const folds = fc.constantFrom([1, 2, 3, 4, 5, 6, 7, 8, 9], [6, 7, 8, 9]);

/**
 * Registers and the stack initialised, tail 0 (jumped over), the body, r0 folded from the
 * registers `fold`, exit, tails 1.. (the last always exits; tail 0 exits too).
 */
export function program(items: readonly Item[], straight: boolean, tailBodies: readonly Insn[][] = [], fold: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9]): Insn[] {
  const head: Insn[] = [];
  for (let r = 0; r <= 9; r++) head.push(...lddwSlots(r, BigInt(r) * 0x0123_4567_89ab_cdefn + 77n));
  for (let k = 1; k <= 8; k++) head.push(insn(0x7a, 10, 0, -8 * k, k * 0x1111 - 3));
  const tailSlots = tailBodies.map((t, k) => (k === 0 || k === tailBodies.length - 1) && t[t.length - 1]?.opcode !== 0x95 ? [...t, insn(0x95)] : t);
  const body = items.filter((it) => (!straight || (it.jumpAhead === undefined && it.tail === undefined && it.slots[it.slots.length - 1]!.opcode !== 0x95)) && (it.tail === undefined || it.tail < tailSlots.length));
  const pre = tailSlots.length > 0 ? [insn(0x05, 0, 0, tailSlots[0]!.length), ...tailSlots[0]!] : [];
  const tailStart: number[] = [];
  const starts: number[] = [];
  let at = head.length + pre.length;
  if (pre.length > 0) tailStart.push(head.length + 1);
  for (const it of body) {
    starts.push(at);
    at += it.slots.length;
  }
  const end = at;
  at = end + fold.length + 1;
  for (const t of tailSlots.slice(1)) {
    tailStart.push(at);
    at += t.length;
  }
  const out = [...head, ...pre];
  body.forEach((it, i) => {
    const s = it.slots[0]!;
    if (it.tail !== undefined) return out.push({ ...s, off: tailStart[it.tail]! - (starts[i]! + 1) });
    if (it.jumpAhead === undefined) return out.push(...it.slots);
    const target = i + 1 + it.jumpAhead < body.length ? starts[i + 1 + it.jumpAhead]! : end;
    out.push({ ...s, off: target - (starts[i]! + 1) });
  });
  for (const r of fold) out.push(insn(0xaf, 0, r));
  out.push(insn(0x95));
  for (const t of tailSlots.slice(1)) out.push(...t);
  return out;
}
