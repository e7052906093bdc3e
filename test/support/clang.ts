// Compiling C with clang for the BPF target, as the examples' README says:
// `clang -O2 -g -target bpf -I/usr/include/$(gcc -dumpmachine)`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasTool } from "./requires.js";

export const HAS_CLANG = hasTool("clang");

function multiarchInclude(): string[] {
  const r = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" });
  return r.status === 0 ? [`-I/usr/include/${r.stdout.trim()}`] : [];
}

/** The object clang builds from a file (extra flags after the standard ones). */
export function clangBpf(file: string, extra: readonly string[] = []): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-clang-"));
  try {
    const out = join(dir, "out.o");
    const args = ["-O2", "-g", "-target", "bpf", ...multiarchInclude(), ...extra, "-c", file, "-o", out];
    const r = spawnSync("clang", args, { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`clang ${args.join(" ")} failed:\n${r.stderr}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** clang on source text (written to a temporary file of the given name). */
export function clangBpfSource(source: string, name = "t.c"): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), "bpfoff-clang-src-"));
  try {
    const file = join(dir, name);
    writeFileSync(file, source);
    return clangBpf(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
