// Target descriptors: one JSON file per device in offload-hooks/targets/, validated with
// Ajv against target.schema.json when loaded. A descriptor that does not validate is a
// compiler bug (the files ship with bpfoff), so it is reported as `bug`.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { fail } from "../ir/diag/diag.js";
import type { MapKind } from "../runtime/maps/def.js";
import type { Group } from "../ir/bpf/opcodes.js";

export interface TargetDescriptor {
  readonly name: string;
  readonly description: string;
  readonly program_types: readonly ("xdp" | "raw")[];
  readonly isa: { readonly groups: readonly Group[]; readonly unsupported_mnemonics?: readonly string[] };
  readonly calls: { readonly local: boolean; readonly max_depth: number; readonly tail_calls: boolean; readonly callx: boolean };
  readonly helpers: readonly number[];
  readonly maps: { readonly kinds: readonly MapKind[]; readonly max_entries: number; readonly max_key_size: number; readonly max_value_size: number; readonly max_total_bytes: number };
  readonly limits: { readonly max_instructions: number; readonly stack_bytes: number; readonly back_edges: boolean; readonly control_store_words?: number };
  readonly timing?: Readonly<Record<string, number>>;
  /** Match-action pipeline targets (asic): backends/asic/compile/pipeline.ts PipelineDescriptor. */
  readonly pipeline?: unknown;
}

/**
 * This folder in the source tree. Compiled code runs from dist/offload-hooks/, where tsc
 * copies no JSON, so the data files are found beside the package root's package.json.
 */
function hooksDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "offload-hooks", "target.schema.json"))) return join(dir, "offload-hooks");
    if (dirname(dir) === dir) return fail("io-read", {}, ["offload-hooks/target.schema.json", "not found above the bpfoff installation"]);
  }
}

export function listTargets(): string[] {
  return readdirSync(join(hooksDir(), "targets")).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
}

/** The descriptor of a target, validated; throws a diagnostic when there is none. */
export function loadTarget(name: string): TargetDescriptor {
  const dir = hooksDir();
  const file = join(dir, "targets", `${name}.json`);
  if (!/^[a-z][a-z0-9_]*$/.test(name) || !existsSync(file)) fail("cli-usage", {}, [`no target descriptor '${name}' (targets: ${listTargets().join(", ")})`]);
  return validateDescriptor(JSON.parse(readFileSync(file, "utf8")), `offload-hooks/targets/${name}.json`);
}

export function validateDescriptor(json: unknown, file: string): TargetDescriptor {
  const schema = JSON.parse(readFileSync(join(hooksDir(), "target.schema.json"), "utf8"));
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(schema);
  if (!validate(json)) {
    const why = (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`).join("; ");
    throw Object.assign(new Error(`bug: ${file} does not match target.schema.json: ${why}`), { descriptorErrors: validate.errors });
  }
  return json as TargetDescriptor;
}
