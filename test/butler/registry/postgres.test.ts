import { postgresFactory } from './fixtures.js';
import { registryContract } from './registry.contract.js';

registryContract(postgresFactory);
