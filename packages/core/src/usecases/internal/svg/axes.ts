/**
 * Chart frames: the SVG element with its title for screen readers, "nice"
 * tick values for an axis, and the axes with ticks, grid lines and labels.
 *
 * @internal
 */
import { escape, num } from "./escape.js"
import { colors } from "./palette.js"

/** The plot area inside a chart. @internal */
export interface Frame {
  readonly width: number
  readonly height: number
  readonly left: number
  readonly right: number
  readonly top: number
  readonly bottom: number
}

/** The plot area's width and height. @internal */
export const inner = (f: Frame) => ({ w: f.width - f.left - f.right, h: f.height - f.top - f.bottom })

/** Up to about `count` round tick values from 0 to at least `max` (at least 1). @internal */
export const ticks = (max: number, count = 5): ReadonlyArray<number> => {
  const top = Math.max(1, max)
  const raw = top / count
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  const out: Array<number> = []
  for (let v = 0; v <= top + step * 0.999; v += step) out.push(Math.round(v * 1e6) / 1e6)
  return out
}

/** An `<svg>` with a title (its accessible name) around `body`. @internal */
export const svg = (id: string, title: string, f: Frame, body: string): string =>
  `<svg id="${escape(id)}" class="chart" role="img" viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" ` +
  `height="${f.height}" xmlns="http://www.w3.org/2000/svg" aria-labelledby="${escape(id)}-title">` +
  `<title id="${escape(id)}-title">${escape(title)}</title>${body}</svg>`

/** Text in the chart's font, escaped. @internal */
export const text = (
  x: number,
  y: number,
  content: string,
  attrs: { readonly anchor?: "start" | "middle" | "end"; readonly size?: number; readonly fill?: string; readonly extra?: string } = {}
): string =>
  `<text x="${num(x)}" y="${num(y)}" text-anchor="${attrs.anchor ?? "start"}" font-size="${attrs.size ?? 12}" ` +
  `fill="${attrs.fill ?? colors.ink}"${attrs.extra === undefined ? "" : ` ${attrs.extra}`}>${escape(content)}</text>`

/**
 * A vertical value axis on the left (ticks from 0 to `values`' last, grid
 * lines across the plot), a baseline, and the axes' labels.
 *
 * @internal
 */
export const valueAxisY = (
  f: Frame,
  values: ReadonlyArray<number>,
  labels: { readonly x: string; readonly y: string },
  format: (n: number) => string = (n) => String(n)
): string => {
  const { h, w } = inner(f)
  const top = values[values.length - 1] ?? 1
  const lines = values.map((v) => {
    const y = f.top + h - (v / top) * h
    return `<line x1="${f.left}" x2="${num(f.left + w)}" y1="${num(y)}" y2="${num(y)}" stroke="${colors.grid}" stroke-width="1"/>` +
      text(f.left - 6, y + 4, format(v), { anchor: "end", size: 11, fill: colors.muted })
  })
  return [
    ...lines,
    `<line x1="${f.left}" x2="${num(f.left + w)}" y1="${num(f.top + h)}" y2="${num(f.top + h)}" stroke="${colors.axis}"/>`,
    text(f.left + w / 2, f.height - 6, labels.x, { anchor: "middle", fill: colors.muted }),
    text(14, f.top + h / 2, labels.y, {
      anchor: "middle",
      fill: colors.muted,
      extra: `transform="rotate(-90 14 ${num(f.top + h / 2)})"`
    })
  ].join("")
}

/** A horizontal value axis at the bottom (ticks from 0 to `values`' last, grid lines up the plot) and its label. @internal */
export const valueAxisX = (
  f: Frame,
  values: ReadonlyArray<number>,
  label: string,
  format: (n: number) => string = (n) => String(n)
): string => {
  const { h, w } = inner(f)
  const top = values[values.length - 1] ?? 1
  return [
    ...values.map((v) => {
      const x = f.left + (v / top) * w
      return `<line x1="${num(x)}" x2="${num(x)}" y1="${f.top}" y2="${num(f.top + h)}" stroke="${colors.grid}"/>` +
        text(x, f.top + h + 16, format(v), { anchor: "middle", size: 11, fill: colors.muted })
    }),
    `<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${num(f.top + h)}" stroke="${colors.axis}"/>`,
    text(f.left + w / 2, f.height - 6, label, { anchor: "middle", fill: colors.muted })
  ].join("")
}

/** A chart with no data: its frame and a short note in the middle. @internal */
export const empty = (id: string, title: string, note: string, width = 640, height = 120): string =>
  svg(
    id,
    title,
    { width, height, left: 0, right: 0, top: 0, bottom: 0 },
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="6" fill="#fafbfc" stroke="${colors.grid}"/>` +
      text(width / 2, height / 2 + 4, note, { anchor: "middle", fill: colors.muted, size: 13 })
  )
