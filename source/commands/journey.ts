// `smtp-tui journey`: its flags → the journey's options. The journey itself runs in the TUI
// (ui/start.tsx); a bad value here is a usage error (exit 2), one sentence, before anything starts.
import {authFaultNames, type AuthFaultName} from '../journey/auth-faults.js';
import {isRetrieval, retrievals, type Retrieval} from '../journey/run.js';
import {UsageError} from '../setup/target.js';

export type JourneyFlags = {authFault?: string[]; retrieval?: string};

export type JourneyOptions = {
	authFaults: AuthFaultName[];
	/** How leg 3 reads bob's mailbox at first: POP3 on 995 or IMAP on 993. */
	retrieval: Retrieval;
};

export function journeyOptions(flags: JourneyFlags): JourneyOptions {
	const authFaults = flags.authFault ?? [];
	const unknownFault = authFaults.find(name => !(authFaultNames as string[]).includes(name));
	if (unknownFault !== undefined) throw new UsageError(`the journey has no authentication fault "${unknownFault}"; it has ${authFaultNames.join(', ')}.`);
	const retrieval = (flags.retrieval ?? 'pop3').toLowerCase();
	if (!isRetrieval(retrieval)) throw new UsageError(`--retrieval must be ${retrievals.join(' or ')} (how bob's mail program reads his mailbox in leg 3), not "${flags.retrieval}".`);
	return {authFaults: authFaults as AuthFaultName[], retrieval};
}
