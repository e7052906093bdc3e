// The C grammar (C11 Annex A.2, rules named after its productions, with the GNU
// extensions the kernel and libbpf headers use: __attribute__, asm labels and statements,
// typeof, __extension__, statement expressions, __builtin_offsetof). CST only: ast.ts
// builds the typed AST from it.
//
// C cannot be parsed without knowing which identifiers are typedef names (`T * x;` is a
// declaration or a multiplication). The one piece of state the parser keeps is therefore
// the set of typedef names declared so far (the "lexer hack" every C parser has): a
// declaration whose specifiers include `typedef` adds its declarators' names. A typedef
// name is taken as a type only where no other type specifier came before it in the same
// specifier list, so that `__u16 new;` or a field named like a type still parse. The set
// lives on the parser instance and is reset by each parse: no global state.
import { CstParser, type CstNode, type IToken, type TokenType } from "chevrotain";
import * as T from "./tokens.js";

/** Keywords that start a declaration specifier (C11 §6.7). */
const SPECIFIER_KEYWORDS: ReadonlySet<TokenType> = new Set([
  T.Typedef, T.Extern, T.Static, T.Auto, T.Register, T.ThreadLocal, T.Void, T.Char, T.Short, T.Int, T.Long, T.Float, T.Double, T.Signed, T.Unsigned, T.Bool, T.Int128,
  T.Struct, T.Union, T.Enum, T.Const, T.Restrict, T.Volatile, T.Atomic, T.Inline, T.Noreturn, T.Alignas, T.Attribute, T.Typeof, T.Extension,
]);

interface DeclContext {
  isTypedef: boolean;
  sawTypeSpecifier: boolean;
}

export class CParser extends CstParser {
  private typedefNames = new Set<string>();
  private contexts: DeclContext[] = [];

  /**
   * `validate`: Chevrotain's grammar checks (ambiguities, left recursion), which take most
   * of construction time; the tests construct with them, compilation without (the grammar
   * does not change at run time).
   */
  constructor(opts: { validate?: boolean } = {}) {
    super(T.ALL_TOKENS, { recoveryEnabled: false, maxLookahead: 3, skipValidations: !(opts.validate ?? true) });
    this.performSelfAnalysis();
  }

  /** Starts a new parse: forgets the previous input's typedef names. */
  startParse(builtinTypedefs: readonly string[]): void {
    this.typedefNames = new Set(builtinTypedefs);
    this.contexts = [];
  }

  private ctx(): DeclContext | undefined {
    return this.contexts[this.contexts.length - 1];
  }

  private isTypedefName(t: IToken): boolean {
    return t.tokenType === T.Identifier && this.typedefNames.has(t.image);
  }

  /** Does token k start a declaration specifier? (typedef names only when no type came before.) */
  private startsSpecifier(k: number): boolean {
    const t = this.LA(k);
    if (SPECIFIER_KEYWORDS.has(t.tokenType)) return true;
    return this.isTypedefName(t) && !(this.ctx()?.sawTypeSpecifier ?? false);
  }

  /** Does token k start a type name (for casts, sizeof, compound literals)? */
  private startsTypeName(k: number): boolean {
    const t = this.LA(k);
    return (SPECIFIER_KEYWORDS.has(t.tokenType) && t.tokenType !== T.Extension) || this.isTypedefName(t);
  }

  private pushContext(): void {
    this.ACTION(() => this.contexts.push({ isTypedef: false, sawTypeSpecifier: false }));
  }

  private popContext(): void {
    this.ACTION(() => this.contexts.pop());
  }

  // ---- External definitions (C11 §6.9) ----

  translationUnit = this.RULE("translationUnit", () => {
    this.MANY(() => this.SUBRULE(this.externalDeclaration));
  });

  /** A function definition or a declaration; they share their first part. */
  externalDeclaration = this.RULE("externalDeclaration", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Semicolon) },
      { ALT: () => this.CONSUME(T.Pragma) },
      { ALT: () => this.SUBRULE(this.staticAssertDeclaration) },
      {
        ALT: () => {
          this.pushContext();
          this.SUBRULE(this.declarationSpecifiers);
          this.OR2([
            { ALT: () => this.CONSUME2(T.Semicolon) },
            {
              ALT: () => {
                this.SUBRULE(this.initDeclarator);
                this.OR3([
                  { ALT: () => this.SUBRULE(this.compoundStatement, { LABEL: "functionBody" }) },
                  {
                    ALT: () => {
                      this.MANY(() => {
                        this.CONSUME(T.Comma);
                        this.SUBRULE2(this.initDeclarator);
                      });
                      this.CONSUME3(T.Semicolon);
                    },
                  },
                ]);
              },
            },
          ]);
          this.popContext();
        },
      },
    ]);
  });

  // ---- Declarations (C11 §6.7) ----

  declaration = this.RULE("declaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.staticAssertDeclaration) },
      {
        ALT: () => {
          this.pushContext();
          this.SUBRULE(this.declarationSpecifiers);
          this.OPTION(() => {
            this.SUBRULE(this.initDeclarator);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.initDeclarator);
            });
          });
          this.CONSUME(T.Semicolon);
          this.popContext();
        },
      },
    ]);
  });

  staticAssertDeclaration = this.RULE("staticAssertDeclaration", () => {
    this.CONSUME(T.StaticAssert);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.conditionalExpression);
    this.OPTION(() => {
      this.CONSUME(T.Comma);
      this.AT_LEAST_ONE(() => this.CONSUME(T.StringLiteral));
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Semicolon);
  });

  declarationSpecifiers = this.RULE("declarationSpecifiers", () => {
    this.AT_LEAST_ONE({ GATE: () => this.startsSpecifier(1), DEF: () => this.SUBRULE(this.declarationSpecifier) });
  });

  declarationSpecifier = this.RULE("declarationSpecifier", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.storageClassSpecifier) },
      { ALT: () => this.SUBRULE(this.typeSpecifier) },
      { ALT: () => this.SUBRULE(this.typeQualifier) },
      { ALT: () => this.SUBRULE(this.functionSpecifier) },
      { ALT: () => this.SUBRULE(this.alignmentSpecifier) },
      { ALT: () => this.SUBRULE(this.attributeSpecifier) },
      { ALT: () => this.CONSUME(T.Extension) },
    ]);
  });

  storageClassSpecifier = this.RULE("storageClassSpecifier", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Typedef);
          this.ACTION(() => {
            const c = this.ctx();
            if (c) c.isTypedef = true;
          });
        },
      },
      { ALT: () => this.CONSUME(T.Extern) },
      { ALT: () => this.CONSUME(T.Static) },
      { ALT: () => this.CONSUME(T.ThreadLocal) },
      { ALT: () => this.CONSUME(T.Auto) },
      { ALT: () => this.CONSUME(T.Register) },
    ]);
  });

  typeSpecifier = this.RULE("typeSpecifier", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Void) },
      { ALT: () => this.CONSUME(T.Char) },
      { ALT: () => this.CONSUME(T.Short) },
      { ALT: () => this.CONSUME(T.Int) },
      { ALT: () => this.CONSUME(T.Long) },
      { ALT: () => this.CONSUME(T.Float) },
      { ALT: () => this.CONSUME(T.Double) },
      { ALT: () => this.CONSUME(T.Signed) },
      { ALT: () => this.CONSUME(T.Unsigned) },
      { ALT: () => this.CONSUME(T.Bool) },
      { ALT: () => this.CONSUME(T.Int128) },
      { ALT: () => this.SUBRULE(this.structOrUnionSpecifier) },
      { ALT: () => this.SUBRULE(this.enumSpecifier) },
      { ALT: () => this.SUBRULE(this.typeofSpecifier) },
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "typedefName" }) },
    ]);
    this.ACTION(() => {
      const c = this.ctx();
      if (c) c.sawTypeSpecifier = true;
    });
  });

  typeofSpecifier = this.RULE("typeofSpecifier", () => {
    this.CONSUME(T.Typeof);
    this.CONSUME(T.LParen);
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      { GATE: () => this.startsTypeName(1), ALT: () => this.SUBRULE(this.typeName) },
      { ALT: () => this.SUBRULE(this.expression) },
    ] });
    this.CONSUME(T.RParen);
  });

  structOrUnionSpecifier = this.RULE("structOrUnionSpecifier", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Struct) }, { ALT: () => this.CONSUME(T.Union) }]);
    this.MANY(() => this.SUBRULE(this.attributeSpecifier));
    this.OR2([
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "tag" });
          this.OPTION(() => this.SUBRULE(this.structDeclarationList));
        },
      },
      { ALT: () => this.SUBRULE2(this.structDeclarationList) },
    ]);
    this.MANY2(() => this.SUBRULE2(this.attributeSpecifier));
  });

  structDeclarationList = this.RULE("structDeclarationList", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.structDeclaration));
    this.CONSUME(T.RBrace);
  });

  structDeclaration = this.RULE("structDeclaration", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.staticAssertDeclaration) },
      { ALT: () => this.CONSUME(T.Semicolon) },
      {
        ALT: () => {
          this.pushContext();
          this.SUBRULE(this.specifierQualifierList);
          this.OPTION(() => {
            this.SUBRULE(this.structDeclarator);
            this.MANY(() => {
              this.CONSUME(T.Comma);
              this.SUBRULE2(this.structDeclarator);
            });
          });
          this.CONSUME2(T.Semicolon);
          this.popContext();
        },
      },
    ]);
  });

  specifierQualifierList = this.RULE("specifierQualifierList", () => {
    this.AT_LEAST_ONE({ GATE: () => this.startsSpecifier(1), DEF: () => {
      this.OR([
        { ALT: () => this.SUBRULE(this.typeSpecifier) },
        { ALT: () => this.SUBRULE(this.typeQualifier) },
        { ALT: () => this.SUBRULE(this.alignmentSpecifier) },
        { ALT: () => this.SUBRULE(this.attributeSpecifier) },
        { ALT: () => this.CONSUME(T.Extension) },
      ]);
    } });
  });

  structDeclarator = this.RULE("structDeclarator", () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.declarator);
          this.OPTION(() => {
            this.CONSUME(T.Colon);
            this.SUBRULE(this.conditionalExpression, { LABEL: "width" });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.Colon);
          this.SUBRULE2(this.conditionalExpression, { LABEL: "width" });
        },
      },
    ]);
    this.MANY(() => this.SUBRULE(this.attributeSpecifier));
  });

  enumSpecifier = this.RULE("enumSpecifier", () => {
    this.CONSUME(T.Enum);
    this.MANY(() => this.SUBRULE(this.attributeSpecifier));
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "tag" });
          this.OPTION(() => this.SUBRULE(this.enumeratorList));
        },
      },
      { ALT: () => this.SUBRULE2(this.enumeratorList) },
    ]);
    this.MANY2(() => this.SUBRULE2(this.attributeSpecifier));
  });

  enumeratorList = this.RULE("enumeratorList", () => {
    this.CONSUME(T.LBrace);
    this.SUBRULE(this.enumerator);
    this.MANY({
      GATE: () => this.LA(2).tokenType !== T.RBrace,
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.enumerator);
      },
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
    this.CONSUME(T.RBrace);
  });

  enumerator = this.RULE("enumerator", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.MANY(() => this.SUBRULE(this.attributeSpecifier));
    this.OPTION(() => {
      this.CONSUME(T.Assign);
      this.SUBRULE(this.conditionalExpression, { LABEL: "value" });
    });
  });

  typeQualifier = this.RULE("typeQualifier", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Const) }, { ALT: () => this.CONSUME(T.Restrict) }, { ALT: () => this.CONSUME(T.Volatile) }, { ALT: () => this.CONSUME(T.Atomic) }]);
  });

  functionSpecifier = this.RULE("functionSpecifier", () => {
    this.OR([{ ALT: () => this.CONSUME(T.Inline) }, { ALT: () => this.CONSUME(T.Noreturn) }]);
  });

  alignmentSpecifier = this.RULE("alignmentSpecifier", () => {
    this.CONSUME(T.Alignas);
    this.CONSUME(T.LParen);
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      { GATE: () => this.startsTypeName(1), ALT: () => this.SUBRULE(this.typeName) },
      { ALT: () => this.SUBRULE(this.conditionalExpression) },
    ] });
    this.CONSUME(T.RParen);
  });

  /** GNU: __attribute__((name, name(args), ...)). */
  attributeSpecifier = this.RULE("attributeSpecifier", () => {
    this.CONSUME(T.Attribute);
    this.CONSUME(T.LParen);
    this.CONSUME2(T.LParen);
    this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.attribute) });
    this.CONSUME(T.RParen);
    this.CONSUME2(T.RParen);
  });

  attribute = this.RULE("attribute", () => {
    // Attribute names may be keywords (`const`, `__const__`): any word.
    this.OR([{ ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) }, { ALT: () => this.CONSUME(T.Const, { LABEL: "name" }) }]);
    this.OPTION(() => {
      this.CONSUME(T.LParen);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.assignmentExpression, { LABEL: "arg" }) });
      this.CONSUME(T.RParen);
    });
  });

  /** GNU asm label after a declarator: `int x asm("name");`. */
  asmLabel = this.RULE("asmLabel", () => {
    this.CONSUME(T.Asm);
    this.CONSUME(T.LParen);
    this.AT_LEAST_ONE(() => this.CONSUME(T.StringLiteral));
    this.CONSUME(T.RParen);
  });

  initDeclarator = this.RULE("initDeclarator", () => {
    this.SUBRULE(this.declarator);
    this.OPTION(() => this.SUBRULE(this.asmLabel));
    this.MANY(() => this.SUBRULE(this.attributeSpecifier));
    this.OPTION2(() => {
      this.CONSUME(T.Assign);
      this.SUBRULE(this.initializer);
    });
  });

  declarator = this.RULE("declarator", () => {
    this.OPTION(() => this.SUBRULE(this.pointer));
    this.SUBRULE(this.directDeclarator);
  });

  pointer = this.RULE("pointer", () => {
    this.AT_LEAST_ONE(() => {
      this.CONSUME(T.Star);
      this.SUBRULE(this.typeQualifierList, { LABEL: "qualifiers" });
    });
  });

  typeQualifierList = this.RULE("typeQualifierList", () => {
    this.MANY(() => {
      this.OR([{ ALT: () => this.SUBRULE(this.typeQualifier) }, { ALT: () => this.SUBRULE(this.attributeSpecifier) }]);
    });
  });

  directDeclarator = this.RULE("directDeclarator", () => {
    this.MANY(() => this.SUBRULE(this.attributeSpecifier));
    this.OR([
      {
        ALT: () => {
          const name = this.CONSUME(T.Identifier, { LABEL: "name" });
          this.ACTION(() => {
            if (this.ctx()?.isTypedef) this.typedefNames.add(name.image);
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.declarator);
          this.CONSUME(T.RParen);
        },
      },
    ]);
    this.MANY2(() => this.SUBRULE(this.declaratorSuffix));
  });

  /** `[N]` or `(parameters)` after a declarator. */
  declaratorSuffix = this.RULE("declaratorSuffix", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.MANY(() => this.OR2([{ ALT: () => this.SUBRULE(this.typeQualifier) }, { ALT: () => this.CONSUME(T.Static) }]));
          this.OPTION(() => this.SUBRULE(this.assignmentExpression, { LABEL: "size" }));
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.OPTION2(() => this.SUBRULE(this.parameterTypeList));
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  parameterTypeList = this.RULE("parameterTypeList", () => {
    this.SUBRULE(this.parameterDeclaration);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.OR([{ ALT: () => this.CONSUME(T.Ellipsis) }, { ALT: () => this.SUBRULE2(this.parameterDeclaration) }]);
    });
  });

  /** A parameter: specifiers, then a declarator, an abstract declarator, or nothing. */
  parameterDeclaration = this.RULE("parameterDeclaration", () => {
    this.pushContext();
    this.SUBRULE(this.declarationSpecifiers);
    this.OPTION(() => this.SUBRULE(this.parameterDeclarator));
    this.MANY(() => this.SUBRULE(this.attributeSpecifier));
    this.popContext();
  });

  /**
   * The declarator of a parameter, named or abstract: C11 lists both alternatives
   * (declarator | abstract-declarator); they share `*` and `(`, so one rule takes either.
   */
  parameterDeclarator = this.RULE("parameterDeclarator", () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.pointer);
          this.OPTION(() => this.SUBRULE(this.parameterDirectDeclarator));
        },
      },
      { ALT: () => this.SUBRULE2(this.parameterDirectDeclarator) },
    ]);
  });

  parameterDirectDeclarator = this.RULE("parameterDirectDeclarator", () => {
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      { ALT: () => this.CONSUME(T.Identifier, { LABEL: "name" }) },
      {
        // `(` starts a nested declarator unless it starts a parameter list (an abstract
        // function declarator, `int (int)`), told apart by what follows.
        GATE: () => this.LA(1).tokenType === T.LParen && !this.startsTypeName(2) && this.LA(2).tokenType !== T.RParen,
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.parameterDeclarator);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.declaratorSuffix, { LABEL: "firstSuffix" }) },
    ] });
    this.MANY(() => this.SUBRULE2(this.declaratorSuffix));
  });

  typeName = this.RULE("typeName", () => {
    this.pushContext();
    this.SUBRULE(this.specifierQualifierList);
    this.OPTION(() => this.SUBRULE(this.abstractDeclarator));
    this.popContext();
  });

  abstractDeclarator = this.RULE("abstractDeclarator", () => {
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.pointer);
          this.OPTION(() => this.SUBRULE(this.directAbstractDeclarator));
        },
      },
      { ALT: () => this.SUBRULE2(this.directAbstractDeclarator) },
    ]);
  });

  directAbstractDeclarator = this.RULE("directAbstractDeclarator", () => {
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      {
        GATE: () => this.LA(1).tokenType === T.LParen && !this.startsTypeName(2) && this.LA(2).tokenType !== T.RParen,
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.abstractDeclarator);
          this.CONSUME(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.declaratorSuffix, { LABEL: "firstSuffix" }) },
    ] });
    this.MANY(() => this.SUBRULE2(this.declaratorSuffix));
  });

  initializer = this.RULE("initializer", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.bracedInitializer) },
      { ALT: () => this.SUBRULE(this.assignmentExpression) },
    ]);
  });

  bracedInitializer = this.RULE("bracedInitializer", () => {
    this.CONSUME(T.LBrace);
    this.OPTION(() => this.SUBRULE(this.initializerList));
    this.CONSUME(T.RBrace);
  });

  initializerList = this.RULE("initializerList", () => {
    this.SUBRULE(this.initializerListItem);
    this.MANY({
      GATE: () => this.LA(2).tokenType !== T.RBrace,
      DEF: () => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.initializerListItem);
      },
    });
    this.OPTION(() => this.CONSUME2(T.Comma));
  });

  initializerListItem = this.RULE("initializerListItem", () => {
    this.OPTION(() => this.SUBRULE(this.designation));
    this.SUBRULE(this.initializer);
  });

  designation = this.RULE("designation", () => {
    this.AT_LEAST_ONE(() => this.SUBRULE(this.designator));
    this.CONSUME(T.Assign);
  });

  designator = this.RULE("designator", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.conditionalExpression, { LABEL: "index" });
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Dot);
          this.CONSUME(T.Identifier, { LABEL: "member" });
        },
      },
    ]);
  });

  // ---- Statements (C11 §6.8) ----

  statement = this.RULE("statement", () => {
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      {
        GATE: () => this.LA(1).tokenType === T.Case || this.LA(1).tokenType === T.Default || (this.LA(1).tokenType === T.Identifier && this.LA(2).tokenType === T.Colon),
        ALT: () => this.SUBRULE(this.labeledStatement),
      },
      { ALT: () => this.SUBRULE(this.compoundStatement) },
      { ALT: () => this.SUBRULE(this.selectionStatement) },
      { ALT: () => this.SUBRULE(this.iterationStatement) },
      { ALT: () => this.SUBRULE(this.jumpStatement) },
      { ALT: () => this.SUBRULE(this.asmStatement) },
      { ALT: () => this.SUBRULE(this.pragmaStatement) },
      { ALT: () => this.SUBRULE(this.expressionStatement) },
    ] });
  });

  /** `#pragma unroll` (and any other pragma) before a statement: it applies to that statement. */
  pragmaStatement = this.RULE("pragmaStatement", () => {
    this.CONSUME(T.Pragma);
    this.SUBRULE(this.statement);
  });

  labeledStatement = this.RULE("labeledStatement", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "label" });
          this.CONSUME(T.Colon);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Case);
          this.SUBRULE(this.conditionalExpression, { LABEL: "value" });
          this.OPTION(() => {
            // GNU case ranges: `case 1 ... 5:`.
            this.CONSUME(T.Ellipsis);
            this.SUBRULE2(this.conditionalExpression, { LABEL: "last" });
          });
          this.CONSUME2(T.Colon);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Default);
          this.CONSUME3(T.Colon);
        },
      },
    ]);
    this.SUBRULE(this.statement);
  });

  compoundStatement = this.RULE("compoundStatement", () => {
    this.CONSUME(T.LBrace);
    this.MANY(() => this.SUBRULE(this.blockItem));
    this.CONSUME(T.RBrace);
  });

  blockItem = this.RULE("blockItem", () => {
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      { GATE: () => this.isDeclarationStart(), ALT: () => this.SUBRULE(this.declaration) },
      { ALT: () => this.SUBRULE(this.statement) },
    ] });
  });

  /** A block item is a declaration when it starts with a specifier (and is not a label). */
  private isDeclarationStart(): boolean {
    const t = this.LA(1);
    if (t.tokenType === T.StaticAssert) return true;
    if (t.tokenType === T.Extension) return this.startsTypeName(2) || this.LA(2).tokenType === T.Extension;
    if (SPECIFIER_KEYWORDS.has(t.tokenType)) return true;
    return this.isTypedefName(t) && this.LA(2).tokenType !== T.Colon;
  }

  expressionStatement = this.RULE("expressionStatement", () => {
    this.OPTION(() => this.SUBRULE(this.expression));
    this.CONSUME(T.Semicolon);
  });

  selectionStatement = this.RULE("selectionStatement", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.If);
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { LABEL: "condition" });
          this.CONSUME(T.RParen);
          this.SUBRULE(this.statement, { LABEL: "then" });
          this.OPTION(() => {
            this.CONSUME(T.Else);
            this.SUBRULE2(this.statement, { LABEL: "else" });
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Switch);
          this.CONSUME2(T.LParen);
          this.SUBRULE2(this.expression, { LABEL: "condition" });
          this.CONSUME2(T.RParen);
          this.SUBRULE3(this.statement, { LABEL: "body" });
        },
      },
    ]);
  });

  iterationStatement = this.RULE("iterationStatement", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.While);
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { LABEL: "condition" });
          this.CONSUME(T.RParen);
          this.SUBRULE(this.statement, { LABEL: "body" });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Do);
          this.SUBRULE2(this.statement, { LABEL: "body" });
          this.CONSUME2(T.While);
          this.CONSUME2(T.LParen);
          this.SUBRULE2(this.expression, { LABEL: "condition" });
          this.CONSUME2(T.RParen);
          this.CONSUME(T.Semicolon);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.For);
          this.CONSUME3(T.LParen);
          this.OR2({
            IGNORE_AMBIGUITIES: true,
            DEF: [
              { GATE: () => this.isDeclarationStart(), ALT: () => this.SUBRULE(this.declaration, { LABEL: "init" }) },
              {
                ALT: () => {
                  this.OPTION(() => this.SUBRULE3(this.expression, { LABEL: "initExpression" }));
                  this.CONSUME2(T.Semicolon);
                },
              },
            ],
          });
          this.OPTION2(() => this.SUBRULE4(this.expression, { LABEL: "condition" }));
          this.CONSUME3(T.Semicolon);
          this.OPTION3(() => this.SUBRULE5(this.expression, { LABEL: "step" }));
          this.CONSUME3(T.RParen);
          this.SUBRULE3(this.statement, { LABEL: "body" });
        },
      },
    ]);
  });

  jumpStatement = this.RULE("jumpStatement", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Goto);
          this.CONSUME(T.Identifier, { LABEL: "label" });
        },
      },
      { ALT: () => this.CONSUME(T.Continue) },
      { ALT: () => this.CONSUME(T.Break) },
      {
        ALT: () => {
          this.CONSUME(T.Return);
          this.OPTION(() => this.SUBRULE(this.expression));
        },
      },
    ]);
    this.CONSUME(T.Semicolon);
  });

  /** GNU asm statement: parsed so that headers with inline assembly load; never lowered. */
  asmStatement = this.RULE("asmStatement", () => {
    this.CONSUME(T.Asm);
    this.MANY(() => this.OR([{ ALT: () => this.SUBRULE(this.typeQualifier) }, { ALT: () => this.CONSUME(T.Goto) }, { ALT: () => this.CONSUME(T.Inline) }]));
    this.CONSUME(T.LParen);
    this.AT_LEAST_ONE(() => this.CONSUME(T.StringLiteral));
    this.MANY2(() => {
      this.CONSUME(T.Colon);
      this.MANY_SEP({ SEP: T.Comma, DEF: () => this.SUBRULE(this.asmOperand) });
    });
    this.CONSUME(T.RParen);
    this.CONSUME(T.Semicolon);
  });

  asmOperand = this.RULE("asmOperand", () => {
    this.OPTION(() => {
      this.CONSUME(T.LBracket);
      this.CONSUME(T.Identifier);
      this.CONSUME(T.RBracket);
    });
    this.OR([
      {
        ALT: () => {
          this.AT_LEAST_ONE(() => this.CONSUME(T.StringLiteral));
          this.OPTION2(() => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.expression);
            this.CONSUME(T.RParen);
          });
        },
      },
      { ALT: () => this.CONSUME2(T.Identifier) },
    ]);
  });

  // ---- Expressions (C11 §6.5) ----

  expression = this.RULE("expression", () => {
    this.SUBRULE(this.assignmentExpression);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.assignmentExpression);
    });
  });

  /** conditional-expression [assignment-operator assignment-expression]; sema checks the lvalue. */
  assignmentExpression = this.RULE("assignmentExpression", () => {
    this.SUBRULE(this.conditionalExpression);
    this.OPTION(() => {
      this.CONSUME(T.AssignmentOperator);
      this.SUBRULE(this.assignmentExpression);
    });
  });

  conditionalExpression = this.RULE("conditionalExpression", () => {
    this.SUBRULE(this.logicalOrExpression);
    this.OPTION(() => {
      this.CONSUME(T.Question);
      // GNU `a ?: b` leaves the middle operand out.
      this.OPTION2(() => this.SUBRULE(this.expression, { LABEL: "then" }));
      this.CONSUME(T.Colon);
      this.SUBRULE(this.conditionalExpression, { LABEL: "else" });
    });
  });

  logicalOrExpression = this.RULE("logicalOrExpression", () => this.binaryLevel(0, () => this.SUBRULE(this.logicalAndExpression), () => this.SUBRULE2(this.logicalAndExpression)));
  logicalAndExpression = this.RULE("logicalAndExpression", () => this.binaryLevel(1, () => this.SUBRULE(this.inclusiveOrExpression), () => this.SUBRULE2(this.inclusiveOrExpression)));
  inclusiveOrExpression = this.RULE("inclusiveOrExpression", () => this.binaryLevel(2, () => this.SUBRULE(this.exclusiveOrExpression), () => this.SUBRULE2(this.exclusiveOrExpression)));
  exclusiveOrExpression = this.RULE("exclusiveOrExpression", () => this.binaryLevel(3, () => this.SUBRULE(this.andExpression), () => this.SUBRULE2(this.andExpression)));
  andExpression = this.RULE("andExpression", () => this.binaryLevel(4, () => this.SUBRULE(this.equalityExpression), () => this.SUBRULE2(this.equalityExpression)));
  equalityExpression = this.RULE("equalityExpression", () => this.binaryLevel(5, () => this.SUBRULE(this.relationalExpression), () => this.SUBRULE2(this.relationalExpression)));
  relationalExpression = this.RULE("relationalExpression", () => this.binaryLevel(6, () => this.SUBRULE(this.shiftExpression), () => this.SUBRULE2(this.shiftExpression)));
  shiftExpression = this.RULE("shiftExpression", () => this.binaryLevel(7, () => this.SUBRULE(this.additiveExpression), () => this.SUBRULE2(this.additiveExpression)));
  additiveExpression = this.RULE("additiveExpression", () => this.binaryLevel(8, () => this.SUBRULE(this.multiplicativeExpression), () => this.SUBRULE2(this.multiplicativeExpression)));
  multiplicativeExpression = this.RULE("multiplicativeExpression", () => this.binaryLevel(9, () => this.SUBRULE(this.castExpression), () => this.SUBRULE2(this.castExpression)));

  /** operand (op operand)*, left-associative; the operators are labelled "operator". */
  private binaryLevel(level: number, first: () => void, next: () => void): void {
    first();
    const ops = T.BINARY_LEVELS[level]!;
    this.MANY(() => {
      this.OR(ops.map((t, k) => ({ ALT: () => this.consumeOperator(t, k) })));
      next();
    });
  }

  private consumeOperator(t: TokenType, k: number): void {
    // Chevrotain needs a distinct CONSUME index per token in one rule.
    const consumers = [this.CONSUME1, this.CONSUME2, this.CONSUME3, this.CONSUME4];
    consumers[k]!.call(this, t, { LABEL: "operator" });
  }

  castExpression = this.RULE("castExpression", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => this.LA(1).tokenType === T.LParen && this.startsTypeName(2),
          ALT: () => {
            this.CONSUME(T.LParen);
            this.SUBRULE(this.typeName);
            this.CONSUME(T.RParen);
            this.OR2([
              // A compound literal: `(struct s){ .a = 1 }` continues as a postfix expression.
              { ALT: () => this.SUBRULE(this.compoundLiteralTail) },
              { ALT: () => this.SUBRULE(this.castExpression) },
            ]);
          },
        },
        { ALT: () => this.SUBRULE(this.unaryExpression) },
      ],
    });
  });

  compoundLiteralTail = this.RULE("compoundLiteralTail", () => {
    this.SUBRULE(this.bracedInitializer);
    this.MANY(() => this.SUBRULE(this.postfixSuffix));
  });

  unaryExpression = this.RULE("unaryExpression", () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.postfixExpression) },
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.PlusPlus, { LABEL: "operator" }) }, { ALT: () => this.CONSUME(T.MinusMinus, { LABEL: "operator" }) }]);
          this.SUBRULE(this.unaryExpression);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.UnaryOperator, { LABEL: "operator" });
          this.SUBRULE(this.castExpression);
        },
      },
      {
        ALT: () => {
          this.OR3([{ ALT: () => this.CONSUME(T.Sizeof, { LABEL: "operator" }) }, { ALT: () => this.CONSUME(T.Alignof, { LABEL: "operator" }) }]);
          this.OR4({
            IGNORE_AMBIGUITIES: true,
            DEF: [
              {
                GATE: () => this.LA(1).tokenType === T.LParen && this.startsTypeName(2),
                ALT: () => {
                  this.CONSUME(T.LParen);
                  this.SUBRULE(this.typeName);
                  this.CONSUME(T.RParen);
                },
              },
              { ALT: () => this.SUBRULE2(this.unaryExpression) },
            ],
          });
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.Extension, { LABEL: "operator" });
          this.SUBRULE2(this.castExpression);
        },
      },
      {
        // GNU `&&label` (labels as values): parsed so that the error comes from sema.
        ALT: () => {
          this.CONSUME(T.AndAnd, { LABEL: "operator" });
          this.CONSUME(T.Identifier);
        },
      },
    ]);
  });

  postfixExpression = this.RULE("postfixExpression", () => {
    this.SUBRULE(this.primaryExpression);
    this.MANY(() => this.SUBRULE(this.postfixSuffix));
  });

  postfixSuffix = this.RULE("postfixSuffix", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.LBracket);
          this.SUBRULE(this.expression, { LABEL: "index" });
          this.CONSUME(T.RBracket);
        },
      },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.OPTION(() => this.SUBRULE(this.argumentExpressionList));
          this.CONSUME(T.RParen);
        },
      },
      {
        ALT: () => {
          this.OR2([{ ALT: () => this.CONSUME(T.Dot, { LABEL: "access" }) }, { ALT: () => this.CONSUME(T.Arrow, { LABEL: "access" }) }]);
          this.CONSUME(T.Identifier, { LABEL: "member" });
        },
      },
      { ALT: () => this.CONSUME(T.PlusPlus, { LABEL: "operator" }) },
      { ALT: () => this.CONSUME(T.MinusMinus, { LABEL: "operator" }) },
    ]);
  });

  argumentExpressionList = this.RULE("argumentExpressionList", () => {
    this.SUBRULE(this.assignmentExpression);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.assignmentExpression);
    });
  });

  primaryExpression = this.RULE("primaryExpression", () => {
    this.OR({ IGNORE_AMBIGUITIES: true, DEF: [
      { ALT: () => this.CONSUME(T.Identifier) },
      { ALT: () => this.CONSUME(T.IntegerConstant) },
      { ALT: () => this.CONSUME(T.FloatingConstant) },
      { ALT: () => this.CONSUME(T.CharacterConstant) },
      { ALT: () => this.AT_LEAST_ONE(() => this.CONSUME(T.StringLiteral)) },
      {
        // GNU statement expression `({ ... })`.
        GATE: () => this.LA(2).tokenType === T.LBrace,
        ALT: () => {
          this.CONSUME(T.LParen, { LABEL: "statementOpen" });
          this.SUBRULE(this.compoundStatement);
          this.CONSUME(T.RParen, { LABEL: "statementClose" });
        },
      },
      {
        ALT: () => {
          this.CONSUME2(T.LParen);
          this.SUBRULE(this.expression);
          this.CONSUME2(T.RParen);
        },
      },
      { ALT: () => this.SUBRULE(this.offsetofExpression) },
      { ALT: () => this.SUBRULE(this.typesCompatibleExpression) },
    ] });
  });

  offsetofExpression = this.RULE("offsetofExpression", () => {
    this.CONSUME(T.BuiltinOffsetof);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.typeName);
    this.CONSUME(T.Comma);
    this.CONSUME(T.Identifier, { LABEL: "member" });
    this.MANY(() => {
      this.OR([
        {
          ALT: () => {
            this.CONSUME(T.Dot);
            this.CONSUME2(T.Identifier, { LABEL: "member" });
          },
        },
        {
          ALT: () => {
            this.CONSUME(T.LBracket);
            this.SUBRULE(this.expression, { LABEL: "index" });
            this.CONSUME(T.RBracket);
          },
        },
      ]);
    });
    this.CONSUME(T.RParen);
  });

  typesCompatibleExpression = this.RULE("typesCompatibleExpression", () => {
    this.CONSUME(T.BuiltinTypesCompatible);
    this.CONSUME(T.LParen);
    this.SUBRULE(this.typeName);
    this.CONSUME(T.Comma);
    this.SUBRULE2(this.typeName);
    this.CONSUME(T.RParen);
  });
}

export type { CstNode };
