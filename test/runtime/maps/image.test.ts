// Map images: round trips for every kind, the byte layout of docs/map-image.md, and a
// map-format diagnostic (file + byte offset) for each kind of damage.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { UPDATE_FLAGS, type MapKind } from "../../../runtime/maps/def.js";
import { crc32 } from "../../../runtime/maps/crc32.js";
import { decodeMapImage, encodeMapImage, recordLayout } from "../../../runtime/maps/image.js";
import { createMap, isTcam, type BpfMap } from "../../../runtime/maps/index.js";
import { bytes, def, ip4, make, u32, u64 } from "./helpers.js";

const { ANY } = UPDATE_FLAGS;

function sample(kind: MapKind): BpfMap {
  switch (kind) {
    case "array":
    case "percpu_array": {
      const m = make(kind, 4, 6, 3);
      m.update(u32(1), bytes(1, 2, 3, 4, 5, 6), ANY);
      return m;
    }
    case "hash":
    case "percpu_hash":
    case "lru_hash": {
      const m = make(kind, 3, 8, 8);
      for (const k of [9, 3, 7]) m.update(bytes(k, 0, k), u64(k * 1000), ANY);
      m.lookup(bytes(9, 0, 9));
      return m;
    }
    case "lpm_trie": {
      const m = make(kind, 8, 4, 8);
      m.update(ip4(24, 10, 1, 2, 0), u32(24), ANY);
      m.update(ip4(0, 0, 0, 0, 0), u32(0), ANY);
      m.update(ip4(13, 10, 8, 0, 0), u32(13), ANY);
      return m;
    }
    case "prog_array":
    case "devmap": {
      const m = make(kind, 4, 4, 8);
      m.update(u32(5), u32(2), ANY);
      m.update(u32(1), u32(3), ANY);
      return m;
    }
    case "tcam": {
      const m = make(kind, 5, 2, 8);
      if (!isTcam(m)) throw new Error("tcam");
      m.insert(bytes(10, 0, 0, 0, 6), bytes(255, 0, 0, 0, 255), 5, bytes(1, 1));
      m.insert(bytes(0, 0, 0, 0, 0), bytes(0, 0, 0, 0, 0), 0, bytes(2, 2));
      m.insert(bytes(10, 1, 0, 0, 17), bytes(255, 255, 0, 0, 255), 5, bytes(3, 3));
      return m;
    }
  }
}

const KINDS: MapKind[] = ["hash", "array", "prog_array", "percpu_hash", "percpu_array", "lru_hash", "lpm_trie", "devmap", "tcam"];

describe("map image round trip", () => {
  for (const kind of KINDS)
    it(kind, () => {
      const m = sample(kind);
      const image = encodeMapImage(m);
      const back = decodeMapImage(image, "m.img");
      expect(back.def).toEqual(m.def);
      expect([...back.entries()]).toEqual([...m.entries()]);
      expect(Buffer.from(encodeMapImage(back)).equals(Buffer.from(image))).toBe(true);
    });

  it("keeps an LRU map's recency order", () => {
    const back = decodeMapImage(encodeMapImage(sample("lru_hash")), "m.img");
    back.update(bytes(1, 1, 1), u64(1), ANY);
    for (let i = 0; i < 4; i++) back.update(bytes(2, 2, i), u64(1), ANY);
    // 8 entries now; the next insert evicts the least recently used: key 3 (9 was looked up).
    back.update(bytes(4, 4, 4), u64(1), ANY);
    expect(back.lookup(bytes(3, 0, 3))).toBeUndefined();
    expect(back.lookup(bytes(9, 0, 9))).toBeDefined();
  });
});

describe("map image layout", () => {
  it("matches docs/map-image.md byte for byte", () => {
    const m = createMap(def("hash", 3, 5, 16, 0, "flows"));
    m.update(bytes(0xa, 0xb, 0xc), bytes(1, 2, 3, 4, 5), ANY);
    const img = encodeMapImage(m);
    const dv = new DataView(img.buffer);
    expect(Buffer.from(img.subarray(0, 8)).toString("latin1")).toBe("BPFOFFMI");
    expect(dv.getUint16(8, true)).toBe(1); // version
    expect(dv.getUint16(10, true)).toBe(128); // header size
    expect(dv.getUint32(16, true)).toBe(img.length);
    expect(dv.getUint32(20, true)).toBe(1); // BPF_MAP_TYPE_HASH
    expect([24, 28, 32, 36, 40].map((o) => dv.getUint32(o, true))).toEqual([3, 5, 16, 0, 1]);
    expect([44, 48, 52].map((o) => dv.getUint32(o, true))).toEqual([24, 8, 8]); // record, key field, value field
    expect(Buffer.from(img.subarray(64, 70)).toString("latin1")).toBe("flows\0");
    // Record: priority 0, reserved 0, key padded to 8, value padded to 8.
    expect(Buffer.from(img.subarray(128)).toString("hex")).toBe("0000000000000000" + "0a0b0c0000000000" + "0102030405000000");
    expect(img.length).toBe(128 + 24);
    const crc = crc32(img.subarray(16), crc32(img.subarray(0, 12)));
    expect(dv.getUint32(12, true)).toBe(crc);
  });

  it("uses the standard CRC-32 (zlib's)", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });

  it("places TCAM masks after keys and aligns every field to 8 bytes", () => {
    expect(recordLayout({ kind: "tcam", keySize: 13, valueSize: 4 })).toEqual({ recordSize: 48, keyOffset: 8, keyField: 16, maskOffset: 24, valueOffset: 40, valueField: 8 });
    expect(recordLayout({ kind: "array", keySize: 4, valueSize: 8 })).toEqual({ recordSize: 24, keyOffset: 8, keyField: 8, maskOffset: undefined, valueOffset: 16, valueField: 8 });
  });

  it("is deterministic and holds every array index", () => {
    const a = encodeMapImage(sample("array"));
    expect(Buffer.from(a).equals(Buffer.from(encodeMapImage(sample("array"))))).toBe(true);
    expect(new DataView(a.buffer).getUint32(40, true)).toBe(3);
  });

  it("refuses a name that does not fit", () => {
    expect(() => encodeMapImage(createMap(def("hash", 4, 4, 1, 0, "n".repeat(64))))).toThrow(/at most 63 bytes/);
  });
});

/** Recomputes the CRC after a test damages the image on purpose. */
function reseal(img: Uint8Array): Uint8Array {
  new DataView(img.buffer, img.byteOffset).setUint32(12, crc32(img.subarray(16), crc32(img.subarray(0, 12))), true);
  return img;
}
function setU32(img: Uint8Array, off: number, v: number): Uint8Array {
  new DataView(img.buffer, img.byteOffset).setUint32(off, v, true);
  return img;
}

function decodeError(img: Uint8Array): { message: string; file?: string; code: string } {
  try {
    decodeMapImage(img, "bad.img");
  } catch (e) {
    if (!(e instanceof DiagnosticError)) throw e;
    expect(e.diagnostics).toHaveLength(1);
    const d = e.diagnostics[0]!;
    return { message: d.message, file: d.loc.file, code: d.code };
  }
  throw new Error("decoded a damaged image");
}

describe("damaged map images", () => {
  const hashImg = () => encodeMapImage(sample("hash")); // 3-byte keys, 8-byte values: records of 24 bytes
  const rec0 = 128;
  const cases: [string, () => Uint8Array, RegExp][] = [
    ["bad magic", () => Uint8Array.from(Buffer.from("\x7fELF\x02\x01\x01\0" + "\0".repeat(200), "latin1")), /^byte offset 0 \(0x0\): bad magic \(7f 45 4c 46 02 01 01 00\): not a bpfoff map image/],
    ["empty file", () => new Uint8Array(0), /^byte offset 0 .*truncated map image: 0 bytes/],
    ["truncated header", () => hashImg().slice(0, 100), /^byte offset 100 .*truncated map image: 100 bytes, need at least 128/],
    ["unknown version", () => reseal(hashImg().fill(2, 8, 9)), /^byte offset 8 .*unsupported map image version 2/],
    ["truncated records", () => hashImg().slice(0, -5), /^byte offset 195 .*the header says 200 bytes, the file has 195/],
    ["trailing bytes", () => Uint8Array.from([...hashImg(), 0, 0]), /^byte offset 200 .*2 trailing bytes/],
    ["flipped bit", () => { const b = hashImg(); b[rec0 + 9]! ^= 1; return b; }, /^byte offset 12 .*checksum mismatch: stored CRC-32 0x[0-9a-f]{8}, computed/],
    ["header size", () => reseal(hashImg().fill(64, 10, 11)), /^byte offset 10 .*header size is 64/],
    ["reserved header bytes", () => reseal(hashImg().fill(1, 60, 61)), /^byte offset 60 .*reserved header byte/],
    ["unknown map type", () => reseal(setU32(hashImg(), 20, 99)), /^byte offset 20 .*unknown map type 99/],
    ["invalid definition", () => reseal(setU32(hashImg(), 32, 0)), /^byte offset 24 .*max entries must be/],
    ["name without NUL", () => reseal(hashImg().fill(0x41, 64, 128)), /^byte offset 64 .*not NUL-terminated/],
    ["record size", () => reseal(setU32(hashImg(), 44, 32)), /^byte offset 44 .*recordSize is 32/],
    ["count past max entries", () => reseal(setU32(hashImg(), 40, 9)), /^byte offset 40 .*9 entries, but max entries is 8/],
    ["count and size disagree", () => reseal(setU32(hashImg(), 40, 2)), /^byte offset 40 .*2 records of 24 bytes/],
    ["record padding", () => reseal(hashImg().fill(1, rec0 + 11, rec0 + 12)), /^byte offset 139 .*record 0: padding byte is not zero/],
    ["priority on a hash", () => reseal(setU32(hashImg(), rec0 + 24, 3)), /^byte offset 152 .*record 1: priority 3 on a hash map/],
    ["duplicate key", () => { const b = hashImg(); b.copyWithin(rec0 + 24 + 8, rec0 + 8, rec0 + 11); return reseal(b); }, /^byte offset 160 .*record 1: duplicate key/],
  ];
  for (const [what, img, msg] of cases)
    it(what, () => {
      const e = decodeError(img());
      expect(e.code).toBe("map-format");
      expect(e.file).toBe("bad.img");
      expect(e.message).toMatch(msg);
    });

  it("array records out of order", () => {
    const b = encodeMapImage(sample("array")); // 24-byte records
    setU32(b, 128 + 24 + 8, 0);
    expect(decodeError(reseal(b)).message).toMatch(/^byte offset 160 .*record 1: index 0 is out of order/);
  });
  it("array image missing indices", () => {
    const b = encodeMapImage(sample("array")).slice(0, 128 + 48);
    setU32(b, 16, b.length);
    setU32(b, 40, 2);
    expect(decodeError(reseal(b)).message).toMatch(/^byte offset 40 .*array image holds every index: 2 entries, expected 3/);
  });
  it("lpm prefix too long", () => {
    const b = encodeMapImage(sample("lpm_trie"));
    setU32(b, 128 + 8, 33);
    expect(decodeError(reseal(b)).message).toMatch(/record 0: prefix length 33 exceeds 32/);
  });
  it("lpm bits past the prefix", () => {
    const b = encodeMapImage(sample("lpm_trie")); // first record: 0.0.0.0/0
    b[128 + 8 + 4] = 1;
    expect(decodeError(reseal(b)).message).toMatch(/^byte offset 140 .*record 0: lpm key has bits set past its \/0 prefix/);
  });
  it("tcam value bits outside the mask", () => {
    const b = encodeMapImage(sample("tcam"));
    b[128 + 8 + 1] = 0xff; // record 0 (priority 5, first inserted): mask ff 00 00 00 ff
    expect(decodeError(reseal(b)).message).toMatch(/^byte offset 137 .*record 0: tcam value has bits set outside its mask/);
  });
  it("devmap slot with ifindex 0", () => {
    const b = encodeMapImage(sample("devmap"));
    setU32(b, 128 + 16, 0);
    expect(decodeError(reseal(b)).message).toMatch(/record 0: devmap slot with ifindex 0/);
  });
});

describe("map image round trip (random contents)", () => {
  it("decode(encode(m)) has the same definition, entries and bytes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<MapKind>("hash", "lru_hash", "lpm_trie", "tcam", "array", "devmap"),
        fc.array(fc.tuple(fc.uint8Array({ minLength: 9, maxLength: 9 }), fc.nat(40), fc.nat(3)), { maxLength: 20 }),
        (kind, ops) => {
          const m = kind === "lpm_trie" ? make(kind, 9, 3, 16) : kind === "array" || kind === "devmap" ? make(kind, 4, 4, 16) : make(kind, 5, 3, 16);
          for (const [b, n, p] of ops) {
            if (isTcam(m)) m.insert(b.subarray(0, 5), b.subarray(4, 9), p, b.subarray(0, 3));
            else if (kind === "lpm_trie") m.update(Uint8Array.of(n, 0, 0, 0, ...b.subarray(0, 5)), b.subarray(0, 3), ANY);
            else if (kind === "array" || kind === "devmap") m.update(u32(n % 16), b.subarray(0, 4), ANY);
            else m.update(b.subarray(0, 5), b.subarray(5, 8), ANY);
          }
          const img = encodeMapImage(m);
          const back = decodeMapImage(img, "r.img");
          expect(back.def).toEqual(m.def);
          expect([...back.entries()]).toEqual([...m.entries()]);
          expect(Buffer.from(encodeMapImage(back)).equals(Buffer.from(img))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("maps own their bytes", () => {
  it("a map decoded from a Buffer or updated from one does not alias it", () => {
    for (const kind of KINDS) {
      const file = Buffer.from(encodeMapImage(sample(kind)));
      const m = decodeMapImage(file, "m.img");
      const before = JSON.stringify([...m.entries()]);
      file.fill(0xee, 128);
      expect(JSON.stringify([...m.entries()])).toBe(before);
    }
    const h = make("hash", 1, 2, 2);
    const src = Buffer.from([1, 2, 3]);
    h.update(src.subarray(0, 1), src.subarray(1, 3), ANY);
    src.fill(0);
    expect([...h.lookup(bytes(1))!]).toEqual([2, 3]);
  });
});
