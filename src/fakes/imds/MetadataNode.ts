/**
 * The IMDS namespace as a tree: directories answer with a listing, leaves with a document.
 * `lastModified` feeds the `Last-Modified` header where the document has a natural one.
 */
export type MetadataNode = MetadataDirectory | MetadataLeaf;

export interface MetadataDirectory {
  readonly kind: "directory";
  readonly children: ReadonlyMap<string, MetadataNode>;
}

export interface MetadataLeaf {
  readonly kind: "leaf";
  readonly body: string;
  readonly lastModified?: Date;
}

export function leaf(body: string, lastModified?: Date): MetadataLeaf {
  return lastModified === undefined ? { kind: "leaf", body } : { kind: "leaf", body, lastModified };
}

/**
 * A directory of the entries that exist. An entry given as undefined, or a sub-directory left
 * empty, is absent: EC2 shows a category such as `spot/` only while it has something in it.
 */
export function directory(entries: Record<string, MetadataNode | undefined>): MetadataDirectory {
  const children = new Map<string, MetadataNode>();
  for (const [name, node] of Object.entries(entries)) {
    if (node === undefined || (node.kind === "directory" && node.children.size === 0)) continue;
    children.set(name, node);
  }
  return { kind: "directory", children };
}

/**
 * Walks the path segments. Empty segments are ignored, so `iam/security-credentials/` (what both
 * SDKs request) and `placement/availability-zone/` (what botocore requests) resolve like their
 * slash-less forms.
 */
export function resolveNode(root: MetadataNode, segments: readonly string[]): MetadataNode | undefined {
  let node: MetadataNode | undefined = root;
  for (const segment of segments) {
    if (segment === "") continue;
    node = node?.kind === "directory" ? node.children.get(segment) : undefined;
  }
  return node;
}

/**
 * Child names one per line, sub-directories with a trailing slash, and no final newline:
 * botocore uses the `security-credentials/` body verbatim as the role name in the next URL.
 */
export function listing(node: MetadataDirectory): string {
  return [...node.children].map(([name, child]) => (child.kind === "directory" ? `${name}/` : name)).join("\n");
}
