// The registry of CLI commands: one module per command, each adding itself to the
// commander program. Adding a command is adding a file and a line here.
import type { Command } from "commander";
import type { CliContext } from "../io.js";
import { registerAsm } from "./asm.js";
import { registerBuild } from "./build.js";
import { registerDisasm } from "./disasm.js";
import { registerIr } from "./ir.js";
import { registerMap } from "./map.js";
import { registerRun } from "./run.js";
import { registerSim } from "./sim.js";
import { registerTest } from "./test.js";
import { registerVerify } from "./verify.js";

export type RegisterCommand = (program: Command, ctx: CliContext) => void;

export const COMMANDS: readonly RegisterCommand[] = [registerRun, registerAsm, registerDisasm, registerIr, registerMap, registerVerify, registerBuild, registerSim, registerTest];
