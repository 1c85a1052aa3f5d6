/**
 * The upstream's own items an answer carries for a client of its wire (`Completion.wireItems`):
 * the ones of one wire, and those put back among the items the gateway renders, at the upstream's
 * positions. Shared by the Responses, Messages and chat renderings.
 *
 * @example
 * ```ts
 * import { spliceWireItems, wireItemsOf } from "./WireItems.ts"
 * const own = wireItemsOf([{ wire: "openai.responses", index: 0, item: { type: "web_search_call" } }], "openai.responses")
 * spliceWireItems([{ type: "message" }], own) // [{ type: "web_search_call" }, { type: "message" }]
 * ```
 */
import type { WireItem } from "@am/core"

/** The item's `type`, when it is an object with one. */
export const itemType = (w: WireItem): unknown => (w.item as { type?: unknown } | null)?.type

/** The wire items of `wire`, in the upstream's order; `keep` narrows them further. */
export const wireItemsOf = (
  wireItems: ReadonlyArray<WireItem> | undefined,
  wire: WireItem["wire"],
  keep: (w: WireItem) => boolean = () => true
): Array<WireItem> => (wireItems ?? []).filter((w) => w.wire === wire && keep(w)).sort((a, b) => a.index - b.index)

/** `items` with each of `own` put back at its upstream index (an index past the end appends). */
export const spliceWireItems = <A>(items: ReadonlyArray<A>, own: ReadonlyArray<WireItem>): Array<A> => {
  const out = [...items]
  for (const w of own) out.splice(Math.min(Math.max(0, w.index), out.length), 0, w.item as A)
  return out
}
