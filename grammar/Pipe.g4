// The pipec pipeline language. Keywords are case-insensitive (fragment letters,
// since the 4.7 tool has no caseInsensitive option). Most keywords are also
// accepted as identifiers (see nonReserved) because users name columns `key`,
// `timestamp`, `partition`, ...
grammar Pipe;

script
    : statement* EOF
    ;

statement
    : importStatement ';'
    | createRelation ';'
    | createPipeline ';'
    | ';'
    ;

importStatement
    : IMPORT STRING
    ;

// ---------------------------------------------------------------- DDL
// Sources, lookup tables and sinks share one shape; the binder checks what
// each kind requires (a column list for sources and tables, ...).
createRelation
    : CREATE kind=(SOURCE | TABLE | SINK) name=identifier
      ('(' tableElement (',' tableElement)* ','? ')')?
      withClause? formatClause?
    ;

tableElement
    : columnDefinition
    | watermarkDefinition
    | constraintDefinition
    | deduplicateClause
    | primaryKeyDefinition
    ;

columnDefinition
    : name=identifier dataType columnOption*
    ;

columnOption
    : NOT NULL_                                                   # notNullOption
    | NULL_                                                       # nullableOption
    | CHECK '(' expression ')' violationAction?                  # checkOption
    | METADATA (FROM STRING)? VIRTUAL?                           # metadataOption
    | PRIMARY KEY                                                # primaryKeyOption
    ;

watermarkDefinition
    : WATERMARK FOR column=identifier AS expression
    ;

primaryKeyDefinition
    : PRIMARY KEY '(' identifier (',' identifier)* ')'
    ;

constraintDefinition
    : CONSTRAINT name=identifier EXPECT '(' expression ')' violationAction?
    ;

violationAction
    : ON VIOLATION (WARN | DROP ROW | DEAD LETTER | FAIL PIPELINE)
    ;

deduplicateClause
    : DEDUPLICATE ON '(' expression (',' expression)* ')' (WITHIN interval=expression)?
    ;

withClause
    : WITH '(' option (',' option)* ','? ')'
    ;

option
    : optionKey '=' optionValue
    ;

optionKey
    : identifier ('.' identifier)*
    | STRING
    ;

optionValue
    : STRING
    | '-'? (INTEGER | DECIMAL)
    | TRUE_
    | FALSE_
    | SECRET '(' STRING ')'
    ;

formatClause
    : FORMAT identifier
    ;

dataType
    : ROW '<' rowField (',' rowField)* '>'                        # rowType
    | ARRAY '<' dataType '>'                                     # arrayType
    | identifier ('(' INTEGER (',' INTEGER)* ')')?               # primitiveType
    ;

rowField
    : identifier dataType (NOT NULL_)?
    ;

// ---------------------------------------------------------------- pipelines
createPipeline
    : CREATE PIPELINE name=identifier withClause? AS INSERT INTO sink=identifier
      query pipelineClause*
    ;

pipelineClause
    : constraintDefinition
    | deduplicateClause
    ;

query
    : SELECT selectItem (',' selectItem)*
      FROM fromItem joinClause*
      (WHERE where=expression)?
      (GROUP BY expression (',' expression)*)?
      (HAVING having=expression)?
    ;

selectItem
    : '*'                                                        # selectStar
    | identifier '.' '*'                                         # selectQualifiedStar
    | expression (AS? alias=identifier)?                         # selectExpression
    ;

fromItem
    : name=identifier (AS? alias=identifier)?
    ;

joinClause
    : (LEFT | INNER)? JOIN fromItem ON expression
    ;

// ---------------------------------------------------------------- expressions
// Precedence climbs from OR (lowest) to postfix access (highest).
expression
    : orExpression
    ;

orExpression
    : andExpression (OR andExpression)*
    ;

andExpression
    : notExpression (AND notExpression)*
    ;

notExpression
    : NOT notExpression
    | predicate
    ;

// One additive operand, then at most one predicate suffix: LL(1) after the
// operand, so prediction never rescans long operands.
predicate
    : additive predicateSuffix?
    ;

predicateSuffix
    : comparisonOperator rhs=additive                          # comparisonSuffix
    | IS NOT? NULL_                                               # isNullSuffix
    | IS NOT? (TRUE_ | FALSE_)                                     # isBooleanSuffix
    | NOT? BETWEEN low=additive AND high=additive                # betweenSuffix
    | NOT? IN '(' expression (',' expression)* ')'               # inSuffix
    | NOT? LIKE pattern=additive                                 # likeSuffix
    ;

comparisonOperator
    : '=' | '==' | '<>' | '!=' | '<' | '<=' | '>' | '>='
    ;

additive
    : multiplicative (op+=('+' | '-' | '||') multiplicative)*
    ;

multiplicative
    : unary (op+=('*' | '/' | '%') unary)*
    ;

unary
    : ('-' | '+') unary
    | postfix
    ;

postfix
    : primary postfixOperator*
    ;

postfixOperator
    : '.' identifier                                             # fieldAccess
    | '[' expression ']'                                         # subscript
    ;

primary
    : literal                                                    # literalPrimary
    | INTERVAL STRING intervalUnit                               # intervalPrimary
    | TIMESTAMP STRING                                           # timestampPrimary
    | CAST '(' expression AS dataType ')'                        # castPrimary
    | CASE operand=expression? caseWhen+ (ELSE otherwise=expression)? END  # casePrimary
    | functionName '(' (DISTINCT? expression (',' expression)* | '*')? ')'  # callPrimary
    | identifier                                                 # columnPrimary
    | '(' expression ')'                                         # parenPrimary
    ;

caseWhen
    : WHEN condition=expression THEN result=expression
    ;

functionName
    : identifier
    | LEFT
    | SECRET
    ;

intervalUnit
    : identifier
    ;

literal
    : INTEGER
    | DECIMAL
    | STRING
    | TRUE_
    | FALSE_
    | NULL_
    ;

identifier
    : IDENTIFIER
    | QUOTED_IDENTIFIER
    | nonReserved
    ;

// Keywords that may also name a column, table or option.
nonReserved
    : IMPORT | SOURCE | SINK | PIPELINE | METADATA | VIRTUAL | WATERMARK | PRIMARY | KEY
    | CHECK | EXPECT | VIOLATION | WARN | DROP | ROW | DEAD | LETTER | FAIL | DEDUPLICATE
    | WITHIN | FORMAT | ARRAY | TIMESTAMP | INTERVAL | INSERT | SECRET
    ;

// ---------------------------------------------------------------- lexer
AND: A N D;
ARRAY: A R R A Y;
AS: A S;
BETWEEN: B E T W E E N;
BY: B Y;
CASE: C A S E;
CAST: C A S T;
CHECK: C H E C K;
CONSTRAINT: C O N S T R A I N T;
CREATE: C R E A T E;
DEAD: D E A D;
DEDUPLICATE: D E D U P L I C A T E;
DISTINCT: D I S T I N C T;
DROP: D R O P;
ELSE: E L S E;
END: E N D;
EXPECT: E X P E C T;
FAIL: F A I L;
FALSE_: F A L S E;
FOR: F O R;
FORMAT: F O R M A T;
FROM: F R O M;
GROUP: G R O U P;
HAVING: H A V I N G;
IMPORT: I M P O R T;
IN: I N;
INNER: I N N E R;
INSERT: I N S E R T;
INTERVAL: I N T E R V A L;
INTO: I N T O;
IS: I S;
JOIN: J O I N;
KEY: K E Y;
LEFT: L E F T;
LETTER: L E T T E R;
LIKE: L I K E;
METADATA: M E T A D A T A;
NOT: N O T;
NULL_: N U L L;
ON: O N;
OR: O R;
PIPELINE: P I P E L I N E;
PRIMARY: P R I M A R Y;
ROW: R O W;
SECRET: S E C R E T;
SELECT: S E L E C T;
SINK: S I N K;
SOURCE: S O U R C E;
TABLE: T A B L E;
THEN: T H E N;
TIMESTAMP: T I M E S T A M P;
TRUE_: T R U E;
VIOLATION: V I O L A T I O N;
VIRTUAL: V I R T U A L;
WARN: W A R N;
WATERMARK: W A T E R M A R K;
WHEN: W H E N;
WHERE: W H E R E;
WITH: W I T H;
WITHIN: W I T H I N;

INTEGER: DIGIT+;
DECIMAL: DIGIT+ '.' DIGIT* EXPONENT? | '.' DIGIT+ EXPONENT? | DIGIT+ EXPONENT;
STRING: '\'' ( ~'\'' | '\'\'' )* '\'';
UNTERMINATED_STRING: '\'' ( ~'\'' | '\'\'' )* EOF;
IDENTIFIER: [a-zA-Z_] [a-zA-Z_0-9]*;
QUOTED_IDENTIFIER: '`' ( ~'`' | '``' )* '`';

LINE_COMMENT: '--' ~[\r\n]* -> channel(HIDDEN);
BLOCK_COMMENT: '/*' .*? '*/' -> channel(HIDDEN);
UNTERMINATED_COMMENT: '/*' .*? EOF;
WS: [ \t\r\n]+ -> channel(HIDDEN);

// Anything else is one bad character; the parser reports it with a caret.
UNEXPECTED_CHAR: .;

fragment DIGIT: [0-9];
fragment EXPONENT: [eE] [+-]? DIGIT+;
fragment A: [aA]; fragment B: [bB]; fragment C: [cC]; fragment D: [dD];
fragment E: [eE]; fragment F: [fF]; fragment G: [gG]; fragment H: [hH];
fragment I: [iI]; fragment J: [jJ]; fragment K: [kK]; fragment L: [lL];
fragment M: [mM]; fragment N: [nN]; fragment O: [oO]; fragment P: [pP];
fragment Q: [qQ]; fragment R: [rR]; fragment S: [sS]; fragment T: [tT];
fragment U: [uU]; fragment V: [vV]; fragment W: [wW]; fragment X: [xX];
fragment Y: [yY]; fragment Z: [zZ];
