// The shipped lessons. To add one, write a JSON file in data/ and list it here.
import fourPorts from './data/1-four-ports.json' with {type: 'json'};
import relayVsSubmission from './data/2-relay-vs-submission.json' with {type: 'json'};
import starttls from './data/3-starttls.json' with {type: 'json'};
import authDecoded from './data/4-auth-decoded.json' with {type: 'json'};
import implicitVsStarttls from './data/5-implicit-vs-starttls.json' with {type: 'json'};
import whenThingsGoWrong from './data/6-when-things-go-wrong.json' with {type: 'json'};
import attacks from './data/7-attacks.json' with {type: 'json'};
import dnsAndMx from './data/8-dns-and-mx.json' with {type: 'json'};
import spfDkimDmarc from './data/9-spf-dkim-dmarc.json' with {type: 'json'};
import bouncesAndDsn from './data/10-bounces-and-dsn.json' with {type: 'json'};
import type {Lesson} from './lesson.js';

export const lessons: Lesson[] = [fourPorts, relayVsSubmission, starttls, authDecoded, implicitVsStarttls, whenThingsGoWrong, attacks, dnsAndMx, spfDkimDmarc, bouncesAndDsn] as Lesson[];

export function findLesson(name: string): Lesson | undefined {
	const wanted = name.trim().toLowerCase();
	const byNumber = /^\d+$/.test(wanted) ? lessons[Number(wanted) - 1] : undefined;
	return byNumber ?? lessons.find(lesson => lesson.name === wanted);
}
