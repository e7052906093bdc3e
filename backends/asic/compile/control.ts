// Control flow as predicates (docs/asic-pipeline.md §Control flow). The recovered paths are
// the leaves of the program's decision tree: each path is the sequence of atoms it forked
// on, and two paths share the prefix up to the fork that separated them. A table or an
// action block applies on a set of paths; its predicate is the smallest set of cubes
// (conjunctions of atom outcomes, `0`/`1`/`x` over predicate and hit bits) we find that
// holds on exactly those paths:
//   1. every maximal subtree of the decision tree whose paths are all in the set is one
//      cube (its prefix): an effect that does not depend on a later branch is not split;
//   2. each cube loses the literals it does not need: a literal goes when the cube without
//      it still meets none of the paths it must not hold on (a path meets a cube unless one
//      of the path's outcomes contradicts it; an atom the path did not test may be either);
//   3. cubes C∧a and C∧¬a merge into C, and a cube implied by another is dropped, until
//      nothing changes.
// Every step keeps the predicate true on the set's paths and false on the others; paths
// that may go either way (`dontCare`: those an earlier row of a first-match table takes)
// let the cubes grow over them.
// Pure functions over paths; no state.
import type { Path } from "../analysis/paths.js";

/** A conjunction of atom outcomes, sorted by atom. */
export type Cube = readonly (readonly [atom: number, value: boolean])[];

/** The cubes of the maximal subtrees whose paths are all members (step 1), expanded (2) and merged (3). */
export function cover(paths: readonly Path[], member: (path: number) => boolean, dontCare: (path: number) => boolean = () => false): Cube[] {
  const out: Cube[] = [];
  const walk = (group: readonly number[], depth: number, prefix: Cube): void => {
    const inside = group.filter(member).length;
    if (inside === 0) return;
    if (inside + group.filter((k) => !member(k) && dontCare(k)).length === group.length) return void out.push(prefix);
    // A mixed group has at least two paths, so none ends here: they fork on one atom at this depth.
    const atom = paths[group[0]!]!.atoms[depth]!.atom;
    for (const value of [true, false]) {
      const sub = group.filter((k) => paths[k]!.atoms[depth]!.value === value);
      if (sub.length) walk(sub, depth + 1, [...prefix, [atom, value] as const]);
    }
  };
  walk(
    paths.map((_, k) => k),
    0,
    [],
  );
  const off = paths.filter((_, k) => !member(k) && !dontCare(k)).map((p) => new Map(p.atoms.map((a) => [a.atom, a.value] as const)));
  const meets = (c: Cube) => off.some((p) => c.every(([a, v]) => !p.has(a) || p.get(a) === v));
  const expanded = out.map((c) => {
    let cube = c;
    // In tree order: a shallow condition (a bounds check) is often implied by the deeper ones.
    for (const lit of c) {
      const without = cube.filter((l) => l !== lit);
      if (!meets(without)) cube = without;
    }
    return cube;
  });
  return simplify(expanded.map(sorted));
}

/**
 * The cover as seen by a unit that can read only some atoms (those computed before it):
 * the others are dropped from every cube, which makes the predicate weaker, never
 * stronger (the unit applies on all its paths, and perhaps some more: a match table
 * looked up speculatively).
 */
export function project(cubes: readonly Cube[], visible: (atom: number) => boolean): Cube[] {
  return simplify(cubes.map((c) => c.filter(([a]) => visible(a))));
}

/** The atoms a cover tests, in order: the key bits of its rows. */
export function coverAtoms(cubes: readonly Cube[]): number[] {
  return [...new Set(cubes.flatMap((c) => c.map(([a]) => a)))].sort((a, b) => a - b);
}

/** A cube as a ternary row over `key` (atoms): '1', '0' or 'x' per key bit. */
export function rowOf(cube: Cube, key: readonly number[]): string {
  const m = new Map(cube);
  return key.map((a) => (m.has(a) ? (m.get(a) ? "1" : "0") : "x")).join("");
}

/** True when the cover is every path (an empty cube). */
export function always(cubes: readonly Cube[]): boolean {
  return cubes.some((c) => c.length === 0);
}

function sorted(c: Cube): Cube {
  return [...c].sort((x, y) => x[0] - y[0]);
}

const keyOf = (c: Cube) => c.map(([a, v]) => `${v ? "" : "!"}${a}`).join(",");

/** Merge C∧a with C∧¬a, drop implied cubes, to a fixpoint; the result in a canonical order. */
function simplify(input: readonly Cube[]): Cube[] {
  let cubes = dedupe(input);
  for (let changed = true; changed; ) {
    changed = false;
    // Absorption: a cube whose literals include all of another's is implied by it.
    const kept = cubes.filter((c, i) => !cubes.some((d, j) => j !== i && d.length < c.length && d.every(([a, v]) => c.some(([b, w]) => a === b && v === w))));
    if (kept.length !== cubes.length) (cubes = kept), (changed = true);
    // Adjacency: same atoms, one opposite outcome.
    const byShape = new Map<string, Cube[]>();
    for (const c of cubes) {
      const shape = c.map(([a]) => a).join(",");
      if (!byShape.has(shape)) byShape.set(shape, []);
      byShape.get(shape)!.push(c);
    }
    const next: Cube[] = [];
    for (const group of byShape.values()) {
      const used = new Set<number>();
      for (let i = 0; i < group.length; i++) {
        if (used.has(i)) continue;
        for (let j = i + 1; j < group.length; j++) {
          if (used.has(j)) continue;
          const x = group[i]!, y = group[j]!;
          const diff = x.map((l, k) => (l[1] !== y[k]![1] ? k : -1)).filter((k) => k >= 0);
          if (diff.length !== 1) continue;
          next.push(x.filter((_, k) => k !== diff[0]));
          used.add(i).add(j);
          break;
        }
        if (!used.has(i)) next.push(group[i]!);
      }
    }
    if (next.length !== cubes.length) (cubes = dedupe(next)), (changed = true);
  }
  return [...cubes].sort((x, y) => x.length - y.length || keyOf(x).localeCompare(keyOf(y)));
}

function dedupe(cubes: readonly Cube[]): Cube[] {
  const seen = new Map<string, Cube>();
  for (const c of cubes) if (!seen.has(keyOf(c))) seen.set(keyOf(c), c);
  return [...seen.values()];
}
