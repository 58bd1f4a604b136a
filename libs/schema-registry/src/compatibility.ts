import type avro from 'avsc';
import { ERROR_CODES, RegistryError } from './registry-error';

export const COMPATIBILITY_LEVELS = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

export function parseCompatibilityLevel(value: unknown): CompatibilityLevel {
  const level = typeof value === 'string' ? value.toUpperCase() : value;
  if (!COMPATIBILITY_LEVELS.includes(level as CompatibilityLevel)) {
    throw new RegistryError(
      ERROR_CODES.invalidCompatibilityLevel,
      `Invalid compatibility level ${JSON.stringify(value)}; one of ${COMPATIBILITY_LEVELS.join(', ')}.`,
    );
  }
  return level as CompatibilityLevel;
}

/** Why `reader` cannot read data written with `writer` (undefined when it can). */
function readProblem(reader: avro.Type, writer: avro.Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * Pure compatibility rule. BACKWARD: the new schema reads data written with the old one (consumers
 * upgrade first). FORWARD: the old schema reads data written with the new one (producers upgrade
 * first). FULL: both. Plain levels check the latest version only, *_TRANSITIVE every earlier one.
 * Returns the problems found; an empty list means compatible.
 */
export function compatibilityProblems(
  level: CompatibilityLevel,
  candidate: avro.Type,
  previousOldestFirst: readonly avro.Type[],
): string[] {
  if (level === 'NONE' || previousOldestFirst.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? previousOldestFirst : previousOldestFirst.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const problems: string[] = [];
  const firstVersion = previousOldestFirst.length - against.length + 1;
  against.forEach((old, i) => {
    const version = firstVersion + i;
    const back = backward ? readProblem(candidate, old) : undefined;
    if (back) problems.push(`new schema cannot read data written with version ${version}: ${back}`);
    const fwd = forward ? readProblem(old, candidate) : undefined;
    if (fwd) problems.push(`version ${version} cannot read data written with the new schema: ${fwd}`);
  });
  return problems;
}
