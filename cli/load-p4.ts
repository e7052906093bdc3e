// The glue from the P4 frontend to the BPF pipeline (kept in cli/: a frontend never
// imports a backend, STYLE.md §1): P4 source → IR (frontends/p4) → the default pass
// pipeline → BPF (backends/bpf/codegen), as an object the rest of the CLI handles like
// one loaded from ELF. The tables' layouts come along for the control plane and STF.
import type { BpfObject } from "../ir/bpf/object.js";
import { compileModule } from "../backends/bpf/codegen/index.js";
import { DEFAULT_PIPELINE, runPasses } from "../ir/passes/index.js";
import { compileP4, type P4Module } from "../frontends/p4/index.js";
import { loadProgram } from "./load.js";
import { encodeDefault, encodeEntry, parseEntriesJson } from "../frontends/p4/entries.js";
import { fail } from "../ir/diag/diag.js";
import { describeErrno, writeEntry, type BpfMap, type MapEntry } from "../runtime/maps/index.js";

export interface LoadedP4 {
  readonly object: BpfObject;
  readonly p4: P4Module;
}

export function isP4File(file: string): boolean {
  return /\.p4$/.test(file);
}

/**
 * P4's passes: the default pipeline without mem2reg. A P4 program's headers stay in their
 * stack slots (as p4c's eBPF backend keeps them in a stack struct): promoting every header
 * field to an SSA value leaves more values live across the program than BPF's registers
 * and 512-byte stack can hold once spilled 8 bytes each (the VLAN corpus program needed 70
 * spill slots).
 */
export const P4_PIPELINE: readonly string[] = DEFAULT_PIPELINE.filter((p) => p !== "mem2reg");

/**
 * From the frontend's IR to what BPF code generation takes: P4_PIPELINE, whose output keeps
 * `table.apply` (what a match-action target reads, and the corpus's golden IR), then the
 * tables lowered to map lookups (ir/passes/lower-tables.ts) and the keys' constants folded.
 */
export const P4_BPF_PIPELINE: readonly string[] = [...P4_PIPELINE, "lower-tables", "const-fold", "dce"];

/** The program's section: XDP, named after the architecture's package for readers of the object. */
export function loadP4(bytes: Uint8Array, file: string): LoadedP4 {
  const p4 = compileP4(Buffer.from(bytes).toString("utf8"), file);
  const optimised = runPasses(p4.module, P4_BPF_PIPELINE);
  const object = compileModule(optimised, { name: "main", section: "xdp", mapInit: new Map(), license: "GPL" });
  return { object, p4: { ...p4, module: optimised } };
}

/** The CLI's one hook for inputs: P4 source here, C and BPF through cli/load.ts. */
export function loadProgramFile(bytes: Uint8Array, file: string): BpfObject {
  return isP4File(file) ? loadP4(bytes, file).object : loadProgram(bytes, file);
}

/**
 * A P4 entries file (frontends/p4/entries.ts, P4Runtime-style JSON) as map entries by map
 * name, in the tables' layouts: what `build --entries` writes into the bundle's map images
 * and `run --entries` / `test --entries` install before the first packet.
 */
export function entriesForMaps(p4: P4Module, text: string, file: string): Map<string, MapEntry[]> {
  const out = new Map<string, MapEntry[]>();
  for (const e of parseEntriesJson(text, file)) {
    if (e.isDefault) {
      const { map, entry } = encodeDefault(p4.tables, e, { file });
      out.set(map, [...(out.get(map) ?? []), entry]);
      continue;
    }
    const { table, entries } = encodeEntry(p4.tables, e, { file });
    out.set(table.mapName, [...(out.get(table.mapName) ?? []), ...entries]);
  }
  return out;
}

/** Writes entries into instantiated maps (the object's maps, in order). */
export function installEntries(object: BpfObject, maps: readonly BpfMap[], entries: ReadonlyMap<string, readonly MapEntry[]>, file: string): void {
  for (const [name, list] of entries) {
    const map = maps[object.maps.findIndex((m) => m.name === name)]!;
    for (const e of list) {
      const rc = writeEntry(map, e);
      if (rc !== 0) fail("p4-entries", { file }, [`cannot add an entry to ${name}: ${describeErrno(rc)}`]);
    }
  }
}
