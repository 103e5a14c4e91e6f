/**
 * The run report's HTML page: a header with the run's facts, then one
 * section per chart, styled inline for screens and print. No script, no
 * external asset; every text from data goes through `escape`.
 *
 * @internal
 */
import type { Analysis } from "../RunReport.js"
import { againstCaps, grouped } from "./svg/bars.js"
import { columns } from "./svg/columns.js"
import { escape } from "./svg/escape.js"
import { cumulative, duration } from "./svg/line.js"
import { colors } from "./svg/palette.js"

const style = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: ${colors.ink};
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 760px; margin: 0 auto; padding: 32px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 4px; }
p.sub, p.note { color: ${colors.muted}; margin: 0 0 12px; font-size: 13px; }
.facts { display: grid; grid-template-columns: repeat(auto-fit, minmax(120px, 1fr)); gap: 10px; margin: 18px 0 24px; }
.fact { background: #fff; border: 1px solid ${colors.grid}; border-radius: 8px; padding: 10px 12px; }
.fact b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
.fact span { color: ${colors.muted}; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 13px; vertical-align: middle; }
.status-succeeded { background: ${colors.good}; } .status-partial { background: ${colors.warn}; }
.status-failed, .status-cancelled { background: ${colors.bad}; } .status-running { background: ${colors.main}; }
section { background: #fff; border: 1px solid ${colors.grid}; border-radius: 10px; padding: 16px 18px; margin: 0 0 18px;
  break-inside: avoid; }
svg.chart { display: block; max-width: 100%; height: auto; font-family: inherit; }
table { border-collapse: collapse; width: 100%; font-size: 13px; margin-top: 8px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid ${colors.grid}; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f6; padding: 1px 4px; border-radius: 4px; }
footer { color: ${colors.muted}; font-size: 12px; text-align: center; }
@media print { body { background: #fff; } section, .fact { border-color: #999; } main { padding: 0; } }
`

const fact = (label: string, value: string) => `<div class="fact"><b>${escape(value)}</b><span>${escape(label)}</span></div>`

const section = (title: string, note: string, body: string) =>
  `<section><h2>${escape(title)}</h2><p class="note">${escape(note)}</p>${body}</section>`

const failureTable = (a: Analysis): string =>
  a.failures.length === 0
    ? ""
    : `<table><thead><tr><th>failure code</th><th>count</th><th>steps</th><th>example companies</th></tr></thead><tbody>${
      a.failures.map((f) =>
        `<tr><td><code>${escape(f.code)}</code></td><td class="n">${f.count}</td><td>${escape(f.steps.join(", "))}</td><td>${
          f.examples.map((e) => `${escape(e.name)} <span class="sub">(${escape(e.domain)})</span>`).join("<br>")
        }</td></tr>`
      ).join("")
    }</tbody></table>`

/** The page. @internal */
export const html = (a: Analysis): string => {
  const e = a.entry
  const done = Object.values(e.counts).reduce((x, y) => x + y, 0)
  const counts = ["succeeded", "partial", "failed", "skipped"].map((k) => `${e.counts[k] ?? 0} ${k}`).join(" · ")
  const spendKnown = e.spend !== null
  const failureRows = a.failures.slice(0, 12).map((f) => ({ label: f.code.length > 30 ? `${f.code.slice(0, 29)}…` : f.code, values: [f.count] }))
  const title = `Run ${e.id}`
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)} · leadgraph</title>
<style>${style}</style>
</head>
<body>
<main>
<h1>${escape(e.tenantId)} · ${escape(e.runDay)} <span class="status status-${escape(e.status)}">${escape(e.status)}</span></h1>
<p class="sub">run <code>${escape(e.id)}</code> · started ${escape(e.startedAt)}${
    e.finishedAt === null ? " · not finished" : ` · finished ${escape(e.finishedAt)}`
  }</p>
<div class="facts">
${fact("companies", `${done} / ${e.companies}`)}
${fact("wall time", e.wallMillis === null ? "—" : duration(e.wallMillis))}
${fact("succeeded", String(e.counts["succeeded"] ?? 0))}
${fact("partial", String(e.counts["partial"] ?? 0))}
${fact("failed", String(e.counts["failed"] ?? 0))}
</div>
${
    section(
      "Companies done over time",
      `${counts}`,
      cumulative(a.timeline, a.elapsedMillis, {
        id: "chart-progress",
        title: "Companies done over time",
        x: "time since the run started",
        y: "companies done"
      })
    )
  }
${
    section(
      "Step durations",
      "p50, p90 and slowest attempt of each step (steps that ran, not those skipped)",
      grouped(a.steps.map((s) => ({ label: s.step, values: [s.p50Millis, s.p90Millis, s.maxMillis] })), {
        id: "chart-steps",
        title: "Step durations p50, p90 and max",
        series: ["p50", "p90", "max"],
        axis: "duration",
        format: duration
      })
    )
  }
${
    section(
      "Calls per vendor",
      "paid calls per vendor, failed ones included (a run recorded before calls were counted: one per paid step run)",
      grouped(a.vendors.map((v) => ({ label: v.vendor, values: [v.calls] })), {
        id: "chart-vendors",
        title: "Calls per vendor",
        series: ["calls"],
        axis: "calls",
        empty: "no paid step ran"
      })
    )
  }
${
    section(
      "Budget use against caps",
      spendKnown ? "units this run's draws committed, against the daily caps in its manifest" : "spend was not recorded for this run (—)",
      againstCaps(a.budgets.map((b) => ({ label: b.budget, used: b.used, cap: b.cap })), {
        id: "chart-budgets",
        title: "Budget use against caps"
      })
    )
  }
${
    section(
      "Score distribution",
      "the latest score of each of the run's companies",
      columns(a.histogram, { id: "chart-scores", title: "Score distribution", x: "score", y: "companies" })
    )
  }
${
    section(
      "Failures by reason",
      a.failures.length === 0 ? "no step failed" : "failed steps grouped by failure code, with example companies",
      grouped(failureRows, { id: "chart-failures", title: "Failures by reason", series: ["failures"], axis: "failed steps", empty: "no step failed" }) +
        failureTable(a)
    )
  }
<footer>leadgraph run report · generated from the run's records</footer>
</main>
</body>
</html>
`
}
