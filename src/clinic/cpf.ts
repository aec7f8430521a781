/**
 * CPF (Cadastro de Pessoas Físicas), the Brazilian individual tax id: 11 digits, the last two are check digits
 * (mod 11). Stored normalised (digits only), shown formatted or masked.
 */
import { usageError } from '../errors.js';

function checkDigit(digits: string): number {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) sum += Number(digits[i]) * (digits.length + 1 - i);
  const rest = (sum * 10) % 11;
  return rest === 10 ? 0 : rest;
}

/** The two check digits for the first nine digits. */
export function cpfCheckDigits(first9: string): string {
  const d1 = checkDigit(first9);
  return `${d1}${checkDigit(first9 + d1)}`;
}

/** 11 digits, not all the same digit (000.000.000-00 passes the arithmetic but is not issued), check digits right. */
export function isValidCpf(text: string): boolean {
  const d = text.replace(/[.\-\s]/g, '');
  if (!/^\d{11}$/.test(d) || /^(\d)\1{10}$/.test(d)) return false;
  return cpfCheckDigits(d.slice(0, 9)) === d.slice(9);
}

/** "123.456.789-09" / "12345678909" → "12345678909"; anything else is a usage error naming the field. */
export function normalizeCpf(text: string, field = 'cpf'): string {
  const raw = text.trim();
  const d = raw.replace(/[.\-\s/]/g, '');
  if (!/^\d+$/.test(d) || d.length !== 11) {
    throw usageError(`${field}: "${raw}" is not a CPF (expected 11 digits, e.g. 123.456.789-09)`, { field, reason: 'cpf-format' });
  }
  if (/^(\d)\1{10}$/.test(d)) {
    throw usageError(`${field}: "${raw}" is not a valid CPF (all digits the same)`, { field, hint: 'check the number on the document', reason: 'cpf-repeated-digits' });
  }
  if (!isValidCpf(d)) {
    throw usageError(`${field}: "${raw}" is not a valid CPF (check digits do not match)`, { field, hint: 'check the number on the document', reason: 'cpf-check-digits' });
  }
  return d;
}

export function formatCpf(digits: string): string {
  return `${digits.slice(0, 3)}.${digits.slice(3, 6)}.${digits.slice(6, 9)}-${digits.slice(9)}`;
}

/** "***.456.789-**": what lists show. */
export function maskCpf(digits: string): string {
  return `***.${digits.slice(3, 6)}.${digits.slice(6, 9)}-**`;
}

/** A valid CPF from a number (demo data, tests): the same n gives the same CPF. */
export function generateCpf(n: number): string {
  const first9 = String(Math.abs(Math.trunc(n)) % 1e9).padStart(9, '0');
  const cpf = first9 + cpfCheckDigits(first9);
  return isValidCpf(cpf) ? cpf : generateCpf(n + 1);
}
