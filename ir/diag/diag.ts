// Diagnostics are data (STYLE.md §9): a code, a location, a message and notes. User
// errors are `error`; compiler bugs are `bug`. Stages collect diagnostics and throw a
// DiagnosticError only at their boundary, so one run reports every problem it can.
import { MESSAGES, type DiagCode } from "./messages.js";

/** Where a diagnostic points: a source position, an instruction index, or both. */
export interface Location {
  readonly file?: string;
  /** 1-based line and column. */
  readonly line?: number;
  readonly col?: number;
  /** Length of the marked span, for the caret line. */
  readonly length?: number;
  /** Instruction (slot) index within a program. */
  readonly insn?: number;
}

export interface Diagnostic {
  readonly code: DiagCode;
  readonly severity: "error" | "bug";
  readonly loc: Location;
  readonly message: string;
  readonly notes: readonly string[];
}

export function formatMessage(code: DiagCode, args: readonly (string | number | bigint)[]): string {
  return MESSAGES[code].replace(/\{(\d+)\}/g, (_, i: string) => String(args[Number(i)]));
}

export function diag(code: DiagCode, loc: Location, args: readonly (string | number | bigint)[] = [], notes: string[] = []): Diagnostic {
  return { code, severity: "error", loc, message: formatMessage(code, args), notes };
}

/** Thrown at a stage boundary with every diagnostic the stage collected. */
export class DiagnosticError extends Error {
  readonly diagnostics: readonly Diagnostic[];
  constructor(diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map((d) => renderDiagnostic(d)).join("\n"));
    this.diagnostics = diagnostics;
  }
}

/** Throws a DiagnosticError for one diagnostic. */
export function fail(code: DiagCode, loc: Location, args: readonly (string | number | bigint)[] = [], notes: string[] = []): never {
  throw new DiagnosticError([diag(code, loc, args, notes)]);
}

/** `file:line:col`, `file: instruction N`, or `instruction N`. */
export function renderLocation(loc: Location): string {
  const parts: string[] = [];
  if (loc.file !== undefined) {
    let p = loc.file;
    if (loc.line !== undefined) p += `:${loc.line}`;
    if (loc.line !== undefined && loc.col !== undefined) p += `:${loc.col}`;
    parts.push(p);
  }
  if (loc.insn !== undefined) parts.push(`instruction ${loc.insn}`);
  return parts.join(": ");
}

/**
 * One diagnostic as the CLI prints it: `bpfoff: error: LOC: message`, then the source
 * line with a caret under the column when the source text is known, then the notes.
 */
export function renderDiagnostic(d: Diagnostic, source?: string): string {
  const where = renderLocation(d.loc);
  const lines = [`bpfoff: ${d.severity}: ${where ? where + ": " : ""}${d.message}`];
  if (source !== undefined && d.loc.line !== undefined) {
    const text = source.split(/\r?\n/)[d.loc.line - 1];
    if (text !== undefined) {
      lines.push(`  ${text}`);
      const col = Math.max(1, d.loc.col ?? 1);
      // Tabs before the column stay tabs, so that the caret lines up under tab-indented code.
      const pad = text.slice(0, col - 1).replace(/[^\t]/g, " ").padEnd(col - 1, " ");
      lines.push(`  ${pad}^${"~".repeat(Math.max(0, (d.loc.length ?? 1) - 1))}`);
    }
  }
  for (const n of d.notes) lines.push(`  note: ${n}`);
  return lines.join("\n");
}
