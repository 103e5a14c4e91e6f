import { describe, expect, it } from "@effect/vitest"
import { FastCheck } from "effect"
import { classify, keywords, pick, roleOrder } from "../../src/crawler/internal/pick.js"
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

  // The classification before it was compiled into word runs: one scan of the path and the text per keyword.
  const oldClassify = (lists: Record<string, ReadonlyArray<string>>) => (url: URL, text: string) => {
    const words = (x: string) => `-${x.toLowerCase().split(/[^\p{L}\p{N}]+/u).filter((w) => w !== "").join("-")}-`
    const isCjk = (x: string) => /[^\u0000-\u024f]/.test(x) && !/[a-z]/.test(x)
    const hits = (h: string, k: string) => (isCjk(k) ? h.includes(k) : h.includes(`-${k}-`))
    const decoded = (() => {
      try {
        return decodeURIComponent(url.pathname)
      } catch {
        return url.pathname
      }
    })()
    const pathWords = decoded.split("/").filter((x) => x !== "").map(words)
    const textWords = words(text)
    let best: { role: string; score: number } | undefined
    for (const role of roleOrder) {
      let score = 0
      for (const keyword of lists[role]!) {
        const last = pathWords[pathWords.length - 1] ?? ""
        if (last === `-${keyword}-` || (isCjk(keyword) && last.includes(keyword))) score = Math.max(score, 4)
        else if (pathWords.some((w) => hits(w, keyword))) score = Math.max(score, 2)
      }
      if (lists[role]!.some((k) => hits(textWords, k) || (isCjk(k) && text.includes(k)))) score += 3
      if (score > 0 && (best === undefined || score > best.score)) best = { role, score }
    }
    return best
  }
  const samples: Record<string, ReadonlyArray<string>> = {
    about: ["about", "about-us", "who-we-are", "über-uns", "qui-sommes-nous", "会社概要", "公司简介"],
    contact: ["contact", "contact-us", "get-in-touch", "お問い合わせ", "联系我们"],
    team: ["team", "our-team", "geschäftsführung", "チーム"],
    careers: ["careers", "work-with-us", "trabaja-con-nosotros", "採用情報"],
    products: ["products", "what-we-do", "lösungen", "サービス"]
  }
  const pieces = [...Object.values(samples).flat(), "us", "our", "we", "who", "x", "-", "_", "/", " ", "%20", "Über", "ABOUT", "%E4%BC%9A", "2024"]
  const phrase = FastCheck.array(FastCheck.constantFrom(...pieces), { maxLength: 8 }).map((xs) => xs.join(""))

  it.prop("classifies as the per-keyword scan did (over the same keywords)", [phrase, phrase, phrase], ([a, b, text]) => {
    const url = new URL(`https://acme.test/${encodeURI(a)}/${encodeURI(b)}`)
    expect(classify(url, text)).toEqual(oldClassify(keywords)(url, text))
  }, { fastCheck: { numRuns: 3000 } })
})
