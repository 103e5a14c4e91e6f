/**
 * robots.txt pattern matching without backtracking (RFC 9309 sections
 * 2.2.2 and 2.2.3).
 *
 * A pattern is split on `*` into literal segments (so runs of `*` collapse);
 * a `$` at its very end anchors it to the end of the path, and a `$`
 * anywhere else is an ordinary octet (compared as `%24`, which is how
 * paths carry it). A path matches when the first segment
 * is a prefix of it, each middle segment occurs after the previous one (its
 * leftmost occurrence is taken: for globs whose only wildcard is `*`, taking
 * the leftmost occurrence never loses a match, because it leaves the most
 * path for what follows), and the last segment either occurs after them
 * or, when anchored, is a suffix of the path that does not overlap them.
 *
 * Substrings are found with Knuth-Morris-Pratt over tables built once per
 * segment, so matching one rule costs O(path length + pattern length) in
 * the worst case, whatever the octets: no input makes it quadratic.
 *
 * @internal
 */

/** A literal run of a pattern with its KMP failure table. @internal */
interface Segment {
  readonly text: string
  readonly fail: Int32Array
}

/**
 * One compiled `allow` or `disallow` rule.
 *
 * @internal
 */
export interface Rule {
  readonly allow: boolean
  /** The normalised pattern as written, `*` and `$` included. */
  readonly pattern: string
  /** RFC 9309's specificity: the pattern's length in octets (it is ASCII after normalisation). */
  readonly priority: number
  readonly anchored: boolean
  /** At least one segment; the first is a prefix, the last a suffix when anchored. */
  readonly segments: ReadonlyArray<Segment>
  /** The fewest octets a matching path has (the segments' total length). */
  readonly minLength: number
}

const failureOf = (text: string): Int32Array => {
  const fail = new Int32Array(text.length)
  let k = 0
  for (let i = 1; i < text.length; i++) {
    const c = text.charCodeAt(i)
    while (k > 0 && text.charCodeAt(k) !== c) k = fail[k - 1]!
    if (text.charCodeAt(k) === c) k++
    fail[i] = k
  }
  return fail
}

/**
 * Compiles a normalised pattern; linear in its length.
 *
 * @internal
 */
export const compile = (pattern: string, allow: boolean): Rule => {
  const anchored = pattern.endsWith("$")
  const body = anchored ? pattern.slice(0, -1) : pattern
  // A `$` before the end is an ordinary octet, and paths carry it as `%24`.
  const parts = body.replaceAll("$", "%24").split("*")
  const segments: Array<Segment> = []
  let minLength = 0
  for (let i = 0; i < parts.length; i++) {
    const text = parts[i]!
    // Empty middle segments are what runs of `*` leave; the first and last
    // keep their place (an empty first segment means a leading `*`).
    if (text === "" && i > 0 && i < parts.length - 1) continue
    segments.push({ text, fail: failureOf(text) })
    minLength += text.length
  }
  return { allow, pattern, priority: pattern.length, anchored, segments, minLength }
}

/**
 * Octets a check may still compare. A check charges the octets it reads;
 * once the allowance is spent, `matches` gives up (returns false and leaves
 * `left` negative), and the caller decides what that means.
 *
 * @internal
 */
export interface Budget {
  left: number
}

/**
 * The leftmost index at or after `from` where `segment` occurs in `path`, or
 * -1 (KMP: each path octet is read once, and the failure steps are paid for
 * by earlier advances, so the work is linear in the octets scanned).
 */
const indexOf = (segment: Segment, path: string, from: number, budget: Budget): number => {
  const { fail, text } = segment
  const m = text.length
  if (m === 0) return from
  const stop = Math.min(path.length, from + Math.max(0, budget.left))
  let k = 0
  for (let i = from; i < stop; i++) {
    const c = path.charCodeAt(i)
    while (k > 0 && text.charCodeAt(k) !== c) k = fail[k - 1]!
    if (text.charCodeAt(k) === c) k++
    if (k === m) {
      budget.left -= i + 1 - from
      return i - m + 1
    }
  }
  budget.left = stop < path.length ? -1 : budget.left - (stop - from)
  return -1
}

/**
 * True when `path` (normalised, starting with `/`) matches `rule`. Each
 * search resumes where the previous segment ended, so the path is scanned
 * at most once: O(path length + pattern length), all of it charged to
 * `budget`.
 *
 * @internal
 */
export const matches = (rule: Rule, path: string, budget: Budget): boolean => {
  if (path.length < rule.minLength) return false
  const segments = rule.segments
  const first = segments[0]!
  budget.left -= first.text.length
  if (budget.left < 0 || !path.startsWith(first.text)) return false
  if (segments.length === 1) return !rule.anchored || path.length === first.text.length
  let pos = first.text.length
  const lastIndex = segments.length - 1
  for (let s = 1; s < lastIndex; s++) {
    const at = indexOf(segments[s]!, path, pos, budget)
    if (at < 0) return false
    pos = at + segments[s]!.text.length
  }
  const last = segments[lastIndex]!
  if (rule.anchored) {
    budget.left -= last.text.length
    return budget.left >= 0 && path.length - last.text.length >= pos && path.endsWith(last.text)
  }
  return indexOf(last, path, pos, budget) >= 0
}
