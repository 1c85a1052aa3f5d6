#!/usr/bin/env bash
# Scaffolds packages/NAME (or apps/NAME with --app) with the repo's conventions.
set -euo pipefail
dir=packages; [ "${1:-}" = "--app" ] && { dir=apps; shift; }
name="$1"; desc="${2:-}"
root="$(cd "$(dirname "$0")/.." && pwd)"
p="$root/$dir/$name"
mkdir -p "$p/src" "$p/test"
[ -f "$p/package.json" ] || cat >"$p/package.json" <<JSON
{
  "name": "@am/$name",
  "version": "0.1.0",
  "description": "$desc",
  "type": "module",
  "license": "MIT",
  "exports": {
    ".": {
      "@am/source": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "import": "./dist/index.js"
    }
  },
  "files": ["dist", "src"],
  "scripts": {
    "build": "tsup",
    "typecheck": "tsc --noEmit -p tsconfig.json"
  },
  "dependencies": {
    "effect": "4.1.0"
  }
}
JSON
[ -f "$p/tsconfig.json" ] || cat >"$p/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "include": ["src", "test"]
}
JSON
[ -f "$p/tsup.config.ts" ] || cat >"$p/tsup.config.ts" <<'TS'
import { defineConfig } from "tsup"
import { library } from "../../tsup.base.ts"

export default defineConfig(library)
TS
[ -f "$p/src/index.ts" ] || echo "export {}" >"$p/src/index.ts"
echo "$p"
