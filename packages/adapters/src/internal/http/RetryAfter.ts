/**
 * Parses an HTTP `Retry-After` value (RFC 9110 §10.2.3): either
 * delta-seconds (`"120"`) or an HTTP-date (`"Wed, 21 Oct 2026 07:28:00 GMT"`),
 * the latter relative to `nowMillis` (take it from `Clock`, never the wall
 * clock). Used by `Failure.fromStatus`; call it directly only for a vendor
 * that sends its wait in another header (`parse(headers["ratelimit-reset"], now)`).
 *
 * @internal
 */
import { Duration, Option } from "effect"

/**
 * The wait a `Retry-After` value asks for; `None` when absent or unreadable.
 * A date in the past means "now" (zero).
 *
 * @internal
 */
export const parse = (value: string | undefined, nowMillis: number): Option.Option<Duration.Duration> => {
  if (value === undefined) return Option.none()
  const trimmed = value.trim()
  if (trimmed === "") return Option.none()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Option.some(Duration.seconds(Number(trimmed)))
  const at = Date.parse(trimmed)
  if (Number.isNaN(at)) return Option.none()
  return Option.some(Duration.millis(Math.max(0, at - nowMillis)))
}
