#!/usr/bin/env node
'use strict';
// snowflake-sdk's bundled AWS SDK warns on every start that its 2027 releases will need Node 22;
// Conduit pins its dependencies, so the notice is noise for operators (see README, "Requirements").
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// The CLI is compiled to dist/ by `npm run build` (scripts/bootstrap.sh does it).
require('../dist/cli/main.js').runCli(process.argv.slice(2));
