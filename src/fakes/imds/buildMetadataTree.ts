import { formatImdsTimestamp } from "./formatImdsTimestamp.js";
import type { InstanceIdentity } from "./InstanceIdentity.js";
import type { LifecycleNotices } from "./LifecycleNotices.js";
import { type MetadataNode, directory, leaf } from "./MetadataNode.js";
import type { ServedCredential } from "./ServedCredential.js";

/** EC2 pretty-prints its JSON documents and serves them as text/plain. */
function json(document: object, lastModified?: Date): MetadataNode {
  return leaf(JSON.stringify(document, null, 2), lastModified);
}

/** Stable per instance, shaped like a real instance-profile id (`AIPA` + 17 characters). */
function instanceProfileId(identity: InstanceIdentity): string {
  const digits = identity.instanceId.replace(/^i-/, "").toUpperCase().replace(/[^A-Z0-9]/g, "");
  return `AIPA${digits.padEnd(17, "0").slice(0, 17)}`;
}

/**
 * `meta-data/iam/`: the instance profile and its role's current credentials; or, with
 * `refusal`, the document EC2 serves (HTTP 200) when it cannot get them, e.g. a role whose
 * trust policy does not let EC2 assume it: a `Code` other than `Success`, a `Message`, no keys.
 */
function iamDirectory(identity: InstanceIdentity, role: string, credential: ServedCredential, refusal: string | undefined): MetadataNode {
  const credentialsDocument =
    refusal === undefined
      ? {
          Code: "Success",
          LastUpdated: formatImdsTimestamp(credential.lastUpdated),
          Type: "AWS-HMAC",
          AccessKeyId: credential.accessKeyId,
          SecretAccessKey: credential.secretAccessKey,
          Token: credential.sessionToken,
          Expiration: formatImdsTimestamp(credential.expiration),
        }
      : {
          Code: refusal,
          Message: `EC2 cannot assume the role ${role}. Please see documentation at https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html#troubleshoot_roles_ec2-role-trust.`,
          LastUpdated: formatImdsTimestamp(credential.lastUpdated),
        };
  return directory({
    info: json(
      {
        Code: "Success",
        LastUpdated: formatImdsTimestamp(credential.lastUpdated),
        InstanceProfileArn: `arn:aws:iam::${identity.accountId}:instance-profile/${role}`,
        InstanceProfileId: instanceProfileId(identity),
      },
      credential.lastUpdated,
    ),
    "security-credentials": directory({
      [role]: json(credentialsDocument, credential.lastUpdated),
    }),
  });
}

/**
 * The namespace served under `/latest/`, built from the current state for each request.
 * Only what the product, the SDKs and the lifecycle feature read is modelled; the IMDS-2.1
 * `security-credentials-extended/` path is deliberately absent, so clients that probe it
 * get the 404 that makes them fall back to the legacy path.
 */
export function buildMetadataTree(
  identity: InstanceIdentity,
  credential: ServedCredential,
  notices: LifecycleNotices,
  roleRefusal?: string,
): MetadataNode {
  const launched = identity.launchedAt;
  const spot = notices.spot;
  const rebalance = notices.rebalanceNoticeTime;
  const metaData = directory({
    "ami-id": leaf(identity.imageId, launched),
    autoscaling: directory({ "target-lifecycle-state": leaf(notices.targetLifecycleState) }),
    events: directory({
      recommendations: directory({
        rebalance: rebalance && json({ noticeTime: formatImdsTimestamp(rebalance) }, rebalance),
      }),
    }),
    // EC2 shows `iam/` only while an instance profile is attached.
    iam: identity.role === undefined ? undefined : iamDirectory(identity, identity.role, credential, roleRefusal),
    "instance-id": leaf(identity.instanceId, launched),
    "instance-type": leaf(identity.instanceType, launched),
    "local-ipv4": leaf(identity.privateIp, launched),
    placement: directory({
      "availability-zone": leaf(identity.availabilityZone, launched),
      region: leaf(identity.region, launched),
    }),
    spot: directory({
      "instance-action": spot && json({ action: spot.action, time: formatImdsTimestamp(spot.time) }),
    }),
  });
  const identityDocument = {
    accountId: identity.accountId,
    architecture: identity.architecture,
    availabilityZone: identity.availabilityZone,
    billingProducts: null,
    devpayProductCodes: null,
    marketplaceProductCodes: null,
    imageId: identity.imageId,
    instanceId: identity.instanceId,
    instanceType: identity.instanceType,
    kernelId: null,
    pendingTime: formatImdsTimestamp(launched),
    privateIp: identity.privateIp,
    ramdiskId: null,
    region: identity.region,
    version: "2017-09-30",
  };
  const dynamic = directory({
    "instance-identity": directory({ document: json(identityDocument, launched) }),
  });
  return directory({ latest: directory({ dynamic, "meta-data": metaData }) });
}
