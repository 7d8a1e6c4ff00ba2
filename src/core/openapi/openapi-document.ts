import { z } from 'zod';
import { type AccessRule, SCOPES } from '../../modules/accounts/access.js';
import type { UploadRouteOptions } from '../http/upload-route.metadata.js';
import type { ApiDocOptions, JsonSchema } from './api-doc.js';
import { toOpenApiPath } from './route-paths.js';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** What the application itself declares about one route (read from Nest's metadata by RouteExplorer). */
export interface RouteFacts {
  method: HttpMethod;
  /** As Express serves it, prefix included: `/api/v1/challenges/:slug`. */
  path: string;
  /** `Controller.method`: names the route in errors and makes its operationId. */
  handler: string;
  tag: string;
  doc: ApiDocOptions | undefined;
  access: AccessRule | undefined;
  upload: UploadRouteOptions | undefined;
  /** The status Nest answers with unless the handler sets one: `@HttpCode()`, else 201 for POST and 200 otherwise. */
  status: number;
  rateLimited: boolean;
}

export interface ApiInfo {
  title: string;
  version: string;
  description?: string;
}

interface Parameter {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  description?: string;
  schema: JsonSchema;
}

interface Response {
  description: string;
  headers?: Record<string, { description: string; schema: JsonSchema }>;
  content?: Record<string, { schema?: JsonSchema }>;
}

export interface Operation {
  tags: string[];
  summary: string;
  description: string;
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, Response>;
  security: Record<string, string[]>[];
  /** The scope the route needs (also in `security`), for tools that read it directly. */
  'x-sieve-scope'?: string;
}

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: ApiInfo;
  tags: { name: string }[];
  paths: Record<string, Partial<Record<HttpMethod, Operation>>>;
  components: {
    securitySchemes: Record<string, { type: 'http'; scheme: 'bearer'; description: string }>;
    schemas: Record<string, JsonSchema>;
  };
}

export const BEARER = 'bearerToken';
const ERROR_REF = { $ref: '#/components/schemas/Error' };

/** The project's one error shape (src/core/errors): every 4xx and 5xx body. */
export const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: {
        code: { type: 'string', description: 'Stable, machine-readable: `not_found`, `invalid_request`, `rate_limited`…' },
        message: { type: 'string', description: 'For people: what was wrong and where' },
        details: {
          type: 'array',
          items: {
            type: 'object',
            required: ['message'],
            properties: { line: { type: 'integer' }, file: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
          },
        },
        errorId: { type: 'string', description: 'On a 5xx only: quote it when reporting the error (it is in the server log too)' },
      },
    },
  },
};

/**
 * The request side of a zod schema: what a client sends (`io: 'input'`: before
 * transforms, with defaulted fields optional). Refinements have no JSON Schema form and
 * are left out; the route's description says what they require.
 */
export function requestSchemaOf(schema: z.ZodType): JsonSchema {
  return withoutDialect(z.toJSONSchema(schema, { io: 'input' }) as JsonSchema);
}

function responseSchemaOf(schema: z.ZodType | JsonSchema): JsonSchema {
  return schema instanceof z.ZodType ? withoutDialect(z.toJSONSchema(schema, { io: 'output' }) as JsonSchema) : schema;
}

/** OpenAPI 3.1's dialect is JSON Schema 2020-12 already; the `$schema` zod adds would only repeat it in every schema. */
function withoutDialect(json: JsonSchema): JsonSchema {
  const copy = { ...json };
  delete copy.$schema;
  return copy;
}

/** One query parameter per property of the query schema (an object schema). */
export function queryParameters(schema: z.ZodType, route: string): Parameter[] {
  const json = requestSchemaOf(schema);
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  if (json.type !== 'object' || !properties) throw new Error(`${route}: the query schema must be an object schema`);
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

/** The responses every route of a kind shares, whatever it documents. */
function sharedResponses(route: RouteFacts, doc: ApiDocOptions): Record<number, string> {
  const shared: Record<number, string> = {};
  const add = (status: number, text: string) => (shared[status] = shared[status] ? `${shared[status]}; ${text}` : text);
  if (route.access?.kind === 'scope') {
    add(401, 'No token, or one that is unknown, expired or revoked');
    add(403, `The token lacks the \`${route.access.scope}\` scope (\`insufficient_scope\`)`);
  } else {
    add(401, 'A token was sent and it is unknown, expired or revoked (a public route still checks a token it is given)');
  }
  if (doc.body) {
    add(400, 'The body is not JSON or does not match the schema (`invalid_request`, one detail per field)');
    add(413, 'The body is larger than JSON bodies may be (`payload_too_large`)');
    add(415, 'The body is not `application/json` (`unsupported_media_type`)');
  }
  if (doc.query) add(400, 'A query parameter is not valid (`invalid_request`)');
  if (route.upload) {
    add(400, 'A malformed multipart body, a second file or too many fields (`invalid_multipart`)');
    add(413, 'The file is larger than this server or the challenge accepts (`payload_too_large`)');
    add(415, 'The body is not `multipart/form-data` (`unsupported_media_type`)');
  }
  if (route.rateLimited) add(429, 'Over a rate limit (`rate_limited`): retry after `Retry-After` seconds');
  return shared;
}

function accessNote(access: AccessRule): string {
  switch (access.kind) {
    case 'public':
      return 'Anyone may call this: no token needed (one that is sent must be valid).';
    case 'own-credential':
      return 'Not an account route: the bearer token, when the server asks for one, is its own (e.g. METRICS_TOKEN).';
    case 'scope':
      return `Needs a token with the \`${access.scope}\` scope.`;
  }
}

function operationIdOf(handler: string): string {
  const [controller, method] = handler.split('.');
  const name = controller.replace(/Controller$/, '');
  return `${name.charAt(0).toLowerCase()}${name.slice(1)}.${method}`;
}

function operationOf(route: RouteFacts, doc: ApiDocOptions, access: AccessRule, params: string[]): Operation {
  const where = `${route.method.toUpperCase()} ${route.path} (${route.handler})`;
  for (const name of Object.keys(doc.params ?? {})) {
    if (!params.includes(name)) throw new Error(`${where}: @ApiDoc describes the path parameter "${name}", which the path does not have`);
  }
  if (doc.upload && !route.upload) throw new Error(`${where}: @ApiDoc describes an upload, but the route has no @UploadRoute()`);
  if (route.upload && !doc.upload) throw new Error(`${where}: an @UploadRoute() needs @ApiDoc({ upload: { description } })`);
  if (route.upload && doc.body) throw new Error(`${where}: an upload route takes multipart, not a JSON body`);
  if (!doc.responses[route.status]) throw new Error(`${where}: answers ${route.status} by default, which @ApiDoc's responses do not list`);

  const parameters: Parameter[] = [
    ...params.map((name): Parameter => ({ name, in: 'path', required: true, ...(doc.params?.[name] ? { description: doc.params[name] } : {}), schema: { type: 'string' } })),
    ...(doc.query ? queryParameters(doc.query, where) : []),
  ];

  const responses: Record<string, Response> = {};
  const shared = sharedResponses(route, doc);
  const statuses = [...new Set([...Object.keys(doc.responses), ...Object.keys(shared)].map(Number))].sort((a, b) => a - b);
  const success = doc.response ? responseSchemaOf(doc.response) : undefined;
  for (const status of statuses) {
    const description = [shared[status], doc.responses[status]].filter(Boolean).join('; ');
    if (status >= 400) {
      responses[status] = {
        description,
        content: { 'application/json': { schema: ERROR_REF } },
        ...(status === 429 ? { headers: { 'Retry-After': { description: 'Seconds until a request is allowed again', schema: { type: 'integer' } } } } : {}),
      };
    } else {
      const media = doc.media ?? ['application/json'];
      responses[status] = { description, content: Object.fromEntries(media.map((m) => [m, success ? { schema: success } : m.startsWith('text/') ? { schema: { type: 'string' } } : {}])) };
    }
  }

  // parseInput reads a missing body as {}: the body is optional exactly when {} is valid.
  const requestBody: Operation['requestBody'] = doc.body
    ? { required: !doc.body.safeParse({}).success, content: { 'application/json': { schema: requestSchemaOf(doc.body) } } }
    : route.upload && doc.upload
      ? {
          required: true,
          description: doc.upload.description,
          content: {
            'multipart/form-data': {
              schema: {
                type: 'object',
                required: [route.upload.field],
                properties: { [route.upload.field]: { type: 'string', format: 'binary', contentMediaType: 'application/octet-stream', description: doc.upload.description } },
              },
            },
          },
        }
      : undefined;

  return {
    tags: [route.tag],
    summary: doc.summary,
    description: [doc.description, accessNote(access)].filter(Boolean).join('\n\n'),
    operationId: operationIdOf(route.handler),
    ...(parameters.length ? { parameters } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
    // Public: no token, or a valid one (`{}` is "no requirement"). OpenAPI 3.1 lets a bearer requirement name roles: the scope.
    security: access.kind === 'scope' ? [{ [BEARER]: [access.scope] }] : [{}, { [BEARER]: [] }],
    ...(access.kind === 'scope' ? { 'x-sieve-scope': access.scope } : {}),
  };
}

/**
 * The OpenAPI 3.1 document of the routes. Every route must carry `@ApiDoc` and an access
 * rule; the ones that do not are listed together in the error, so a route cannot be
 * served without being described.
 */
export function buildOpenApiDocument(routes: readonly RouteFacts[], info: ApiInfo): OpenApiDocument {
  const undocumented = routes.filter((r) => !r.doc || !r.access).map((r) => `${r.method.toUpperCase()} ${r.path} (${r.handler}: ${r.doc ? 'no access rule' : 'no @ApiDoc'})`);
  if (undocumented.length) throw new Error(`Routes missing from the OpenAPI document: ${undocumented.join(', ')}`);
  const paths: OpenApiDocument['paths'] = {};
  const operationIds = new Set<string>();
  for (const route of routes) {
    const { path, params } = toOpenApiPath(route.path);
    const operation = operationOf(route, route.doc!, route.access!, params);
    if (operationIds.has(operation.operationId)) throw new Error(`two routes share the operationId ${operation.operationId}`);
    if (paths[path]?.[route.method]) throw new Error(`${route.method.toUpperCase()} ${path} is served by two handlers`);
    operationIds.add(operation.operationId);
    paths[path] = { ...paths[path], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info,
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({ name })),
    paths,
    components: {
      securitySchemes: {
        [BEARER]: {
          type: 'http',
          scheme: 'bearer',
          description: `\`Authorization: Bearer <token>\`. A token comes from POST /accounts (registration) or POST /tokens, and carries scopes among ${SCOPES.map((s) => `\`${s}\``).join(', ')}; each operation names the one it needs.`,
        },
      },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
}
