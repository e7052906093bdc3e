// The verifier's corpus: assembler programs under corpus/{safe,unsafe}/*.s and C programs
// under corpus/c/*.c. Header comments of a .s file:
//   # expect: <substring of the rejection reason>   (unsafe programs, first line)
//   # type: raw                                      (the raw-memory program type; xdp otherwise)
//   # patch: <insn> <field>=<value>                  (applied after assembling: for what the
//                                                     assembler refuses to write, e.g. r10 as dst)
// A .c file says `// expect: ...` on its first line when the verifier must reject it.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assemble } from "../../frontends/bpf/asm/assemble.js";
import type { BpfObject } from "../../ir/bpf/object.js";
import type { Insn } from "../../ir/bpf/insn.js";

export const CORPUS = join(dirname(fileURLToPath(import.meta.url)), "corpus");

export interface CorpusProgram {
  readonly name: string;
  readonly file: string;
  readonly safe: boolean;
  readonly expect?: string;
  readonly type: "xdp" | "raw";
  readonly object: BpfObject;
}

function header(text: string, key: string): string[] {
  const re = new RegExp(`^(?:#|//) ${key}: (.*)$`, "gm");
  return [...text.matchAll(re)].map((m) => m[1]!.trim());
}

function applyPatches(obj: BpfObject, patches: readonly string[]): BpfObject {
  if (!patches.length) return obj;
  const prog = obj.programs[0]!;
  const slots: Insn[] = prog.slots.map((s) => ({ ...s }));
  for (const p of patches) {
    const m = /^(\d+) (dst|src|off|imm|opcode)=(-?\d+)$/.exec(p);
    if (!m) throw new Error(`bad patch line '${p}'`);
    (slots[Number(m[1])] as { -readonly [K in keyof Insn]: number })[m[2] as keyof Insn] = Number(m[3]);
  }
  return { ...obj, programs: [{ ...prog, slots }] };
}

export function loadAsmProgram(file: string, safe: boolean): CorpusProgram {
  const text = readFileSync(file, "utf8");
  const name = file.split("/").pop()!.replace(/\.s$/, "");
  const expect = header(text, "expect")[0];
  const type = header(text, "type")[0] === "raw" ? "raw" : "xdp";
  const object = applyPatches(assemble(text, file), header(text, "patch"));
  return { name, file, safe, expect, type, object };
}

export function asmCorpus(kind: "safe" | "unsafe"): CorpusProgram[] {
  const dir = join(CORPUS, kind);
  return readdirSync(dir).filter((f) => f.endsWith(".s")).sort().map((f) => loadAsmProgram(join(dir, f), kind === "safe"));
}

export function cCorpusFiles(): string[] {
  const dir = join(CORPUS, "c");
  return readdirSync(dir).filter((f) => f.endsWith(".c")).sort().map((f) => join(dir, f));
}

export function cExpect(file: string): string | undefined {
  return header(readFileSync(file, "utf8"), "expect")[0];
}

/** Debian puts asm/types.h under the multiarch include directory; clang -target bpf does not look there. */
export function multiarchInclude(): string[] {
  const r = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" });
  return r.status === 0 ? [`-I/usr/include/${r.stdout.trim()}`] : [];
}

export function clangAvailable(): boolean {
  return spawnSync("clang", ["--version"]).status === 0;
}

/** clang -O2 -g -target bpf; throws with clang's output when it fails. */
export function compileBpf(src: string, out: string): void {
  const args = ["-O2", "-g", "-target", "bpf", ...multiarchInclude(), "-c", src, "-o", out];
  const r = spawnSync("clang", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`clang ${args.join(" ")} failed:\n${r.stderr}`);
}
