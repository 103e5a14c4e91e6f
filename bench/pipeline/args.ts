/**
 * The benchmarks' command line: `--name value` options and `--flag`s after
 * the script's path, as `npm run bench -- <suite> [args]` passes them.
 * Shared by `bench/pipeline.ts`, `bench/cluster.ts` and the scripts beside
 * this one.
 */

/** The arguments after the script's path. */
export const argv: ReadonlyArray<string> = process.argv.slice(2)

/** The value after `--name`, if it is given. */
export const arg = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`)
  return i >= 0 ? argv[i + 1] : undefined
}

/** The number after `--name`, or `fallback` when it is not given. */
export const num = (name: string, fallback: number): number => {
  const value = arg(name)
  return value === undefined ? fallback : Number(value)
}

/** `--quick`: the suite's smaller run. */
export const quick = argv.includes("--quick")
