// The verifier's driver: abstract interpretation of one program of an object over all
// its paths, depth first, as the Linux verifier does (kernel/bpf/verifier.c,
// do_check + is_state_visited). At prune points (cfg.ts) the current state is compared
// with the states recorded there: contained in one whose every path has been explored
// to the end → pruned; exactly equal to one still being explored on this very path →
// the loop can repeat forever → rejected. Bounded loops are explored iteration by
// iteration until they exit, within a budget of instructions processed.
//
// Invariants: checkpoints are only ever compared after their exploration succeeded
// (the first rejection ends the run), so "branches === 0" means "safe from here".
import type { BpfObject } from "../ir/bpf/object.js";
import { diag, fail, type Diagnostic } from "../ir/diag/diag.js";
import { checkCfg } from "./cfg.js";
import { VerifierLog } from "./log.js";
import { cloneState, formatRegs, stateEqual, stateKey, stateWithin, top, type State } from "./state.js";
import { initialState, Reject, step, type Env, type ProgramType } from "./transfer.js";
import type { Reg } from "./types.js";

/** BPF_COMPLEXITY_LIMIT_INSNS: the kernel's budget of instructions processed. */
export const COMPLEXITY_LIMIT = 1_000_000;
/** States recorded per program at most: beyond it, exploration goes on without new checkpoints (memory stays bounded). */
const MAX_CHECKPOINTS = 32_768;
/** Explored states compared per prune point visit, newest first (pruning less is always sound). */
const PRUNE_SCAN = 64;

export interface VerifyOptions {
  readonly type: ProgramType;
  /** Keep the per-instruction log. */
  readonly log?: boolean;
  /** Instructions processed before giving up (COMPLEXITY_LIMIT). */
  readonly maxInsns?: number;
}

export interface VerifyStats {
  /** Instructions processed over all paths (the kernel's "processed N insns"). */
  readonly insnsProcessed: number;
  /** States recorded at prune points (the kernel's total_states). */
  readonly states: number;
  /** Most paths in flight at once: the current one plus those waiting on the branch stack. */
  readonly peakStates: number;
}

export type VerifyResult =
  | { readonly ok: true; readonly stats: VerifyStats; readonly log?: string }
  | {
      readonly ok: false;
      readonly diagnostics: Diagnostic[];
      /** Instruction indices where the failing path jumped (each jump, call and return target), then the failing instruction. */
      readonly path: number[];
      /** The registers (and initialised stack) at the failure, kernel-style. */
      readonly registers: string;
      readonly stats: VerifyStats;
      readonly log?: string;
    };

interface Checkpoint {
  readonly pc: number;
  readonly state: State;
  /** Paths still being explored from here (the kernel's `branches`). */
  branches: number;
  readonly parent: Checkpoint | undefined;
}

/** The jump targets of a path, newest first, shared between paths that forked. */
interface PathNode {
  readonly pc: number;
  readonly prev: PathNode | undefined;
}

interface Work {
  state: State;
  pc: number;
  parent: Checkpoint | undefined;
  path: PathNode | undefined;
  /** The branch instruction this path was forked at, for the log. */
  from: number;
}

function pathList(p: PathNode | undefined): number[] {
  const out: number[] = [];
  for (let n = p; n; n = n.prev) out.push(n.pc);
  return out.reverse();
}

/** A path ended (exit or pruned): its checkpoints have one path fewer in flight; those with none left are explored. */
function endPath(cp: Checkpoint | undefined, explored: Map<number, Checkpoint[]>): void {
  for (let c = cp; c; c = c.parent) {
    c.branches--;
    if (c.branches > 0) return;
    const list = explored.get(c.pc);
    if (list) list.push(c);
    else explored.set(c.pc, [c]);
  }
}

function isAncestor(cp: Checkpoint, of: Checkpoint | undefined): boolean {
  for (let c = of; c; c = c.parent) if (c === cp) return true;
  return false;
}

const JUMPING: ReadonlySet<string> = new Set(["ja", "ja32", "jmp_imm", "jmp_reg", "call", "exit"]);

export function verify(object: BpfObject, program: number, opts: VerifyOptions): VerifyResult {
  const prog = object.programs[program];
  if (!prog) return fail("cli-usage", {}, [`program ${program} does not exist (the object has ${object.programs.length})`]);
  const slots = prog.slots;
  const mapNames = object.maps.map((m) => m.name);
  const log = opts.log ? new VerifierLog(slots, object.maps, mapNames) : undefined;
  const maxInsns = opts.maxInsns ?? COMPLEXITY_LIMIT;
  let insnsProcessed = 0;
  let states = 0;
  let peakStates = 1;
  const stats = (): VerifyStats => ({ insnsProcessed, states, peakStates });

  const cfg = checkCfg(slots);
  if (cfg.problem) {
    const { insn, reason, code } = cfg.problem;
    log?.line(reason);
    return { ok: false, diagnostics: [diag(code, { insn }, [reason])], path: [insn], registers: "", stats: stats(), log: log?.text() };
  }
  const env: Env = { object, maps: object.maps, slots, forms: cfg.forms, type: opts.type };
  /** Checkpoints whose every path has been explored, by pc: what pruning compares with. */
  const explored = new Map<number, Checkpoint[]>();
  /** Checkpoints by stateKey: where an equal state may have been seen on this path. */
  const inProgress = new Map<string, Checkpoint[]>();
  const stack: Work[] = [{ state: initialState(env), pc: 0, parent: undefined, path: undefined, from: -1 }];

  const reject = (pc: number, code: Reject["code"], reason: string, st: State, path: PathNode | undefined): VerifyResult => {
    const registers = formatRegs(st, object.maps);
    const trail = pathList(path);
    if (trail[trail.length - 1] !== pc) trail.push(pc);
    log?.line(reason);
    const notes = [`path: ${trail.join(" -> ")}`, `registers: ${registers}`];
    return { ok: false, diagnostics: [diag(code, { insn: pc }, [reason], notes)], path: trail, registers, stats: stats(), log: log?.text() };
  };

  while (stack.length) {
    const work = stack.pop()!;
    let { state, pc, parent, path } = work;
    if (log && work.from >= 0) log.resume(work.from, pc, state);
    for (;;) {
      if (++insnsProcessed > maxInsns) {
        return reject(pc, "verify-complexity", `BPF program is too large: processed ${maxInsns} insns (the complexity limit) without finishing; a loop may not be bounded`, state, path);
      }
      if (cfg.prunePoints.has(pc)) {
        const list = explored.get(pc) ?? [];
        let pruned = false;
        for (let i = list.length - 1; i >= 0 && i >= list.length - PRUNE_SCAN; i--) {
          if (stateWithin(list[i]!.state, state)) {
            pruned = true;
            break;
          }
        }
        if (pruned) {
          log?.line(`${pc}: safe`);
          endPath(parent, explored);
          break;
        }
        const key = `${pc} ${stateKey(state)}`;
        const same = inProgress.get(key);
        if (same?.some((cp) => cp.branches > 0 && stateEqual(cp.state, state) && isAncestor(cp, parent))) {
          return reject(pc, "verify-loop", `infinite loop detected at insn ${pc}: the state repeats without progress`, state, path);
        }
        if (states < MAX_CHECKPOINTS) {
          const cp: Checkpoint = { pc, state: cloneState(state), branches: 1, parent };
          if (same) same.push(cp);
          else inProgress.set(key, [cp]);
          parent = cp;
          states++;
        }
      }
      const before: readonly Reg[] = log ? top(state).regs.slice() : [];
      const depth = state.frames.length;
      let succ;
      try {
        succ = step(env, state, pc);
      } catch (e) {
        if (e instanceof Reject) return reject(pc, e.code, e.reason, state, path);
        throw e;
      }
      log?.step(pc, before, depth, succ[succ.length - 1]?.state);
      if (succ.length === 0) {
        endPath(parent, explored);
        break;
      }
      const jumping = JUMPING.has(cfg.forms[pc]!.shape);
      for (const other of succ.slice(0, -1)) {
        if (parent) parent.branches++;
        stack.push({ state: other.state, pc: other.pc, parent, path: { pc: other.pc, prev: path }, from: pc });
      }
      peakStates = Math.max(peakStates, stack.length + 1);
      const cur = succ[succ.length - 1]!;
      if (jumping) path = { pc: cur.pc, prev: path };
      state = cur.state;
      pc = cur.pc;
    }
  }
  log?.line(`processed ${insnsProcessed} insns, total_states ${states}, peak_states ${peakStates}`);
  return { ok: true, stats: stats(), log: log?.text() };
}

export type { ProgramType } from "./transfer.js";
