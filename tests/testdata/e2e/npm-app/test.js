// The e2e app's test: the agent stand-in runs it offline (npm test).
const assert = require("assert");
const ms = require("ms");
const isNumber = require("is-number");
assert.strictEqual(ms("2h"), 7200000);
assert.ok(isNumber(42));
console.log("e2e-app: tests pass");
