import { describe, expect, it } from 'vitest';
import { cpuDefaultStandins } from '../../src-main/tools/dev/standins/index';
import { defaultManifest, defaultModels } from '../../src-main/models/manifest';

describe('standin-real covers what a CPU-only user runs', () => {
  it('has a stand-in with the shapes of every model in the CPU default set', () => {
    const wanted = defaultModels(defaultManifest(), { gpu: false })
      .filter((entry) => entry.role !== 'vad')
      .map((entry) => entry.id);
    expect(cpuDefaultStandins().map((standin) => standin.id).sort()).toEqual([...wanted].sort());
  });
});
