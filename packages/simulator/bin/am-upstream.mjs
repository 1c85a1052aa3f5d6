#!/usr/bin/env node
// Committed shim so package managers can link `am-upstream` before the first build;
// the command itself is src/bin/am-upstream.ts, built by tsup to dist/bin/.
import "../dist/bin/am-upstream.js"
