// The machine's Redis for this package's Redis-layer tests (one helper for every package).
import { checkRedis } from "@am/testkit/redis"

export * from "@am/testkit/redis"

await checkRedis("@am/cache tests")
