import { defineConfig } from "tsup"

export default defineConfig({
  // The library, and the `am-upstream` command as a second entry (package.json `bin`).
  entry: ["src/index.ts", "src/bin/am-upstream.ts"],
  format: ["esm"],
  target: "node22",
  dts: { entry: "src/index.ts", compilerOptions: { customConditions: [] } },
  sourcemap: true,
  clean: true,
  // Keep `node:` specifiers: node:sqlite has no bare-name alias.
  removeNodeProtocol: false
})
