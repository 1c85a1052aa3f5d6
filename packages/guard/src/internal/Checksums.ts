/**
 * Checksums that separate real identifiers from digit runs of the same shape: Luhn (payment
 * cards), ISO 13616 mod-97 (IBANs) and the SSA rules for US social security numbers.
 */

/** The Luhn checksum over a string of ASCII digits. */
export const luhn = (digits: string): boolean => {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (d < 0 || d > 9) return false
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return digits.length > 0 && sum % 10 === 0
}

/** ISO 13616 mod-97 over a compact (no spaces) upper-case IBAN. */
export const ibanChecksum = (iban: string): boolean => {
  if (iban.length < 15 || iban.length > 34) return false
  let rem = 0
  for (let k = 0; k < iban.length; k++) {
    const ch = iban.charCodeAt((k + 4) % iban.length)
    if (ch >= 48 && ch <= 57) rem = (rem * 10 + (ch - 48)) % 97
    else if (ch >= 65 && ch <= 90) rem = (rem * 100 + (ch - 55)) % 97
    else return false
  }
  return rem === 1
}

/** IBAN length per country (ISO 13616 registry), for the countries whose banks issue them. */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MR: 27,
  MT: 31,
  MU: 30,
  NL: 18,
  NO: 15,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  SA: 24,
  SC: 31,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20
}

/**
 * US SSN validity (SSA rules as Presidio applies them): area not 000, 666 or 9xx; group not 00;
 * serial not 0000; not one repeated digit; not the well-known advertising/sample numbers.
 */
export const ssnValid = (digits: string): boolean => {
  if (digits.length !== 9) return false
  const area = digits.slice(0, 3)
  if (area === "000" || area === "666" || area[0] === "9") return false
  if (digits.slice(3, 5) === "00" || digits.slice(5) === "0000") return false
  if (/^(\d)\1{8}$/.test(digits)) return false
  return !(digits === "123456789" || digits === "078051120" || digits === "219099999")
}

/** The ASCII digits of `s`. */
export const digitsOf = (s: string): string => s.replace(/\D/g, "")
