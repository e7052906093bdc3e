// Outside tools for the ELF loader tests (STYLE.md §8: `requires: clang, llvm-objdump`):
// compiling the C fixtures with clang and reading llvm-objdump's view of the result, so
// that the loader is checked against LLVM's own reading of the object.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0;
}

/** Why the clang-based tests cannot run here, or undefined when they can. */
export function missingTools(): string | undefined {
  const missing = ["clang", "llvm-objdump"].filter((t) => !runs(t, ["--version"]));
  return missing.length ? `requires: ${missing.join(", ")} (not found on PATH)` : undefined;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  return r.stdout;
}

/** The multiarch include dir that Debian's `clang -target bpf` needs for <asm/types.h>. */
function multiarchInclude(): string {
  const triple = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" });
  return `/usr/include/${triple.status === 0 ? triple.stdout.trim() : "x86_64-linux-gnu"}`;
}

/** A fresh temp folder for compiled fixtures; the caller removes it with removeDir in afterAll. */
export function makeTempDir(): string {
  return mkdtempSync(join(tmpdir(), "bpfoff-elf-"));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Compiles C fixtures into `dir`; returns object bytes by fixture base name. */
export function compileFixtures(dir: string, sources: readonly string[]): Map<string, { path: string; bytes: Uint8Array }> {
  const inc = multiarchInclude();
  const out = new Map<string, { path: string; bytes: Uint8Array }>();
  for (const src of sources) {
    const name = basename(src, ".c");
    const obj = join(dir, `${name}.o`);
    run("clang", ["-O2", "-g", "-target", "bpf", `-I${inc}`, "-c", src, "-o", obj]);
    out.set(name, { path: obj, bytes: new Uint8Array(readFileSync(obj)) });
  }
  return out;
}

export interface DumpSlot {
  /** Slot index in the section, as llvm-objdump numbers them. */
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly text: string;
}
export interface DumpReloc {
  /** Byte offset in the section. */
  readonly offset: number;
  readonly type: string;
  readonly symbol: string;
}
export interface DumpSymbol {
  readonly name: string;
  readonly value: number;
  readonly size: number;
  readonly section: string;
  readonly global: boolean;
  readonly kind: "F" | "O" | "d" | "df" | "";
}
export interface Dump {
  /** Slots by section name; an lddw's 16 bytes are one entry at its first index. */
  readonly slots: Map<string, DumpSlot[]>;
  readonly relocs: Map<string, DumpReloc[]>;
  readonly symbols: DumpSymbol[];
}

/** Parses `llvm-objdump -dr` and `llvm-objdump -t` of an object. */
export function objdump(path: string): Dump {
  const slots = new Map<string, DumpSlot[]>();
  const relocs = new Map<string, DumpReloc[]>();
  let section = "";
  for (const line of run("llvm-objdump", ["-dr", path]).split("\n")) {
    const sec = /^Disassembly of section (.*):$/.exec(line);
    if (sec) {
      section = sec[1]!;
      slots.set(section, []);
      relocs.set(section, []);
      continue;
    }
    // "      11:	18 01 00 00 ... 00	r1 = 0 ll"
    const ins = /^\s*(\d+):\t((?:[0-9a-f]{2} ?)+)\t(.*)$/.exec(line);
    if (ins) {
      const bytes = Uint8Array.from(ins[2]!.trim().split(" "), (h) => parseInt(h, 16));
      slots.get(section)!.push({ index: Number(ins[1]), bytes, text: ins[3]!.trim() });
      continue;
    }
    // "		0000000000000058:  R_BPF_64_64	flows"
    const rel = /^\s+([0-9a-f]+):\s+(R_BPF_\w+)\s+(\S+)/.exec(line);
    if (rel) relocs.get(section)!.push({ offset: parseInt(rel[1]!, 16), type: rel[2]!, symbol: rel[3]! });
  }
  const symbols: DumpSymbol[] = [];
  for (const line of run("llvm-objdump", ["-t", path]).split("\n")) {
    // "0000000000000038 l     F .text	0000000000000020 mix"
    const m = /^([0-9a-f]{16}) (.)(.{6}) (\S+)\t([0-9a-f]{16}) (.*)$/.exec(line);
    if (!m) continue;
    const flags = m[3]!.trim();
    symbols.push({
      name: m[6]!,
      value: parseInt(m[1]!, 16),
      size: parseInt(m[5]!, 16),
      section: m[4]!,
      global: m[2] === "g",
      kind: (flags.includes("F") ? "F" : flags.includes("O") ? "O" : flags === "df" ? "df" : flags === "d" ? "d" : "") as DumpSymbol["kind"],
    });
  }
  return { slots, relocs, symbols };
}

/** Slot count of a byte range of a section, from objdump's slot numbering. */
export function slotCount(dump: Dump, section: string, fromByte: number, sizeBytes: number): number {
  const list = dump.slots.get(section) ?? [];
  return list.filter((s) => s.index * 8 >= fromByte && s.index * 8 < fromByte + sizeBytes).reduce((n, s) => n + s.bytes.length / 8, 0);
}
