// The journey layer: scenarios that need both sides (lab servers + client sessions).
// It may import engine/, lab/ and protocol/; the lab itself imports no engine code.
export type {JourneyEvent, JourneyLab, JourneyOptions, JourneySide, JourneyTrace, RelayState, SubmissionPort} from './journey.js';
export {JourneyRelay, journeyReceiverUsers, journeySenderUsers, startJourneyLab, submissionPorts} from './journey.js';
export type {JourneyLegSession, LegIndex, Position, Retrieval, StepResult} from './run.js';
export {JourneyRun, isRetrieval, retrievals} from './run.js';
export type {AuthCheck, AuthReport, CheckName, DkimKey, Lookup} from './auth.js';
export {resultLine, verifyMessage} from './auth.js';
export type {AuthFaultName, AuthFaultText} from './auth-faults.js';
export {authFaultNames, authFaultText} from './auth-faults.js';
export type {Bounce, BounceFacts} from './dsn.js';
export {buildBounce} from './dsn.js';
