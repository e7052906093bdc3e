// Shared by the BPF backend tests: clang-built inputs (the examples and the ELF loader's
// fixtures), and a canonical form of a BpfObject for comparisons.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BpfObject } from "../../../ir/bpf/object.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
export const EXAMPLES = ["counter", "firewall", "loadbalancer", "router", "vlan"] as const;
export const FIXTURES = ["calls", "globals", "legacy_maps", "maps_btf", "subprog", "two_progs"] as const;

export const clangMissing: string | undefined = spawnSync("clang", ["--version"]).status === 0 ? undefined : "clang not found on PATH";

/** Debian puts asm/types.h under the multiarch include directory; clang -target bpf does not look there. */
function multiarchInclude(): string[] {
  const r = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" });
  return r.status === 0 ? [`-I/usr/include/${r.stdout.trim()}`] : [];
}

/** `clang -O2 -g -target bpf -c SRC` into dir; returns the object's path. */
export function clangBuild(src: string, dir: string, name = basename(src, ".c")): string {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${name}.o`);
  const args = ["-O2", "-g", "-target", "bpf", ...multiarchInclude(), "-c", src, "-o", out];
  const r = spawnSync("clang", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`clang ${args.join(" ")} failed:\n${r.stderr}`);
  return out;
}

export const exampleSource = (name: string) => join(ROOT, "examples", name, "prog.c");
export const fixtureSource = (name: string) => join(ROOT, "test/frontends/elf/fixtures", `${name}.c`);

/** A BpfObject as plain JSON-able data: maps as entry lists, bytes as hex. */
export function canonicalObject(o: BpfObject): unknown {
  return {
    programs: o.programs.map((p) => ({ name: p.name, section: p.section, slots: p.slots, functions: [...p.functions].sort((a, b) => a[0] - b[0]) })),
    maps: o.maps,
    mapInit: [...o.mapInit].map(([k, v]) => [k, Buffer.from(v).toString("hex")]),
    license: o.license,
  };
}

export const readBytes = (path: string) => new Uint8Array(readFileSync(path));
