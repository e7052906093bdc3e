// TCAM maps (ours): ternary entries, highest priority wins, ties go to the earlier
// insertion; programs cannot write them.
import { describe, it, expect } from "vitest";
import { ERRNO, UPDATE_FLAGS } from "../../../runtime/maps/def.js";
import { isTcam, type TcamMap } from "../../../runtime/maps/index.js";
import { bytes, make } from "./helpers.js";

function tcam(max = 8): TcamMap {
  const m = make("tcam", 2, 1, max);
  if (!isTcam(m)) throw new Error("not a tcam");
  return m;
}

describe("tcam", () => {
  it("matches on the masked bits only", () => {
    const m = tcam();
    expect(m.insert(bytes(0x0a, 0x00), bytes(0xff, 0x00), 1, bytes(1))).toBe(0);
    expect(m.lookup(bytes(0x0a, 0x37))?.[0]).toBe(1);
    expect(m.lookup(bytes(0x0b, 0x00))).toBeUndefined();
  });

  it("the highest priority match wins, regardless of insertion order", () => {
    const m = tcam();
    m.insert(bytes(0, 0), bytes(0, 0), 1, bytes(1)); // wildcard
    m.insert(bytes(0x0a, 0x01), bytes(0xff, 0xff), 10, bytes(10));
    m.insert(bytes(0x0a, 0x00), bytes(0xff, 0x00), 5, bytes(5));
    expect(m.lookup(bytes(0x0a, 0x01))?.[0]).toBe(10);
    expect(m.lookup(bytes(0x0a, 0x02))?.[0]).toBe(5);
    expect(m.lookup(bytes(0x0b, 0x01))?.[0]).toBe(1);
  });

  it("ties go to the entry inserted first, and replacing data keeps its place", () => {
    const m = tcam();
    m.insert(bytes(0x0a, 0), bytes(0xff, 0), 3, bytes(1));
    m.insert(bytes(0, 0x01), bytes(0, 0xff), 3, bytes(2));
    expect(m.lookup(bytes(0x0a, 0x01))?.[0]).toBe(1);
    expect(m.insert(bytes(0x0a, 0), bytes(0xff, 0), 3, bytes(7))).toBe(0);
    expect(m.lookup(bytes(0x0a, 0x01))?.[0]).toBe(7);
    expect(m.remove(bytes(0x0a, 0), bytes(0xff, 0), 3)).toBe(0);
    expect(m.lookup(bytes(0x0a, 0x01))?.[0]).toBe(2);
  });

  it("an entry is (value & mask, mask, priority): value bits outside the mask do not count", () => {
    const m = tcam();
    expect(m.insert(bytes(0x0a, 0x55), bytes(0xff, 0), 1, bytes(1), UPDATE_FLAGS.NOEXIST)).toBe(0);
    expect(m.insert(bytes(0x0a, 0x66), bytes(0xff, 0), 1, bytes(2), UPDATE_FLAGS.NOEXIST)).toBe(-ERRNO.EEXIST);
    expect(m.insert(bytes(0x0a, 0x66), bytes(0xff, 0), 2, bytes(2), UPDATE_FLAGS.EXIST)).toBe(-ERRNO.ENOENT);
    expect(m.size).toBe(1);
    expect([...m.entries()][0]).toEqual({ key: bytes(0x0a, 0), mask: bytes(0xff, 0), priority: 1, value: bytes(1) });
  });

  it("lists entries by priority, highest first, then insertion", () => {
    const m = tcam();
    m.insert(bytes(1, 0), bytes(0xff, 0), 1, bytes(1));
    m.insert(bytes(2, 0), bytes(0xff, 0), 9, bytes(2));
    m.insert(bytes(3, 0), bytes(0xff, 0), 1, bytes(3));
    expect([...m.entries()].map((e) => e.value[0])).toEqual([2, 1, 3]);
  });

  it("a full tcam is -ENOSPC; remove of a missing entry is -ENOENT", () => {
    const m = tcam(1);
    expect(m.insert(bytes(1, 0), bytes(0xff, 0), 1, bytes(1))).toBe(0);
    expect(m.insert(bytes(2, 0), bytes(0xff, 0), 1, bytes(1))).toBe(-ERRNO.ENOSPC);
    expect(m.remove(bytes(1, 0), bytes(0xff, 0), 2)).toBe(-ERRNO.ENOENT);
  });

  it("programs' update and delete are -EOPNOTSUPP", () => {
    const m = tcam();
    expect(m.update(bytes(1, 0), bytes(1), UPDATE_FLAGS.ANY)).toBe(-ERRNO.EOPNOTSUPP);
    expect(m.delete(bytes(1, 0))).toBe(-ERRNO.EOPNOTSUPP);
  });

  it("wrong sizes and priorities are -EINVAL", () => {
    const m = tcam();
    expect(m.insert(bytes(1), bytes(0xff, 0), 1, bytes(1))).toBe(-ERRNO.EINVAL);
    expect(m.insert(bytes(1, 0), bytes(0xff, 0), -1, bytes(1))).toBe(-ERRNO.EINVAL);
    expect(m.insert(bytes(1, 0), bytes(0xff, 0), 1, bytes(1, 2))).toBe(-ERRNO.EINVAL);
  });
});
