// Sends identify, track and page calls through the official Segment
// analytics-node client to NEXTFLOW_URL with the write key WRITE_KEY, in
// batches (flushAt 3), and exits non-zero when a delivery failed. Used by
// internal/e2e/segment_test.go.
import { Analytics } from '@segment/analytics-node'

const host = process.env.NEXTFLOW_URL
const writeKey = process.env.WRITE_KEY
if (!host || !writeKey) {
  console.error('NEXTFLOW_URL and WRITE_KEY are required')
  process.exit(2)
}

const analytics = new Analytics({ writeKey, host, path: '/v1/batch', flushAt: 3, flushInterval: 200, maxRetries: 2 })
const failures = []
analytics.on('error', (err) => failures.push(String(err?.reason ?? err?.message ?? err)))
analytics.on('http_response', (r) => {
  console.log(`POST ${r.url} -> ${r.status}`)
  if (r.status >= 300) failures.push(`HTTP ${r.status}`)
})

analytics.identify({ userId: 'seg-u1', traits: { email: 'Ada@Example.com', firstName: 'Ada', plan: 'pro' } })
analytics.track({ userId: 'seg-u1', event: 'Signed Up', properties: { source: 'ads' } })
analytics.identify({ userId: 'seg-u2', traits: { email: 'bob@example.com', name: 'Bob' } })
analytics.track({ userId: 'seg-u2', event: 'Signed Up', properties: { source: 'seo' }, messageId: 'seg-fixed-1' })
// The same messageId again: accepted, stored once.
analytics.track({ userId: 'seg-u2', event: 'Signed Up', properties: { source: 'seo' }, messageId: 'seg-fixed-1' })
analytics.page({ userId: 'seg-u1', name: 'Pricing', properties: { url: 'https://example.com/pricing' } })

await analytics.closeAndFlush({ timeout: 20000 })
if (failures.length > 0) {
  console.error('deliveries failed:', failures.join('; '))
  process.exit(1)
}
console.log('delivered')
