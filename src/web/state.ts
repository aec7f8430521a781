/** What the views share: the patient on screen (with the ETag its edits go with) and the agenda's day. */
import type { Patient } from './api-types.js';
import { clinicToday } from './format.js';

export interface OpenRecord {
  patient: Patient;
  etag: string;
}

export const state = {
  /** the patient on screen, if any */
  current: null as OpenRecord | null,
  /** a patient just added here, with the ETag of its creation: opened without reading it again (a new record has no appointments) */
  created: null as OpenRecord | null,
  /** the day the agenda shows */
  agendaDay: clinicToday(),
};
