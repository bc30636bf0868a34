// Poison records: a record that stops the processor again and again (a crash, or a throw inside the
// engine) is dead-lettered after a bounded number of attempts instead of crash-looping the partition.
// Rules (pure decisions; partitions.ts and processor.ts carry them out):
// - The count lives in Kafka, in the partition's commit metadata (`tries`), so it survives a restart:
//   after every restore, before the first record past `upto`, a marker commit (the checkpoint at
//   that record, tries + 1) says "an attempt at the records from here on has started". A checkpoint
//   that moves `upto` further clears it: that attempt got past something.
// - Attempts below the bound run in batches, as always. The attempt that reaches the bound runs
//   record by record, each record committed (still marked) before the next is ingested, until the
//   partition has caught up; so when the processor stops during it, the record at `upto` was the
//   one being processed, and the next restore dead-letters it (reason `poison`) without ingesting.
// - What it costs: a record that stops the processor is seen by the run that first met it and
//   by maxRecordAttempts more; a stop for another reason (an operator's kill) during the
//   record-by-record attempt dead-letters an innocent record, which is why that attempt comes last.

/** What a partition's attempt after a restore does, from the attempts its commit metadata counts. */
export interface AttemptPlan {
  /** The count the marker commit carries (this attempt included). */
  tries: number;
  /** 'single': one record at a time, each committed before the next. */
  mode: 'batch' | 'single';
  /** The record at `upto` stopped the record-by-record attempt: dead-letter it, do not ingest it. */
  poison: boolean;
}

export function planAttempt(tries: number, maxAttempts: number): AttemptPlan {
  if (tries >= maxAttempts) return { tries: maxAttempts, mode: 'single', poison: true };
  const next = tries + 1;
  return { tries: next, mode: next >= maxAttempts ? 'single' : 'batch', poison: false };
}

/** The dead letter's reason for a poison record. */
export function poisonReason(tries: number, maxAttempts: number): string {
  return `poison: the processor stopped ${tries} times while processing records from this one on, the last time with this record alone (processor.maxRecordAttempts ${maxAttempts})`;
}
