#!/usr/bin/env node
// The package's command: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv.slice(2)));
