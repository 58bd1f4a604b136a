/**
 * Subjects follow Confluent's TopicRecordNameStrategy (`<topic>-<record full name>`): one topic holds
 * several event types, and each type evolves under its own compatibility check.
 * The unprefixed topic name is used so that every environment shares one set of schema ids.
 */
export function subjectFor(topic: string, fullName: string): string {
  return `${topic}-${fullName}`;
}
