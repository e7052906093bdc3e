// The ELF writer with BTF-defined maps (backends/bpf/elf-writer.ts, btf-writer.ts):
// bpfoff's loader reads back exactly the object written, for assembled programs, the
// examples and the ELF loader's fixtures built by clang; LLVM's tools read the result
// without complaint; bpftool prints the map structs from its BTF (requires: clang,
// llvm-readelf, llvm-objdump-19, bpftool); and the kernel loads it (requires: kernel-bpf).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assemble } from "../../../frontends/bpf/asm/assemble.js";
import { loadElf } from "../../../frontends/bpf/elf/load.js";
import { readElf } from "../../../frontends/bpf/elf/elf.js";
import { parseBtf } from "../../../frontends/bpf/elf/btf.js";
import { writeElf } from "../../../backends/bpf/elf-writer.js";
import { DiagnosticError } from "../../../ir/diag/diag.js";
import type { BpfObject } from "../../../ir/bpf/object.js";
import { hasTool, IN_CI } from "../../support/requires.js";
import { kernelUnavailable, runInKernel } from "../../examples/kernel.js";
import { buildExamples } from "../../examples/packets.js";
import { canonicalMaps } from "../../examples/models.js";
import { canonicalObject, clangBuild, clangMissing, EXAMPLES, exampleSource, FIXTURES, fixtureSource, readBytes } from "./support.js";

const dir = mkdtempSync(join(tmpdir(), "bpfoff-elfw-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every map kind the kernel has, a subprogram that uses a map too, and a callback address. */
export const ASM_ALL_MAPS = `.map h hash key=4 value=8 entries=16
.map a array key=4 value=8 entries=4
.map pa prog_array key=4 value=4 entries=2
.map ph percpu_hash key=8 value=16 entries=8
.map pc percpu_array key=4 value=4 entries=2
.map lru lru_hash key=6 value=2 entries=8
.map lpm lpm_trie key=8 value=4 entries=16 flags=1
.map dev devmap key=4 value=4 entries=4
lddw %r1, map(h)
lddw %r1, map(a)
lddw %r1, map(pa)
lddw %r1, map(ph)
lddw %r1, map(pc)
lddw %r1, map(lpm)
lddw %r1, map(dev)
call local sub
mov %r0, 2
exit
sub:
lddw %r1, map(lru)
mov %r0, 0
exit
`;

const ASM_NO_MAPS = "mov %r0, 1\nexit\n";

function asmObject(src: string, name = "prog", section = "xdp"): BpfObject {
  const o = assemble(src, `${name}.s`);
  const p = o.programs[0]!;
  // The entry function is named after the program, as the ELF loader names it.
  const functions = new Map([...p.functions].map(([k, v]) => [k, k === 0 ? name : v]));
  return { ...o, programs: [{ ...p, name, section, functions }], license: "GPL" };
}

function roundTrip(o: BpfObject, file: string): { bytes: Uint8Array; back: BpfObject } {
  const bytes = writeElf(o);
  return { bytes, back: loadElf(bytes, file) };
}

describe("writeElf: bpfoff's loader reads back the object written", () => {
  it.each([["all map kinds", ASM_ALL_MAPS], ["no maps", ASM_NO_MAPS]])("assembled: %s", (_, src) => {
    const o = asmObject(src);
    const { bytes, back } = roundTrip(o, "x.o");
    expect(canonicalObject(back)).toEqual(canonicalObject(o));
    // A fixpoint, and deterministic: writing the reloaded object gives the same bytes.
    expect(Buffer.from(writeElf(back)).equals(Buffer.from(bytes))).toBe(true);
  });

  it("writes .maps, .BTF and .BTF.ext, and no legacy maps section", () => {
    const elf = readElf(writeElf(asmObject(ASM_ALL_MAPS)), "x.o");
    const names = elf.sections.map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(["xdp", ".text", ".maps", "license", ".BTF", ".BTF.ext", ".relxdp", ".rel.text", ".symtab", ".strtab"]));
    expect(names).not.toContain("maps");
    const btf = parseBtf(elf.sections.find((s) => s.name === ".BTF")!.data, "x.o");
    const sec = btf.types.find((t) => t?.kind === "DATASEC")!;
    expect(sec.name).toBe(".maps");
    expect(sec.members.length).toBe(8);
    const funcs = btf.types.filter((t) => t?.kind === "FUNC").map((t) => t!.name);
    expect(funcs).toEqual(["prog", "sub"]);
  });

  it("refuses a tcam map in a kernel-loadable object, writes it for bpfoff's own tools otherwise", () => {
    const o = asmObject(".map acl tcam key=4 value=4 entries=8\nlddw %r1, map(acl)\nmov %r0, 2\nexit\n");
    let err: unknown;
    try {
      writeElf(o, { kernelLoadable: true });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DiagnosticError);
    expect((err as DiagnosticError).diagnostics[0]!.code).toBe("bpf-kernel-map");
    expect((err as DiagnosticError).message).toMatch(/map 'acl' is a tcam map, which only bpfoff models/);
    expect(canonicalObject(roundTrip(o, "x.o").back)).toEqual(canonicalObject(o));
  });

  it("programs that share a section name share one ELF section, as clang lays them out", () => {
    const a = asmObject("mov %r0, 1\nexit\n", "first");
    const b = asmObject("mov %r0, 2\nexit\n", "second");
    const o: BpfObject = { ...a, programs: [...a.programs, ...b.programs] };
    const bytes = writeElf(o);
    expect(readElf(bytes, "x.o").sections.filter((s) => s.name === "xdp")).toHaveLength(1);
    expect(canonicalObject(loadElf(bytes, "x.o"))).toEqual(canonicalObject(o));
  });

  const inputs = [...EXAMPLES.map((e) => [`examples/${e}`, exampleSource(e), e] as const), ...FIXTURES.map((f) => [`fixture ${f}.c`, fixtureSource(f), `fixture_${f}`] as const)];
  if (clangMissing && IN_CI) it("requires clang", () => expect.fail(`${clangMissing}, and CI=true requires it`));
  for (const [label, src, name] of inputs) {
    it.skipIf(clangMissing !== undefined)(`clang-built ${label} (requires: clang)${clangMissing ? ` — skipped: ${clangMissing}` : ""}`, () => {
      const path = clangBuild(src, dir, name);
      const o = loadElf(readBytes(path), path);
      const { bytes, back } = roundTrip(o, `${name}.rt.o`);
      writeFileSync(join(dir, `${name}.rt.o`), bytes);
      expect(canonicalObject(back)).toEqual(canonicalObject(o));
      expect(Buffer.from(writeElf(back)).equals(Buffer.from(bytes))).toBe(true);
    });
  }
});

const tool = (cmd: string, args: string[]) => spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
const llvmMissing = ["llvm-readelf", "llvm-objdump-19"].filter((t) => !hasTool(t)).join(", ") || undefined;
const bpftoolMissing = hasTool("bpftool", ["version"]) ? undefined : "bpftool not found";

describe("outside tools read bpfoff's objects", () => {
  const objects = () => {
    const list: [string, Uint8Array][] = [["asm_all_maps", writeElf(asmObject(ASM_ALL_MAPS))]];
    if (!clangMissing) for (const e of [...EXAMPLES, "globals", "calls"]) {
      const src = (EXAMPLES as readonly string[]).includes(e) ? exampleSource(e) : fixtureSource(e);
      const path = clangBuild(src, join(dir, "tools"), e);
      list.push([e, writeElf(loadElf(readBytes(path), path))]);
    }
    return list.map(([n, b]) => {
      const p = join(dir, `${n}.tools.o`);
      writeFileSync(p, b);
      return [n, p] as const;
    });
  };

  if (llvmMissing && IN_CI) it("requires llvm", () => expect.fail(`${llvmMissing} missing, and CI=true requires them`));
  it.skipIf(llvmMissing !== undefined)(`llvm-readelf and llvm-objdump-19 read them without complaint (requires: llvm)${llvmMissing ? ` — skipped: ${llvmMissing} missing` : ""}`, () => {
    for (const [name, path] of objects()) {
      const re = tool("llvm-readelf", ["-a", path]);
      expect(re.status, `${name}: ${re.stderr}`).toBe(0);
      expect(re.stderr, name).toBe("");
      const od = tool("llvm-objdump-19", ["-dr", path]);
      expect(od.status, `${name}: ${od.stderr}`).toBe(0);
      expect(od.stderr, name).toBe("");
      if (name === "router") expect(od.stdout).toMatch(/R_BPF_64_64\s+routes/);
      if (name === "globals") expect(od.stdout).toMatch(/R_BPF_64_64\s+\.rodata\b/);
    }
  });

  if (bpftoolMissing && IN_CI) it("requires bpftool", () => expect.fail(`${bpftoolMissing}, and CI=true requires it`));
  it.skipIf(bpftoolMissing !== undefined)(`bpftool btf dump prints the map structs (requires: bpftool)${bpftoolMissing ? ` — skipped: ${bpftoolMissing}` : ""}`, () => {
    const path = join(dir, "btf.o");
    writeFileSync(path, writeElf(asmObject(ASM_ALL_MAPS)));
    const r = tool("bpftool", ["btf", "dump", "file", path]);
    expect(r.status, r.stderr).toBe(0);
    for (const m of ["h", "a", "pa", "ph", "pc", "lru", "lpm", "dev"]) expect(r.stdout).toContain(`VAR '${m}' type_id=`);
    expect(r.stdout).toMatch(/STRUCT '\(anon\)' size=40 vlen=5\n\t'type' type_id=\d+ bits_offset=0\n\t'max_entries' type_id=\d+ bits_offset=64\n\t'map_flags'/);
    expect(r.stdout).toContain("'key_size' type_id="); // prog_array and devmap: sizes, not types
    expect(r.stdout).toContain("'prefixlen' type_id="); // the LPM key struct
    expect(r.stdout).toMatch(/DATASEC '\.maps' size=\d+ vlen=8/);
    expect(r.stdout).toMatch(/FUNC 'prog' type_id=\d+ linkage=global/);
    expect(r.stdout).toMatch(/FUNC 'sub' type_id=\d+ linkage=static/);
  });

  const kernelSkip = kernelUnavailable();
  it(`bpftool loads them into the kernel without a warning (requires: kernel-bpf)${kernelSkip ? ` — skipped: ${kernelSkip}` : ""}`, (ctx) => {
    if (kernelSkip) {
      console.warn(`SKIPPED (requires kernel-bpf): ${kernelSkip}`);
      if (IN_CI && bpftoolMissing) throw new Error(`bpftool is missing under CI=true: ${kernelSkip}`);
      ctx.skip();
      return;
    }
    for (const [name, path] of objects()) {
      const pin = `/sys/fs/bpf/bpfoff-elfw-${process.pid}-${name}`;
      try {
        const r = tool("bpftool", ["prog", "loadall", path, pin, "type", "xdp"]);
        expect(r.status, `${name}: ${r.stderr}`).toBe(0);
        // libbpf prints warnings (missing .BTF.ext info, BTF it had to drop) to stderr.
        expect(r.stderr, name).toBe("");
      } finally {
        rmSync(pin, { recursive: true, force: true });
      }
    }
  });
});

describe("re-written examples on the kernel give what the clang originals give (requires: clang, kernel-bpf)", () => {
  const examples = buildExamples();
  for (const example of examples) {
    it.skipIf(clangMissing !== undefined)(`examples/${example.name}${clangMissing ? ` — skipped: ${clangMissing}` : ""}`, (ctx) => {
      const original = clangBuild(exampleSource(example.name), join(dir, "kernel"), example.name);
      const rewritten = join(dir, "kernel", `${example.name}.bpfoff.o`);
      writeFileSync(rewritten, writeElf(loadElf(readBytes(original), original), { kernelLoadable: true }));
      const packets = example.packets.map((p) => p.data);
      const want = runInKernel(original, packets, example.maps);
      const got = runInKernel(rewritten, packets, example.maps);
      if ("skipped" in want || "skipped" in got) {
        const skipped = "skipped" in want ? want.skipped : "skipped" in got ? got.skipped : "";
        console.warn(`SKIPPED (requires kernel-bpf): examples/${example.name}: ${skipped}`);
        if (IN_CI && bpftoolMissing) throw new Error(`bpftool is missing under CI=true: ${skipped}`);
        ctx.skip();
        return;
      }
      expect(got.packets.map((p) => [p.retval, Buffer.from(p.packet).toString("hex")])).toEqual(want.packets.map((p) => [p.retval, Buffer.from(p.packet).toString("hex")]));
      // Hash maps dump in an order of the kernel's choosing: compare as sets.
      expect(canonicalMaps(got.maps, example.arrayMaps)).toEqual(canonicalMaps(want.maps, example.arrayMaps));
    });
  }
});
