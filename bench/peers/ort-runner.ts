// The timed runner shared by the peers with an onnxruntime-style session.run (onnxruntime-node and
// -web, and kiln's GraphSession.run): run the prepared feeds, keep the last output for the agreement
// check, release the session on dispose. Typed structurally so it serves each package's own Tensor
// and session classes.

import type { PeerRunner } from './types.js';

interface OrtLikeSession<Feeds> {
  readonly outputNames: readonly string[];
  run(feeds: Feeds): Promise<Readonly<Record<string, { readonly data: unknown }>>>;
  release(): Promise<void> | void;
}

export function ortSessionRunner<Feeds>(session: OrtLikeSession<Feeds>, feeds: Feeds): PeerRunner {
  const first = session.outputNames[0];
  let last: Readonly<Record<string, { readonly data: unknown }>> | undefined;
  return {
    run: async () => {
      last = await session.run(feeds);
    },
    output: () => (last === undefined ? undefined : (last[first].data as Float32Array)),
    dispose: async () => {
      last = undefined;
      await session.release();
    },
  };
}
