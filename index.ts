// The Pulumi program for one domain's stack (`pulumi up --stack <name>`); see components/program.ts.
// Its stack outputs (README "Stack outputs"): domain, records and warnings, and each record family's
// own: provider and zoneId (dns), dkimSelectors and the secret signingKeys (dkim), ...
import { senderAuthProgram, stackOutputs } from "./components/program";

export = stackOutputs(senderAuthProgram());
