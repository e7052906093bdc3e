// manifest.json: built from the pipeline's facts and the backend's part, validated
// against MANIFEST_SCHEMA with Ajv before anything is written (a violation is a compiler
// bug, severity "bug"), and serialised canonically: keys sorted at every level, two-space
// indentation, a trailing newline, so that the same build gives the same bytes.
import { createHash } from "node:crypto";
import { Ajv2020 } from "ajv/dist/2020.js";
import { DiagnosticError, formatMessage } from "../../ir/diag/diag.js";
import { MANIFEST_SCHEMA } from "./manifest-schema.js";

export const sha256Hex = (data: Uint8Array | string): string => createHash("sha256").update(data).digest("hex");

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The compiled validator, made once (Ajv compiles the schema to a function). */
let validator: ReturnType<Ajv2020["compile"]> | undefined;

function validate(): ReturnType<Ajv2020["compile"]> {
  if (!validator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: false, strictRequired: false });
    validator = ajv.compile(MANIFEST_SCHEMA);
  }
  return validator;
}

/** Schema problems of a manifest, one line each ("" when valid). */
export function manifestProblems(manifest: unknown): string[] {
  const v = validate();
  if (v(manifest)) return [];
  return (v.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}${e.params && "allowedValue" in e.params ? ` (${JSON.stringify(e.params.allowedValue)})` : ""}`);
}

/** Throws a `bug` diagnostic when the manifest does not match its schema. */
export function checkManifest(manifest: unknown): void {
  const problems = manifestProblems(manifest);
  if (!problems.length) return;
  throw new DiagnosticError([{ code: "build-manifest", severity: "bug", loc: {}, message: formatMessage("build-manifest", [problems.length]), notes: problems }]);
}

/** Canonical JSON text: object keys sorted (code-unit order) at every level. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => [k, sort(o[k])]));
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 2) + "\n";
}
