/**
 * Which statements the server runs: a single SELECT that reads only the store's own tables, as
 * DuckDB itself parses it — never a regular expression over the text, which comments, quoting
 * and DuckDB's own syntax (`FROM 'file.csv'`, `FROM tbl SELECT ...`) would defeat.
 *
 * 1. DuckDB's parser (`extractStatements`) must find exactly one statement.
 * 2. `json_serialize_sql` must give its AST: DuckDB serializes SELECTs only, so INSERT, COPY,
 *    ATTACH, SET, PRAGMA, CALL, EXPLAIN, ... are refused here, before anything is bound.
 * 3. The AST is walked. Table references are an allowlist: a plain name of the store's tables
 *    and views (or of a CTE in scope), joins, subqueries, VALUES, PIVOT, DESCRIBE/SUMMARIZE of
 *    such a query and SHOW TABLES; table functions only from ALLOWED_TABLE_FUNCTIONS and the
 *    store's own table macros (`events_between`, which reads `events`).
 *    A name that is not a plain identifier (`'/etc/passwd'`, `"logs.csv"`) is refused whatever
 *    the scope, because DuckDB reads such names as files (replacement scans). Scalar functions
 *    that reach outside the query (settings, environment, sequences, the log) are refused.
 * 4. The reader then prepares it and checks DuckDB's statement type is SELECT, and runs it in a
 *    READ ONLY transaction on an instance whose file access is off (see store/reader.ts).
 * Anything the walk does not recognise is refused: a new kind of table reference in a future
 * DuckDB fails closed, with its name in the message.
 */
import type { ParsedSql, Relations } from '../store/reader.js';

/** The statement may not run; `message` says why, for the person who wrote it. */
export class SqlRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlRefused';
  }
}

/** What the guard needs from DuckDB (an `SqlReader` has both). */
export interface SqlInspector {
  parse(sql: string): Promise<ParsedSql>;
  relations(): Promise<Relations>;
}

/** Table functions that compute rows from their arguments or list the schema; none touches a file. */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'range', 'generate_series', 'unnest', 'json_each', 'json_tree',
  'duckdb_tables', 'duckdb_views', 'duckdb_columns',
]);

/**
 * Scalar functions refused, and why: each reaches state outside the query's own rows, or takes
 * SQL text. A function that takes SQL text parses (and may bind, plan and fold constants in) a
 * statement this guard never walked: `json_serialize_plan` returned the server's settings
 * folded into its plan and opened files a table function named. A denylist, not an allowlist:
 * DuckDB has ~400 scalar functions, operators and macros that analysts' statements use, and
 * sql-guard.test.ts fails when a DuckDB upgrade brings a function whose name says it reaches
 * SQL text, settings or files and that this list does not cover.
 */
export const DENIED_FUNCTIONS: ReadonlyMap<string, string> = new Map([
  ['current_setting', 'it reads the server\'s settings'],
  ['getenv', 'it reads the server\'s environment'],
  ['getvariable', 'it reads session variables'],
  ['nextval', 'it advances a sequence'],
  ['currval', 'it reads sequence state'],
  ['setseed', 'it changes session state'],
  ['write_log', 'it writes to DuckDB\'s log'],
  ['read_text', 'it reads files'],
  ['read_blob', 'it reads files'],
  ['query', 'it runs SQL text'],
  ['query_table', 'it reads tables by name at run time'],
  ['json_execute_serialized_sql', 'it runs SQL'],
  ['json_serialize_plan', 'it binds and plans SQL text the guard has not checked'],
  ['json_serialize_sql', 'it takes SQL text'],
  ['json_deserialize_sql', 'it makes SQL text'],
  ['sleep_ms', 'it holds one of the server\'s threads without doing work'],
  ['pg_sleep', 'it holds one of the server\'s threads without doing work'], // a macro over sleep_ms
]);

/** Table reference kinds that only combine what their children give (the children are walked). */
const STRUCTURAL_REFS = new Set(['JOIN', 'SUBQUERY', 'EXPRESSION_LIST', 'EMPTY', 'EMPTY_FROM', 'PIVOT']);

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** Refuses (throws SqlRefused) unless `sql` is one SELECT over the store's relations. */
export async function guardSql(inspector: SqlInspector, sql: string): Promise<void> {
  const parsed = await inspector.parse(sql);
  if (parsed.statements === 0) throw new SqlRefused('no SQL statement given');
  // Kind first: DuckDB expands some single statements (PIVOT ... ON) into several.
  if (parsed.ast === undefined) throw new SqlRefused(notASelectMessage(sql, parsed.astError));
  if (parsed.statements > 1) throw new SqlRefused(`exactly one statement is allowed (got ${parsed.statements})`);
  checkAst(parsed.ast, await inspector.relations());
}

/** The AST walk of step 3, on `json_serialize_sql`'s output. */
export function checkAst(ast: unknown, relations: Relations): void {
  const root = ast as { statements?: unknown };
  if (!root || !Array.isArray(root.statements) || root.statements.length !== 1) {
    throw new SqlRefused('exactly one statement is allowed');
  }
  walk(root.statements, new Set(), relations);
}

function walk(value: unknown, ctes: ReadonlySet<string>, relations: Relations): void {
  if (Array.isArray(value)) {
    for (const v of value) walk(v, ctes, relations);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const node = value as Record<string, unknown>;
  let scope = ctes;
  const cteMap = (node.cte_map as { map?: Array<{ key?: unknown }> } | undefined)?.map;
  if (Array.isArray(cteMap) && cteMap.length > 0) {
    // CTE names are visible in the query and in every CTE of the same WITH (recursive ones too).
    const names = new Set(ctes);
    for (const entry of cteMap) if (typeof entry.key === 'string') names.add(entry.key.toLowerCase());
    scope = names;
  }
  if (isTableRef(node)) checkTableRef(node, scope, relations);
  if (typeof node.function_name === 'string' && typeof node.class === 'string') {
    const why = DENIED_FUNCTIONS.get(node.function_name.toLowerCase());
    if (why) throw new SqlRefused(`function ${node.function_name} is not allowed: ${why}`);
  }
  for (const v of Object.values(node)) walk(v, scope, relations);
}

/** Table references carry `sample` and no `class` (expressions) or `modifiers` (query nodes). */
function isTableRef(node: Record<string, unknown>): boolean {
  return 'sample' in node && 'alias' in node && typeof node.type === 'string' && !('class' in node) && !('modifiers' in node);
}

function checkTableRef(ref: Record<string, unknown>, ctes: ReadonlySet<string>, relations: Relations): void {
  const type = ref.type as string;
  if (STRUCTURAL_REFS.has(type)) return;
  switch (type) {
    case 'BASE_TABLE':
      return checkBaseTable(ref, ctes, relations);
    case 'TABLE_FUNCTION': {
      const fn = ref.function as { function_name?: unknown } | undefined;
      const name = typeof fn?.function_name === 'string' ? fn.function_name : '?';
      if (!ALLOWED_TABLE_FUNCTIONS.has(name.toLowerCase()) && !relations.macros.has(name.toLowerCase())) {
        throw new SqlRefused(`table function ${name} is not allowed (allowed: ${[...relations.macros, ...ALLOWED_TABLE_FUNCTIONS].join(', ')})`);
      }
      return;
    }
    case 'SHOW_REF':
      // DESCRIBE / SUMMARIZE <query>: the query is walked like any other. Of the bare SHOW forms, SHOW TABLES.
      if (ref.query) return;
      if (ref.table_name === '"tables"') return;
      throw new SqlRefused(`SHOW ${String(ref.table_name ?? '').replace(/"/g, '')} is not allowed (SHOW TABLES and DESCRIBE are)`);
    default:
      throw new SqlRefused(`a table reference of kind ${type} is not allowed`);
  }
}

function checkBaseTable(ref: Record<string, unknown>, ctes: ReadonlySet<string>, relations: Relations): void {
  const name = String(ref.table_name ?? '');
  const schema = String(ref.schema_name ?? '');
  const catalog = String(ref.catalog_name ?? '');
  const qualified = [catalog, schema, name].filter((p) => p !== '').join('.');
  if (!PLAIN_NAME.test(name)) {
    throw new SqlRefused(`reading files is not allowed: '${name}' is not one of the store's tables`);
  }
  const lower = name.toLowerCase();
  if (schema === '' && catalog === '' && ctes.has(lower)) return;
  if ((schema !== '' && schema.toLowerCase() !== 'main') || (catalog !== '' && catalog.toLowerCase() !== relations.catalog.toLowerCase())) {
    throw new SqlRefused(`only the store's own tables can be read (got ${qualified})`);
  }
  if (!relations.names.has(lower)) {
    throw new SqlRefused(`unknown table ${qualified} (tables: ${[...relations.names].sort().join(', ')})`);
  }
}

/**
 * DuckDB decided (no AST); this only names what was refused, from the statement's first
 * keyword, for the message.
 */
function notASelectMessage(sql: string, astError: string | undefined): string {
  const keyword = leadingKeyword(sql);
  if (keyword && !['SELECT', 'WITH', 'FROM', 'VALUES', 'TABLE'].includes(keyword)) {
    return `only SELECT statements are allowed (got ${keyword})`;
  }
  return `only SELECT statements are allowed (DuckDB does not read this as one: ${astError ?? 'not a SELECT'})`;
}

function leadingKeyword(sql: string): string | undefined {
  let s = sql;
  for (;;) {
    const skipped = s.replace(/^(?:\s+|--[^\n]*|\/\*[\s\S]*?\*\/|\()/, '');
    if (skipped === s) break;
    s = skipped;
  }
  return /^[A-Za-z_]+/.exec(s)?.[0].toUpperCase();
}
