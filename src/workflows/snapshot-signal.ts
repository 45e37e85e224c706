/** Name of the signal the snapshot holder sends its table workflow. Import-free: shared by workflow and activity code. */
export const SNAPSHOT_READY_SIGNAL = 'snapshotReady';
