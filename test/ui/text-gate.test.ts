// The terminal gate for the TUI, checked by the type checker: every value an Ink <Text> in
// source/ui draws must be a SafeText (made only by safeText(), safeOutput() or safe``), a
// number, a string literal written in the source, or an element. A plain `string` there is
// text nobody vetted, so it fails here with its file and line, as a type error would.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(import.meta.dirname, '../..');

function program(): ts.Program {
	const configPath = path.join(root, 'tsconfig.json');
	const config = ts.readConfigFile(configPath, ts.sys.readFile);
	const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
	return ts.createProgram(parsed.fileNames.filter(file => file.includes('/source/ui/')), parsed.options);
}

/** A type an Ink <Text> may draw without the gate. */
function allowed(type: ts.Type, checker: ts.TypeChecker): boolean {
	if (type.isUnion()) return type.types.every(part => allowed(part, checker));
	const flags = type.getFlags();
	if (flags & (ts.TypeFlags.NumberLike | ts.TypeFlags.BooleanLike | ts.TypeFlags.Null | ts.TypeFlags.Undefined | ts.TypeFlags.Void | ts.TypeFlags.StringLiteral | ts.TypeFlags.Never)) return true;
	if (type.isIntersection()) return type.types.some(part => part.getProperties().some(p => p.getName().startsWith('__@safeBrand')));
	if (flags & ts.TypeFlags.String) return false;
	if (checker.isArrayType(type)) return allowed(checker.getTypeArguments(type as ts.TypeReference)[0]!, checker);
	// Elements (JSX.Element, ReactElement) and other objects are checked where they are made.
	return (flags & ts.TypeFlags.Object) !== 0;
}

test('every value drawn by an Ink <Text> in source/ui has passed the terminal gate', () => {
	const built = program();
	const checker = built.getTypeChecker();
	const offenders: string[] = [];
	for (const file of built.getSourceFiles()) {
		if (!file.fileName.includes('/source/ui/')) continue;
		const visit = (node: ts.Node): void => {
			if (ts.isJsxElement(node) && node.openingElement.tagName.getText(file) === 'Text') {
				for (const child of node.children) {
					if (ts.isJsxExpression(child) && child.expression && !allowed(checker.getTypeAtLocation(child.expression), checker)) {
						const {line} = file.getLineAndCharacterOfPosition(child.getStart(file));
						offenders.push(`${path.relative(root, file.fileName)}:${line + 1}: ${child.getText(file).slice(0, 80)}`);
					}
				}
			}

			ts.forEachChild(node, visit);
		};

		visit(file);
	}

	assert.deepEqual(offenders, [], `Wrap these in safeText() or safe\`\`:\n${offenders.join('\n')}`);
});
