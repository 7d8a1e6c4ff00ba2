import { HttpStatus, Injectable, RequestMethod, type Type } from '@nestjs/common';
import { HTTP_CODE_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ACCESS_RULE, type AccessRule } from '../../modules/accounts/access.js';
import { SKIP_RATE_LIMIT } from '../http/rate-limit.guard.js';
import { UPLOAD_ROUTE, type UploadRouteOptions } from '../http/upload-route.metadata.js';
import { API_DOC, API_EXCLUDED, type ApiDocOptions } from './api-doc.js';
import { HTTP_METHODS, type HttpMethod, type RouteFacts } from './openapi-document.js';
import { servedPaths } from './route-paths.js';

function httpMethodOf(method: RequestMethod, where: string): HttpMethod {
  const name = RequestMethod[method]?.toLowerCase();
  const found = HTTP_METHODS.find((m) => m === name);
  if (!found) throw new Error(`${where}: method ${RequestMethod[method] ?? method} has no OpenAPI operation (name the methods one by one)`);
  return found;
}

/**
 * Every route of the application with what it declares about itself, read from the same
 * metadata the guards read (access rule, upload, rate limit) and the same prefix settings
 * the router used. Walks Nest's controllers rather than Express's route table, which is
 * not a public API; the integration test checks that both agree. Controllers of web pages
 * (`@ApiExcluded()`) are not the API and are left out.
 */
@Injectable()
export class RouteExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly config: ApplicationConfig,
  ) {}

  routes(): RouteFacts[] {
    const global = { prefix: this.config.getGlobalPrefix(), exclude: this.config.getGlobalPrefixOptions().exclude ?? [] };
    return this.discovery.getControllers().flatMap((wrapper) => {
      const controller = wrapper.metatype as Type | null;
      if (!controller || this.reflector.get<boolean | undefined>(API_EXCLUDED, controller)) return [];
      const controllerPath = this.reflector.get<string | string[] | undefined>(PATH_METADATA, controller) ?? '/';
      const tag = (wrapper.host?.name ?? controller.name).replace(/Module$/, '').toLowerCase();
      return this.scanner.getAllMethodNames(controller.prototype).flatMap((name): RouteFacts[] => {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function') return [];
        const methodPath = this.reflector.get<string | string[] | undefined>(PATH_METADATA, handler);
        if (methodPath === undefined) return []; // a helper method, not a route
        const where = `${controller.name}.${name}`;
        const requestMethod = this.reflector.get<RequestMethod>(METHOD_METADATA, handler);
        const method = httpMethodOf(requestMethod, where);
        const targets = [handler, controller];
        const facts = {
          method,
          handler: where,
          tag,
          doc: this.reflector.get<ApiDocOptions | undefined>(API_DOC, handler),
          access: this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, targets),
          upload: this.reflector.getAllAndOverride<UploadRouteOptions | undefined>(UPLOAD_ROUTE, targets),
          status: this.reflector.get<number | undefined>(HTTP_CODE_METADATA, handler) ?? (method === 'post' ? HttpStatus.CREATED : HttpStatus.OK),
          rateLimited: !this.reflector.getAllAndOverride<boolean | undefined>(SKIP_RATE_LIMIT, targets),
        };
        return servedPaths(global, requestMethod, controllerPath, methodPath).map((path) => ({ ...facts, path }));
      });
    });
  }
}
