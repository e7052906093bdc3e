// Preprocessing with the system C preprocessor (gcc's `cpp`), as docs/c-frontend.md
// explains: it implements every corner of C11 §6.10 and the GNU extensions the headers
// rely on (__has_attribute, _Pragma, __VA_OPT__), and its line markers let every
// diagnostic point at the original file:line:col.
//
// cpp runs with -undef: gcc's host predefines (__x86_64__, ...) would select x86 code in
// the UAPI headers; instead it gets the macros clang's BPF target predefines that the
// headers test (the table below), so that bpfoff and `clang -target bpf` see the same text.
import { spawnSync } from "node:child_process";
import { dirname } from "node:path";
import { fail } from "../../ir/diag/diag.js";

/** clang -target bpf predefines (`clang -target bpf -dM -E - </dev/null`) the headers read. */
export const BPF_PREDEFINES: readonly (readonly [string, string])[] = [
  ["__bpf__", "1"], // libbpf's bpf_helpers.h: BPF-only definitions
  ["__BPF__", "1"],
  ["__BYTE_ORDER__", "__ORDER_LITTLE_ENDIAN__"], // bpfel, as `-target bpf` on a little-endian host
  ["__ORDER_LITTLE_ENDIAN__", "1234"],
  ["__ORDER_BIG_ENDIAN__", "4321"],
  ["__ORDER_PDP_ENDIAN__", "3412"],
  ["__CHAR_BIT__", "8"],
  ["__SIZEOF_LONG__", "8"], // LP64: long and pointers are 8 bytes
  ["__SIZEOF_POINTER__", "8"],
  ["__SIZEOF_INT128__", "16"],
  ["__LP64__", "1"],
  ["_LP64", "1"],
  ["__GNUC__", "4"], // clang claims GCC 4.2
  ["__GNUC_MINOR__", "2"],
  ["__GNUC_PATCHLEVEL__", "1"],
  ["__clang__", "1"], // bpf_helpers.h: `#if __GNUC__ && !__clang__` picks GCC's SEC()
  ["__clang_major__", "14"], // bpf_helpers.h: `__clang_major__ >= 8` enables bpf_tail_call_static
  ["__STDC_HOSTED__", "1"],
];

export interface PreprocessOptions {
  /** -I folders, searched before the system folders. */
  readonly includeDirs?: readonly string[];
  /** -D NAME[=VALUE]. */
  readonly defines?: readonly string[];
}

/** The multiarch include folder (/usr/include/x86_64-linux-gnu): asm/types.h lives there. */
function multiarchInclude(): string[] {
  const r = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? [`/usr/include/${r.stdout.trim()}`] : [];
}

/**
 * Preprocesses C source text as if it were the file `file` (quote includes are searched
 * beside it). Returns the text with line markers; cpp's own errors become diagnostics at
 * the file:line:col cpp names.
 */
export function preprocess(source: string, file: string, opts: PreprocessOptions = {}): string {
  const args = [
    "-undef", "-std=gnu11", "-x", "c",
    ...BPF_PREDEFINES.map(([k, v]) => `-D${k}=${v}`),
    ...(opts.defines ?? []).map((d) => `-D${d}`),
    "-iquote", dirname(file),
    ...(opts.includeDirs ?? []).flatMap((d) => ["-I", d]),
    ...multiarchInclude().flatMap((d) => ["-idirafter", d]),
    "-",
  ];
  const r = spawnSync("cpp", args, { input: source, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  if (r.error) fail("c-preprocess", { file }, [`cannot run the C preprocessor (cpp): ${r.error.message}; install the Debian package cpp (npm run setup)`]);
  if (r.status !== 0) {
    // `<stdin>:3:10: fatal error: foo.h: No such file or directory`
    const first = r.stderr.split("\n").find((l) => /error/.test(l)) ?? r.stderr.trim();
    const m = /^(.*?):(\d+):(\d+): (?:fatal )?error: (.*)$/.exec(first);
    if (m) fail("c-preprocess", { file: m[1] === "<stdin>" ? file : m[1], line: Number(m[2]), col: Number(m[3]) }, [m[4]!]);
    fail("c-preprocess", { file }, [first]);
  }
  // Markers name the input "<stdin>": give them the file's name back.
  return r.stdout.replace(/^(# \d+ )"<stdin>"/gm, (_, p: string) => `${p}${JSON.stringify(file)}`);
}
