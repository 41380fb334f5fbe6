// Types for emailjs-imap-handler 3.0.6 (the package ships none): just the parser, as used by
// protocol/imap.ts. A node is an ATOM, STRING, LITERAL, SEQUENCE or TEXT; a list is an array;
// NIL is null. With `valueAsString: false` STRING and LITERAL values are Uint8Arrays.
declare module 'emailjs-imap-handler' {
	export type RawImapNode = RawImapElement | RawImapNode[] | null;
	export type RawImapElement = {
		type: 'ATOM' | 'STRING' | 'LITERAL' | 'SEQUENCE' | 'TEXT' | 'NUMBER';
		value: string | Uint8Array;
		section?: RawImapNode[];
		partial?: number[];
	};
	export type RawImapLine = {tag: string; command: string; attributes?: RawImapNode[]};
	const handler: {
		parser(command: Uint8Array, options?: {valueAsString?: boolean}): RawImapLine;
	};
	export default handler;
}
