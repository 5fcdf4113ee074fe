/**
 * Tests that need a system package (Jupyter, Chromium) skip, saying what is missing and how to install it, where
 * `npm test`'s set-up (scripts/setup-system.sh) could not install it; under WORKBOOK_REQUIRE_SYSTEM=1 (CI) they fail
 * instead, since there the set-up must have installed everything. Suites that do not check for themselves are
 * skipped by the root hook in test/system_hooks.ts.
 */
export function skipOrFail(ctx: Mocha.Context, missing: string): never {
  if (process.env.WORKBOOK_REQUIRE_SYSTEM === '1') throw new Error(`${missing} (WORKBOOK_REQUIRE_SYSTEM=1: a missing package fails)`);
  console.log(`      (skipped: ${missing.split('\n')[0]}; bash scripts/setup-system.sh test installs what is missing where it can)`);
  ctx.skip();
  throw new Error('unreachable: this.skip() throws');
}
