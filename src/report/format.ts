/** The output formats of every command (`-F`): an aligned table for people; JSON, JSON lines and Zeek-style TSV for machines. */
export const FORMATS = ['table', 'json', 'jsonl', 'tsv'] as const;
export type Format = (typeof FORMATS)[number];
