/** One line of an error's details: where (a line of an uploaded file, a field) and what. */
export interface ErrorDetail {
  line?: number;
  field?: string;
  file?: string;
  message: string;
}

export type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 503;

/**
 * The one error type the application throws on purpose. The filter turns it into
 * `{"error": {"code", "message", "details"}}` with `status`.
 */
export class AppError extends Error {
  constructor(
    readonly status: ErrorStatus,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }

  static badRequest(code: string, message: string, details: ErrorDetail[] = []): AppError {
    return new AppError(400, code, message, details);
  }
  static unauthorized(message: string): AppError {
    return new AppError(401, 'unauthorized', message);
  }
  static forbidden(message: string): AppError {
    return new AppError(403, 'forbidden', message);
  }
  static notFound(what: string): AppError {
    return new AppError(404, 'not_found', `${what} was not found`);
  }
  static conflict(code: string, message: string, details: ErrorDetail[] = []): AppError {
    return new AppError(409, code, message, details);
  }
  static tooLarge(message: string): AppError {
    return new AppError(413, 'payload_too_large', message);
  }
  static unsupportedMediaType(message: string, details: ErrorDetail[] = []): AppError {
    return new AppError(415, 'unsupported_media_type', message, details);
  }
  static tooManyRequests(message: string, details: ErrorDetail[] = []): AppError {
    return new AppError(429, 'rate_limited', message, details);
  }
  static unprocessable(code: string, message: string, details: ErrorDetail[] = []): AppError {
    return new AppError(422, code, message, details);
  }
}
