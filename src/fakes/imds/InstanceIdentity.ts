/** The fixed facts about the pretend instance that IMDS documents are built from. */
export interface InstanceIdentity {
  readonly instanceId: string;
  readonly region: string;
  readonly availabilityZone: string;
  readonly accountId: string;
  /** Undefined: no instance profile attached. */
  readonly role: string | undefined;
  readonly imageId: string;
  readonly instanceType: string;
  readonly architecture: string;
  readonly privateIp: string;
  /** Launch time: the identity document's `pendingTime` and the `Last-Modified` of static documents. */
  readonly launchedAt: Date;
}
