#!/usr/bin/env node
'use strict';
// The CLI is compiled to dist/ by `npm run build` (scripts/bootstrap.sh does it).
require('../dist/cli/main.js').runCli(process.argv.slice(2));
