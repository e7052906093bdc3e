// Reading back a bundle that `bpfoff build` wrote (for `bpfoff sim`): the folder, its
// manifest.json (JSON, then the manifest schema of backends/common/manifest-schema.ts)
// and the files it names. A bundle is user input like any other file: anything missing,
// unreadable or malformed is a `bundle-read` error naming the file, never a crash.
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fail } from "../ir/diag/diag.js";
import { jsonErrorLocation, jsonErrorReason } from "../ir/diag/json.js";
import { manifestProblems } from "../backends/common/manifest.js";
import { readText } from "./io.js";

/** A bundle folder as given on the command line (`shown`, for messages) and resolved (`dir`). */
export interface BundleDir {
  readonly dir: string;
  readonly shown: string;
}

/**
 * The bundle's manifest, checked against the manifest schema, so that every field the
 * simulators read (target, program.type, maps[].image, resources) is there with its type.
 */
export function readBundleManifest(b: BundleDir): any {
  if (!existsSync(b.dir)) fail("bundle-read", { file: b.shown }, [b.shown, "no such folder"]);
  if (!statSync(b.dir).isDirectory()) fail("bundle-read", { file: b.shown }, [b.shown, "it is a file, not the folder bpfoff build writes"]);
  const file = `${b.shown}/manifest.json`;
  if (!existsSync(join(b.dir, "manifest.json"))) fail("bundle-read", { file: b.shown }, [b.shown, "it has no manifest.json"]);
  const text = readText(join(b.dir, "manifest.json"));
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (e) {
    return fail("bundle-read", jsonErrorLocation(text, file, e), [b.shown, `manifest.json is not JSON (${jsonErrorReason(e)})`]);
  }
  const problems = manifestProblems(manifest);
  if (problems.length) fail("bundle-read", { file }, [b.shown, `manifest.json does not match the manifest schema (${problems.length} problem${problems.length === 1 ? "" : "s"})`], problems.slice(0, 8));
  return manifest;
}

/** A file the manifest names, by its path inside the bundle. */
export function readBundleFile(b: BundleDir, path: string): Uint8Array {
  const shown = `${b.shown}/${path}`;
  try {
    return readFileSync(join(b.dir, path));
  } catch (e) {
    return fail("io-read", { file: shown }, [shown, (e as NodeJS.ErrnoException).code ?? String(e)]);
  }
}
