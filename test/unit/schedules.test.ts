/** The schedule a pipeline gets (pure), the shared identifiers and the search attribute definitions. */
import { describe, expect, it } from 'vitest';
import { CONDUIT_SEARCH_ATTRIBUTES as DEV_SERVER_ATTRIBUTES } from '../../src/dev/temporal';
import { defaultScheduleId, pipelineWorkflowId, scheduleActionWorkflowId } from '../../src/ids';
import { pipelineScheduleOptions, ScheduleOptionsError } from '../../src/schedules';
import { scheduledPipelineRun } from '../../src/workflows/scheduled-run';
import {
  CONDUIT_SEARCH_ATTRIBUTES,
  ConduitPipeline,
  ConduitStatus,
  registerSearchAttributesCommand,
} from '../../src/search-attributes';

const temporal = { address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'conduit' };

describe('pipelineScheduleOptions', () => {
  it('builds an interval schedule that starts the trigger workflow with SKIP by default', () => {
    const options = pipelineScheduleOptions(temporal, { pipeline: 'demo', every: '1h' });
    expect(options).toMatchObject({
      scheduleId: 'conduit-schedule/demo',
      spec: { intervals: [{ every: '1h' }] },
      action: {
        type: 'startWorkflow',
        workflowType: scheduledPipelineRun,
        workflowId: 'conduit-schedule/demo/trigger',
        taskQueue: 'conduit',
        args: [{ pipeline: 'demo' }],
      },
      policies: { overlap: 'SKIP', pauseOnFailure: false },
      memo: { conduitPipeline: 'demo' },
      state: { paused: false },
    });
    expect(options.typedSearchAttributes).toEqual([{ key: ConduitPipeline, value: 'demo' }]);
  });

  it('takes cron, time zone, jitter, tables, buffer-one and an own schedule ID', () => {
    const options = pipelineScheduleOptions(temporal, {
      pipeline: 'demo',
      scheduleId: 'nightly-demo',
      cron: '0 2 * * *',
      timeZone: 'Europe/Berlin',
      jitter: '5m',
      tables: ['public.orders'],
      overlap: 'buffer-one',
      pauseOnFailure: true,
      paused: true,
      note: 'n',
    });
    expect(options.spec).toEqual({ cronExpressions: ['0 2 * * *'], timezone: 'Europe/Berlin', jitter: '5m' });
    expect(options.action).toMatchObject({
      workflowId: 'nightly-demo/trigger',
      args: [{ pipeline: 'demo', tables: ['public.orders'] }],
    });
    expect(options.policies).toEqual({ overlap: 'BUFFER_ONE', pauseOnFailure: true });
    expect(options.state).toEqual({ paused: true, note: 'n' });
  });

  it('refuses what Temporal would reject or misread', () => {
    const bad = (o: Partial<Parameters<typeof pipelineScheduleOptions>[1]>) => () =>
      pipelineScheduleOptions(temporal, { pipeline: 'demo', ...o });
    expect(bad({})).toThrow(/exactly one of --every/);
    expect(bad({ every: '1h', cron: '* * * * *' })).toThrow(ScheduleOptionsError);
    expect(bad({ every: 'hourly' })).toThrow('--every "hourly" is not a duration');
    expect(bad({ every: '500ms' })).toThrow('at least 1s');
    expect(bad({ every: '1h', jitter: 'lots' })).toThrow('--jitter');
    expect(bad({ cron: '0 2 *' })).toThrow('is not a cron expression');
    expect(bad({ every: '1h', overlap: 'allow-all' as 'skip' })).toThrow('--overlap must be skip or buffer-one');
  });
});

describe('identifiers and search attributes', () => {
  it('names runs, schedules and triggers', () => {
    expect(pipelineWorkflowId('demo')).toBe('conduit/demo');
    expect(defaultScheduleId('demo')).toBe('conduit-schedule/demo');
    expect(scheduleActionWorkflowId('conduit-schedule/demo')).toBe('conduit-schedule/demo/trigger');
  });

  it('registers on the dev server exactly the keys the workflows set', () => {
    expect(DEV_SERVER_ATTRIBUTES).toBe(CONDUIT_SEARCH_ATTRIBUTES);
    expect(Object.keys(CONDUIT_SEARCH_ATTRIBUTES)).toEqual([
      'ConduitPipeline',
      'ConduitTable',
      'ConduitMode',
      'ConduitStatus',
    ]);
    expect([ConduitPipeline.name, ConduitStatus.name]).toEqual(['ConduitPipeline', 'ConduitStatus']);
    expect(registerSearchAttributesCommand('prod')).toBe(
      'temporal operator search-attribute create --namespace prod --name ConduitPipeline --name ' +
        'ConduitTable --name ConduitMode --name ConduitStatus --type Keyword',
    );
  });
});
