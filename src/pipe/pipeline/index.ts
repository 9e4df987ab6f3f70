/** Pipeline definitions: the YAML format, loading with imports and selectors, overrides, contracts, drawing. */
export {
  type CompareOp,
  type Expr,
  evaluateExpression,
  expressionLabels,
  formatExpression,
  parseExpression,
} from './expression.js';
export type {
  ConfigAssignment,
  ConfigBlock,
  ContractIR,
  ImportIR,
  PipelineIR,
  StepIR,
  SubsetIR,
  TaskIR,
} from './ir.js';
export { parseConfigOverrideFile, parsePipelineYaml } from './ir.js';
export {
  applyConfigOverrides,
  type ConfigFileOverride,
  type ConfigOverride,
  type ConfigValueOverride,
  type LoadPipelineOptions,
  loadPipeline,
  loadPipelineText,
  parseConfigFileOverride,
  parseConfigOverride,
  splitSelector,
} from './load.js';
export {
  applyAssignments,
  emptyPipeline,
  Pipeline,
  type PipelineContext,
  type PipelineData,
  type PipelineTaskSpec,
} from './pipeline.js';
export { taskGraphDot, taskGraphText } from './task-graph.js';
