// The P4-16 lexer: one Chevrotain Lexer over tokens.ts, with full position tracking for
// file:line:col diagnostics.
import { Lexer } from "chevrotain";
import { ALL_TOKENS } from "./tokens.js";

export const p4Lexer = new Lexer(ALL_TOKENS, { positionTracking: "full", ensureOptimizations: false });
