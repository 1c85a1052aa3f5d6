import { defineConfig } from "tsup"
import { library } from "../../tsup.base.ts"

export default defineConfig({
  ...library,
  // The library and the `am-upstream` command (package.json `bin`).
  entry: ["src/index.ts", "src/bin/am-upstream.ts"],
  dts: { entry: ["src/index.ts"], compilerOptions: { customConditions: [] } }
})
