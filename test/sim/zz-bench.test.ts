import { it } from 'vitest';
import { benchmarkDetectorRender } from '../../src/sim/index.js';

it('bench', () => {
  console.log(JSON.stringify(benchmarkDetectorRender({ detectorSize: 4096, sources: 5000 })));
  console.log(JSON.stringify(benchmarkDetectorRender({ detectorSize: 4096, sources: 0 })));
  console.log(JSON.stringify(benchmarkDetectorRender({ detectorSize: 4096, sources: 5000 })));
});
