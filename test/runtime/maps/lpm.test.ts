// LPM trie, from Documentation/bpf/map_lpm_trie.rst: keys are {u32 prefixlen, data[]},
// data in network order; lookup returns the longest matching prefix; update and delete
// work on exact prefixes.
import { describe, it, expect } from "vitest";
import { ERRNO, UPDATE_FLAGS } from "../../../runtime/maps/def.js";
import { hex, ip4, keysOf, make, u32 } from "./helpers.js";

const { ANY, NOEXIST, EXIST } = UPDATE_FLAGS;

function table() {
  const m = make("lpm_trie", 8, 4, 16);
  expect(m.update(ip4(8, 10, 0, 0, 0), u32(8), ANY)).toBe(0);
  expect(m.update(ip4(16, 10, 1, 0, 0), u32(16), ANY)).toBe(0);
  expect(m.update(ip4(24, 10, 1, 2, 0), u32(24), ANY)).toBe(0);
  expect(m.update(ip4(32, 10, 1, 2, 3), u32(32), ANY)).toBe(0);
  return m;
}
const hit = (m: ReturnType<typeof table>, ...a: [number, number, number, number]) => m.lookup(ip4(32, ...a))?.[0];

describe("lpm_trie", () => {
  it("returns the longest matching prefix among overlapping prefixes", () => {
    const m = table();
    expect(hit(m, 10, 1, 2, 3)).toBe(32);
    expect(hit(m, 10, 1, 2, 4)).toBe(24);
    expect(hit(m, 10, 1, 9, 9)).toBe(16);
    expect(hit(m, 10, 200, 0, 1)).toBe(8);
    expect(hit(m, 11, 1, 2, 3)).toBeUndefined();
  });

  it("a /0 prefix matches every address, and loses to any longer match", () => {
    const m = table();
    m.update(ip4(0, 0, 0, 0, 0), u32(99), ANY);
    expect(hit(m, 192, 168, 0, 1)).toBe(99);
    expect(hit(m, 10, 1, 2, 3)).toBe(32);
  });

  it("a /32 matches only its address", () => {
    const m = make("lpm_trie", 8, 4, 4);
    m.update(ip4(32, 192, 168, 0, 1), u32(1), ANY);
    expect(m.lookup(ip4(32, 192, 168, 0, 1))?.[0]).toBe(1);
    expect(m.lookup(ip4(32, 192, 168, 0, 2))).toBeUndefined();
  });

  it("matches prefixes that do not end on a byte boundary", () => {
    const m = make("lpm_trie", 8, 4, 4);
    m.update(ip4(12, 172, 16, 0, 0), u32(12), ANY); // 172.16.0.0/12 = 172.16-31.x.x
    expect(m.lookup(ip4(32, 172, 31, 255, 255))?.[0]).toBe(12);
    expect(m.lookup(ip4(32, 172, 32, 0, 0))).toBeUndefined();
  });

  it("a lookup key's prefixlen bounds the match", () => {
    const m = table();
    expect(m.lookup(ip4(20, 10, 1, 2, 3))?.[0]).toBe(16);
    expect(m.lookup(ip4(33, 10, 1, 2, 3))).toBeUndefined();
  });

  it("update requires prefixlen <= 8 * (key_size - 4)", () => {
    const m = make("lpm_trie", 8, 4, 4);
    expect(m.update(ip4(33, 10, 0, 0, 0), u32(1), ANY)).toBe(-ERRNO.EINVAL);
    expect(m.update(ip4(32, 10, 0, 0, 0), u32(1), ANY)).toBe(0);
  });

  it("NOEXIST and EXIST compare exact prefixes (bits past the prefix do not count)", () => {
    const m = make("lpm_trie", 8, 4, 4);
    expect(m.update(ip4(16, 10, 1, 0, 0), u32(1), NOEXIST)).toBe(0);
    expect(m.update(ip4(16, 10, 1, 7, 7), u32(2), NOEXIST)).toBe(-ERRNO.EEXIST);
    expect(m.update(ip4(24, 10, 1, 0, 0), u32(2), EXIST)).toBe(-ERRNO.ENOENT);
    expect(m.update(ip4(16, 10, 1, 9, 9), u32(3), EXIST)).toBe(0);
    expect(m.size).toBe(1);
    expect(keysOf(m)).toEqual([hex(ip4(16, 10, 1, 0, 0))]);
  });

  it("a new prefix in a full trie is -ENOSPC", () => {
    const m = make("lpm_trie", 8, 4, 2);
    m.update(ip4(8, 10, 0, 0, 0), u32(1), ANY);
    m.update(ip4(16, 10, 1, 0, 0), u32(1), ANY);
    expect(m.update(ip4(24, 10, 1, 2, 0), u32(1), ANY)).toBe(-ERRNO.ENOSPC);
    expect(m.update(ip4(8, 10, 0, 0, 0), u32(5), ANY)).toBe(0);
  });

  it("delete removes an exact prefix only; longer and shorter ones stay", () => {
    const m = table();
    expect(m.delete(ip4(24, 10, 1, 2, 0))).toBe(0);
    expect(hit(m, 10, 1, 2, 4)).toBe(16);
    expect(hit(m, 10, 1, 2, 3)).toBe(32);
    expect(m.delete(ip4(24, 10, 1, 2, 0))).toBe(-ERRNO.ENOENT);
    expect(m.delete(ip4(12, 10, 0, 0, 0))).toBe(-ERRNO.ENOENT);
    expect(m.delete(ip4(40, 10, 0, 0, 0))).toBe(-ERRNO.EINVAL);
  });

  it("lists entries by prefix length, then data", () => {
    const m = make("lpm_trie", 8, 4, 8);
    for (const k of [ip4(24, 10, 0, 0, 0), ip4(8, 11, 0, 0, 0), ip4(24, 9, 0, 0, 0), ip4(8, 10, 0, 0, 0)]) m.update(k, u32(0), ANY);
    expect(keysOf(m)).toEqual([ip4(8, 10, 0, 0, 0), ip4(8, 11, 0, 0, 0), ip4(24, 9, 0, 0, 0), ip4(24, 10, 0, 0, 0)].map(hex));
  });

  it("IPv6-sized keys work (prefixlen up to 128)", () => {
    const m = make("lpm_trie", 20, 4, 4);
    const k = (len: number, first: number) => Uint8Array.from([...u32(len), first, 0xdb8 >> 8, 0xb8, ...new Array(13).fill(0)]);
    expect(m.update(k(128, 0x20), u32(1), ANY)).toBe(0);
    expect(m.update(k(129, 0x20), u32(1), ANY)).toBe(-ERRNO.EINVAL);
    expect(m.update(k(3, 0x20), u32(3), ANY)).toBe(0);
    expect(m.lookup(k(128, 0x3f))?.[0]).toBe(3);
  });
});
