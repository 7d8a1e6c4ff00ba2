import { RequestMethod } from '@nestjs/common';
import { type GlobalPrefix, servedPaths, toOpenApiPath } from './route-paths.js';

describe('toOpenApiPath', () => {
  it.each<[string, string, string[]]>([
    ['/api/v1/challenges', '/api/v1/challenges', []],
    ['/api/v1/challenges/:slug', '/api/v1/challenges/{slug}', ['slug']],
    ['/api/v1/challenges/:slug/files/:role', '/api/v1/challenges/{slug}/files/{role}', ['slug', 'role']],
    ['/api/v1/challenges/:slug/collaborators/:accountId', '/api/v1/challenges/{slug}/collaborators/{accountId}', ['slug', 'accountId']],
    ['/api/v1/openapi.json', '/api/v1/openapi.json', []],
    ['/healthz', '/healthz', []],
  ])('%s', (express, openapi, params) => {
    expect(toOpenApiPath(express)).toEqual({ path: openapi, params });
  });

  it.each(['/files/*rest', '/files{/:name}', '/a/:'])('refuses %s, which OpenAPI cannot describe', (path) => {
    expect(() => toOpenApiPath(path)).toThrow(/OpenAPI cannot describe|without a valid name/);
  });
});

describe('servedPaths', () => {
  // What Nest keeps for setGlobalPrefix('api/v1', { exclude: ['healthz', 'docs'] }).
  const global: GlobalPrefix = {
    prefix: 'api/v1',
    exclude: [
      { pathRegex: /^\/healthz\/?$/i, requestMethod: RequestMethod.ALL },
      { pathRegex: /^\/docs\/?$/i, requestMethod: RequestMethod.ALL },
      { pathRegex: /^\/only-get\/?$/i, requestMethod: RequestMethod.GET },
    ],
  };

  it.each<[string, RequestMethod, string | string[], string | string[], string[]]>([
    ['a controller path and a method path', RequestMethod.GET, 'challenges', ':slug', ['/api/v1/challenges/:slug']],
    ['the controller root (@Get())', RequestMethod.GET, 'challenges', '/', ['/api/v1/challenges']],
    ['@Controller() with the route in the method', RequestMethod.POST, '/', 'accounts', ['/api/v1/accounts']],
    ['a nested controller path', RequestMethod.GET, 'challenges/:slug/rescores', ':id', ['/api/v1/challenges/:slug/rescores/:id']],
    ['an excluded path', RequestMethod.GET, '/', 'healthz', ['/healthz']],
    ['an excluded path with slashes', RequestMethod.GET, '/', '/docs/', ['/docs']],
    ['an exclusion for another method', RequestMethod.POST, '/', 'only-get', ['/api/v1/only-get']],
    ['an exclusion for this method', RequestMethod.GET, '/', 'only-get', ['/only-get']],
    ['several paths', RequestMethod.GET, ['a', 'b'], 'c', ['/api/v1/a/c', '/api/v1/b/c']],
  ])('%s', (_name, method, controller, handler, expected) => {
    expect(servedPaths(global, method, controller, handler)).toEqual(expected);
  });

  it('composes without a prefix', () => {
    expect(servedPaths({ prefix: '', exclude: [] }, RequestMethod.GET, '/', '/')).toEqual(['/']);
    expect(servedPaths({ prefix: '/api/', exclude: [] }, RequestMethod.GET, 'x/', '/')).toEqual(['/api/x']);
  });
});
