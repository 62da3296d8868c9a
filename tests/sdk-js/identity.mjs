// GetCallerIdentity through the AWS SDK for JavaScript v3, as an independent reader of the
// credentials rolecall hands out: `node identity.mjs ini PROFILE` resolves the profile of the
// shared files with `fromIni` (its credential_process included); `node identity.mjs chain` uses
// the SDK's default chain (environment, profiles, then the container endpoint). Prints the ARN;
// on failure, the SDK's error on stderr and exit 1. The endpoint and region come from the
// environment (AWS_ENDPOINT_URL, AWS_REGION), as for any SDK user.
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { fromIni } from "@aws-sdk/credential-providers";

const [how, profile] = process.argv.slice(2);
const credentials = how === "ini" ? fromIni({ profile }) : undefined;
try {
  const sts = new STSClient({ credentials });
  const out = await sts.send(new GetCallerIdentityCommand({}));
  console.log(out.Arn);
} catch (e) {
  console.error(`${e.name}: ${e.message}`);
  process.exit(1);
}
