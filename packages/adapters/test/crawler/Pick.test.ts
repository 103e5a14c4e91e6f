import { describe, expect, it } from "@effect/vitest"
import { classify, pick } from "../../src/crawler/internal/pick.js"
import { sitemapLocations } from "../../src/crawler/internal/sitemap.js"

const home = new URL("https://acme.test/")
const link = (path: string, text: string) => ({ url: new URL(path, home).href, text })

describe("page picking", () => {
  it("picks one page per role first, in role order, then fills by score", () => {
    const picked = pick(home, [
      link("/blog/2024/launch", "Our launch"),
      link("/careers", "Jobs"),
      link("/products/widgets", "Widgets"),
      link("/about-us", "About us"),
      link("/company/history", "History"),
      link("/contact", "Get in touch"),
      link("/people", "Meet the team"),
      link("/privacy", "Privacy"),
      link("/solutions", "Solutions")
    ], [], 6)
    expect(picked).toEqual([
      { url: "https://acme.test/about-us", role: "about" },
      { url: "https://acme.test/contact", role: "contact" },
      { url: "https://acme.test/people", role: "team" },
      { url: "https://acme.test/careers", role: "careers" },
      { url: "https://acme.test/solutions", role: "products" },
      { url: "https://acme.test/company/history", role: "about" }
    ])
  })

  it("is deterministic whatever the order of the links", () => {
    const links = [link("/team", "Team"), link("/about", "About"), link("/kontakt", "Kontakt"), link("/jobs", "Jobs"), link("/services", "Services")]
    const a = pick(home, links, [], 3)
    const b = pick(home, [...links].reverse(), [], 3)
    expect(a).toEqual(b)
    expect(a.map((p) => p.role)).toEqual(["about", "contact", "team"])
  })

  it("understands other languages by path and by link text", () => {
    expect(classify(new URL("https://a.test/ueber-uns"), "")?.role).toBe("about")
    expect(classify(new URL("https://a.test/x1"), "Über uns")?.role).toBe("about")
    expect(classify(new URL("https://a.test/qui-sommes-nous"), "")?.role).toBe("about")
    expect(classify(new URL("https://a.test/equipo"), "")?.role).toBe("team")
    expect(classify(new URL("https://a.test/karriere"), "")?.role).toBe("careers")
    expect(classify(new URL("https://a.test/leistungen"), "")?.role).toBe("products")
    expect(classify(new URL("https://a.test/contacto"), "")?.role).toBe("contact")
    expect(classify(new URL("https://a.test/company"), "会社概要")?.role).toBe("about")
    expect(classify(new URL("https://a.test/inquiry"), "お問い合わせ")?.role).toBe("contact")
    expect(classify(new URL("https://a.test/recruit"), "採用情報")?.role).toBe("careers")
    expect(classify(new URL("https://a.test/blog/abouts-and-outs"), "Read more")).toBeUndefined()
  })

  it("keeps to the same site (www. aside), skips files, logins and the home page", () => {
    const picked = pick(home, [
      link("https://other.test/about", "About"),
      link("https://www.acme.test/team", "Team"),
      link("/contact.pdf", "Contact sheet"),
      link("/login", "Account contact"),
      link("/", "About home"),
      link("mailto:x@acme.test", "Contact"),
      link("https://acme.test:8443/careers", "Careers")
    ], [], 10)
    expect(picked).toEqual([{ url: "https://www.acme.test/team", role: "team" }])
  })

  it("uses sitemap URLs as candidates, below links of the same score", () => {
    const picked = pick(home, [link("/about", "About")], [
      "https://acme.test/",
      "https://acme.test/company/leadership",
      "https://acme.test/news/1",
      "https://elsewhere.test/team"
    ], 5)
    expect(picked).toEqual([
      { url: "https://acme.test/about", role: "about" },
      { url: "https://acme.test/company/leadership", role: "team" }
    ])
  })

  it("reads <loc> entries from a sitemap", () => {
    const xml = `<?xml version="1.0"?><urlset><url><loc> https://a.test/x?a=1&amp;b=2 </loc></url><url><loc>https://a.test/y</loc></url></urlset>`
    expect(sitemapLocations(xml)).toEqual(["https://a.test/x?a=1&b=2", "https://a.test/y"])
    expect(sitemapLocations(xml, 1)).toEqual(["https://a.test/x?a=1&b=2"])
  })
})
