// pcap and pcapng reading, classic pcap writing. Fixtures in foreign byte orders are
// written by hand here (not by writePcap), so reader and writer cannot share a bug.
// requires: tcpdump (for the cross-check; skipped locally when absent, a failure under CI=true)
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { readPcap, writePcap, type Pcap } from "../../../runtime/packet/pcap.js";

const PKT_A = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x06, 0xde, 0xad]);
const PKT_B = Uint8Array.from([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x86, 0xdd, 1, 2, 3, 4, 5]);

const SAMPLE: Pcap = {
  linkType: 1,
  snapLen: 65535,
  nanos: false,
  packets: [
    { tsSec: 1_700_000_000, tsFrac: 123_456, origLen: PKT_A.length, data: PKT_A },
    // Captured shorter than on the wire (snap length), to check origLen survives.
    { tsSec: 1_700_000_001, tsFrac: 999_999, origLen: 1500, data: PKT_B },
  ],
};

/** Byte writer for hand-made fixtures in either byte order. */
class Bytes {
  private readonly out: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(...v: number[]): this {
    this.out.push(...v);
    return this;
  }
  u16(v: number): this {
    return this.le ? this.u8(v & 0xff, v >>> 8) : this.u8(v >>> 8, v & 0xff);
  }
  u32(v: number): this {
    const b = [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    return this.u8(...(this.le ? b.reverse() : b));
  }
  bytes(b: Uint8Array): this {
    return this.u8(...b);
  }
  get length(): number {
    return this.out.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

function classicFixture(le: boolean, nanos: boolean, p: Pcap): Uint8Array {
  const b = new Bytes(le).u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(p.snapLen).u32(p.linkType);
  for (const k of p.packets) b.u32(k.tsSec).u32(k.tsFrac).u32(k.data.length).u32(k.origLen).bytes(k.data);
  return b.done();
}

/** A pcapng block: type, total length, body padded to 32 bits, total length again. */
function block(le: boolean, type: number, body: Uint8Array): Uint8Array {
  const pad = (4 - (body.length % 4)) % 4;
  const total = 12 + body.length + pad;
  return new Bytes(le).u32(type).u32(total).bytes(body).u8(...new Array<number>(pad).fill(0)).u32(total).done();
}

function pcapngFixture(le: boolean): Uint8Array {
  const B = () => new Bytes(le);
  const shb = block(le, 0x0a0d0d0a, B().u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).done());
  // Interface with if_tsresol = 9 (nanoseconds), then opt_endofopt.
  const idb = block(le, 1, B().u16(1).u16(0).u32(65535).u16(9).u16(1).u8(9, 0, 0, 0).u16(0).u16(0).done());
  const ts = 1_700_000_000n * 1_000_000_000n + 123_456_789n;
  const epb = block(le, 6, B().u32(0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(PKT_A.length).u32(PKT_A.length).bytes(PKT_A).done());
  const unknown = block(le, 0x00000bad, B().u32(42).done());
  const spb = block(le, 3, B().u32(PKT_B.length).bytes(PKT_B).done());
  return Uint8Array.from([...shb, ...idb, ...epb, ...unknown, ...spb]);
}

function diagnosticOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof DiagnosticError) {
      expect(e.diagnostics[0]!.code).toBe("pcap-format");
      return e.diagnostics[0]!.message;
    }
    throw e;
  }
  throw new Error("expected a pcap-format diagnostic");
}

describe("classic pcap", () => {
  it("round-trips packets, timestamps and origLen", () => {
    const bytes = writePcap(SAMPLE);
    expect(readPcap(bytes, "t.pcap")).toEqual(SAMPLE);
    expect(writePcap(readPcap(bytes, "t.pcap"))).toEqual(bytes);
  });

  it("round-trips any capture (property)", () => {
    const packet = fc.record({
      tsSec: fc.nat({ max: 0xffffffff }),
      tsFrac: fc.nat({ max: 999_999 }),
      extra: fc.nat({ max: 70000 }),
      data: fc.uint8Array({ maxLength: 200 }),
    });
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 8 }), fc.nat({ max: 262144 }), (pkts, snapLen) => {
        const p: Pcap = { linkType: 1, snapLen, nanos: false, packets: pkts.map((k) => ({ tsSec: k.tsSec, tsFrac: k.tsFrac, origLen: k.data.length + k.extra, data: k.data })) };
        const back = readPcap(writePcap(p), "p.pcap");
        expect(back.packets).toEqual(p.packets);
        expect(back.snapLen).toBe(Math.max(snapLen, ...pkts.map((k) => k.data.length)));
      }),
    );
  });

  it("writes the little-endian microsecond header", () => {
    const bytes = writePcap(SAMPLE);
    expect(Array.from(bytes.subarray(0, 8))).toEqual([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0]);
    expect(bytes.length).toBe(24 + 16 + PKT_A.length + 16 + PKT_B.length);
  });

  it("keeps nanosecond timestamps with the nanosecond magic", () => {
    const p: Pcap = { ...SAMPLE, nanos: true, packets: [{ ...SAMPLE.packets[0]!, tsFrac: 999_999_999 }] };
    expect(readPcap(writePcap(p), "n.pcap")).toEqual(p);
  });

  it("raises origLen and snapLen so records stay well-formed", () => {
    const p: Pcap = { ...SAMPLE, snapLen: 4, packets: [{ tsSec: 1, tsFrac: 2, origLen: 0, data: PKT_A }] };
    const back = readPcap(writePcap(p), "g.pcap");
    expect(back.packets[0]!.origLen).toBe(PKT_A.length);
    expect(back.snapLen).toBe(PKT_A.length);
  });

  for (const le of [true, false]) {
    for (const nanos of [false, true]) {
      it(`reads a hand-written ${le ? "little" : "big"}-endian ${nanos ? "nanosecond" : "microsecond"} file`, () => {
        const p: Pcap = { ...SAMPLE, nanos };
        expect(readPcap(classicFixture(le, nanos, p), "h.pcap")).toEqual(p);
      });
    }
  }

  it("reads an empty capture", () => {
    const p: Pcap = { linkType: 1, snapLen: 262144, nanos: false, packets: [] };
    expect(readPcap(writePcap(p), "e.pcap")).toEqual(p);
  });

  it("diagnoses every truncation, or reads the whole records before the cut", () => {
    const bytes = classicFixture(false, false, SAMPLE);
    const recordEnds = [24, 24 + 16 + PKT_A.length];
    for (let cut = 0; cut < bytes.length; cut++) {
      const prefix = bytes.slice(0, cut);
      const k = recordEnds.indexOf(cut);
      if (k >= 0) {
        // A cut on a record boundary is a valid, shorter capture.
        expect(readPcap(prefix, "cut.pcap").packets).toEqual(SAMPLE.packets.slice(0, k));
      } else {
        expect(diagnosticOf(() => readPcap(prefix, "cut.pcap"))).toMatch(/^at byte \d+: /);
      }
    }
  });

  it("names the offending byte for a bad magic, a bad version and a bad record", () => {
    expect(diagnosticOf(() => readPcap(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), "x"))).toBe(
      "at byte 0: unknown magic number 0x04030201: not a pcap or pcapng file",
    );
    const badVersion = writePcap(SAMPLE);
    badVersion[4] = 3;
    expect(diagnosticOf(() => readPcap(badVersion, "x"))).toBe("at byte 4: unsupported pcap major version 3 (expected 2)");
    const badLen = writePcap(SAMPLE);
    badLen[24 + 12] = 1; // origLen 1 < capLen 16
    expect(diagnosticOf(() => readPcap(badLen, "x"))).toBe("at byte 32: packet 0 captured length 16 exceeds its original length 1");
    const huge = writePcap(SAMPLE);
    huge[24 + 8 + 3] = 0x7f; // capLen ~2 GiB: must be a diagnostic, not an allocation
    expect(diagnosticOf(() => readPcap(huge, "x"))).toMatch(/^at byte 32: packet 0 captured length \d+ exceeds/);
  });

  it("puts the file name in the diagnostic location", () => {
    try {
      readPcap(new Uint8Array(3), "some/file.pcap");
    } catch (e) {
      expect((e as DiagnosticError).diagnostics[0]!.loc).toEqual({ file: "some/file.pcap" });
      return;
    }
    throw new Error("no diagnostic");
  });
});

describe("pcapng", () => {
  const expected: Pcap = {
    linkType: 1,
    snapLen: 65535,
    nanos: true,
    packets: [
      { tsSec: 1_700_000_000, tsFrac: 123_456_789, origLen: PKT_A.length, data: PKT_A },
      // Simple packet blocks carry no timestamp.
      { tsSec: 0, tsFrac: 0, origLen: PKT_B.length, data: PKT_B },
    ],
  };

  for (const le of [true, false]) {
    it(`reads SHB, IDB (if_tsresol), EPB and SPB, skipping unknown blocks (${le ? "little" : "big"}-endian)`, () => {
      expect(readPcapng(pcapngFixture(le))).toEqual(expected);
    });
  }

  it("converts to classic pcap", () => {
    const back = readPcap(writePcap(readPcapng(pcapngFixture(true))), "x.pcap");
    expect(back).toEqual(expected);
  });

  it("uses microseconds when no interface sets if_tsresol", () => {
    const le = true;
    const B = () => new Bytes(le);
    const shb = block(le, 0x0a0d0d0a, B().u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).done());
    const idb = block(le, 1, B().u16(1).u16(0).u32(0).done());
    const epb = block(le, 6, B().u32(0).u32(0).u32(3_000_001).u32(PKT_A.length).u32(100).bytes(PKT_A).done());
    const p = readPcap(Uint8Array.from([...shb, ...idb, ...epb]), "u.pcapng");
    expect(p.nanos).toBe(false);
    expect(p.packets).toEqual([{ tsSec: 3, tsFrac: 1, origLen: 100, data: PKT_A }]);
  });

  it("diagnoses every truncation, or reads the whole blocks before the cut", () => {
    const bytes = pcapngFixture(false);
    // Block boundaries: after SHB (28 bytes), IDB (32), EPB (48), unknown block (16).
    const goodCuts = new Map<number, number>([
      [28, 0],
      [60, 0],
      [60 + 48, 1],
      [60 + 48 + 16, 1],
    ]);
    for (let cut = 0; cut < bytes.length; cut++) {
      const prefix = bytes.slice(0, cut);
      const k = goodCuts.get(cut);
      if (k !== undefined) expect(readPcapng(prefix).packets).toEqual(expected.packets.slice(0, k));
      else expect(diagnosticOf(() => readPcapng(prefix))).toMatch(/^at byte \d+: /);
    }
  });

  it("diagnoses a packet for an undeclared interface", () => {
    const le = true;
    const B = () => new Bytes(le);
    const shb = block(le, 0x0a0d0d0a, B().u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff).done());
    const epb = block(le, 6, B().u32(0).u32(0).u32(0).u32(0).u32(0).done());
    expect(diagnosticOf(() => readPcap(Uint8Array.from([...shb, ...epb]), "x"))).toBe(
      "at byte 36: packet refers to interface 0, but the section has 0",
    );
  });

  function readPcapng(b: Uint8Array): Pcap {
    return readPcap(b, "t.pcapng");
  }
});

describe("tcpdump reads what we write", () => {
  const hasTcpdump = spawnSync("tcpdump", ["--version"]).status === 0;
  if (!hasTcpdump && process.env.CI === "true") {
    it("requires tcpdump", () => {
      throw new Error("tcpdump is not installed, and CI=true requires it");
    });
  }
  it.skipIf(!hasTcpdump)("tcpdump -r -nn -xx (requires: tcpdump)", () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-pcap-"));
    try {
      const file = join(dir, "t.pcap");
      writeFileSync(file, writePcap(SAMPLE));
      const out = execFileSync("tcpdump", ["-r", file, "-nn", "-xx", "-tt"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      const lines = out.trim().split("\n");
      // One summary line per packet, timestamps as written, then the hex dump of the captured bytes.
      const summaries = lines.filter((l) => /^\d+\.\d+ /.test(l));
      expect(summaries.map((l) => l.split(" ")[0])).toEqual(["1700000000.123456", "1700000001.999999"]);
      const hex = lines
        .filter((l) => l.startsWith("\t0x"))
        .map((l) => l.replace(/^\t0x[0-9a-f]+:\s+/, "").replace(/\s+/g, ""))
        .join("");
      const expectedHex = SAMPLE.packets.map((p) => Buffer.from(p.data).toString("hex")).join("");
      expect(hex).toBe(expectedHex);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  if (!hasTcpdump) it.skip("tcpdump cross-check skipped: tcpdump not found on PATH", () => {});
});
