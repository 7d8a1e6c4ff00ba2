import { checkRequestShape, MULTIPART_OVERHEAD_BYTES } from './request-shape.guard.js';

describe('checkRequestShape', () => {
  const upload = { field: 'file', ceiling: 'upload' as const };
  const ceiling = 1000;

  it.each<[string, Record<string, string>, boolean, number | null, RegExp | null]>([
    ['a GET without a body', {}, false, null, null],
    ['an empty POST with no type', { 'content-length': '0' }, false, null, null],
    ['JSON to a JSON route', { 'content-length': '10', 'content-type': 'application/json' }, false, null, null],
    ['JSON with a charset', { 'content-length': '10', 'content-type': 'Application/JSON; charset=utf-8' }, false, null, null],
    ['chunked JSON', { 'transfer-encoding': 'chunked', 'content-type': 'application/json' }, false, null, null],
    ['text to a JSON route', { 'content-length': '10', 'content-type': 'text/plain' }, false, 415, /takes JSON.*\(got text\/plain\)/],
    ['a body without a type', { 'content-length': '10' }, false, 415, /\(got no Content-Type\)/],
    ['chunked multipart to a JSON route', { 'transfer-encoding': 'chunked', 'content-type': 'multipart/form-data; boundary=x' }, false, 415, /application\/json/],
    ['multipart to an upload route', { 'content-length': '10', 'content-type': 'multipart/form-data; boundary=x' }, true, null, null],
    ['an upload route without a body (the handler says the file is missing)', {}, true, null, null],
    ['JSON to an upload route', { 'content-length': '10', 'content-type': 'application/json' }, true, 415, /multipart\/form-data with the file in the field "file"/],
    ['an announced upload just within the ceiling and framing', { 'content-length': String(ceiling + MULTIPART_OVERHEAD_BYTES), 'content-type': 'multipart/form-data; boundary=x' }, true, null, null],
    ['an announced upload over the ceiling', { 'content-length': String(ceiling + MULTIPART_OVERHEAD_BYTES + 1), 'content-type': 'multipart/form-data; boundary=x' }, true, 413, /too large: \d+ bytes, and this server accepts files of at most 1000 bytes/],
  ])('%s', (_name, headers, isUpload, status, message) => {
    const problem = checkRequestShape(headers, isUpload ? upload : undefined, ceiling);
    expect(problem?.status ?? null).toBe(status);
    if (message) expect(problem?.message).toMatch(message);
  });

  it.each<[string, Record<string, string>, number | null]>([
    ["a web form's fields", { 'content-length': '10', 'content-type': 'application/x-www-form-urlencoded' }, null],
    ['an empty form post', { 'content-length': '0' }, null],
    ['JSON to a form route', { 'content-length': '10', 'content-type': 'application/json' }, 415],
    ['multipart to a form route', { 'content-length': '10', 'content-type': 'multipart/form-data; boundary=x' }, 415],
  ])('a form route: %s', (_name, headers, status) => {
    expect(checkRequestShape(headers, undefined, ceiling, true)?.status ?? null).toBe(status);
  });

  it('refuses form fields on a JSON route', () => {
    expect(checkRequestShape({ 'content-length': '10', 'content-type': 'application/x-www-form-urlencoded' }, undefined, ceiling)?.status).toBe(415);
  });
});
