// Random operation sequences against tiny, obviously correct models: linear scans over a
// list, written from the map semantics and not from the implementation.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ERRNO, UPDATE_FLAGS } from "../../../runtime/maps/def.js";
import { isTcam } from "../../../runtime/maps/index.js";
import { hex, make } from "./helpers.js";

const RUNS = { numRuns: 300 };
const flagsArb = fc.constantFrom(UPDATE_FLAGS.ANY, UPDATE_FLAGS.NOEXIST, UPDATE_FLAGS.EXIST);

describe("hash and lru_hash against a list model", () => {
  type Op = { op: "update"; k: number; v: number; flags: number } | { op: "delete"; k: number } | { op: "lookup"; k: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant("update" as const), k: fc.nat(7), v: fc.nat(255), flags: flagsArb }),
    fc.record({ op: fc.constant("delete" as const), k: fc.nat(7) }),
    fc.record({ op: fc.constant("lookup" as const), k: fc.nat(7) }),
  );

  for (const kind of ["hash", "lru_hash"] as const)
    it(kind, () => {
      fc.assert(
        fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
          const max = 4;
          const m = make(kind, 1, 1, max);
          // Model: [key, value] in entry order (insertion; for LRU, least recently used first).
          let model: [number, number][] = [];
          const find = (k: number) => model.findIndex(([mk]) => mk === k);
          const touch = (i: number) => {
            if (kind === "lru_hash") model = [...model.slice(0, i), ...model.slice(i + 1), model[i]!];
          };
          for (const o of ops) {
            const i = find(o.k);
            if (o.op === "lookup") {
              expect(m.lookup(Uint8Array.of(o.k))?.[0]).toBe(i < 0 ? undefined : model[i]![1]);
              if (i >= 0) touch(i);
            } else if (o.op === "delete") {
              expect(m.delete(Uint8Array.of(o.k))).toBe(i < 0 ? -ERRNO.ENOENT : 0);
              if (i >= 0) model.splice(i, 1);
            } else {
              let want = 0;
              if (i >= 0 && o.flags === UPDATE_FLAGS.NOEXIST) want = -ERRNO.EEXIST;
              else if (i < 0 && o.flags === UPDATE_FLAGS.EXIST) want = -ERRNO.ENOENT;
              else if (i >= 0) {
                model[i]![1] = o.v;
                touch(i);
              } else if (model.length === max && kind === "hash") want = -ERRNO.E2BIG;
              else {
                if (model.length === max) model.shift();
                model.push([o.k, o.v]);
              }
              expect(m.update(Uint8Array.of(o.k), Uint8Array.of(o.v), o.flags)).toBe(want);
            }
            expect(Array.from(m.entries(), (e) => [e.key[0], e.value[0]])).toEqual(model);
          }
        }),
        RUNS,
      );
    });
});

describe("lpm_trie against a list model", () => {
  // 2 data bytes: prefixes /0../16, over a few base addresses so that prefixes overlap.
  const bit = (data: number, i: number) => (data >> (15 - i)) & 1;
  const samePrefix = (a: number, b: number, len: number) => {
    for (let i = 0; i < len; i++) if (bit(a, i) !== bit(b, i)) return false;
    return true;
  };
  const key = (len: number, data: number) => Uint8Array.of(len, 0, 0, 0, data >> 8, data & 0xff);
  const dataArb = fc.constantFrom(0x0000, 0x0a00, 0x0a01, 0x0a80, 0x0aff, 0xff00, 0x8000);
  type Op = { op: "update"; len: number; d: number; v: number; flags: number } | { op: "delete"; len: number; d: number } | { op: "lookup"; len: number; d: number };
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant("update" as const), len: fc.nat(17), d: dataArb, v: fc.nat(255), flags: flagsArb }),
    fc.record({ op: fc.constant("delete" as const), len: fc.nat(17), d: dataArb }),
    fc.record({ op: fc.constant("lookup" as const), len: fc.integer({ min: 0, max: 17 }), d: dataArb }),
  );

  it("matches the longest prefix and the exact-prefix update rules", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const max = 6;
        const m = make("lpm_trie", 6, 1, max);
        const model: { len: number; d: number; v: number }[] = [];
        const find = (len: number, d: number) => model.findIndex((e) => e.len === len && samePrefix(e.d, d, len));
        for (const o of ops) {
          if (o.op === "lookup") {
            let best: { len: number; v: number } | undefined;
            if (o.len <= 16) for (const e of model) if (e.len <= o.len && samePrefix(e.d, o.d, e.len) && (!best || e.len > best.len)) best = e;
            expect(m.lookup(key(o.len, o.d))?.[0]).toBe(best?.v);
            continue;
          }
          const i = o.len > 16 ? -1 : find(o.len, o.d);
          if (o.op === "delete") {
            expect(m.delete(key(o.len, o.d))).toBe(o.len > 16 ? -ERRNO.EINVAL : i < 0 ? -ERRNO.ENOENT : 0);
            if (i >= 0) model.splice(i, 1);
            continue;
          }
          let want = 0;
          if (o.len > 16) want = -ERRNO.EINVAL;
          else if (i >= 0 && o.flags === UPDATE_FLAGS.NOEXIST) want = -ERRNO.EEXIST;
          else if (i < 0 && o.flags === UPDATE_FLAGS.EXIST) want = -ERRNO.ENOENT;
          else if (i >= 0) model[i]!.v = o.v;
          else if (model.length === max) want = -ERRNO.ENOSPC;
          else model.push({ len: o.len, d: o.d, v: o.v });
          expect(m.update(key(o.len, o.d), Uint8Array.of(o.v), o.flags)).toBe(want);
          expect(m.size).toBe(model.length);
        }
      }),
      RUNS,
    );
  });
});

describe("tcam against a list model", () => {
  type Op =
    | { op: "insert"; value: number; mask: number; prio: number; data: number; flags: number }
    | { op: "remove"; value: number; mask: number; prio: number }
    | { op: "lookup"; key: number };
  const byteArb = fc.constantFrom(0x00, 0x0a, 0x0b, 0x1a, 0xff);
  const maskArb = fc.constantFrom(0x00, 0x0f, 0xf0, 0xff);
  const prioArb = fc.nat(3);
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant("insert" as const), value: byteArb, mask: maskArb, prio: prioArb, data: fc.nat(255), flags: flagsArb }),
    fc.record({ op: fc.constant("remove" as const), value: byteArb, mask: maskArb, prio: prioArb }),
    fc.record({ op: fc.constant("lookup" as const), key: byteArb }),
  );

  it("picks the highest priority, then the earliest insertion", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const max = 6;
        const m = make("tcam", 1, 1, max);
        if (!isTcam(m)) throw new Error("tcam");
        // Model entries in insertion order; a lookup scans all of them.
        const model: { value: number; mask: number; prio: number; data: number }[] = [];
        const find = (value: number, mask: number, prio: number) => model.findIndex((e) => e.mask === mask && e.prio === prio && (e.value & mask) === (value & mask));
        for (const o of ops) {
          if (o.op === "lookup") {
            let best: (typeof model)[number] | undefined;
            for (const e of model) if ((o.key & e.mask) === (e.value & e.mask) && (!best || e.prio > best.prio)) best = e;
            expect(m.lookup(Uint8Array.of(o.key))?.[0]).toBe(best?.data);
          } else if (o.op === "remove") {
            const i = find(o.value, o.mask, o.prio);
            expect(m.remove(Uint8Array.of(o.value), Uint8Array.of(o.mask), o.prio)).toBe(i < 0 ? -ERRNO.ENOENT : 0);
            if (i >= 0) model.splice(i, 1);
          } else {
            const i = find(o.value, o.mask, o.prio);
            let want = 0;
            if (i >= 0 && o.flags === UPDATE_FLAGS.NOEXIST) want = -ERRNO.EEXIST;
            else if (i < 0 && o.flags === UPDATE_FLAGS.EXIST) want = -ERRNO.ENOENT;
            else if (i >= 0) model[i]!.data = o.data;
            else if (model.length === max) want = -ERRNO.ENOSPC;
            else model.push({ value: o.value & o.mask, mask: o.mask, prio: o.prio, data: o.data });
            expect(m.insert(Uint8Array.of(o.value), Uint8Array.of(o.mask), o.prio, Uint8Array.of(o.data), o.flags)).toBe(want);
          }
          // entries(): priority descending, then insertion (a stable sort of the model).
          const sorted = [...model].sort((a, b) => b.prio - a.prio);
          expect(Array.from(m.entries(), (e) => [hex(e.key), hex(e.mask), e.priority, e.value[0]])).toEqual(
            sorted.map((e) => [hex(Uint8Array.of(e.value)), hex(Uint8Array.of(e.mask)), e.prio, e.data]),
          );
        }
      }),
      RUNS,
    );
  });
});
