// The passes by name, and the default pipeline. Each pass is a pure function from a
// module to a module, documented at the top of its file with what it needs and keeps.
import type { Module } from "../core/ir.js";
import { boundsChecks } from "./bounds-checks.js";
import { constFold } from "./const-fold.js";
import { dce } from "./dce.js";
import { simplifyCfg } from "./simplify-cfg.js";
import { mem2reg } from "./mem2reg.js";
import { inline } from "./inline.js";
import { unroll } from "./unroll.js";
import { ifConvert } from "./if-convert.js";
import { arrayLookup } from "./array-lookup.js";
import { knownBits } from "./known-bits.js";
import { cse } from "./cse.js";
import { foldOffsets } from "./fold-offsets.js";
import { lowerTables } from "./lower-tables.js";

export interface Pass {
  readonly name: string;
  readonly doc: string;
  readonly run: (m: Module) => Module;
}

export const PASSES: readonly Pass[] = [
  { name: "const-fold", doc: "constant folding and propagation, branches on constants", run: constFold },
  { name: "dce", doc: "dead instructions and block parameters", run: dce },
  { name: "simplify-cfg", doc: "unreachable blocks, block merging, jump threading", run: simplifyCfg },
  { name: "inline", doc: "inline small leaf subprograms", run: inline },
  { name: "array-lookup", doc: "array-map lookups with a known key become address arithmetic (map.array_elem)", run: arrayLookup },
  { name: "mem2reg", doc: "stack slots whose address does not escape become SSA values", run: mem2reg },
  { name: "unroll", doc: "unroll loops with compile-time trip counts (targets without back edges)", run: unroll },
  { name: "if-convert", doc: "branches that only compute values become select (pipelined hardware)", run: ifConvert },
  { name: "bounds-checks", doc: "recognise packet bounds checks; drop the implied ones", run: boundsChecks },
  { name: "cse", doc: "repeated pure computations, and loads along extended basic blocks, reuse the first", run: cse },
  { name: "fold-offsets", doc: "constant pointer offsets fold into load, store and atomic offsets", run: foldOffsets },
  { name: "lower-tables", doc: "table.apply becomes its key packed on the stack and map.lookup (targets without match-action tables)", run: lowerTables },
  { name: "known-bits", doc: "extensions and masks of values that already fit are dropped", run: knownBits },
];

/** What `-O` runs. */
export const DEFAULT_PIPELINE = ["inline", "array-lookup", "mem2reg", "bounds-checks", "const-fold", "simplify-cfg", "dce", "const-fold", "simplify-cfg", "dce"];

export function passByName(name: string): Pass | undefined {
  return PASSES.find((p) => p.name === name);
}

export function runPasses(m: Module, names: readonly string[]): Module {
  return names.reduce((mod, n) => passByName(n)!.run(mod), m);
}
