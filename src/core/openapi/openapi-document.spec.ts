import { z } from 'zod';
import type { ApiDocOptions } from './api-doc.js';
import { BEARER, buildOpenApiDocument, queryParameters, requestSchemaOf, type RouteFacts } from './openapi-document.js';

const info = { title: 'Sieve', version: '9.9.9' };
const Body = z.strictObject({ name: z.string().trim().min(2), count: z.int().optional() });
const Query = z.strictObject({ format: z.enum(['json', 'csv']).default('json'), version: z.coerce.number().int().positive().optional(), needed: z.string() });

const route = (over: Partial<RouteFacts> & { doc?: ApiDocOptions | undefined } = {}): RouteFacts => ({
  method: 'get',
  path: '/api/v1/challenges/:slug',
  handler: 'ChallengesController.describe',
  tag: 'challenges',
  doc: { summary: 'A challenge', responses: { 200: 'The challenge', 404: 'No such challenge' } },
  access: { kind: 'public' },
  upload: undefined,
  status: 200,
  rateLimited: true,
  ...over,
});

describe('buildOpenApiDocument', () => {
  it('refuses routes without @ApiDoc or an access rule, naming each', () => {
    const routes = [route(), route({ path: '/api/v1/x', handler: 'XController.a', doc: undefined }), route({ path: '/api/v1/y', handler: 'XController.b', access: undefined })];
    expect(() => buildOpenApiDocument(routes, info)).toThrow('Routes missing from the OpenAPI document: GET /api/v1/x (XController.a: no @ApiDoc), GET /api/v1/y (XController.b: no access rule)');
  });

  it('is OpenAPI 3.1 with the bearer scheme, the error schema and one tag per module', () => {
    const doc = buildOpenApiDocument([route(), route({ method: 'post', path: '/api/v1/accounts', handler: 'AccountsController.register', tag: 'accounts', status: 201, doc: { summary: 'r', responses: { 201: 'made' } } })], info);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual(info);
    expect(doc.tags).toEqual([{ name: 'challenges' }, { name: 'accounts' }]);
    expect(doc.components.securitySchemes[BEARER]).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(['/api/v1/challenges/{slug}', '/api/v1/accounts']);
    expect(doc.paths['/api/v1/accounts'].post?.operationId).toBe('accounts.register');
  });

  it('derives security from the access rule: optional for public routes, the scope for the others', () => {
    const doc = buildOpenApiDocument(
      [route(), route({ method: 'post', path: '/api/v1/challenges/:slug/join', handler: 'ChallengesController.join', access: { kind: 'scope', scope: 'submit' }, status: 201, doc: { summary: 'j', responses: { 201: 'joined' } } })],
      info,
    );
    const open = doc.paths['/api/v1/challenges/{slug}'].get!;
    expect(open.security).toEqual([{}, { [BEARER]: [] }]);
    expect(open.description).toMatch(/Anyone may call this/);
    expect(open.responses['403']).toBeUndefined();
    const join = doc.paths['/api/v1/challenges/{slug}/join'].post!;
    expect(join.security).toEqual([{ [BEARER]: ['submit'] }]);
    expect(join['x-sieve-scope']).toBe('submit');
    expect(join.description).toMatch(/`submit` scope/);
    expect(join.responses['401'].description).toMatch(/No token/);
    expect(join.responses['403'].description).toMatch(/lacks the `submit` scope/);
  });

  it('lists path parameters, with their descriptions', () => {
    const doc = buildOpenApiDocument([route({ path: '/api/v1/challenges/:slug/files/:role', doc: { summary: 'f', params: { role: 'Which file' }, responses: { 200: 'ok' } } })], info);
    expect(doc.paths['/api/v1/challenges/{slug}/files/{role}'].get!.parameters).toEqual([
      { name: 'slug', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'role', in: 'path', required: true, description: 'Which file', schema: { type: 'string' } },
    ]);
  });

  it('refuses a description of a path parameter the path lacks', () => {
    expect(() => buildOpenApiDocument([route({ doc: { summary: 's', params: { id: 'x' }, responses: { 200: 'ok' } } })], info)).toThrow(/path parameter "id"/);
  });

  it('makes query parameters of the query schema, as a client sends them (defaults optional)', () => {
    expect(queryParameters(Query, 'here')).toEqual([
      { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['json', 'csv'], default: 'json' } },
      { name: 'version', in: 'query', required: false, schema: { type: 'integer', exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER } },
      { name: 'needed', in: 'query', required: true, schema: { type: 'string' } },
    ]);
    expect(() => queryParameters(z.string(), 'here')).toThrow(/must be an object schema/);
  });

  it("documents a JSON body with its zod schema's input side, required unless {} passes", () => {
    const doc = buildOpenApiDocument(
      [
        route({ method: 'post', path: '/api/v1/a', handler: 'A.a', status: 201, doc: { summary: 'a', body: Body, responses: { 201: 'ok' } } }),
        route({ method: 'post', path: '/api/v1/b', handler: 'A.b', status: 201, doc: { summary: 'b', body: z.strictObject({ x: z.int().optional() }), responses: { 201: 'ok' } } }),
      ],
      info,
    );
    const a = doc.paths['/api/v1/a'].post!;
    expect(a.requestBody).toEqual({ required: true, content: { 'application/json': { schema: requestSchemaOf(Body) } } });
    expect(requestSchemaOf(Body)).toEqual({ type: 'object', properties: { name: { type: 'string', minLength: 2 }, count: { type: 'integer', minimum: expect.any(Number), maximum: expect.any(Number) } }, required: ['name'], additionalProperties: false });
    expect(a.responses['400'].description).toMatch(/invalid_request/);
    expect(a.responses['415'].description).toMatch(/application\/json/);
    expect(doc.paths['/api/v1/b'].post!.requestBody!.required).toBe(false);
  });

  it('documents an upload as multipart with the field @UploadRoute names', () => {
    const upload = route({ method: 'post', path: '/api/v1/up', handler: 'U.up', status: 202, upload: { field: 'bundle', ceiling: 'bundle' }, doc: { summary: 'u', upload: { description: 'An archive' }, responses: { 202: 'queued' } } });
    const body = buildOpenApiDocument([upload], info).paths['/api/v1/up'].post!.requestBody!;
    expect(body.required).toBe(true);
    expect(body.content['multipart/form-data'].schema).toMatchObject({ type: 'object', required: ['bundle'], properties: { bundle: { type: 'string', format: 'binary', description: 'An archive' } } });
    expect(() => buildOpenApiDocument([{ ...upload, doc: { summary: 'u', responses: { 202: 'queued' } } }], info)).toThrow(/needs @ApiDoc\(\{ upload/);
    expect(() => buildOpenApiDocument([{ ...upload, upload: undefined }], info)).toThrow(/has no @UploadRoute/);
  });

  it("gives every error the one error shape, and the success its media types", () => {
    const doc = buildOpenApiDocument([route({ doc: { summary: 'csv', responses: { 200: 'the pool', 404: 'none' }, media: ['text/csv'] } })], info);
    const op = doc.paths['/api/v1/challenges/{slug}'].get!;
    expect(op.responses['200'].content).toEqual({ 'text/csv': { schema: { type: 'string' } } });
    for (const status of ['401', '404', '429']) expect(op.responses[status].content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });
    expect(op.responses['429'].headers?.['Retry-After']).toBeDefined();
    expect(Object.keys(op.responses)).toEqual(['200', '401', '404', '429']);
  });

  it('leaves 429 out where the rate limit does not apply', () => {
    expect(buildOpenApiDocument([route({ rateLimited: false })], info).paths['/api/v1/challenges/{slug}'].get!.responses['429']).toBeUndefined();
  });

  it('refuses a route whose default status is not among its documented responses', () => {
    expect(() => buildOpenApiDocument([route({ method: 'post', status: 201, doc: { summary: 's', responses: { 200: 'ok' } } })], info)).toThrow(/answers 201 by default/);
  });

  it('refuses two handlers on one method and path', () => {
    expect(() => buildOpenApiDocument([route(), route({ handler: 'Other.describe' })], info)).toThrow(/served by two handlers/);
  });
});
