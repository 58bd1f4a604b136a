export { ServiceMetrics } from './service-metrics';
export { LagCollector, lagOf, type LagSources } from './lag-collector';
export {
  opsHandler,
  startOpsServer,
  dependencyChecks,
  type OpsOptions,
  type ReadinessCheck,
} from './ops-endpoints';
