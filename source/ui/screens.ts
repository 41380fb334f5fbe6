// The screens reached by a start (a lab, a session, a comparison: launch() in
// use-app-navigation.ts), each loaded when first shown, so the first frame loads only the
// start screen and the port picker (time to first frame, see the readme's benchmarks). A
// screen's module is loaded before the app switches to it (use-app-navigation.ts waits,
// keys held meanwhile), so by the time a screen is drawn its component is here. The port
// picker, opened at once by a key with nothing to start, stays in the first frame's code:
// that change of screen never waits.
import type {Screen} from './app-state.js';

type LazyModule<T> = {
	/** Loads it once; every later call gets the same promise. */
	load: () => Promise<T>;
	/** The module, once load() has resolved. */
	loaded: () => T | undefined;
};

function lazyModule<T>(load: () => Promise<T>): LazyModule<T> {
	let value: T | undefined;
	let loading: Promise<T> | undefined;
	return {
		load() {
			loading ??= load().then(
				module => {
					value = module;
					return module;
				},
				(error: unknown) => {
					// A failed load may be tried again.
					loading = undefined;
					throw error;
				},
			);
			return loading;
		},
		loaded: () => value,
	};
}

export const screenModules = {
	session: lazyModule(async () => import('./session-screen.js')),
	compare: lazyModule(async () => import('./compare-screen.js')),
	probe: lazyModule(async () => import('./probe-screen.js')),
	inbox: lazyModule(async () => import('./inbox-screen.js')),
	faults: lazyModule(async () => import('./fault-menu.js')),
	journey: lazyModule(async () => import('./journey-screen.js')),
} satisfies Record<Exclude<Screen['name'], 'target' | 'ports'>, LazyModule<unknown>>;

/**
 * The modules `screen` needs to be drawn: a screen opened from a session (the inbox, the
 * port chooser, a comparison) draws that session too, hidden behind it.
 */
function modulesFor(screen: Screen): Array<LazyModule<unknown>> {
	if (screen.name === 'target') return [];
	const own = screen.name === 'ports' ? [] : [screenModules[screen.name]];
	const behind = screen.name === 'inbox' ? screen.from : screen.name === 'ports' || screen.name === 'compare' ? screen.session : undefined;
	return behind ? [...own, ...modulesFor(behind)] : own;
}

/** Whether `screen` can be drawn now. */
export function screenReady(screen: Screen): boolean {
	return modulesFor(screen).every(module => module.loaded() !== undefined);
}

/** Loads what `screen` needs to be drawn. */
export async function loadScreen(screen: Screen): Promise<void> {
	await Promise.all(modulesFor(screen).map(async module => module.load()));
}

/** Loads every screen, one after another (after the first frame, so navigating waits for nothing). */
export async function preloadScreens(): Promise<void> {
	for (const module of Object.values(screenModules)) await (module as LazyModule<unknown>).load();
}

/** A loaded module's exports; a screen drawn before its module was loaded is a bug, said loudly. */
export function loadedScreen<Name extends keyof typeof screenModules>(name: Name): NonNullable<ReturnType<(typeof screenModules)[Name]['loaded']>> {
	const module = screenModules[name].loaded();
	if (module === undefined) throw new Error(`The ${name} screen was drawn before its module was loaded.`);
	return module as NonNullable<ReturnType<(typeof screenModules)[Name]['loaded']>>;
}
