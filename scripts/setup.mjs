#!/usr/bin/env node
// `npm run setup`: everything a fresh machine needs for bpfoff's build and tests.
//   1. the Debian packages the tests drive (clang/llvm for BPF objects, verilator, iverilog
//      and yosys for the FPGA engine, qemu-user and the aarch64 cross toolchain for arm64,
//      tcpdump to cross-check pcaps, bpftool for the kernel as a peer), installed with
//      apt-get when missing and when apt-get can be used;
//   2. the npm dependencies (npm ci when a lock file exists);
//   3. the TypeScript build into dist/, which bin/bpfoff runs.
// Plain Node with no dependencies, so it runs before node_modules exists.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian package → a command it provides, to tell whether it is installed. */
const PACKAGES = [
  ["clang", "clang"],
  ["llvm", "llvm-objdump"],
  // LLVM 19 disassembles the BPF v4 instructions (sdiv, movsx, ldxs, bswap, gotol) that LLVM 14 predates.
  ["llvm-19", "llvm-objdump-19"],
  ["lld", "ld.lld"],
  ["libbpf-dev", null],
  // The C frontend preprocesses with the system C preprocessor (docs/c-frontend.md); gcc
  // also names the multiarch include folder (gcc -dumpmachine).
  ["cpp", "cpp"],
  ["gcc", "gcc"],
  ["linux-libc-dev", null],
  ["verilator", "verilator"],
  ["iverilog", "iverilog"],
  ["yosys", "yosys"],
  // gcc compiles the native runtime (runtime/native) for x86_64 runs and links bundles' objects in the tests.
  ["gcc", "gcc"],
  ["qemu-user", "qemu-aarch64"],
  ["gcc-aarch64-linux-gnu", "aarch64-linux-gnu-gcc"],
  ["binutils-aarch64-linux-gnu", "aarch64-linux-gnu-objdump"],
  ["binutils", "objdump"],
  ["tcpdump", "tcpdump"],
  ["bpftool", "bpftool"],
];

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: "inherit", ...opts });
const quiet = (cmd, args) => spawnSync(cmd, args, { stdio: "ignore" });
const has = (cmd) => quiet("sh", ["-c", `command -v ${cmd}`]).status === 0;
const installed = (pkg) => quiet("dpkg-query", ["-W", "-f=${Status}", pkg]).status === 0 &&
  spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" }).stdout.includes("install ok installed");

const missing = PACKAGES.filter(([pkg, cmd]) => (cmd ? !has(cmd) : !(has("dpkg-query") && installed(pkg)))).map(([pkg]) => pkg);
if (missing.length) {
  const root = process.getuid?.() === 0;
  const canApt = has("apt-get") && (root || has("sudo"));
  if (!canApt) {
    console.warn(`setup: missing Debian packages (${missing.join(" ")}) and no apt-get to install them; tests that need them will skip locally and fail under CI=true.`);
  } else {
    const sudo = root ? [] : ["sudo"];
    console.log(`setup: installing ${missing.join(" ")}`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const update = run(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(root ? [] : ["apt-get"]), "update", "-qq"], { env });
    const install = run(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(root ? [] : ["apt-get"]), "install", "-y", "-qq", "--no-install-recommends", ...missing], { env });
    if (update.status !== 0 || install.status !== 0) {
      console.error("setup: apt-get failed");
      process.exit(1);
    }
  }
}

const npmArgs = existsSync("package-lock.json") ? ["ci", "--no-audit", "--no-fund"] : ["install", "--no-audit", "--no-fund"];
if (run("npm", npmArgs).status !== 0) process.exit(1);
if (run("npx", ["tsc", "-p", "tsconfig.json"]).status !== 0) process.exit(1);
console.log("setup: done");
