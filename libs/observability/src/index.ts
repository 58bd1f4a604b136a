export { ServiceMetrics } from './service-metrics';
export { LagCollector, lagOf, type LagSources } from './lag-collector';
export {
  opsHandler,
  opsMiddleware,
  startOpsServer,
  listening,
  dependencyChecks,
  ALL_OPS_ENDPOINTS,
  PUBLIC_OPS_ENDPOINTS,
  type OpsEndpoint,
  type OpsOptions,
  type ReadinessCheck,
} from './ops-endpoints';
export {
  consumerChecks,
  consumerVerdict,
  type ConsumerChecksOptions,
  type ConsumerVerdict,
  type ConsumerVerdictInput,
} from './consumer-readiness';
