/**
 * Runs `task` over `items` with at most `limit` running at once: a blob upload or download is
 * a round trip of tens of milliseconds to Azure, so one at a time, a 60-day export's ~1,200
 * files took minutes. The first failure stops new tasks from starting; the ones running are
 * let finish (no half-written file is left behind by us), then it is thrown.
 */
export async function forEachAtOnce<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== undefined) throw failure.err;
}
