import { requirePackage } from "../loading/requirePackage.js";

/**
 * `@aws-sdk/client-s3`, for the sink and the preflight check: loaded by
 * `require` (see requirePackage for why), typed from the package, in one
 * place rather than cast again in every module that sends a command.
 */
export const clientS3 = requirePackage("@aws-sdk/client-s3") as typeof import("@aws-sdk/client-s3");
