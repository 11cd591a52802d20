/**
 * IMDS served the role's credentials document with a `Code` other than
 * `Success` and no keys: EC2 could not get credentials for the role
 * (AssumeRoleUnauthorizedAccess: its trust policy does not let
 * ec2.amazonaws.com assume it). The SDK's provider reports only "Invalid
 * response"; the code is what the operator needs.
 */
export class RoleCredentialsRefusedError extends Error {
  override readonly name = "RoleCredentialsRefusedError";

  constructor(readonly refusal: string) {
    super(`the role's credentials document says ${refusal}`);
  }
}
