// The asic bundle's files (backend.ts lists them), written and read back: every JSON file
// is validated against its schema (schemas/) both ways, so that the behavioural model only
// ever runs a configuration the schemas accept.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv, type ValidateFunction } from "ajv";
import { fail } from "../../ir/diag/diag.js";
import type { ArtifactFiles, ControlTable } from "../common/backend.js";
import type { MapDef, MapKind } from "../../runtime/maps/def.js";
import type { DeparserConfig, ParserConfig, PhvConfig, PipelineConfig, StageConfig, TableImage } from "./config.js";
import type { CompiledPipeline } from "./compile/pipeline.js";
import { formatResources } from "./compile/report.js";
import { Memory, type ImageKind } from "./images.js";

export interface AsicBundle {
  readonly target: string;
  readonly compiled: CompiledPipeline;
  readonly memories: ReadonlyMap<string, Memory>;
  /** asic/control.json: the P4 tables for the control plane (absent for C and BPF input). */
  readonly control?: ControlJson;
}

/** asic/control.json (control.schema.json). */
export interface ControlJson {
  readonly tables: readonly {
    readonly map: string;
    readonly control: string;
    readonly table: string;
    readonly map_kind: "hash" | "lpm_trie" | "tcam";
    readonly size: number;
    readonly keys: readonly { readonly name: string; readonly match_kind: string; readonly width: number }[];
    readonly actions: readonly { readonly name: string; readonly params: readonly { readonly name: string; readonly width: number }[] }[];
    /** The table's default-action map (STF `setdefault` writes it); absent for a const default_action. */
    readonly default_map?: string;
    /** A parser value set: entries are members, with no action. */
    readonly value_set?: boolean;
  }[];
}

/** The control-plane view of a P4 program's tables, as the bundle writes it. */
export function controlJson(tables: readonly ControlTable[]): ControlJson {
  return {
    tables: tables.map((t) => ({
      map: t.mapName,
      control: t.control,
      table: t.table,
      map_kind: t.mapKind,
      size: t.size,
      keys: t.keys.map((k) => ({ name: k.name, match_kind: k.kind, width: k.width })),
      actions: t.actions.map((a) => ({ name: a.name, params: a.params.map((p) => ({ name: p.name, width: p.width })) })),
      ...(t.defaultMap === undefined ? {} : { default_map: t.defaultMap }),
      ...(t.valueSet ? { value_set: true } : {}),
    })),
  };
}

/** Back to the frontend's shape (frontends/p4/tables.ts TableInfo), for its entry encoder. */
export function controlTables(c: ControlJson): ControlTable[] {
  return c.tables.map((t) => ({ mapName: t.map, control: t.control, table: t.table, mapKind: t.map_kind, size: t.size, keys: t.keys.map((k) => ({ name: k.name, kind: k.match_kind, width: k.width })), actions: t.actions, ...(t.default_map === undefined ? {} : { defaultMap: t.default_map }), ...(t.value_set ? { valueSet: true } : {}) }));
}

export const SCHEMAS = ["parser", "phv", "stage", "deparser", "memories", "image", "resources", "control"] as const;
export type SchemaName = (typeof SCHEMAS)[number];

function schemaDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const d = join(dir, "backends/asic/schemas");
    if (existsSync(join(dir, "package.json")) && existsSync(d)) return d;
    if (dirname(dir) === dir) throw new Error("bug: backends/asic/schemas not found above the bpfoff installation");
  }
}

let validators: Map<SchemaName, ValidateFunction> | undefined;
function validator(name: SchemaName): ValidateFunction {
  if (!validators) {
    const dir = schemaDir();
    const ajv = new Ajv({ allErrors: true, strict: false });
    ajv.addSchema(JSON.parse(readFileSync(join(dir, "defs.schema.json"), "utf8")));
    validators = new Map(SCHEMAS.map((s) => [s, ajv.compile(JSON.parse(readFileSync(join(dir, `${s}.schema.json`), "utf8")))]));
  }
  return validators.get(name)!;
}

/** The problems of a document against one of our schemas (empty: valid). */
export function schemaProblems(name: SchemaName, json: unknown): string[] {
  const v = validator(name);
  return v(json) ? [] : (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`);
}

function checked(name: SchemaName, json: unknown, file: string): string {
  const problems = schemaProblems(name, json);
  if (problems.length) throw new Error(`bug: ${file} does not match ${name}.schema.json: ${problems.join("; ")}`);
  return `${JSON.stringify(json, null, 1)}\n`;
}

export const stageFile = (s: number) => `asic/stage-${String(s).padStart(2, "0")}.json`;
export const imageFile = (memory: string) => `tables/${memory.replace(/[^A-Za-z0-9_.-]/g, "_")}.json`;

export function memoriesJson(memories: ReadonlyMap<string, Memory>): unknown[] {
  return [...memories.values()].map((m) => ({ name: m.def.name, map_kind: m.def.kind, key_size: m.def.keySize, value_size: m.def.valueSize, max_entries: m.def.maxEntries, flags: m.def.flags, image_kind: m.kind, image: imageFile(m.def.name) }));
}

export function bundleFiles(b: AsicBundle): ArtifactFiles {
  const { config, resources } = b.compiled;
  const files: [string, string][] = [
    ["asic/parser.json", checked("parser", config.parser, "asic/parser.json")],
    ["asic/phv.json", checked("phv", config.phv, "asic/phv.json")],
    ...config.stages.map((s) => [stageFile(s.stage), checked("stage", s, stageFile(s.stage))] as [string, string]),
    ["asic/deparser.json", checked("deparser", config.deparser, "asic/deparser.json")],
    ["asic/memories.json", checked("memories", memoriesJson(b.memories), "asic/memories.json")],
    ["asic/resources.json", checked("resources", { target: b.target, ...resources }, "asic/resources.json")],
    ["asic/resources.txt", formatResources(resources, b.target)],
    ...[...b.memories.values()].map((m) => [imageFile(m.def.name), checked("image", m.toJSON(), imageFile(m.def.name))] as [string, string]),
    ...(b.control ? [["asic/control.json", checked("control", b.control, "asic/control.json")] as [string, string]] : []),
  ];
  return files.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** A bundle's configuration and memories, read from its files alone and validated. */
export function readAsicBundle(dir: string, shown: string): { config: PipelineConfig; memories: Map<string, Memory>; stagesUsed: number; control?: ControlJson } {
  const read = (name: SchemaName, rel: string): unknown => {
    const file = join(dir, rel);
    if (!existsSync(file)) fail("io-read", { file: `${shown}/${rel}` }, [`${shown}/${rel}`, "missing from the asic bundle"]);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, "utf8"));
    } catch (e) {
      return fail("io-format", { file: `${shown}/${rel}` }, [`${shown}/${rel}: ${(e as Error).message}`]);
    }
    const problems = schemaProblems(name, json);
    if (problems.length) fail("io-format", { file: `${shown}/${rel}` }, [`${shown}/${rel} does not match ${name}.schema.json: ${problems.slice(0, 5).join("; ")}`]);
    return json;
  };
  const parser = read("parser", "asic/parser.json") as ParserConfig;
  const phv = read("phv", "asic/phv.json") as PhvConfig;
  const deparser = read("deparser", "asic/deparser.json") as DeparserConfig;
  const resources = read("resources", "asic/resources.json") as { stages_used: number };
  const stages: StageConfig[] = [];
  for (let s = 0; s < resources.stages_used; s++) stages.push(read("stage", stageFile(s)) as StageConfig);
  const list = read("memories", "asic/memories.json") as { name: string; map_kind: MapKind; key_size: number; value_size: number; max_entries: number; flags: number; image_kind: ImageKind; image: string }[];
  const memories = new Map<string, Memory>();
  for (const m of list) {
    const def: MapDef = { name: m.name, kind: m.map_kind, keySize: m.key_size, valueSize: m.value_size, maxEntries: m.max_entries, flags: m.flags };
    memories.set(m.name, Memory.fromImage(def, read("image", m.image) as TableImage));
  }
  // Only P4 builds carry the control plane's view of the tables.
  const control = existsSync(join(dir, "asic/control.json")) ? (read("control", "asic/control.json") as ControlJson) : undefined;
  return { config: { parser, phv, stages, deparser }, memories, stagesUsed: resources.stages_used, ...(control ? { control } : {}) };
}
