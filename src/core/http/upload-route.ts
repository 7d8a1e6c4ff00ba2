import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { UPLOAD_ROUTE, type UploadRouteOptions } from './upload-route.metadata.js';
import { UploadInterceptor } from './upload.interceptor.js';

/**
 * Marks a multipart upload route. Before anything of the body is read, the global
 * guards require multipart/form-data, refuse a Content-Length over MAX_UPLOAD_BYTES (MAX_BUNDLE_BYTES for `ceiling: 'bundle'`) and
 * apply the upload rate limit (guards run before interceptors); then the file in `field`
 * is streamed to a temp file (see UploadedFile), removed when the request ends.
 */
export function UploadRoute(field = 'file', ceiling: UploadRouteOptions['ceiling'] = 'upload'): MethodDecorator & ClassDecorator {
  return applyDecorators(SetMetadata(UPLOAD_ROUTE, { field, ceiling } satisfies UploadRouteOptions), UseInterceptors(UploadInterceptor));
}
