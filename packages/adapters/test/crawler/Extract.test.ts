import { describe, expect, it } from "@effect/vitest"
import { charsetOf, clearlyNotHtml, decodeHtml, isHtml, looksBinary } from "../../src/crawler/internal/decode.js"
import { extract } from "../../src/crawler/internal/extract.js"
import { deobfuscate, normalizePhone, socialOf } from "../../src/crawler/internal/signals.js"
import { makeShiftJisEncoder } from "../../src/crawler/testing/sjis.js"

const page = `<!DOCTYPE html><html><head>
<title>  Acme   Widgets | Home </title>
<meta name="description" content="Widgets for  industry.">
<script>var tracking = "spy@tracker.test"; document.write("<p>hidden</p>")</script>
<style>.x{color:red}</style>
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Organization","name":"Acme",
 "address":{"@type":"PostalAddress","streetAddress":"1 Main St","postalCode":"10001","addressLocality":"New York","addressCountry":"US"}}</script>
</head><body>
<header><nav><a href="/about">About us</a> <a href="/team">Team</a> <a href="https://www.linkedin.com/company/acme/">LinkedIn</a></nav></header>
<div class="cookie-banner">We use cookies.</div>
<main>
<h1>Acme   Widgets</h1>
<p>We make widgets.<br>Since 1990.</p>
<h2>Contact</h2>
<p>Write to sales [at] acme [dot] test or <a href="mailto:Info@Acme.test?subject=Hi">us</a>.</p>
<p>Tel: (212) 555-0199 · Fax +1 212 555 0100 · founded 2019-2020</p>
<p><a href="tel:+1-212-555-0123">call</a> <a class="__cf_email__" data-cfemail="4b3b392e38380b2a28262e653f2e383f">[email protected]</a></p>
<div itemscope itemtype="https://schema.org/PostalAddress"><span itemprop="streetAddress">2 Side St</span>
<span itemprop="addressLocality">Boston</span> <span itemprop="postalCode">02110</span></div>
</main>
<aside>Related posts</aside>
<footer><address>Acme Inc.<br>3 Back Rd<br>Chicago</address><a href="https://x.com/acme">X</a>
<a href="https://twitter.com/intent/tweet?text=hi">share</a><a href="https://facebook.com/sharer.php">share</a></footer>
</body></html>`

describe("extract", () => {
  const x = extract(page, "https://acme.test/")

  it("keeps title, description and headings, collapsed", () => {
    expect(x.title).toBe("Acme Widgets | Home")
    expect(x.description).toBe("Widgets for industry.")
    expect(x.headings).toEqual(["Acme Widgets", "Contact"])
  })

  it("drops scripts, styles, navigation and boilerplate from the text, one line per block", () => {
    expect(x.text.split("\n").slice(0, 4)).toEqual(["Acme Widgets", "We make widgets.", "Since 1990.", "Contact"])
    for (const gone of ["tracking", "hidden", "color:red", "About us", "cookies", "Related posts", "Back Rd"]) {
      expect(x.text).not.toContain(gone)
    }
  })

  it("finds emails from mailto, text, simple obfuscation and Cloudflare protection, not from scripts", () => {
    expect([...x.emails].sort()).toEqual(["info@acme.test", "press@acme.test", "sales@acme.test"].sort())
    expect(x.emails).not.toContain("spy@tracker.test")
  })

  it("finds phone numbers from tel: links, labels and international numbers, not years", () => {
    expect(x.phones).toEqual(["+12125550123", "2125550199", "+12125550100"])
  })

  it("finds social profiles but not share links", () => {
    expect(x.socials).toEqual([
      { network: "linkedin", url: "https://linkedin.com/company/acme" },
      { network: "twitter", url: "https://x.com/acme" }
    ])
  })

  it("finds addresses marked up with JSON-LD, microdata and <address>", () => {
    expect(x.addresses).toEqual(["1 Main St, 10001, New York, US", "2 Side St, 02110, Boston", "Acme Inc., 3 Back Rd, Chicago"])
  })

  it("returns absolute links with their text, fragments dropped", () => {
    const y = extract(`<base href="https://acme.test/en/"><a href="team#top">Our team</a><a href="javascript:void(0)">x</a>`, "https://acme.test/")
    expect(y.links).toEqual([{ url: "https://acme.test/en/team", text: "Our team" }])
  })

  it("survives malformed HTML", () => {
    const y = extract("<div><p>Unclosed <b>bold<p>Next</div></span><td>cell<a href=/contact>Contact", "http://m.test/")
    // A stray <td> outside a table is dropped, as browsers do: its text runs on.
    expect(y.text).toBe("Unclosed bold\nNext\ncellContact")
    expect(y.links).toEqual([{ url: "http://m.test/contact", text: "Contact" }])
  })

  it("helpers: de-obfuscation, phone normalisation, social URLs", () => {
    expect(deobfuscate("jane (at) acme {dot} test")).toBe("jane@acme.test")
    expect(normalizePhone("0065 6123 4567")).toBe("+6561234567")
    expect(normalizePhone("12345")).toBeUndefined()
    expect(socialOf("https://www.youtube.com/@acme/videos")).toEqual({ network: "youtube", url: "https://youtube.com/@acme/videos" })
    expect(socialOf("https://github.com/acme")).toEqual({ network: "github", url: "https://github.com/acme" })
    expect(socialOf("https://acme.test/linkedin")).toBeUndefined()
  })
})

describe("decode", () => {
  it("decides what is HTML by Content-Type and sniffing", () => {
    const html = new TextEncoder().encode("  <!DOCTYPE html><html><body>hi</body></html>")
    expect(isHtml("text/html; charset=utf-8", html)).toBe(true)
    expect(isHtml(undefined, html)).toBe(true)
    expect(isHtml("application/octet-stream", html)).toBe(true)
    expect(isHtml("text/plain", new TextEncoder().encode("just text"))).toBe(false)
    expect(isHtml("text/html", Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a]))).toBe(false)
    expect(isHtml("text/html", Uint8Array.from([0x3c, 0x70, 0x3e, 0x00, 0x01]))).toBe(false)
    expect(looksBinary(new TextEncoder().encode("%PDF-1.7"))).toBe(true)
    expect(clearlyNotHtml("image/png")).toBe(true)
    expect(clearlyNotHtml("application/pdf")).toBe(true)
    expect(clearlyNotHtml("")).toBe(false)
  })

  it("decodes the charset from the header, a BOM or a meta tag", () => {
    const latin1 = Buffer.from("<p>Müller Straße</p>", "latin1")
    expect(decodeHtml("text/html; charset=ISO-8859-1", latin1).text).toBe("<p>Müller Straße</p>")
    const meta = Buffer.concat([Buffer.from('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'), latin1])
    expect(charsetOf("text/html", meta)).toBe("windows-1252")
    const sjis = makeShiftJisEncoder()(`<meta charset="Shift_JIS"><h1>会社概要</h1>`)
    expect(decodeHtml("text/html", sjis).text).toBe(`<meta charset="Shift_JIS"><h1>会社概要</h1>`)
    expect(charsetOf("text/html; charset=bogus", Uint8Array.from([0xef, 0xbb, 0xbf, 0x41]))).toBe("utf-8")
    expect(charsetOf("text/html; charset=bogus", new TextEncoder().encode("<p>x</p>"))).toBe("utf-8")
  })
})
