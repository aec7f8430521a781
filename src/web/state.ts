/** What the views share: the patient on screen (with the ETag its edits go with) and the agenda's day. */
import type { Patient } from './api-types.js';
import { clinicToday } from './format.js';

export interface OpenRecord {
  patient: Patient;
  etag: string;
}

/**
 * The calls of one loader, numbered so that an answer coming after a newer call's is dropped (on a slow link the
 * day, search or record asked for last stays on screen). `next()` starts a call, `same()` continues the current
 * one (the next page of the same search); each gives a check of whether that call is still the latest.
 */
export function latestCalls(): { next(): () => boolean; same(): () => boolean } {
  let n = 0;
  const ticket = (mine: number) => () => mine === n;
  return { next: () => ticket(++n), same: () => ticket(n) };
}

export const state = {
  /** the patient on screen, if any */
  current: null as OpenRecord | null,
  /** a patient just added here, with the ETag of its creation: opened without reading it again (a new record has no appointments) */
  created: null as OpenRecord | null,
  /** the day the agenda shows */
  agendaDay: clinicToday(),
};
