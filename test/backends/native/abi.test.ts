// The native ABI is one layout in two languages: backends/common/native-abi.ts (what the
// generated code reads) and runtime/native/bpfoff_native.h (what the runtime and a user's
// C program declare). gcc prints the header's offsets and sizes; they must be the table's.
// requires: gcc
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { HELPER_SLOTS, MAP_DESC, MAX_MAPS, RT, RT_MAPS, STACK_BYTES } from "../../../backends/common/native-abi.js";
import { runtimeDir } from "../../../backends/common/native-run.js";
import { XDP_MD } from "../../../runtime/interp/xdp.js";
import { hasTool, requireOrSkip } from "../../support/requires.js";

/** TS name -> the C expression of the same offset or size. */
const FIELDS: readonly (readonly [string, number, string])[] = [
  ["RT.regionLo", RT.regionLo, "offsetof(struct bpfoff_rt, region_lo)"],
  ["RT.regionHi", RT.regionHi, "offsetof(struct bpfoff_rt, region_hi)"],
  ["RT.stackLo", RT.stackLo, "offsetof(struct bpfoff_rt, stack_lo)"],
  ["RT.stackHi", RT.stackHi, "offsetof(struct bpfoff_rt, stack_hi)"],
  ["RT.callLimit", RT.callLimit, "offsetof(struct bpfoff_rt, call_limit)"],
  ["RT.check", RT.check, "offsetof(struct bpfoff_rt, check)"],
  ["RT.fault", RT.fault, "offsetof(struct bpfoff_rt, fault)"],
  ["RT.pc", RT.pc, "offsetof(struct bpfoff_rt, pc)"],
  ["RT.valueLo", RT.valueLo, "offsetof(struct bpfoff_rt, value_lo)"],
  ["RT.valueHi", RT.valueHi, "offsetof(struct bpfoff_rt, value_hi)"],
  ["RT.stackZeroed", RT.stackZeroed, "offsetof(struct bpfoff_rt, stack_zeroed)"],
  ["RT.helpers", RT.helpers, "offsetof(struct bpfoff_rt, helpers)"],
  ["RT_MAPS", RT_MAPS, "offsetof(struct bpfoff_rt, maps)"],
  ["HELPER_SLOTS", HELPER_SLOTS, "BPFOFF_HELPER_SLOTS"],
  ["MAX_MAPS", MAX_MAPS, "BPFOFF_MAX_MAPS"],
  ["STACK_BYTES", STACK_BYTES, "BPFOFF_STACK_BYTES"],
  ["MAP_DESC.values", MAP_DESC.values, "offsetof(struct bpfoff_map, values)"],
  ["MAP_DESC.maxEntries", MAP_DESC.maxEntries, "offsetof(struct bpfoff_map, max_entries)"],
  ["MAP_DESC.stride", MAP_DESC.stride, "offsetof(struct bpfoff_map, stride)"],
  ["MAP_DESC.kind", MAP_DESC.kind, "offsetof(struct bpfoff_map, kind)"],
  ["MAP_DESC.keySize", MAP_DESC.keySize, "offsetof(struct bpfoff_map, key_size)"],
  ["MAP_DESC.valueSize", MAP_DESC.valueSize, "offsetof(struct bpfoff_map, value_size)"],
  ["MAP_DESC.flags", MAP_DESC.flags, "offsetof(struct bpfoff_map, flags)"],
  ["MAP_DESC.impl", MAP_DESC.impl, "offsetof(struct bpfoff_map, impl)"],
  ["MAP_DESC.size", MAP_DESC.size, "sizeof(struct bpfoff_map)"],
  ...Object.entries(XDP_MD).map(([k, v]) => [`XDP_MD.${k}`, v, k === "size" ? "sizeof(struct bpfoff_xdp_md)" : `offsetof(struct bpfoff_xdp_md, ${k})`] as const),
];

const haveGcc = requireOrSkip("gcc", hasTool("gcc"), "gcc is not installed");

describe.skipIf(!haveGcc)("native ABI layout", () => {
  it("bpfoff_native.h and native-abi.ts agree on every offset and size", () => {
    const dir = mkdtempSync(join(tmpdir(), "bpfoff-abi-"));
    const lines = FIELDS.map(([name, , c]) => `  printf("%s %zu\\n", "${name}", (size_t)(${c}));`);
    writeFileSync(join(dir, "abi.c"), `#include <stdio.h>\n#include <stddef.h>\n#include "bpfoff_native.h"\nint main(void) {\n${lines.join("\n")}\n  return 0;\n}\n`);
    const cc = spawnSync("gcc", ["-Wall", "-I", runtimeDir(), "-o", join(dir, "abi"), join(dir, "abi.c")], { encoding: "utf8" });
    expect(cc.stderr).toBe("");
    const out = spawnSync(join(dir, "abi"), [], { encoding: "utf8" }).stdout;
    expect(out).toBe(FIELDS.map(([name, v]) => `${name} ${v}\n`).join(""));
  });
});
