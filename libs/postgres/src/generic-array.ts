/**
 * An array parameter (`$1::text[]`) wrapped so that the planner cannot see its length. With the
 * length in view, PostgreSQL's plan cache finds a plan for this one batch cheaper than the statement's
 * generic plan (which assumes 10 elements) and plans the statement afresh at every execution; at
 * everyday rates, where every batch is one element, that planning cost more CPU than running the
 * statements (docs/decisions.md, "Generic plans"). Behind a scalar sub-select every plan assumes the
 * same length, so after its five trial runs PostgreSQL keeps the generic plan. The value is the same.
 */
export const genericArray = (param: string): string => `(SELECT ${param})`;
