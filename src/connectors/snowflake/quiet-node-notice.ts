// Imported before snowflake-sdk: its bundled AWS SDK warns at load on Node 20 that later releases need
// Node 22. Conduit pins its dependencies, so the notice is noise; a user's own setting still wins.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
