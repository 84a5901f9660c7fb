/**
 * Hourly bars of the window against a dashed line of the baseline (the mean of the same hour
 * of day over the days before), drawn by uPlot on a canvas, times in UTC.
 */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { HourPoint } from '../api';

interface Props {
  title: string;
  points: HourPoint[];
  value: 'events' | 'bytes_out';
  format: (n: number) => string;
  testId?: string;
}

const HEIGHT = 190;

/** `14:00` on the axis, and the date (`11-10`) at midnight: UTC, 24-hour, as every other time on the page. */
function hourLabel(seconds: number): string {
  const iso = new Date(seconds * 1000).toISOString();
  const hm = iso.slice(11, 16);
  return hm === '00:00' ? iso.slice(5, 10) : hm;
}

export function HourlyChart({ title, points, value, format, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = points.map((p) => Date.parse(p.hour) / 1000);
    const actual = points.map((p) => p[value]);
    const baseline = points.map((p) => (value === 'events' ? p.baseline_events : p.baseline_bytes_out));
    const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.8, 40], align: 1 }) : undefined;
    const options: uPlot.Options = {
      width: Math.max(300, el.clientWidth),
      height: HEIGHT,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      series: [
        {},
        { label: 'this window', stroke: '#2358c4', fill: 'rgba(35, 88, 196, 0.35)', width: 1, ...(bars ? { paths: bars } : {}), value: (_u, v) => (v === null ? '' : format(v)) },
        { label: 'baseline (same hour, mean)', stroke: '#c2410c', width: 1.5, dash: [5, 4], points: { show: false }, value: (_u, v) => (v === null ? '–' : format(v)) },
      ],
      axes: [{ values: (_u, splits) => splits.map(hourLabel) }, { size: 70, values: (_u, splits) => splits.map(format) }],
    };
    const plot = new uPlot(options, [xs, actual, baseline as (number | null)[]], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.clientWidth), height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [points, value, format]);
  return (
    <figure class="chart" data-testid={testId}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
    </figure>
  );
}
