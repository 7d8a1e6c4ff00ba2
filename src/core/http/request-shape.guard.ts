import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { IncomingHttpHeaders } from 'node:http';
import { CONFIG, type Config } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { ceilingOf, isFormRoute, type UploadRouteOptions, uploadRouteOf } from './upload-route.metadata.js';

/** Room for the multipart framing around the file (boundaries, part headers, a few small fields). */
export const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

/**
 * What a request's body must look like for its route, judged from the headers alone:
 * JSON routes take application/json, the web pages' form routes
 * application/x-www-form-urlencoded, upload routes multipart/form-data, and an upload
 * that announces more than the ceiling is refused before a byte of it is read. A request
 * without a body passes (the handler says what is missing).
 */
export function checkRequestShape(headers: IncomingHttpHeaders, upload: UploadRouteOptions | undefined, maxUploadBytes: number, form = false): AppError | null {
  const length = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const hasBody = headers['transfer-encoding'] !== undefined || (length !== undefined && length > 0);
  if (!hasBody) return null;
  const type = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const got = type ? `got ${type}` : 'got no Content-Type';
  if (upload) {
    if (type !== 'multipart/form-data') {
      return AppError.unsupportedMediaType(`This route takes a file upload: send multipart/form-data with the file in the field "${upload.field}" (${got})`, [
        { field: 'content-type', message: 'expected multipart/form-data' },
      ]);
    }
    if (length !== undefined && length > maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
      return AppError.tooLarge(`The upload is too large: ${length} bytes, and this server accepts files of at most ${maxUploadBytes} bytes`);
    }
    return null;
  }
  if (form) {
    if (type === 'application/x-www-form-urlencoded') return null;
    return AppError.unsupportedMediaType(`This route takes an HTML form: send application/x-www-form-urlencoded (${got})`, [{ field: 'content-type', message: 'expected application/x-www-form-urlencoded' }]);
  }
  if (type !== 'application/json') {
    return AppError.unsupportedMediaType(`This route takes JSON: send the body with Content-Type: application/json (${got})`, [{ field: 'content-type', message: 'expected application/json' }]);
  }
  return null;
}

/** Global: runs before any route's own guards and interceptors, so nothing is read or parsed first. */
@Injectable()
export class RequestShapeGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const upload = uploadRouteOf(this.reflector, context);
    const problem = checkRequestShape(
      context.switchToHttp().getRequest<Request>().headers,
      upload,
      upload ? ceilingOf(this.config, upload) : this.config.maxUploadBytes,
      isFormRoute(this.reflector, context),
    );
    if (problem) throw problem;
    return true;
  }
}
