import { InvalidArgumentError } from 'commander';

/** Commander option parser: a refused value is a usage error, reported with the command's help. */
export const wholeNumber = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
  return Number(value);
};

/** Commander option parser for repeatable options. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** Commander option parser for repeatable whole-number options. */
export const collectWholeNumbers = (value: string, previous: number[] = []): number[] => [
  ...previous,
  wholeNumber(value),
];
