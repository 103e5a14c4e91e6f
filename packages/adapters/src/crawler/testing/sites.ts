/**
 * The realistic company sites of the fixture web: seeded company data
 * (names, addresses, phones, people with titles and emails, jobs, products)
 * and the HTML of their pages. Sites vary by index: language (English,
 * German, French, Spanish), how the address is marked up (`<address>`,
 * microdata, JSON-LD), how emails are written (mailto, `[at]`/`[dot]`,
 * Cloudflare-protected), the content encoding, robots.txt and sitemap.
 *
 * @internal
 */
import * as Prng from "../../internal/testing/Prng.js"
import type { Company, Language } from "./FixtureWeb.js"

const prefixes = ["Northwind", "Bluefin", "Acorn", "Keystone", "Harbor", "Summit", "Lumen", "Cobalt", "Evergreen",
  "Granite", "Meridian", "Pioneer", "Quartz", "Redwood", "Silverline", "Tidewater", "Vertex", "Willow", "Zenith",
  "Orchid", "Falcon", "Maple"] as const
const industries = ["Logistics", "Analytics", "Robotics", "Foods", "Software", "Health", "Energy", "Manufacturing",
  "Consulting", "Biotech"] as const
const firstNames = ["Anna", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kavya",
  "Liam", "Mei", "Noah", "Olga", "Priya", "Rafael", "Sofia", "Tomas", "Wei"] as const
const lastNames = ["Tan", "Schmidt", "Dubois", "Garcia", "Okafor", "Lindqvist", "Nakamura", "Rossi", "Kowalski",
  "Haddad", "Novak", "Fernandes", "Walsh", "Chen", "Moreau", "Weber", "Ortiz", "Singh"] as const
const titles = ["Chief Executive Officer", "Chief Technology Officer", "Chief Financial Officer", "Head of Sales",
  "VP Engineering", "Head of Marketing", "Operations Manager"] as const
const places = [
  { city: "Singapore", country: "Singapore", prefix: "+65 6", street: "Robinson Road", postal: "0689" },
  { city: "London", country: "United Kingdom", prefix: "+44 20 7", street: "Bishopsgate", postal: "EC2M 4" },
  { city: "Berlin", country: "Germany", prefix: "+49 30 ", street: "Friedrichstraße", postal: "101" },
  { city: "Paris", country: "France", prefix: "+33 1 4", street: "Rue de Rivoli", postal: "7500" },
  { city: "Madrid", country: "Spain", prefix: "+34 91 ", street: "Calle de Alcalá", postal: "2801" },
  { city: "Toronto", country: "Canada", prefix: "+1 416 ", street: "King Street West", postal: "M5H 1" },
  { city: "Sydney", country: "Australia", prefix: "+61 2 9", street: "George Street", postal: "200" },
  { city: "Amsterdam", country: "Netherlands", prefix: "+31 20 ", street: "Herengracht", postal: "1015 " }
] as const
const jobTitles = ["Senior Backend Engineer", "Account Executive", "Data Analyst", "Customer Success Manager",
  "Product Designer", "Field Technician"] as const
const productWords = ["Platform", "Suite", "Cloud", "Insights", "Connect", "Studio", "Monitor"] as const

const digits = (prng: Prng.Prng, n: number): string => Array.from({ length: n }, () => Prng.int(prng, 0, 9)).join("")

const languageOf = (i: number): Language => (i % 7 === 2 ? "de" : i % 7 === 4 ? "fr" : i % 11 === 6 ? "es" : "en")

const robotsOf = (i: number): string | undefined => {
  switch (i % 4) {
    case 0:
      return undefined
    case 1:
      return "User-agent: *\nAllow: /\n\nSitemap: {origin}/sitemap.xml\n"
    case 2:
      return "User-agent: *\nDisallow: /admin\nDisallow: /cart\n"
    default:
      return "# private pages\nUser-agent: *\nDisallow: /private/\nAllow: /private/press\n"
  }
}

/**
 * The seeded company sites: 22 by default, or `count` (names and hosts get a
 * number after the 22nd).
 *
 * @internal
 */
export const companies = (seed: number, count: number = prefixes.length): ReadonlyArray<Company> =>
  Array.from({ length: count }, (_, i) => {
    const prefix = prefixes[i % prefixes.length]!
    // the first 22 keep their historical names; later ones get a number
    const n = Math.floor(i / prefixes.length)
    const prng = Prng.forKey(seed, n === 0 ? prefix : `${prefix}#${n}`)
    const industry = industries[i % industries.length]!
    const name = n === 0 ? `${prefix} ${industry}` : `${prefix} ${industry} ${n + 1}`
    const host = n === 0
      ? `${prefix.toLowerCase()}-${industry.toLowerCase()}.test`
      : `${prefix.toLowerCase()}-${industry.toLowerCase()}-${n + 1}.test`
    const place = places[i % places.length]!
    const used = new Set<string>()
    const people = titles.slice(0, 3 + (i % 3)).map((title) => {
      let first: string
      let last: string
      do {
        first = Prng.pick(prng, [...firstNames] as [string, ...Array<string>])
        last = Prng.pick(prng, [...lastNames] as [string, ...Array<string>])
      } while (used.has(`${first} ${last}`))
      used.add(`${first} ${last}`)
      return { name: `${first} ${last}`, title, email: `${first}.${last}@${host}`.toLowerCase() }
    })
    const socials = [
      `https://www.linkedin.com/company/${prefix.toLowerCase()}-${industry.toLowerCase()}`,
      ...(i % 2 === 0 ? [`https://x.com/${prefix.toLowerCase()}hq`] : []),
      ...(i % 3 === 0 ? [`https://www.facebook.com/${prefix.toLowerCase()}${industry.toLowerCase()}`] : []),
      ...(i % 5 === 0 ? [`https://www.youtube.com/@${prefix.toLowerCase()}`] : [])
    ]
    return {
      host,
      name,
      industry,
      language: languageOf(i),
      street: `${Prng.int(prng, 1, 250)} ${place.street}`,
      postalCode: `${place.postal}${digits(prng, 1)}`,
      city: place.city,
      country: place.country,
      phone: `${place.prefix}${digits(prng, 3)} ${digits(prng, 4)}`,
      email: `info@${host}`,
      people,
      jobs: jobTitles.filter((_, j) => (i + j) % 3 !== 0),
      products: [`${prefix} ${Prng.pick(prng, [...productWords] as [string, ...Array<string>])}`, `${prefix} ${productWords[i % productWords.length]!} Pro`],
      socials,
      addressMarkup: i % 3 === 0 ? "address" : i % 3 === 1 ? "microdata" : "jsonld",
      emailStyle: i === 5 ? "cloudflare" : i % 2 === 0 ? "mailto" : "obfuscated",
      encoding: i % 3 === 0 ? "gzip" : i % 3 === 1 ? "br" : "identity",
      robots: robotsOf(i),
      sitemap: i % 4 === 1
    }
  })

/** Paths and labels of a site's pages, per language. @internal */
export const pagesOf = (lang: Language) => {
  switch (lang) {
    case "de":
      return { about: ["/ueber-uns", "Über uns"], team: ["/team", "Team"], contact: ["/kontakt", "Kontakt"], careers: ["/karriere", "Karriere"], products: ["/leistungen", "Leistungen"] } as const
    case "fr":
      return { about: ["/a-propos", "À propos"], team: ["/equipe", "Notre équipe"], contact: ["/contact", "Contactez-nous"], careers: ["/carrieres", "Carrières"], products: ["/services", "Nos services"] } as const
    case "es":
      return { about: ["/quienes-somos", "Quiénes somos"], team: ["/equipo", "Equipo"], contact: ["/contacto", "Contacto"], careers: ["/empleo", "Empleo"], products: ["/productos", "Productos"] } as const
    default:
      return { about: ["/about", "About us"], team: ["/company/leadership", "Leadership"], contact: ["/contact", "Contact"], careers: ["/careers", "Careers"], products: ["/products", "Products"] } as const
  }
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;")

const cloudflare = (email: string): string => {
  const key = 0x5a
  return key.toString(16) + [...email].map((c) => (c.charCodeAt(0) ^ key).toString(16).padStart(2, "0")).join("")
}

const emailHtml = (c: Company, email: string): string => {
  switch (c.emailStyle) {
    case "mailto":
      return `<a href="mailto:${email}">${esc(email)}</a>`
    case "cloudflare":
      return `<a href="/cdn-cgi/l/email-protection" class="__cf_email__" data-cfemail="${cloudflare(email)}">[email&#160;protected]</a>`
    default:
      return esc(email.replace("@", " [at] ").replace(/\.(?=[^.]+$)/, " [dot] "))
  }
}

const addressHtml = (c: Company): string => {
  if (c.addressMarkup === "microdata") {
    return `<div itemscope itemtype="https://schema.org/PostalAddress"><span itemprop="streetAddress">${esc(c.street)}</span>,
      <span itemprop="postalCode">${esc(c.postalCode)}</span> <span itemprop="addressLocality">${esc(c.city)}</span>,
      <span itemprop="addressCountry">${esc(c.country)}</span></div>`
  }
  if (c.addressMarkup === "address") {
    return `<address>${esc(c.name)}<br>${esc(c.street)}<br>${esc(c.postalCode)} ${esc(c.city)}<br>${esc(c.country)}</address>`
  }
  return `<p>${esc(c.street)}, ${esc(c.postalCode)} ${esc(c.city)}, ${esc(c.country)}</p>`
}

/** The address as the extractor should report it. @internal */
export const expectedAddress = (c: Company): string =>
  c.addressMarkup === "address"
    ? `${c.name}, ${c.street}, ${c.postalCode} ${c.city}, ${c.country}`
    : `${c.street}, ${c.postalCode}, ${c.city}, ${c.country}`

const jsonLd = (c: Company): string =>
  `<script type="application/ld+json">${JSON.stringify({
    "@context": "https://schema.org",
    "@type": "Organization",
    name: c.name,
    url: `http://${c.host}/`,
    address: { "@type": "PostalAddress", streetAddress: c.street, postalCode: c.postalCode, addressLocality: c.city, addressCountry: c.country }
  })}</script>`

const layout = (c: Company, title: string, main: string): string => {
  const p = pagesOf(c.language)
  const nav = [p.about, p.products, p.team, p.careers, p.contact].map(([href, label]) => `<li><a href="${href}">${esc(label)}</a></li>`).join("")
  return `<!DOCTYPE html>
<html lang="${c.language}"><head><meta charset="utf-8"><title>${esc(title)} | ${esc(c.name)}</title>
<meta name="description" content="${esc(`${c.name}: ${c.industry.toLowerCase()} from ${c.city}.`)}">
<link rel="stylesheet" href="/assets/site.css">
<style>body{font-family:sans-serif}</style>
${c.addressMarkup === "jsonld" ? jsonLd(c) : ""}
<script>window.dataLayer=[];function gtag(){dataLayer.push(arguments)}; var secret = "do-not-index@tracker.test";</script>
</head><body>
<header><a href="/" class="logo">${esc(c.name)}</a><nav><ul>${nav}<li><a href="/blog">Blog</a></li><li><a href="/login">Log in</a></li></ul></nav></header>
<div class="cookie-banner">We use cookies to improve your experience. <button>Accept</button></div>
<main>${main}</main>
<footer><p>&copy; 2024 ${esc(c.name)}. <a href="/privacy-policy">Privacy</a> · <a href="/assets/brochure.pdf">Brochure (PDF)</a></p>
<p>${c.socials.map((s) => `<a href="${s}" rel="noopener">${esc(new URL(s).hostname)}</a>`).join(" ")}</p>
${c.addressMarkup === "address" ? addressHtml(c) : ""}
</footer></body></html>`
}

/**
 * The pages of a company site, by path; `undefined` for paths it does not
 * have. `{origin}` in the result stands for the site's origin.
 *
 * @internal
 */
export const render = (c: Company, path: string): string | undefined => {
  const p = pagesOf(c.language)
  const people = c.people.map((person) => `<div class="member"><h3>${esc(person.name)}</h3><p class="role">${esc(person.title)}</p><p>${emailHtml(c, person.email)}</p></div>`).join("\n")
  switch (path) {
    case "/":
      return layout(c, "Home", `<h1>${esc(c.name)}</h1><p>${esc(c.name)} builds ${c.industry.toLowerCase()} products for mid-sized companies in ${esc(c.country)}.</p>
<h2>What we do</h2><ul>${c.products.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>
<p><a href="${p.about[0]}">Learn more about ${esc(c.name)}</a> or <a href="/news/2024-results">read our 2024 results</a>.</p>`)
    case p.about[0]:
      return layout(c, p.about[1], `<h1>${esc(p.about[1])}</h1><p>Founded in ${2000 + (c.name.length % 20)} in ${esc(c.city)}, ${esc(c.name)} employs ${40 + c.name.length * 7} people.</p>
<h2>Our mission</h2><p>We help operations teams in ${c.industry.toLowerCase()} ship faster with fewer mistakes.</p>`)
    case p.team[0]:
      return layout(c, p.team[1], `<h1>${esc(p.team[1])}</h1><section class="team">${people}</section>`)
    case p.contact[0]:
      return layout(c, p.contact[1], `<h1>${esc(p.contact[1])}</h1>
${c.addressMarkup === "address" ? "" : addressHtml(c)}
<p>Phone: <a href="tel:${c.phone.replace(/\s/g, "")}">${esc(c.phone)}</a></p><p>Email: ${emailHtml(c, c.email)}</p>`)
    case p.careers[0]:
      return layout(c, p.careers[1], `<h1>${esc(p.careers[1])}</h1><ul class="jobs">${c.jobs.map((j) => `<li>${esc(j)} (${esc(c.city)})</li>`).join("")}</ul>
<p>Send your CV to ${emailHtml(c, `jobs@${c.host}`)}.</p>`)
    case p.products[0]:
      return layout(c, p.products[1], `<h1>${esc(p.products[1])}</h1>${c.products.map((x) => `<h2>${esc(x)}</h2><p>${esc(x)} for ${c.industry.toLowerCase()} teams.</p>`).join("")}`)
    case "/blog":
      return layout(c, "Blog", `<h1>Blog</h1><p>Five trends in ${c.industry.toLowerCase()} for 2025.</p>`)
    case "/news/2024-results":
      return layout(c, "2024 results", `<h1>2024 results</h1><p>Revenue grew in 2024.</p>`)
    case "/privacy-policy":
      return layout(c, "Privacy", `<h1>Privacy policy</h1><p>We process personal data lawfully.</p>`)
    case "/private/press":
      return layout(c, "Press", `<h1>Press kit</h1><p>Logos and photos.</p>`)
    case "/company/history":
      return c.sitemap ? layout(c, "Our history", `<h1>Our history</h1><p>${esc(c.name)} started in a garage in ${esc(c.city)}.</p>`) : undefined
    case "/sitemap.xml":
      return c.sitemap
        ? `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${["/", p.about[0], "/company/history", p.contact[0], "/blog"].map((u) => `<url><loc>{origin}${u}</loc></url>`).join("")}</urlset>`
        : undefined
    default:
      return undefined
  }
}
