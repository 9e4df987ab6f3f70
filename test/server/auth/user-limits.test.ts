/** The per-user limiter on its own: the token bucket's refill, and query slots taken by concurrent requests. */

import { describe, expect, it } from 'vitest';
import { UserLimits } from '../../../src/server/auth/limits.js';
import { serverLimitsSchema } from '../../../src/server/index.js';

const limiter = (input: Record<string, number>) => new UserLimits(serverLimitsSchema.parse(input));

describe('the request rate bucket', () => {
  it('allows the burst, then one request per 1/rate seconds, per user', () => {
    const limits = limiter({ userRequestsPerSecond: 2, userRequestBurst: 2 });
    const t0 = 1_000_000;
    limits.takeRequest('ann', t0);
    limits.takeRequest('ann', t0);
    expect(() => limits.takeRequest('ann', t0)).toThrow(
      expect.objectContaining({
        code: 'RATE_LIMITED',
        details: expect.objectContaining({ retryAfterSeconds: 1 }),
      }),
    );
    limits.takeRequest('ben', t0);
    limits.takeRequest('ann', t0 + 500);
    expect(() => limits.takeRequest('ann', t0 + 600)).toThrow(
      expect.objectContaining({ code: 'RATE_LIMITED' }),
    );
    // A long pause refills the bucket to the burst, no further.
    limits.takeRequest('ann', t0 + 60_000);
    limits.takeRequest('ann', t0 + 60_000);
    expect(() => limits.takeRequest('ann', t0 + 60_000)).toThrow(
      expect.objectContaining({ code: 'RATE_LIMITED' }),
    );
  });

  it('is off at rate 0', () => {
    const limits = limiter({ userRequestsPerSecond: 0, userRequestBurst: 1 });
    for (let i = 0; i < 1000; i++) limits.takeRequest('ann', 5);
  });
});

describe('query slots', () => {
  it('count concurrent requests of one user before the job store answers, and the async jobs it reports', async () => {
    const limits = limiter({ userMaxConcurrentQueries: 2 });
    let asyncRunning = 0;
    limits.addQueryCounter(async () => {
      await new Promise((r) => setTimeout(r, 10));
      return asyncRunning;
    });
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => limits.acquireQuerySlot('ann')));
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const releases = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
    expect(await limits.runningQueries('ann')).toBe(2);
    releases[0]();
    releases[0]();
    expect(await limits.runningQueries('ann')).toBe(1);
    asyncRunning = 1;
    await expect(limits.acquireQuerySlot('ann')).rejects.toMatchObject({ code: 'USER_QUOTA' });
    await expect(limits.checkQuerySlot('ann')).rejects.toMatchObject({ code: 'USER_QUOTA' });
    releases[1]();
    await limits.checkQuerySlot('ann');
    expect(() => limits.checkJobsKept('ann', 200)).toThrow(expect.objectContaining({ code: 'USER_QUOTA' }));
    limits.checkJobsKept('ann', 199);
  });
});
