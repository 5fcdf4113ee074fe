#!/usr/bin/env node
// The `mingpt` command: compiles the TypeScript sources on the fly (tsx) and runs lib/cli/main.ts.
'use strict';
require('tsx/cjs');
const { main } = require('../lib/cli/main.ts');

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`mingpt: ${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
