/** A key template that cannot be used; the message says what is wrong and starts with "expected" (a config-error reason). */
export class KeyTemplateError extends Error {
  override readonly name = "KeyTemplateError";
}
