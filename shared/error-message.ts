/** The text of a caught value: an Error's message, anything else as a string (a thrown string, a rejected value). */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
