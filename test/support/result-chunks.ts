/** A statement's result chunks, each as DuckDB hands it out, for tests that read vectors directly. */
import type { DuckDBConnection, DuckDBDataChunk } from '@duckdb/node-api';

export async function resultChunks(conn: DuckDBConnection, sql: string): Promise<DuckDBDataChunk[]> {
  const result = await conn.run(sql);
  const chunks: DuckDBDataChunk[] = [];
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) chunks.push(chunk);
  return chunks;
}
