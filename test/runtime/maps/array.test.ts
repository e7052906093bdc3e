// Array-like maps, from Documentation/bpf/map_array.rst and the kernel's arraymap.c /
// devmap.c behaviour for the syscall and helper paths.
import { describe, it, expect } from "vitest";
import { ERRNO, UPDATE_FLAGS } from "../../../runtime/maps/def.js";
import { createMap } from "../../../runtime/maps/index.js";
import { bytes, def, hex, make, u32, u64 } from "./helpers.js";

const { ANY, NOEXIST, EXIST } = UPDATE_FLAGS;

describe("array", () => {
  it("preallocates zero-filled values for every index", () => {
    const m = make("array", 4, 8, 4);
    for (let i = 0; i < 4; i++) expect(hex(m.lookup(u32(i)))).toBe("0000000000000000");
    expect(m.size).toBe(4);
    expect([...m.entries()].map((e) => hex(e.key))).toEqual(["00000000", "01000000", "02000000", "03000000"]);
  });

  it("looks up an index past max_entries as not found", () => {
    const m = make("array", 4, 8, 4);
    expect(m.lookup(u32(4))).toBeUndefined();
    expect(m.lookup(u32(0xffffffff))).toBeUndefined();
  });

  it("updates with BPF_ANY and BPF_EXIST; BPF_NOEXIST is -EEXIST because every element exists", () => {
    const m = make("array", 4, 8, 4);
    expect(m.update(u32(1), u64(5), ANY)).toBe(0);
    expect(m.update(u32(2), u64(6), EXIST)).toBe(0);
    expect(m.update(u32(3), u64(7), NOEXIST)).toBe(-ERRNO.EEXIST);
    expect(hex(m.lookup(u32(1)))).toBe(hex(u64(5)));
    expect(hex(m.lookup(u32(2)))).toBe(hex(u64(6)));
    expect(hex(m.lookup(u32(3)))).toBe(hex(u64(0)));
  });

  it("rejects an update past the end with -E2BIG and unknown flags with -EINVAL", () => {
    const m = make("array", 4, 8, 4);
    expect(m.update(u32(4), u64(1), ANY)).toBe(-ERRNO.E2BIG);
    expect(m.update(u32(0), u64(1), 4 /* BPF_F_LOCK: no spin lock in the value */)).toBe(-ERRNO.EINVAL);
    expect(m.update(u32(0), u64(1), 3)).toBe(-ERRNO.EINVAL);
  });

  it("cannot delete (-EINVAL)", () => {
    const m = make("array", 4, 8, 4);
    expect(m.delete(u32(0))).toBe(-ERRNO.EINVAL);
  });

  it("returns -EINVAL for wrong key or value sizes", () => {
    const m = make("array", 4, 8, 4);
    expect(m.update(bytes(0, 0), u64(1), ANY)).toBe(-ERRNO.EINVAL);
    expect(m.update(u32(0), u32(1), ANY)).toBe(-ERRNO.EINVAL);
    expect(m.lookup(bytes(0))).toBeUndefined();
  });

  it("hands out the live value: the same object each time, and writes through it are seen", () => {
    const m = make("array", 4, 4, 2);
    const v = m.lookup(u32(1))!;
    expect(m.lookup(u32(1))).toBe(v);
    v[0] = 42;
    expect(m.lookup(u32(1))![0]).toBe(42);
    m.update(u32(1), u32(7), ANY);
    expect(v[0]).toBe(7);
    // entries() hands out copies.
    const e = [...m.entries()][1]!;
    e.value[0] = 99;
    expect(v[0]).toBe(7);
  });

  it("get_next_key walks indices, restarting at 0 for a missing or out-of-range key", () => {
    const m = make("array", 4, 4, 3);
    expect(hex(m.getNextKey(undefined))).toBe("00000000");
    expect(hex(m.getNextKey(u32(0)))).toBe("01000000");
    expect(m.getNextKey(u32(2))).toBeUndefined();
    expect(hex(m.getNextKey(u32(9)))).toBe("00000000");
  });

  it("percpu_array behaves as an array (one CPU modelled)", () => {
    const m = make("percpu_array", 4, 8, 2);
    expect(m.update(u32(1), u64(3), ANY)).toBe(0);
    expect(m.update(u32(1), u64(3), NOEXIST)).toBe(-ERRNO.EEXIST);
    expect(m.delete(u32(1))).toBe(-ERRNO.EINVAL);
    expect(hex(m.lookup(u32(1)))).toBe(hex(u64(3)));
  });

  it("global data is an array with one entry initialised from the section", () => {
    const data = createMap(def("array", 4, 6, 1, 0, ".data"), bytes(1, 2, 3));
    expect(hex(data.lookup(u32(0)))).toBe("010203000000");
    expect(() => createMap(def("array", 4, 2, 1), bytes(1, 2, 3))).toThrow(/initial contents are 3 bytes/);
    expect(() => createMap(def("hash", 4, 2, 1), bytes(1))).toThrow(/only array maps take initial contents/);
  });
});

describe("prog_array", () => {
  it("starts empty, takes only BPF_ANY, and delete clears a slot", () => {
    const m = make("prog_array", 4, 4, 4);
    expect(m.lookup(u32(0))).toBeUndefined();
    expect(m.update(u32(0), u32(7), NOEXIST)).toBe(-ERRNO.EINVAL);
    expect(m.update(u32(0), u32(7), EXIST)).toBe(-ERRNO.EINVAL);
    expect(m.update(u32(0), u32(7), ANY)).toBe(0);
    expect(m.update(u32(4), u32(7), ANY)).toBe(-ERRNO.E2BIG);
    expect(hex(m.lookup(u32(0)))).toBe("07000000");
    expect(m.size).toBe(1);
    expect(m.delete(u32(0))).toBe(0);
    expect(m.lookup(u32(0))).toBeUndefined();
    expect(m.delete(u32(0))).toBe(-ERRNO.ENOENT);
    expect(m.delete(u32(4))).toBe(-ERRNO.E2BIG);
    expect(m.size).toBe(0);
  });

  it("lists only filled slots, and get_next_key walks every index as the kernel does", () => {
    const m = make("prog_array", 4, 4, 3);
    m.update(u32(2), u32(9), ANY);
    expect([...m.entries()].map((e) => hex(e.key))).toEqual(["02000000"]);
    expect(hex(m.getNextKey(u32(0)))).toBe("01000000");
  });
});

describe("devmap", () => {
  it("NOEXIST is -EEXIST, ifindex 0 empties a slot, delete of an empty slot succeeds", () => {
    const m = make("devmap", 4, 4, 2);
    expect(m.update(u32(0), u32(3), NOEXIST)).toBe(-ERRNO.EEXIST);
    expect(m.update(u32(0), u32(3), EXIST)).toBe(0);
    expect(hex(m.lookup(u32(0)))).toBe("03000000");
    expect(m.update(u32(0), u32(0), ANY)).toBe(0);
    expect(m.lookup(u32(0))).toBeUndefined();
    expect(m.delete(u32(1))).toBe(0);
    expect(m.delete(u32(2))).toBe(-ERRNO.EINVAL);
    expect(m.update(u32(2), u32(1), ANY)).toBe(-ERRNO.E2BIG);
  });
});

describe("createMap checks the definition", () => {
  const cases: [string, Parameters<typeof def>, RegExp][] = [
    ["array key size", ["array", 8, 4, 1], /key size must be 4 \(it is 8\)/],
    ["zero value size", ["hash", 4, 0, 1], /value size must be 1\.\./],
    ["zero max entries", ["hash", 4, 4, 0], /max entries must be/],
    ["prog_array value", ["prog_array", 4, 8, 1], /value size must be 4/],
    ["devmap value", ["devmap", 4, 6, 1], /value size must be 4 or 8/],
    ["lpm without NO_PREALLOC", ["lpm_trie", 8, 4, 1, 0], /BPF_F_NO_PREALLOC/],
    ["lpm key too short", ["lpm_trie", 4, 4, 1, 1], /key size must be 5\.\.260/],
    ["hash key past MAX_BPF_STACK", ["hash", 513, 4, 1], /key size must be 1\.\.512/],
    ["huge array", ["array", 4, 1024, 1 << 20], /exceed the 268435456-byte limit/],
  ];
  for (const [what, args, msg] of cases)
    it(what, () => {
      expect(() => createMap(def(...args))).toThrow(msg);
    });
});
