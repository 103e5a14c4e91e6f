/**
 * Property tests for robots.txt: hostile files and links stay within the
 * CPU budget and never throw, and the linear matcher agrees with a simple
 * dynamic-programming reference on short patterns and paths.
 */
import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import * as Robots from "../../src/crawler/Robots.js"
import { compile, matches } from "../../src/crawler/internal/robotsMatch.js"
import * as Adversarial from "../../src/crawler/testing/Adversarial.js"
import { budgetMillis, cpuMillis, pageLimit } from "./budget.js"

const base = "https://example.com/robots.txt"
const UA = "LeadGraphBot/0.1 (+https://github.com/leadgraph/leadgraph)"
/** RFC 9309 section 2.5's parsing limit, which the crawler applies before parsing. */
const maxRobots = 512_000
/**
 * `budgetMillis` is for an input of `pageLimit` characters; robots.txt is a
 * quarter of that, and linear work scales with it (about 730 ms). Without
 * the per-check cap, one check of the "distinct-wildcards" file takes
 * seconds.
 */
const robotsBudget = (budgetMillis * maxRobots) / pageLimit

/** Hostile shapes aimed at this matcher, beside the shared corpus. */
const aimed: ReadonlyArray<Adversarial.Family> = [
  {
    name: "distinct-wildcards",
    note: "thousands of distinct rules that each scan the whole path",
    make: (n) => {
      const out: Array<string> = ["User-agent: *\n"]
      let size = out[0]!.length
      for (let i = 0; ; i++) {
        const line = `Disallow: /*a*z${i.toString(36)}\n`
        if (size + line.length > n) break
        out.push(line)
        size += line.length
      }
      return out.join("")
    }
  },
  {
    name: "star-runs",
    note: "one pattern of alternating stars and letters, as long as a line may be",
    make: (n) => `User-agent: *\nDisallow: /${"*a".repeat(Math.max(0, Math.floor((n - 30) / 2)))}$\n`.slice(0, n)
  },
  {
    name: "agents",
    note: "a run of user-agent lines split by other records, never closed",
    make: (n) => `${"User-agent: LeadGraphBot\nSitemap: https://example.com/s.xml\n".repeat(Math.floor(n / 60))}`.slice(0, n)
  }
]

const families = [...Adversarial.robots, ...aimed]

const size = FastCheck.oneof(FastCheck.constant(maxRobots), FastCheck.integer({ min: 0, max: maxRobots }))

const unit = FastCheck.constantFrom("a", "%", "%2", "%61", "%E3%83%84", "*", "*a", "$", "/", "?", "ツ", "a/")
/** Paths a hostile page could link to: long runs of one unit, or random octets. */
const adversarialPath = FastCheck.oneof(
  FastCheck.tuple(unit, FastCheck.integer({ min: 0, max: 60_000 })).map(([u, n]) => `/${u.repeat(n)}`),
  FastCheck.tuple(unit, FastCheck.integer({ min: 0, max: 16_000 })).map(([u, n]) => `/${"a".repeat(n)}${u}`),
  FastCheck.string({ unit: "binary", maxLength: 300 }).map((s) => `/${s}`)
)

const longPaths = [`/${"a".repeat(16_000)}`, `/${"*a".repeat(8_000)}`]

describe("Robots: adversarial inputs", () => {
  it.prop(
    "parse and isAllowed never throw and stay within the CPU budget, for every robots family up to 512,000 characters",
    [FastCheck.constantFrom(...families), size, FastCheck.array(adversarialPath, { minLength: 1, maxLength: 4 })],
    ([family, n, paths]) => {
      const text = family.make(n)
      const parsed = cpuMillis(() => Robots.parse(text, base))
      expect(parsed.millis, `${family.name} parse`).toBeLessThan(robotsBudget)
      for (const path of paths) {
        for (const ua of [UA, "OtherBot", ""]) {
          const checked = cpuMillis(() => parsed.result.isAllowed(`https://example.com${path}`, ua))
          expect(typeof checked.result).toBe("boolean")
          expect(checked.millis, `${family.name} isAllowed ${path.slice(0, 40)}`).toBeLessThan(robotsBudget)
        }
        expect(cpuMillis(() => parsed.result.crawlDelay(UA)).millis).toBeLessThan(robotsBudget)
      }
    },
    {
      timeout: 600_000,
      // Every family at full size with the longest paths it may see, then random draws.
      fastCheck: { numRuns: 40, examples: families.map((f): [Adversarial.Family, number, Array<string>] => [f, maxRobots, longPaths]) }
    }
  )

  it.prop(
    "parse never throws on arbitrary text, and isAllowed never throws on arbitrary URLs",
    [FastCheck.string({ unit: "binary", maxLength: 2_000 }), FastCheck.string({ unit: "binary", maxLength: 200 })],
    ([text, link]) => {
      const rules = Robots.parse(text, base)
      expect(typeof rules.isAllowed(link, UA)).toBe("boolean")
      expect(typeof rules.isAllowed(`https://example.com/${link}`, UA)).toBe("boolean")
      const delay = rules.crawlDelay(UA)
      expect(delay === undefined || (Number.isFinite(delay) && delay >= 0)).toBe(true)
    }
  )
})

/**
 * The reference: a dynamic program over pattern x path (O(n * m), obviously
 * right). `*` matches any run, a final `$` anchors the end, and every other
 * character, a `$` elsewhere included, matches itself. Without `$`, a match
 * of any prefix of the path counts.
 */
const reference = (pattern: string, path: string): boolean => {
  const anchored = pattern.endsWith("$")
  const body = anchored ? pattern.slice(0, -1) : pattern
  let can: Array<boolean> = Array.from({ length: path.length + 1 }, (_, j) => j === 0)
  for (const c of body) {
    const next: Array<boolean> = Array.from({ length: path.length + 1 }, () => false)
    let seen = false
    for (let j = 0; j <= path.length; j++) {
      if (c === "*") {
        seen = seen || can[j]!
        next[j] = seen
      } else {
        next[j] = j > 0 && can[j - 1]! && path[j - 1] === c
      }
    }
    can = next
  }
  return anchored ? can[path.length]! : can.some((x) => x)
}

// Two letters make overlaps and near-misses common; `/` and `$` appear now and then.
const letter = FastCheck.oneof(
  { arbitrary: FastCheck.constantFrom("a", "b"), weight: 6 },
  { arbitrary: FastCheck.constantFrom("/", "$"), weight: 1 }
)
const shortPattern = FastCheck.tuple(
  FastCheck.array(FastCheck.oneof({ arbitrary: letter, weight: 3 }, { arbitrary: FastCheck.constant("*"), weight: 2 }), { minLength: 1, maxLength: 9 }),
  FastCheck.boolean()
).map(([chars, anchored]) => `${chars.join("")}${anchored ? "$" : ""}`)
const shortPath = FastCheck.array(letter, { maxLength: 12 }).map((chars) => chars.join(""))

describe("Robots: the matcher against a reference", () => {
  it.prop(
    "matches agrees with a dynamic-programming glob matcher on short patterns and paths",
    [shortPattern, shortPath],
    ([pattern, path]) => {
      // Paths carry `$` as %24; the matcher compares a non-final `$` of a pattern the same way.
      const budget = { left: Number.MAX_SAFE_INTEGER }
      expect(matches(compile(pattern, false), path.replaceAll("$", "%24"), budget)).toBe(reference(pattern, path))
    },
    { fastCheck: { numRuns: 5_000 } }
  )

  it.prop(
    "isAllowed follows the longest matching rule, allow winning ties, as the reference decides",
    [
      FastCheck.array(FastCheck.tuple(FastCheck.boolean(), shortPattern), { minLength: 1, maxLength: 8 }),
      FastCheck.array(FastCheck.constantFrom("a", "b", "/"), { maxLength: 12 }).map((chars) => chars.join(""))
    ],
    ([rules, rest]) => {
      const path = `/${rest}`
      const text = `User-agent: *\n${rules.map(([allow, p]) => `${allow ? "Allow" : "Disallow"}: ${p}`).join("\n")}\n`
      let best: { readonly length: number; readonly allow: boolean } | undefined
      for (const [allow, pattern] of rules) {
        if (!reference(pattern, path)) continue
        if (best === undefined || pattern.length > best.length || (pattern.length === best.length && allow)) {
          best = { length: pattern.length, allow }
        }
      }
      expect(Robots.parse(text, base).isAllowed(`https://example.com${path}`, UA)).toBe(best?.allow ?? true)
    },
    { fastCheck: { numRuns: 1_000 } }
  )
})
