import { describe, expect, it } from "@effect/vitest"
import { Company, Odoo } from "@leadgraph/core"
import { FastCheck as fc } from "effect"

const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])?$/).filter((l) => l !== "www")
const domain = fc.array(label, { minLength: 2, maxLength: 4 }).map((ls) => ls.join("."))

/** A URL or host a user might type for `d`: scheme, user info, `www.`, case, port, path, trailing dots. */
const spelling = (d: string) =>
  fc.record({
    scheme: fc.constantFrom("", "http://", "https://", "HTTPS://", "//", "ftp://"),
    user: fc.constantFrom("", "user@", "user:pw@"),
    www: fc.constantFrom("", "www.", "WWW.", "www.www."),
    upper: fc.boolean(),
    dots: fc.constantFrom("", ".", ".."),
    port: fc.constantFrom("", ":8443", ":"),
    rest: fc.constantFrom("", "/", "/en/", "?utm=x", "#top", "\\x", "/a@b.test/")
  }).map((s) => ` ${s.scheme}${s.user}${s.www}${s.upper ? d.toUpperCase() : d}${s.dots}${s.port}${s.rest} `)

describe("Company.normalizeDomain", () => {
  it("reduces a URL to the company key", () => {
    expect([
      "https://www.acme.test/en/",
      "HTTPS://WWW.Acme.Test:8443/x?y#z",
      "acme.test.",
      "www.acme.test.:80",
      "http://user:pw@www.acme.test/",
      "//acme.test/x",
      "https://acme.test\\@evil.test",
      "acme.test:8443/x",
      "  ACME.TEST  ",
      "acme.test.:80.",
      "acme .test",
      "acme.test:/en/"
    ].map(Company.normalizeDomain)).toEqual(Array(12).fill("acme.test"))
    expect(Company.normalizeDomain("http://shop.acme.test")).toBe("shop.acme.test")
    expect(Company.normalizeDomain("https://www.Bücher.example:8443/de/")).toBe("xn--bcher-kva.example")
    expect(Company.normalizeDomain("xn--bcher-kva.example")).toBe("xn--bcher-kva.example")
  })

  it.prop(
    "every spelling of a domain normalises to it",
    { sc: domain.chain((d) => fc.tuple(fc.constant(d), spelling(d))) },
    ({ sc }) => {
      const [d, typed] = sc
      expect(Company.normalizeDomain(typed)).toBe(d)
    },
    { fastCheck: { numRuns: 2000 } }
  )

  /** Strings dense in what the normaliser cuts at: schemes, slashes, user info, ports, dots, `www`, white space, IDN. */
  const messy = fc.oneof(
    fc.string({ unit: "binary" }),
    fc.webUrl(),
    fc.string({ unit: fc.constantFrom("w", ".", ":", "/", "@", "1", "\\", "ü", "A", "[", "]", "。", "ｗ", " ", "\t", "h", "p", "s") })
  )

  it.prop(
    "is idempotent and leaves no white space, scheme, path, upper case, leading www. or trailing dot",
    { s: messy },
    ({ s }) => {
      const n = Company.normalizeDomain(s)
      expect(Company.normalizeDomain(n)).toBe(n)
      expect(n).not.toMatch(/^www\.|\.$|[/?#\\@A-Z\s]/)
    },
    { fastCheck: { numRuns: 2000 } }
  )

  it("stays linear on adversarial input", () => {
    const inputs = [
      "a".repeat(200_000),
      ".".repeat(200_000) + "a",
      "www.".repeat(50_000),
      ":1".repeat(100_000),
      ".:1".repeat(70_000),
      "1".repeat(200_000) + "a",
      "ü.".repeat(50_000),
      "a".repeat(200_000) + ":"
    ]
    for (const input of inputs) {
      const start = performance.now()
      Company.normalizeDomain(input)
      expect(performance.now() - start).toBeLessThan(200)
    }
  })
})

describe("Odoo.partnerRef", () => {
  it("keys a company's partner by its normalised domain, in leadgraph's namespace", () => {
    expect(Odoo.partnerRef("acme.test")).toBe("leadgraph:acme.test")
    expect(Odoo.partnerRef("https://www.ACME.test/en/")).toBe("leadgraph:acme.test")
    expect(Odoo.isLeadgraphRef(Odoo.partnerRef("acme.test"))).toBe(true)
    expect([false, "", "CUST-0042", "acme.test", undefined].map(Odoo.isLeadgraphRef)).toEqual([false, false, false, false, false])
  })
})
