export {
  startRegistryServer,
  REGISTRY_MIGRATIONS,
  type RegistryServerOptions,
  type RunningRegistry,
} from './registry-server';
export {
  compatibilityProblems,
  parseCompatibilityLevel,
  COMPATIBILITY_LEVELS,
  type CompatibilityLevel,
} from './compatibility';
export { parseAvroSchema, type ParsedSchema } from './avro-schema';
export { ERROR_CODES, RegistryError } from './registry-error';
