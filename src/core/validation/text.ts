import { z } from 'zod';

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** C0 controls but tab, line feed and carriage return; DEL; C1 controls (matching them is the point). */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

/**
 * Free text a person writes (a reason, a title): trimmed, at most `max` characters, no
 * control characters (PostgreSQL cannot store NUL) and well-formed Unicode (a lone
 * surrogate would be stored as U+FFFD, not as sent).
 */
export function plainText(max: number, min = 1) {
  return z
    .string()
    .trim()
    .min(min, `at least ${min} character${min === 1 ? '' : 's'}`)
    .max(max, `at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (no lone surrogates)');
}
