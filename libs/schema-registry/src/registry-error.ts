/** Confluent's error codes; clients branch on `error_code`, so they are kept exactly. */
export const ERROR_CODES = {
  subjectNotFound: 40401,
  versionNotFound: 40402,
  schemaNotFound: 40403,
  subjectLevelNotConfigured: 40408,
  incompatibleSchema: 409,
  invalidSchema: 42201,
  invalidVersion: 42202,
  invalidCompatibilityLevel: 42203,
  malformedRequest: 400,
  storeError: 50001,
} as const;

export class RegistryError extends Error {
  constructor(
    readonly errorCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RegistryError';
  }

  /** Five-digit codes carry their HTTP status in the first three digits; three-digit codes are the status. */
  get httpStatus(): number {
    return this.errorCode >= 1000 ? Math.floor(this.errorCode / 100) : this.errorCode;
  }
}

export const subjectNotFound = (subject: string) =>
  new RegistryError(ERROR_CODES.subjectNotFound, `Subject '${subject}' not found.`);
export const versionNotFound = (subject: string, version: string | number) =>
  new RegistryError(ERROR_CODES.versionNotFound, `Version ${version} not found for subject '${subject}'.`);
