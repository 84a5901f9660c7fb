/** What every shape implements for the engine. One runner per detector; state is its own. */
import type { EventRow } from '../../schema/event.js';

/** Per-event facts the engine computes once and shares with every runner. */
export interface ShapeContext {
  /** The detector's watermark (engine.ts): windows before it are closed. */
  watermarkMs: number;
  /** The event is older than the watermark: windowed shapes skip it, baselines still learn. */
  tooLate: boolean;
  /** Older still (by the engine's maxAlertLatenessMs): history, which teaches but never fires. */
  history: boolean;
}

export interface ShapeRunner {
  onEvent(e: EventRow, ctx: ShapeContext): void;
  /** Forgets keys no window or baseline can need any more. */
  sweep(watermarkMs: number): void;
  readonly keyCount: number;
  readonly evicted: number;
  save(): unknown;
  load(state: unknown): void;
}

export interface RunnerLimits {
  maxKeys: number;
}
