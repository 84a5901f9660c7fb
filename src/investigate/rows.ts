/**
 * How the investigation views read: a statement with its `$name` parameters, at most `maxRows`
 * rows back, as objects of JSON-safe values. The server's console reads through its SQL reader
 * (with its time and size limits), the CLI through a store it opened or the server holding it;
 * the views are the same SQL either way.
 */
export type ReadRows = (sql: string, params: Record<string, string | number>, maxRows: number) => Promise<Record<string, unknown>[]>;
