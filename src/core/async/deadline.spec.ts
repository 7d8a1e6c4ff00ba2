import { withDeadline } from './deadline.js';

describe('withDeadline', () => {
  it('passes an answer that comes in time through', async () => {
    await expect(withDeadline(Promise.resolve(42), 1000)).resolves.toBe(42);
    await expect(withDeadline(Promise.reject(new Error('refused')), 1000)).rejects.toThrow('refused');
  });

  it('gives up on one that does not, saying how long it waited', async () => {
    const never = new Promise<number>(() => undefined);
    await expect(withDeadline(never, 20, 'the queue did not answer')).rejects.toThrow('the queue did not answer within 20 ms');
  });
});
