import { errorFromBody } from './api';

describe('errorFromBody', () => {
  it("given the protocol's error shape, then its code, message and retryAfterMs are kept", () => {
    const error = errorFromBody(429, {
      error: { code: 'RATE_LIMITED', message: 'too many sign-in attempts', retryAfterMs: 1500 },
    });
    expect({ ...error, message: error.message }).toEqual({
      name: 'ApiError',
      status: 429,
      code: 'RATE_LIMITED',
      message: 'too many sign-in attempts',
      retryAfterMs: 1500,
    });
  });

  it("given another body (a proxy's page, nothing), then the status names the error", () => {
    const error = errorFromBody(502, undefined);
    expect([error.code, error.message, error.retryAfterMs]).toEqual([
      'HTTP_502',
      'the server answered 502',
      undefined,
    ]);
  });
});
