// The P4-16 grammar (CST only; visitor.ts builds the AST). Rule names follow the
// productions of the P4-16 language specification 1.2.x, Appendix "P4 grammar"
// (p4program, declaration, headerTypeDeclaration, parserDeclaration, parserState,
// selectExpression, keysetExpression, controlDeclaration, tableDeclaration, ...).
// Where the spec's grammar needs the lexer to know type names (p4c's TYPE_IDENTIFIER),
// a gate looks ahead instead: `(T) e` is a cast when a primary follows the `)`, and
// `Name name` starts a declaration.
import { CstParser, type CstNode, type IToken, type TokenType } from "chevrotain";
import * as T from "./tokens.js";

export class P4Parser extends CstParser {
  /**
   * `validate`: Chevrotain's grammar checks (ambiguities, left recursion). They cost seconds
   * on this grammar at every start, so the CLI skips them and a test runs them
   * (test/frontends/p4/parser.test.ts), as Chevrotain's documentation suggests.
   */
  constructor(validate = false) {
    super(T.ALL_TOKENS, { recoveryEnabled: false, maxLookahead: 3, skipValidations: !validate });
    this.performSelfAnalysis();
  }

  private la(k: number): TokenType {
    return this.LA(k).tokenType;
  }

  /** Two `>` with nothing between them: a right shift (tokens.ts keeps `>>` as two tokens). */
  private shrAhead(): boolean {
    const a = this.LA(1);
    const b = this.LA(2);
    return a.tokenType === T.Gt && b.tokenType === T.Gt && b.startOffset === a.startOffset + 1;
  }

  /** `<` that opens type arguments (a generic call `f<T>(x)`), not a comparison. */
  private typeArgsAhead(): boolean {
    if (this.la(1) !== T.Lt) return false;
    let depth = 0;
    for (let k = 1; k < 40; k++) {
      const t = this.la(k);
      if (t === T.Lt) depth++;
      else if (t === T.Gt) {
        depth--;
        if (depth === 0) return this.la(k + 1) === T.LParen;
      } else if (!(t === T.Identifier || t === T.Comma || t === T.IntegerLiteral || t === T.Dot || T.KEYWORDS["bit"] === t || t === T.Int || t === T.Bool || t === T.Varbit || t === T.LBracket || t === T.RBracket)) return false;
    }
    return false;
  }

  /** `(` type `)` followed by something that starts a unary expression: a cast. */
  private castAhead(): boolean {
    if (this.la(1) !== T.LParen) return false;
    const first = this.la(2);
    let k = 2;
    if (first === T.Bit || first === T.Int || first === T.Varbit) {
      k = 3;
      if (this.la(3) === T.Lt) {
        let depth = 0;
        for (; k < 12; k++) {
          if (this.la(k) === T.Lt) depth++;
          if (this.la(k) === T.Gt && --depth === 0) break;
        }
        k++;
      }
    } else if (first === T.Bool || first === T.Identifier) k = 3;
    else return false;
    if (this.la(k) !== T.RParen) return false;
    if (first === T.Bit || first === T.Int || first === T.Varbit || first === T.Bool) return true;
    const next = this.la(k + 1);
    return next === T.Identifier || next === T.IntegerLiteral || next === T.LParen || next === T.True || next === T.False || next === T.Not || next === T.Tilde || next === T.ErrorKw;
  }

  /** A parenthesised list with a top-level comma: a tuple keyset `(a, b)`. */
  private tupleAhead(): boolean {
    if (this.la(1) !== T.LParen) return false;
    let depth = 0;
    for (let k = 1; k < 200; k++) {
      const t = this.la(k);
      if (t === T.LParen || t === T.LBrace || t === T.LBracket) depth++;
      else if (t === T.RParen || t === T.RBrace || t === T.RBracket) {
        if (--depth === 0) return false;
      } else if (t === T.Comma && depth === 1) return true;
      else if (t === T.Semi) return false;
    }
    return false;
  }

  /** A local declaration `Type name ...` (type keyword, or two names in a row, or `T<..>`/`T[..]` then a name). */
  private declAhead(): boolean {
    const a = this.la(1);
    if (a === T.Bit || a === T.Int || a === T.Varbit || a === T.Bool || a === T.ErrorKw) return this.la(2) !== T.Dot;
    if (a === T.Tuple) return true;
    if (a !== T.Identifier) return false;
    if (this.la(2) === T.Identifier) return true;
    if (this.la(2) === T.Lt) {
      // Name<...> name: a specialised type then the declared name.
      let depth = 0;
      for (let k = 2; k < 30; k++) {
        const t = this.la(k);
        if (t === T.Lt) depth++;
        else if (t === T.Gt && --depth === 0) return this.la(k + 1) === T.Identifier;
        else if (t === T.Semi || t === T.LParen || t === T.Assign) return false;
      }
      return false;
    }
    if (this.la(2) === T.LBracket) {
      // H[4] name vs a[4] = ...: a declaration has a name after ]
      let k = 3;
      while (k < 10 && this.la(k) !== T.RBracket) k++;
      return this.la(k + 1) === T.Identifier;
    }
    return false;
  }

  p4program = this.RULE("p4program", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Include, { LABEL: "include" }) },
        { ALT: () => this.CONSUME(T.Semi) },
        { ALT: () => this.SUBRULE(this.declaration) },
      ]);
    });
  });

  annotation = this.RULE("annotation", () => {
    this.CONSUME(T.At);
    this.SUBRULE(this.name);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.OPTION2(() => this.SUBRULE(this.argumentList));
      this.CONSUME(T.RParen);
    });
  });

  annotations = this.RULE("annotations", () => {
    this.AT_LEAST_ONE(() => this.SUBRULE(this.annotation));
  });

  /** Names may be keywords in some positions (`key`, `entries`, `apply`, `type`, `state`... as field or method names). */
  name = this.RULE("name", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.Key) },
      { ALT: () => this.CONSUME(T.Entries) },
      { ALT: () => this.CONSUME(T.Apply) },
      { ALT: () => this.CONSUME(T.Type) },
      { ALT: () => this.CONSUME(T.State) },
      { ALT: () => this.CONSUME(T.Action) },
    ]);
  });

  declaration = this.RULE("declaration", () => {
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.OR([
      { ALT: () => this.SUBRULE(this.constantDeclaration) },
      { ALT: () => this.SUBRULE(this.externDeclaration) },
      { ALT: () => this.SUBRULE(this.actionDeclaration) },
      { ALT: () => this.SUBRULE(this.parserDeclaration) },
      { ALT: () => this.SUBRULE(this.controlDeclaration) },
      { ALT: () => this.SUBRULE(this.packageTypeDeclaration) },
      { ALT: () => this.SUBRULE(this.headerTypeDeclaration) },
      { ALT: () => this.SUBRULE(this.headerUnionDeclaration) },
      { ALT: () => this.SUBRULE(this.structTypeDeclaration) },
      { ALT: () => this.SUBRULE(this.enumDeclaration) },
      { ALT: () => this.SUBRULE(this.typedefDeclaration) },
      { ALT: () => this.SUBRULE(this.errorDeclaration) },
      { ALT: () => this.SUBRULE(this.matchKindDeclaration) },
      { ALT: () => this.SUBRULE(this.instantiation) },
    ]);
  });

  constantDeclaration = this.RULE("constantDeclaration", () => {
    this.CONSUME(T.Const);
    this.SUBRULE(this.typeRef);
    this.SUBRULE(this.name);
    this.CONSUME(T.Assign);
    this.SUBRULE(this.expression, { LABEL: "value" });
    this.CONSUME(T.Semi);
  });

  // externDeclaration: `extern Name<T> { methodPrototype* }` or `extern functionPrototype;`
  externDeclaration = this.RULE("externDeclaration", () => {
    this.CONSUME(T.Extern);
    this.OR([
      {
        GATE: () => this.la(1) === T.Identifier && (this.la(2) === T.LBrace || this.la(2) === T.Lt) && this.externObjectAhead(),
        ALT: () => {
          this.SUBRULE(this.name);
          this.OPTION(() => this.SUBRULE(this.typeParameters));
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.methodPrototype));
          this.CONSUME(T.RBrace);
        },
      },
      {
        ALT: () => {
          this.SUBRULE(this.functionPrototype);
          this.CONSUME(T.Semi);
        },
      },
    ]);
  });

  private externObjectAhead(): boolean {
    if (this.la(2) === T.LBrace) return true;
    let depth = 0;
    for (let k = 2; k < 20; k++) {
      const t = this.la(k);
      if (t === T.Lt) depth++;
      if (t === T.Gt && --depth === 0) return this.la(k + 1) === T.LBrace;
    }
    return false;
  }

  methodPrototype = this.RULE("methodPrototype", () => {
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.OR([
      {
        // A constructor: the extern's own name then parameters.
        GATE: () => this.la(1) === T.Identifier && this.la(2) === T.LParen,
        ALT: () => {
          this.SUBRULE(this.name, { LABEL: "ctor" });
          this.SUBRULE(this.parameterList);
        },
      },
      { ALT: () => this.SUBRULE(this.functionPrototype) },
    ]);
    this.CONSUME(T.Semi);
  });

  functionPrototype = this.RULE("functionPrototype", () => {
    this.SUBRULE(this.typeRef, { LABEL: "returnType" });
    this.SUBRULE(this.name);
    this.OPTION(() => this.SUBRULE(this.typeParameters));
    this.SUBRULE(this.parameterList);
  });

  typeParameters = this.RULE("typeParameters", () => {
    this.CONSUME(T.Lt);
    this.SUBRULE(this.name);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.name);
    });
    this.CONSUME(T.Gt);
  });

  parameterList = this.RULE("parameterList", () => {
    this.CONSUME(T.LParen);
    this.OPTION(() => {
      this.SUBRULE(this.parameter);
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.parameter);
      });
    });
    this.CONSUME(T.RParen);
  });

  parameter = this.RULE("parameter", () => {
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.OPTION2(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.In, { LABEL: "direction" }) },
        { ALT: () => this.CONSUME(T.Out, { LABEL: "direction" }) },
        { ALT: () => this.CONSUME(T.Inout, { LABEL: "direction" }) },
      ]);
    });
    this.SUBRULE(this.typeRef);
    this.SUBRULE(this.name);
    this.OPTION3(() => {
      this.CONSUME(T.Assign);
      this.SUBRULE(this.expression, { LABEL: "default" });
    });
  });

  actionDeclaration = this.RULE("actionDeclaration", () => {
    this.CONSUME(T.Action);
    this.SUBRULE(this.name);
    this.SUBRULE(this.parameterList);
    this.SUBRULE(this.blockStatement);
  });

  // parserDeclaration and parserTypeDeclaration share their head; a body makes it a declaration.
  parserDeclaration = this.RULE("parserDeclaration", () => {
    this.CONSUME(T.Parser);
    this.SUBRULE(this.name);
    this.OPTION(() => this.SUBRULE(this.typeParameters));
    this.SUBRULE(this.parameterList);
    this.OR([
      { ALT: () => this.CONSUME(T.Semi, { LABEL: "prototype" }) },
      {
        ALT: () => {
          this.OPTION2(() => this.SUBRULE2(this.parameterList, { LABEL: "constructorParameters" }));
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.parserLocalElement));
          this.AT_LEAST_ONE(() => this.SUBRULE(this.parserState));
          this.CONSUME(T.RBrace);
        },
      },
    ]);
  });

  parserLocalElement = this.RULE("parserLocalElement", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.constantDeclaration) },
      { GATE: () => this.instantiationAhead(), ALT: () => this.SUBRULE(this.instantiation) },
      { ALT: () => this.SUBRULE(this.variableDeclaration) },
    ]);
  });

  parserState = this.RULE("parserState", () => {
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.CONSUME(T.State);
    this.SUBRULE(this.name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.SUBRULE(this.transitionStatement);
    this.CONSUME(T.RBrace);
  });

  transitionStatement = this.RULE("transitionStatement", () => {
    this.CONSUME(T.Transition);
    this.OR([
      { ALT: () => this.SUBRULE(this.selectExpression) },
      {
        ALT: () => {
          this.SUBRULE(this.name, { LABEL: "next" });
          this.CONSUME(T.Semi);
        },
      },
    ]);
  });

  selectExpression = this.RULE("selectExpression", () => {
    this.CONSUME(T.Select);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expressionList);
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.selectCase));
    this.CONSUME(T.RBrace);
  });

  selectCase = this.RULE("selectCase", () => {
    this.SUBRULE(this.keysetExpression);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.name, { LABEL: "next" });
    this.CONSUME(T.Semi);
  });

  keysetExpression = this.RULE("keysetExpression", () => {
    this.OR([
      {
        GATE: () => this.tupleAhead(),
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.simpleKeysetExpression, { LABEL: "element" });
          this.MANY(() => {
            this.CONSUME(T.Comma);
            this.SUBRULE2(this.simpleKeysetExpression, { LABEL: "element" });
          });
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE3(this.simpleKeysetExpression, { LABEL: "element" }) },
    ]);
  });

  // simpleKeysetExpression: expression [&&& mask | .. high], default, or _ (§12.6.1)
  simpleKeysetExpression = this.RULE("simpleKeysetExpression", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Default, { LABEL: "default" }) },
      { ALT: () => this.CONSUME(T.DontCare, { LABEL: "dontCare" }) },
      {
        ALT: () => {
          this.SUBRULE(this.expression, { LABEL: "value" });
          this.OPTION(() => {
            this.OR2([
              {
                ALT: () => {
                  this.CONSUME(T.Mask);
                  this.SUBRULE2(this.expression, { LABEL: "mask" });
                },
              },
              {
                ALT: () => {
                  this.CONSUME(T.Range);
                  this.SUBRULE3(this.expression, { LABEL: "high" });
                },
              },
            ]);
          });
        },
      },
    ]);
  });

  controlDeclaration = this.RULE("controlDeclaration", () => {
    this.CONSUME(T.Control);
    this.SUBRULE(this.name);
    this.OPTION(() => this.SUBRULE(this.typeParameters));
    this.SUBRULE(this.parameterList);
    this.OR([
      { ALT: () => this.CONSUME(T.Semi, { LABEL: "prototype" }) },
      {
        ALT: () => {
          this.OPTION2(() => this.SUBRULE2(this.parameterList, { LABEL: "constructorParameters" }));
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.controlLocalDeclaration));
          this.CONSUME(T.Apply);
          this.SUBRULE(this.blockStatement, { LABEL: "body" });
          this.CONSUME(T.RBrace);
        },
      },
    ]);
  });

  controlLocalDeclaration = this.RULE("controlLocalDeclaration", () => {
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.OR([
      { ALT: () => this.SUBRULE(this.constantDeclaration) },
      { ALT: () => this.SUBRULE(this.actionDeclaration) },
      { ALT: () => this.SUBRULE(this.tableDeclaration) },
      { GATE: () => this.instantiationAhead(), ALT: () => this.SUBRULE(this.instantiation) },
      { ALT: () => this.SUBRULE(this.variableDeclaration) },
    ]);
  });

  /** `Type(args) name;` or `Type<T>(args) name;` */
  private instantiationAhead(): boolean {
    if (this.la(1) !== T.Identifier) return false;
    if (this.la(2) === T.LParen) return true;
    return this.la(2) === T.Lt && this.typeArgsAheadAt(2);
  }

  private typeArgsAheadAt(start: number): boolean {
    let depth = 0;
    for (let k = start; k < start + 30; k++) {
      const t = this.la(k);
      if (t === T.Lt) depth++;
      else if (t === T.Gt && --depth === 0) return this.la(k + 1) === T.LParen;
      else if (t === T.Semi || t === T.Assign) return false;
    }
    return false;
  }

  tableDeclaration = this.RULE("tableDeclaration", () => {
    this.CONSUME(T.Table);
    this.SUBRULE(this.name);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.tableProperty));
    this.CONSUME(T.RBrace);
  });

  tableProperty = this.RULE("tableProperty", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Key);
          this.CONSUME(T.Assign);
          this.CONSUME(T.LBrace);
          this.MANY(() => this.SUBRULE(this.keyElement));
          this.CONSUME(T.RBrace);
        },
      },
      {
        GATE: () => this.LA(1).image === "actions" && this.la(2) === T.Assign,
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "actions" });
          this.CONSUME2(T.Assign);
          this.CONSUME2(T.LBrace);
          this.MANY2(() => {
            this.SUBRULE(this.actionRef);
            this.CONSUME(T.Semi);
          });
          this.CONSUME2(T.RBrace);
        },
      },
      {
        GATE: () => this.la(1) === T.Entries || (this.la(1) === T.Const && this.la(2) === T.Entries),
        ALT: () => {
          this.OPTION(() => this.CONSUME(T.Const, { LABEL: "constEntries" }));
          this.CONSUME(T.Entries);
          this.CONSUME3(T.Assign);
          this.CONSUME3(T.LBrace);
          this.MANY3(() => this.SUBRULE(this.entry));
          this.CONSUME3(T.RBrace);
        },
      },
      {
        // default_action, size, implementation and any other `[const] name = expression;`
        ALT: () => {
          this.OPTION2(() => this.CONSUME2(T.Const, { LABEL: "const" }));
          this.CONSUME3(T.Identifier, { LABEL: "property" });
          this.CONSUME4(T.Assign);
          this.SUBRULE(this.expression, { LABEL: "value" });
          this.CONSUME2(T.Semi);
        },
      },
    ]);
  });

  keyElement = this.RULE("keyElement", () => {
    this.SUBRULE(this.expression);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.name, { LABEL: "matchKind" });
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.CONSUME(T.Semi);
  });

  actionRef = this.RULE("actionRef", () => {
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.SUBRULE(this.name);
    this.OPTION2(() => {
      this.CONSUME(T.LParen);
      this.OPTION3(() => this.SUBRULE(this.argumentList));
      this.CONSUME(T.RParen);
    });
  });

  entry = this.RULE("entry", () => {
    this.SUBRULE(this.keysetExpression);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.actionRef);
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.CONSUME(T.Semi);
  });

  packageTypeDeclaration = this.RULE("packageTypeDeclaration", () => {
    this.CONSUME(T.Package);
    this.SUBRULE(this.name);
    this.OPTION(() => this.SUBRULE(this.typeParameters));
    this.SUBRULE(this.parameterList);
    this.CONSUME(T.Semi);
  });

  instantiation = this.RULE("instantiation", () => {
    this.SUBRULE(this.typeRef);
    this.CONSUME(T.LParen);
    this.OPTION(() => this.SUBRULE(this.argumentList));
    this.CONSUME(T.RParen);
    this.SUBRULE(this.name);
    this.CONSUME(T.Semi);
  });

  headerTypeDeclaration = this.RULE("headerTypeDeclaration", () => {
    this.CONSUME(T.Header);
    this.SUBRULE(this.name);
    this.SUBRULE(this.structFieldList);
  });

  headerUnionDeclaration = this.RULE("headerUnionDeclaration", () => {
    this.CONSUME(T.HeaderUnion);
    this.SUBRULE(this.name);
    this.SUBRULE(this.structFieldList);
  });

  structTypeDeclaration = this.RULE("structTypeDeclaration", () => {
    this.CONSUME(T.Struct);
    this.SUBRULE(this.name);
    this.SUBRULE(this.structFieldList);
  });

  structFieldList = this.RULE("structFieldList", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.structField));
    this.CONSUME(T.RBrace);
  });

  structField = this.RULE("structField", () => {
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.SUBRULE(this.typeRef);
    this.SUBRULE(this.name);
    this.CONSUME(T.Semi);
  });

  enumDeclaration = this.RULE("enumDeclaration", () => {
    this.CONSUME(T.Enum);
    // A serializable enum (§8.3) names its underlying bit<W> / int<W> type first.
    this.OPTION({ GATE: () => this.la(1) === T.Bit || this.la(1) === T.Int, DEF: () => this.SUBRULE(this.typeRef, { LABEL: "underlying" }) });
    this.SUBRULE(this.name);
    this.CONSUME(T.LBrace);
    this.SUBRULE(this.specifiedIdentifier);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.specifiedIdentifier);
    });
    this.OPTION2(() => this.CONSUME2(T.Comma));
    this.CONSUME(T.RBrace);
  });

  specifiedIdentifier = this.RULE("specifiedIdentifier", () => {
    this.SUBRULE(this.name);
    this.OPTION(() => {
      this.CONSUME(T.Assign);
      this.SUBRULE(this.expression, { LABEL: "value" });
    });
  });

  typedefDeclaration = this.RULE("typedefDeclaration", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Typedef) }, { ALT: () => this.CONSUME(T.Type) }]);
    this.SUBRULE(this.typeRef);
    this.SUBRULE(this.name);
    this.CONSUME(T.Semi);
  });

  errorDeclaration = this.RULE("errorDeclaration", () => {
    this.CONSUME(T.ErrorKw);
    this.SUBRULE(this.identifierList);
  });

  matchKindDeclaration = this.RULE("matchKindDeclaration", () => {
    this.CONSUME(T.MatchKind);
    this.SUBRULE(this.identifierList);
  });

  identifierList = this.RULE("identifierList", () => {
    this.CONSUME(T.LBrace);
    this.SUBRULE(this.name);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.name);
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
    this.CONSUME(T.RBrace);
  });

  // typeRef: baseType | typeName [<typeArgumentList>] | headerStackType | tupleType
  typeRef = this.RULE("typeRef", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.baseType) },
      {
        ALT: () => {
          this.CONSUME(T.Tuple);
          this.SUBRULE(this.typeArgumentList, { LABEL: "tupleArgs" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "typeName" });
          this.OPTION(() => this.SUBRULE2(this.typeArgumentList));
        },
      },
    ]);
    // headerStackType: typeRef '[' expression ']'
    this.OPTION2({
      GATE: () => this.la(1) === T.LBracket,
      DEF: () => {
        this.CONSUME(T.LBracket);
        this.SUBRULE(this.expression, { LABEL: "stackSize" });
        this.CONSUME(T.RBracket);
      },
    });
  });

  baseType = this.RULE("baseType", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Bool, { LABEL: "kind" }) },
      { ALT: () => this.CONSUME(T.ErrorKw, { LABEL: "kind" }) },
      { ALT: () => this.CONSUME(T.StringKw, { LABEL: "kind" }) },
      { ALT: () => this.CONSUME(T.Void, { LABEL: "kind" }) },
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Bit, { LABEL: "kind" }) },
            { ALT: () => this.CONSUME(T.Int, { LABEL: "kind" }) },
            { ALT: () => this.CONSUME(T.Varbit, { LABEL: "kind" }) },
          ]);
          this.OPTION(() => {
            this.CONSUME(T.Lt);
            this.OR3([
              { ALT: () => this.CONSUME(T.IntegerLiteral, { LABEL: "width" }) },
              {
                ALT: () => {
                  this.CONSUME(T.LParen);
                  this.SUBRULE(this.expression, { LABEL: "widthExpression" });
                  this.CONSUME(T.RParen);
                },
              },
            ]);
            this.CONSUME(T.Gt);
          });
        },
      },
    ]);
  });

  typeArgumentList = this.RULE("typeArgumentList", () => {
    this.CONSUME(T.Lt);
    this.SUBRULE(this.typeArgument);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.typeArgument);
    });
    this.CONSUME(T.Gt);
  });

  typeArgument = this.RULE("typeArgument", () => {
    this.OR([{ ALT: () => this.CONSUME(T.DontCare) }, { ALT: () => this.SUBRULE(this.typeRef) }]);
  });

  // ---- statements (§12) ----

  blockStatement = this.RULE("blockStatement", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.statement));
    this.CONSUME(T.RBrace);
  });

  statement = this.RULE("statement", () => {
    // `{` starts a block statement, never a list expression (first alternative wins).
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      { ALT: () => this.SUBRULE(this.blockStatement) },
      { ALT: () => this.SUBRULE(this.conditionalStatement) },
      { ALT: () => this.SUBRULE(this.exitStatement) },
      { ALT: () => this.SUBRULE(this.returnStatement) },
      { ALT: () => this.SUBRULE(this.switchStatement) },
      { ALT: () => this.SUBRULE(this.constantDeclaration) },
      { ALT: () => this.CONSUME(T.Semi, { LABEL: "empty" }) },
      { GATE: () => this.declAhead(), ALT: () => this.SUBRULE(this.variableDeclaration) },
      { ALT: () => this.SUBRULE(this.assignmentOrMethodCallStatement) },
    ] });
  });

  variableDeclaration = this.RULE("variableDeclaration", () => {
    this.OPTION(() => this.SUBRULE(this.annotations));
    this.SUBRULE(this.typeRef);
    this.SUBRULE(this.name);
    this.OPTION2(() => {
      this.CONSUME(T.Assign);
      this.SUBRULE(this.expression, { LABEL: "init" });
    });
    this.CONSUME(T.Semi);
  });

  // lvalue = expression;  or  a method call (the call is part of the postfix expression).
  assignmentOrMethodCallStatement = this.RULE("assignmentOrMethodCallStatement", () => {
    this.SUBRULE(this.postfixExpression, { LABEL: "target" });
    this.OPTION(() => {
      this.CONSUME(T.Assign);
      this.SUBRULE(this.expression, { LABEL: "value" });
    });
    this.CONSUME(T.Semi);
  });

  conditionalStatement = this.RULE("conditionalStatement", () => {
    this.CONSUME(T.If);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression, { LABEL: "condition" });
    this.CONSUME(T.RParen);
    this.SUBRULE(this.statement, { LABEL: "then" });
    this.OPTION(() => {
      this.CONSUME(T.Else);
      this.SUBRULE2(this.statement, { LABEL: "else" });
    });
  });

  exitStatement = this.RULE("exitStatement", () => {
    this.CONSUME(T.Exit);
    this.CONSUME(T.Semi);
  });

  returnStatement = this.RULE("returnStatement", () => {
    this.CONSUME(T.Return);
    this.OPTION(() => this.SUBRULE(this.expression));
    this.CONSUME(T.Semi);
  });

  switchStatement = this.RULE("switchStatement", () => {
    this.CONSUME(T.Switch);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.expression);
    this.CONSUME(T.RParen);
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.switchCase));
    this.CONSUME(T.RBrace);
  });

  switchCase = this.RULE("switchCase", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Default, { LABEL: "default" }) }, { ALT: () => this.SUBRULE(this.expression, { LABEL: "label" }) }]);
    this.CONSUME(T.Colon);
    this.OPTION(() => this.SUBRULE(this.blockStatement));
  });

  // ---- expressions (§8, precedence as in the spec's Table "operator precedence") ----

  expressionList = this.RULE("expressionList", () => {
    this.SUBRULE(this.expression);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.expression);
    });
  });

  argumentList = this.RULE("argumentList", () => {
    this.SUBRULE(this.argument);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.argument);
    });
  });

  argument = this.RULE("argument", () => {
    this.OPTION({
      GATE: () => this.la(1) === T.Identifier && this.la(2) === T.Assign,
      DEF: () => {
        this.CONSUME(T.Identifier, { LABEL: "argName" });
        this.CONSUME(T.Assign);
      },
    });
    this.OR([{ ALT: () => this.CONSUME(T.DontCare) }, { ALT: () => this.SUBRULE(this.expression) }]);
  });

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.logicalOrExpression, { LABEL: "condition" });
    this.OPTION(() => {
      this.CONSUME(T.Question);
      this.SUBRULE(this.expression, { LABEL: "then" });
      this.CONSUME(T.Colon);
      this.SUBRULE2(this.expression, { LABEL: "else" });
    });
  });

  logicalOrExpression = this.RULE("logicalOrExpression", () => this.binary(this.logicalAndExpression, [T.OrOr]));
  logicalAndExpression = this.RULE("logicalAndExpression", () => this.binary(this.bitOrExpression, [T.AndAnd]));
  bitOrExpression = this.RULE("bitOrExpression", () => this.binary(this.bitXorExpression, [T.Pipe]));
  bitXorExpression = this.RULE("bitXorExpression", () => this.binary(this.bitAndExpression, [T.Caret]));
  bitAndExpression = this.RULE("bitAndExpression", () => this.binary(this.equalityExpression, [T.Amp]));
  equalityExpression = this.RULE("equalityExpression", () => this.binary(this.relationalExpression, [T.Eq, T.Ne]));

  relationalExpression = this.RULE("relationalExpression", () => {
    this.SUBRULE(this.shiftExpression, { LABEL: "operand" });
    this.MANY({
      GATE: () => !this.shrAhead() && (this.la(1) !== T.Gt || this.la(2) !== T.Gt),
      DEF: () => {
        this.OR([
          { ALT: () => this.CONSUME(T.Lt, { LABEL: "operator" }) },
          { ALT: () => this.CONSUME(T.Gt, { LABEL: "operator" }) },
          { ALT: () => this.CONSUME(T.Le, { LABEL: "operator" }) },
          { ALT: () => this.CONSUME(T.Ge, { LABEL: "operator" }) },
        ]);
        this.SUBRULE2(this.shiftExpression, { LABEL: "operand" });
      },
    });
  });

  shiftExpression = this.RULE("shiftExpression", () => {
    this.SUBRULE(this.concatExpression, { LABEL: "operand" });
    this.MANY({
      GATE: () => this.la(1) === T.Shl || this.shrAhead(),
      DEF: () => {
        this.OR([
          { ALT: () => this.CONSUME(T.Shl, { LABEL: "operator" }) },
          {
            ALT: () => {
              this.CONSUME(T.Gt, { LABEL: "operator" });
              this.CONSUME2(T.Gt, { LABEL: "shr" });
            },
          },
        ]);
        this.SUBRULE2(this.concatExpression, { LABEL: "operand" });
      },
    });
  });

  concatExpression = this.RULE("concatExpression", () => this.binary(this.additiveExpression, [T.PlusPlus]));
  additiveExpression = this.RULE("additiveExpression", () => this.binary(this.multiplicativeExpression, [T.Plus, T.Minus, T.PlusSat, T.MinusSat]));
  multiplicativeExpression = this.RULE("multiplicativeExpression", () => this.binary(this.unaryExpression, [T.Star, T.Slash, T.Percent]));

  private binary(operand: (idx: number) => CstNode, ops: TokenType[]): void {
    this.SUBRULE(operand, { LABEL: "operand" });
    this.MANY(() => {
      this.OR(ops.map((op) => ({ ALT: () => this.CONSUME(op, { LABEL: "operator" }) })));
      this.SUBRULE2(operand, { LABEL: "operand" });
    });
  }

  unaryExpression = this.RULE("unaryExpression", () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(T.Not, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(T.Tilde, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(T.Minus, { LABEL: "operator" }) },
            { ALT: () => this.CONSUME(T.Plus, { LABEL: "operator" }) },
          ]);
          this.SUBRULE(this.unaryExpression, { LABEL: "operand" });
        },
      },
      {
        GATE: () => this.castAhead(),
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.typeRef, { LABEL: "castType" });
          this.CONSUME(T.RParen);
          this.SUBRULE2(this.unaryExpression, { LABEL: "operand" });
        },
      },
      { ALT: () => this.SUBRULE(this.postfixExpression) },
    ]);
  });

  // postfix: primary followed by `.member`, `[index]`, `[hi:lo]`, `<T>(args)` and `(args)`.
  postfixExpression = this.RULE("postfixExpression", () => {
    this.SUBRULE(this.primaryExpression);
    // A `<` after an operand is a comparison unless type arguments and a call follow.
    this.MANY({ GATE: () => this.la(1) !== T.Lt || this.typeArgsAhead(), DEF: () => this.SUBRULE(this.postfixOperation) });
  });

  postfixOperation = this.RULE("postfixOperation", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.SUBRULE(this.name, { LABEL: "member" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.expression, { LABEL: "index" });
          this.OPTION(() => {
            this.CONSUME(T.Colon);
            this.SUBRULE2(this.expression, { LABEL: "low" });
          });
          this.CONSUME(T.RBracket);
        },
      },
      {
        GATE: () => this.typeArgsAhead() || this.la(1) === T.LParen,
        ALT: () => {
          this.OPTION2(() => this.SUBRULE(this.typeArgumentList));
          this.CONSUME(T.LParen, { LABEL: "call" });
          this.OPTION3(() => this.SUBRULE(this.argumentList));
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  primaryExpression = this.RULE("primaryExpression", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.IntegerLiteral, { LABEL: "integer" }) },
      { ALT: () => this.CONSUME(T.True, { LABEL: "boolean" }) },
      { ALT: () => this.CONSUME(T.False, { LABEL: "boolean" }) },
      { ALT: () => this.CONSUME(T.StringLiteral, { LABEL: "string" }) },
      { ALT: () => this.CONSUME(T.ErrorKw, { LABEL: "errorKw" }) },
      { ALT: () => this.SUBRULE(this.name, { LABEL: "identifier" }) },
      {
        // A typed name in expression position: `bit<16>` in `lookahead<bit<16>>` is handled
        // by typeArgumentList; here only `(expression)`.
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { LABEL: "parenthesized" });
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LBrace);
          this.OPTION(() => this.SUBRULE(this.expressionList, { LABEL: "list" }));
          this.CONSUME(T.RBrace);
        },
      },
    ]);
  });
}

// Chevrotain's grammar analysis is costly; one parser instance serves every parse
// (assigning `input` resets its state), as in frontends/bpf/asm/parser.ts.
let shared: P4Parser | undefined;

export function parseP4Tokens(tokens: IToken[]): { cst: CstNode; errors: P4Parser["errors"] } {
  const parser = (shared ??= new P4Parser());
  parser.input = tokens;
  const cst = parser.p4program();
  return { cst, errors: parser.errors };
}
