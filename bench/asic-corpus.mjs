// The P4 corpus as the asic benches build it: every `.p4` of test/frontends/p4/corpus, with
// its `<name>.entries.json` when it has one, built in memory as `bpfoff build X.p4 --target
// asic` does. `dist` is the compiled tree to load (a build of another commit, for figures
// before a change). One place, so that bench/asic.mjs and bench/asic-deparser.mjs measure the
// same builds.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const CORPUS = "test/frontends/p4/corpus";

/** The corpus programs' names, sorted, and a function building one into its bundle's files. */
export async function asicCorpus(dist = "dist") {
  const root = resolve(dist);
  const { loadP4, P4_PIPELINE, entriesForMaps } = await import(pathToFileURL(`${root}/cli/load-p4.js`).href);
  const { buildInMemory } = await import(pathToFileURL(`${root}/backends/common/pipeline.js`).href);
  const names = readdirSync(CORPUS).filter((f) => f.endsWith(".p4")).map((f) => f.slice(0, -3)).sort();
  const build = (name) => {
    const file = `${CORPUS}/${name}.p4`;
    const bytes = readFileSync(file);
    const entriesFile = `${CORPUS}/${name}.entries.json`;
    const { object, p4 } = loadP4(bytes, file);
    const entries = existsSync(entriesFile) ? entriesForMaps(p4, readFileSync(entriesFile, "utf8"), "entries.json") : undefined;
    return buildInMemory({ object, file, bytes, target: "asic", passes: P4_PIPELINE, ...(entries ? { mapEntries: entries } : {}) });
  };
  return { names, build };
}
