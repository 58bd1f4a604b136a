// Writes libs/events/src/generated/event-types.ts from schemas/ (see generateEventTypes).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateEventTypes, loadSchemaHistories } from '@parley/events';

const target = resolve(__dirname, '../libs/events/src/generated/event-types.ts');
writeFileSync(target, generateEventTypes(loadSchemaHistories()));
console.log(`wrote ${target}`);
