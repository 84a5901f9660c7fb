/**
 * The `detect` step's lifecycle around a store: restore the engine from the state saved with
 * the last batch, then feed it whatever was committed after that state (a crash between
 * snapshots, or a `--no-detect` replay), so detection continues exactly where the data is.
 */
import { detectorMatcher, type Detector } from './detectors/define.js';
import { compileExceptions, markSuppressed, type ExceptionEntry, type ExceptionMatcher } from './detectors/exceptions.js';
import { AuditlakeError } from './errors.js';
import type { Engine } from './detectors/engine.js';
import { DETECTOR_STATE, resumeDetection } from './pipeline.js';
import type { Store } from './store/duckdb.js';

/**
 * The catalogue minus the detectors switched off by id, family prefix (`encryption.`) or bare
 * family (`encryption`, as `detectors test --only` reads it). An entry that matches no detector
 * is refused: a misspelt id would otherwise leave the detector its operator meant to silence
 * running, with nothing said. `where` names the config file in the message.
 */
export async function enabledDetectors(disabled: readonly string[] = [], where = 'config'): Promise<readonly Detector[]> {
  // Loaded on demand: commands that only store or query don't pay for the catalogue.
  const { detectors } = await import('./detectors/index.js');
  const ids = detectors.map((d) => d.id);
  const matchers = disabled.map((entry, i) => {
    const matches = detectorMatcher(entry);
    if (!ids.some(matches)) {
      const families = [...new Set(ids.map((id) => id.split('.')[0]))].join(', ');
      throw new AuditlakeError('bad_config', `${where}: detectors.disabled[${i}]: '${entry}' matches no detector `
        + `(expected an id from auditlake detectors list, or a family: ${families})`);
    }
    return matches;
  });
  return detectors.filter((d) => !matchers.some((matches) => matches(d.id)));
}

/** The categories the detectors read, lower-case: the rows worth sending to the engine. */
export function detectionCategories(detectors: readonly Detector[]): string[] {
  return [...new Set(detectors.flatMap((d) => d.needs.categories.map((c) => c.toLowerCase())))];
}

/** What detection runs: the detectors switched on, and the exceptions to their alerts. */
export interface DetectionSetup { detectors: readonly Detector[]; exceptions?: ExceptionMatcher }

/**
 * The config's `detectors` (`disabled`, `exceptions`), each entry checked against the catalogue
 * before anything is opened: a config error leaves nothing behind. Exceptions are checked
 * against every detector (one for a detector switched off is harmless).
 */
export async function detectionSetup(choices: { disabled: readonly string[]; exceptions: readonly ExceptionEntry[] }, where = 'config'): Promise<DetectionSetup> {
  const detectors = await enabledDetectors(choices.disabled, where);
  if (choices.exceptions.length === 0) return { detectors };
  const { detectors: catalogue } = await import('./detectors/index.js');
  return { detectors, exceptions: compileExceptions(choices.exceptions, catalogue.map((d) => d.id), where) };
}

/** The engine, restored and caught up; with exceptions, each alert it raises is marked when one suppresses it. */
export async function openDetection(store: Store, { detectors, exceptions }: DetectionSetup): Promise<Engine> {
  const { createEngine, restoreEngine } = await import('./detectors/engine.js');
  const saved = await store.loadState(DETECTOR_STATE);
  const engine = saved ? restoreEngine(saved.value, { detectors }) : createEngine({ detectors });
  const detection: Engine = exceptions
    ? { process: (events) => markSuppressed(engine.process(events), exceptions), snapshot: () => engine.snapshot(), stats: () => engine.stats() }
    : engine;
  await resumeDetection(store, detection, saved?.ingestedAt ?? 0);
  return detection;
}
