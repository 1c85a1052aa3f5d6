import { defineConfig } from "tsup"
import { library } from "../../tsup.base.ts"

export default defineConfig({
  ...library,
  // The library, `@am/testkit/redis`, and the `am-upstream` command (package.json `bin`).
  entry: ["src/index.ts", "src/TestRedis.ts", "src/bin/am-upstream.ts"],
  dts: { entry: ["src/index.ts", "src/TestRedis.ts"], compilerOptions: { customConditions: [] } }
})
