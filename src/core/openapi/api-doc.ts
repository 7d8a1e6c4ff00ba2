import { SetMetadata } from '@nestjs/common';
import type { z } from 'zod';

export const API_DOC = 'sieve:api-doc';

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) written by hand, for what no zod schema describes. */
export type JsonSchema = { [key: string]: unknown };

/**
 * What a route's OpenAPI operation says beyond what the route already declares. Who may
 * call it comes from `@Public()` / `@RequireScope()`, the file field from `@UploadRoute()`,
 * the path parameters from the path and the default status from `@HttpCode()`: none is
 * restated here, so none can disagree with what the route does.
 */
export interface ApiDocOptions {
  summary: string;
  description?: string;
  /** The zod schema the service parses the JSON body with: the very object, so the spec cannot drift from validation. */
  body?: z.ZodType;
  /** The zod schema the query is parsed with (an object: each property is a query parameter). */
  query?: z.ZodType;
  /** What the uploaded file is (the field comes from `@UploadRoute()`). */
  upload?: { description: string };
  /** Descriptions of path parameters, by name (each must be in the path). */
  params?: Record<string, string>;
  /** Each status the route answers on purpose, and when. The generator adds those every route of its kind shares (401, 429, 415…). */
  responses: Record<number, string>;
  /** The success body: a zod schema (its output side) or a JSON Schema. */
  response?: z.ZodType | JsonSchema;
  /** Media types of the success body; default JSON. */
  media?: readonly string[];
}

/** Documents a route in the OpenAPI document at /api/v1/openapi.json; a route without it makes the generator throw. */
export const ApiDoc = (doc: ApiDocOptions): MethodDecorator => SetMetadata(API_DOC, doc);

export const API_EXCLUDED = 'sieve:api-excluded';

/** A controller whose routes are pages for people (HTML), not operations of the API: the document leaves them out. */
export const ApiExcluded = (): ClassDecorator => SetMetadata(API_EXCLUDED, true);
