// Malformed objects: whatever the bytes, loadElf ends in a DiagnosticError that names
// the file, never in a RangeError from a DataView or any other exception.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readElf } from "../../../frontends/bpf/elf/elf.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import { compileFixtures, makeTempDir, missingTools, removeDir } from "./tools.js";

const here = dirname(fileURLToPath(import.meta.url));
const missing = missingTools();

/** The DiagnosticError loadElf throws for `bytes`; fails the test on success or any other exception. */
function loadError(bytes: Uint8Array, file = "bad.o"): DiagnosticError {
  try {
    loadElf(bytes, file);
  } catch (e) {
    if (e instanceof DiagnosticError) {
      for (const d of e.diagnostics) expect(d.loc.file).toBe(file);
      return e;
    }
    throw new Error(`loadElf threw ${String(e)} instead of a DiagnosticError`, { cause: e });
  }
  throw new Error("loadElf accepted a malformed object");
}

/** A minimal ELF64 header: little-endian, ET_REL, EM_BPF, no sections yet. */
function header(): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  const v = new DataView(b.buffer);
  v.setUint16(16, 1, true); // ET_REL
  v.setUint16(18, 247, true); // EM_BPF
  v.setUint32(20, 1, true); // EV_CURRENT
  v.setUint16(52, 64, true); // e_ehsize
  v.setUint16(58, 64, true); // e_shentsize
  return b;
}

describe("malformed ELF headers", () => {
  it("rejects a bad magic number", () => {
    const b = header();
    b[0] = 0x7e;
    expect(loadError(b).diagnostics[0]!.message).toMatch(/bad magic/);
    expect(loadError(new TextEncoder().encode("int main() {}\n")).diagnostics[0]!.message).toMatch(/bad magic/);
  });

  it("rejects an empty file and every prefix of a header", () => {
    for (let n = 0; n < 64; n++) loadError(header().subarray(0, n));
  });

  it("rejects a 32-bit ELF", () => {
    const b = header();
    b[4] = 1; // ELFCLASS32
    expect(loadError(b).diagnostics[0]!.message).toMatch(/ELFCLASS64/);
  });

  it("rejects a big-endian ELF", () => {
    const b = header();
    b[5] = 2; // ELFDATA2MSB
    expect(loadError(b).diagnostics[0]!.message).toMatch(/little-endian/);
  });

  it("rejects another machine and a non-relocatable type", () => {
    const m = header();
    new DataView(m.buffer).setUint16(18, 62, true); // EM_X86_64
    expect(loadError(m).diagnostics[0]!.message).toMatch(/not BPF/);
    const t = header();
    new DataView(t.buffer).setUint16(16, 2, true); // ET_EXEC
    expect(loadError(t).diagnostics[0]!.message).toMatch(/ET_REL/);
  });

  it("rejects a section header table past the end of the file", () => {
    const b = header();
    const v = new DataView(b.buffer);
    v.setBigUint64(40, 0x1000n, true); // e_shoff
    v.setUint16(60, 3, true); // e_shnum
    v.setUint16(62, 1, true); // e_shstrndx
    expect(loadError(b).diagnostics[0]!.message).toMatch(/section header table .* past the end/);
    v.setBigUint64(40, 0xffffffffffffff00n, true);
    expect(loadError(b).diagnostics[0]!.message).toMatch(/too large/);
  });
});

describe.skipIf(missing !== undefined)("malformed objects derived from a clang object", () => {
  let objects: Map<string, { bytes: Uint8Array }>;
  let dir = "";
  beforeAll(() => {
    dir = makeTempDir();
    const sources = ["globals.c", "subprog.c", "maps_btf.c", "legacy_maps.c"].map((f) => join(here, "fixtures", f));
    objects = compileFixtures(dir, sources);
  });
  afterAll(() => {
    if (dir) removeDir(dir);
  });
  const object = (name: string) => objects.get(name)!.bytes;

  it("gives a DiagnosticError for every truncation", () => {
    for (const name of ["globals", "maps_btf"]) {
      const bytes = object(name);
      // Every prefix up to the section headers, at a stride, and every prefix near the end.
      for (let n = 0; n < bytes.length; n += n < bytes.length - 256 ? 7 : 1) loadError(bytes.subarray(0, n), `${name}.o`);
    }
  });

  it("names the field when a section's contents lie past the end of the file", () => {
    const bytes = object("globals").slice();
    const elf = readElf(bytes, "x.o");
    const xdp = elf.sections.find((s) => s.name === "xdp")!;
    const shoff = Number(new DataView(bytes.buffer).getBigUint64(40, true));
    new DataView(bytes.buffer).setBigUint64(shoff + xdp.index * 64 + 24, BigInt(bytes.length - 8), true); // sh_offset
    const e = loadError(bytes, "x.o");
    expect(e.diagnostics[0]!.code).toBe("elf-format");
    expect(e.diagnostics[0]!.message).toMatch(/section 3 \(xdp\) contents .* past the end of the file/);
  });

  it("reports an unknown relocation type on code with its section and offset", () => {
    const bytes = object("subprog").slice();
    const elf = readElf(bytes, "x.o");
    const rel = elf.relocationSections.find((r) => r.section.name === ".relxdp")!;
    // Second entry (the call at 0x20): r_info's low 32 bits are the type; 2 is R_BPF_64_ABS64.
    new DataView(bytes.buffer).setUint32(rel.section.offset + 16 + 8, 2, true);
    const e = loadError(bytes, "x.o");
    expect(e.diagnostics.map((d) => [d.code, d.message])).toEqual([["elf-reloc-type", "section xdp: unsupported relocation type 2 (R_BPF_64_ABS64) at offset 0x20"]]);
  });

  it("reports a relocation to a symbol that is neither a map nor global data", () => {
    const bytes = object("maps_btf").slice();
    const elf = readElf(bytes, "x.o");
    const rel = elf.relocationSections.find((r) => r.section.name === ".relxdp")!;
    const license = elf.symbols.find((s) => s.name === "LICENSE")!;
    new DataView(bytes.buffer).setUint32(rel.section.offset + 12, license.index, true); // r_info's high half: the symbol
    const e = loadError(bytes, "x.o");
    expect(e.diagnostics[0]!.code).toBe("elf-reloc");
    expect(e.diagnostics[0]!.message).toMatch(/'LICENSE' is in section 'license', which holds neither maps nor global data/);
  });

  it("reports invalid instructions with the program's name and the instruction index", () => {
    const bytes = object("globals").slice();
    const xdp = readElf(bytes, "x.o").sections.find((s) => s.name === "xdp")!;
    bytes[xdp.offset + 2 * 8] = 0xff; // slot 2's opcode: no such instruction
    const e = loadError(bytes, "x.o");
    expect(e.diagnostics.map((d) => ({ code: d.code, insn: d.loc.insn, notes: d.notes }))).toEqual([
      { code: "enc-opcode", insn: 2, notes: ["in program 'xdp_globals' (section xdp)"] },
    ]);
  });

  it("reports a legacy map of a type bpfoff does not model", () => {
    const bytes = object("legacy_maps").slice();
    const maps = readElf(bytes, "x.o").sections.find((s) => s.name === "maps")!;
    new DataView(bytes.buffer).setUint32(maps.offset + 20, 27, true); // the second map's type: BPF_MAP_TYPE_RINGBUF
    const e = loadError(bytes, "x.o");
    expect(e.diagnostics.map((d) => [d.code, d.message])).toContainEqual(["elf-map-type", "map 'seen' has type 27, which bpfoff does not model"]);
  });

  it("survives random byte corruption with either an object or a DiagnosticError", () => {
    // A fixed linear congruential generator: the same corruptions on every run.
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    for (const name of ["globals", "subprog", "maps_btf"]) {
      const original = object(name);
      for (let round = 0; round < 300; round++) {
        const bytes = original.slice();
        for (let k = 1 + rand(4); k > 0; k--) bytes[rand(bytes.length)] = rand(256);
        try {
          loadElf(bytes, `${name}.o`);
        } catch (e) {
          if (!(e instanceof DiagnosticError)) throw new Error(`${name} round ${round}: ${String(e)}`, { cause: e });
        }
      }
    }
  });
});
