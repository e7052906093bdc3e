// Predicates from the paths' decision tree (backends/asic/compile/control.ts): on random
// decision trees and random sets of leaves, a cover holds on exactly its paths for every
// assignment of the atoms (those off a packet's path included: gateways compute them too),
// paths marked don't-care may go either way, and a projection only ever weakens it.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { always, cover, coverAtoms, project, rowOf, type Cube } from "../../../backends/asic/compile/control.js";
import type { Path } from "../../../backends/asic/analysis/paths.js";

type Tree = { leaf: true } | { atom: number; t: Tree; f: Tree };
const ATOMS = 6;

/** A decision tree testing each atom at most once on a root-to-leaf path. */
const treeArb = (free: readonly number[], depth: number): fc.Arbitrary<Tree> =>
  depth === 0 || free.length === 0
    ? fc.constant({ leaf: true as const })
    : fc.oneof(
        { weight: 1, arbitrary: fc.constant({ leaf: true as const }) },
        {
          weight: 3,
          arbitrary: fc.constantFrom(...free).chain((atom) => {
            const rest = free.filter((a) => a !== atom);
            return fc.record({ atom: fc.constant(atom), t: treeArb(rest, depth - 1), f: treeArb(rest, depth - 1) });
          }),
        },
      );

function pathsOf(tree: Tree): Path[] {
  const out: Path[] = [];
  const walk = (t: Tree, atoms: { atom: number; value: boolean }[]) => {
    if ("leaf" in t) return void out.push({ atoms, parser: [], verdict: [], delta: 0, writes: new Map(), bytes: new Map(), stateful: [] });
    walk(t.t, [...atoms, { atom: t.atom, value: true }]);
    walk(t.f, [...atoms, { atom: t.atom, value: false }]);
  };
  walk(tree, []);
  return out;
}

/** The leaf (path index, in the order pathsOf lists them) a full assignment reaches. */
function leafOf(tree: Tree, x: number): number {
  let k = 0;
  const count = (t: Tree): number => ("leaf" in t ? 1 : count(t.t) + count(t.f));
  let t = tree;
  while (!("leaf" in t)) {
    if ((x >> t.atom) & 1) t = t.t;
    else (k += count(t.t), (t = t.f));
  }
  return k;
}

const holds = (cubes: readonly Cube[], x: number) => cubes.some((c) => c.every(([a, v]) => Boolean((x >> a) & 1) === v));
const all = Array.from({ length: ATOMS }, (_, i) => i);
const caseArb = treeArb(all, 5).chain((tree) => {
  const n = pathsOf(tree).length;
  return fc.record({ tree: fc.constant(tree), member: fc.array(fc.boolean(), { minLength: n, maxLength: n }), dc: fc.array(fc.boolean(), { minLength: n, maxLength: n }) });
});

describe("covers of the paths' decision tree", () => {
  it("hold on exactly the members' paths, under every assignment of the atoms", () => {
    fc.assert(
      fc.property(caseArb, ({ tree, member }) => {
        const cubes = cover(pathsOf(tree), (k) => member[k]!);
        for (let x = 0; x < 1 << ATOMS; x++) expect(holds(cubes, x)).toBe(member[leafOf(tree, x)]!);
      }),
      { numRuns: 300 },
    );
  });

  it("don't-care paths may go either way, the others may not", () => {
    fc.assert(
      fc.property(caseArb, ({ tree, member, dc }) => {
        const cubes = cover(pathsOf(tree), (k) => member[k]!, (k) => dc[k]!);
        for (let x = 0; x < 1 << ATOMS; x++) {
          const leaf = leafOf(tree, x);
          if (member[leaf]) expect(holds(cubes, x)).toBe(true);
          else if (!dc[leaf]) expect(holds(cubes, x)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a projection onto fewer atoms only weakens the predicate", () => {
    fc.assert(
      fc.property(caseArb, fc.array(fc.boolean(), { minLength: ATOMS, maxLength: ATOMS }), ({ tree, member }, visible) => {
        const cubes = cover(pathsOf(tree), (k) => member[k]!);
        const weak = project(cubes, (a) => visible[a]!);
        expect(coverAtoms(weak).every((a) => visible[a])).toBe(true);
        for (let x = 0; x < 1 << ATOMS; x++) if (holds(cubes, x)) expect(holds(weak, x)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("an effect every path of a subtree has is one row, whatever the subtree tests below", () => {
    // a ? (b ? X : X') : Y, with X and X' both members: one cube, `a`.
    const tree: Tree = { atom: 0, t: { atom: 1, t: { leaf: true }, f: { atom: 2, t: { leaf: true }, f: { leaf: true } } }, f: { leaf: true } };
    const cubes = cover(pathsOf(tree), (k) => k < 3);
    expect(cubes).toEqual([[[0, true]]]);
    expect(rowOf(cubes[0]!, coverAtoms(cubes))).toBe("1");
    expect(always(cover(pathsOf(tree), () => true))).toBe(true);
    expect(cover(pathsOf(tree), () => false)).toEqual([]);
  });
});
