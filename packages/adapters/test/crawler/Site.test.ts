import { describe, expect, it } from "@effect/vitest"
import { sameSite, siteKey, siteOf } from "../../src/crawler/internal/site.js"
import { budgetMillis, cpuMillis } from "./budget.js"

const same = (a: string, b: string): boolean => sameSite(new URL(a), new URL(b))

describe("same site: registrable domains (tldts), else the host name", () => {
  it.each([
    ["https://example.com/", "https://www.example.com/about", true],
    ["https://www.example.com/", "https://example.com/", true],
    ["https://example.com/", "https://blog.example.com/team", true],
    ["https://shop.example.co.uk/", "https://www.example.co.uk/contact", true],
    ["https://example.com/", "https://example.org/", false],
    ["https://example.co.uk/", "https://other.co.uk/", false],
    ["https://bücher.de/", "https://www.xn--bcher-kva.de/impressum", true]
  ])("%s and %s: %s", (a, b, expected) => {
    expect(same(a, b)).toBe(expected)
  })

  it("a private suffix (github.io) makes each user's host its own site", () => {
    expect(same("https://a.github.io/", "https://b.github.io/")).toBe(false)
    expect(same("https://a.github.io/", "https://www.a.github.io/")).toBe(true)
    expect(same("https://a.github.io/", "https://docs.a.github.io/")).toBe(true)
    expect(siteOf("a.github.io")).toBe("a.github.io")
    // A bare suffix has no registrable domain: compared as a host name.
    expect(same("https://github.io/", "https://github.io/x")).toBe(true)
    expect(same("https://github.io/", "https://a.github.io/")).toBe(false)
  })

  it("IP literals are compared exactly", () => {
    expect(same("http://127.0.0.1/", "http://127.0.0.1/about")).toBe(true)
    expect(same("http://127.0.0.1/", "http://127.0.0.2/")).toBe(false)
    expect(same("http://[::1]/", "http://[0:0::1]/x")).toBe(true)
    expect(same("http://10.0.0.1/", "http://[::ffff:10.0.0.1]/")).toBe(false)
  })

  it("the same port and http(s) are required", () => {
    expect(same("https://example.com/", "https://example.com:8443/")).toBe(false)
    expect(same("http://example.com:8080/", "http://www.example.com:8080/")).toBe(true)
    // Default ports are both empty: http and https of one site are one site.
    expect(same("https://example.com/", "http://www.example.com/")).toBe(true)
    expect(same("https://example.com/", "ftp://example.com/")).toBe(false)
    expect(same("https://example.com/", "mailto:info@example.com")).toBe(false)
  })

  it("unlisted TLDs (the .test fixtures), localhost and single labels: one host name, www. aside", () => {
    // tldts would answer "acme.test" under its default rule; only listed suffixes count.
    expect(siteOf("shop.acme.test")).toBe("shop.acme.test")
    expect(same("http://acme.test:8080/", "http://www.acme.test:8080/about")).toBe(true)
    expect(same("http://acme.test/", "http://shop.acme.test/")).toBe(false)
    expect(same("http://acme.test/", "http://other.test/")).toBe(false)
    expect(same("http://offsite.test/", "http://www.offsite.test/about")).toBe(true)
    expect(same("http://localhost:3000/", "http://www.localhost:3000/")).toBe(true)
    expect(same("http://localhost/", "http://app.localhost/")).toBe(false)
    expect(same("http://intranet/", "http://intranet/team")).toBe(true)
    expect(same("http://intranet/", "http://wiki/")).toBe(false)
  })

  it("siteKey drops one leading www. and lower-cases", () => {
    expect(siteKey("WWW.Acme.test")).toBe("acme.test")
    expect(siteKey("www.www.acme.test")).toBe("www.acme.test")
    expect(siteKey("wwwacme.test")).toBe("wwwacme.test")
  })

  it("stays linear on megabyte host names", () => {
    const hosts = [
      `http://${"a.".repeat(500_000)}com/`,
      `http://www.${"a".repeat(1_000_000)}.test/`,
      `http://${"a-".repeat(400_000)}b.co.uk/`,
      `http://${"www.".repeat(250_000)}example.com/`
    ].map((h) => new URL(h))
    for (const url of hosts) {
      const { millis, result } = cpuMillis(() => sameSite(url, url))
      expect(result).toBe(true)
      expect(millis).toBeLessThan(budgetMillis)
    }
  })
})
