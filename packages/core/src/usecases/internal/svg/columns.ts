/**
 * A column chart (a histogram): one column per bin on a category axis,
 * counts on the value axis.
 *
 * @internal
 */
import { empty, type Frame, inner, svg, text, ticks, valueAxisY } from "./axes.js"
import { escape, num } from "./escape.js"
import { colors } from "./palette.js"

/** One column: its bin's label and count. @internal */
export interface Column {
  readonly label: string
  readonly count: number
}

/** Columns with labels under them and counts above. @internal */
export const columns = (
  bins: ReadonlyArray<Column>,
  o: { readonly id: string; readonly title: string; readonly x: string; readonly y: string }
): string => {
  if (bins.every((b) => b.count === 0)) return empty(o.id, o.title, "no scores in this run")
  const frame: Frame = { width: 640, height: 260, left: 56, right: 16, top: 16, bottom: 52 }
  const { h, w } = inner(frame)
  const scale = ticks(Math.max(...bins.map((b) => b.count)), 4).filter(Number.isInteger)
  const top = scale[scale.length - 1]!
  const slot = w / bins.length
  const body = bins.map((b, i) => {
    const bh = (b.count / top) * h
    const x = frame.left + i * slot + slot * 0.1
    const y = frame.top + h - bh
    return `<rect x="${num(x)}" y="${num(y)}" width="${num(slot * 0.8)}" height="${num(bh)}" rx="2" fill="${colors.main}">` +
      `<title>${escape(`${b.label}: ${b.count}`)}</title></rect>` +
      (b.count > 0 ? text(x + slot * 0.4, y - 4, String(b.count), { anchor: "middle", size: 10, fill: colors.muted }) : "") +
      text(x + slot * 0.4, frame.top + h + 16, b.label, { anchor: "middle", size: 11, fill: colors.muted })
  }).join("")
  return svg(o.id, o.title, frame, valueAxisY(frame, scale, { x: o.x, y: o.y }) + body)
}
