import { readFile } from 'node:fs/promises';
import { CreateWebhook } from '../../src/modules/webhooks/webhooks.service.js';
import { Controller, Get, Module } from '@nestjs/common';
import { DiscoveryModule, NestFactory } from '@nestjs/core';
import { z } from 'zod';
import { ExportQuery } from '../../src/core/export/export.js';
import { ApiDoc } from '../../src/core/openapi/api-doc.js';
import { BEARER, type OpenApiDocument, type Operation } from '../../src/core/openapi/openapi-document.js';
import { OpenApiService } from '../../src/core/openapi/openapi.service.js';
import { RouteExplorer } from '../../src/core/openapi/route-explorer.js';
import { Public } from '../../src/modules/accounts/access.js';
import { CreateTokenSchema, RegisterSchema, RoleSchema } from '../../src/modules/accounts/accounts.service.js';
import { EditSchedule, JoinSchema } from '../../src/modules/challenges/challenges.service.js';
import { BoardQuery } from '../../src/modules/leaderboards/leaderboards.controller.js';
import { AddCollaborator, DisqualifyCompetitor, DisqualifySubmission } from '../../src/modules/organizers/organizers.service.js';
import { StartRescore } from '../../src/modules/rescoring/rescoring.service.js';
import { FinalPicks } from '../../src/modules/submissions/submissions.service.js';
import { AcceptInvite, CreateTeam } from '../../src/modules/teams/teams.service.js';
import { routesOf } from '../support/routes.js';
import { type Stack, startStack } from '../support/stack.js';

/** The schema each JSON route's service validates its body with: the document must show exactly these. */
const BODIES: Record<string, z.ZodType> = {
  'POST /api/v1/accounts': RegisterSchema,
  'PUT /api/v1/accounts/{id}/role': RoleSchema,
  'POST /api/v1/tokens': CreateTokenSchema,
  'POST /api/v1/challenges/{slug}/join': JoinSchema,
  'PUT /api/v1/challenges/{slug}/final-submissions': FinalPicks,
  'POST /api/v1/challenges/{slug}/webhooks': CreateWebhook,
  'POST /api/v1/challenges/{slug}/teams': CreateTeam,
  'POST /api/v1/challenges/{slug}/team/accept': AcceptInvite,
  'PATCH /api/v1/challenges/{slug}': EditSchedule,
  'POST /api/v1/challenges/{slug}/collaborators': AddCollaborator,
  'POST /api/v1/submissions/{id}/disqualify': DisqualifySubmission,
  'POST /api/v1/challenges/{slug}/disqualifications': DisqualifyCompetitor,
  'POST /api/v1/challenges/{slug}/rescores': StartRescore,
};

/** The schema each route parses its query with. */
const QUERIES: Record<string, z.ZodType> = {
  'GET /api/v1/challenges/{slug}/leaderboard': BoardQuery,
  'GET /api/v1/challenges/{slug}/submissions': ExportQuery,
  'GET /api/v1/challenges/{slug}/submissions/export': ExportQuery,
  'GET /api/v1/challenges/{slug}/audit': ExportQuery,
  'GET /api/v1/audit': ExportQuery,
};

const UPLOADS: Record<string, string> = {
  'POST /api/v1/challenges/{slug}/submissions': 'file',
  'POST /api/v1/challenges': 'bundle',
  'POST /api/v1/challenges/{slug}/versions': 'bundle',
};

/** What a client sends, as zod describes it (written out here rather than through the generator's helper). */
const inputSchema = (schema: z.ZodType) => {
  const json = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  delete json.$schema; // OpenAPI 3.1's dialect already
  return json;
};

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

describe('the OpenAPI document and the docs page', () => {
  let stack: Stack;
  let doc: OpenApiDocument;
  let operations: [string, Operation][];

  beforeAll(async () => {
    stack = await startStack({ storage: 'filesystem', queue: 'redis', challenges: [{ from: 'digits-selection', slug: 'alpha' }] });
    const res = await fetch(`${stack.url}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as OpenApiDocument;
    operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]): [string, Operation] => [`${method.toUpperCase()} ${path}`, op]));
  }, 120_000);

  afterAll(() => stack?.stop(), 30_000);

  it('has the shape of an OpenAPI 3.1 document', async () => {
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { version: string };
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: 'Sieve', version: pkg.version });
    expect(doc.components.securitySchemes[BEARER]).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    const tags = new Set(doc.tags.map((t) => t.name));
    const ids = new Set<string>();
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path).toMatch(/^\/[^:]*$/); // OpenAPI form: "{name}", never ":name"
      for (const method of Object.keys(item)) expect(METHODS).toContain(method);
    }
    for (const [route, op] of operations) {
      expect(op.summary).toEqual(expect.any(String));
      expect(ids.has(op.operationId)).toBe(false);
      ids.add(op.operationId);
      for (const tag of op.tags) expect(tags.has(tag)).toBe(true);
      const templated = [...route.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path');
      expect(declared.map((p) => p.name)).toEqual(templated);
      for (const p of declared) expect(p.required).toBe(true);
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(status).toMatch(/^[1-5]\d\d$/);
        expect(response.description).toEqual(expect.any(String));
        if (Number(status) >= 400) expect(response.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });
      }
      expect(op.responses['200'] ?? op.responses['201'] ?? op.responses['202']).toBeDefined();
      for (const requirement of op.security) for (const scheme of Object.keys(requirement)) expect(doc.components.securitySchemes[scheme]).toBeDefined();
    }
    // Every $ref points at something in the document.
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]);
    for (const ref of refs) expect(ref.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc)).toBeDefined();
  });

  it('describes every route the application serves, and no route it does not', () => {
    const served = routesOf(stack.api, { pages: false }).map((r) => r.replace(/:(\w+)/g, '{$1}'));
    expect(operations.map(([route]) => route).sort()).toEqual(served.sort());
  });

  it("shows each JSON body as exactly the zod schema its service validates it with", () => {
    const withJson = operations.filter(([, op]) => op.requestBody?.content['application/json']).map(([route]) => route);
    expect(withJson.sort()).toEqual(Object.keys(BODIES).sort());
    for (const [route, schema] of Object.entries(BODIES)) {
      const op = operations.find(([r]) => r === route)![1];
      expect({ route, schema: op.requestBody!.content['application/json'].schema }).toEqual({ route, schema: inputSchema(schema) });
    }
  });

  it('makes the query parameters of the schema each route parses its query with', () => {
    const withQuery = operations.filter(([, op]) => op.parameters?.some((p) => p.in === 'query')).map(([route]) => route);
    expect(withQuery.sort()).toEqual(Object.keys(QUERIES).sort());
    for (const [route, schema] of Object.entries(QUERIES)) {
      const op = operations.find(([r]) => r === route)![1];
      const properties = inputSchema(schema).properties as Record<string, unknown>;
      expect(Object.fromEntries(op.parameters!.filter((p) => p.in === 'query').map((p) => [p.name, p.schema]))).toEqual(properties);
    }
  });

  it('documents uploads as multipart with the field the route reads', () => {
    const multipart = operations.filter(([, op]) => op.requestBody?.content['multipart/form-data']);
    expect(Object.fromEntries(multipart.map(([route, op]) => [route, (op.requestBody!.content['multipart/form-data'].schema.required as string[])[0]]))).toEqual(UPLOADS);
  });

  it('takes security from the routes’ access rules', () => {
    const security = (route: string) => operations.find(([r]) => r === route)![1].security;
    expect(security('GET /healthz')).toEqual([{}, { [BEARER]: [] }]);
    expect(security('GET /api/v1/openapi.json')).toEqual([{}, { [BEARER]: [] }]);
    expect(security('GET /api/v1/challenges/{slug}/pool')).toEqual([{ [BEARER]: ['read'] }]);
    expect(security('POST /api/v1/challenges/{slug}/submissions')).toEqual([{ [BEARER]: ['submit'] }]);
    // A controller-wide @RequireScope('organize'), overridden on one handler.
    expect(security('GET /api/v1/challenges/{slug}/audit')).toEqual([{ [BEARER]: ['organize'] }]);
    expect(security('GET /api/v1/audit')).toEqual([{ [BEARER]: ['admin'] }]);
    // Health probes and the metrics scrape are not rate limited; everything else is.
    expect(operations.filter(([, op]) => !op.responses['429']).map(([route]) => route).sort()).toEqual(['GET /healthz', 'GET /metrics', 'GET /readyz']);
  });

  it('serves the same document every time (built once)', async () => {
    const again = await (await fetch(`${stack.url}/api/v1/openapi.json`)).json();
    expect(again).toEqual(doc);
    expect(stack.api.get(OpenApiService).document()).toBe(stack.api.get(OpenApiService).document());
  });

  it('serves Swagger UI at /docs from local files', async () => {
    const res = await fetch(`${stack.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).toContain('"/api/v1/openapi.json"');
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets).toContain('/docs/assets/swagger-ui-bundle.js');
    for (const asset of assets) {
      expect(asset).toMatch(/^\/docs\/assets\//);
      const got = await fetch(`${stack.url}${asset}`);
      expect({ asset, status: got.status }).toEqual({ asset, status: 200 });
      await got.arrayBuffer();
    }
    const script = await fetch(`${stack.url}/docs/assets/swagger-ui-bundle.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('SwaggerUIBundle');
    // Only the files the page loads: not the package's own index.html (which points at the public petstore).
    const other = await fetch(`${stack.url}/docs/assets/index.html`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: expect.any(String) } });
  });
});

@Controller('tiny')
class TinyController {
  @Get('documented')
  @Public()
  @ApiDoc({ summary: 'Documented', responses: { 200: 'ok' } })
  documented() {
    return {};
  }

  @Get('forgotten')
  @Public()
  forgotten() {
    return {};
  }
}

@Module({ imports: [DiscoveryModule], controllers: [TinyController], providers: [RouteExplorer, OpenApiService] })
class TinyModule {}

describe('the generator on an application with an undocumented route', () => {
  it('throws, naming the route', async () => {
    const app = await NestFactory.create(TinyModule, { logger: false });
    app.setGlobalPrefix('api/v1');
    await app.init();
    try {
      expect(() => app.get(OpenApiService).document()).toThrow('Routes missing from the OpenAPI document: GET /api/v1/tiny/forgotten (TinyController.forgotten: no @ApiDoc)');
    } finally {
      await app.close();
    }
  });
});
