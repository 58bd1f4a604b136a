// Bodies the JSON parser cannot read are the client's fault: a 4xx with a code, never 500 INTERNAL.
import { retryAfterHeader, toHttpError } from './error-mapping';

/** What body-parser throws (an http-errors error: a status, `expose` for 4xx, and a type when it has one). */
const bodyParserError = (status: number, type?: string) =>
  Object.assign(new Error('from body-parser'), {
    status,
    statusCode: status,
    expose: status < 500,
    ...(type ? { type } : {}),
  });

describe('toHttpError: bodies that cannot be read', () => {
  it.each([
    ['an unknown charset', bodyParserError(415, 'charset.unsupported'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
    [
      'an unknown content-encoding',
      bodyParserError(415, 'encoding.unsupported'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a content-encoding that does not decode (zlib error, no type)',
      bodyParserError(400),
      400,
      'MALFORMED_BODY',
    ],
    ['an aborted request', bodyParserError(400, 'request.aborted'), 400, 'MALFORMED_BODY'],
    ['malformed JSON', bodyParserError(400, 'entity.parse.failed'), 400, 'MALFORMED_JSON'],
  ])('given %s, then the answer is a 4xx with a code', (_what, error, status, code) => {
    const answer = toHttpError(error);
    expect(answer.status).toBe(status);
    expect(answer.body.error.code).toBe(code);
  });

  it('given an unknown failure (no exposed 4xx), then the answer is 500 INTERNAL and says nothing of it', () => {
    expect(toHttpError(new Error('database password is hunter2'))).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL', message: 'something went wrong on our side; try again' } },
    });
    expect(toHttpError(bodyParserError(503)).status).toBe(500);
  });

  it.each([
    [
      'PostgreSQL shutting down (57P01)',
      Object.assign(new Error('terminating connection'), { code: '57P01' }),
    ],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
  ])('given %s, then the answer is 503 UNAVAILABLE with retryAfterMs, not 500', (_what, error) => {
    const answer = toHttpError(error);
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({ code: 'UNAVAILABLE', retryAfterMs: 1_000 });
    expect(retryAfterHeader(answer.body)).toEqual({ 'Retry-After': '1' });
  });
});
