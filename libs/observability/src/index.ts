export { ServiceMetrics } from './service-metrics';
export { LagCollector, lagOf, type LagSources } from './lag-collector';
export {
  opsHandler,
  opsMiddleware,
  startOpsServer,
  dependencyChecks,
  type OpsOptions,
  type ReadinessCheck,
} from './ops-endpoints';
