/**
 * Horizontal bar charts: one row per label with one bar per series
 * (grouped), or one bar against its cap (a track the length of the cap,
 * filled up to the value).
 *
 * @internal
 */
import { empty, type Frame, inner, svg, text, ticks, valueAxisX } from "./axes.js"
import { escape, num } from "./escape.js"
import { colors, series as palette } from "./palette.js"

/** One row: its label and a value per series. @internal */
export interface Row {
  readonly label: string
  readonly values: ReadonlyArray<number>
}

/** Options of {@link grouped}. @internal */
export interface GroupedOptions {
  readonly id: string
  readonly title: string
  readonly series: ReadonlyArray<string>
  readonly axis: string
  readonly format?: (n: number) => string
  readonly width?: number
  /** The note shown when there are no rows. */
  readonly empty?: string
}

const legend = (x: number, y: number, names: ReadonlyArray<string>): string =>
  names.map((name, i) =>
    `<rect x="${x + i * 90}" y="${y - 9}" width="10" height="10" rx="2" fill="${palette[i % palette.length]}"/>` +
    text(x + i * 90 + 14, y, name, { size: 11, fill: colors.muted })
  ).join("")

/** Rows of grouped bars on a shared value axis, with a legend when there is more than one series. @internal */
export const grouped = (rows: ReadonlyArray<Row>, o: GroupedOptions): string => {
  if (rows.length === 0) return empty(o.id, o.title, o.empty ?? "nothing to show")
  const format = o.format ?? ((n: number) => String(n))
  const barH = 12
  const rowH = o.series.length * (barH + 2) + 12
  // room for the longest label (about 7 px a character at 12 px)
  const left = Math.min(240, Math.max(80, Math.max(...rows.map((r) => r.label.length)) * 7 + 16))
  const f: Frame = { width: o.width ?? 640, height: 0, left, right: 64, top: o.series.length > 1 ? 30 : 12, bottom: 40 }
  const frame: Frame = { ...f, height: f.top + rows.length * rowH + f.bottom }
  const { w } = inner(frame)
  const all = rows.flatMap((r) => r.values)
  // counts get whole ticks only
  const scale = ticks(Math.max(...all)).filter((t) => !all.every(Number.isInteger) || Number.isInteger(t))
  const top = scale[scale.length - 1]!
  const bars = rows.map((r, i) => {
    const y0 = frame.top + i * rowH + 6
    return text(frame.left - 8, y0 + (rowH - 12) / 2 + 4, r.label, { anchor: "end" }) +
      r.values.map((v, j) => {
        const y = y0 + j * (barH + 2)
        const bw = Math.max(v > 0 ? 1 : 0, (v / top) * w)
        return `<rect x="${frame.left}" y="${num(y)}" width="${num(bw)}" height="${barH}" rx="2" ` +
          `fill="${palette[j % palette.length]}"><title>${escape(`${r.label} ${o.series[j] ?? ""}: ${format(v)}`)}</title></rect>` +
          text(frame.left + bw + 4, y + barH - 2, format(v), { size: 10, fill: colors.muted })
      }).join("")
  })
  return svg(
    o.id,
    o.title,
    frame,
    valueAxisX(frame, scale, o.axis, format) + bars.join("") + (o.series.length > 1 ? legend(frame.left, 16, o.series) : "")
  )
}

/** A row of {@link againstCaps}: what was used, and the cap (none: no cap). @internal */
export interface CapRow {
  readonly label: string
  readonly used: number | null
  readonly cap: number | undefined
}

/**
 * One bar per row against its cap: a track as long as the cap, filled to
 * the use (orange past 80 %, vermillion at the cap), with `used / cap` and
 * the share; "—" when the use was not recorded.
 *
 * @internal
 */
export const againstCaps = (rows: ReadonlyArray<CapRow>, o: { readonly id: string; readonly title: string }): string => {
  if (rows.length === 0) return empty(o.id, o.title, "no budget was drawn from or capped")
  const rowH = 30
  const frame: Frame = { width: 640, height: 12 + rows.length * rowH + 12, left: 180, right: 140, top: 12, bottom: 12 }
  const { w } = inner(frame)
  const body = rows.map((r, i) => {
    const y = frame.top + i * rowH
    const full = r.cap ?? r.used ?? 0
    const share = r.used === null || full <= 0 ? 0 : Math.min(1, r.used / full)
    const fill = r.cap === undefined ? colors.main : share >= 1 ? colors.bad : share >= 0.8 ? colors.warn : colors.good
    const label = r.used === null
      ? "—"
      : r.cap === undefined
      ? `${fmt(r.used)} (no cap)`
      : `${fmt(r.used)} / ${fmt(r.cap)} (${Math.round((r.cap > 0 ? r.used / r.cap : 0) * 100)}%)`
    return text(frame.left - 8, y + 15, r.label, { anchor: "end" }) +
      `<rect x="${frame.left}" y="${y + 4}" width="${num(w)}" height="14" rx="3" fill="${colors.track}" stroke="${colors.grid}"/>` +
      `<rect x="${frame.left}" y="${y + 4}" width="${num(share * w)}" height="14" rx="3" fill="${fill}">` +
      `<title>${escape(`${r.label}: ${label}`)}</title></rect>` +
      text(frame.left + w + 8, y + 15, label, { size: 11, fill: colors.muted })
  }).join("")
  return svg(o.id, o.title, frame, body)
}

const fmt = (n: number): string => (Number.isInteger(n) ? n.toLocaleString("en-US") : n.toFixed(1))
