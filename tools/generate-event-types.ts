// Writes libs/events/src/generated/event-types.ts from schemas/ (see generateEventTypes).
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { generateEventTypes } from '../libs/events/src/codegen/generate-event-types';
import { loadSchemaHistories } from '../libs/events/src/schema-files';

const target = resolve(__dirname, '../libs/events/src/generated/event-types.ts');
writeFileSync(target, generateEventTypes(loadSchemaHistories()));
console.log(`wrote ${target}`);
