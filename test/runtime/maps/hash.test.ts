// Hash maps, from Documentation/bpf/map_hash.rst and the bpf_map_update_elem flag rules
// in include/uapi/linux/bpf.h: BPF_NOEXIST creates only, BPF_EXIST replaces only.
import { describe, it, expect } from "vitest";
import { ERRNO, UPDATE_FLAGS } from "../../../runtime/maps/def.js";
import { bytes, hex, keysOf, make, u32, u64 } from "./helpers.js";

const { ANY, NOEXIST, EXIST } = UPDATE_FLAGS;

for (const kind of ["hash", "percpu_hash", "lru_hash"] as const) {
  describe(`${kind}: flags`, () => {
    it("BPF_ANY creates and replaces", () => {
      const m = make(kind, 4, 8, 4);
      expect(m.update(u32(1), u64(1), ANY)).toBe(0);
      expect(m.update(u32(1), u64(2), ANY)).toBe(0);
      expect(hex(m.lookup(u32(1)))).toBe(hex(u64(2)));
      expect(m.size).toBe(1);
    });
    it("BPF_NOEXIST on an existing key is -EEXIST and leaves the value", () => {
      const m = make(kind, 4, 8, 4);
      expect(m.update(u32(1), u64(1), NOEXIST)).toBe(0);
      expect(m.update(u32(1), u64(2), NOEXIST)).toBe(-ERRNO.EEXIST);
      expect(hex(m.lookup(u32(1)))).toBe(hex(u64(1)));
    });
    it("BPF_EXIST on a missing key is -ENOENT and creates nothing", () => {
      const m = make(kind, 4, 8, 4);
      expect(m.update(u32(1), u64(1), EXIST)).toBe(-ERRNO.ENOENT);
      expect(m.lookup(u32(1))).toBeUndefined();
      m.update(u32(1), u64(1), ANY);
      expect(m.update(u32(1), u64(3), EXIST)).toBe(0);
      expect(hex(m.lookup(u32(1)))).toBe(hex(u64(3)));
    });
    it("other flag values are -EINVAL", () => {
      const m = make(kind, 4, 8, 4);
      expect(m.update(u32(1), u64(1), 3)).toBe(-ERRNO.EINVAL);
      expect(m.update(u32(1), u64(1), 4)).toBe(-ERRNO.EINVAL);
    });
    it("delete removes; a missing key is -ENOENT", () => {
      const m = make(kind, 4, 8, 4);
      m.update(u32(1), u64(1), ANY);
      expect(m.delete(u32(1))).toBe(0);
      expect(m.lookup(u32(1))).toBeUndefined();
      expect(m.delete(u32(1))).toBe(-ERRNO.ENOENT);
    });
    it("wrong sizes are -EINVAL", () => {
      const m = make(kind, 4, 8, 4);
      expect(m.update(bytes(1, 2, 3), u64(1), ANY)).toBe(-ERRNO.EINVAL);
      expect(m.update(u32(1), u32(1), ANY)).toBe(-ERRNO.EINVAL);
      expect(m.delete(bytes(1))).toBe(-ERRNO.EINVAL);
    });
    it("keeps the value object across replacing updates", () => {
      const m = make(kind, 4, 8, 4);
      m.update(u32(1), u64(1), ANY);
      const v = m.lookup(u32(1))!;
      m.update(u32(1), u64(9), ANY);
      expect(m.lookup(u32(1))).toBe(v);
      expect(hex(v)).toBe(hex(u64(9)));
    });
  });
}

describe("hash: full map", () => {
  it("a new key in a full map is -E2BIG; replacing an existing key still works", () => {
    const m = make("hash", 4, 8, 2);
    expect(m.update(u32(1), u64(1), ANY)).toBe(0);
    expect(m.update(u32(2), u64(2), ANY)).toBe(0);
    expect(m.update(u32(3), u64(3), ANY)).toBe(-ERRNO.E2BIG);
    expect(m.update(u32(3), u64(3), NOEXIST)).toBe(-ERRNO.E2BIG);
    expect(m.update(u32(2), u64(5), ANY)).toBe(0);
    expect(m.delete(u32(1))).toBe(0);
    expect(m.update(u32(3), u64(3), ANY)).toBe(0);
  });
  it("percpu_hash is -E2BIG when full too", () => {
    const m = make("percpu_hash", 4, 8, 1);
    m.update(u32(1), u64(1), ANY);
    expect(m.update(u32(2), u64(1), ANY)).toBe(-ERRNO.E2BIG);
  });
  it("lists entries in insertion order; replacing keeps the position", () => {
    const m = make("hash", 4, 4, 8);
    for (const k of [5, 1, 9]) m.update(u32(k), u32(k), ANY);
    m.update(u32(5), u32(0), ANY);
    expect(keysOf(m)).toEqual(["05000000", "01000000", "09000000"]);
    m.delete(u32(1));
    m.update(u32(1), u32(1), ANY);
    expect(keysOf(m)).toEqual(["05000000", "09000000", "01000000"]);
  });
  it("get_next_key: first for no key or a missing key, undefined after the last", () => {
    const m = make("hash", 4, 4, 8);
    for (const k of [5, 1]) m.update(u32(k), u32(k), ANY);
    expect(hex(m.getNextKey(undefined))).toBe("05000000");
    expect(hex(m.getNextKey(u32(5)))).toBe("01000000");
    expect(m.getNextKey(u32(1))).toBeUndefined();
    expect(hex(m.getNextKey(u32(77)))).toBe("05000000");
  });
});

describe("lru_hash: eviction", () => {
  it("a full map evicts the least recently used entry instead of failing", () => {
    const m = make("lru_hash", 4, 4, 3);
    for (const k of [1, 2, 3]) expect(m.update(u32(k), u32(k), ANY)).toBe(0);
    expect(m.update(u32(4), u32(4), ANY)).toBe(0);
    expect(m.lookup(u32(1))).toBeUndefined();
    expect(m.size).toBe(3);
  });
  it("a lookup makes an entry recently used", () => {
    const m = make("lru_hash", 4, 4, 3);
    for (const k of [1, 2, 3]) m.update(u32(k), u32(k), ANY);
    m.lookup(u32(1));
    m.update(u32(4), u32(4), ANY); // evicts 2
    expect(m.lookup(u32(2))).toBeUndefined();
    expect(m.lookup(u32(1))).toBeDefined();
    m.update(u32(5), u32(5), ANY); // LRU order now 3, 4, 1 → evicts 3
    expect(m.lookup(u32(3))).toBeUndefined();
  });
  it("an update of an existing key makes it recently used", () => {
    const m = make("lru_hash", 4, 4, 2);
    m.update(u32(1), u32(1), ANY);
    m.update(u32(2), u32(2), ANY);
    m.update(u32(1), u32(10), EXIST);
    m.update(u32(3), u32(3), NOEXIST); // evicts 2
    expect(keysOf(m)).toEqual(["01000000", "03000000"]);
  });
  it("a failed update neither evicts nor refreshes", () => {
    const m = make("lru_hash", 4, 4, 2);
    m.update(u32(1), u32(1), ANY);
    m.update(u32(2), u32(2), ANY);
    expect(m.update(u32(1), u32(5), NOEXIST)).toBe(-ERRNO.EEXIST);
    expect(m.update(u32(3), u32(5), EXIST)).toBe(-ERRNO.ENOENT);
    expect(keysOf(m)).toEqual(["01000000", "02000000"]);
  });
  it("entries() lists least recently used first", () => {
    const m = make("lru_hash", 4, 4, 4);
    for (const k of [1, 2, 3]) m.update(u32(k), u32(k), ANY);
    m.lookup(u32(2));
    expect(keysOf(m)).toEqual(["01000000", "03000000", "02000000"]);
  });
});
