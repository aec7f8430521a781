/**
 * What the CSV readers (patients import, the images manifest) say about a file that is not a CSV they can read,
 * in the clinic's words rather than the parser's: a workbook or other binary file saved under a .csv name, and
 * a quote left open — named at the line where it opens, not at the end of the file where the parser gave up.
 */
import { usageError, type ClinicaError } from './errors.js';

const SAVE_AS_CSV = 'in Excel, Salvar como → CSV (separado por vírgulas) and use that file';

/** What a file's first bytes say it is, when it is no text at all. */
function binaryKind(head: Uint8Array): string | undefined {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'an Excel workbook (.xlsx) or another zip file';
  if (starts(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1)) return 'an Excel 97–2003 workbook (.xls)';
  if (starts(0x25, 0x50, 0x44, 0x46)) return 'a PDF';
  // UTF-16 text (Excel's "Unicode text") has a NUL beside every ASCII letter, like any binary file
  if (starts(0xff, 0xfe) || starts(0xfe, 0xff)) return 'UTF-16 text ("Texto Unicode")';
  if (head.includes(0)) return 'a binary file';
  return undefined;
}

/** A usage error when `head` (the file's first bytes; a few KB are enough) is not CSV text, else undefined. */
export function notCsvText(head: Uint8Array, file: string): ClinicaError | undefined {
  const kind = binaryKind(head.subarray(0, 8192));
  if (!kind) return undefined;
  return usageError(`${file}: not a CSV (it is ${kind})`, { field: 'file', hint: SAVE_AS_CSV });
}

/**
 * The line where a quoted field opens and never closes (RFC 4180: a quote opens a field only at its start, and
 * a doubled quote inside it is a literal one), or undefined when every quote closes.
 */
export function unclosedQuoteLine(text: string, delimiter: string): number | undefined {
  let line = 1;
  let openedAt: number | undefined;
  let fieldStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (openedAt !== undefined) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else openedAt = undefined;
      } else if (c === '\n') line++;
      continue;
    }
    if (c === '"' && fieldStart) {
      openedAt = line;
      fieldStart = false;
      continue;
    }
    if (c === '\n') {
      line++;
      fieldStart = true;
      continue;
    }
    // spaces before a quote are trimmed by the readers (trim: true), so the field has still not started
    fieldStart = c === delimiter || (fieldStart && (c === ' ' || c === '\t' || c === '\r'));
  }
  return openedAt;
}

/**
 * The parser's error in the clinic's words: a quote that never closes is named where it opens (csv-parse
 * reports the file's last line); anything else keeps the parser's own first line and its line number.
 */
export function csvParseError(err: unknown, text: string | undefined, delimiter: string, file: string): ClinicaError {
  const code = (err as { code?: string }).code;
  const opened = code === 'CSV_QUOTE_NOT_CLOSED' && text !== undefined ? unclosedQuoteLine(text, delimiter) : undefined;
  if (opened !== undefined) {
    return usageError(`${file}, line ${opened}: a quote (") opens a field there and is never closed`, {
      field: 'file',
      hint: 'close the quote or remove it; a quote inside a quoted field is written twice ("")',
      cause: err,
    });
  }
  const line = (err as { lines?: number }).lines;
  return usageError(`${file}${line ? `, line ${line}` : ''}: not readable as CSV (${(err as Error).message.split('\n')[0]})`, { field: 'file', cause: err });
}
