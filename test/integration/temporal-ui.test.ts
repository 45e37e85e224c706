/**
 * End to end in the Temporal Web UI (served by the shared dev server): headless Debian Chromium,
 * driven with playwright-core, finds a finished run by its ConduitPipeline search attribute, opens
 * it, and saves screenshots under test-artifacts/. Skipped, saying why, only where Chromium is
 * absent (.ci/run installs Debian's chromium).
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { pipelineWorkflowId } from '../../src/client';
import { applyServiceEnv } from '../support/context';
import { Harness } from '../support/harness';
import { sharedServices } from '../support/services';
import { scratchDir } from '../support/scratch';

const CHROMIUM = process.env.CONDUIT_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = resolve(__dirname, '../../test-artifacts');

const available = existsSync(CHROMIUM);
if (!available)
  console.log(
    `temporal-ui.test: skipping the browser test: no Chromium at ${CHROMIUM} (install Debian's chromium ` +
      `package, or set CONDUIT_CHROMIUM)`,
  );

applyServiceEnv();
const harness = new Harness(sharedServices(), { sourceSchema: 'ui_src' });
let profile = '';
let browser: BrowserContext | undefined;

beforeAll(async () => {
  if (!available) return;
  await harness.start();
  profile = scratchDir('chromium');
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1400, height: 900 },
  });
});

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (available) await harness.stop();
});

describe('Temporal UI', () => {
  it.skipIf(!available)('finds a finished run by ConduitPipeline, opens it and saves screenshots', async () => {
    await harness.pg.query('CREATE TABLE ui_src.widgets (id int PRIMARY KEY, name text)');
    await harness.pg.query("INSERT INTO ui_src.widgets SELECT g, 'widget ' || g FROM generate_series(1, 300) g");
    const outcome = await harness.runOk();
    expect(outcome.result.tables[0]).toMatchObject({ source: 'ui_src.widgets', status: 'succeeded' });
    const pipeline = harness.config.name;
    const workflowId = pipelineWorkflowId(pipeline);
    const { uiUrl, namespace } = inject('temporal');
    mkdirSync(ARTIFACTS, { recursive: true });

    const page = await browser!.newPage();
    page.setDefaultTimeout(30_000);
    // The workflow list filtered by the search attribute, as an operator would type it.
    const query = `ConduitPipeline = '${pipeline}' AND WorkflowType = 'pipelineRun'`;
    const listUrl = `${uiUrl}/namespaces/${namespace}/workflows?query=${encodeURIComponent(query)}`;
    // Visibility is eventually consistent: reload until the run is listed.
    const link = page.locator(`a:has-text("${workflowId}")`).first();
    for (let attempt = 0; ; attempt++) {
      await page.goto(listUrl, { waitUntil: 'domcontentloaded' });
      try {
        await link.waitFor({ state: 'visible', timeout: 10_000 });
        break;
      } catch (error) {
        if (attempt >= 4) {
          await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-list-failed.png'), fullPage: true });
          throw error;
        }
      }
    }
    // Only the run matches: its tables are tableRefresh workflows.
    await expect(page.locator(`a:has-text("${workflowId}/")`).count()).resolves.toBe(0);
    await page.screenshot({ path: join(ARTIFACTS, 'temporal-ui-list.png'), fullPage: true });

    await link.click();
    await page.waitForURL(/\/workflows\/conduit%2F/);
    await page.getByText('Completed').first().waitFor({ state: 'visible' });
    await page.getByText('pipelineRun').first().waitFor({ state: 'visible' });
    const shot = join(ARTIFACTS, 'temporal-ui-run.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(decodeURIComponent(page.url())).toContain(`/workflows/${workflowId}/`);
  });
});
