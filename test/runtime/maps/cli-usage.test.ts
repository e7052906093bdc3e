// Commander's own usage errors for `bpfoff map` still end in one error line and exit 1.
import { describe, it, expect } from "vitest";
import { runCli } from "../../support/cli.js";

async function run(...argv: string[]) {
  const r = await runCli(argv, "/nonexistent");
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe("bpfoff map usage errors", () => {
  it("an unknown option", async () => {
    const r = await run("map", "dump", "x.img", "--frobnicate");
    expect(r).toEqual({ code: 1, out: "", err: "bpfoff: error: unknown option '--frobnicate'\n" });
  });
  it("a missing image argument", async () => {
    const r = await run("map", "dump");
    expect(r.code).toBe(1);
    expect(r.err).toBe("bpfoff: error: missing required argument 'image'\n");
  });
  it("help lists the subcommands", async () => {
    const r = await run("map", "--help");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/create \[options\] <image>[\s\S]*update[\s\S]*lookup[\s\S]*delete[\s\S]*dump/);
  });
});
