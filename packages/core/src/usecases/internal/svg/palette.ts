/**
 * The report's colours: the Okabe-Ito palette, which stays distinct for
 * colour-blind readers and in greyscale print, and the neutral greys of
 * axes and grid lines.
 *
 * @internal
 */

/** Series colours, in order of use. @internal */
export const series = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7"] as const

/** Named colours of the report. @internal */
export const colors = {
  ink: "#1f2328",
  muted: "#57606a",
  axis: "#8c959f",
  grid: "#d8dee4",
  track: "#eef1f4",
  good: "#009E73",
  warn: "#E69F00",
  bad: "#D55E00",
  main: "#0072B2"
} as const
