/**
 * The V8 flags the webhook process runs with in its Deployment (manifests/webhook/deployment.yaml, checked against
 * this list by test/webhook/burst-memory.test.ts) and in that test.
 *
 * Why: an admission review is parsed, judged and answered in one go, leaving its whole object graph as garbage; a
 * ~6 MiB UPDATE leaves tens of MiB. Without a heap limit V8 sizes the heap from the machine, not from the pod's
 * 256Mi, and lets that garbage pile up: `npm run bench:webhook-burst` (32 concurrent 6 MiB reviews, compiled dist/)
 * peaked at 276 MiB with the body budget alone and 219 MiB with this limit too (411 MiB before either). Idle the
 * process holds ~135 MiB, of which ~45 MiB heap, so 128 MiB of old space leaves room for the largest review.
 */
export const WEBHOOK_NODE_FLAGS = ['--max-old-space-size=128'] as const;
