// Prints what CI's test runs counted, from vitest's JSON reports in the folder given, and then every
// failed test with the start of its message. CI prints it last, so that a log cut from the top still
// names what failed. Exits 1 if any report counts a failure or a file that could not run.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const dir = process.argv[2];
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, "");
const firstLines = (s, n) => strip(s).split("\n").slice(0, n).map((l) => `      ${l}`).join("\n");

let passed = 0;
let failed = 0;
const failures = [];
for (const name of readdirSync(dir).filter((f) => f.endsWith(".json")).sort()) {
  const run = name.replace(/\.json$/, "");
  const report = JSON.parse(readFileSync(join(dir, name), "utf8"));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  for (const file of report.testResults ?? []) {
    const path = relative(process.cwd(), file.name);
    const failedTests = (file.assertionResults ?? []).filter((t) => t.status === "failed");
    for (const t of failedTests) {
      failures.push(`  [${run}] ${path} > ${t.fullName}\n${firstLines((t.failureMessages ?? []).join("\n"), 12)}`);
    }
    // A file that failed without a failed test: its import, a hook or a global set-up broke.
    if (file.status === "failed" && failedTests.length === 0) {
      failures.push(`  [${run}] ${path} (the file failed outside its tests)\n${firstLines(file.message ?? "", 12)}`);
    }
  }
}
console.log(`${passed} passed, ${failed} failed`);
if (failures.length > 0) {
  console.log(`\nwhat failed (${failures.length}):\n${failures.join("\n")}`);
  process.exitCode = 1;
}
