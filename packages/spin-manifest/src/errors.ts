/** A manifest problem, always naming the file and the TOML key path it concerns. */
export class ManifestError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
    /** Other files involved, e.g. the second manifest declaring the same component id. */
    readonly otherFiles: readonly string[] = [],
  ) {
    const where = [file, ...otherFiles].join(' and ');
    super(key ? `${where}: \`${key}\`: ${problem}` : `${where}: ${problem}`);
    this.name = 'ManifestError';
  }
}
