/** Parses `--since`/`--from`/`--to`: an ISO date or time, or a relative span (`90s`, `30m`, `6h`, `7d`) before now. */
export const parseTime = (text: string, now: number): number | undefined => {
  const rel = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim())
  if (rel) {
    const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as "s" | "m" | "h" | "d"]
    return now - Number(rel[1]) * unit
  }
  const t = Date.parse(text)
  return Number.isFinite(t) ? t : undefined
}
