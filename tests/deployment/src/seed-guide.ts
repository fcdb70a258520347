/**
 * The seed guide's "Resource Allocation" table (../shared/seed/spin-deployment-guide.md), per
 * service folder name: memory in MB and scaling strategy.
 */
export const seedResourceTable = {
  user: { memoryMb: 200, scaling: 'single instance' },
  content: { memoryMb: 300, scaling: 'multiple instances' },
  storage: { memoryMb: 300, scaling: 'single instance' },
  editor: { memoryMb: 500, scaling: 'multiple instances' },
  messaging: { memoryMb: 200, scaling: 'single instance' },
  graphics: { memoryMb: 1024, scaling: 'worker pool' },
  audio: { memoryMb: 500, scaling: 'worker pool' },
  video: { memoryMb: 1024, scaling: 'worker pool' },
} as const;

export type SeedService = keyof typeof seedResourceTable;
