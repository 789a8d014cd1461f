/**
 * A small column chart of one series (SVG, no library): one column per step, the newest on the right, at
 * least a dozen slots wide so that a node's first minutes read as a start rather than one fat block. Screen
 * readers get a one-sentence summary instead of the drawing.
 */
const W = 300;
const H = 80;
const MIN_SLOTS = 12;

export function Chart(props: {
  title: string;
  points: Array<{ t: number; v: number }>;
  format(v: number): string;
}) {
  const pts = props.points;
  const peak = Math.max(0, ...pts.map((p) => p.v));
  const slot = W / Math.max(MIN_SLOTS, pts.length);
  const offset = W - pts.length * slot;
  const last = pts[pts.length - 1]?.v ?? 0;
  const minutes = pts.length > 1 ? Math.max(1, Math.round((pts[pts.length - 1]!.t - pts[0]!.t) / 60_000)) : 0;
  const summary =
    `${props.title}: now ${props.format(last)}, peak ${props.format(peak)}` +
    (minutes ? ` over the last ${minutes} min` : '');
  return (
    <figure class="chart">
      <figcaption>
        {props.title} <span class="muted">now {props.format(last)}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
        {pts.map((p, i) => {
          const h = peak > 0 ? (p.v / peak) * (H - 2) : 0;
          return (
            <rect
              key={p.t}
              class="bar"
              x={(offset + i * slot + slot * 0.1).toFixed(2)}
              width={(slot * 0.8).toFixed(2)}
              y={(H - h).toFixed(2)}
              height={h.toFixed(2)}
            />
          );
        })}
        <line x1="0" y1={H - 0.5} x2={W} y2={H - 0.5} class="axis" />
      </svg>
      <p class="chart-scale muted">peak {props.format(peak)}</p>
    </figure>
  );
}
