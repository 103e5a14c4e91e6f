/**
 * The hostile fixture sites: robots.txt that disallows everything or parts
 * (with product-token groups and percent-encoding), a Crawl-delay, robots
 * answering 500 or redirecting, a body past 500 KiB, redirect loops and
 * chains, a page that never ends, a slow drip, binary content behind an
 * `.html` name, malformed HTML, Latin-1 and Shift_JIS pages, a windows-1252
 * page declared only in a `<meta charset>`, and links or
 * redirects to other sites and to private addresses.
 *
 * @internal
 */
import type { Reply, Site } from "./FixtureWeb.js"

const html = (title: string, body: string, head = ""): string =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title>${head}</head><body>${body}</body></html>`

const page = (body: string | Uint8Array, extra?: Partial<Extract<Reply, { kind: "page" }>>): Reply => ({ kind: "page", body, ...extra })
const robots = (text: string): Reply => page(text, { contentType: "text/plain" })

const simple = (host: string, note: string, routes: Record<string, (port: number) => Reply>): Site => ({
  host,
  kind: "hostile",
  note,
  route: (path, port) => routes[path]?.(port)
})

const links = (...items: ReadonlyArray<readonly [string, string]>): string =>
  `<nav>${items.map(([href, text]) => `<a href="${href}">${text}</a>`).join(" ")}</nav>`

/** A PNG signature followed by binary noise. */
const pngBytes = (): Uint8Array => {
  const bytes = new Uint8Array(2048)
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
  for (let i = 8; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 256
  return bytes
}

/**
 * The hostile sites. `intranet.test` and `www.offsite.test` are expected to
 * resolve to a private address (the fixture resolver maps them to 127.0.0.2,
 * where a decoy listener logs any request that gets through).
 *
 * @internal
 */
export const hostileSites = (): ReadonlyArray<Site> => [
  simple("robots-all.test", "robots.txt disallows everything", {
    "/robots.txt": () => robots("User-agent: *\nDisallow: /\n"),
    "/": () => page(html("Forbidden fruit", "<h1>You should not see this</h1>"))
  }),
  simple("robots-part.test", "robots.txt with a product-token group, percent-encoding and longest match", {
    "/robots.txt": () =>
      robots(
        "\uFEFFUser-agent: *\r\nDisallow: /\r\n\r\nUser-agent: LeadGraphBot/2.0 # our group, by product token\r\n" +
          "Disallow: /team\r\nDisallow: /private\r\nAllow: /private/press\r\nDisallow: /%7Ehidden\r\nDisallow: /caf%C3%A9\r\n"
      ),
    "/": () =>
      page(html("Partial Robots Ltd", `<h1>Partial Robots Ltd</h1>${links(["/about", "About us"], ["/team", "Our team"],
        ["/contact", "Contact"], ["/private/press", "Company press"], ["/private/finance", "Company finance"], ["/~hidden/careers", "Careers"],
        ["/café/products", "Products"])}`)),
    "/about": () => page(html("About", "<h1>About Partial Robots</h1><p>We make robots.</p>")),
    "/contact": () => page(html("Contact", "<h1>Contact</h1><p>Phone: +44 20 7946 0000</p>")),
    "/team": () => page(html("Team", "<h1>Secret team</h1>")),
    "/private/press": () => page(html("Press", "<h1>Press</h1>")),
    "/private/finance": () => page(html("Investors", "<h1>Secret</h1>")),
    "/~hidden/careers": () => page(html("Careers", "<h1>Secret</h1>")),
    "/caf%C3%A9/products": () => page(html("Products", "<h1>Secret</h1>"))
  }),
  simple("crawl-delay.test", "robots.txt asks for a 0.2 s Crawl-delay", {
    "/robots.txt": () => robots("User-agent: *\nCrawl-delay: 0.2\nDisallow: /admin\n"),
    "/": () => page(html("Slowpoke Inc", `<h1>Slowpoke Inc</h1>${links(["/about", "About"], ["/contact", "Contact"], ["/team", "Team"])}`)),
    "/about": () => page(html("About", "<h1>About Slowpoke</h1>")),
    "/contact": () => page(html("Contact", "<h1>Contact</h1><p>hello@crawl-delay.test</p>")),
    "/team": () => page(html("Team", "<h1>Team</h1>"))
  }),
  simple("robots-500.test", "robots.txt answers 500: nothing may be fetched", {
    "/robots.txt": () => page("oops", { status: 500, contentType: "text/plain" }),
    "/": () => page(html("Down", "<h1>Should not be fetched</h1>"))
  }),
  simple("robots-redirect.test", "robots.txt reached after three redirects", {
    "/robots.txt": () => ({ kind: "redirect", location: "/robots-1.txt" }),
    "/robots-1.txt": () => ({ kind: "redirect", location: "/robots-2.txt" }),
    "/robots-2.txt": () => ({ kind: "redirect", location: "/robots-final.txt" }),
    "/robots-final.txt": () => robots("User-agent: *\nDisallow: /team\n"),
    "/": () => page(html("Redirected Robots", `<h1>Redirected Robots</h1>${links(["/about", "About"], ["/team", "Team"])}`)),
    "/about": () => page(html("About", "<h1>About</h1>")),
    "/team": () => page(html("Team", "<h1>Secret</h1>"))
  }),
  simple("robots-403.test", "robots.txt answers 403: unavailable, so everything is allowed", {
    "/robots.txt": () => page("forbidden", { status: 403, contentType: "text/plain" }),
    "/": () => page(html("Forbidden Robots", `<h1>Forbidden Robots</h1>${links(["/about", "About"])}`)),
    "/about": () => page(html("About", "<h1>About</h1>"))
  }),
  simple("robots-loop.test", "robots.txt redirects in a loop: unavailable, so everything is allowed", {
    "/robots.txt": () => ({ kind: "redirect", location: "/robots-a.txt" }),
    "/robots-a.txt": () => ({ kind: "redirect", location: "/robots.txt" }),
    "/": () => page(html("Looping Robots", `<h1>Looping Robots</h1>${links(["/contact", "Contact"])}`)),
    "/contact": () => page(html("Contact", "<h1>Contact</h1>"))
  }),
  simple("robots-slow.test", "robots.txt never finishes: unreachable, so nothing is allowed", {
    "/robots.txt": () => ({ kind: "drip", everyMillis: 100 }),
    "/": () => page(html("Slow Robots", "<h1>Should not be fetched</h1>"))
  }),
  simple("big-robots.test", "robots.txt past 500 KiB: rules after the limit are ignored", {
    "/robots.txt": () =>
      robots(`User-agent: *\nDisallow: /team\n${"# padding padding padding padding padding padding padding\n".repeat(9500)}Disallow: /about\n`),
    "/": () => page(html("Big Robots", `<h1>Big Robots</h1>${links(["/about", "About"], ["/team", "Team"])}`)),
    "/about": () => page(html("About", "<h1>About</h1>")),
    "/team": () => page(html("Team", "<h1>Secret</h1>"))
  }),
  simple("redirect-loop.test", "the home page redirects in a loop", {
    "/": () => ({ kind: "redirect", location: "/a" }),
    "/a": () => ({ kind: "redirect", location: "/b" }),
    "/b": () => ({ kind: "redirect", location: "/a" })
  }),
  simple("redirect-chain.test", "a redirect chain of 8 hops and one of 2", {
    "/": () => page(html("Chains", `<h1>Chains</h1>${links(["/about", "About"], ["/contact", "Contact"])}`)),
    ...Object.fromEntries(Array.from({ length: 8 }, (_, i) => [i === 0 ? "/about" : `/about-${i}`, (): Reply => ({ kind: "redirect", location: `/about-${i + 1}` })])),
    "/about-8": () => page(html("About", "<h1>Too far</h1>")),
    "/contact": () => ({ kind: "redirect", location: "/contact-1", status: 302 }),
    "/contact-1": () => ({ kind: "redirect", location: "/contact-us", status: 307 }),
    "/contact-us": () => page(html("Contact", "<h1>Contact</h1><p>Call +1 416 555 0100</p>"))
  }),
  simple("www-redirect.test", "the bare host redirects to its www host", {
    "/about": (port) => ({ kind: "redirect", location: `http://www.www-redirect.test:${port}/about` }),
    "/": (port) => ({ kind: "redirect", location: `http://www.www-redirect.test:${port}/`, status: 301 })
  }),
  simple("www.www-redirect.test", "the www host of www-redirect.test", {
    "/": (port) => page(html("WWW Redirect Co", `<h1>WWW Redirect Co</h1>${links([`http://www-redirect.test:${port}/about`, "About"], ["/contact", "Contact"])}`)),
    "/contact": () => page(html("Contact", "<h1>Contact</h1><p>hello@www-redirect.test</p>")),
    "/about": () => page(html("About", "<h1>About WWW Redirect Co</h1>"))
  }),
  simple("endless.test", "a products page that never ends", {
    "/": () => page(html("Endless Corp", `<h1>Endless Corp</h1>${links(["/products", "Products"])}`)),
    "/products": () => ({ kind: "endless" })
  }),
  simple("drip.test", "an about page that drips one byte at a time", {
    "/": () => page(html("Drip Co", `<h1>Drip Co</h1>${links(["/about", "About"], ["/contact", "Contact"])}`)),
    "/about": () => ({ kind: "drip", everyMillis: 50 }),
    "/contact": () => page(html("Contact", "<h1>Contact</h1>"))
  }),
  simple("binary.test", "binary content behind .html names", {
    "/": () => page(html("Binary Ltd", `<h1>Binary Ltd</h1>${links(["/about.html", "About"], ["/products.html", "Products"], ["/contact.html", "Contact"])}`)),
    "/about.html": () => page(pngBytes(), { contentType: "text/html" }),
    "/products.html": () => page(Uint8Array.from([0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x34, 0x0a, 0x00, 0x01]), { contentType: "application/octet-stream" }),
    "/contact.html": () => page(html("Contact", "<h1>Contact</h1><p>Email: sales@binary.test</p>"), { contentType: "" })
  }),
  simple("malformed.test", "malformed HTML", {
    "/": () =>
      page(`<html><head><title>Malformed & Sons</title><meta name=description content="Family business"></head><body><div><h1>Malformed &amp; Sons<p>Family business since 1921
<p>Write to <a href=mailto:owner@malformed.test>the owner</a> or call <b>Tel: +61 2 9374 4000</b></div></div></span>
<table><tr><td>Unclosed cell<td>another</table><a href=/contact>Contact<a href=/about>About us</body>`)
  }),
  simple("latin1.test", "pages in ISO-8859-1 (header charset and meta charset)", {
    "/": () =>
      page(`<!DOCTYPE html><html><head><title>Müller Präzisionstechnik GmbH</title></head><body><h1>Müller Präzisionstechnik GmbH</h1>
<p>Präzisionsteile aus Süddeutschland.</p>${links(["/ueber-uns", "Über uns"], ["/kontakt", "Kontakt"])}</body></html>`, { charset: "latin1", contentType: "text/html; charset=ISO-8859-1" }),
    "/ueber-uns": () =>
      page(`<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><title>Über uns</title></head>
<body><h1>Über uns</h1><p>Gegründet 1952 in Göppingen. Geschäftsführer: Jürgen Weiß.</p></body></html>`, { charset: "latin1", contentType: "text/html" }),
    "/kontakt": () =>
      page(`<!DOCTYPE html><html><head><meta charset="iso-8859-1"><title>Kontakt</title></head>
<body><h1>Kontakt</h1><address>Hauptstraße 5<br>73033 Göppingen</address><p>E-Mail: info@latin1.test</p></body></html>`, { charset: "latin1", contentType: "text/html" })
  }),
  simple("sjis.test", "a Japanese site in Shift_JIS", {
    "/": () =>
      page(`<!DOCTYPE html><html><head><meta charset="Shift_JIS"><title>株式会社サクラ精機</title></head><body><h1>株式会社サクラ精機</h1>
<p>精密機械の製造と販売。</p>${links(["/company", "会社概要"], ["/contact", "お問い合わせ"])}</body></html>`, { charset: "shift_jis", contentType: "text/html" }),
    "/company": () =>
      page(`<!DOCTYPE html><html><head><meta charset="Shift_JIS"><title>会社概要</title></head><body><h1>会社概要</h1>
<p>代表取締役社長 山田太郎</p><p>電話: 03-1234-5678</p></body></html>`, { charset: "shift_jis", contentType: "text/html; charset=Shift_JIS" }),
    "/contact": () =>
      page(`<!DOCTYPE html><html><head><meta charset="Shift_JIS"><title>お問い合わせ</title></head><body><h1>お問い合わせ</h1>
<p>info@sjis.test</p></body></html>`, { charset: "shift_jis", contentType: "text/html" })
  }),
  simple("offsite.test", "links to other sites and to private addresses, redirects into them", {
    "/": (port) =>
      page(html("Offsite Links Inc", `<h1>Offsite Links Inc</h1>${links(
        ["http://northwind-logistics.test/about", "About our partner"],
        ["https://www.linkedin.com/company/offsite-links", "LinkedIn"],
        ["http://10.0.0.1/admin", "Admin"],
        ["http://169.254.169.254/latest/meta-data/", "Metadata"],
        [`http://intranet.test:${port}/team`, "Intranet team"],
        ["/about", "About"],
        ["/contact", "Contact"],
        ["/team", "Team"],
        ["/careers", "Careers"]
      )}`)),
    // www.offsite.test is the same site but resolves to the private decoy address.
    "/about": (port) => ({ kind: "redirect", location: `http://www.offsite.test:${port}/about` }),
    "/contact": () => ({ kind: "redirect", location: "http://169.254.169.254/latest/meta-data/" }),
    "/team": (port) => ({ kind: "redirect", location: `http://127.0.0.2:${port}/team` }),
    "/careers": (port) => ({ kind: "redirect", location: `http://northwind-logistics.test:${port}/careers` })
  }),
  simple("ssrf-redirect.test", "the home page redirects to a host on a private address", {
    "/": (port) => ({ kind: "redirect", location: `http://intranet.test:${port}/` })
  }),
  simple("metadata-redirect.test", "the home page redirects to the cloud metadata address", {
    "/": () => ({ kind: "redirect", location: "http://169.254.169.254/latest/meta-data/", status: 302 })
  }),
  simple("intranet.test", "a host that resolves to a private address", {
    "/": () => page(html("Intranet", "<h1>Internal only</h1>")),
    "/about": () => page(html("Intranet", "<h1>Internal only</h1>")),
    "/team": () => page(html("Intranet", "<h1>Internal only</h1>"))
  }),
  simple("cp1252.test", "a windows-1252 page whose charset only a <meta charset> declares (the header names none)", {
    // Raw windows-1252 bytes: 0x80 €, 0x93 “, 0x94 ”, 0x96 – (C1 controls if read as Latin-1), 0xA9 ©.
    "/": () =>
      page(
        Uint8Array.from(
          `<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Ostrander \x96 Fine Goods</title></head>` +
            `<body><h1>Ostrander \x96 Fine Goods</h1><p>Gift cards from \x8025 \x96 \x93Quality first\x94 since 1921.</p>` +
            `<p>\xa9 2024 Ostrander Trading Ltd</p></body></html>`,
          (c) => c.charCodeAt(0)
        ),
        { contentType: "text/html" }
      )
  })
]
