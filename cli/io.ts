// The CLI's view of the outside world: output streams and atomic file writes. main()
// takes these so that tests run the CLI in-process (STYLE.md §11).
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fail } from "../ir/diag/diag.js";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Directory relative paths are resolved against. */
  cwd: string;
}

export interface CliContext {
  readonly io: CliIo;
  /** Set by a command to the process exit status it wants (0 when unset). */
  exitCode: number;
}

export function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    return fail("io-read", { file: path }, [path, (e as NodeJS.ErrnoException).code ?? String(e)]);
  }
}

export function readText(path: string): string {
  return Buffer.from(readInput(path)).toString("utf8");
}

/**
 * Writes a file so that it either appears whole or not at all: the bytes go to a
 * temporary file in the same folder, which is then renamed over the target.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  let tmpDir: string | undefined;
  try {
    tmpDir = mkdtempSync(join(dirname(path), `.${basename(path)}.`));
    const tmp = join(tmpDir, "data");
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    fail("io-write", { file: path }, [path, (e as NodeJS.ErrnoException).code ?? String(e)]);
  } finally {
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  }
}

/**
 * Fails before a long run rather than after it when `path` cannot be written: its folder
 * is missing or is a file, or the path is a folder. Same message as writeFileAtomic's.
 */
export function checkWritable(path: string): void {
  const parent = dirname(path);
  const reason = !existsSync(parent) ? "ENOENT" : !statSync(parent).isDirectory() ? "ENOTDIR" : existsSync(path) && statSync(path).isDirectory() ? "EISDIR" : undefined;
  if (reason) fail("io-write", { file: path }, [path, reason]);
}
