/**
 * The `detect` step's lifecycle around a store: restore the engine from the state saved with
 * the last batch, then feed it whatever was committed after that state (a crash between
 * snapshots, or a `--no-detect` replay), so detection continues exactly where the data is.
 */
import type { Engine } from './detectors/engine.js';
import { DETECTOR_STATE, resumeDetection } from './pipeline.js';
import type { Store } from './store/duckdb.js';

/** The categories any detector reads, lower-case: the rows worth sending to the engine. */
export async function detectionCategories(): Promise<string[]> {
  const { detectors } = await import('./detectors/index.js');
  return [...new Set(detectors.flatMap((d) => d.needs.categories.map((c) => c.toLowerCase())))];
}

export async function openDetection(store: Store): Promise<Engine> {
  // Loaded on demand: commands that only store or query don't pay for the catalogue.
  const { createEngine, restoreEngine } = await import('./detectors/engine.js');
  const saved = await store.loadState(DETECTOR_STATE);
  const engine = saved ? restoreEngine(saved.value) : createEngine();
  await resumeDetection(store, engine, saved?.ingestedAt ?? 0);
  return engine;
}
