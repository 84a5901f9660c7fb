/**
 * The `detect` step's lifecycle around a store: restore the engine from the state saved with
 * the last batch, then feed it whatever was committed after that state (a crash between
 * snapshots, or a `--no-detect` replay), so detection continues exactly where the data is.
 */
import type { Detector } from './detectors/define.js';
import type { Engine } from './detectors/engine.js';
import { DETECTOR_STATE, resumeDetection } from './pipeline.js';
import type { Store } from './store/duckdb.js';

/** The catalogue minus the detectors switched off by id or family prefix (`encryption.`). */
export async function enabledDetectors(disabled: readonly string[] = []): Promise<readonly Detector[]> {
  // Loaded on demand: commands that only store or query don't pay for the catalogue.
  const { detectors } = await import('./detectors/index.js');
  const off = (id: string) => disabled.some((d) => id === d || (d.endsWith('.') && id.startsWith(d)));
  return detectors.filter((d) => !off(d.id));
}

/** The categories the detectors read, lower-case: the rows worth sending to the engine. */
export function detectionCategories(detectors: readonly Detector[]): string[] {
  return [...new Set(detectors.flatMap((d) => d.needs.categories.map((c) => c.toLowerCase())))];
}

export async function openDetection(store: Store, detectors: readonly Detector[]): Promise<Engine> {
  const { createEngine, restoreEngine } = await import('./detectors/engine.js');
  const saved = await store.loadState(DETECTOR_STATE);
  const engine = saved ? restoreEngine(saved.value, { detectors }) : createEngine({ detectors });
  await resumeDetection(store, engine, saved?.ingestedAt ?? 0);
  return engine;
}
