export { waitFor } from './wait-for';
export {
  createTestWorld,
  stackEnv,
  randomName,
  databaseUrlFor,
  type TestWorld,
  type StackEnv,
} from './test-world';
