import { defineConfig } from "tsup"
import { library } from "../../tsup.base.ts"

export default defineConfig({
  ...library,
  // The library and `@am/testkit/redis`.
  entry: ["src/index.ts", "src/TestRedis.ts"],
  dts: { entry: ["src/index.ts", "src/TestRedis.ts"], compilerOptions: { customConditions: [] } }
})
