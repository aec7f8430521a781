/**
 * What the CSV readers (patients import, the images manifest) say about files they cannot read: a quote left
 * open is named where it opens, and a workbook or other binary file under a .csv name is told to be saved as
 * CSV — not the parser's "Invalid Opening Quote" or the file's last line.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeCsv, parsePatientCsv } from '../../src/clinic/import.js';
import { notCsvText, unclosedQuoteLine } from '../../src/csv.js';
import { oneLine } from '../../src/errors.js';
import { countEntries, manifestSource } from '../../src/imaging/bulk.js';

const rows = (n: number) => Array.from({ length: n }, (_, i) => `Paciente ${i};01/01/1990;+55 11 90000-${String(i).padStart(4, '0')}`);

/** A zip's first bytes (an .xlsx is a zip), then binary noise with NULs. */
const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), Buffer.from('[Content_Types].xml'), Buffer.alloc(64)]);
const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(64)]);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('a CSV with a quote that never closes', () => {
  it('is reported at the line where the quote opens, not at the end of the file', () => {
    const text = ['nome;nascimento;telefone', ...rows(3), '"Maria; Souza";02/02/1980;+55 11 90000-9999', '"Ana Souza;03/03/1970;+55 11 90000-8888', ...rows(20)].join('\n');
    const err = thrown(() => parsePatientCsv(text, 'pacientes.csv'));
    // csv-parse itself names the file's last line, where it ran out of text
    expect(oneLine(err)).toBe('pacientes.csv, line 6: a quote (") opens a field there and is never closed — close the quote or remove it; a quote inside a quoted field is written twice ("")');
  });

  it('knows closed, doubled and multi-line quotes from an open one', () => {
    expect(unclosedQuoteLine('a;"b ""c"" d";e\n"multi\nline";x\n', ';')).toBeUndefined();
    expect(unclosedQuoteLine('a,b\nc, "d\ne,f\n', ',')).toBe(2);
  });

  it('in an images manifest, is named where it opens too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clinica-csv-'));
    const manifest = join(dir, 'manifest.csv');
    await writeFile(manifest, ['file,patient', 'a.jpg,P-000001', '"b.jpg,P-000001', ...Array.from({ length: 10 }, (_, i) => `c${i}.jpg,P-000001`)].join('\n'));
    const err = await countEntries(manifestSource(manifest, dir)).catch((e: unknown) => e);
    expect(oneLine(err)).toMatch(/^manifest\.csv, line 3: a quote \("\) opens a field there and is never closed/);
  });
});

describe('a file named .csv that is not one', () => {
  it.each([
    ['an Excel workbook', xlsx, 'it is an Excel workbook (.xlsx) or another zip file'],
    ['an old Excel workbook', xls, 'it is an Excel 97–2003 workbook (.xls)'],
    ['UTF-16 text', Buffer.from('\ufeffnome;cpf\n', 'utf16le'), 'it is UTF-16 text'],
    ['a binary file', Buffer.from([0x01, 0x02, 0x00, 0x41, 0x42]), 'it is a binary file'],
  ])('%s: "not a CSV — in Excel, Salvar como → CSV"', (_, bytes, kind) => {
    const line = oneLine(notCsvText(bytes, 'pacientes.csv'));
    expect(line.startsWith(`pacientes.csv: not a CSV (${kind}`)).toBe(true);
    expect(line).toContain(') — in Excel, Salvar como → CSV');
    const err = notCsvText(bytes, 'pacientes.csv');
    expect(err?.exitCode).toBe(2);
  });

  it('text in UTF-8 or Windows-1252 is CSV text', () => {
    expect(notCsvText(Buffer.from('nome;cpf\nJoão;123\n'), 'a.csv')).toBeUndefined();
    expect(notCsvText(Buffer.from('nome;cpf\nJo\xe3o;123\n', 'latin1'), 'a.csv')).toBeUndefined();
    expect(decodeCsv(Buffer.from('nome\n')).encoding).toBe('utf-8');
  });

  it('as an images manifest, says the same', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clinica-csv-'));
    await writeFile(join(dir, 'manifest.csv'), xlsx);
    const err = await countEntries(manifestSource(join(dir, 'manifest.csv'), dir)).catch((e: unknown) => e);
    expect(oneLine(err)).toMatch(/^manifest\.csv: not a CSV \(it is an Excel workbook .*\) — in Excel, Salvar como → CSV/);
  });
});
