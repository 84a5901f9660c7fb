/**
 * Rows from columns. @duckdb/node-api converts a result column by column about 7× faster than
 * row by row (its row path looks up each value's column type again: 1.3 s against 0.2 s for
 * 70,000 rows of 14 columns), so results are converted as columns and turned into rows here.
 */
export function rowsFromColumns(columns: readonly (readonly unknown[])[]): unknown[][] {
  const rowCount = columns[0]?.length ?? 0;
  const rows = new Array<unknown[]>(rowCount);
  for (let r = 0; r < rowCount; r++) {
    const row = new Array<unknown>(columns.length);
    for (let c = 0; c < columns.length; c++) row[c] = columns[c]![r];
    rows[r] = row;
  }
  return rows;
}
