// Unified diffs of text (`bpfoff build --check`, golden-file tests): the lines of the
// longest common subsequence stay, the rest become - and + lines, in hunks with three
// lines of context, as `diff -u` prints them.

/** Past this many line pairs the LCS table is too big: the diff is one hunk replacing everything. */
const MAX_CELLS = 4_000_000;
const CONTEXT = 3;

type Op = readonly [kind: " " | "-" | "+", line: string];

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  // Common prefix and suffix first: most diffs are small changes in long files.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const x = a.slice(pre, a.length - suf);
  const y = b.slice(pre, b.length - suf);
  const mid: Op[] = [];
  if ((x.length + 1) * (y.length + 1) > MAX_CELLS) {
    mid.push(...x.map((l) => ["-", l] as const), ...y.map((l) => ["+", l] as const));
  } else {
    // lcs[i][j]: LCS length of x[i..] and y[j..].
    const w = y.length + 1;
    const lcs = new Uint32Array((x.length + 1) * w);
    for (let i = x.length - 1; i >= 0; i--)
      for (let j = y.length - 1; j >= 0; j--) lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < x.length || j < y.length) {
      if (i < x.length && j < y.length && x[i] === y[j]) (mid.push([" ", x[i]!]), i++, j++);
      else if (j < y.length && (i === x.length || lcs[i * w + j + 1]! > lcs[(i + 1) * w + j]!)) mid.push(["+", y[j++]!]);
      else mid.push(["-", x[i++]!]);
    }
  }
  return [...a.slice(0, pre).map((l) => [" ", l] as const), ...mid, ...a.slice(a.length - suf).map((l) => [" ", l] as const)];
}

const splitLines = (t: string): string[] => (t === "" ? [] : t.replace(/\n$/, "").split("\n"));

/** `--- from` / `+++ to` and the hunks; "" when the texts are equal. */
export function unifiedDiff(from: string, to: string, fromName: string, toName: string): string {
  if (from === to) return "";
  const ops = diffLines(splitLines(from), splitLines(to));
  const out = [`--- ${fromName}`, `+++ ${toName}`];
  const changed = ops.map((o, k) => (o[0] !== " " ? k : -1)).filter((k) => k >= 0);
  let k = 0;
  while (k < changed.length) {
    // A hunk spans changes closer than 2 * CONTEXT lines to each other.
    let end = k;
    while (end + 1 < changed.length && changed[end + 1]! - changed[end]! <= 2 * CONTEXT) end++;
    const start = Math.max(0, changed[k]! - CONTEXT);
    const stop = Math.min(ops.length, changed[end]! + CONTEXT + 1);
    const before = ops.slice(0, start);
    const aStart = before.filter((o) => o[0] !== "+").length;
    const bStart = before.filter((o) => o[0] !== "-").length;
    const body = ops.slice(start, stop);
    const aLen = body.filter((o) => o[0] !== "+").length;
    const bLen = body.filter((o) => o[0] !== "-").length;
    out.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`, ...body.map(([kind, line]) => kind + line));
    k = end + 1;
  }
  if (from.endsWith("\n") !== to.endsWith("\n")) out.push("\\ No newline at end of file (one side)");
  return out.join("\n") + "\n";
}

/** Whether bytes are text worth diffing: valid UTF-8 without NUL bytes. */
export function isText(data: Uint8Array): boolean {
  if (data.includes(0)) return false;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}
