import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Injectable } from '@nestjs/common';
import { type ApiInfo, buildOpenApiDocument, type OpenApiDocument } from './openapi-document.js';
import { RouteExplorer } from './route-explorer.js';

/** The project's package.json (above this file, from source and from dist/): its version is the API's. */
export function packageInfo(): ApiInfo {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string; description?: string };
      if (pkg.name === 'sieve' && pkg.version) return { title: 'Sieve', version: pkg.version, ...(pkg.description ? { description: pkg.description } : {}) };
    }
    dir = dirname(dir);
  }
  throw new Error(`the sieve package.json was not found above ${fileURLToPath(import.meta.url)}`);
}

/** The application's OpenAPI document, built on first use (every route is registered by then) and kept. */
@Injectable()
export class OpenApiService {
  private built: OpenApiDocument | null = null;

  constructor(private readonly explorer: RouteExplorer) {}

  document(): OpenApiDocument {
    this.built ??= buildOpenApiDocument(this.explorer.routes(), packageInfo());
    return this.built;
  }
}
