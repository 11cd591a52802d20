/** What tools that map keys to paths (or print them) trip over, in a key's own text; objectKey replaces it in values. */
export const UNSAFE_KEY_TEXT = /[\\\u0000-\u001f\u007f-\u009f]/;
