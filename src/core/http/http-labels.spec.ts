import { methodLabel, routeLabel, statusLabel, UNMATCHED_ROUTE } from './http-labels.js';

describe('HTTP latency labels', () => {
  it.each([
    [{ path: '/api/v1/challenges/:slug/submissions' }, '', '/api/v1/challenges/:slug/submissions'],
    [{ path: '/metrics' }, '', '/metrics'],
    [{ path: '/:id' }, '/api/v1/submissions', '/api/v1/submissions/:id'],
    [{ path: '/api/v1*path' }, '', UNMATCHED_ROUTE],
    [undefined, '', UNMATCHED_ROUTE],
    [null, '', UNMATCHED_ROUTE],
    // A route defined by a regular expression has no pattern to show: never the raw URL instead.
    [{ path: /^\/api\/v1\/x\/\d+$/ }, '', UNMATCHED_ROUTE],
    ['/api/v1/submissions/3f1c0000-0000-4000-8000-000000000000', '', UNMATCHED_ROUTE],
  ])('labels route %j (base %j) as %s', (route, base, label) => {
    expect(routeLabel(route, base)).toBe(label);
  });

  it('keeps methods to the standard few', () => {
    expect(['get', 'POST', 'Patch', 'delete'].map(methodLabel)).toEqual(['GET', 'POST', 'PATCH', 'DELETE']);
    expect(methodLabel('PROPFIND')).toBe('OTHER');
  });

  it('labels statuses by their code', () => {
    expect([200, 202, 404, 503].map(statusLabel)).toEqual(['200', '202', '404', '503']);
    expect(statusLabel(0)).toBe('other');
    expect(statusLabel(1000)).toBe('other');
  });
});
