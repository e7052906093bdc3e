// Reading the BPF conformance suite in place (../shared/bpf_conformance, never copied).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CONFORMANCE_DIR = resolve(REPO, "../shared/bpf_conformance");

export interface ConformanceCase {
  readonly name: string;
  readonly file: string;
  readonly asm?: string;
  readonly raw?: Uint8Array;
  readonly mem?: Uint8Array;
  readonly result?: bigint;
  readonly error?: string;
}

export function hexBytes(text: string): Uint8Array {
  const bytes = text.replace(/#[^\n]*/g, "").split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16));
  return Uint8Array.from(bytes);
}

/**
 * A `-- raw` section: either bytes (`07 00 01 00 ...`) or one 64-bit word per instruction
 * (`0x5566778800000018`, the slot read as a little-endian u64).
 */
export function rawInstructions(text: string): Uint8Array {
  const words = text.replace(/#[^\n]*/g, "").split(/\s+/).filter(Boolean);
  if (!words.every((w) => /^0x[0-9a-f]{16}$/i.test(w))) return hexBytes(text);
  const out = new Uint8Array(words.length * 8);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setBigUint64(i * 8, BigInt(w), true));
  return out;
}

/** Splits a .data file into its `-- name` sections. */
export function parseConformance(file: string): ConformanceCase {
  const text = readFileSync(file, "utf8");
  const sections = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.split("\n")) {
    const m = /^-- (.*)$/.exec(line);
    if (m) {
      current = m[1]!.trim();
      sections.set(current, "");
    } else if (current !== undefined) {
      sections.set(current, sections.get(current)! + line + "\n");
    }
  }
  const result = sections.get("result")?.trim();
  return {
    name: file.split("/").pop()!.replace(/\.data$/, ""),
    file,
    asm: sections.get("asm"),
    raw: sections.has("raw") ? rawInstructions(sections.get("raw")!) : undefined,
    mem: sections.has("mem") ? hexBytes(sections.get("mem")!) : undefined,
    result: result ? BigInt(result.split(/\s/)[0]!) : undefined,
    error: sections.get("error")?.trim(),
  };
}

export function conformanceFiles(kind: "tests" | "negative"): string[] {
  const dir = join(CONFORMANCE_DIR, kind);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith(".data")).sort().map((f) => join(dir, f));
}

/** Whether the suite is present; tests print why they skip when it is not. */
export function conformanceAvailable(): boolean {
  return existsSync(join(CONFORMANCE_DIR, "tests"));
}
