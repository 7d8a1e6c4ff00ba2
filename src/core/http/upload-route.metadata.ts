import { SetMetadata } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

export const UPLOAD_ROUTE = 'sieve:upload-route';

export interface UploadRouteOptions {
  /** The multipart field that carries the file. */
  field: string;
  /** Which ceiling applies: MAX_UPLOAD_BYTES (submissions) or MAX_BUNDLE_BYTES (an organizer's challenge bundle). */
  ceiling: 'upload' | 'bundle';
}

/** The most bytes the route's file may have. */
export function ceilingOf(config: { maxUploadBytes: number; bundles: { maxBytes: number } }, route: UploadRouteOptions): number {
  return route.ceiling === 'bundle' ? config.bundles.maxBytes : config.maxUploadBytes;
}

/** The route's @UploadRoute() options; undefined on a JSON route. */
export function uploadRouteOf(reflector: Reflector, context: ExecutionContext): UploadRouteOptions | undefined {
  return reflector.getAllAndOverride<UploadRouteOptions | undefined>(UPLOAD_ROUTE, [context.getHandler(), context.getClass()]);
}

export const FORM_ROUTE = 'sieve:form-route';

/** Whether the route takes an HTML form's fields (application/x-www-form-urlencoded) instead of JSON. */
export function isFormRoute(reflector: Reflector, context: ExecutionContext): boolean {
  return reflector.getAllAndOverride<boolean | undefined>(FORM_ROUTE, [context.getHandler(), context.getClass()]) === true;
}

/** The route takes an HTML form (urlencoded fields), not JSON: for the web pages' forms. */
export const FormRoute = (): MethodDecorator & ClassDecorator => SetMetadata(FORM_ROUTE, true);
