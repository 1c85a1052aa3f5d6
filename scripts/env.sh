#!/usr/bin/env bash
# Sourced by ./am and .ci/run: puts a Node >= 22.19 and pnpm 10 on PATH.
# The machines here ship Node 20 and no pnpm; when the local ones are missing or too
# old we bring Node 24 and pnpm from the npm registry (the `node` package ships the
# binary itself) into .tools/, which is git-ignored and reused on later runs.
set -euo pipefail
AM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AM_TOOLS="$AM_ROOT/.tools"
AM_NODE_SPEC="node@24"
AM_PNPM_SPEC="pnpm@10.34.9"

node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)' 2>/dev/null
}

if [ -x "$AM_TOOLS/node_modules/.bin/node" ]; then
  export PATH="$AM_TOOLS/node_modules/.bin:$PATH"
fi
if ! node_ok || ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v 2>/dev/null | cut -d. -f1)" != "10" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "am: npm is needed to fetch Node 24 and pnpm; install Node.js first" >&2
    exit 1
  fi
  echo "am: bringing $AM_NODE_SPEC and $AM_PNPM_SPEC into .tools/ (local Node: $(node -v 2>/dev/null || echo none))" >&2
  mkdir -p "$AM_TOOLS"
  [ -f "$AM_TOOLS/package.json" ] || echo '{"name":"am-tools","private":true}' >"$AM_TOOLS/package.json"
  npm install --prefix "$AM_TOOLS" --no-audit --no-fund --loglevel=error "$AM_NODE_SPEC" "$AM_PNPM_SPEC" >&2
  export PATH="$AM_TOOLS/node_modules/.bin:$PATH"
  node_ok || { echo "am: Node from .tools is $(node -v); need >= 22.19" >&2; exit 1; }
fi
export AM_ROOT
