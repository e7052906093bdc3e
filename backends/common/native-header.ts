// prog.h of a native bundle: the ABI (runtime/native/bpfoff_native.h, copied whole so the
// bundle stands alone) followed by what is particular to this program: the entry
// symbol's prototype, its context, and its maps as indices and definitions for
// bpfoff_env_new (in object order, which is the order of rt->maps).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MapDef } from "../../runtime/maps/def.js";
import { linuxTypeOf } from "../../runtime/maps/def.js";
import { runtimeDir } from "./native-run.js";

const cIdent = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, "_").toUpperCase().replace(/^(?=[0-9])/, "_");

export function nativeHeader(arch: string, symbol: string, maps: readonly MapDef[], type: "raw" | "xdp", programs?: readonly { readonly name: string; readonly offset: number }[]): string {
  const abi = readFileSync(join(runtimeDir(), "bpfoff_native.h"), "utf8");
  const guard = `BPFOFF_PROG_${cIdent(symbol)}_H`;
  const lines = [
    abi.trimEnd(),
    "",
    `/* ------------------------------------------------------------------ this program (${arch}) */`,
    `#ifndef ${guard}`,
    `#define ${guard}`,
    type === "raw"
      ? `/* A raw program: ctx = the input memory, len = its length. */`
      : `/* An XDP program: ctx = struct bpfoff_xdp_md (frame memory below 4 GiB), len = 0; returns an XDP action. */`,
    `uint64_t ${symbol}(void *ctx, uint64_t len, struct bpfoff_rt *rt);`,
    `#define BPFOFF_PROG_TYPE_${type.toUpperCase()} 1`,
    `#define BPFOFF_NMAPS ${maps.length}`,
  ];
  maps.forEach((m, i) => lines.push(`#define BPFOFF_MAP_${cIdent(m.name)} ${i} /* ${m.kind}: key ${m.keySize}, value ${m.valueSize}, ${m.maxEntries} entries */`));
  const defs = maps.map((m) => `  {${linuxTypeOf(m.kind)}, ${m.keySize}, ${m.valueSize}, ${m.maxEntries}, ${m.flags}}`);
  lines.push(
    "/* The definitions for bpfoff_env_new, in rt->maps order: {kind, key_size, value_size, max_entries, flags}. */",
    maps.length ? `static const struct bpfoff_map_def BPFOFF_MAP_DEFS[${maps.length}] = {\n${defs.join(",\n")}\n};` : "static const struct bpfoff_map_def *const BPFOFF_MAP_DEFS = 0;",
  );
  if (programs) {
    lines.push(
      "/* Tail calls: every program of the object is in the code; bpfoff_env_programs takes the entry",
      ` * symbol's address plus each offset (${programs.map((p) => p.name).join(", ")}). */`,
      `#define BPFOFF_NPROGS ${programs.length}`,
      `static const uint64_t BPFOFF_TAIL_ENTRIES[${programs.length}] = {${programs.map((p) => p.offset).join(", ")}};`,
    );
  }
  lines.push("#endif", "");
  return lines.join("\n");
}
