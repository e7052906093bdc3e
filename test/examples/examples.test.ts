// The examples under examples/: their committed inputs are current, their models give
// the verdicts each packet was written for, and (requires: clang, kernel-bpf) Linux
// running the clang-built object agrees with the model on every packet and on the maps.
// UPDATE_GOLDEN=1 rewrites examples/<name>/packets.pcap and maps.json.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readPcap } from "../../runtime/packet/pcap.js";
import { loadElf } from "../../frontends/bpf/elf/load.js";
import { newHostState } from "../../runtime/helpers/env.js";
import { instantiateMaps, runXdp } from "../../runtime/interp/run.js";
import { formatMapsState, loadMapsState } from "../../runtime/maps/state.js";
import { runCli } from "../support/cli.js";
import { runInKernel } from "./kernel.js";
import { hasTool } from "../support/requires.js";
import { canonicalMaps, MODELS, runModel, toHexBytes } from "./models.js";
import { ipv4HeaderValid, l4ChecksumValid } from "./net.js";
import { buildExamples, exampleMapsJson, examplePcap } from "./packets.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const CI = process.env.CI === "true";

/** Debian puts asm/types.h under the multiarch include directory; clang -target bpf does not look there. */
function multiarchInclude(): string[] {
  const r = spawnSync("gcc", ["-dumpmachine"], { encoding: "utf8" });
  return r.status === 0 ? [`-I/usr/include/${r.stdout.trim()}`] : [];
}

const hasTcpdump = spawnSync("tcpdump", ["--version"]).status === 0;
if (!hasTcpdump && CI) {
  it("requires tcpdump", () => {
    throw new Error("tcpdump is not installed, and CI=true requires it");
  });
}
const clangMissing = spawnSync("clang", ["--version"]).status === 0 ? undefined : "clang not found on PATH";
const buildDir = mkdtempSync(join(tmpdir(), "bpfoff-examples-"));
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

function build(name: string): string {
  const out = join(buildDir, `${name}.o`);
  const args = ["-O2", "-g", "-target", "bpf", ...multiarchInclude(), "-c", join(ROOT, "examples", name, "prog.c"), "-o", out];
  const r = spawnSync("clang", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`clang ${args.join(" ")} failed:\n${r.stderr}`);
  return out;
}

/** The bytes as hex with a marker at the first difference, for readable failures. */
function hexDiff(what: string, got: Uint8Array, want: Uint8Array): string {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  return `${what}: first difference at byte ${i} (lengths ${got.length} and ${want.length})\n  got  ${Buffer.from(got).toString("hex")}\n  want ${Buffer.from(want).toString("hex")}`;
}

for (const example of buildExamples()) {
  const dir = join(ROOT, "examples", example.name);
  const model = MODELS[example.name];

  describe(`examples/${example.name}`, () => {
    it("has prog.c and README.md", () => {
      expect(existsSync(join(dir, "prog.c"))).toBe(true);
      expect(existsSync(join(dir, "README.md"))).toBe(true);
    });

    it(`packets.pcap and maps.json are what test/examples/packets.ts builds${UPDATE ? " (rewritten)" : ""}`, () => {
      const pcap = examplePcap(example);
      const maps = exampleMapsJson(example);
      if (UPDATE) {
        writeFileSync(join(dir, "packets.pcap"), pcap);
        writeFileSync(join(dir, "maps.json"), maps);
      }
      expect(existsSync(join(dir, "packets.pcap")), "run with UPDATE_GOLDEN=1 to create it").toBe(true);
      expect(Buffer.from(readFileSync(join(dir, "packets.pcap"))).equals(Buffer.from(pcap)), "packets.pcap is stale: UPDATE_GOLDEN=1").toBe(true);
      expect(readFileSync(join(dir, "maps.json"), "utf8")).toBe(maps);
      // maps.json is the format the CLI and kernel.ts read.
      expect(JSON.parse(maps)).toEqual(example.maps);
      const back = readPcap(readFileSync(join(dir, "packets.pcap")), `examples/${example.name}/packets.pcap`);
      expect(back.packets.map((p) => toHexBytes(p.data))).toEqual(example.packets.map((p) => toHexBytes(p.data)));
    });

    it.skipIf(!hasTcpdump)(`tcpdump reads packets.pcap (requires: tcpdump)${hasTcpdump ? "" : " — skipped: tcpdump not found"}`, () => {
      const r = spawnSync("tcpdump", ["-r", join(dir, "packets.pcap"), "-nn", "-e"], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split("\n")).toHaveLength(example.packets.length);
    });

    it("has 10-30 packets, every one at least an Ethernet header long", () => {
      expect(example.packets.length).toBeGreaterThanOrEqual(10);
      expect(example.packets.length).toBeLessThanOrEqual(30);
      for (const p of example.packets) expect(p.data.length, p.why).toBeGreaterThanOrEqual(14);
    });

    it("model gives each packet the verdict it was written for", () => {
      const { results } = runModel(model, example.packets.map((p) => p.data), example.maps);
      expect(results.map((r, i) => `${example.packets[i]!.why}: ${r.verdict}`)).toEqual(example.packets.map((p) => `${p.why}: ${p.expect}`));
    });

    it("model redirects to the ifindex each packet was written for", () => {
      const { results } = runModel(model, example.packets.map((p) => p.data), example.maps);
      expect(results.map((r) => r.redirectIfindex)).toEqual(example.packets.map((p) => p.ifindex));
    });

    if (example.name === "loadbalancer") {
      it("spreads the VIP flows over every backend in service", () => {
        const { results } = runModel(model, example.packets.map((p) => p.data), example.maps);
        const chosen = new Set(results.filter((r) => r.verdict === "XDP_TX").map((r) => r.packet.slice(30, 34).join(".")));
        const config = example.maps.config![0]!.value;
        const inService = parseInt(config[4]!, 16);
        const backends = example.maps.backends!.slice(0, inService).map((e) => e.value.slice(0, 4).map((b) => parseInt(b, 16)).join("."));
        expect([...chosen].sort()).toEqual(backends.sort());
      });
    }

    it("model output of forwarded IPv4 packets has valid checksums (full recomputation)", () => {
      const { results } = runModel(model, example.packets.map((p) => p.data), example.maps);
      for (const [i, r] of results.entries()) {
        if (r.verdict !== "XDP_TX" && r.verdict !== "XDP_REDIRECT") continue;
        expect(ipv4HeaderValid(r.packet, 14), example.packets[i]!.why).toBe(true);
        expect(l4ChecksumValid(r.packet, 14), example.packets[i]!.why).toBe(true);
      }
    });

    const skipReason = clangMissing;
    it.skipIf(skipReason !== undefined)(`bpfoff's interpreter agrees with the model (requires: clang)${skipReason ? ` — skipped: ${skipReason}` : ""}`, () => {
      const path = build(example.name);
      const object = loadElf(readFileSync(path), path);
      const maps = instantiateMaps(object);
      loadMapsState(maps, JSON.stringify(example.maps), "maps.json");
      const host = newHostState();
      const expected = runModel(model, example.packets.map((p) => p.data), example.maps);
      const mismatches: string[] = [];
      example.packets.forEach((p, i) => {
        const r = runXdp(object, p.data, maps, host, { ingressIfindex: 1, rxQueueIndex: 0 });
        const m = expected.results[i]!;
        const why = `packet ${i} (${p.why})`;
        if (r.verdict !== m.verdict) mismatches.push(`${why}: interpreter ${r.verdict}, model ${m.verdict}`);
        if (r.redirect?.ifindex !== m.redirectIfindex) mismatches.push(`${why}: interpreter redirects to ${r.redirect?.ifindex}, model to ${m.redirectIfindex}`);
        if (!Buffer.from(r.packet).equals(Buffer.from(m.packet))) mismatches.push(hexDiff(why, r.packet, m.packet));
      });
      expect(mismatches).toEqual([]);
      const finalMaps = JSON.parse(formatMapsState(maps));
      expect(canonicalMaps(finalMaps, example.arrayMaps)).toEqual(canonicalMaps(expected.maps, example.arrayMaps));
    });

    it.skipIf(skipReason !== undefined)(`bpfoff run --pcap --out --maps-out keeps the CLI contract (requires: clang)`, async () => {
      const path = build(example.name);
      const out = join(buildDir, `${example.name}.out.pcap`);
      const mapsOut = join(buildDir, `${example.name}.maps.json`);
      const { code, stdout, stderr } = await runCli(["run", path, "--pcap", join(dir, "packets.pcap"), "--maps-in", join(dir, "maps.json"), "--out", out, "--maps-out", mapsOut], ROOT);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      const expected = runModel(model, example.packets.map((p) => p.data), example.maps);
      const lines = stdout.trimEnd().split("\n");
      expect(lines.map((l) => l.split(", ").pop())).toEqual(expected.results.map((r) => r.verdict));
      const written = readPcap(readFileSync(out), out);
      expect(written.packets.map((p) => toHexBytes(p.data))).toEqual(expected.results.map((r) => toHexBytes(r.packet)));
      expect(canonicalMaps(JSON.parse(readFileSync(mapsOut, "utf8")), example.arrayMaps)).toEqual(canonicalMaps(expected.maps, example.arrayMaps));
    });

    if (skipReason !== undefined && CI) {
      it("requires clang", () => {
        throw new Error(`${skipReason}, and CI=true requires it`);
      });
    }
    it.skipIf(skipReason !== undefined)(`Linux agrees with the model (requires: clang, kernel-bpf)${skipReason ? ` — skipped: ${skipReason}` : ""}`, (ctx) => {
      const object = build(example.name);
      const run = runInKernel(object, example.packets.map((p) => p.data), example.maps);
      if ("skipped" in run) {
        console.warn(`SKIPPED (requires kernel-bpf): examples/${example.name}: ${run.skipped}`);
        // bpftool is the set-up's to install; the kernel's permission is the machine's to give.
        if (CI && !hasTool("bpftool", ["version"])) throw new Error(`bpftool is missing under CI=true: ${run.skipped}`);
        ctx.skip();
        return;
      }
      const expected = runModel(model, example.packets.map((p) => p.data), example.maps);
      const mismatches: string[] = [];
      for (const [i, k] of run.packets.entries()) {
        const m = expected.results[i]!;
        const why = `packet ${i} (${example.packets[i]!.why})`;
        if (k.verdict !== m.verdict) mismatches.push(`${why}: kernel ${k.verdict ?? k.retval}, model ${m.verdict}`);
        if (!Buffer.from(k.packet).equals(Buffer.from(m.packet))) mismatches.push(hexDiff(why, k.packet, m.packet));
      }
      expect(mismatches).toEqual([]);
      expect(canonicalMaps(run.maps, example.arrayMaps)).toEqual(canonicalMaps(expected.maps, example.arrayMaps));
    });
  });
}
