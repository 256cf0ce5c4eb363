// Moved to harness/wait-for.ts (benchmarks use it too, and bench/ does not import test/). This re-export serves the
// files that were mid-edit by others when it moved; import harness/wait-for.ts directly.
export { waitFor } from '../../harness/wait-for.js';
