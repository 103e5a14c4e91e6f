/**
 * A vendor's base URL read from the environment (`TAVILY_BASE_URL`,
 * `LUSHA_BASE_URL`, `ZEROBOUNCE_BASE_URL`, `OPENAI_BASE_URL`), validated
 * when the configuration is read, so a typo stops the command at start-up
 * instead of failing every call of the night.
 *
 * Accepted: an absolute `http:` or `https:` URL with a host, without
 * credentials (a key goes in its own variable, never in a URL that may be
 * logged), a query or a fragment. Trailing slashes are dropped:
 * `https://api.eu.zerobounce.net/v2/` becomes `https://api.eu.zerobounce.net/v2`.
 * The error names the variable and never repeats the value.
 *
 * @internal
 */
import { Config, ConfigError, Either, Option } from "effect"

/**
 * Checks one base URL; the problem in words when it is not one.
 *
 * @internal
 */
export const check = (text: string): Either.Either<string, string> => {
  const trimmed = text.trim()
  if (!URL.canParse(trimmed)) return Either.left("must be an absolute http(s) URL, e.g. https://api.example.com")
  const url = new URL(trimmed)
  if (url.protocol !== "http:" && url.protocol !== "https:") return Either.left("must use http or https")
  if (url.username !== "" || url.password !== "") return Either.left("must not hold credentials (the key has its own variable)")
  if (url.search !== "" || url.hash !== "") return Either.left("must not have a query or a fragment")
  let path = url.pathname
  while (path.endsWith("/")) path = path.slice(0, -1)
  return Either.right(`${url.origin}${path}`)
}

/**
 * An optional base URL from the variable `name`, validated (see the module
 * comment); `None` when the variable is unset.
 *
 * @internal
 */
export const config = (name: string, description: string): Config.Config<Option.Option<string>> =>
  Config.option(
    Config.string(name).pipe(
      Config.mapOrFail((text) =>
        Either.mapLeft(check(text), (problem) => ConfigError.InvalidData([name], `${name} ${problem}`))
      ),
      Config.withDescription(description)
    )
  )
