import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import multer from 'multer';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { CONFIG, type Config } from '../config/config.js';
import { MULTIPART_LIMITS, uploadError } from './upload-errors.js';
import { ceilingOf, type UploadRouteOptions, uploadRouteOf } from './upload-route.metadata.js';
import { removeQuietly, TempFileStorage } from './temp-file.storage.js';

/**
 * Reads the one file of an upload route (see UploadRoute) into a temp file and removes
 * that file when the handler is done, whether it accepted the upload, refused it or
 * failed (handlers answer once, so waiting for the last value loses nothing). Files of a body that fails half-way are removed by the storage engine and multer.
 */
@Injectable()
export class UploadInterceptor implements NestInterceptor {
  private readonly storages: Record<UploadRouteOptions['ceiling'], TempFileStorage>;

  constructor(
    private readonly reflector: Reflector,
    @Inject(CONFIG) private readonly config: Config,
  ) {
    this.storages = {
      upload: new TempFileStorage(config.uploadTmpDir, config.maxUploadBytes),
      bundle: new TempFileStorage(config.uploadTmpDir, config.bundles.maxBytes),
    };
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const route = uploadRouteOf(this.reflector, context);
    if (!route) throw new Error('UploadInterceptor used on a route without @UploadRoute()');
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    try {
      await this.receive(req, http.getResponse<Response>(), route);
    } catch (err) {
      await removeQuietly(req.file?.path);
      throw uploadError(err, route.field, ceilingOf(this.config, route));
    }
    // Removed before the response goes out, so a client that reads it finds nothing left.
    return from(
      (async () => {
        try {
          return await lastValueFrom(next.handle(), { defaultValue: undefined });
        } finally {
          await removeQuietly(req.file?.path);
        }
      })(),
    );
  }

  private receive(req: Request, res: Response, route: UploadRouteOptions): Promise<void> {
    const parse = multer({ storage: this.storages[route.ceiling], limits: { ...MULTIPART_LIMITS, fileSize: ceilingOf(this.config, route) } }).single(route.field);
    return new Promise((resolve, reject) => parse(req, res, (err: unknown) => (err ? reject(err) : resolve())));
  }
}
