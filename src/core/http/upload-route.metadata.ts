import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';

export const UPLOAD_ROUTE = 'sieve:upload-route';

export interface UploadRouteOptions {
  /** The multipart field that carries the file. */
  field: string;
}

/** The route's @UploadRoute() options; undefined on a JSON route. */
export function uploadRouteOf(reflector: Reflector, context: ExecutionContext): UploadRouteOptions | undefined {
  return reflector.getAllAndOverride<UploadRouteOptions | undefined>(UPLOAD_ROUTE, [context.getHandler(), context.getClass()]);
}
