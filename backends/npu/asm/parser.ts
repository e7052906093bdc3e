// The microcode grammar (CST only; assemble.ts builds microwords from it):
//   program     := line (Newline line)*
//   line        := [label] [statement]
//   label       := Identifier ':'
//   statement   := directive | instruction
//   directive   := Directive Number           (.word 0x...: a raw microword)
//   instruction := Identifier [operand (',' operand)*]
//   operand     := Register | memory | immediate | Number | Identifier
//   memory      := '[' Register [('+'|'-') Number] ']'
//   immediate   := '#' ['~'] Number ['<<' Number]
import { CstParser } from "chevrotain";
import * as T from "./tokens.js";

export class NpuAsmParser extends CstParser {
  constructor() {
    super(T.ALL_TOKENS, { recoveryEnabled: false });
    this.performSelfAnalysis();
  }

  program = this.RULE("program", () => {
    this.SUBRULE(this.line);
    this.MANY(() => {
      this.CONSUME(T.Newline);
      this.SUBRULE2(this.line);
    });
  });

  line = this.RULE("line", () => {
    this.OPTION({ GATE: () => this.LA(2).tokenType === T.Colon, DEF: () => this.SUBRULE(this.label) });
    this.OPTION2(() => this.SUBRULE(this.statement));
  });

  label = this.RULE("label", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Colon);
  });

  statement = this.RULE("statement", () => {
    this.OR([{ ALT: () => this.SUBRULE(this.directive) }, { ALT: () => this.SUBRULE(this.instruction) }]);
  });

  directive = this.RULE("directive", () => {
    this.CONSUME(T.Directive, { LABEL: "name" });
    this.CONSUME(T.Number, { LABEL: "value" });
  });

  instruction = this.RULE("instruction", () => {
    this.CONSUME(T.Identifier, { LABEL: "mnemonic" });
    this.OPTION(() => {
      this.SUBRULE(this.operand);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.operand);
      });
    });
  });

  operand = this.RULE("operand", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Register, { LABEL: "register" }) },
      { ALT: () => this.SUBRULE(this.memory) },
      { ALT: () => this.SUBRULE(this.immediate) },
      { ALT: () => this.CONSUME(T.Number, { LABEL: "number" }) },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "word" }) },
    ]);
  });

  memory = this.RULE("memory", () => {
    this.CONSUME(T.LBracket);
    this.CONSUME(T.Register, { LABEL: "base" });
    this.OPTION(() => {
      this.OR([{ ALT: () => this.CONSUME(T.Plus, { LABEL: "sign" }) }, { ALT: () => this.CONSUME(T.Minus, { LABEL: "sign" }) }]);
      this.CONSUME(T.Number, { LABEL: "offset" });
    });
    this.CONSUME(T.RBracket);
  });

  immediate = this.RULE("immediate", () => {
    this.CONSUME(T.Hash);
    this.OPTION(() => this.CONSUME(T.Tilde, { LABEL: "inv" }));
    this.CONSUME(T.Number, { LABEL: "value" });
    this.OPTION2(() => {
      this.CONSUME(T.ShiftLeft);
      this.CONSUME2(T.Number, { LABEL: "shift" });
    });
  });
}

/** One parser instance serves every call: Chevrotain parsers are reusable after `input =`. */
export function newNpuParser(): NpuAsmParser {
  return new NpuAsmParser();
}
