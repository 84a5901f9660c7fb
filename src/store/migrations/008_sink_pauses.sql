-- A sink that answered 429/503 with Retry-After is paused as a whole until then: the receiver
-- asked the sender to wait, not one alert, so alerts raised later wait too, and so does the
-- next `replay` or a restarted `run` (the pause is stored, not held in memory). One row per
-- sink, replaced by each Retry-After; a row in the past is simply no longer a pause.
CREATE TABLE sink_pauses (
  sink         VARCHAR PRIMARY KEY,
  paused_until TIMESTAMPTZ NOT NULL,
  updated_at   TIMESTAMPTZ NOT NULL
);
