const META_PREFIX = "x-amz-meta-";

/** The `x-amz-meta-*` headers of a request, keyed by the lower-case name after the prefix. */
export function userMetadata(headers: Readonly<Record<string, string>>): Record<string, string> {
  // fromEntries defines own properties, so even a `x-amz-meta-__proto__` stays plain data.
  return Object.fromEntries(
    Object.entries(headers)
      .filter(([name]) => name.startsWith(META_PREFIX) && name.length > META_PREFIX.length)
      .map(([name, value]) => [name.slice(META_PREFIX.length), value]),
  );
}
