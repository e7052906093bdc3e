// Tests that need an outside tool say so (STYLE.md §8): locally a missing requirement
// skips with the reason printed; under CI=true it fails, because the set-up should have
// installed it and a green CI must mean the whole suite ran.
import { spawnSync } from "node:child_process";

export const IN_CI = process.env["CI"] === "true";

export function requireOrSkip(feature: string, available: boolean, reason: string): boolean {
  if (available) return true;
  if (IN_CI) throw new Error(`requires ${feature}: ${reason} (CI must have it: see scripts/setup.mjs)`);
  console.warn(`SKIPPED (requires ${feature}): ${reason}`);
  return false;
}

export function hasTool(cmd: string, args: string[] = ["--version"]): boolean {
  const r = spawnSync(cmd, args, { stdio: "ignore" });
  return r.status === 0 || (r.error === undefined && r.status !== null);
}
