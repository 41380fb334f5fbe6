// `smtp-tui presets`: the provider presets as a plain list.
import {presets} from '../protocol/presets.js';

export function renderPresets(): string {
	const lines: string[] = [];
	for (const preset of presets) {
		const ports = preset.ports.map(p => `${p.port} ${p.tls === 'implicit' ? 'implicit TLS' : 'STARTTLS'}`).join(', ');
		const aliases = preset.aliases.length > 0 ? ` (also: ${preset.aliases.join(', ')})` : '';
		lines.push(`${preset.name}${aliases} — ${preset.title}`);
		lines.push(`    host ${preset.host}${preset.regions ? ` (--region, default ${preset.regions.default})` : ''}`);
		lines.push(`    ports ${ports}; AUTH ${preset.auth.join(' ')}`);
		if (preset.user) lines.push(`    user: ${preset.user}`);
		lines.push(`    ${preset.note}`, '');
	}

	return lines.join('\n');
}
