/**
 * A step line over time: a cumulative count (companies done) against the
 * time since a start, with the area under it shaded.
 *
 * @internal
 */
import { empty, type Frame, inner, svg, text, ticks, valueAxisY } from "./axes.js"
import { num } from "./escape.js"
import { colors } from "./palette.js"

/** A point: milliseconds since the start and the count reached then. @internal */
export interface Point {
  readonly millis: number
  readonly count: number
}

/** A duration as a short axis label: `450ms`, `12s`, `3m20s`, `1h05m`. @internal */
export const duration = (ms: number): string => {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`
}

/** The count against time, as a step line from (0, 0) to `endMillis`. @internal */
export const cumulative = (
  points: ReadonlyArray<Point>,
  endMillis: number,
  o: { readonly id: string; readonly title: string; readonly x: string; readonly y: string }
): string => {
  if (points.length === 0) return empty(o.id, o.title, "no company finished in this run")
  const frame: Frame = { width: 640, height: 260, left: 56, right: 24, top: 16, bottom: 52 }
  const { h, w } = inner(frame)
  const counts = ticks(points[points.length - 1]!.count, 4).filter(Number.isInteger)
  const topCount = counts[counts.length - 1]!
  const timeTicks = ticks(Math.max(endMillis, points[points.length - 1]!.millis, 1), 5)
  const topTime = timeTicks[timeTicks.length - 1]!
  const x = (ms: number) => frame.left + (ms / topTime) * w
  const y = (n: number) => frame.top + h - (n / topCount) * h
  let path = `M${num(x(0))},${num(y(0))}`
  let last = 0
  for (const p of points) {
    path += ` H${num(x(p.millis))} V${num(y(p.count))}`
    last = p.millis
  }
  const end = Math.max(endMillis, last)
  path += ` H${num(x(end))}`
  const area = `${path} V${num(y(0))} Z`
  const xAxis = timeTicks.map((t) => text(x(t), frame.top + h + 16, duration(t), { anchor: "middle", size: 11, fill: colors.muted }))
    .join("")
  return svg(
    o.id,
    o.title,
    frame,
    valueAxisY(frame, counts, { x: o.x, y: o.y }) + xAxis +
      `<path d="${area}" fill="${colors.main}" fill-opacity="0.12" stroke="none"/>` +
      `<path d="${path}" fill="none" stroke="${colors.main}" stroke-width="2"/>`
  )
}
