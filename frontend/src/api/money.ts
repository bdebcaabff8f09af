// Money arrives as decimal strings and is shown as given: never parsed to a float.

const ZERO = /^[+-]?0*(?:\.0*)?$/;

/** True for "0", "0.00", "-0.00", "+000.0" (and ""): a decimal string worth nothing. */
export function isZeroDecimal(value: string | null | undefined): boolean {
  return ZERO.test((value ?? "").trim());
}

/** "12.30 GBP"; the amount untouched. */
export function formatMoney(amount: string, currency?: string): string {
  return currency ? `${amount} ${currency}` : amount;
}
