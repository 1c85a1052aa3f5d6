/**
 * `@am/usage`: the dated price table, the `@am/core` `Pricing` service over it, cost per attempt
 * and per request, and usage reports (table, JSON, CSV).
 *
 * @since 0.1.0
 */
export * from "./Cost.ts"
export * from "./DefaultPrices.ts"
export * from "./Price.ts"
export * from "./Pricing.ts"
export * from "./UsageReport.ts"
