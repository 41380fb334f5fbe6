/** Cuts `bytes` at the given points (taken modulo its length + 1), so the same bytes can be fed in arbitrary chunks. */
export function splitAt(bytes: Buffer, cuts: number[]): Buffer[] {
	const points = [...new Set(cuts.map(cut => cut % (bytes.length + 1)))].sort((a, b) => a - b);
	const pieces: Buffer[] = [];
	let last = 0;
	for (const point of points) {
		pieces.push(bytes.subarray(last, point));
		last = point;
	}

	pieces.push(bytes.subarray(last));
	return pieces;
}
