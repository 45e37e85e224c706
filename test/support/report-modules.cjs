// Preloaded with `node --require` into a worker under test: at exit it writes the path of every module the
// process loaded to $CONDUIT_TEST_MODULES_FILE, so a test can tell which SDKs a worker loaded.
const { writeFileSync } = require('node:fs');

const target = process.env.CONDUIT_TEST_MODULES_FILE;
if (target) {
  process.on('exit', () => writeFileSync(target, Object.keys(require.cache).join('\n')));
}
