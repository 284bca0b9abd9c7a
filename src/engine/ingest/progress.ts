/** What `store add` reports while it works; the CLI decides whether and how to draw it. */
export interface IngestProgress {
  phase: 'scan' | 'ingest';
  filesScanned: number;
  filesToRead: number;
  filesRead: number;
  bytesToRead: number;
  bytesRead: number;
}

export type ProgressListener = (progress: Readonly<IngestProgress>) => void;
