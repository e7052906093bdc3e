// bpfoff's version as artifacts record it (manifest.json). Kept equal to package.json's
// "version" by test/backends/bundle.test.ts; a constant, so that no build reads files
// outside its inputs.
export const BPFOFF_VERSION = "0.1.0";
